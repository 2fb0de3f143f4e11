/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * A whole OTA update on the FreeRTOS-Kernel POSIX simulator: a FreeRTOS task runs
 * OTA_EventProcessingTask from libota.a, the OS interface is a FreeRTOS port, the MQTT
 * interface talks to an in-process AWS IoT (sim_cloud.c) and the PAL keeps the image in RAM
 * (sim_pal.c). Built twice (see CMakeLists.txt):
 *   - with ota-rs's ports/freertos/ota_os_freertos.c;
 *   - with upstream v2.0.0's source/portable/os/ota_os_freertos.c compiled unchanged
 *     (OTA_SIM_UPSTREAM_PORT). That port never stores the timer callback, so its timers expire
 *     without telling the agent: nothing on the path below needs a timer to fire there.
 *
 * The script:
 *   1. OTA_Init with application buffers; the agent task starts; the application sends
 *      OtaAgentEventStart as v2.0.0's demos do, while the broker is still offline, so the
 *      agent's job request fails and it stays in RequestingJob.
 *   2. The broker comes up and the application calls OTA_CheckForUpdate: "$next/get" is
 *      answered with job 1 (9 blocks), which downloads over an MQTT stream with one block sent
 *      twice (and, with our port, one GetStream request dropped, so only the request timer can
 *      finish the download), the PAL verifies the digest and the application gets
 *      OtaJobEventActivate.
 *   3. Job 2 (11 blocks) is pushed on notify-next. The cloud holds its second GetStream request;
 *      the application calls OTA_Suspend (state Suspended, no traffic), the held blocks arrive
 *      and are dropped, OTA_Resume asks for the job again and the same job continues from its
 *      bitmap to completion.
 *   4. OTA_Shutdown: the agent task returns from OTA_EventProcessingTask, the state is Stopped.
 * The cloud's record of every publish is compared with the expected job status messages and
 * GetStream requests, and the PAL's image with the files the cloud sent.
 */

#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_os_freertos.h"

#include "sim_harness.h"
#include "sim_cloud.h"
#include "sim_pal.h"

/* The script's numbers (which blocks each GetStream request asks for, what is held) follow
 * sim/config/ota_config.h. */
#if ( otaconfigMAX_NUM_BLOCKS_REQUEST != 4 )
    #error "test_ota_update.c expects sim/config/ota_config.h: 4 blocks per GetStream request"
#endif

#ifdef OTA_SIM_UPSTREAM_PORT
    #define PORT_NAME    "upstream v2.0.0 source/portable/os/ota_os_freertos.c (compiled unchanged)"
#else
    #define PORT_NAME    "ota-rs ports/freertos/ota_os_freertos.c"
#endif

/* The agent outranks the test task (SIM_TEST_TASK_PRIORITY) and the cloud outranks the agent,
 * like a network task; the kernel's timer task outranks them all. */
#define AGENT_PRIORITY       ( tskIDLE_PRIORITY + 3 )
#define CLOUD_PRIORITY       ( tskIDLE_PRIORITY + 4 )
#define AGENT_STACK_WORDS    ( configMINIMAL_STACK_SIZE * 4U )
#define JOB_TIMEOUT_MS       15000U
#define STATE_TIMEOUT_MS     2000U

/* ---- the application's identity (symbols v2.0.0 applications define) -------------------- */

const AppVersion32_t appFirmwareVersion = { .u = { .x = { .build = 3U, .minor = 2U, .major = 1U } } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

/* ---- the two jobs ------------------------------------------------------------------------ */

#define JOB1_BLOCKS    9U
#define JOB1_SIZE      ( ( JOB1_BLOCKS - 1U ) * OTA_FILE_BLOCK_SIZE + 300U ) /* last block short */
#define JOB2_BLOCKS    11U
#define JOB2_SIZE      ( ( JOB2_BLOCKS - 1U ) * OTA_FILE_BLOCK_SIZE + 77U )

static uint8_t image1[ JOB1_SIZE ];
static uint8_t image2[ JOB2_SIZE ];

static const SimCloudJob_t job1 =
{
    "AFR_OTA-sim-update-1", "sim-stream-1", "/sim/firmware-1.bin", "/sim/signer.pem", 0U, image1, JOB1_SIZE
};

static const SimCloudJob_t job2 =
{
    "AFR_OTA-sim-update-2", "sim-stream-2", "/sim/firmware-2.bin", "/sim/signer.pem", 1U, image2, JOB2_SIZE
};

static void fillImage( uint8_t * pImage,
                       uint32_t size,
                       uint32_t seed )
{
    uint32_t x = seed;
    uint32_t i;

    for( i = 0U; i < size; i++ )
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pImage[ i ] = ( uint8_t ) x;
    }
}

/* ---- the application's buffers, interfaces and callback ---------------------------------- */

static uint8_t updateFilePath[ 64 ];
static uint8_t certFilePath[ 64 ];
static uint8_t streamName[ 64 ];
static uint8_t decodeMemory[ OTA_FILE_BLOCK_SIZE ];
static uint8_t fileBitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];
static uint8_t updateUrl[ 256 ];
static uint8_t authScheme[ 32 ];

static OtaAppBuffer_t appBuffers =
{
    .pUpdateFilePath    = updateFilePath,
    .updateFilePathsize = sizeof( updateFilePath ),
    .pCertFilePath      = certFilePath,
    .certFilePathSize   = sizeof( certFilePath ),
    .pStreamName        = streamName,
    .streamNameSize     = sizeof( streamName ),
    .pDecodeMemory      = decodeMemory,
    .decodeMemorySize   = sizeof( decodeMemory ),
    .pFileBitmap        = fileBitmap,
    .fileBitmapSize     = sizeof( fileBitmap ),
    .pUrl               = updateUrl,
    .urlSize            = sizeof( updateUrl ),
    .pAuthScheme        = authScheme,
    .authSchemeSize     = sizeof( authScheme )
};

static OtaInterfaces_t interfaces;

/* The port's heap functions, counted: with every buffer given, the agent should need none. */
static volatile uint32_t allocations;
static volatile uint32_t releases;

static void * countingMalloc( size_t size )
{
    allocations++;
    return Malloc_FreeRTOS( size );
}

static void countingFree( void * pMemory )
{
    if( pMemory != NULL )
    {
        releases++;
    }

    Free_FreeRTOS( pMemory );
}

/* The port's event send and timer functions, observed: which events were queued (a
 * RequestTimer event can only come from an expired request timer), and whether each timer is
 * armed after the agent's last start, stop or delete. */
static volatile uint32_t eventsSent[ OtaAgentEventMax ];
static volatile bool timerArmed[ OtaNumOfTimers ];

static OtaOsStatus_t observedSend( OtaEventContext_t * pEventCtx,
                                   const void * pEventMsg,
                                   unsigned int timeout )
{
    OtaOsStatus_t status = OtaSendEvent_FreeRTOS( pEventCtx, pEventMsg, timeout );
    OtaEvent_t eventId;

    if( ( status == OtaOsSuccess ) && ( pEventMsg != NULL ) )
    {
        eventId = ( ( const OtaEventMsg_t * ) pEventMsg )->eventId;

        if( ( eventId >= OtaAgentEventStart ) && ( eventId < OtaAgentEventMax ) )
        {
            taskENTER_CRITICAL();
            eventsSent[ eventId ]++;
            taskEXIT_CRITICAL();
        }
    }

    return status;
}

static OtaOsStatus_t observedStart( OtaTimerId_t timerId,
                                    const char * const pTimerName,
                                    const uint32_t timeout,
                                    OtaTimerCallback_t callback )
{
    OtaOsStatus_t status = OtaStartTimer_FreeRTOS( timerId, pTimerName, timeout, callback );

    if( ( status == OtaOsSuccess ) && ( timerId < OtaNumOfTimers ) )
    {
        timerArmed[ timerId ] = true;
    }

    return status;
}

static OtaOsStatus_t observedStop( OtaTimerId_t timerId )
{
    OtaOsStatus_t status = OtaStopTimer_FreeRTOS( timerId );

    if( ( status == OtaOsSuccess ) && ( timerId < OtaNumOfTimers ) )
    {
        timerArmed[ timerId ] = false;
    }

    return status;
}

static OtaOsStatus_t observedDelete( OtaTimerId_t timerId )
{
    OtaOsStatus_t status = OtaDeleteTimer_FreeRTOS( timerId );

    if( ( status == OtaOsSuccess ) && ( timerId < OtaNumOfTimers ) )
    {
        timerArmed[ timerId ] = false;
    }

    return status;
}

static SemaphoreHandle_t jobEnded;
static SemaphoreHandle_t agentEnded;
static volatile uint32_t activateEvents;
static volatile uint32_t failEvents;
static volatile uint32_t otherEvents;
static volatile OtaErr_t activateResult = OtaErrUninitialized;

static void appCallback( OtaJobEvent_t event,
                         const void * pData )
{
    switch( event )
    {
        case OtaJobEventProcessed:
            simCloudReleaseBuffer( pData );
            break;

        case OtaJobEventActivate:
            activateEvents++;
            /* As a v2.0.0 application does; the sim PAL records it and returns. */
            activateResult = OTA_ActivateNewImage();
            ( void ) xSemaphoreGive( jobEnded );
            break;

        case OtaJobEventFail:
            failEvents++;
            ( void ) xSemaphoreGive( jobEnded );
            break;

        default:
            otherEvents++;
            break;
    }
}

static void agentTask( void * pParameters )
{
    ( void ) pParameters;

    OTA_EventProcessingTask( NULL );

    /* Only after OTA_Shutdown. */
    ( void ) xSemaphoreGive( agentEnded );
    vTaskDelete( NULL );
}

/* ---- helpers ----------------------------------------------------------------------------- */

static char line[ 1400 ];

#define CHECKF( condition, ... )                                   \
    do {                                                           \
        ( void ) snprintf( line, sizeof( line ), __VA_ARGS__ );    \
        simCheck( ( condition ) ? 1 : 0, line, __FILE__, __LINE__ ); \
    } while( 0 )

static const char * stateName( OtaState_t state )
{
    static const char * const names[] =
    {
        "Init",                "Ready",               "RequestingJob", "WaitingForJob",
        "CreatingFile",        "RequestingFileBlock", "WaitingForFileBlock",
        "ClosingFile",         "Suspended",           "ShuttingDown",  "Stopped"
    };

    return ( ( state >= OtaAgentStateInit ) && ( state <= OtaAgentStateStopped ) ) ? names[ state ] : "?";
}

static bool waitForState( OtaState_t state,
                          uint32_t timeoutMs )
{
    uint32_t start = simNowMs();

    while( ( OTA_GetState() != state ) && ( ( simNowMs() - start ) < timeoutMs ) )
    {
        vTaskDelay( 1 );
    }

    return OTA_GetState() == state;
}

static void checkState( OtaState_t want,
                        int line_ )
{
    OtaState_t got = OTA_GetState();

    ( void ) snprintf( line, sizeof( line ), "OTA_GetState() is %s%s%s", stateName( want ),
                       ( got == want ) ? "" : ", got ", ( got == want ) ? "" : stateName( got ) );
    simCheck( got == want, line, __FILE__, line_ );
}

#define CHECK_STATE( want )    checkState( ( want ), __LINE__ )

static OtaAgentStatistics_t statistics( void )
{
    OtaAgentStatistics_t s;

    ( void ) memset( &s, 0, sizeof( s ) );
    ( void ) OTA_GetStatistics( &s );
    return s;
}

static void checkStatistics( uint32_t received,
                             uint32_t queued,
                             uint32_t processed,
                             uint32_t dropped,
                             const char * pWhen,
                             int line_ )
{
    OtaAgentStatistics_t s = statistics();

    ( void ) snprintf( line, sizeof( line ),
                       "%s: statistics received %lu, queued %lu, processed %lu, dropped %lu "
                       "(expected %lu, %lu, %lu, %lu)", pWhen,
                       ( unsigned long ) s.otaPacketsReceived, ( unsigned long ) s.otaPacketsQueued,
                       ( unsigned long ) s.otaPacketsProcessed, ( unsigned long ) s.otaPacketsDropped,
                       ( unsigned long ) received, ( unsigned long ) queued,
                       ( unsigned long ) processed, ( unsigned long ) dropped );
    simCheck( ( s.otaPacketsReceived == received ) && ( s.otaPacketsQueued == queued ) &&
              ( s.otaPacketsProcessed == processed ) && ( s.otaPacketsDropped == dropped ),
              line, __FILE__, line_ );
}

#define CHECK_STATISTICS( r, q, p, d, when )    checkStatistics( ( r ), ( q ), ( p ), ( d ), ( when ), __LINE__ )

/* The first call of this kind on this topic at or after `from`; SIM_MAX_CALLS if none. */
static uint32_t findCall( uint32_t from,
                          SimCallKind_t kind,
                          const char * pTopic,
                          SimCall_t * pCall )
{
    uint32_t i;
    uint32_t found = SIM_MAX_CALLS;

    for( i = from; ( found == SIM_MAX_CALLS ) && simCloudCall( i, pCall ); i++ )
    {
        if( ( pCall->kind == kind ) && ( strcmp( pCall->topic, pTopic ) == 0 ) )
        {
            found = i;
        }
    }

    return found;
}

static void checkSubscribed( uint32_t from,
                             const char * pTopic,
                             uint8_t qos,
                             SimCallKind_t kind,
                             int line_ )
{
    SimCall_t call;
    uint32_t index = findCall( from, kind, pTopic, &call );

    ( void ) snprintf( line, sizeof( line ), "%s %s (QoS %u)",
                       ( kind == SimCallSubscribe ) ? "subscribed to" : "unsubscribed from", pTopic, qos );
    simCheck( ( index < SIM_MAX_CALLS ) && call.accepted && ( call.qos == qos ), line, __FILE__, line_ );
}

#define CHECK_SUBSCRIBE( from, topic, qos )      checkSubscribed( ( from ), ( topic ), ( qos ), SimCallSubscribe, __LINE__ )
#define CHECK_UNSUBSCRIBE( from, topic, qos )    checkSubscribed( ( from ), ( topic ), ( qos ), SimCallUnsubscribe, __LINE__ )

/* The "$next/get" request at or after `from`: {"clientToken":"<number>:<thing>"}, QoS 1. */
static void checkNextJobRequest( uint32_t from,
                                 int line_ )
{
    SimCall_t call;
    uint32_t index = findCall( from, SimCallPublish, "$aws/things/" SIM_THING_NAME "/jobs/$next/get", &call );
    const char * pPayload = ( const char * ) call.payload;
    const char * pPrefix = "{\"clientToken\":\"";
    const char * pSuffix = ":" SIM_THING_NAME "\"}";
    size_t length = ( index < SIM_MAX_CALLS ) ? strlen( pPayload ) : 0U;
    size_t digits = 0U;
    bool ok = ( index < SIM_MAX_CALLS ) && call.accepted && ( call.qos == 1U ) &&
              ( length > strlen( pPrefix ) + strlen( pSuffix ) ) &&
              ( strncmp( pPayload, pPrefix, strlen( pPrefix ) ) == 0 ) &&
              ( strcmp( &pPayload[ length - strlen( pSuffix ) ], pSuffix ) == 0 );

    if( ok )
    {
        digits = length - strlen( pPrefix ) - strlen( pSuffix );
        ok = ( strspn( &pPayload[ strlen( pPrefix ) ], "0123456789" ) == digits );
    }

    ( void ) snprintf( line, sizeof( line ), "published $aws/things/%s/jobs/$next/get (QoS 1): %s",
                       SIM_THING_NAME, ( index < SIM_MAX_CALLS ) ? pPayload : "(none)" );
    simCheck( ok, line, __FILE__, line_ );
}

#define CHECK_NEXT_JOB_REQUEST( from )    checkNextJobRequest( ( from ), __LINE__ )

/* The job status messages the cloud recorded for a job, from call `from` on, against what the
 * agent must send for a file of `blocks` blocks downloaded without failure: IN_PROGRESS with
 * "receive":"N/M" after the first block and every otaconfigOTA_UPDATE_STATUS_FREQUENCY blocks
 * (QoS 0; v2.0.0 skipped the first and printed N/N, fixed upstream in #426 and #209), then
 * IN_PROGRESS self_test "ready" with the running version once the PAL verified the file
 * (QoS 1). */
static void checkJobStatuses( const SimCloudJob_t * pJob,
                              uint32_t from,
                              uint32_t blocks,
                              const char * pLabel )
{
    char topic[ SIM_TOPIC_MAX ];
    char expected[ 16 ][ 128 ];
    uint8_t expectedQos[ 16 ];
    uint32_t expectedCount = 0U;
    uint32_t seen = 0U;
    uint32_t received;
    uint32_t i;
    SimCall_t call;

    for( received = 1U; received < blocks; received++ )
    {
        if( ( received == 1U ) || ( ( received % otaconfigOTA_UPDATE_STATUS_FREQUENCY ) == 0U ) )
        {
            ( void ) snprintf( expected[ expectedCount ], sizeof( expected[ 0 ] ),
                               "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"receive\":\"%lu/%lu\"}}",
                               ( unsigned long ) received, ( unsigned long ) blocks );
            expectedQos[ expectedCount ] = 0U;
            expectedCount++;
        }
    }

    ( void ) snprintf( expected[ expectedCount ], sizeof( expected[ 0 ] ),
                       "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"self_test\":\"ready\","
                       "\"updatedBy\":\"0x%08lx\"}}", ( unsigned long ) appFirmwareVersion.u.unsignedVersion32 );
    expectedQos[ expectedCount ] = 1U;
    expectedCount++;

    ( void ) snprintf( topic, sizeof( topic ), "$aws/things/%s/jobs/%s/update", SIM_THING_NAME, pJob->pJobId );

    for( i = from; simCloudCall( i, &call ); i++ )
    {
        if( ( call.kind == SimCallPublish ) && ( strcmp( call.topic, topic ) == 0 ) )
        {
            CHECKF( ( seen < expectedCount ) && call.accepted &&
                    ( strcmp( ( const char * ) call.payload, expected[ seen ] ) == 0 ) &&
                    ( call.qos == expectedQos[ seen ] ),
                    "%s status %lu on .../jobs/%s/update (QoS %u): %s%s%s", pLabel, ( unsigned long ) seen + 1U,
                    pJob->pJobId, call.qos, ( const char * ) call.payload,
                    ( ( seen < expectedCount ) && ( strcmp( ( const char * ) call.payload, expected[ seen ] ) != 0 ) ) ?
                    " -- expected " : "",
                    ( ( seen < expectedCount ) && ( strcmp( ( const char * ) call.payload, expected[ seen ] ) != 0 ) ) ?
                    expected[ seen ] : "" );
            seen++;
        }
    }

    CHECKF( seen == expectedCount, "%s: %lu job status messages, expected %lu", pLabel,
            ( unsigned long ) seen, ( unsigned long ) expectedCount );
}

/* GetStream request `index` (0-based, all jobs) against what the agent must ask for: client
 * token "rdy", the job's file ID, the configured block size, offset 0, at most
 * otaconfigMAX_NUM_BLOCKS_REQUEST blocks, and a bitmap with the blocks [firstMissing, blocks)
 * set. */
static void checkStreamRequest( uint32_t index,
                                const SimCloudJob_t * pJob,
                                uint32_t blocks,
                                uint32_t firstMissing,
                                SimStreamFate_t fate,
                                const char * pLabel,
                                SimStreamRequest_t * pRequest )
{
    uint8_t bitmap[ SIM_BITMAP_MAX ];
    uint32_t bitmapLength = ( blocks + 7U ) / 8U;
    uint32_t block;
    char hex[ 2U * SIM_BITMAP_MAX + 1U ] = "";
    uint32_t i;
    bool found;
    static const char * const fates[] = { "served", "dropped", "held" };

    ( void ) memset( bitmap, 0, sizeof( bitmap ) );

    for( block = firstMissing; block < blocks; block++ )
    {
        bitmap[ block / 8U ] |= ( uint8_t ) ( 1U << ( block % 8U ) );
    }

    ( void ) memset( pRequest, 0, sizeof( *pRequest ) );
    found = simCloudStreamRequest( index, pRequest );

    for( i = 0U; found && ( i < pRequest->bitmapLength ) && ( i < SIM_BITMAP_MAX ); i++ )
    {
        ( void ) snprintf( &hex[ 2U * i ], 3U, "%02x", pRequest->bitmap[ i ] );
    }

    CHECKF( found && pRequest->decoded && ( strcmp( pRequest->stream, pJob->pStreamName ) == 0 ) &&
            ( strcmp( pRequest->clientToken, "rdy" ) == 0 ) && ( pRequest->fileId == ( int64_t ) pJob->fileId ) &&
            ( pRequest->blockSize == ( int64_t ) OTA_FILE_BLOCK_SIZE ) && ( pRequest->blockOffset == 0 ) &&
            ( pRequest->numBlocks == ( int64_t ) otaconfigMAX_NUM_BLOCKS_REQUEST ) &&
            ( pRequest->bitmapLength == bitmapLength ) &&
            ( memcmp( pRequest->bitmap, bitmap, bitmapLength ) == 0 ) && ( pRequest->fate == fate ),
            "%s: GetStream on .../streams/%s/get/cbor {c:\"%s\", f:%ld, l:%ld, o:%ld, b:h'%s', n:%ld} "
            "asks for blocks %lu..%lu (%s)",
            pLabel, pRequest->stream, pRequest->clientToken, ( long ) pRequest->fileId, ( long ) pRequest->blockSize,
            ( long ) pRequest->blockOffset, hex, ( long ) pRequest->numBlocks, ( unsigned long ) firstMissing,
            ( unsigned long ) blocks - 1U, found ? fates[ pRequest->fate ] : "missing" );
}

static void checkImage( const SimCloudJob_t * pJob,
                        const char * pLabel )
{
    uint32_t size = 0U;
    const uint8_t * pImage = simPalVerifiedImage( &size );

    CHECKF( ( size == pJob->imageSize ) && ( memcmp( pImage, pJob->pImage, size ) == 0 ),
            "%s: the PAL holds the %lu bytes the cloud streamed, digest verified (%lu bytes)", pLabel,
            ( unsigned long ) pJob->imageSize, ( unsigned long ) size );
}

static void checkEachBlockWrittenOnce( const SimPalStats_t * pBefore,
                                       const SimPalStats_t * pAfter,
                                       uint32_t blocks,
                                       const char * pLabel )
{
    uint32_t i;
    bool once = true;

    for( i = 0U; i < blocks; i++ )
    {
        once = once && ( pAfter->writesPerBlock[ i ] == 1U );
    }

    CHECKF( once && ( pAfter->writeCalls - pBefore->writeCalls == blocks ) && ( pAfter->badCalls == 0U ),
            "%s: the PAL wrote each of the %lu blocks exactly once (%lu writes)", pLabel,
            ( unsigned long ) blocks, ( unsigned long ) ( pAfter->writeCalls - pBefore->writeCalls ) );
}

/* ---- the script -------------------------------------------------------------------------- */

static void setOsInterface( OtaOSInterface_t * pOs )
{
    pOs->event.init = OtaInitEvent_FreeRTOS;
    pOs->event.send = observedSend;
    pOs->event.recv = OtaReceiveEvent_FreeRTOS;
    pOs->event.deinit = OtaDeinitEvent_FreeRTOS;
    pOs->timer.start = observedStart;
    pOs->timer.stop = observedStop;
    pOs->timer.delete = observedDelete;
    pOs->mem.malloc = countingMalloc;
    pOs->mem.free = countingFree;
}

static void startWhileOffline( void )
{
    OtaEventMsg_t start;
    SimCall_t call;
    uint32_t waited = 0U;
    bool found;

    simSection( "OTA_Init with application buffers; agent task; start while the broker is offline" );
    printf( "  info OS port: %s\n", PORT_NAME );

    CHECKF( OTA_Init( &appBuffers, &interfaces, ( const uint8_t * ) SIM_THING_NAME, appCallback ) == OtaErrNone,
            "OTA_Init( buffers, interfaces, \"%s\", callback ) -> OtaErrNone", SIM_THING_NAME );
    CHECK_STATE( OtaAgentStateInit );
    CHECKF( xTaskCreate( agentTask, "otaAgent", AGENT_STACK_WORDS, NULL, AGENT_PRIORITY, NULL ) == pdPASS,
            "a FreeRTOS task runs OTA_EventProcessingTask" );
    CHECKF( waitForState( OtaAgentStateReady, STATE_TIMEOUT_MS ), "the agent task reaches Ready" );

    /* v2.0.0's transition table takes OtaAgentEventRequestJobDocument only once started: its
     * demos send OtaAgentEventStart after creating the agent task. */
    ( void ) memset( &start, 0, sizeof( start ) );
    start.eventId = OtaAgentEventStart;
    CHECKF( OTA_SignalEvent( &start ), "OTA_SignalEvent( OtaAgentEventStart ) -> true" );

    ( void ) memset( &call, 0, sizeof( call ) );

    while( ( simCloudCallCount() == 0U ) && ( waited < STATE_TIMEOUT_MS ) )
    {
        vTaskDelay( 1 );
        waited++;
    }

    found = simCloudCall( 0U, &call );
    CHECKF( found && !call.accepted && ( call.kind == SimCallSubscribe ) &&
            ( strcmp( call.topic, "$aws/things/" SIM_THING_NAME "/jobs/$next/get/accepted" ) == 0 ),
            "the agent's first job request fails: subscribing to %s while offline", call.topic );
    CHECK_STATE( OtaAgentStateRequestingJob );
}

static void job1Update( void )
{
    uint32_t from = simCloudCallCount();
    uint32_t requestsFrom = simCloudStreamRequestCount();
    SimPalStats_t before = simPalStats();
    SimPalStats_t after;
    SimCloudCounters_t cloudBefore = simCloudCounters();
    SimCloudCounters_t cloudAfter;
    SimStreamRequest_t request;
    uint32_t expectedRequests;
    uint32_t timerEventsBefore = eventsSent[ OtaAgentEventRequestTimer ];

    #ifndef OTA_SIM_UPSTREAM_PORT
        SimStreamRequest_t dropped;
    #endif

    simSection( "broker online, OTA_CheckForUpdate: job 1, 9 blocks over an MQTT stream" );
    simCloudSetPendingJob( &job1 );
    simCloudDuplicateBlock( 1U );
    #ifndef OTA_SIM_UPSTREAM_PORT
        /* The second GetStream request gets no answer: only the request timer can go on. */
        simCloudDropStreamRequest( 2U );
    #endif
    simCloudSetOnline( true );

    CHECKF( OTA_CheckForUpdate() == OtaErrNone, "OTA_CheckForUpdate() -> OtaErrNone" );
    CHECKF( xSemaphoreTake( jobEnded, pdMS_TO_TICKS( JOB_TIMEOUT_MS ) ) == pdTRUE,
            "job 1 ends within %u ms", JOB_TIMEOUT_MS );
    CHECKF( waitForState( OtaAgentStateWaitingForJob, STATE_TIMEOUT_MS ), "the agent closes the file and waits for the next job" );
    CHECKF( ( activateEvents == 1U ) && ( failEvents == 0U ) && ( otherEvents == 0U ),
            "the application got OtaJobEventActivate (activate %lu, fail %lu, other %lu)",
            ( unsigned long ) activateEvents, ( unsigned long ) failEvents, ( unsigned long ) otherEvents );
    CHECKF( activateResult == OtaErrNone, "OTA_ActivateNewImage() from the callback -> %s", OTA_Err_strerror( activateResult ) );

    /* Control plane. */
    CHECK_SUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/jobs/$next/get/accepted", 1U );
    CHECK_SUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/jobs/notify-next", 1U );
    CHECK_NEXT_JOB_REQUEST( from );

    /* Data plane. */
    CHECK_SUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/streams/sim-stream-1/data/cbor", 0U );
    checkStreamRequest( requestsFrom + 0U, &job1, JOB1_BLOCKS, 0U, SimStreamServed, "job 1 request 1", &request );
    #ifndef OTA_SIM_UPSTREAM_PORT
        checkStreamRequest( requestsFrom + 1U, &job1, JOB1_BLOCKS, 4U, SimStreamDropped, "job 1 request 2", &dropped );
        checkStreamRequest( requestsFrom + 2U, &job1, JOB1_BLOCKS, 4U, SimStreamServed,
                            "job 1 request 3 (request timer)", &request );
        CHECKF( ( request.timeMs - dropped.timeMs + 5U >= otaconfigFILE_REQUEST_WAIT_MS ) &&
                ( request.timeMs - dropped.timeMs <= otaconfigFILE_REQUEST_WAIT_MS + 1000U ),
                "the request timer re-requested the dropped blocks after %lu ms (otaconfigFILE_REQUEST_WAIT_MS %u)",
                ( unsigned long ) ( request.timeMs - dropped.timeMs ), otaconfigFILE_REQUEST_WAIT_MS );
        checkStreamRequest( requestsFrom + 3U, &job1, JOB1_BLOCKS, 8U, SimStreamServed, "job 1 request 4", &request );
        expectedRequests = 4U;
    #else
        checkStreamRequest( requestsFrom + 1U, &job1, JOB1_BLOCKS, 4U, SimStreamServed, "job 1 request 2", &request );
        checkStreamRequest( requestsFrom + 2U, &job1, JOB1_BLOCKS, 8U, SimStreamServed, "job 1 request 3", &request );
        expectedRequests = 3U;
    #endif
    CHECKF( simCloudStreamRequestCount() - requestsFrom == expectedRequests,
            "%lu GetStream requests for job 1: the duplicate block asked for nothing more",
            ( unsigned long ) ( simCloudStreamRequestCount() - requestsFrom ) );
    CHECK_UNSUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/streams/sim-stream-1/data/cbor", 1U );

    /* Job status. */
    checkJobStatuses( &job1, from, JOB1_BLOCKS, "job 1" );

    /* Platform. */
    after = simPalStats();
    cloudAfter = simCloudCounters();
    CHECKF( ( after.createCalls - before.createCalls == 1U ) && ( strcmp( after.filePath, job1.pFilePath ) == 0 ) &&
            ( after.fileSize == JOB1_SIZE ),
            "the PAL created one file: %s, %lu bytes", after.filePath, ( unsigned long ) after.fileSize );
    checkEachBlockWrittenOnce( &before, &after, JOB1_BLOCKS, "job 1" );
    CHECKF( ( after.closeCalls - before.closeCalls == 1U ) && ( after.closeVerified - before.closeVerified == 1U ),
            "the PAL closed the file once and its digest matched the job's sig-sha256-ecdsa" );
    checkImage( &job1, "job 1" );
    CHECKF( after.activateCalls - before.activateCalls == 1U, "the PAL was asked to activate the image once" );
    CHECKF( cloudAfter.blocksDelivered - cloudBefore.blocksDelivered == JOB1_BLOCKS + 1U,
            "the cloud sent %lu data messages (9 blocks, block 1 twice)",
            ( unsigned long ) ( cloudAfter.blocksDelivered - cloudBefore.blocksDelivered ) );
    CHECK_STATISTICS( JOB1_BLOCKS + 1U, JOB1_BLOCKS + 1U, JOB1_BLOCKS, 0U, "job 1" );
    CHECKF( simCloudBuffersInUse() == 0U, "every event buffer came back through OtaJobEventProcessed" );
    CHECKF( eventsSent[ OtaAgentEventRequestTimer ] - timerEventsBefore == expectedRequests - 3U,
            "request-timer expiries that reached the agent during job 1: %lu (%s)",
            ( unsigned long ) ( eventsSent[ OtaAgentEventRequestTimer ] - timerEventsBefore ),
            ( expectedRequests == 3U ) ? "the download never needed one" : "one, for the dropped request" );
    CHECKF( !timerArmed[ OtaRequestTimer ] && !timerArmed[ OtaSelfTestTimer ],
            "no OTA timer left armed once the file is closed" );
}

static void job2SuspendResume( void )
{
    uint32_t from = simCloudCallCount();
    uint32_t requestsFrom = simCloudStreamRequestCount();
    uint32_t quietFrom;
    uint32_t resumedFrom;
    uint32_t timerEvents;
    uint32_t waited = 0U;
    SimPalStats_t before = simPalStats();
    SimPalStats_t held;
    SimPalStats_t after;
    SimCloudCounters_t cloudBefore = simCloudCounters();
    SimCloudCounters_t cloudNow;
    SimStreamRequest_t request;
    static const uint8_t bitmapAfterFourBlocks[ 2 ] = { 0xf0U, 0x07U };

    simSection( "job 2, 11 blocks, pushed on notify-next; OTA_Suspend mid-download; OTA_Resume" );
    CHECKF( simCloudIsSubscribed( "$aws/things/" SIM_THING_NAME "/jobs/notify-next" ),
            "the agent still listens on notify-next" );
    simCloudSetPendingJob( &job2 );
    simCloudHoldStreamRequest( 2U );
    simCloudNotifyNext( &job2 );

    CHECKF( simCloudWaitHeld( JOB_TIMEOUT_MS ), "blocks 0..3 arrived; the cloud holds the next GetStream request" );
    held = simPalStats();
    CHECKF( ( held.createCalls - before.createCalls == 1U ) && ( held.writeCalls - before.writeCalls == 4U ),
            "the PAL created %s and wrote %lu blocks", held.filePath,
            ( unsigned long ) ( held.writeCalls - before.writeCalls ) );
    CHECKF( ( strcmp( ( const char * ) streamName, job2.pStreamName ) == 0 ) &&
            ( strcmp( ( const char * ) updateFilePath, job2.pFilePath ) == 0 ) &&
            ( strcmp( ( const char * ) certFilePath, job2.pCertFile ) == 0 ) &&
            ( memcmp( fileBitmap, bitmapAfterFourBlocks, sizeof( bitmapAfterFourBlocks ) ) == 0 ),
            "the agent keeps the job in the application's buffers: stream \"%s\", file \"%s\", "
            "bitmap %02x %02x", ( const char * ) streamName, ( const char * ) updateFilePath,
            fileBitmap[ 0 ], fileBitmap[ 1 ] );
    CHECK_STATE( OtaAgentStateWaitingForFileBlock );

    CHECKF( timerArmed[ OtaRequestTimer ], "the request timer is armed for the outstanding request" );
    CHECKF( OTA_Suspend() == OtaErrNone, "OTA_Suspend() -> OtaErrNone" );
    CHECKF( waitForState( OtaAgentStateSuspended, STATE_TIMEOUT_MS ), "the agent is Suspended" );
    CHECKF( !timerArmed[ OtaRequestTimer ], "suspending stopped the request timer" );

    quietFrom = simCloudCallCount();
    timerEvents = eventsSent[ OtaAgentEventRequestTimer ];
    vTaskDelay( pdMS_TO_TICKS( 2U * otaconfigFILE_REQUEST_WAIT_MS + 200U ) );
    CHECKF( ( simCloudCallCount() == quietFrom ) && ( eventsSent[ OtaAgentEventRequestTimer ] == timerEvents ),
            "no MQTT call and no timer event from the suspended agent for %u ms",
            2U * otaconfigFILE_REQUEST_WAIT_MS + 200U );
    CHECK_STATE( OtaAgentStateSuspended );

    /* The answer to the held request arrives while suspended: the agent drops it. */
    cloudNow = simCloudCounters();
    simCloudReleaseHeld();

    while( ( ( simCloudCounters().blocksDelivered - cloudNow.blocksDelivered < 4U ) ||
             ( simCloudBuffersInUse() != 0U ) ) && ( waited < STATE_TIMEOUT_MS ) )
    {
        vTaskDelay( 1 );
        waited++;
    }

    CHECKF( ( simCloudCounters().blocksDelivered - cloudNow.blocksDelivered == 4U ) &&
            ( simCloudBuffersInUse() == 0U ),
            "blocks 4..7 reach the suspended agent and their buffers come back" );
    CHECK_STATISTICS( 8U, 8U, 4U, 4U, "suspended" );
    CHECKF( simPalStats().writeCalls == held.writeCalls, "nothing is written while suspended" );
    CHECK_STATE( OtaAgentStateSuspended );

    resumedFrom = simCloudCallCount();
    CHECKF( OTA_Resume() == OtaErrNone, "OTA_Resume() -> OtaErrNone" );
    CHECKF( xSemaphoreTake( jobEnded, pdMS_TO_TICKS( JOB_TIMEOUT_MS ) ) == pdTRUE,
            "job 2 ends within %u ms", JOB_TIMEOUT_MS );
    CHECKF( waitForState( OtaAgentStateWaitingForJob, STATE_TIMEOUT_MS ), "the agent closes the file and waits for the next job" );
    CHECKF( ( activateEvents == 2U ) && ( failEvents == 0U ) && ( otherEvents == 0U ),
            "the application got OtaJobEventActivate again (activate %lu, fail %lu, other %lu)",
            ( unsigned long ) activateEvents, ( unsigned long ) failEvents, ( unsigned long ) otherEvents );

    CHECK_NEXT_JOB_REQUEST( resumedFrom );
    CHECK_SUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/streams/sim-stream-2/data/cbor", 0U );
    checkStreamRequest( requestsFrom + 0U, &job2, JOB2_BLOCKS, 0U, SimStreamServed, "job 2 request 1", &request );
    checkStreamRequest( requestsFrom + 1U, &job2, JOB2_BLOCKS, 4U, SimStreamHeld, "job 2 request 2", &request );
    checkStreamRequest( requestsFrom + 2U, &job2, JOB2_BLOCKS, 4U, SimStreamServed, "job 2 request 3 (resumed)", &request );
    checkStreamRequest( requestsFrom + 3U, &job2, JOB2_BLOCKS, 8U, SimStreamServed, "job 2 request 4", &request );
    CHECKF( simCloudStreamRequestCount() - requestsFrom == 4U, "4 GetStream requests for job 2" );
    CHECK_UNSUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/streams/sim-stream-2/data/cbor", 1U );
    checkJobStatuses( &job2, from, JOB2_BLOCKS, "job 2" );

    after = simPalStats();
    CHECKF( ( after.createCalls - before.createCalls == 1U ) && ( after.abortsOfOpenFile == before.abortsOfOpenFile ),
            "the resumed job continued its file: one createFile, no abort of the open file" );
    checkEachBlockWrittenOnce( &before, &after, JOB2_BLOCKS, "job 2" );
    CHECKF( ( after.closeCalls - before.closeCalls == 1U ) && ( after.closeVerified - before.closeVerified == 1U ),
            "the PAL closed the file once and its digest matched" );
    checkImage( &job2, "job 2" );
    cloudNow = simCloudCounters();
    CHECKF( cloudNow.blocksDelivered - cloudBefore.blocksDelivered == 15U,
            "the cloud sent 15 data messages (blocks 4..7 twice: once while suspended)" );
    CHECK_STATISTICS( 7U, 7U, 7U, 0U, "after resume" );
    CHECKF( simCloudBuffersInUse() == 0U, "every event buffer came back through OtaJobEventProcessed" );
    CHECKF( eventsSent[ OtaAgentEventRequestTimer ] == timerEvents,
            "no request-timer expiry during job 2: suspend and resume need no timer" );
    CHECKF( !timerArmed[ OtaRequestTimer ] && !timerArmed[ OtaSelfTestTimer ],
            "no OTA timer left armed once the file is closed" );
}

static void shutdownAgent( void )
{
    uint32_t from = simCloudCallCount();
    OtaState_t state;
    OtaEventMsg_t event;
    SimPalStats_t pal;
    SimCloudCounters_t cloud;

    simSection( "OTA_Shutdown" );
    state = OTA_Shutdown( 100000U );
    CHECKF( state == OtaAgentStateStopped, "OTA_Shutdown( 100000 ) -> %s (the agent task outranks the caller)",
            stateName( state ) );
    CHECKF( xSemaphoreTake( agentEnded, pdMS_TO_TICKS( STATE_TIMEOUT_MS ) ) == pdTRUE,
            "the agent task returned from OTA_EventProcessingTask" );
    CHECK_STATE( OtaAgentStateStopped );
    CHECK_UNSUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/jobs/notify-next", 0U );
    CHECK_UNSUBSCRIBE( from, "$aws/things/" SIM_THING_NAME "/jobs/$next/get/accepted", 0U );

    CHECKF( OTA_Suspend() == OtaErrAgentStopped, "OTA_Suspend() after shutdown -> OtaErrAgentStopped" );
    CHECKF( OTA_Resume() == OtaErrAgentStopped, "OTA_Resume() after shutdown -> OtaErrAgentStopped" );
    ( void ) memset( &event, 0, sizeof( event ) );
    event.eventId = OtaAgentEventStart;
    CHECKF( !OTA_SignalEvent( &event ), "OTA_SignalEvent() after shutdown -> false (no NULL interface use, #440)" );
    CHECKF( !timerArmed[ OtaRequestTimer ] && !timerArmed[ OtaSelfTestTimer ], "no OTA timer armed after shutdown" );

    simSection( "nothing left behind" );
    pal = simPalStats();
    cloud = simCloudCounters();
    CHECKF( ( allocations == 0U ) && ( releases == 0U ),
            "no OS-interface malloc/free: every buffer came from OtaAppBuffer_t (%lu / %lu)",
            ( unsigned long ) allocations, ( unsigned long ) releases );
    CHECKF( simCloudBuffersInUse() == 0U, "all %u event buffers are back", SIM_EVENT_BUFFERS );
    CHECKF( ( cloud.badReleases == 0U ) && ( cloud.signalFailures == 0U ) && ( cloud.noBuffer == 0U ) &&
            ( cloud.notSubscribed == 0U ) && ( cloud.unservable == 0U ),
            "cloud: no bad buffer release, refused event, missing buffer, message without subscriber or "
            "unservable request (%lu %lu %lu %lu %lu)", ( unsigned long ) cloud.badReleases,
            ( unsigned long ) cloud.signalFailures, ( unsigned long ) cloud.noBuffer,
            ( unsigned long ) cloud.notSubscribed, ( unsigned long ) cloud.unservable );
    CHECKF( ( pal.setStateCalls == 0U ) && ( pal.resetCalls == 0U ) && ( pal.badCalls == 0U ) &&
            ( simPalPlatformState() == OtaPalImageStateValid ),
            "PAL: no image state change, no reset, no bad call; the platform image is still Valid" );
}

void simRunTests( void )
{
    fillImage( image1, sizeof( image1 ), 0x1234567U );
    fillImage( image2, sizeof( image2 ), 0x89abcdeU );

    jobEnded = xSemaphoreCreateCounting( 4U, 0U );
    agentEnded = xSemaphoreCreateBinary();
    configASSERT( ( jobEnded != NULL ) && ( agentEnded != NULL ) );

    ( void ) memset( &interfaces, 0, sizeof( interfaces ) );
    setOsInterface( &interfaces.os );
    simPalInit( &interfaces.pal );
    simCloudInit( &interfaces.mqtt, CLOUD_PRIORITY );
    /* interfaces.http stays NULL: the library is built for MQTT data only. */

    startWhileOffline();
    job1Update();
    job2SuspendResume();
    shutdownAgent();
}
