/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * The contract between main.c (scheduler start, kernel hooks, check counters, watchdog) and one
 * simulator test program. A program provides simRunTests(), which main.c calls from a FreeRTOS
 * task once the scheduler runs; when it returns, main.c prints "N passed, N failed" and ends
 * the process with status 0 only if nothing failed.
 */

#ifndef SIM_HARNESS_H
#define SIM_HARNESS_H

#include "FreeRTOS.h"
#include "task.h"

/* Stack (words) and priority of the task that runs simRunTests(); override with -D. */
#ifndef SIM_TEST_TASK_STACK_WORDS
    #define SIM_TEST_TASK_STACK_WORDS    ( configMINIMAL_STACK_SIZE * 4 )
#endif
#ifndef SIM_TEST_TASK_PRIORITY
    #define SIM_TEST_TASK_PRIORITY       ( tskIDLE_PRIORITY + 2 )
#endif

/* A run that has not finished after this many seconds fails; override with -D. */
#ifndef SIM_WATCHDOG_SECONDS
    #define SIM_WATCHDOG_SECONDS    60
#endif

/* Provided by the test program: runs every check, in a FreeRTOS task. */
void simRunTests( void );

/* Count one check and print it; a failure also prints where it is. */
void simCheck( int passed,
               const char * pWhat,
               const char * pFile,
               int line );

#define SIM_CHECK( condition, what )    simCheck( ( condition ) ? 1 : 0, ( what ), __FILE__, __LINE__ )

/* Print a section heading between checks. */
void simSection( const char * pName );

/* Milliseconds since the scheduler started (from the tick count). */
uint32_t simNowMs( void );

#endif /* SIM_HARNESS_H */
