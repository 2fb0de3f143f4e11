/* FreeRTOS kernel configuration for the OTA firmware on QEMU mps2-an386 (Cortex-M4, ARM_CM3 port). */
#ifndef FREERTOS_CONFIG_H
#define FREERTOS_CONFIG_H

#define configUSE_PREEMPTION                       1
#define configUSE_TIME_SLICING                     1
#define configUSE_PORT_OPTIMISED_TASK_SELECTION    0
#define configUSE_TICKLESS_IDLE                    0
#define configCPU_CLOCK_HZ                         ( ( unsigned long ) 25000000 ) /* mps2-an386 system clock */
#define configTICK_RATE_HZ                         ( ( TickType_t ) 1000 )        /* 1 ms tick: ms == ticks */
#define configMAX_PRIORITIES                       8
#define configMINIMAL_STACK_SIZE                   ( ( unsigned short ) 256 )
#define configMAX_TASK_NAME_LEN                    16
#define configTICK_TYPE_WIDTH_IN_BITS              TICK_TYPE_WIDTH_32_BITS
#define configIDLE_SHOULD_YIELD                    1
#define configSTACK_DEPTH_TYPE                     uint32_t

#define configUSE_MUTEXES                          1
#define configUSE_RECURSIVE_MUTEXES                1
#define configUSE_COUNTING_SEMAPHORES              1
#define configUSE_TASK_NOTIFICATIONS               1
#define configUSE_QUEUE_SETS                       0
#define configQUEUE_REGISTRY_SIZE                  0
#define configUSE_CO_ROUTINES                      0

#define configUSE_TIMERS                           1
#define configTIMER_TASK_PRIORITY                  ( configMAX_PRIORITIES - 1 )
#define configTIMER_QUEUE_LENGTH                   16
#define configTIMER_TASK_STACK_DEPTH               ( configMINIMAL_STACK_SIZE * 4 )

/* Static on so the OTA port keeps its queue and timers out of the heap; kernel gives idle/timer memory. */
#define configSUPPORT_STATIC_ALLOCATION            1
#define configSUPPORT_DYNAMIC_ALLOCATION           1
#define configKERNEL_PROVIDED_STATIC_MEMORY        1
#define configTOTAL_HEAP_SIZE                      ( ( size_t ) ( 128U * 1024U ) )

#define configUSE_IDLE_HOOK                        0
#define configUSE_TICK_HOOK                        0
#define configUSE_MALLOC_FAILED_HOOK               1
#define configCHECK_FOR_STACK_OVERFLOW             2 /* pattern check: catches an overflowing OTA task */
#define configUSE_DAEMON_TASK_STARTUP_HOOK         0

/* The trace facility and the high-water-mark API measure the OTA task's peak stack. */
#define configUSE_TRACE_FACILITY                   1
#define configGENERATE_RUN_TIME_STATS              0
#define configUSE_STATS_FORMATTING_FUNCTIONS       0

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
#define INCLUDE_uxTaskGetStackHighWaterMark        1

/* 3 priority bits as on real Cortex-M4 parts; QEMU implements more, which the port accepts. */
#define configPRIO_BITS                            3
#define configKERNEL_INTERRUPT_PRIORITY            ( 7 << ( 8 - configPRIO_BITS ) )
#define configMAX_SYSCALL_INTERRUPT_PRIORITY       ( 5 << ( 8 - configPRIO_BITS ) )

/* A failed kernel assertion prints where and ends QEMU with a failure status. */
void fwAssertFailed( const char * pFile, int line );
#define configASSERT( x )    do { if( ( x ) == 0 ) { fwAssertFailed( __FILE__, __LINE__ ); } } while( 0 )

#endif /* FREERTOS_CONFIG_H */
