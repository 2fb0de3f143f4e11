/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * Entry point shared by every simulator test program (see sim_harness.h): starts the FreeRTOS
 * scheduler with one task that calls the program's simRunTests(), supplies the kernel hooks
 * the configuration asks for, counts checks, and reports. A watchdog thread outside FreeRTOS
 * fails a run that hangs.
 */

/* pthread_sigmask and sigfillset, also under a strict -std. */
#ifndef _POSIX_C_SOURCE
    #define _POSIX_C_SOURCE    200809L
#endif

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "FreeRTOS.h"
#include "task.h"
#include "timers.h"

#include "sim_harness.h"

static volatile unsigned long checksPassed = 0;
static volatile unsigned long checksFailed = 0;

void simCheck( int passed,
               const char * pWhat,
               const char * pFile,
               int line )
{
    if( passed != 0 )
    {
        checksPassed++;
        printf( "  ok   %s\n", pWhat );
    }
    else
    {
        checksFailed++;
        printf( "  FAIL %s (%s:%d)\n", pWhat, pFile, line );
    }

    ( void ) fflush( stdout );
}

void simSection( const char * pName )
{
    printf( "-- %s\n", pName );
    ( void ) fflush( stdout );
}

uint32_t simNowMs( void )
{
    return ( uint32_t ) ( ( ( uint64_t ) xTaskGetTickCount() * 1000U ) / configTICK_RATE_HZ );
}

static void finish( void )
{
    printf( "%lu passed, %lu failed\n", checksPassed, checksFailed );
    ( void ) fflush( stdout );

    /* exit() works from any task thread with every kernel version's POSIX port, which
     * vTaskEndScheduler() does not. */
    exit( ( checksFailed == 0U ) ? EXIT_SUCCESS : EXIT_FAILURE );
}

static void testTask( void * pParameters )
{
    ( void ) pParameters;

    simRunTests();
    finish();
}

static void * watchdog( void * pUnused )
{
    ( void ) pUnused;

    ( void ) sleep( SIM_WATCHDOG_SECONDS );
    printf( "  FAIL watchdog: run still going after %d s\n", SIM_WATCHDOG_SECONDS );
    printf( "%lu passed, %lu failed\n", checksPassed, checksFailed + 1U );
    ( void ) fflush( stdout );
    _exit( EXIT_FAILURE );

    return NULL;
}

int main( void )
{
    pthread_t watchdogThread;
    sigset_t all;
    sigset_t previous;

    /* The watchdog must never take the kernel's tick signal: it starts with every signal
     * blocked. */
    ( void ) sigfillset( &all );
    ( void ) pthread_sigmask( SIG_SETMASK, &all, &previous );

    if( pthread_create( &watchdogThread, NULL, watchdog, NULL ) != 0 )
    {
        printf( "cannot start the watchdog thread\n" );
        return EXIT_FAILURE;
    }

    ( void ) pthread_detach( watchdogThread );
    ( void ) pthread_sigmask( SIG_SETMASK, &previous, NULL );

    if( xTaskCreate( testTask, "simTest", SIM_TEST_TASK_STACK_WORDS, NULL,
                     SIM_TEST_TASK_PRIORITY, NULL ) != pdPASS )
    {
        printf( "cannot create the test task\n" );
        return EXIT_FAILURE;
    }

    vTaskStartScheduler();

    /* Only reached if the scheduler could not start (or was ended by a test). */
    printf( "scheduler returned\n" );
    return EXIT_FAILURE;
}

/* ---- Kernel hooks ------------------------------------------------------------------------ */

void vSimAssertCalled( const char * pFile,
                       unsigned long line )
{
    printf( "  FAIL FreeRTOS configASSERT at %s:%lu\n", pFile, line );
    printf( "%lu passed, %lu failed\n", checksPassed, checksFailed + 1U );
    ( void ) fflush( stdout );
    _exit( EXIT_FAILURE );
}

#if ( configSUPPORT_STATIC_ALLOCATION == 1 )

/* configSTACK_DEPTH_TYPE is uint32_t in FreeRTOSConfig.h, which matches the V10 prototypes
 * (uint32_t *) and the V11 ones (configSTACK_DEPTH_TYPE *). */
    void vApplicationGetIdleTaskMemory( StaticTask_t ** ppxIdleTaskTCBBuffer,
                                        StackType_t ** ppxIdleTaskStackBuffer,
                                        uint32_t * pulIdleTaskStackSize )
    {
        static StaticTask_t idleTcb;
        static StackType_t idleStack[ configMINIMAL_STACK_SIZE ];

        *ppxIdleTaskTCBBuffer = &idleTcb;
        *ppxIdleTaskStackBuffer = idleStack;
        *pulIdleTaskStackSize = ( uint32_t ) configMINIMAL_STACK_SIZE;
    }

    void vApplicationGetTimerTaskMemory( StaticTask_t ** ppxTimerTaskTCBBuffer,
                                         StackType_t ** ppxTimerTaskStackBuffer,
                                         uint32_t * pulTimerTaskStackSize )
    {
        static StaticTask_t timerTcb;
        static StackType_t timerStack[ configTIMER_TASK_STACK_DEPTH ];

        *ppxTimerTaskTCBBuffer = &timerTcb;
        *ppxTimerTaskStackBuffer = timerStack;
        *pulTimerTaskStackSize = ( uint32_t ) configTIMER_TASK_STACK_DEPTH;
    }

#endif /* configSUPPORT_STATIC_ALLOCATION == 1 */
