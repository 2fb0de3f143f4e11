/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * Kernel configuration for the programs in ports/freertos/sim, which run on the FreeRTOS-Kernel
 * POSIX simulator (portable/ThirdParty/GCC/Posix). Tested with kernel tags V10.6.2 and V11.1.0.
 *
 * Static and dynamic allocation are both on, so ota_os_freertos.c can be built either way
 * (OTA_SIM_DYNAMIC_ALLOCATION in CMakeLists.txt). Every task runs on its own pthread whose
 * stack is the task's stack depth in words (8 bytes each here).
 */

#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

/* Scheduling. A 1 ms tick lets tests state times in ms directly. */
#define configUSE_PREEMPTION                       1
#define configUSE_TIME_SLICING                     1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION    0
#define configUSE_TICKLESS_IDLE                    0
#define configTICK_RATE_HZ                         ( ( TickType_t ) 1000 )
#define configCPU_CLOCK_HZ                         ( ( unsigned long ) 1000000 )
#define configMAX_PRIORITIES                       8
#define configMINIMAL_STACK_SIZE                   ( ( unsigned short ) 4096 )
#define configMAX_TASK_NAME_LEN                    16
#define configUSE_16_BIT_TICKS                     0
#define configIDLE_SHOULD_YIELD                    1

/* uint32_t makes the static-memory hooks' prototypes the same in V10 and V11 kernels. */
#define configSTACK_DEPTH_TYPE                     uint32_t

/* Kernel objects. */
#define configUSE_MUTEXES                          1
#define configUSE_RECURSIVE_MUTEXES                1
#define configUSE_COUNTING_SEMAPHORES              1
#define configUSE_TASK_NOTIFICATIONS               1
#define configUSE_QUEUE_SETS                       0
#define configQUEUE_REGISTRY_SIZE                  8
#define configUSE_CO_ROUTINES                      0
#define configMAX_CO_ROUTINE_PRIORITIES            1

/* Software timers: the OTA port needs them. The timer task outranks the test tasks. */
#define configUSE_TIMERS                           1
#define configTIMER_TASK_PRIORITY                  ( configMAX_PRIORITIES - 1 )
#define configTIMER_QUEUE_LENGTH                   16
#define configTIMER_TASK_STACK_DEPTH               ( configMINIMAL_STACK_SIZE * 2 )

/* Memory: both allocation schemes; heap_4 takes its arena from configTOTAL_HEAP_SIZE. */
#define configSUPPORT_STATIC_ALLOCATION            1
#define configSUPPORT_DYNAMIC_ALLOCATION           1
#define configTOTAL_HEAP_SIZE                      ( ( size_t ) ( 4U * 1024U * 1024U ) )
#define configAPPLICATION_ALLOCATED_HEAP           0

/* Hooks. The POSIX port has no stack to overflow-check (each task is a pthread). */
#define configUSE_IDLE_HOOK                        0
#define configUSE_TICK_HOOK                        0
#define configUSE_MALLOC_FAILED_HOOK               0
#define configCHECK_FOR_STACK_OVERFLOW             0
#define configUSE_DAEMON_TASK_STARTUP_HOOK         0

/* Diagnostics. */
#define configUSE_TRACE_FACILITY                   0
#define configGENERATE_RUN_TIME_STATS              0
#define configUSE_STATS_FORMATTING_FUNCTIONS       0

/* Optional API. */
#define INCLUDE_vTaskPrioritySet                   1
#define INCLUDE_uxTaskPriorityGet                  1
#define INCLUDE_vTaskDelete                        1
#define INCLUDE_vTaskSuspend                       1
#define INCLUDE_xTaskDelayUntil                    1
#define INCLUDE_vTaskDelay                         1
#define INCLUDE_xTaskGetSchedulerState             1
#define INCLUDE_xTaskGetCurrentTaskHandle          1
#define INCLUDE_xTimerGetTimerDaemonTaskHandle     1
#define INCLUDE_xTimerPendFunctionCall             1
#define INCLUDE_uxTaskGetStackHighWaterMark        0

/* A failed kernel assertion ends the run with a message (see sim main.c). */
void vSimAssertCalled( const char * pFile,
                       unsigned long line );
#define configASSERT( x )    do { if( ( x ) == 0 ) { vSimAssertCalled( __FILE__, __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
