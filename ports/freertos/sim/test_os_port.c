/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * Simulator test of ports/freertos/ota_os_freertos.c: the event queue (send, receive, timeouts,
 * full queue, re-init, deinit), both OTA timers (expiry with the right id, re-arming on restart,
 * stop, delete, v2.0.0 status codes) and the heap functions. Status names come from libota.a's
 * OTA_OsStatus_strerror, so the program also proves the port and libota.a link together.
 */

#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "queue.h"
#include "timers.h"

#include "ota.h"
#include "ota_os_freertos.h"

#include "sim_harness.h"

/* ---- helpers ----------------------------------------------------------------------------- */

static char text[ 200 ];

static void checkStatus( OtaOsStatus_t got,
                         OtaOsStatus_t want,
                         const char * pCall,
                         int line )
{
    ( void ) snprintf( text, sizeof( text ), "%s -> %s%s%s", pCall, OTA_OsStatus_strerror( want ),
                       ( got == want ) ? "" : ", got ",
                       ( got == want ) ? "" : OTA_OsStatus_strerror( got ) );
    simCheck( got == want, text, __FILE__, line );
}

#define CHECK_STATUS( call, want )    checkStatus( ( call ), ( want ), #call, __LINE__ )

static void checkBetween( uint32_t value,
                          uint32_t low,
                          uint32_t high,
                          const char * pWhat,
                          int line )
{
    ( void ) snprintf( text, sizeof( text ), "%s: %lu ms in [%lu, %lu]", pWhat,
                       ( unsigned long ) value, ( unsigned long ) low, ( unsigned long ) high );
    simCheck( ( value >= low ) && ( value <= high ), text, __FILE__, line );
}

#define CHECK_BETWEEN( value, low, high, what )    checkBetween( ( value ), ( low ), ( high ), ( what ), __LINE__ )

/* Scheduling slack allowed on top of a requested time: the simulator's threads are real. */
#define SLACK_MS    400U

static OtaEventMsg_t message( OtaEvent_t eventId,
                              OtaEventData_t * pData )
{
    OtaEventMsg_t msg;

    ( void ) memset( &msg, 0, sizeof( msg ) );
    msg.eventId = eventId;
    msg.pEventData = pData;
    return msg;
}

/* ---- a helper task that sends or receives one event after a delay ------------------------ */

typedef struct DelayedQueueOp
{
    uint32_t delayMs;
    int receive;              /* 1: receive one event; 0: send msg. */
    OtaEventMsg_t msg;        /* Sent, or what was received. */
    OtaOsStatus_t status;
    TaskHandle_t notifyWhenDone;
} DelayedQueueOp_t;

static void delayedQueueOpTask( void * pParameters )
{
    DelayedQueueOp_t * pOp = ( DelayedQueueOp_t * ) pParameters;

    vTaskDelay( pdMS_TO_TICKS( pOp->delayMs ) );

    if( pOp->receive != 0 )
    {
        pOp->status = OtaReceiveEvent_FreeRTOS( NULL, &pOp->msg, 1000U );
    }
    else
    {
        pOp->status = OtaSendEvent_FreeRTOS( NULL, &pOp->msg, 0U );
    }

    ( void ) xTaskNotifyGive( pOp->notifyWhenDone );
    vTaskDelete( NULL );
}

/* Runs one delayed queue operation at a higher priority than the test task. */
static void startDelayedQueueOp( DelayedQueueOp_t * pOp )
{
    pOp->notifyWhenDone = xTaskGetCurrentTaskHandle();
    pOp->status = OtaOsSuccess;
    ( void ) xTaskCreate( delayedQueueOpTask, "qHelper", configMINIMAL_STACK_SIZE * 2, pOp,
                          SIM_TEST_TASK_PRIORITY + 1, NULL );
}

static int waitDelayedQueueOp( void )
{
    return ( ulTaskNotifyTake( pdTRUE, pdMS_TO_TICKS( 3000U ) ) == 1U ) ? 1 : 0;
}

/* ---- timer expiry recording -------------------------------------------------------------- */

typedef struct Expiry
{
    OtaTimerId_t id;
    char callback; /* Which test callback ran: 'A', 'B' or 'R'. */
    uint32_t atMs;
} Expiry_t;

static QueueHandle_t expiries;
static volatile int rearmsLeft;

static void record( OtaTimerId_t id,
                    char callback )
{
    Expiry_t e;

    e.id = id;
    e.callback = callback;
    e.atMs = simNowMs();
    ( void ) xQueueSendToBack( expiries, &e, 0 );
}

static void callbackA( OtaTimerId_t id )
{
    record( id, 'A' );
}

static void callbackB( OtaTimerId_t id )
{
    record( id, 'B' );
}

/* Re-arms its own timer from the timer task, as an application callback might. */
static void callbackRearm( OtaTimerId_t id )
{
    record( id, 'R' );

    if( rearmsLeft > 0 )
    {
        rearmsLeft--;
        ( void ) OtaStartTimer_FreeRTOS( id, "rearm", 50U, callbackRearm );
    }
}

static int nextExpiry( Expiry_t * pExpiry,
                       uint32_t waitMs )
{
    return ( xQueueReceive( expiries, pExpiry, pdMS_TO_TICKS( waitMs ) ) == pdTRUE ) ? 1 : 0;
}

static int noExpiryWithin( uint32_t waitMs )
{
    Expiry_t e;

    return ( nextExpiry( &e, waitMs ) == 0 ) ? 1 : 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static void testMemory( void )
{
    unsigned char * p;
    size_t i;
    int intact = 1;

    #ifdef SIM_HEAP_REPORTS_FREE_SIZE
        size_t freeBefore = xPortGetFreeHeapSize();
    #endif

    simSection( "Malloc_FreeRTOS / Free_FreeRTOS" );

    p = ( unsigned char * ) Malloc_FreeRTOS( 4096U );
    SIM_CHECK( p != NULL, "Malloc_FreeRTOS(4096) returns memory" );

    if( p != NULL )
    {
        for( i = 0; i < 4096U; i++ )
        {
            p[ i ] = ( unsigned char ) i;
        }

        for( i = 0; i < 4096U; i++ )
        {
            intact = ( p[ i ] == ( unsigned char ) i ) ? intact : 0;
        }

        SIM_CHECK( intact, "the whole block is writable and keeps its contents" );

        #ifdef SIM_HEAP_REPORTS_FREE_SIZE
            SIM_CHECK( xPortGetFreeHeapSize() < freeBefore, "the block came from the FreeRTOS heap" );
        #endif

        Free_FreeRTOS( p );

        #ifdef SIM_HEAP_REPORTS_FREE_SIZE
            SIM_CHECK( xPortGetFreeHeapSize() == freeBefore, "Free_FreeRTOS returns it to the FreeRTOS heap" );
        #endif
    }

    #ifdef SIM_HEAP_REPORTS_FREE_SIZE
        SIM_CHECK( Malloc_FreeRTOS( configTOTAL_HEAP_SIZE * 2U ) == NULL,
                   "Malloc_FreeRTOS larger than the heap returns NULL" );
    #endif

    Free_FreeRTOS( NULL );
    SIM_CHECK( 1, "Free_FreeRTOS(NULL) is harmless" );
}

static void testQueueBeforeInit( void )
{
    OtaEventMsg_t msg = message( OtaAgentEventStart, NULL );

    simSection( "event queue: not created yet" );
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ), OtaOsEventQueueSendFailed );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &msg, 10U ), OtaOsEventQueueReceiveFailed );
    CHECK_STATUS( OtaDeinitEvent_FreeRTOS( NULL ), OtaOsSuccess );
}

static void testQueue( void )
{
    static OtaEventData_t data;
    OtaEventMsg_t msg;
    OtaEventMsg_t got;
    DelayedQueueOp_t op;
    uint32_t t0;
    uint32_t i;
    int inOrder = 1;
    int allReceived = 1;

    simSection( "event queue: send and receive" );
    CHECK_STATUS( OtaInitEvent_FreeRTOS( NULL ), OtaOsSuccess );

    msg = message( OtaAgentEventReceivedFileBlock, &data );
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ), OtaOsSuccess );
    ( void ) memset( &got, 0, sizeof( got ) );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &got, 100U ), OtaOsSuccess );
    SIM_CHECK( ( got.eventId == OtaAgentEventReceivedFileBlock ) && ( got.pEventData == &data ),
               "the received OtaEventMsg_t equals the sent one (event id and data pointer)" );

    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, NULL, 0U ), OtaOsEventQueueSendFailed );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, NULL, 10U ), OtaOsEventQueueReceiveFailed );

    simSection( "event queue: receive timeout" );
    t0 = simNowMs();
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &got, 200U ), OtaOsEventQueueReceiveFailed );
    CHECK_BETWEEN( simNowMs() - t0, 200U, 200U + SLACK_MS, "an empty queue's receive gives up after 200 ms" );

    op.delayMs = 150U;
    op.receive = 0;
    op.msg = message( OtaAgentEventResume, NULL );
    t0 = simNowMs();
    startDelayedQueueOp( &op );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &got, 0U ), OtaOsSuccess );
    CHECK_BETWEEN( simNowMs() - t0, 150U, 150U + SLACK_MS,
                   "receive with timeout 0 (what the agent passes) waits for the next event" );
    SIM_CHECK( got.eventId == OtaAgentEventResume, "... and returns the event another task sent" );
    SIM_CHECK( waitDelayedQueueOp(), "the sending task finished" );

    simSection( "event queue: full queue" );

    for( i = 0; i < OTA_NUM_MSG_Q_ENTRIES; i++ )
    {
        msg = message( ( OtaEvent_t ) ( i % ( uint32_t ) OtaAgentEventMax ), NULL );
        allReceived = ( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ) == OtaOsSuccess ) ? allReceived : 0;
    }

    ( void ) snprintf( text, sizeof( text ), "%u events (OTA_NUM_MSG_Q_ENTRIES) fit in the queue",
                       ( unsigned ) OTA_NUM_MSG_Q_ENTRIES );
    SIM_CHECK( allReceived, text );

    msg = message( OtaAgentEventShutdown, NULL );
    t0 = simNowMs();
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ), OtaOsEventQueueSendFailed );
    CHECK_BETWEEN( simNowMs() - t0, 0U, 50U, "send with timeout 0 to a full queue fails at once" );

    t0 = simNowMs();
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 100U ), OtaOsEventQueueSendFailed );
    CHECK_BETWEEN( simNowMs() - t0, 100U, 100U + SLACK_MS, "send with timeout 100 to a full queue fails after 100 ms" );

    op.delayMs = 100U;
    op.receive = 1;
    t0 = simNowMs();
    startDelayedQueueOp( &op );
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 2000U ), OtaOsSuccess );
    CHECK_BETWEEN( simNowMs() - t0, 100U, 100U + SLACK_MS,
                   "send with timeout 2000 succeeds once another task makes room" );
    SIM_CHECK( waitDelayedQueueOp() && ( op.status == OtaOsSuccess ) &&
               ( op.msg.eventId == OtaAgentEventStart ),
               "... and that task received the oldest event" );

    allReceived = 1;

    for( i = 1; i < OTA_NUM_MSG_Q_ENTRIES; i++ )
    {
        if( OtaReceiveEvent_FreeRTOS( NULL, &got, 10U ) != OtaOsSuccess )
        {
            allReceived = 0;
        }
        else if( got.eventId != ( OtaEvent_t ) ( i % ( uint32_t ) OtaAgentEventMax ) )
        {
            inOrder = 0;
        }
    }

    SIM_CHECK( allReceived && inOrder, "the queued events come out in the order they were sent" );
    SIM_CHECK( ( OtaReceiveEvent_FreeRTOS( NULL, &got, 10U ) == OtaOsSuccess ) &&
               ( got.eventId == OtaAgentEventShutdown ), "the late event comes out last" );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &got, 10U ), OtaOsEventQueueReceiveFailed );

    simSection( "event queue: init again, deinit, re-create" );
    msg = message( OtaAgentEventSuspend, NULL );
    ( void ) OtaSendEvent_FreeRTOS( NULL, &msg, 0U );
    CHECK_STATUS( OtaInitEvent_FreeRTOS( NULL ), OtaOsSuccess );
    CHECK_STATUS( OtaReceiveEvent_FreeRTOS( NULL, &got, 50U ), OtaOsEventQueueReceiveFailed );
    CHECK_STATUS( OtaDeinitEvent_FreeRTOS( NULL ), OtaOsSuccess );
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ), OtaOsEventQueueSendFailed );
    CHECK_STATUS( OtaDeinitEvent_FreeRTOS( NULL ), OtaOsSuccess );
    CHECK_STATUS( OtaInitEvent_FreeRTOS( NULL ), OtaOsSuccess );
    CHECK_STATUS( OtaSendEvent_FreeRTOS( NULL, &msg, 0U ), OtaOsSuccess );
    SIM_CHECK( ( OtaReceiveEvent_FreeRTOS( NULL, &got, 50U ) == OtaOsSuccess ) &&
               ( got.eventId == OtaAgentEventSuspend ), "the re-created queue carries events" );
    CHECK_STATUS( OtaDeinitEvent_FreeRTOS( NULL ), OtaOsSuccess );
}

static void testTimerStatusCodes( void )
{
    simSection( "timers: v2.0.0 status codes without a timer" );
    CHECK_STATUS( OtaStopTimer_FreeRTOS( OtaRequestTimer ), OtaOsSuccess );
    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaRequestTimer ), OtaOsTimerDeleteFailed );
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaNumOfTimers, "bad", 100U, callbackA ), OtaOsTimerCreateFailed );
    CHECK_STATUS( OtaStopTimer_FreeRTOS( OtaNumOfTimers ), OtaOsTimerStopFailed );
    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaNumOfTimers ), OtaOsTimerDeleteFailed );
}

static void checkExpiry( OtaTimerId_t id,
                         char callback,
                         uint32_t startedMs,
                         uint32_t timeoutMs,
                         const char * pWhat )
{
    Expiry_t e;
    int fired = nextExpiry( &e, timeoutMs + SLACK_MS + 1000U );

    ( void ) snprintf( text, sizeof( text ), "%s: fired, with id %s, callback %c", pWhat,
                       ( id == OtaRequestTimer ) ? "OtaRequestTimer" : "OtaSelfTestTimer", callback );
    SIM_CHECK( fired && ( e.id == id ) && ( e.callback == callback ), text );

    if( fired )
    {
        CHECK_BETWEEN( e.atMs - startedMs, timeoutMs, timeoutMs + SLACK_MS, pWhat );
    }
}

static void testTimersFire( void )
{
    Expiry_t first;
    Expiry_t second;
    uint32_t t0;

    simSection( "timers: expiry" );
    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 100U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'A', t0, 100U, "request timer of 100 ms" );
    SIM_CHECK( noExpiryWithin( 300U ), "it is one-shot: no second expiry" );

    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaSelfTestTimer, "OtaSelfTest", 150U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaSelfTestTimer, 'A', t0, 150U, "self-test timer of 150 ms" );

    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 300U, callbackA ), OtaOsSuccess );
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaSelfTestTimer, "OtaSelfTest", 100U, callbackB ), OtaOsSuccess );
    SIM_CHECK( nextExpiry( &first, 2000U ) && nextExpiry( &second, 2000U ) &&
               ( first.id == OtaSelfTestTimer ) && ( first.callback == 'B' ) &&
               ( second.id == OtaRequestTimer ) && ( second.callback == 'A' ),
               "both timers run at once: self-test (100 ms) then request (300 ms), each with its id" );

    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 0U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'A', t0, 0U, "a timeout of 0 ms expires at the next tick" );
}

static void testTimersRestart( void )
{
    uint32_t t0;
    uint32_t t1;

    simSection( "timers: restart re-arms" );
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 300U, callbackA ), OtaOsSuccess );
    vTaskDelay( pdMS_TO_TICKS( 200U ) );
    t1 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 300U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'A', t1, 300U, "restarted 200 ms in: expiry 300 ms after the restart" );
    SIM_CHECK( noExpiryWithin( 300U ), "... and only once" );

    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 5000U, callbackA ), OtaOsSuccess );
    t1 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 100U, callbackB ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'B', t1, 100U,
                 "restart of a 5 s timer with 100 ms and another callback: new period and callback" );
    SIM_CHECK( noExpiryWithin( 300U ), "the old callback never runs" );

    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 100U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'A', t0, 100U, "starting an expired timer arms it again" );

    rearmsLeft = 1;
    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaSelfTestTimer, "OtaSelfTest", 50U, callbackRearm ), OtaOsSuccess );
    checkExpiry( OtaSelfTestTimer, 'R', t0, 50U, "a callback that restarts its own timer" );
    checkExpiry( OtaSelfTestTimer, 'R', t0, 100U, "... from the timer task, fires once more" );
    SIM_CHECK( noExpiryWithin( 200U ), "... and then stays quiet" );
}

static void testTimersStop( void )
{
    uint32_t t0;

    simSection( "timers: stop" );
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 100U, callbackA ), OtaOsSuccess );
    CHECK_STATUS( OtaStopTimer_FreeRTOS( OtaRequestTimer ), OtaOsSuccess );
    SIM_CHECK( noExpiryWithin( 400U ), "a stopped timer does not fire" );
    CHECK_STATUS( OtaStopTimer_FreeRTOS( OtaRequestTimer ), OtaOsSuccess );

    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaRequestTimer, "OtaRequest", 100U, callbackA ), OtaOsSuccess );
    checkExpiry( OtaRequestTimer, 'A', t0, 100U, "a stopped timer starts again" );
}

static void testTimersDelete( void )
{
    uint32_t t0;

    simSection( "timers: delete" );
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaSelfTestTimer, "OtaSelfTest", 100U, callbackA ), OtaOsSuccess );
    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaSelfTestTimer ), OtaOsSuccess );
    SIM_CHECK( noExpiryWithin( 400U ), "a deleted timer does not fire" );
    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaSelfTestTimer ), OtaOsTimerDeleteFailed );
    CHECK_STATUS( OtaStopTimer_FreeRTOS( OtaSelfTestTimer ), OtaOsSuccess );

    t0 = simNowMs();
    CHECK_STATUS( OtaStartTimer_FreeRTOS( OtaSelfTestTimer, "OtaSelfTest", 100U, callbackB ), OtaOsSuccess );
    checkExpiry( OtaSelfTestTimer, 'B', t0, 100U, "a deleted timer can be started (created) again" );

    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaRequestTimer ), OtaOsSuccess );
    CHECK_STATUS( OtaDeleteTimer_FreeRTOS( OtaSelfTestTimer ), OtaOsSuccess );
    SIM_CHECK( noExpiryWithin( 200U ), "nothing fires after both timers are deleted" );
}

void simRunTests( void )
{
    expiries = xQueueCreate( 8, sizeof( Expiry_t ) );
    configASSERT( expiries != NULL );

    #if ( OTA_OS_FREERTOS_DYNAMIC_ALLOCATION == 1 )
        printf( "ota_os_freertos.c built with kernel objects on the FreeRTOS heap\n" );
    #else
        printf( "ota_os_freertos.c built with kernel objects in static storage\n" );
    #endif

    testMemory();
    testQueueBeforeInit();
    testQueue();
    testTimerStatusCodes();
    testTimersFire();
    testTimersRestart();
    testTimersStop();
    testTimersDelete();
}
