/* ota-rs c_tests: the scripted world around the OTA agent (see harness.h). SPDX-License-Identifier: MIT */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "harness.h"
#include "ota_ext.h"

/* ---- the record ----------------------------------------------------------------------- */

typedef struct
{
    unsigned category;
    char * pLine;
    uint8_t * pData; /* publish payload */
    size_t len;
    char * pTopic;   /* publish topic */
} Record_t;

static pthread_mutex_t recordLock = PTHREAD_MUTEX_INITIALIZER;
static Record_t * records;
static size_t recordCount;
static size_t recordCap;
static size_t recordMark;

static pthread_mutex_t anomalyLock = PTHREAD_MUTEX_INITIALIZER;
static unsigned anomalyCount;

static void anomaly( const char * pFormat, ... )
{
    va_list args;

    pthread_mutex_lock( &anomalyLock );
    anomalyCount++;
    fprintf( stderr, "harness anomaly: " );
    va_start( args, pFormat );
    vfprintf( stderr, pFormat, args );
    va_end( args );
    fprintf( stderr, "\n" );
    pthread_mutex_unlock( &anomalyLock );
}

unsigned h_anomalies( void )
{
    unsigned n;

    pthread_mutex_lock( &anomalyLock );
    n = anomalyCount;
    pthread_mutex_unlock( &anomalyLock );
    return n;
}

/* ---- fault injection (state; the interfaces below ask fault_take) ------------------------ */

static pthread_mutex_t faultLock = PTHREAD_MUTEX_INITIALIZER;
static unsigned faultCalls[ HK_KINDS ];
static int faultKind = -1;
static unsigned faultAt;
static bool faultFired;
static char faultLine[ 1024 ];
static __thread bool faultLinePending; /* the next record of this thread is the failed call */

static const char * const kindNames[ HK_KINDS ] =
{
    "publish",   "subscribe",  "unsubscribe", "timer.start",       "timer.stop",        "timer.delete",
    "send",      "malloc",     "pal.create",  "pal.write",         "pal.close",         "pal.activate",
    "pal.set_state", "pal.get_state", "pal.reset", "pal.abort", "http.init",  "http.request",
    "http.deinit"
};

const char * h_kind_name( HKind_t kind )
{
    return ( ( unsigned ) kind < HK_KINDS ) ? kindNames[ kind ] : "?";
}

/* Counts a call of this kind; true when it is the one that fails. */
static bool fault_take( HKind_t kind )
{
    bool fail = false;

    pthread_mutex_lock( &faultLock );
    faultCalls[ kind ]++;

    if( ( faultKind == ( int ) kind ) && ( faultAt != 0U ) && ( faultCalls[ kind ] == faultAt ) )
    {
        fail = true;
        faultFired = true;
        faultLinePending = true;
    }

    pthread_mutex_unlock( &faultLock );
    return fail;
}

static void fault_clear( void )
{
    pthread_mutex_lock( &faultLock );
    memset( faultCalls, 0, sizeof( faultCalls ) );
    faultKind = -1;
    faultAt = 0;
    faultFired = false;
    faultLine[ 0 ] = '\0';
    pthread_mutex_unlock( &faultLock );
}

void h_fault( HKind_t kind, unsigned n )
{
    pthread_mutex_lock( &faultLock );
    faultKind = ( int ) kind;
    faultAt = n;
    faultFired = false;
    faultLine[ 0 ] = '\0';
    pthread_mutex_unlock( &faultLock );
}

unsigned h_calls( HKind_t kind )
{
    unsigned n;

    pthread_mutex_lock( &faultLock );
    n = ( ( unsigned ) kind < HK_KINDS ) ? faultCalls[ kind ] : 0U;
    pthread_mutex_unlock( &faultLock );
    return n;
}

bool h_fault_fired( char * pLine, size_t cap )
{
    bool fired;

    pthread_mutex_lock( &faultLock );
    fired = faultFired;

    if( ( pLine != NULL ) && ( cap > 0U ) )
    {
        ( void ) snprintf( pLine, cap, "%s", fired ? faultLine : "" );
    }

    pthread_mutex_unlock( &faultLock );
    return fired;
}

static char * copy_text( const char * pText, size_t len )
{
    char * p = malloc( len + 1U );

    if( p == NULL )
    {
        abort();
    }

    memcpy( p, pText, len );
    p[ len ] = '\0';
    return p;
}

static void record_with( unsigned category, const char * pTopic, const uint8_t * pData, size_t len,
                         const char * pFormat, ... )
{
    char line[ 1024 ];
    va_list args;
    Record_t * r;

    va_start( args, pFormat );
    ( void ) vsnprintf( line, sizeof( line ), pFormat, args );
    va_end( args );

    if( faultLinePending )
    {
        faultLinePending = false;
        pthread_mutex_lock( &faultLock );
        ( void ) snprintf( faultLine, sizeof( faultLine ), "%s", line );
        pthread_mutex_unlock( &faultLock );
    }

    if( h_cfg.hook != NULL )
    {
        h_cfg.hook( line );
    }

    pthread_mutex_lock( &recordLock );

    if( recordCount == recordCap )
    {
        recordCap = ( recordCap == 0U ) ? 256U : recordCap * 2U;
        records = realloc( records, recordCap * sizeof( *records ) );

        if( records == NULL )
        {
            abort();
        }
    }

    r = &records[ recordCount++ ];
    r->category = category;
    r->pLine = copy_text( line, strlen( line ) );
    r->pTopic = ( pTopic != NULL ) ? copy_text( pTopic, strlen( pTopic ) ) : NULL;
    r->pData = NULL;
    r->len = len;

    if( pData != NULL )
    {
        r->pData = malloc( len + 1U );

        if( r->pData == NULL )
        {
            abort();
        }

        memcpy( r->pData, pData, len );
    }

    pthread_mutex_unlock( &recordLock );
}

#define record( category, ... )    record_with( ( category ), NULL, NULL, 0U, __VA_ARGS__ )

static void clear_records( void )
{
    size_t i;

    pthread_mutex_lock( &recordLock );

    for( i = 0; i < recordCount; i++ )
    {
        free( records[ i ].pLine );
        free( records[ i ].pData );
        free( records[ i ].pTopic );
    }

    free( records );
    records = NULL;
    recordCount = 0;
    recordCap = 0;
    recordMark = 0;
    pthread_mutex_unlock( &recordLock );
}

void h_mark( void )
{
    pthread_mutex_lock( &recordLock );
    recordMark = recordCount;
    pthread_mutex_unlock( &recordLock );
}

size_t h_record_total( void )
{
    size_t n;

    pthread_mutex_lock( &recordLock );
    n = recordCount;
    pthread_mutex_unlock( &recordLock );
    return n;
}

bool h_record_at( size_t i, char * pLine, size_t cap, unsigned * pCategory )
{
    bool have;

    pthread_mutex_lock( &recordLock );
    have = i < recordCount;

    if( have )
    {
        ( void ) snprintf( pLine, cap, "%s", records[ i ].pLine );

        if( pCategory != NULL )
        {
            *pCategory = records[ i ].category;
        }
    }

    pthread_mutex_unlock( &recordLock );
    return have;
}

unsigned h_count( unsigned mask, const char * pPrefix )
{
    unsigned n = 0;
    size_t i;

    pthread_mutex_lock( &recordLock );

    for( i = recordMark; i < recordCount; i++ )
    {
        if( ( ( records[ i ].category & mask ) != 0U ) &&
            ( ( pPrefix == NULL ) || ( strncmp( records[ i ].pLine, pPrefix, strlen( pPrefix ) ) == 0 ) ) )
        {
            n++;
        }
    }

    pthread_mutex_unlock( &recordLock );
    return n;
}

void h_dump( unsigned mask )
{
    size_t i;

    pthread_mutex_lock( &recordLock );

    for( i = recordMark; i < recordCount; i++ )
    {
        if( ( records[ i ].category & mask ) != 0U )
        {
            fprintf( stderr, "    %s\n", records[ i ].pLine );
        }
    }

    pthread_mutex_unlock( &recordLock );
}

bool h_expect_lines( unsigned mask, const char * const * ppLines, const char * pFile, int line )
{
    size_t i;
    size_t want = 0;
    size_t k = 0;
    bool same = true;

    while( ppLines[ want ] != NULL )
    {
        want++;
    }

    pthread_mutex_lock( &recordLock );

    for( i = recordMark; i < recordCount; i++ )
    {
        if( ( records[ i ].category & mask ) == 0U )
        {
            continue;
        }

        if( ( k >= want ) || ( strcmp( records[ i ].pLine, ppLines[ k ] ) != 0 ) )
        {
            same = false;
        }

        k++;
    }

    if( k != want )
    {
        same = false;
    }

    if( !same )
    {
        fprintf( stderr, "%s:%d: recorded traffic differs from the expected\n", pFile, line );
        fprintf( stderr, "  expected (%zu):\n", want );

        for( k = 0; k < want; k++ )
        {
            fprintf( stderr, "    %s\n", ppLines[ k ] );
        }

        fprintf( stderr, "  recorded:\n" );
        k = 0;

        for( i = recordMark; i < recordCount; i++ )
        {
            if( ( records[ i ].category & mask ) != 0U )
            {
                bool match = ( k < want ) && ( strcmp( records[ i ].pLine, ppLines[ k ] ) == 0 );
                fprintf( stderr, "  %s %s\n", match ? " " : "!", records[ i ].pLine );
                k++;
            }
        }
    }

    recordMark = recordCount;
    pthread_mutex_unlock( &recordLock );
    return same;
}

const uint8_t * h_published( const char * pTopicSuffix, unsigned n, size_t * pLen )
{
    const uint8_t * p = NULL;
    size_t i;
    size_t suffixLen = strlen( pTopicSuffix );

    pthread_mutex_lock( &recordLock );

    for( i = recordMark; i < recordCount; i++ )
    {
        const Record_t * r = &records[ i ];
        size_t topicLen;

        if( ( r->pTopic == NULL ) || ( r->pData == NULL ) )
        {
            continue;
        }

        topicLen = strlen( r->pTopic );

        if( ( topicLen >= suffixLen ) && ( strcmp( r->pTopic + topicLen - suffixLen, pTopicSuffix ) == 0 ) )
        {
            if( n == 0U )
            {
                p = r->pData;
                *pLen = r->len;
                break;
            }

            n--;
        }
    }

    pthread_mutex_unlock( &recordLock );
    return p;
}

/* ---- names ---------------------------------------------------------------------------- */

static const char * timer_name( OtaTimerId_t id )
{
    switch( id )
    {
        case OtaRequestTimer:
            return "request";

        case OtaSelfTestTimer:
            return "selftest";

        default:
            return "?";
    }
}

static const char * image_state_name( OtaImageState_t s )
{
    switch( s )
    {
        case OtaImageStateUnknown:
            return "Unknown";

        case OtaImageStateTesting:
            return "Testing";

        case OtaImageStateAccepted:
            return "Accepted";

        case OtaImageStateRejected:
            return "Rejected";

        case OtaImageStateAborted:
            return "Aborted";

        default:
            return "?";
    }
}

static const char * job_event_name( OtaJobEvent_t e )
{
    switch( e )
    {
        case OtaJobEventActivate:
            return "activate";

        case OtaJobEventFail:
            return "fail";

        case OtaJobEventStartTest:
            return "starttest";

        case OtaJobEventProcessed:
            return "processed";

        case OtaJobEventSelfTestFailed:
            return "selftestfailed";

        default:
            return "?";
    }
}

static const char * const eventNames[] =
{
    "Start",        "StartSelfTest", "RequestJobDocument", "ReceivedJobDocument", "CreateFile",
    "RequestFileBlock", "ReceivedFileBlock", "RequestTimer", "CloseFile", "Suspend",
    "Resume",       "UserAbort",     "Shutdown"
};

static const char * event_name( OtaEvent_t e )
{
    return ( ( unsigned ) e < sizeof( eventNames ) / sizeof( eventNames[ 0 ] ) ) ? eventNames[ e ] : "?";
}

/* ---- configuration and state ---------------------------------------------------------- */

HConfig_t h_cfg;
HCreateSnapshot_t h_created;

static pthread_mutex_t stateLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stateCond; /* on CLOCK_MONOTONIC, made by h_reset() */
static bool stateCondReady;

/* The event queue (guarded by stateLock). */
#define QUEUE_MAX    64U
static OtaEventMsg_t queue[ QUEUE_MAX ];
static unsigned queueHead;
static unsigned queueCount;
static bool taskWaiting; /* the task waits in receive with the queue empty */
static bool taskRunning;
static bool taskReturned;
static pthread_t taskThread;

/* Timers (guarded by stateLock). */
static bool timerRunning[ OtaNumOfTimers ];
static OtaTimerCallback_t timerCallback[ OtaNumOfTimers ];
static OtaTimerCallback_t lastTimerCallback[ OtaNumOfTimers ];

/* Memory (guarded by memLock). */
static pthread_mutex_t memLock = PTHREAD_MUTEX_INITIALIZER;
#define LIVE_MAX    512U
static void * livePointers[ LIVE_MAX ];
static unsigned liveCount;
static unsigned mallocCalls;
static unsigned mallocFailIn;

/* The PAL's storage. */
#define FLASH_MAX    ( 1024U * 1024U )
static uint8_t flash[ FLASH_MAX ];
static uint32_t flashHigh;
static unsigned writeCalls;
static int fileHandleObject;
/* h_reboot() keeps the flash across its h_reset(). */
static bool keepFlash;

/* Event buffers. */
#define POOL_SIZE    8U
static OtaEventData_t pool[ POOL_SIZE ];
static bool poolUsed[ POOL_SIZE ];
static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;

static unsigned callbackCounts[ 8 ];
OtaErr_t h_activate_result;
OtaErr_t h_accept_result;

OtaInterfaces_t h_interfaces;

/* ---- OS: event queue -------------------------------------------------------------------- */

static OtaOsStatus_t q_init( OtaEventContext_t * pCtx )
{
    ( void ) pCtx;
    record( H_QUEUE, "queue.init" );
    return OtaOsSuccess;
}

static unsigned queueReserved; /* sends recorded but not yet in the queue (stateLock) */

static OtaOsStatus_t q_send( OtaEventContext_t * pCtx, const void * pMsg, unsigned int timeout )
{
    OtaEventMsg_t msg;
    OtaOsStatus_t status = OtaOsSuccess;
    bool injected;

    ( void ) pCtx;
    ( void ) timeout;
    memcpy( &msg, pMsg, sizeof( msg ) );
    injected = fault_take( HK_SEND );

    /* The send is recorded before the event enters the queue, so that it comes before
     * anything the agent does about it in the record (a slot is kept for it meanwhile). */
    pthread_mutex_lock( &stateLock );

    if( injected || ( queueCount + queueReserved >= h_cfg.queueCapacity ) )
    {
        status = OtaOsEventQueueSendFailed;
    }
    else
    {
        queueReserved++;
    }

    pthread_mutex_unlock( &stateLock );
    record( H_QUEUE, "send %s%s", event_name( msg.eventId ),
            injected ? " (fails)" : ( ( status == OtaOsSuccess ) ? "" : " (full)" ) );

    if( status == OtaOsSuccess )
    {
        pthread_mutex_lock( &stateLock );
        queueReserved--;
        queue[ ( queueHead + queueCount ) % QUEUE_MAX ] = msg;
        queueCount++;
        pthread_cond_broadcast( &stateCond );
        pthread_mutex_unlock( &stateLock );
    }

    return status;
}

static void deadline_in( struct timespec * pWhen, long ms )
{
    clock_gettime( CLOCK_MONOTONIC, pWhen );
    pWhen->tv_sec += ms / 1000;
    pWhen->tv_nsec += ( ms % 1000 ) * 1000000L;

    if( pWhen->tv_nsec >= 1000000000L )
    {
        pWhen->tv_sec++;
        pWhen->tv_nsec -= 1000000000L;
    }
}

static OtaOsStatus_t q_recv( OtaEventContext_t * pCtx, void * pMsg, uint32_t timeout )
{
    OtaOsStatus_t status = OtaOsEventQueueReceiveFailed;
    struct timespec until;

    ( void ) pCtx;
    ( void ) timeout;
    pthread_mutex_lock( &stateLock );

    if( queueCount == 0U )
    {
        taskWaiting = true;
        pthread_cond_broadcast( &stateCond );
        deadline_in( &until, 20 );

        while( queueCount == 0U )
        {
            if( pthread_cond_timedwait( &stateCond, &stateLock, &until ) == ETIMEDOUT )
            {
                break;
            }
        }
    }

    if( queueCount > 0U )
    {
        memcpy( pMsg, &queue[ queueHead ], sizeof( OtaEventMsg_t ) );
        queueHead = ( queueHead + 1U ) % QUEUE_MAX;
        queueCount--;
        taskWaiting = false;
        status = OtaOsSuccess;
    }

    pthread_mutex_unlock( &stateLock );
    return status;
}

static OtaOsStatus_t q_deinit( OtaEventContext_t * pCtx )
{
    ( void ) pCtx;
    record( H_QUEUE, "queue.deinit" );
    return OtaOsSuccess;
}

/* ---- OS: timers ------------------------------------------------------------------------- */

static OtaOsStatus_t t_start( OtaTimerId_t id, const char * const pName, const uint32_t timeout,
                              OtaTimerCallback_t callback )
{
    bool fail = ( h_cfg.timerStartFailId == ( int ) id );

    if( ( pName == NULL ) || ( callback == NULL ) || ( ( unsigned ) id >= OtaNumOfTimers ) )
    {
        anomaly( "timer.start with id %d, name %p, callback %p", ( int ) id, ( const void * ) pName,
                 ( void * ) ( uintptr_t ) callback );
        return OtaOsTimerStartFailed;
    }

    fail = fault_take( HK_TIMER_START ) || fail;
    record( H_TIMER, "timer.start %s %u%s", timer_name( id ), ( unsigned ) timeout, fail ? " (fails)" : "" );

    if( fail )
    {
        return OtaOsTimerStartFailed;
    }

    pthread_mutex_lock( &stateLock );
    timerRunning[ id ] = true;
    timerCallback[ id ] = callback;
    lastTimerCallback[ id ] = callback;
    pthread_mutex_unlock( &stateLock );
    return OtaOsSuccess;
}

static OtaOsStatus_t t_stop( OtaTimerId_t id )
{
    bool fail = fault_take( HK_TIMER_STOP );

    record( H_TIMER, "timer.stop %s%s", timer_name( id ), fail ? " (fails)" : "" );

    if( fail )
    {
        return OtaOsTimerStopFailed; /* the timer keeps running */
    }

    if( ( unsigned ) id < OtaNumOfTimers )
    {
        pthread_mutex_lock( &stateLock );
        timerRunning[ id ] = false;
        pthread_mutex_unlock( &stateLock );
    }

    return OtaOsSuccess;
}

static OtaOsStatus_t t_delete( OtaTimerId_t id )
{
    bool fail = fault_take( HK_TIMER_DELETE );

    record( H_TIMER, "timer.delete %s%s", timer_name( id ), fail ? " (fails)" : "" );

    if( fail )
    {
        return OtaOsTimerDeleteFailed; /* the timer is still there, running if it ran */
    }

    if( ( unsigned ) id < OtaNumOfTimers )
    {
        pthread_mutex_lock( &stateLock );
        timerRunning[ id ] = false;
        timerCallback[ id ] = NULL;
        pthread_mutex_unlock( &stateLock );
    }

    return OtaOsSuccess;
}

bool h_timer_running( OtaTimerId_t id )
{
    bool running;

    pthread_mutex_lock( &stateLock );
    running = timerRunning[ id ];
    pthread_mutex_unlock( &stateLock );
    return running;
}

OtaTimerCallback_t h_last_timer_callback( OtaTimerId_t id )
{
    OtaTimerCallback_t cb;

    pthread_mutex_lock( &stateLock );
    cb = lastTimerCallback[ id ];
    pthread_mutex_unlock( &stateLock );
    return cb;
}

bool h_fire_timer( OtaTimerId_t id )
{
    OtaTimerCallback_t cb = NULL;

    pthread_mutex_lock( &stateLock );

    if( timerRunning[ id ] )
    {
        timerRunning[ id ] = false;
        cb = timerCallback[ id ];
    }

    pthread_mutex_unlock( &stateLock );

    if( cb != NULL )
    {
        cb( id );
    }

    return cb != NULL;
}

/* ---- OS: memory ------------------------------------------------------------------------- */

static void * m_malloc( size_t size )
{
    void * p = NULL;
    bool fail = false;

    fail = fault_take( HK_MALLOC );
    pthread_mutex_lock( &memLock );
    mallocCalls++;

    if( mallocFailIn > 0U )
    {
        mallocFailIn--;
        fail = fail || ( mallocFailIn == 0U );
    }

    if( !fail )
    {
        p = malloc( size );

        if( p != NULL )
        {
            if( liveCount < LIVE_MAX )
            {
                livePointers[ liveCount++ ] = p;
            }
            else
            {
                anomaly( "more than %u live allocations", LIVE_MAX );
            }
        }
    }

    pthread_mutex_unlock( &memLock );
    record( H_MEM, "malloc %zu%s", size, fail ? " -> NULL" : "" );
    return p;
}

static void m_free( void * p )
{
    unsigned i;
    bool known = false;

    record( H_MEM, "free%s", ( p == NULL ) ? " NULL" : "" );

    if( p == NULL )
    {
        return;
    }

    pthread_mutex_lock( &memLock );

    for( i = 0; i < liveCount; i++ )
    {
        if( livePointers[ i ] == p )
        {
            livePointers[ i ] = livePointers[ --liveCount ];
            known = true;
            break;
        }
    }

    pthread_mutex_unlock( &memLock );

    if( known )
    {
        free( p );
    }
    else
    {
        anomaly( "free of %p, which the OS interface did not allocate (or freed already)", p );
    }
}

unsigned h_live_allocations( void )
{
    unsigned n;

    pthread_mutex_lock( &memLock );
    n = liveCount;
    pthread_mutex_unlock( &memLock );
    return n;
}

unsigned h_malloc_calls( void )
{
    unsigned n;

    pthread_mutex_lock( &memLock );
    n = mallocCalls;
    pthread_mutex_unlock( &memLock );
    return n;
}

void h_fail_malloc( unsigned n )
{
    pthread_mutex_lock( &memLock );
    mallocFailIn = n;
    pthread_mutex_unlock( &memLock );
}

/* ---- MQTT ------------------------------------------------------------------------------- */

/* The topic as text, checking the length the agent gave and the NUL v2.0.0 puts after it. */
static char * topic_text( const char * pTopic, uint16_t len, const char * pWhat )
{
    if( pTopic == NULL )
    {
        anomaly( "%s with a NULL topic", pWhat );
        return copy_text( "(null)", 6 );
    }

    if( ( pTopic[ len ] != '\0' ) || ( strlen( pTopic ) != len ) )
    {
        anomaly( "%s topic length %u does not match its text", pWhat, ( unsigned ) len );
    }

    return copy_text( pTopic, len );
}

static bool take_failure( int * pCounter )
{
    bool fail = false;

    pthread_mutex_lock( &stateLock );

    if( *pCounter < 0 )
    {
        fail = true;
    }
    else if( *pCounter > 0 )
    {
        ( *pCounter )--;
        fail = true;
    }

    pthread_mutex_unlock( &stateLock );
    return fail;
}

static OtaMqttStatus_t mq_subscribe( const char * pTopic, uint16_t len, uint8_t qos )
{
    char * t = topic_text( pTopic, len, "subscribe" );
    bool fail = take_failure( &h_cfg.subscribeFailures );

    fail = fault_take( HK_SUBSCRIBE ) || fail;

    record( H_MQTT, "sub %s q%u%s", t, ( unsigned ) qos, fail ? " (fails)" : "" );
    free( t );
    return fail ? OtaMqttSubscribeFailed : OtaMqttSuccess;
}

static OtaMqttStatus_t mq_unsubscribe( const char * pTopic, uint16_t len, uint8_t qos )
{
    char * t = topic_text( pTopic, len, "unsubscribe" );
    bool fail = fault_take( HK_UNSUBSCRIBE );

    record( H_MQTT, "unsub %s q%u%s", t, ( unsigned ) qos, fail ? " (fails)" : "" );
    free( t );
    return fail ? OtaMqttUnsubscribeFailed : OtaMqttSuccess;
}

static void hex_into( char * pOut, size_t cap, const uint8_t * pData, size_t len )
{
    size_t i;

    pOut[ 0 ] = '\0';

    for( i = 0; ( i < len ) && ( ( 2U * i ) + 3U <= cap ); i++ )
    {
        ( void ) snprintf( pOut + ( 2U * i ), 3, "%02x", pData[ i ] );
    }
}

static OtaMqttStatus_t mq_publish( const char * const pTopic, uint16_t topicLen, const char * pMsg,
                                   uint32_t msgLen, uint8_t qos )
{
    char * t = topic_text( pTopic, topicLen, "publish" );
    char body[ 700 ];
    size_t tl = strlen( t );
    bool fail = take_failure( &h_cfg.publishFailures );

    fail = fault_take( HK_PUBLISH ) || fail;

    if( ( h_cfg.publishFailTopic != NULL ) && ( strstr( t, h_cfg.publishFailTopic ) != NULL ) )
    {
        fail = true;
    }

    if( ( pMsg == NULL ) && ( msgLen > 0U ) )
    {
        anomaly( "publish of %u bytes from NULL", ( unsigned ) msgLen );
        msgLen = 0;
    }

    if( ( tl > 9U ) && ( strcmp( t + tl - 9U, "/get/cbor" ) == 0 ) )
    {
        HRequest_t r;
        char bits[ 260 ];

        if( h_decode_request( ( const uint8_t * ) pMsg, msgLen, &r ) )
        {
            hex_into( bits, sizeof( bits ), r.b, r.bLen );
            ( void ) snprintf( body, sizeof( body ), "req c=%s f=%u l=%u o=%u b=%s n=%u", r.c,
                               ( unsigned ) r.f, ( unsigned ) r.l, ( unsigned ) r.o, bits, ( unsigned ) r.n );
        }
        else
        {
            char hex[ 600 ];
            hex_into( hex, sizeof( hex ), ( const uint8_t * ) pMsg, msgLen );
            ( void ) snprintf( body, sizeof( body ), "cbor? %s", hex );
        }
    }
    else
    {
        size_t n = ( msgLen < sizeof( body ) - 1U ) ? msgLen : sizeof( body ) - 1U;
        memcpy( body, pMsg, n );
        body[ n ] = '\0';

        if( strlen( body ) != msgLen )
        {
            anomaly( "publish payload of %u bytes holds a NUL or is too long", ( unsigned ) msgLen );
        }
    }

    record_with( H_MQTT, t, ( const uint8_t * ) pMsg, msgLen, "pub %s q%u %s%s", t, ( unsigned ) qos, body,
                 fail ? " (fails)" : "" );
    free( t );
    return fail ? OtaMqttPublishFailed : OtaMqttSuccess;
}

/* ---- HTTP ------------------------------------------------------------------------------- */

static OtaHttpStatus_t http_init( char * pUrl )
{
    bool fail = fault_take( HK_HTTP_INIT );

    record( H_HTTP, "http.init %s%s", ( pUrl != NULL ) ? pUrl : "(null)", fail ? " (fails)" : "" );

    if( pUrl == NULL )
    {
        anomaly( "http.init with a NULL URL" );
    }

    return fail ? OtaHttpInitFailed : h_cfg.httpInitStatus;
}

static OtaHttpStatus_t http_request( uint32_t start, uint32_t end )
{
    bool fail = fault_take( HK_HTTP_REQUEST );

    record( H_HTTP, "http.req %u-%u%s", ( unsigned ) start, ( unsigned ) end, fail ? " (fails)" : "" );
    return fail ? OtaHttpRequestFailed : h_cfg.httpRequestStatus;
}

static OtaHttpStatus_t http_deinit( void )
{
    bool fail = fault_take( HK_HTTP_DEINIT );

    record( H_HTTP, "http.deinit%s", fail ? " (fails)" : "" );
    return fail ? OtaHttpDeinitFailed : OtaHttpSuccess;
}

/* ---- PAL -------------------------------------------------------------------------------- */

static void check_context( const OtaFileContext_t * pCtx, const char * pWhat )
{
    if( pCtx == NULL )
    {
        anomaly( "%s with a NULL file context", pWhat );
    }
}

static OtaPalStatus_t pal_abort( OtaFileContext_t * const pCtx )
{
    bool fail = fault_take( HK_PAL_ABORT );

    check_context( pCtx, "pal.abort" );
    record( H_PAL, "pal.abort%s", fail ? " (fails)" : "" );

    if( fail )
    {
        return OTA_PAL_COMBINE_ERR( OtaPalFileAbort, 0 );
    }

    if( pCtx != NULL )
    {
        pCtx->pFile = NULL;
    }

    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static void copy_c_string( char * pOut, size_t cap, const uint8_t * pIn )
{
    if( pIn == NULL )
    {
        pOut[ 0 ] = '\0';
    }
    else
    {
        ( void ) snprintf( pOut, cap, "%s", ( const char * ) pIn );
    }
}

static void snapshot( const OtaFileContext_t * pCtx, HCreateSnapshot_t * pOut )
{
    memset( pOut, 0, sizeof( *pOut ) );
    pOut->fileSize = pCtx->fileSize;
    pOut->serverFileID = pCtx->serverFileID;

    if( pCtx->pSignature != NULL )
    {
        pOut->signatureSize = pCtx->pSignature->size;
        memcpy( pOut->signature, pCtx->pSignature->data, sizeof( pOut->signature ) );
    }

    copy_c_string( pOut->filePath, sizeof( pOut->filePath ), pCtx->pFilePath );
    copy_c_string( pOut->certFile, sizeof( pOut->certFile ), pCtx->pCertFilepath );
    copy_c_string( pOut->streamName, sizeof( pOut->streamName ), pCtx->pStreamName );
    pOut->havePath = ( pCtx->pFilePath != NULL );
}

static OtaPalStatus_t pal_create( OtaFileContext_t * const pCtx )
{
    OtaPalStatus_t status = h_cfg.createStatus;

    if( fault_take( HK_PAL_CREATE ) )
    {
        status = OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 0 );
    }

    check_context( pCtx, "pal.create" );
    record( H_PAL, "pal.create%s", ( OTA_PAL_MAIN_ERR( status ) == OtaPalSuccess ) ? "" : " (fails)" );

    if( pCtx == NULL )
    {
        return OTA_PAL_COMBINE_ERR( OtaPalNullFileContext, 0 );
    }

    snapshot( pCtx, &h_created );

    if( OTA_PAL_MAIN_ERR( status ) == OtaPalSuccess )
    {
        memset( flash, 0, sizeof( flash ) );
        flashHigh = 0;
        pCtx->pFile = ( void * ) &fileHandleObject;
    }

    return status;
}

/* ---- resume: the record store and the PAL's hooks --------------------------------------- */

HResumeConfig_t h_resume_cfg;
static uint8_t resumeStore[ 2U * OTA_EXT_RESUME_RECORD_MAX_SIZE ];
static size_t resumeStoreLen;
static uint8_t resumeBuffer[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];
static OtaResumeInterface_t resumeTable;

static bool resume_save( const uint8_t * pRecord,
                         uint32_t recordSize )
{
    record( H_RESUME, "resume.save %u%s", ( unsigned ) recordSize, h_resume_cfg.saveFails ? " (fails)" : "" );

    if( ( pRecord == NULL ) || ( recordSize > sizeof( resumeStore ) ) )
    {
        anomaly( "resume.save of %u bytes from %p", ( unsigned ) recordSize, ( const void * ) pRecord );
        return false;
    }

    if( h_resume_cfg.saveFails )
    {
        return false;
    }

    memcpy( resumeStore, pRecord, recordSize );
    resumeStoreLen = recordSize;
    return true;
}

static uint32_t resume_load( uint8_t * pBuffer,
                             uint32_t bufferSize )
{
    uint32_t n = ( resumeStoreLen <= bufferSize ) ? ( uint32_t ) resumeStoreLen : 0U;

    record( H_RESUME, "resume.load %u", ( unsigned ) n );

    if( pBuffer == NULL )
    {
        anomaly( "resume.load into NULL" );
        return 0;
    }

    memcpy( pBuffer, resumeStore, n );
    return n;
}

static bool resume_erase( void )
{
    record( H_RESUME, "resume.erase" );
    resumeStoreLen = 0;
    return true;
}

static OtaPalStatus_t pal_reopen( OtaFileContext_t * const pCtx )
{
    OtaPalStatus_t status = h_resume_cfg.reopenStatus;

    check_context( pCtx, "pal.reopen" );
    record( H_PAL, "pal.reopen%s", ( OTA_PAL_MAIN_ERR( status ) == OtaPalSuccess ) ? "" : " (fails)" );

    if( pCtx == NULL )
    {
        return OTA_PAL_COMBINE_ERR( OtaPalNullFileContext, 0 );
    }

    if( OTA_PAL_MAIN_ERR( status ) == OtaPalSuccess )
    {
        /* The partial file as it was: the flash keeps what was written before the reboot. */
        snapshot( pCtx, &h_created );
        pCtx->pFile = ( void * ) &fileHandleObject;
    }

    return status;
}

static OtaPalStatus_t pal_flush( OtaFileContext_t * const pCtx )
{
    check_context( pCtx, "pal.flush" );
    record( H_PAL, "pal.flush%s", ( OTA_PAL_MAIN_ERR( h_resume_cfg.flushStatus ) == OtaPalSuccess ) ? "" : " (fails)" );

    if( ( pCtx != NULL ) && ( pCtx->pFile != ( void * ) &fileHandleObject ) )
    {
        anomaly( "pal.flush of a file the PAL did not open" );
    }

    return h_resume_cfg.flushStatus;
}

OtaErr_t h_resume_register( uint32_t everyBlocks )
{
    h_resume_cfg.reopenStatus = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
    h_resume_cfg.flushStatus = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
    h_resume_cfg.saveFails = false;
    resumeTable.save = resume_save;
    resumeTable.load = resume_load;
    resumeTable.erase = resume_erase;
    resumeTable.reopenFile = pal_reopen;
    resumeTable.flushFile = pal_flush;
    resumeTable.pRecordBuffer = resumeBuffer;
    resumeTable.recordBufferSize = sizeof( resumeBuffer );
    resumeTable.saveEveryBlocks = everyBlocks;
    return OTA_EXT_SetResume( &resumeTable );
}

uint8_t * h_resume_record( size_t * pLen )
{
    *pLen = resumeStoreLen;
    return ( resumeStoreLen > 0U ) ? resumeStore : NULL;
}

void h_resume_store( const uint8_t * pRecord,
                     size_t len )
{
    resumeStoreLen = ( len <= sizeof( resumeStore ) ) ? len : 0U;

    if( resumeStoreLen > 0U )
    {
        memcpy( resumeStore, pRecord, resumeStoreLen );
    }
}

void h_reboot( void )
{
    keepFlash = true;
    h_reset();
    keepFlash = false;
}

static OtaPalStatus_t pal_close( OtaFileContext_t * const pCtx )
{
    bool fail = fault_take( HK_PAL_CLOSE );

    check_context( pCtx, "pal.close" );
    record( H_PAL, "pal.close%s", fail ? " (fails)" : "" );

    if( ( pCtx != NULL ) && ( pCtx->pFile != ( void * ) &fileHandleObject ) )
    {
        anomaly( "pal.close of a file the PAL did not create" );
    }

    if( pCtx != NULL )
    {
        HCreateSnapshot_t now;

        /* The file checked is the one created: nothing a later document said may replace it. */
        snapshot( pCtx, &now );

        if( memcmp( &now, &h_created, sizeof( now ) ) != 0 )
        {
            anomaly( "pal.close sees another file than pal.create made (%s, %u bytes, cert %s)",
                     now.filePath, ( unsigned ) now.fileSize, now.certFile );
        }
    }

    return fail ? OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0 ) : h_cfg.closeStatus;
}

static int16_t pal_write( OtaFileContext_t * const pCtx, uint32_t offset, uint8_t * const pData, uint32_t size )
{
    int16_t result = ( int16_t ) size;
    bool fail = fault_take( HK_PAL_WRITE );

    check_context( pCtx, "pal.write" );
    writeCalls++;
    record( H_PAL, "pal.write %u %u%s", ( unsigned ) offset, ( unsigned ) size, fail ? " (fails)" : "" );

    if( ( pCtx != NULL ) && ( pCtx->pFile != ( void * ) &fileHandleObject ) )
    {
        anomaly( "pal.write to a file the PAL did not create" );
    }

    if( ( pData == NULL ) || ( ( uint64_t ) offset + size > FLASH_MAX ) )
    {
        anomaly( "pal.write of %u bytes at %u from %p", ( unsigned ) size, ( unsigned ) offset, ( void * ) pData );
        return -1;
    }

    if( ( h_cfg.writeFailAt != 0U ) && ( writeCalls == h_cfg.writeFailAt ) )
    {
        result = h_cfg.writeFailResult;
    }

    if( fail )
    {
        result = -1;
    }

    if( result > 0 )
    {
        memcpy( &flash[ offset ], pData, ( size_t ) result );

        if( offset + ( uint32_t ) result > flashHigh )
        {
            flashHigh = offset + ( uint32_t ) result;
        }
    }

    return result;
}

static OtaPalStatus_t pal_activate( OtaFileContext_t * const pCtx )
{
    bool fail = fault_take( HK_PAL_ACTIVATE );

    check_context( pCtx, "pal.activate" );
    record( H_PAL, "pal.activate%s", fail ? " (fails)" : "" );
    return OTA_PAL_COMBINE_ERR( fail ? OtaPalActivateFailed : OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_reset( OtaFileContext_t * const pCtx )
{
    bool fail = fault_take( HK_PAL_RESET );

    check_context( pCtx, "pal.reset" );
    record( H_PAL, "pal.reset%s", fail ? " (fails)" : "" );
    return OTA_PAL_COMBINE_ERR( fail ? OtaPalActivateFailed : OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_set_state( OtaFileContext_t * const pCtx, OtaImageState_t state )
{
    bool fail = fault_take( HK_PAL_SET_STATE );

    check_context( pCtx, "pal.set_state" );
    record( H_PAL, "pal.set_state %s%s", image_state_name( state ), fail ? " (fails)" : "" );

    if( fail )
    {
        switch( state )
        {
            case OtaImageStateAccepted:
                return OTA_PAL_COMBINE_ERR( OtaPalCommitFailed, 0 );

            case OtaImageStateRejected:
                return OTA_PAL_COMBINE_ERR( OtaPalRejectFailed, 0 );

            case OtaImageStateAborted:
                return OTA_PAL_COMBINE_ERR( OtaPalAbortFailed, 0 );

            default:
                return OTA_PAL_COMBINE_ERR( OtaPalBadImageState, 0 );
        }
    }

    if( h_cfg.palTracksState && ( OTA_PAL_MAIN_ERR( h_cfg.setStateStatus ) == OtaPalSuccess ) )
    {
        if( state == OtaImageStateAccepted )
        {
            h_cfg.platformState = OtaPalImageStateValid;
        }
        else if( state == OtaImageStateRejected )
        {
            h_cfg.platformState = OtaPalImageStateInvalid;
        }
    }

    return h_cfg.setStateStatus;
}

static OtaPalImageState_t pal_get_state( OtaFileContext_t * const pCtx )
{
    bool fail = fault_take( HK_PAL_GET_STATE );

    check_context( pCtx, "pal.get_state" );
    record( H_GETSTATE, "pal.get_state%s", fail ? " (fails)" : "" );
    return fail ? OtaPalImageStateInvalid : h_cfg.platformState;
}

uint8_t h_image_byte( uint32_t i )
{
    return ( uint8_t ) ( ( i * 31U ) ^ ( i >> 8 ) ^ 0x5aU );
}

bool h_flash_matches_image( uint32_t fileSize )
{
    uint32_t i;

    if( ( fileSize > FLASH_MAX ) || ( flashHigh != fileSize ) )
    {
        return false;
    }

    for( i = 0; i < fileSize; i++ )
    {
        if( flash[ i ] != h_image_byte( i ) )
        {
            return false;
        }
    }

    return true;
}

/* ---- the application callback ----------------------------------------------------------- */

static void app_callback( OtaJobEvent_t event, const void * pData )
{
    record( H_CB, "cb %s", job_event_name( event ) );

    if( ( unsigned ) event < 8U )
    {
        callbackCounts[ event ]++;
    }

    if( h_cfg.appActsInCallback && ( event == OtaJobEventActivate ) )
    {
        h_activate_result = OTA_ActivateNewImage();
    }
    else if( h_cfg.appActsInCallback && !h_cfg.appSelfTestHangs && ( event == OtaJobEventStartTest ) )
    {
        h_accept_result = OTA_SetImageState( OtaImageStateAccepted );
    }

    if( event == OtaJobEventProcessed )
    {
        unsigned i;
        bool found = false;

        pthread_mutex_lock( &poolLock );

        for( i = 0; i < POOL_SIZE; i++ )
        {
            if( pData == ( const void * ) &pool[ i ] )
            {
                found = true;

                if( !poolUsed[ i ] )
                {
                    anomaly( "event buffer %u handed back twice", i );
                }

                poolUsed[ i ] = false;
                pool[ i ].bufferUsed = false;
            }
        }

        pthread_mutex_unlock( &poolLock );

        if( !found )
        {
            anomaly( "OtaJobEventProcessed with %p, not an event buffer of the application", pData );
        }
    }
    else if( pData != NULL )
    {
        anomaly( "callback event %d with data %p", ( int ) event, pData );
    }
}

unsigned h_callbacks( OtaJobEvent_t event )
{
    return ( ( unsigned ) event < 8U ) ? callbackCounts[ event ] : 0U;
}

/* ---- event buffers and the cloud -------------------------------------------------------- */

static OtaEventData_t * buffer_get( void )
{
    unsigned i;
    OtaEventData_t * p = NULL;

    pthread_mutex_lock( &poolLock );

    for( i = 0; i < POOL_SIZE; i++ )
    {
        if( !poolUsed[ i ] )
        {
            poolUsed[ i ] = true;
            p = &pool[ i ];
            memset( p, 0, sizeof( *p ) );
            p->bufferUsed = true;
            break;
        }
    }

    pthread_mutex_unlock( &poolLock );

    if( p == NULL )
    {
        anomaly( "all %u event buffers are lent to the agent", POOL_SIZE );
    }

    return p;
}

static void buffer_put( OtaEventData_t * p )
{
    pthread_mutex_lock( &poolLock );
    poolUsed[ p - pool ] = false;
    p->bufferUsed = false;
    pthread_mutex_unlock( &poolLock );
}

unsigned h_buffers_in_use( void )
{
    unsigned i;
    unsigned n = 0;

    pthread_mutex_lock( &poolLock );

    for( i = 0; i < POOL_SIZE; i++ )
    {
        n += poolUsed[ i ] ? 1U : 0U;
    }

    pthread_mutex_unlock( &poolLock );
    return n;
}

static bool send_buffer( OtaEvent_t event, const uint8_t * pData, size_t len )
{
    OtaEventData_t * p = buffer_get();
    OtaEventMsg_t msg;

    if( ( p == NULL ) || ( len > sizeof( p->data ) ) )
    {
        if( p != NULL )
        {
            buffer_put( p );
        }

        anomaly( "message of %zu bytes does not fit an event buffer", len );
        return false;
    }

    memcpy( p->data, pData, len );
    p->dataLength = ( uint32_t ) len;
    msg.eventId = event;
    msg.pEventData = p;

    if( !OTA_SignalEvent( &msg ) )
    {
        buffer_put( p );
        return false;
    }

    return true;
}

bool h_send_job_bytes( const uint8_t * pData, size_t len )
{
    return send_buffer( OtaAgentEventReceivedJobDocument, pData, len );
}

bool h_send_job( const char * pJson )
{
    return h_send_job_bytes( ( const uint8_t * ) pJson, strlen( pJson ) );
}

bool h_send_data( const uint8_t * pData, size_t len )
{
    return send_buffer( OtaAgentEventReceivedFileBlock, pData, len );
}

bool h_signal( OtaEvent_t event )
{
    OtaEventMsg_t msg;

    msg.eventId = event;
    msg.pEventData = NULL;
    return OTA_SignalEvent( &msg );
}

static size_t block_bytes( uint32_t index, uint32_t fileSize, uint8_t * pOut )
{
    uint32_t start = index * H_BLOCK;
    uint32_t len = 0;
    uint32_t i;

    if( start < fileSize )
    {
        len = ( fileSize - start < H_BLOCK ) ? ( fileSize - start ) : H_BLOCK;
    }

    for( i = 0; i < len; i++ )
    {
        pOut[ i ] = h_image_byte( start + i );
    }

    return len;
}

bool h_send_block_raw( int32_t fileId, int32_t index, int32_t declaredLen, const uint8_t * pPayload, size_t len )
{
    static uint8_t message[ sizeof( ( ( OtaEventData_t * ) 0 )->data ) ];
    size_t size = h_cbor_block( message, sizeof( message ), fileId, index, declaredLen, pPayload, len, false );

    return ( size > 0U ) && h_send_data( message, size );
}

bool h_send_block( uint32_t fileId, uint32_t index, uint32_t fileSize )
{
    static uint8_t payload[ H_BLOCK ];
    size_t len = block_bytes( index, fileSize, payload );

    return h_send_block_raw( ( int32_t ) fileId, ( int32_t ) index, ( int32_t ) len, payload, len );
}

bool h_send_block_chunked( uint32_t fileId, uint32_t index, uint32_t fileSize )
{
    static uint8_t payload[ H_BLOCK ];
    static uint8_t message[ sizeof( ( ( OtaEventData_t * ) 0 )->data ) ];
    size_t len = block_bytes( index, fileSize, payload );
    size_t size = h_cbor_block( message, sizeof( message ), ( int32_t ) fileId, ( int32_t ) index, ( int32_t ) len,
                                payload, len, true );

    return ( size > 0U ) && h_send_data( message, size );
}

bool h_send_http_block( uint32_t index, uint32_t fileSize )
{
    static uint8_t payload[ H_BLOCK ];
    size_t len = block_bytes( index, fileSize, payload );

    return h_send_data( payload, len );
}

/* ---- CBOR ------------------------------------------------------------------------------- */

static size_t cbor_head( uint8_t * pOut, size_t cap, uint8_t major, uint64_t value )
{
    uint8_t first = ( uint8_t ) ( major << 5 );
    size_t n;
    size_t i;

    if( value < 24U )
    {
        n = 0;
        first |= ( uint8_t ) value;
    }
    else if( value <= 0xffU )
    {
        n = 1;
        first |= 24U;
    }
    else if( value <= 0xffffU )
    {
        n = 2;
        first |= 25U;
    }
    else if( value <= 0xffffffffU )
    {
        n = 4;
        first |= 26U;
    }
    else
    {
        n = 8;
        first |= 27U;
    }

    if( cap < n + 1U )
    {
        return 0;
    }

    pOut[ 0 ] = first;

    for( i = 0; i < n; i++ )
    {
        pOut[ 1U + i ] = ( uint8_t ) ( value >> ( 8U * ( n - 1U - i ) ) );
    }

    return n + 1U;
}

static size_t cbor_int( uint8_t * pOut, size_t cap, int64_t v )
{
    return ( v >= 0 ) ? cbor_head( pOut, cap, 0, ( uint64_t ) v ) : cbor_head( pOut, cap, 1, ( uint64_t ) ( -1 - v ) );
}

static size_t cbor_key( uint8_t * pOut, size_t cap, char key )
{
    if( cap < 2U )
    {
        return 0;
    }

    pOut[ 0 ] = 0x61; /* text string of one byte */
    pOut[ 1 ] = ( uint8_t ) key;
    return 2;
}

size_t h_cbor_block( uint8_t * pOut, size_t cap, int32_t f, int32_t i, int32_t l, const uint8_t * pPayload,
                     size_t len, bool chunked )
{
    size_t at = 0;
    size_t n;

#define PUT( expr )                     \
    do {                                \
        n = ( expr );                   \
        if( n == 0U ) { return 0; }     \
        at += n;                        \
    } while( 0 )

    PUT( cbor_head( pOut, cap, 5, 4 ) );
    PUT( cbor_key( pOut + at, cap - at, 'f' ) );
    PUT( cbor_int( pOut + at, cap - at, f ) );
    PUT( cbor_key( pOut + at, cap - at, 'i' ) );
    PUT( cbor_int( pOut + at, cap - at, i ) );
    PUT( cbor_key( pOut + at, cap - at, 'l' ) );
    PUT( cbor_int( pOut + at, cap - at, l ) );
    PUT( cbor_key( pOut + at, cap - at, 'p' ) );

    if( !chunked )
    {
        PUT( cbor_head( pOut + at, cap - at, 2, len ) );

        if( cap - at < len )
        {
            return 0;
        }

        memcpy( pOut + at, pPayload, len );
        at += len;
    }
    else
    {
        size_t first = len / 2U;

        if( cap - at < 1U )
        {
            return 0;
        }

        pOut[ at++ ] = 0x5f; /* byte string of indefinite length */
        PUT( cbor_head( pOut + at, cap - at, 2, first ) );

        if( cap - at < first )
        {
            return 0;
        }

        memcpy( pOut + at, pPayload, first );
        at += first;
        PUT( cbor_head( pOut + at, cap - at, 2, len - first ) );

        if( cap - at < len - first + 1U )
        {
            return 0;
        }

        memcpy( pOut + at, pPayload + first, len - first );
        at += len - first;
        pOut[ at++ ] = 0xff; /* break */
    }

#undef PUT
    return at;
}

/* Reads one item head; returns its size, 0 on error. */
static size_t cbor_read_head( const uint8_t * p, size_t len, uint8_t * pMajor, uint64_t * pValue )
{
    uint8_t info;
    size_t n;
    size_t i;

    if( len < 1U )
    {
        return 0;
    }

    *pMajor = p[ 0 ] >> 5;
    info = p[ 0 ] & 0x1fU;

    if( info < 24U )
    {
        *pValue = info;
        return 1;
    }

    if( info == 24U )
    {
        n = 1;
    }
    else if( info == 25U )
    {
        n = 2;
    }
    else if( info == 26U )
    {
        n = 4;
    }
    else if( info == 27U )
    {
        n = 8;
    }
    else
    {
        return 0;
    }

    if( len < n + 1U )
    {
        return 0;
    }

    *pValue = 0;

    for( i = 0; i < n; i++ )
    {
        *pValue = ( *pValue << 8 ) | p[ 1U + i ];
    }

    return n + 1U;
}

bool h_decode_request( const uint8_t * pMsg, size_t len, HRequest_t * pReq )
{
    static const char keys[] = "cflobn";
    size_t at = 0;
    size_t n;
    uint8_t major;
    uint64_t value;
    unsigned k;

    memset( pReq, 0, sizeof( *pReq ) );

    if( pMsg == NULL )
    {
        return false;
    }

    n = cbor_read_head( pMsg, len, &major, &value );

    if( ( n == 0U ) || ( major != 5U ) || ( value != 6U ) )
    {
        return false;
    }

    at += n;

    for( k = 0; k < 6U; k++ )
    {
        n = cbor_read_head( pMsg + at, len - at, &major, &value );

        if( ( n == 0U ) || ( major != 3U ) || ( value != 1U ) || ( at + n + 1U > len ) ||
            ( pMsg[ at + n ] != ( uint8_t ) keys[ k ] ) )
        {
            return false;
        }

        at += n + 1U;
        n = cbor_read_head( pMsg + at, len - at, &major, &value );

        if( n == 0U )
        {
            return false;
        }

        at += n;

        if( keys[ k ] == 'c' )
        {
            if( ( major != 3U ) || ( value >= sizeof( pReq->c ) ) || ( len - at < value ) )
            {
                return false;
            }

            memcpy( pReq->c, pMsg + at, ( size_t ) value );
            pReq->c[ value ] = '\0';
            at += ( size_t ) value;
        }
        else if( keys[ k ] == 'b' )
        {
            if( ( major != 2U ) || ( value > sizeof( pReq->b ) ) || ( len - at < value ) )
            {
                return false;
            }

            memcpy( pReq->b, pMsg + at, ( size_t ) value );
            pReq->bLen = ( size_t ) value;
            at += ( size_t ) value;
        }
        else
        {
            uint32_t v = ( uint32_t ) value;

            if( ( major != 0U ) || ( value > 0xffffffffU ) )
            {
                return false;
            }

            if( keys[ k ] == 'f' )
            {
                pReq->f = v;
            }
            else if( keys[ k ] == 'l' )
            {
                pReq->l = v;
            }
            else if( keys[ k ] == 'o' )
            {
                pReq->o = v;
            }
            else
            {
                pReq->n = v;
            }
        }
    }

    return at == len;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static void install_interfaces( void )
{
    memset( &h_interfaces, 0, sizeof( h_interfaces ) );
    h_interfaces.os.event.init = q_init;
    h_interfaces.os.event.send = q_send;
    h_interfaces.os.event.recv = q_recv;
    h_interfaces.os.event.deinit = q_deinit;
    h_interfaces.os.timer.start = t_start;
    h_interfaces.os.timer.stop = t_stop;
    h_interfaces.os.timer.delete = t_delete;
    h_interfaces.os.mem.malloc = m_malloc;
    h_interfaces.os.mem.free = m_free;
    h_interfaces.mqtt.subscribe = mq_subscribe;
    h_interfaces.mqtt.unsubscribe = mq_unsubscribe;
    h_interfaces.mqtt.publish = mq_publish;
    h_interfaces.http.init = http_init;
    h_interfaces.http.request = http_request;
    h_interfaces.http.deinit = http_deinit;
    h_interfaces.pal.abort = pal_abort;
    h_interfaces.pal.createFile = pal_create;
    h_interfaces.pal.closeFile = pal_close;
    h_interfaces.pal.writeBlock = pal_write;
    h_interfaces.pal.activate = pal_activate;
    h_interfaces.pal.reset = pal_reset;
    h_interfaces.pal.setPlatformImageState = pal_set_state;
    h_interfaces.pal.getPlatformImageState = pal_get_state;
}

void h_reset( void )
{
    if( !stateCondReady )
    {
        pthread_condattr_t attr;

        pthread_condattr_init( &attr );
        pthread_condattr_setclock( &attr, CLOCK_MONOTONIC );
        pthread_cond_init( &stateCond, &attr );
        pthread_condattr_destroy( &attr );
        stateCondReady = true;
    }

    clear_records();

    pthread_mutex_lock( &anomalyLock );
    anomalyCount = 0;
    pthread_mutex_unlock( &anomalyLock );

    memset( &h_cfg, 0, sizeof( h_cfg ) );
    h_cfg.httpInitStatus = OtaHttpSuccess;
    h_cfg.httpRequestStatus = OtaHttpSuccess;
    h_cfg.createStatus = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
    h_cfg.closeStatus = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
    h_cfg.setStateStatus = OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
    h_cfg.platformState = OtaPalImageStateValid;
    h_cfg.queueCapacity = 20;
    h_cfg.timerStartFailId = -1;
    memset( &h_created, 0, sizeof( h_created ) );

    pthread_mutex_lock( &stateLock );
    queueHead = 0;
    queueCount = 0;
    queueReserved = 0;
    taskWaiting = false;
    taskRunning = false;
    taskReturned = false;
    memset( timerRunning, 0, sizeof( timerRunning ) );
    memset( timerCallback, 0, sizeof( timerCallback ) );
    memset( lastTimerCallback, 0, sizeof( lastTimerCallback ) );
    pthread_mutex_unlock( &stateLock );

    pthread_mutex_lock( &memLock );
    liveCount = 0;
    mallocCalls = 0;
    mallocFailIn = 0;
    pthread_mutex_unlock( &memLock );

    pthread_mutex_lock( &poolLock );
    memset( poolUsed, 0, sizeof( poolUsed ) );
    pthread_mutex_unlock( &poolLock );

    if( !keepFlash )
    {
        memset( flash, 0, sizeof( flash ) );
        flashHigh = 0;
    }

    writeCalls = 0;
    memset( callbackCounts, 0, sizeof( callbackCounts ) );
    h_activate_result = OtaErrNone;
    h_accept_result = OtaErrNone;
    fault_clear();
    install_interfaces();
}

static void * task_main( void * pArg )
{
    ( void ) pArg;
    OTA_EventProcessingTask( NULL );
    pthread_mutex_lock( &stateLock );
    taskReturned = true;
    pthread_cond_broadcast( &stateCond );
    pthread_mutex_unlock( &stateLock );
    return NULL;
}

OtaErr_t h_start( const OtaAppBuffer_t * pBuffers )
{
    static OtaAppBuffer_t noBuffers;
    static OtaAppBuffer_t buffers;
    OtaErr_t err;

    memset( &noBuffers, 0, sizeof( noBuffers ) );
    buffers = ( pBuffers != NULL ) ? *pBuffers : noBuffers;
    err = OTA_Init( &buffers, &h_interfaces,
                    ( const uint8_t * ) ( ( h_cfg.pThingName != NULL ) ? h_cfg.pThingName : H_THING ), app_callback );

    if( err == OtaErrNone )
    {
        /* A start after h_stop() (a reboot within one test) begins with fresh task flags. */
        pthread_mutex_lock( &stateLock );
        taskWaiting = false;
        taskReturned = false;
        pthread_mutex_unlock( &stateLock );

        if( pthread_create( &taskThread, NULL, task_main, NULL ) != 0 )
        {
            abort();
        }

        pthread_mutex_lock( &stateLock );
        taskRunning = true;
        pthread_mutex_unlock( &stateLock );

        if( !h_idle() )
        {
            anomaly( "the agent task did not start" );
        }
    }

    return err;
}

bool h_idle( void )
{
    struct timespec until;
    bool idle;

    deadline_in( &until, H_WAIT_MS );
    pthread_mutex_lock( &stateLock );

    for( ; ; )
    {
        idle = !taskRunning || taskReturned || ( taskWaiting && ( queueCount == 0U ) && ( queueReserved == 0U ) );

        if( idle || ( pthread_cond_timedwait( &stateCond, &stateLock, &until ) == ETIMEDOUT ) )
        {
            break;
        }
    }

    idle = !taskRunning || taskReturned || ( taskWaiting && ( queueCount == 0U ) && ( queueReserved == 0U ) );
    pthread_mutex_unlock( &stateLock );

    if( !idle )
    {
        fprintf( stderr, "harness: the agent did not become idle within %d ms\n", H_WAIT_MS );
    }

    return idle;
}

bool h_task_running( void )
{
    bool running;

    pthread_mutex_lock( &stateLock );
    running = taskRunning && !taskReturned;
    pthread_mutex_unlock( &stateLock );
    return running;
}

bool h_wait_state( OtaState_t state )
{
    struct timespec until;
    struct timespec now;

    deadline_in( &until, H_WAIT_MS );

    for( ; ; )
    {
        if( OTA_GetState() == state )
        {
            return true;
        }

        clock_gettime( CLOCK_MONOTONIC, &now );

        if( ( now.tv_sec > until.tv_sec ) || ( ( now.tv_sec == until.tv_sec ) && ( now.tv_nsec >= until.tv_nsec ) ) )
        {
            fprintf( stderr, "harness: state %d not reached within %d ms (state %d)\n", ( int ) state, H_WAIT_MS,
                     ( int ) OTA_GetState() );
            return false;
        }

        ( void ) h_idle();
        {
            struct timespec pause = { 0, 1000000L };
            nanosleep( &pause, NULL );
        }
    }
}

bool h_stop( void )
{
    ( void ) OTA_Shutdown( 0 );
    return h_join();
}

unsigned h_drain_queue( void )
{
    unsigned n;

    pthread_mutex_lock( &stateLock );
    n = queueCount;
    queueCount = 0;
    queueHead = 0;
    pthread_mutex_unlock( &stateLock );
    return n;
}

bool h_join( void )
{
    struct timespec until;
    bool returned;

    pthread_mutex_lock( &stateLock );

    if( !taskRunning )
    {
        pthread_mutex_unlock( &stateLock );
        return true;
    }

    deadline_in( &until, H_WAIT_MS );

    while( !taskReturned )
    {
        if( pthread_cond_timedwait( &stateCond, &stateLock, &until ) == ETIMEDOUT )
        {
            break;
        }
    }

    returned = taskReturned;
    pthread_mutex_unlock( &stateLock );

    if( !returned )
    {
        fprintf( stderr, "harness: the agent task did not stop within %d ms\n", H_WAIT_MS );
        return false;
    }

    pthread_join( taskThread, NULL );
    pthread_mutex_lock( &stateLock );
    taskRunning = false;
    pthread_mutex_unlock( &stateLock );
    return true;
}

int h_teardown( void ** state )
{
    ( void ) state;

    if( !h_stop() )
    {
        fprintf( stderr, "harness: the agent task is stuck; giving up\n" );
        _exit( 2 );
    }

    return 0;
}

void h_finish( void )
{
    unsigned queued;

    if( !h_stop() )
    {
        /* The task is stuck: nothing after this is safe, stop the program here. */
        fprintf( stderr, "harness: giving up\n" );
        _exit( 2 );
    }

    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    pthread_mutex_lock( &stateLock );
    queued = queueCount;
    queueCount = 0;
    pthread_mutex_unlock( &stateLock );

    if( queued != 0U )
    {
        fprintf( stderr, "harness: %u events left in the queue after shutdown\n", queued );
    }

    if( h_buffers_in_use() != 0U )
    {
        fprintf( stderr, "harness: %u event buffers never handed back\n", h_buffers_in_use() );
    }

    if( h_live_allocations() != 0U )
    {
        fprintf( stderr, "harness: %u allocations from the OS interface never freed\n", h_live_allocations() );
    }

    assert_int_equal( h_buffers_in_use(), 0 );
    assert_int_equal( h_live_allocations(), 0 );
    assert_int_equal( h_anomalies(), 0 );
}

/* ---- job documents and common steps ----------------------------------------------------- */

static void append( char * pOut, size_t cap, size_t * pAt, const char * pFormat, ... )
{
    va_list args;
    int n;

    va_start( args, pFormat );
    n = vsnprintf( pOut + *pAt, cap - *pAt, pFormat, args );
    va_end( args );

    if( ( n < 0 ) || ( ( size_t ) n >= cap - *pAt ) )
    {
        fprintf( stderr, "harness: job document too long\n" );
        abort();
    }

    *pAt += ( size_t ) n;
}

const char * h_job_json( const HJob_t * pJob )
{
    static char doc[ 4096 ];
    size_t at = 0;

    append( doc, sizeof( doc ), &at, "{\"clientToken\":\"0:" H_THING "\",\"timestamp\":1700000000,\"execution\":{" );

    if( pJob->jobId != NULL )
    {
        append( doc, sizeof( doc ), &at, "\"jobId\":\"%s\",", pJob->jobId );
    }

    append( doc, sizeof( doc ), &at, "\"status\":\"%s\",", ( pJob->selfTest != NULL ) ? "IN_PROGRESS" : "QUEUED" );

    if( ( pJob->selfTest != NULL ) || ( pJob->updatedBy != NULL ) )
    {
        append( doc, sizeof( doc ), &at, "\"statusDetails\":{" );

        if( pJob->selfTest != NULL )
        {
            append( doc, sizeof( doc ), &at, "\"self_test\":\"%s\"%s", pJob->selfTest,
                    ( pJob->updatedBy != NULL ) ? "," : "" );
        }

        if( pJob->updatedBy != NULL )
        {
            append( doc, sizeof( doc ), &at, "\"updatedBy\":\"%s\"", pJob->updatedBy );
        }

        append( doc, sizeof( doc ), &at, "}," );
    }

    append( doc, sizeof( doc ), &at,
            "\"queuedAt\":1700000000,\"lastUpdatedAt\":1700000000,\"versionNumber\":1,\"executionNumber\":1,"
            "\"jobDocument\":{\"afr_ota\":{" );

    if( pJob->protocols != NULL )
    {
        append( doc, sizeof( doc ), &at, "\"protocols\":%s,", pJob->protocols );
    }

    if( pJob->streamName != NULL )
    {
        append( doc, sizeof( doc ), &at, "\"streamname\":\"%s\",", pJob->streamName );
    }

    append( doc, sizeof( doc ), &at, "\"files\":[{" );
    {
        const char * sep = "";

#define FIELD( key, value, quoted )                                                                        \
    do {                                                                                                     \
        if( ( value ) != NULL )                                                                              \
        {                                                                                                    \
            append( doc, sizeof( doc ), &at, ( quoted ) ? "%s\"%s\":\"%s\"" : "%s\"%s\":%s", sep, key, value ); \
            sep = ",";                                                                                       \
        }                                                                                                    \
    } while( 0 )

        FIELD( "filepath", pJob->filePath, true );
        FIELD( "filesize", pJob->fileSize, false );
        FIELD( "fileid", pJob->fileId, false );
        FIELD( "certfile", pJob->certFile, true );
        FIELD( "update_data_url", pJob->url, true );
        FIELD( "auth_scheme", pJob->authScheme, true );
        FIELD( "sig-sha256-ecdsa", pJob->signature, true );
#undef FIELD
    }
    append( doc, sizeof( doc ), &at, "}]}}}}" );
    return doc;
}

HJob_t h_mqtt_job( const char * pJobId, const char * pStream, const char * pFileSize, const char * pFileId )
{
    HJob_t job;

    memset( &job, 0, sizeof( job ) );
    job.jobId = pJobId;
    job.protocols = "[\"MQTT\"]";
    job.streamName = pStream;
    job.fileSize = pFileSize;
    job.fileId = pFileId;
    job.filePath = "/fw/image.bin";
    job.certFile = "signer.crt";
    job.signature = "AQIDBAUGBwg=";
    return job;
}

HJob_t h_http_job( const char * pJobId, const char * pUrl, const char * pFileSize )
{
    HJob_t job;

    memset( &job, 0, sizeof( job ) );
    job.jobId = pJobId;
    job.protocols = "[\"HTTP\"]";
    job.fileSize = pFileSize;
    job.fileId = "0";
    job.filePath = "/fw/image.bin";
    job.certFile = "signer.crt";
    job.url = pUrl;
    job.authScheme = "aws.s3.presigned";
    job.signature = "AQIDBAUGBwg=";
    return job;
}

void h_begin( const OtaAppBuffer_t * pBuffers )
{
    assert_int_equal( h_start( pBuffers ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateReady );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", L_REQUEST_JOB( "0" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
}
