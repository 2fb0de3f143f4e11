/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_os_freertos.c
 * @brief The OTA OS interface on FreeRTOS: one kernel queue for the agent's events, one
 * one-shot software timer per OtaTimerId_t, and the FreeRTOS heap.
 *
 * Kernel objects live in static storage when the kernel supports static allocation, otherwise
 * on the FreeRTOS heap; define OTA_OS_FREERTOS_DYNAMIC_ALLOCATION to 1 to force the heap.
 */

#include <stddef.h>
#include <stdint.h>

#include "FreeRTOS.h"
#include "task.h"
#include "queue.h"
#include "timers.h"

#include "ota_os_freertos.h"
#include "ota_private.h"

#if ( configUSE_TIMERS != 1 )
    #error "The OTA FreeRTOS OS port needs software timers: set configUSE_TIMERS to 1 in FreeRTOSConfig.h"
#endif

#ifndef OTA_OS_FREERTOS_DYNAMIC_ALLOCATION
    #if ( configSUPPORT_STATIC_ALLOCATION == 1 )
        #define OTA_OS_FREERTOS_DYNAMIC_ALLOCATION    0
    #else
        #define OTA_OS_FREERTOS_DYNAMIC_ALLOCATION    1
    #endif
#endif

#if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 1 ) && ( configSUPPORT_DYNAMIC_ALLOCATION != 1 )
    #error "OTA_OS_FREERTOS_DYNAMIC_ALLOCATION is 1 but configSUPPORT_DYNAMIC_ALLOCATION is not"
#endif

#if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 ) && ( configSUPPORT_STATIC_ALLOCATION != 1 )
    #error "OTA_OS_FREERTOS_DYNAMIC_ALLOCATION is 0 but configSUPPORT_STATIC_ALLOCATION is not 1"
#endif

/* Name under which the queue shows up in kernel-aware debuggers. */
#define OTA_EVENT_QUEUE_NAME    "OtaEventQueue"

/* One software timer and what its expiry calls. */
typedef struct OtaFreeRTOSTimer
{
    TimerHandle_t handle;        /* Kernel timer; NULL until first created. */
    OtaTimerCallback_t callback; /* Called on expiry; written by the starter, read by the timer task. */
    OtaTimerId_t id;             /* Handed to callback. */
    BaseType_t exists;           /* pdTRUE between a successful create and a delete. */
    #if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 )
        StaticTimer_t storage;   /* Control block; kept after delete and reused by the next start. */
    #endif
} OtaFreeRTOSTimer_t;

static QueueHandle_t otaEventQueue = NULL;

#if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 )
    static StaticQueue_t otaEventQueueControl;
    static uint8_t otaEventQueueStorage[ OTA_NUM_MSG_Q_ENTRIES * sizeof( OtaEventMsg_t ) ];
#endif

static OtaFreeRTOSTimer_t otaTimers[ OtaNumOfTimers ];

/*-----------------------------------------------------------*/

/* ms to ticks, rounded up and capped just below portMAX_DELAY (which means "forever"),
 * without the overflow pdMS_TO_TICKS has for long times. */
static TickType_t msToTicks( uint32_t ms )
{
    const uint32_t rate = ( uint32_t ) configTICK_RATE_HZ;
    const uint32_t limit = ( uint32_t ) ( ( TickType_t ) ( portMAX_DELAY - ( TickType_t ) 1 ) );
    const uint32_t seconds = ms / 1000U;
    uint32_t ticks = limit;
    uint32_t fraction;

    if( seconds <= ( limit / rate ) )
    {
        ticks = seconds * rate;
        fraction = ( ( ( ms % 1000U ) * rate ) + 999U ) / 1000U;

        ticks = ( fraction <= ( limit - ticks ) ) ? ( ticks + fraction ) : limit;
    }

    return ( TickType_t ) ticks;
}

/* Block time for timer commands: the timer task itself must not wait on its own full queue. */
static TickType_t timerCommandWait( void )
{
    TickType_t wait = portMAX_DELAY;

    #if ( INCLUDE_xTaskGetCurrentTaskHandle == 1 ) || ( configUSE_MUTEXES == 1 )
        if( ( xTaskGetSchedulerState() != taskSCHEDULER_NOT_STARTED ) &&
            ( xTaskGetCurrentTaskHandle() == xTimerGetTimerDaemonTaskHandle() ) )
        {
            wait = 0;
        }
    #endif

    return wait;
}

static BaseType_t isTimerId( OtaTimerId_t otaTimerId )
{
    return ( ( ( int ) otaTimerId >= ( int ) OtaRequestTimer ) &&
             ( ( int ) otaTimerId < ( int ) OtaNumOfTimers ) ) ? pdTRUE : pdFALSE;
}

/* Expiry of any OTA timer, in the timer task; the timer's ID points at its slot. */
static void otaTimerExpired( TimerHandle_t xTimer )
{
    const OtaFreeRTOSTimer_t * pSlot = ( const OtaFreeRTOSTimer_t * ) pvTimerGetTimerID( xTimer );
    OtaTimerCallback_t callback = NULL;
    OtaTimerId_t id = OtaRequestTimer;

    if( pSlot != NULL )
    {
        taskENTER_CRITICAL();
        {
            callback = pSlot->callback;
            id = pSlot->id;
        }
        taskEXIT_CRITICAL();
    }

    if( callback != NULL )
    {
        callback( id );
    }
    else
    {
        LogWarn( ( "OTA timer expired with no callback set." ) );
    }
}

static TimerHandle_t createTimer( OtaFreeRTOSTimer_t * pSlot,
                                  const char * pTimerName,
                                  TickType_t period )
{
    #if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 )
        return xTimerCreateStatic( pTimerName, period, pdFALSE, ( void * ) pSlot,
                                   otaTimerExpired, &pSlot->storage );
    #else
        return xTimerCreate( pTimerName, period, pdFALSE, ( void * ) pSlot, otaTimerExpired );
    #endif
}

/*-----------------------------------------------------------*/

OtaOsStatus_t OtaInitEvent_FreeRTOS( OtaEventContext_t * pEventCtx )
{
    OtaOsStatus_t status = OtaOsSuccess;

    ( void ) pEventCtx;

    if( otaEventQueue != NULL )
    {
        /* A second init empties the queue rather than orphaning it (or re-initialising its
         * storage under a task that is waiting on it). */
        ( void ) xQueueReset( otaEventQueue );
        LogDebug( ( "OTA event queue already exists; emptied it." ) );
    }
    else
    {
        #if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 )
            otaEventQueue = xQueueCreateStatic( ( UBaseType_t ) OTA_NUM_MSG_Q_ENTRIES,
                                                ( UBaseType_t ) sizeof( OtaEventMsg_t ),
                                                otaEventQueueStorage,
                                                &otaEventQueueControl );
        #else
            otaEventQueue = xQueueCreate( ( UBaseType_t ) OTA_NUM_MSG_Q_ENTRIES,
                                          ( UBaseType_t ) sizeof( OtaEventMsg_t ) );
        #endif

        if( otaEventQueue == NULL )
        {
            status = OtaOsEventQueueCreateFailed;
            LogError( ( "Failed to create the OTA event queue: OtaOsStatus_t=%d", ( int ) status ) );
        }
        else
        {
            #if ( configQUEUE_REGISTRY_SIZE > 0 )
                vQueueAddToRegistry( otaEventQueue, OTA_EVENT_QUEUE_NAME );
            #endif
            LogDebug( ( "OTA event queue created." ) );
        }
    }

    return status;
}

OtaOsStatus_t OtaSendEvent_FreeRTOS( OtaEventContext_t * pEventCtx,
                                     const void * pEventMsg,
                                     unsigned int timeout )
{
    OtaOsStatus_t status = OtaOsEventQueueSendFailed;

    ( void ) pEventCtx;

    if( ( otaEventQueue == NULL ) || ( pEventMsg == NULL ) )
    {
        LogError( ( "Cannot send an OTA event: %s.",
                    ( otaEventQueue == NULL ) ? "no event queue" : "NULL message" ) );
    }
    else if( xQueueSendToBack( otaEventQueue, pEventMsg, msToTicks( ( uint32_t ) timeout ) ) == pdTRUE )
    {
        status = OtaOsSuccess;
        LogDebug( ( "OTA event sent." ) );
    }
    else
    {
        LogError( ( "OTA event queue full after %ums: OtaOsStatus_t=%d",
                    timeout, ( int ) status ) );
    }

    return status;
}

OtaOsStatus_t OtaReceiveEvent_FreeRTOS( OtaEventContext_t * pEventCtx,
                                        void * pEventMsg,
                                        uint32_t timeout )
{
    OtaOsStatus_t status = OtaOsEventQueueReceiveFailed;

    ( void ) pEventCtx;

    if( ( otaEventQueue == NULL ) || ( pEventMsg == NULL ) )
    {
        LogError( ( "Cannot receive an OTA event: %s.",
                    ( otaEventQueue == NULL ) ? "no event queue" : "NULL buffer" ) );
    }
    else
    {
        /* The agent's task passes 0 and expects to sleep until the next event. The loop covers
         * kernels built without INCLUDE_vTaskSuspend, where portMAX_DELAY is finite. */
        BaseType_t received = xQueueReceive( otaEventQueue, pEventMsg,
                                             ( timeout == 0U ) ? portMAX_DELAY : msToTicks( timeout ) );

        while( ( received != pdTRUE ) && ( timeout == 0U ) )
        {
            received = xQueueReceive( otaEventQueue, pEventMsg, portMAX_DELAY );
        }

        if( received == pdTRUE )
        {
            status = OtaOsSuccess;
            LogDebug( ( "OTA event received." ) );
        }
        else
        {
            LogDebug( ( "No OTA event within %lums.", ( unsigned long ) timeout ) );
        }
    }

    return status;
}

OtaOsStatus_t OtaDeinitEvent_FreeRTOS( OtaEventContext_t * pEventCtx )
{
    ( void ) pEventCtx;

    if( otaEventQueue != NULL )
    {
        vQueueDelete( otaEventQueue );
        otaEventQueue = NULL;
        LogDebug( ( "OTA event queue deleted." ) );
    }

    return OtaOsSuccess;
}

/*-----------------------------------------------------------*/

OtaOsStatus_t OtaStartTimer_FreeRTOS( OtaTimerId_t otaTimerId,
                                      const char * const pTimerName,
                                      const uint32_t timeout,
                                      OtaTimerCallback_t callback )
{
    OtaOsStatus_t status = OtaOsSuccess;
    OtaFreeRTOSTimer_t * pSlot = NULL;
    TickType_t period = msToTicks( timeout );
    BaseType_t rearm = pdFALSE;

    /* Kernel timers need a period of at least one tick. */
    if( period == ( TickType_t ) 0 )
    {
        period = ( TickType_t ) 1;
    }

    if( isTimerId( otaTimerId ) != pdTRUE )
    {
        status = OtaOsTimerCreateFailed;
        LogError( ( "No OTA timer with id %d.", ( int ) otaTimerId ) );
    }
    else
    {
        pSlot = &otaTimers[ otaTimerId ];
        rearm = pSlot->exists;

        taskENTER_CRITICAL();
        {
            pSlot->callback = callback;
            pSlot->id = otaTimerId;
        }
        taskEXIT_CRITICAL();

        if( pSlot->handle == NULL )
        {
            pSlot->handle = createTimer( pSlot, pTimerName, period );
        }

        if( pSlot->handle == NULL )
        {
            status = OtaOsTimerCreateFailed;
            LogError( ( "Failed to create OTA timer %d: OtaOsStatus_t=%d",
                        ( int ) otaTimerId, ( int ) status ) );
        }
        else
        {
            pSlot->exists = pdTRUE;

            /* Changing the period also (re)starts the timer, measured from now. */
            if( xTimerChangePeriod( pSlot->handle, period, timerCommandWait() ) == pdPASS )
            {
                LogDebug( ( "OTA timer %d armed for %lums.",
                            ( int ) otaTimerId, ( unsigned long ) timeout ) );
            }
            else
            {
                status = ( rearm == pdTRUE ) ? OtaOsTimerRestartFailed : OtaOsTimerStartFailed;
                LogError( ( "Failed to arm OTA timer %d: OtaOsStatus_t=%d",
                            ( int ) otaTimerId, ( int ) status ) );
            }
        }
    }

    return status;
}

OtaOsStatus_t OtaStopTimer_FreeRTOS( OtaTimerId_t otaTimerId )
{
    OtaOsStatus_t status = OtaOsSuccess;

    if( isTimerId( otaTimerId ) != pdTRUE )
    {
        status = OtaOsTimerStopFailed;
        LogError( ( "No OTA timer with id %d.", ( int ) otaTimerId ) );
    }
    else if( otaTimers[ otaTimerId ].exists != pdTRUE )
    {
        LogDebug( ( "OTA timer %d does not exist; nothing to stop.", ( int ) otaTimerId ) );
    }
    else if( xTimerStop( otaTimers[ otaTimerId ].handle, timerCommandWait() ) == pdPASS )
    {
        LogDebug( ( "OTA timer %d stopped.", ( int ) otaTimerId ) );
    }
    else
    {
        status = OtaOsTimerStopFailed;
        LogError( ( "Failed to stop OTA timer %d: OtaOsStatus_t=%d",
                    ( int ) otaTimerId, ( int ) status ) );
    }

    return status;
}

OtaOsStatus_t OtaDeleteTimer_FreeRTOS( OtaTimerId_t otaTimerId )
{
    OtaOsStatus_t status = OtaOsTimerDeleteFailed;
    OtaFreeRTOSTimer_t * pSlot = NULL;

    if( isTimerId( otaTimerId ) != pdTRUE )
    {
        LogError( ( "No OTA timer with id %d.", ( int ) otaTimerId ) );
    }
    else if( otaTimers[ otaTimerId ].exists != pdTRUE )
    {
        LogWarn( ( "OTA timer %d does not exist; cannot delete it.", ( int ) otaTimerId ) );
    }
    else
    {
        pSlot = &otaTimers[ otaTimerId ];

        #if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 0 )
            /* The control block is static: stop the timer and keep it for the next start, so a
             * delete still queued in the timer task can never hit a re-created timer. */
            if( xTimerStop( pSlot->handle, timerCommandWait() ) == pdPASS )
            {
                status = OtaOsSuccess;
            }
        #else
            if( xTimerDelete( pSlot->handle, timerCommandWait() ) == pdPASS )
            {
                pSlot->handle = NULL;
                status = OtaOsSuccess;
            }
        #endif

        if( status == OtaOsSuccess )
        {
            taskENTER_CRITICAL();
            {
                pSlot->callback = NULL;
            }
            taskEXIT_CRITICAL();

            pSlot->exists = pdFALSE;
            LogDebug( ( "OTA timer %d deleted.", ( int ) otaTimerId ) );
        }
        else
        {
            LogError( ( "Failed to delete OTA timer %d: OtaOsStatus_t=%d",
                        ( int ) otaTimerId, ( int ) status ) );
        }
    }

    return status;
}

/*-----------------------------------------------------------*/

void * Malloc_FreeRTOS( size_t size )
{
    return pvPortMalloc( size );
}

void Free_FreeRTOS( void * ptr )
{
    /* Not every heap_n.c accepts NULL. */
    if( ptr != NULL )
    {
        vPortFree( ptr );
    }
}

/*-----------------------------------------------------------*/

/* The lock libota.a holds around its shared state (a few loads and stores, never a call out;
 * it nests). These override libota.a's weak defaults (src/ffi/shim.c), so that under FreeRTOS,
 * the POSIX simulator included, the lock is the kernel's own critical section. */
uint32_t ota_rs_critical_enter( void );
void ota_rs_critical_exit( uint32_t saved );

uint32_t ota_rs_critical_enter( void )
{
    taskENTER_CRITICAL();
    return 0U;
}

void ota_rs_critical_exit( uint32_t saved )
{
    ( void ) saved;
    taskEXIT_CRITICAL();
}
