/* ota-rs c_tests/tsan: a whole OTA update while application threads hammer the API.
 * SPDX-License-Identifier: MIT
 *
 * Built with -fsanitize=thread and run by run.sh. Two boots of one device in one process:
 *
 *   boot 1  download: Start, job document, 101 blocks over the MQTT stream, checksum check,
 *           OtaJobEventActivate -> OTA_ActivateNewImage; then OTA_Shutdown.
 *   boot 2  the PAL "reboots" into the activated image (PendingCommit), the job document now
 *           says self_test; OtaJobEventStartTest; the main thread accepts the image with
 *           OTA_SetImageState( OtaImageStateAccepted ); the cloud records SUCCEEDED; then
 *           OTA_Shutdown.
 *
 * During each boot these application threads call the API, each a bounded number of times:
 *
 *   readers (2)   OTA_GetState, OTA_GetStatistics, OTA_GetImageState, until the boot ends
 *   signaller     OTA_SignalEvent: a copy of block 0 (a duplicate once block 0 is in) in a
 *                 pool buffer, and OtaAgentEventStart (unexpected after the first one)
 *   checker       OTA_CheckForUpdate (mid-download: the same job again, the download goes on)
 *   suspender     OTA_Suspend, then OTA_Resume (resuming asks for the job again)
 *   registrar     boot 1: OTA_EXT_SetResume, registering and unregistering the resume table
 *                 (resume_ram.c) while the agent saves records
 *   image setter  boot 1: OTA_SetImageState with values it must refuse (Accepted, Rejected or
 *                 Aborted mid-download would end the job by design); boot 2: two threads call
 *                 OTA_SetImageState( Accepted ) together with the main thread's accept, and on
 *                 until the agent has stopped
 *
 * The checker and the suspender stop once the boot's goal is reached (activation; start of the
 * self test), and in boot 2 the main thread waits until the agent is idle before accepting, so
 * no job document requested before the accept is handled after it (the agent would then take
 * the self test for a mismatch and reset, which is v2.0.0's behaviour, not a race).
 *
 * TSAN_OTA_SELF_TEST_EVENTS=0 leaves the checker and the suspender out of boot 2 (a repeated
 * self-test document currently makes the agent reset the device; see README.md).
 *
 * Exit status: 0 when both boots did what they should and every check passed; 1 when a check
 * failed; 3 at the time limit. ThreadSanitizer reports make run.sh fail on their own. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_os_posix.h"
#include "tsan_ota.h"

#define POOL_SIZE               24U
#define TIME_LIMIT_S            240U     /* the whole program (TSAN_OTA_TIME_LIMIT overrides) */
#define GOAL_WAIT_MS            120000U  /* one boot's goal: activation, or the self test */
#define QUIET_WAIT_MS           20000U
#define SUCCEEDED_WAIT_MS       20000U
#define STOP_WAIT_MS            20000U
#define POLL_MS                 2U
#define READER_MAX              400000U
#define SIGNALLER_MAX           20000U
#define CHECKER_MAX             150U
#define SUSPENDER_MAX           80U
#define SETTER_MAX              20000U
#define ACCEPTER_MAX            3000U
#define RESUME_TRIES            1000U
#define DRAIN_MAX               256U

const AppVersion32_t appFirmwareVersion = { .u.x.major = 1, .u.x.minor = 2, .u.x.build = 0 };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

/* ---- log ---------------------------------------------------------------------------- */

static atomic_uint logErrors;

static void emit( char level,
                  const char * pFormat,
                  va_list args )
{
    char line[ 512 ];
    int n = snprintf( line, sizeof( line ), "[%c] ", level );

    ( void ) vsnprintf( &line[ n ], sizeof( line ) - ( size_t ) n, pFormat, args );
    ( void ) fprintf( stdout, "%s\n", line ); /* one call per record: lines stay whole */
}

void tsan_log_error( const char * pFormat,
                     ... )
{
    va_list args;

    atomic_fetch_add( &logErrors, 1U );
    va_start( args, pFormat );
    emit( 'E', pFormat, args );
    va_end( args );
}

void tsan_log_warn( const char * pFormat,
                    ... )
{
    va_list args;

    va_start( args, pFormat );
    emit( 'W', pFormat, args );
    va_end( args );
}

void tsan_log_info( const char * pFormat,
                    ... )
{
    va_list args;

    va_start( args, pFormat );
    emit( 'I', pFormat, args );
    va_end( args );
}

void tsan_printf( const char * pFormat,
                  ... )
{
    char line[ 1024 ];
    va_list args;

    va_start( args, pFormat );
    ( void ) vsnprintf( line, sizeof( line ), pFormat, args );
    va_end( args );
    ( void ) fputs( line, stdout );
}

/* ---- time --------------------------------------------------------------------------- */

static void sleepUs( long us )
{
    struct timespec t = { us / 1000000L, ( us % 1000000L ) * 1000L };

    ( void ) nanosleep( &t, NULL );
}

static uint64_t nowMs( void )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_MONOTONIC, &t );

    return ( uint64_t ) t.tv_sec * 1000U + ( uint64_t ) t.tv_nsec / 1000000U;
}

static void onTimeLimit( int signalNumber )
{
    static const char message[] = "tsan_ota: time limit reached\n";

    ( void ) signalNumber;
    ( void ) write( STDERR_FILENO, message, sizeof( message ) - 1U );
    _exit( 3 );
}

/* ---- checks ------------------------------------------------------------------------- */

static atomic_uint failures;

static void check( bool ok,
                   const char * pWhat )
{
    if( !ok )
    {
        atomic_fetch_add( &failures, 1U );
        tsan_printf( "tsan_ota: CHECK FAILED: %s\n", pWhat );
    }
}

/* ---- the event-buffer pool ------------------------------------------------------------ */

static OtaEventData_t pool[ POOL_SIZE ];
static bool lent[ POOL_SIZE ];
static uint32_t lentCount;
static uint32_t foreignReturns;
static pthread_mutex_t poolLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t poolFreed = PTHREAD_COND_INITIALIZER;

OtaEventData_t * tsan_pool_get( uint32_t waitMs )
{
    uint64_t deadline = nowMs() + waitMs;
    OtaEventData_t * pBuffer = NULL;

    pthread_mutex_lock( &poolLock );

    /* Bounded by the deadline: each wait is at most 5 ms. */
    while( pBuffer == NULL )
    {
        for( uint32_t i = 0; ( i < POOL_SIZE ) && ( pBuffer == NULL ); i++ )
        {
            if( !lent[ i ] )
            {
                lent[ i ] = true;
                lentCount++;
                pBuffer = &pool[ i ];
            }
        }

        if( ( pBuffer == NULL ) && ( nowMs() < deadline ) )
        {
            struct timespec t;

            ( void ) clock_gettime( CLOCK_REALTIME, &t );
            t.tv_nsec += 5000000L;

            if( t.tv_nsec >= 1000000000L )
            {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
            }

            ( void ) pthread_cond_timedwait( &poolFreed, &poolLock, &t );
        }
        else if( pBuffer == NULL )
        {
            break;
        }
    }

    pthread_mutex_unlock( &poolLock );

    if( pBuffer != NULL )
    {
        pBuffer->bufferUsed = true;
        pBuffer->dataLength = 0;
    }

    return pBuffer;
}

bool tsan_pool_release( OtaEventData_t * pBuffer )
{
    bool ok = false;

    tsan_cloud_buffer_returned( pBuffer ); /* before the pool lock: the two locks never nest */
    pthread_mutex_lock( &poolLock );

    for( uint32_t i = 0; i < POOL_SIZE; i++ )
    {
        if( ( pBuffer == &pool[ i ] ) && lent[ i ] )
        {
            pool[ i ].bufferUsed = false;
            lent[ i ] = false;
            lentCount--;
            ok = true;
        }
    }

    if( !ok )
    {
        foreignReturns++; /* NULL, not ours, or handed back twice */
    }

    pthread_cond_broadcast( &poolFreed );
    pthread_mutex_unlock( &poolLock );

    return ok;
}

uint32_t tsan_pool_in_use( void )
{
    uint32_t n;

    pthread_mutex_lock( &poolLock );
    n = lentCount;
    pthread_mutex_unlock( &poolLock );

    return n;
}

/* ---- the OS interface: the POSIX port, with counts for "the agent is idle" ---------- */

static pthread_mutex_t osLock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t controlSent;     /* events that can lead to a job request or a job document */
static uint64_t controlReceived;
static bool agentWaiting;        /* the agent task is inside recv */

/* The signaller's events and file blocks are harmless once the self test started. */
static bool isControlEvent( const void * pEventMsg )
{
    const OtaEventMsg_t * pMsg = ( const OtaEventMsg_t * ) pEventMsg;

    return ( pMsg != NULL ) && ( pMsg->eventId != OtaAgentEventStart ) &&
           ( pMsg->eventId != OtaAgentEventReceivedFileBlock );
}

static OtaOsStatus_t osSend( OtaEventContext_t * pContext,
                             const void * pEventMsg,
                             unsigned int timeout )
{
    bool control = isControlEvent( pEventMsg );
    OtaOsStatus_t result;

    /* Counted before the send, so a queued event is never missed by the idle check. */
    pthread_mutex_lock( &osLock );
    controlSent += control ? 1U : 0U;
    pthread_mutex_unlock( &osLock );
    result = Posix_OtaSendEvent( pContext, pEventMsg, timeout );

    if( ( result != OtaOsSuccess ) && control )
    {
        pthread_mutex_lock( &osLock );
        controlSent--;
        pthread_mutex_unlock( &osLock );
    }

    return result;
}

static OtaOsStatus_t osReceive( OtaEventContext_t * pContext,
                                void * pEventMsg,
                                uint32_t timeout )
{
    OtaOsStatus_t result;

    pthread_mutex_lock( &osLock );
    agentWaiting = true;
    pthread_mutex_unlock( &osLock );
    result = Posix_OtaReceiveEvent( pContext, pEventMsg, timeout );
    pthread_mutex_lock( &osLock );
    agentWaiting = false;
    controlReceived += ( ( result == OtaOsSuccess ) && isControlEvent( pEventMsg ) ) ? 1U : 0U;
    pthread_mutex_unlock( &osLock );

    return result;
}

static bool agentIdle( void )
{
    bool idle;

    pthread_mutex_lock( &osLock );
    idle = agentWaiting && ( controlSent == controlReceived );
    pthread_mutex_unlock( &osLock );

    return idle && tsan_cloud_idle() && ( tsan_cloud_docs_lent() == 0U ) &&
           ( OTA_GetState() == OtaAgentStateWaitingForJob );
}

/* ---- the application's callback ------------------------------------------------------- */

static atomic_uint activations;      /* OtaJobEventActivate */
static atomic_uint activateErrors;   /* OTA_ActivateNewImage did not return OtaErrNone */
static atomic_uint failEvents;       /* OtaJobEventFail, OtaJobEventSelfTestFailed */
static atomic_uint startTests;       /* OtaJobEventStartTest */
static atomic_uint processed;        /* OtaJobEventProcessed */
static atomic_uint processedBad;     /* ... with a buffer that was not lent */

static void appCallback( OtaJobEvent_t event,
                         const void * pData )
{
    switch( event )
    {
        case OtaJobEventActivate:

            /* As an application does: activate from the callback (the agent's thread). */
            if( OTA_ActivateNewImage() != OtaErrNone )
            {
                atomic_fetch_add( &activateErrors, 1U );
            }

            atomic_fetch_add( &activations, 1U );
            break;

        case OtaJobEventFail:
        case OtaJobEventSelfTestFailed:
            atomic_fetch_add( &failEvents, 1U );
            break;

        case OtaJobEventStartTest:
            atomic_fetch_add( &startTests, 1U );
            break;

        case OtaJobEventProcessed:
            atomic_fetch_add( &processed, 1U );

            if( !tsan_pool_release( ( OtaEventData_t * ) pData ) )
            {
                atomic_fetch_add( &processedBad, 1U );
            }

            break;

        default:
            atomic_fetch_add( &processedBad, 1U );
            break;
    }
}

/* ---- the agent's interfaces and buffers ---------------------------------------------- */

static OtaInterfaces_t interfaces;
static uint8_t filePath[ 256 ];
static uint8_t certFile[ 256 ];
static uint8_t streamName[ 129 ];
static uint8_t decodeMemory[ TSAN_BLOCK_SIZE ];
static uint8_t bitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];
static OtaAppBuffer_t buffers =
{
    .pUpdateFilePath = filePath,     .updateFilePathsize = sizeof( filePath ),
    .pCertFilePath = certFile,       .certFilePathSize = sizeof( certFile ),
    .pStreamName = streamName,       .streamNameSize = sizeof( streamName ),
    .pDecodeMemory = decodeMemory,   .decodeMemorySize = sizeof( decodeMemory ),
    .pFileBitmap = bitmap,           .fileBitmapSize = sizeof( bitmap ),
    .pUrl = NULL,                    .urlSize = 0,
    .pAuthScheme = NULL,             .authSchemeSize = 0,
};

static void setInterfaces( void )
{
    memset( &interfaces, 0, sizeof( interfaces ) );
    interfaces.os.event.init = Posix_OtaInitEvent;
    interfaces.os.event.send = osSend;
    interfaces.os.event.recv = osReceive;
    interfaces.os.event.deinit = Posix_OtaDeinitEvent;
    interfaces.os.timer.start = Posix_OtaStartTimer;
    interfaces.os.timer.stop = Posix_OtaStopTimer;
    interfaces.os.timer.delete = Posix_OtaDeleteTimer;
    interfaces.os.mem.malloc = STDC_Malloc;
    interfaces.os.mem.free = STDC_Free;
    tsan_cloud_mqtt_interface( &interfaces.mqtt );
    tsan_pal_interface( &interfaces.pal );
    /* No HTTP: the job offers MQTT only, and the agent never calls a NULL entry. */
}

static void * agentTask( void * pArg )
{
    ( void ) pArg;
    OTA_EventProcessingTask( NULL ); /* returns once the agent has stopped */

    return NULL;
}

/* ---- the hammering threads ------------------------------------------------------------ */

static atomic_bool stopEvents;      /* the checker and the suspender end */
static atomic_bool stopAll;         /* every other hammer ends */
static atomic_bool acceptGate;      /* boot 2: the accepters start */
static bool selfTestEvents = true;  /* boot 2 runs the checker and the suspender too */
static atomic_uint apiCalls;
static atomic_uint badResults;      /* an API result that is wrong whatever the timing */
static atomic_uint acceptsNone;     /* OTA_SetImageState( Accepted ) == OtaErrNone, any thread */
static atomic_uint acceptsOther;    /* ... == anything but OtaErrNone, NoActiveJob, Uninitialized */

static void bad( const char * pWhat,
                 int value )
{
    atomic_fetch_add( &badResults, 1U );
    tsan_printf( "tsan_ota: unexpected result from %s: %d\n", pWhat, value );
}

static void * reader( void * pArg )
{
    ( void ) pArg;

    for( uint32_t i = 0; ( i < READER_MAX ) && !atomic_load( &stopAll ); i++ )
    {
        OtaAgentStatistics_t s;
        OtaState_t state = OTA_GetState();
        OtaImageState_t image = OTA_GetImageState();

        if( ( state < OtaAgentStateInit ) || ( state > OtaAgentStateStopped ) )
        {
            bad( "OTA_GetState", ( int ) state );
        }

        if( ( image < OtaImageStateUnknown ) || ( image > OtaImageStateAborted ) )
        {
            bad( "OTA_GetImageState", ( int ) image );
        }

        if( OTA_GetStatistics( &s ) != OtaErrNone )
        {
            bad( "OTA_GetStatistics", 0 );
        }

        atomic_fetch_add( &apiCalls, 3U );

        if( ( i % 16U ) == 15U )
        {
            sleepUs( 200 );
        }
    }

    return NULL;
}

static void * signaller( void * pArg )
{
    ( void ) pArg;

    for( uint32_t i = 0; ( i < SIGNALLER_MAX ) && !atomic_load( &stopAll ); i++ )
    {
        OtaEventMsg_t msg = { .pEventData = NULL, .eventId = OtaAgentEventStart };

        if( ( i % 2U ) == 0U )
        {
            /* Only from a half-free pool, so the cloud always finds a buffer. */
            msg.pEventData = ( tsan_pool_in_use() < POOL_SIZE / 2U ) ? tsan_pool_get( 0 ) : NULL;

            if( msg.pEventData == NULL )
            {
                sleepUs( 1000 );
                continue;
            }

            msg.pEventData->dataLength = ( uint32_t ) tsan_cloud_encode_block( msg.pEventData->data,
                                                                               sizeof( msg.pEventData->data ), 0 );
            msg.eventId = OtaAgentEventReceivedFileBlock;
        }

        atomic_fetch_add( &apiCalls, 1U );

        if( !OTA_SignalEvent( &msg ) && ( msg.pEventData != NULL ) )
        {
            ( void ) tsan_pool_release( msg.pEventData ); /* refused: still ours */
        }

        sleepUs( 1000 );
    }

    return NULL;
}

static void * checker( void * pArg )
{
    ( void ) pArg;

    for( uint32_t i = 0; ( i < CHECKER_MAX ) && !atomic_load( &stopEvents ); i++ )
    {
        OtaErr_t err = OTA_CheckForUpdate();

        atomic_fetch_add( &apiCalls, 1U );

        if( ( err != OtaErrNone ) && ( err != OtaErrSignalEventFailed ) )
        {
            bad( "OTA_CheckForUpdate", ( int ) err );
        }

        sleepUs( 15000 );
    }

    return NULL;
}

static void * suspender( void * pArg )
{
    ( void ) pArg;

    for( uint32_t i = 0; ( i < SUSPENDER_MAX ) && !atomic_load( &stopEvents ); i++ )
    {
        OtaErr_t err = OTA_Suspend();

        atomic_fetch_add( &apiCalls, 1U );

        if( err == OtaErrNone )
        {
            sleepUs( 3000 );

            /* A suspended agent waits for Resume for ever: keep trying (bounded) until queued. */
            err = OtaErrSignalEventFailed;

            for( uint32_t t = 0; ( t < RESUME_TRIES ) && ( err == OtaErrSignalEventFailed ); t++ )
            {
                err = OTA_Resume();
                atomic_fetch_add( &apiCalls, 1U );

                if( err == OtaErrSignalEventFailed )
                {
                    sleepUs( 1000 );
                }
            }

            if( err != OtaErrNone )
            {
                bad( "OTA_Resume", ( int ) err );
            }
        }
        else if( err != OtaErrSignalEventFailed )
        {
            bad( "OTA_Suspend", ( int ) err );
        }

        sleepUs( 20000 );
    }

    return NULL;
}

/* Boot 1: values OTA_SetImageState must refuse, all through the download. */
static void * refusedSetter( void * pArg )
{
    static const OtaImageState_t refused[] = { OtaImageStateTesting, OtaImageStateUnknown, ( OtaImageState_t ) 42 };

    ( void ) pArg;

    for( uint32_t i = 0; ( i < SETTER_MAX ) && !atomic_load( &stopAll ); i++ )
    {
        OtaErr_t err = OTA_SetImageState( refused[ i % 3U ] );

        atomic_fetch_add( &apiCalls, 1U );

        if( err != OtaErrInvalidArg )
        {
            bad( "OTA_SetImageState( refused value )", ( int ) err );
        }

        sleepUs( 1000 );
    }

    return NULL;
}

static void countAccept( OtaErr_t err )
{
    if( err == OtaErrNone )
    {
        atomic_fetch_add( &acceptsNone, 1U );
    }
    else if( ( err != OtaErrNoActiveJob ) && ( err != OtaErrUninitialized ) )
    {
        /* NoActiveJob: another thread accepted first; Uninitialized: the agent shut down. */
        atomic_fetch_add( &acceptsOther, 1U );
        tsan_printf( "tsan_ota: OTA_SetImageState( Accepted ) returned %d\n", ( int ) err );
    }
}

/* Boot 2: accepts together with the main thread once the gate opens, and goes on through
 * OTA_Shutdown (an application thread finishing its self test while another stops OTA). */
static void * accepter( void * pArg )
{
    ( void ) pArg;

    /* Bounded wait for the gate (the main thread opens it or ends the boot). */
    for( uint32_t w = 0; ( w < GOAL_WAIT_MS * 2U ) && !atomic_load( &acceptGate ) && !atomic_load( &stopAll ); w++ )
    {
        sleepUs( 500 );
    }

    for( uint32_t i = 0; ( i < ACCEPTER_MAX ) && atomic_load( &acceptGate ) && !atomic_load( &stopAll ); i++ )
    {
        countAccept( OTA_SetImageState( OtaImageStateAccepted ) );
        atomic_fetch_add( &apiCalls, 1U );
        sleepUs( 1000 );
    }

    return NULL;
}

/* ---- one boot ------------------------------------------------------------------------- */

typedef struct
{
    pthread_t thread;
    bool started;
    bool eventHammer; /* ends with stopEvents */
} Hammer_t;

#define HAMMERS    7U

static Hammer_t hammers[ HAMMERS ];

static void startHammer( uint32_t slot,
                         void * ( *pBody )( void * ),
                         bool eventHammer )
{
    hammers[ slot ].started = pthread_create( &hammers[ slot ].thread, NULL, pBody, NULL ) == 0;
    hammers[ slot ].eventHammer = eventHammer;
    check( hammers[ slot ].started, "start a hammering thread" );
}

static void joinHammers( bool eventHammersOnly )
{
    for( uint32_t i = 0; i < HAMMERS; i++ )
    {
        if( hammers[ i ].started && ( hammers[ i ].eventHammer || !eventHammersOnly ) )
        {
            ( void ) pthread_join( hammers[ i ].thread, NULL ); /* each ends within its bound */
            hammers[ i ].started = false;
        }
    }
}

/* Waits (bounded) until pDone() holds; false at the deadline. */
static bool waitFor( bool ( * pDone )( void ),
                     uint32_t limitMs )
{
    uint64_t deadline = nowMs() + limitMs;

    while( !pDone() )
    {
        if( nowMs() >= deadline )
        {
            return false;
        }

        sleepUs( POLL_MS * 1000L );
    }

    return true;
}

/* A reset ends a boot too: the device would have restarted. */
static bool activatedOrFailed( void )
{
    return ( atomic_load( &activations ) > 0U ) || ( atomic_load( &failEvents ) > 0U ) || ( tsan_pal_resets() > 0U );
}

static bool selfTestOrFailed( void )
{
    return ( atomic_load( &startTests ) > 0U ) || ( atomic_load( &failEvents ) > 0U ) || ( tsan_pal_resets() > 0U );
}

static bool stopped( void )
{
    return OTA_GetState() == OtaAgentStateStopped;
}

/* Quiet twice in a row, a poll apart: nothing was in flight between the two looks. */
static bool quietTwice( void )
{
    if( !agentIdle() )
    {
        return false;
    }

    sleepUs( 20000 );

    return agentIdle();
}

static bool succeeded( void )
{
    TsanCloudStats_t c;

    tsan_cloud_get_stats( &c );

    return c.terminalStatus[ 0 ] != '\0';
}

/* Events still queued after the agent stopped (queued behind Shutdown) keep their buffers:
 * take them back from the queue, as an application does before it starts the agent again. */
static uint32_t drainQueue( void )
{
    uint32_t drained = 0;

    for( uint32_t i = 0; i < DRAIN_MAX; i++ )
    {
        OtaEventMsg_t msg;

        if( Posix_OtaReceiveEvent( NULL, &msg, 1U ) != OtaOsSuccess )
        {
            break;
        }

        if( msg.pEventData != NULL )
        {
            ( void ) tsan_pool_release( msg.pEventData );
            drained++;
        }
    }

    return drained;
}

static bool runBoot( int which )
{
    OtaEventMsg_t start = { .pEventData = NULL, .eventId = OtaAgentEventStart };
    pthread_t agent;
    bool ok;
    uint64_t began = nowMs();

    atomic_store( &stopEvents, false );
    atomic_store( &stopAll, false );
    atomic_store( &acceptGate, false );
    tsan_cloud_set_phase( which );
    tsan_printf( "tsan_ota: ==== boot %d ====\n", which );

    pthread_mutex_lock( &osLock );
    controlSent = 0;
    controlReceived = 0;
    pthread_mutex_unlock( &osLock );

    if( OTA_Init( &buffers, &interfaces, ( const uint8_t * ) TSAN_THING, appCallback ) != OtaErrNone )
    {
        check( false, "OTA_Init" );
        return false;
    }

    if( pthread_create( &agent, NULL, agentTask, NULL ) != 0 )
    {
        check( false, "start the agent task" );
        return false;
    }

    check( OTA_SignalEvent( &start ), "OTA_SignalEvent( Start )" );

    startHammer( 0, reader, false );
    startHammer( 1, reader, false );
    startHammer( 2, signaller, false );
    if( ( which == 1 ) || selfTestEvents )
    {
        startHammer( 3, checker, true );
        startHammer( 4, suspender, true );
    }

    if( which == 1 )
    {
        startHammer( 5, refusedSetter, false );
        startHammer( 6, tsan_resume_registrar, true );
        ok = waitFor( activatedOrFailed, GOAL_WAIT_MS );
        check( ok, "boot 1 ends (activation or failure) in time" );
        atomic_store( &stopEvents, true );
        tsan_resume_stop();
        joinHammers( true );
    }
    else
    {
        startHammer( 5, accepter, false );
        startHammer( 6, accepter, false );
        ok = waitFor( selfTestOrFailed, GOAL_WAIT_MS );
        check( ok, "boot 2 reaches the self test in time" );
        atomic_store( &stopEvents, true );
        joinHammers( true );

        if( ok && ( atomic_load( &failEvents ) == 0U ) && ( tsan_pal_resets() == 0U ) )
        {
            check( waitFor( quietTwice, QUIET_WAIT_MS ), "the agent settles in WaitingForJob before the accept" );
            /* The self test "passed": accept from the main thread, two other threads at once. */
            atomic_store( &acceptGate, true );
            countAccept( OTA_SetImageState( OtaImageStateAccepted ) );
            check( waitFor( succeeded, SUCCEEDED_WAIT_MS ), "the cloud receives a terminal status" );
        }
    }

    ( void ) OTA_Shutdown( 0 );
    ok = waitFor( stopped, STOP_WAIT_MS );
    check( ok, "the agent stops after OTA_Shutdown" );

    if( ok )
    {
        ( void ) pthread_join( agent, NULL );
    }

    atomic_store( &stopAll, true );
    joinHammers( false );
    tsan_printf( "tsan_ota: boot %d done in %llu ms; %u buffers taken back from the queue\n", which,
                 ( unsigned long long ) ( nowMs() - began ), ( unsigned ) drainQueue() );

    return ok;
}

int main( void )
{
    const char * pLimit = getenv( "TSAN_OTA_TIME_LIMIT" );
    unsigned limit = ( pLimit != NULL ) ? ( unsigned ) strtoul( pLimit, NULL, 10 ) : TIME_LIMIT_S;
    TsanCloudStats_t c;
    TsanPalStats_t p;
    OtaAgentStatistics_t s = { 0 };
    bool ok;

    const char * pEvents = getenv( "TSAN_OTA_SELF_TEST_EVENTS" );

    selfTestEvents = ( pEvents == NULL ) || ( strcmp( pEvents, "0" ) != 0 );
    setvbuf( stdout, NULL, _IOLBF, 0 );
    ( void ) signal( SIGALRM, onTimeLimit );
    ( void ) alarm( ( limit > 0U ) ? limit : TIME_LIMIT_S );

    setInterfaces();
    check( tsan_cloud_start(), "start the cloud" );

    ok = runBoot( 1 );
    ( void ) OTA_GetStatistics( &s );

    if( ok && ( atomic_load( &activations ) > 0U ) && ( atomic_load( &failEvents ) == 0U ) && ( tsan_pal_resets() == 0U ) )
    {
        tsan_pal_reboot();
        ok = runBoot( 2 );
    }
    else
    {
        check( false, "boot 1 activated the new image" );
    }

    tsan_cloud_stop();
    tsan_cloud_get_stats( &c );
    tsan_pal_get_stats( &p );

    tsan_printf( "tsan_ota: cloud: %u job requests, %u stream requests, %u blocks sent, %u status updates "
                 "(%u SUCCEEDED), %u dropped, %u bad; last status %s, terminal %s\n",
                 c.jobRequests, c.streamRequests, c.blocksSent, c.statusUpdates, c.succeededUpdates, c.dropped, c.badMessages,
                 c.lastStatus, c.terminalStatus );
    tsan_printf( "tsan_ota: PAL: %u creates, %u good closes, %u bad closes, %u activations, %u resets, %u bad calls\n",
                 p.creates, p.closesOk, p.closesBad, p.activations, p.resets, p.badCalls );
    tsan_printf( "tsan_ota: app: %u API calls from hammering threads, %u activate events, %u self tests, "
                 "%u buffers processed, %u accepts returned OtaErrNone, %u library error records\n",
                 atomic_load( &apiCalls ), atomic_load( &activations ), atomic_load( &startTests ),
                 atomic_load( &processed ), atomic_load( &acceptsNone ), atomic_load( &logErrors ) );

    check( ok, "both boots ran to OTA_Shutdown" );
    check( atomic_load( &activations ) >= 1U, "OtaJobEventActivate arrived" );
    check( atomic_load( &activateErrors ) == 0U, "OTA_ActivateNewImage succeeded" );
    check( atomic_load( &startTests ) >= 1U, "OtaJobEventStartTest arrived after the reboot" );
    check( atomic_load( &failEvents ) == 0U, "no OtaJobEventFail or OtaJobEventSelfTestFailed" );
    check( atomic_load( &acceptsNone ) == 1U, "exactly one OTA_SetImageState( Accepted ) returned OtaErrNone (the others: no active job)" );
    check( c.succeededUpdates == 1U, "the cloud received SUCCEEDED once" );
    check( atomic_load( &acceptsOther ) == 0U, "OTA_SetImageState( Accepted ) returned OtaErrNone, NoActiveJob or Uninitialized only" );
    check( atomic_load( &badResults ) == 0U, "every API result was one the API documents for the call" );
    check( atomic_load( &processedBad ) == 0U, "OtaJobEventProcessed handed back only lent buffers, once" );
    check( strcmp( c.terminalStatus, "SUCCEEDED" ) == 0, "the job's first terminal status is SUCCEEDED" );
    check( c.badMessages == 0U, "every publish was for this job and understood by the cloud" );
    check( p.resets == 0U, "the agent never reset the device" );
    check( p.badCalls == 0U, "every PAL call had valid arguments" );
    check( p.closesOk >= 1U && p.closesBad == 0U, "the checksum check passed, and never failed" );
    check( p.platform == OtaPalImageStateValid, "the platform image state ends Valid" );
    check( p.runningMatches, "the running image is the cloud's, byte for byte" );
    check( tsan_pool_in_use() == 0U, "every event buffer came back to the pool" );
    check( tsan_resume_report(), "resume: records saved while the table came and went, every call well-formed" );
    pthread_mutex_lock( &poolLock );
    check( foreignReturns == 0U, "no buffer was returned that was not lent" );
    pthread_mutex_unlock( &poolLock );

    if( atomic_load( &failures ) != 0U )
    {
        tsan_printf( "tsan_ota: FAILED (%u checks)\n", atomic_load( &failures ) );
        return 1;
    }

    tsan_printf( "tsan_ota: PASSED: update downloaded, activated, self-tested and accepted under concurrent API calls\n" );

    return 0;
}
