/* A whole OTA update on QEMU (agent task, FreeRTOS OS port, simulated cloud, RAM PAL) and the agent's peak stack. */
#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "semphr.h"

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_os_freertos.h"

#include "sim_cloud.h"
#include "sim_harness.h"
#include "sim_pal.h"

#include "fw.h"

/* -DFW_QUIET_AGENT drops the prints made on the agent's stack, to measure the agent alone. */
#ifdef FW_QUIET_AGENT
    #define AGENT_PRINTF( ... )    do { } while( 0 )
#else
    #define AGENT_PRINTF( ... )    printf( __VA_ARGS__ )
#endif

#define AGENT_PRIORITY       ( tskIDLE_PRIORITY + 3 )
#define CLOUD_PRIORITY       ( tskIDLE_PRIORITY + 4 ) /* like a network task, above the agent */
#define MAIN_PRIORITY        ( tskIDLE_PRIORITY + 2 )
#define AGENT_STACK_WORDS    4096U                     /* generous; the run prints what it really used */
#define JOB_TIMEOUT_MS       20000U
#define IMAGE_BLOCKS         9U
#define IMAGE_SIZE           ( ( IMAGE_BLOCKS - 1U ) * OTA_FILE_BLOCK_SIZE + 300U ) /* last block short */

/* Symbols every v2.0.0 application defines. */
const AppVersion32_t appFirmwareVersion = { .u = { .x = { .build = 3U, .minor = 2U, .major = 1U } } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

static uint8_t image[ IMAGE_SIZE ];
static const SimCloudJob_t job =
{
    "AFR_OTA-qemu-1", "qemu-stream-1", "/qemu/firmware.bin", "/qemu/signer.pem", 0U, image, IMAGE_SIZE
};

static uint8_t updateFilePath[ 64 ];
static uint8_t certFilePath[ 64 ];
static uint8_t streamName[ 64 ];
static uint8_t decodeMemory[ OTA_FILE_BLOCK_SIZE ];
static uint8_t fileBitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];
static uint8_t updateUrl[ 256 ];
static uint8_t authScheme[ 32 ];

static OtaAppBuffer_t appBuffers =
{
    .pUpdateFilePath = updateFilePath, .updateFilePathsize = sizeof( updateFilePath ),
    .pCertFilePath   = certFilePath,   .certFilePathSize   = sizeof( certFilePath ),
    .pStreamName     = streamName,     .streamNameSize     = sizeof( streamName ),
    .pDecodeMemory   = decodeMemory,   .decodeMemorySize   = sizeof( decodeMemory ),
    .pFileBitmap     = fileBitmap,     .fileBitmapSize     = sizeof( fileBitmap ),
    .pUrl            = updateUrl,      .urlSize            = sizeof( updateUrl ),
    .pAuthScheme     = authScheme,     .authSchemeSize     = sizeof( authScheme )
};

static OtaInterfaces_t interfaces;
static SemaphoreHandle_t jobEnded;
static TaskHandle_t agentHandle;
static volatile uint32_t activateEvents;
static volatile uint32_t failEvents;
static volatile uint32_t blocksWritten;
static volatile uint32_t timerEvents;
static int16_t ( * palWriteInner )( OtaFileContext_t * const, uint32_t, uint8_t * const, uint32_t );

/* sim_cloud.c stamps its records with this (sim_harness.h). */
uint32_t simNowMs( void )
{
    return ( uint32_t ) ( xTaskGetTickCount() * portTICK_PERIOD_MS );
}

/* The sim PAL's block write, wrapped only to print the download's progress. */
static int16_t palWrite( OtaFileContext_t * const pFile, uint32_t offset, uint8_t * const pData, uint32_t size )
{
    int16_t written = palWriteInner( pFile, offset, pData, size );

    blocksWritten++;
    AGENT_PRINTF( "  [%5lu ms] block at offset %5lu, %4lu bytes -> RAM flash (%d)\n", ( unsigned long ) simNowMs(),
            ( unsigned long ) offset, ( unsigned long ) size, written );
    return written;
}

/* The port's send, wrapped to count request-timer events (only an expired request timer sends them). */
static OtaOsStatus_t countingSend( OtaEventContext_t * pCtx, const void * pMsg, unsigned int timeout )
{
    OtaOsStatus_t status = OtaSendEvent_FreeRTOS( pCtx, pMsg, timeout );

    if( ( status == OtaOsSuccess ) && ( ( ( const OtaEventMsg_t * ) pMsg )->eventId == OtaAgentEventRequestTimer ) )
    {
        timerEvents++;
        printf( "  [%5lu ms] request timer expired: agent asks again\n", ( unsigned long ) simNowMs() );
    }

    return status;
}

static void appCallback( OtaJobEvent_t event, const void * pData )
{
    switch( event )
    {
        case OtaJobEventProcessed:
            simCloudReleaseBuffer( pData );
            break;

        case OtaJobEventActivate:
            activateEvents++;
            AGENT_PRINTF( "  [%5lu ms] OtaJobEventActivate: image verified\n", ( unsigned long ) simNowMs() );
            ( void ) OTA_ActivateNewImage();
            ( void ) xSemaphoreGive( jobEnded );
            break;

        case OtaJobEventFail:
            failEvents++;
            AGENT_PRINTF( "  [%5lu ms] OtaJobEventFail\n", ( unsigned long ) simNowMs() );
            ( void ) xSemaphoreGive( jobEnded );
            break;

        default:
            break;
    }
}

static void agentTask( void * pParameters )
{
    ( void ) pParameters;
    OTA_EventProcessingTask( NULL );
    vTaskDelete( NULL ); /* only after OTA_Shutdown */
}

/* The last status the agent published for the job, as the cloud recorded it. */
static bool lastJobStatus( char * pOut, size_t capacity )
{
    static SimCall_t call; /* large: keep it off this task's stack */
    char topic[ SIM_TOPIC_MAX ];
    uint32_t i;
    bool found = false;

    ( void ) snprintf( topic, sizeof( topic ), "$aws/things/%s/jobs/%s/update", SIM_THING_NAME, job.pJobId );

    for( i = 0U; simCloudCall( i, &call ); i++ )
    {
        if( ( call.kind == SimCallPublish ) && call.accepted && ( strcmp( call.topic, topic ) == 0 ) )
        {
            printf( "  cloud got status: %s\n", ( const char * ) call.payload );
            ( void ) strncpy( pOut, ( const char * ) call.payload, capacity - 1U );
            pOut[ capacity - 1U ] = '\0';
            found = true;
        }
    }

    return found;
}

static void mainTask( void * pParameters )
{
    OtaEventMsg_t start;
    char status[ 200 ];
    char expected[ 200 ];
    uint32_t verifiedSize = 0U;
    const uint8_t * pVerified;
    SimStreamRequest_t request;
    uint32_t i;
    uint32_t dropped = 0U;
    UBaseType_t freeWords;
    int failures = 0;

    ( void ) pParameters;

    for( i = 0U; i < IMAGE_SIZE; i++ )
    {
        image[ i ] = ( uint8_t ) ( ( i * 131U ) ^ ( i >> 7 ) );
    }

    jobEnded = xSemaphoreCreateBinary();

    interfaces.os.event.init = OtaInitEvent_FreeRTOS;
    interfaces.os.event.send = countingSend;
    interfaces.os.event.recv = OtaReceiveEvent_FreeRTOS;
    interfaces.os.event.deinit = OtaDeinitEvent_FreeRTOS;
    interfaces.os.timer.start = OtaStartTimer_FreeRTOS;
    interfaces.os.timer.stop = OtaStopTimer_FreeRTOS;
    interfaces.os.timer.delete = OtaDeleteTimer_FreeRTOS;
    interfaces.os.mem.malloc = Malloc_FreeRTOS;
    interfaces.os.mem.free = Free_FreeRTOS;
    simPalInit( &interfaces.pal );
    palWriteInner = interfaces.pal.writeBlock;
    interfaces.pal.writeBlock = palWrite;
    simCloudInit( &interfaces.mqtt, CLOUD_PRIORITY );

    simCloudSetOnline( true );
    simCloudSetPendingJob( &job );
    simCloudDropStreamRequest( 2U ); /* lost on the way: only the request timer can finish the download */

    printf( "OTA: job %s, %lu bytes in %lu blocks of %lu\n", job.pJobId, ( unsigned long ) IMAGE_SIZE,
            ( unsigned long ) IMAGE_BLOCKS, ( unsigned long ) OTA_FILE_BLOCK_SIZE );

    if( OTA_Init( &appBuffers, &interfaces, ( const uint8_t * ) SIM_THING_NAME, appCallback ) != OtaErrNone )
    {
        printf( "OTA_Init failed\n" );
        fwExit( 1 );
    }

    configASSERT( xTaskCreate( agentTask, "otaAgent", AGENT_STACK_WORDS, NULL, AGENT_PRIORITY, &agentHandle ) == pdPASS );

    ( void ) memset( &start, 0, sizeof( start ) );
    start.eventId = OtaAgentEventStart;
    configASSERT( OTA_SignalEvent( &start ) );

    if( xSemaphoreTake( jobEnded, pdMS_TO_TICKS( JOB_TIMEOUT_MS ) ) != pdTRUE )
    {
        printf( "OTA: no outcome within %lu ms (state %d)\n", ( unsigned long ) JOB_TIMEOUT_MS, ( int ) OTA_GetState() );
        failures++;
    }

    vTaskDelay( pdMS_TO_TICKS( 200 ) ); /* let the cloud task take the last status */

    /* What the cloud must have seen last: the self-test "ready" status naming the running version. */
    ( void ) snprintf( expected, sizeof( expected ),
                       "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"self_test\":\"ready\",\"updatedBy\":\"0x%08lx\"}}",
                       ( unsigned long ) appFirmwareVersion.u.unsignedVersion32 );

    if( !lastJobStatus( status, sizeof( status ) ) || ( strcmp( status, expected ) != 0 ) )
    {
        printf( "FAIL: last job status is not %s\n", expected );
        failures++;
    }

    pVerified = simPalVerifiedImage( &verifiedSize );

    if( ( activateEvents != 1U ) || ( failEvents != 0U ) || ( verifiedSize != IMAGE_SIZE ) ||
        ( memcmp( pVerified, image, IMAGE_SIZE ) != 0 ) )
    {
        printf( "FAIL: activate %lu, fail %lu, verified %lu bytes\n", ( unsigned long ) activateEvents,
                ( unsigned long ) failEvents, ( unsigned long ) verifiedSize );
        failures++;
    }

    for( i = 0U; simCloudStreamRequest( i, &request ); i++ )
    {
        dropped += ( request.fate == SimStreamDropped ) ? 1U : 0U;
    }

    printf( "OTA: %lu block writes, %lu GetStream requests (%lu dropped), %lu request-timer events\n",
            ( unsigned long ) blocksWritten, ( unsigned long ) simCloudStreamRequestCount(),
            ( unsigned long ) dropped, ( unsigned long ) timerEvents );

    if( ( dropped != 1U ) || ( timerEvents == 0U ) )
    {
        printf( "FAIL: the dropped request was not recovered by the request timer\n" );
        failures++;
    }

    /* The agent task's peak stack (its stack was painted at creation). */
    freeWords = uxTaskGetStackHighWaterMark( agentHandle );
    printf( "OTA task stack: %lu of %lu bytes used at peak\n",
            ( unsigned long ) ( ( AGENT_STACK_WORDS - freeWords ) * sizeof( StackType_t ) ),
            ( unsigned long ) ( AGENT_STACK_WORDS * sizeof( StackType_t ) ) );

    printf( "OTA: shutdown -> state %d\n", ( int ) OTA_Shutdown( pdMS_TO_TICKS( 2000 ) ) );
    printf( "OTA update %s\n", ( failures == 0 ) ? "PASSED" : "FAILED" );
    fwExit( ( failures == 0 ) ? 0 : 1 );
}

int main( void )
{
    setvbuf( stdout, NULL, _IONBF, 0 ); /* no malloc'd stdio buffer: tasks print without newlib's heap */
    printf( "firmware_qemu: OTA update on FreeRTOS %s\n", tskKERNEL_VERSION_NUMBER );
    xTaskCreate( mainTask, "main", configMINIMAL_STACK_SIZE * 8, NULL, MAIN_PRIORITY, NULL );
    vTaskStartScheduler();
    return 1;
}
