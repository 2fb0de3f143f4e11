/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* The simulator's in-process AWS IoT: see sim_cloud.h. */

#include <stdio.h>
#include <string.h>

#include "FreeRTOS.h"
#include "task.h"
#include "queue.h"
#include "semphr.h"

#include "ota.h"

#include "sim_cbor.h"
#include "sim_cloud.h"
#include "sim_harness.h"
#include "sim_pal.h"

#define THING_PREFIX      "$aws/things/" SIM_THING_NAME "/"
#define MAX_JOBS          4U
#define MAX_SUBS          8U
#define NO_BLOCK          UINT32_MAX
#define NO_REQUEST        0U
#define CLOUD_STACK       ( configMINIMAL_STACK_SIZE * 4U )
#define INBOX_LENGTH      32U
#define BUFFER_WAIT_MS    5000U

/* Work for the cloud task. */
typedef enum CommandKind
{
    CommandPublished, /* the agent published calls[ index ] */
    CommandNotifyNext,
    CommandReleaseHeld
} CommandKind_t;

typedef struct Command
{
    CommandKind_t kind;
    uint32_t index;
    const SimCloudJob_t * pJob;
} Command_t;

/* The Jobs service's view of one job execution. */
typedef struct JobState
{
    const SimCloudJob_t * pJob;
    char status[ 16 ];
    char statusDetails[ 160 ];
    uint32_t versionNumber;
    const char * pSignature; /* base64 "sig-sha256-ecdsa"; NULL: the sim PAL's digest */
} JobState_t;

/* Shared state, under `lock` (the buffer pool uses critical sections instead). */
static SemaphoreHandle_t lock;
static QueueHandle_t inbox;
static SemaphoreHandle_t heldSignal;
static bool online;
static const SimCloudJob_t * pPendingJob;
static JobState_t jobs[ MAX_JOBS ];
static char subscriptions[ MAX_SUBS ][ SIM_TOPIC_MAX ];
static SimCall_t calls[ SIM_MAX_CALLS ];
static uint32_t callCount;
static SimStreamRequest_t streamRequests[ SIM_MAX_STREAM_REQS ];
static uint32_t streamRequestCount;
static uint32_t dropAt = NO_REQUEST;  /* 1-based ordinal of a stream request to drop */
static uint32_t holdAt = NO_REQUEST;  /* ... and of one to hold */
static uint32_t duplicateBlock = NO_BLOCK;
static SimStreamRequest_t heldRequest;
static bool holding;
static SimCloudCounters_t counters;

static OtaEventData_t eventBuffers[ SIM_EVENT_BUFFERS ];

/* Cloud task only: scratch space for outgoing messages. */
static char document[ 1024 ];
static uint8_t dataMessage[ OTA_FILE_BLOCK_SIZE + 64U ];

static void take( void )
{
    ( void ) xSemaphoreTake( lock, portMAX_DELAY );
}

static void give( void )
{
    ( void ) xSemaphoreGive( lock );
}

/* ---- event buffers ----------------------------------------------------------------------- */

static OtaEventData_t * acquireBuffer( void )
{
    OtaEventData_t * pFound = NULL;
    uint32_t waited = 0U;
    uint32_t i;

    while( ( pFound == NULL ) && ( waited <= BUFFER_WAIT_MS ) )
    {
        taskENTER_CRITICAL();

        for( i = 0U; ( pFound == NULL ) && ( i < SIM_EVENT_BUFFERS ); i++ )
        {
            if( !eventBuffers[ i ].bufferUsed )
            {
                pFound = &eventBuffers[ i ];
                pFound->bufferUsed = true;
            }
        }

        taskEXIT_CRITICAL();

        if( pFound == NULL )
        {
            /* The agent still holds them all: wait for it to hand one back. */
            vTaskDelay( 1 );
            waited++;
        }
    }

    return pFound;
}

void simCloudReleaseBuffer( const void * pEventData )
{
    uint32_t i;
    bool released = false;

    taskENTER_CRITICAL();

    for( i = 0U; i < SIM_EVENT_BUFFERS; i++ )
    {
        if( ( pEventData == ( const void * ) &eventBuffers[ i ] ) && eventBuffers[ i ].bufferUsed )
        {
            eventBuffers[ i ].bufferUsed = false;
            released = true;
        }
    }

    if( !released )
    {
        counters.badReleases++;
    }

    taskEXIT_CRITICAL();
}

uint32_t simCloudBuffersInUse( void )
{
    uint32_t used = 0U;
    uint32_t i;

    taskENTER_CRITICAL();

    for( i = 0U; i < SIM_EVENT_BUFFERS; i++ )
    {
        used += eventBuffers[ i ].bufferUsed ? 1U : 0U;
    }

    taskEXIT_CRITICAL();

    return used;
}

/* ---- the broker: subscriptions and delivery ---------------------------------------------- */

static int findSubscription( const char * pTopic )
{
    int found = -1;
    uint32_t i;

    for( i = 0U; ( found < 0 ) && ( i < MAX_SUBS ); i++ )
    {
        if( ( subscriptions[ i ][ 0 ] != '\0' ) && ( strcmp( subscriptions[ i ], pTopic ) == 0 ) )
        {
            found = ( int ) i;
        }
    }

    return found;
}

bool simCloudIsSubscribed( const char * pTopic )
{
    bool subscribed;

    take();
    subscribed = ( findSubscription( pTopic ) >= 0 );
    give();

    return subscribed;
}

/* Hands a message on `pTopic` to the agent as the application's MQTT callback would. */
static bool deliver( const char * pTopic,
                     const void * pPayload,
                     uint32_t length,
                     OtaEvent_t eventId )
{
    bool delivered = false;
    bool subscribed;
    OtaEventData_t * pBuffer = NULL;
    OtaEventMsg_t message;

    take();
    subscribed = ( findSubscription( pTopic ) >= 0 );

    if( !subscribed )
    {
        counters.notSubscribed++;
    }

    give();

    if( subscribed && ( length <= sizeof( pBuffer->data ) ) )
    {
        pBuffer = acquireBuffer();

        if( pBuffer == NULL )
        {
            take();
            counters.noBuffer++;
            give();
        }
    }

    if( pBuffer != NULL )
    {
        ( void ) memcpy( pBuffer->data, pPayload, length );
        pBuffer->dataLength = length;
        ( void ) memset( &message, 0, sizeof( message ) );
        message.eventId = eventId;
        message.pEventData = pBuffer;

        take();

        if( eventId == OtaAgentEventReceivedFileBlock )
        {
            counters.blocksDelivered++;
        }
        else
        {
            counters.jobDocsDelivered++;
        }

        give();

        if( OTA_SignalEvent( &message ) )
        {
            delivered = true;
        }
        else
        {
            simCloudReleaseBuffer( pBuffer );
            take();
            counters.signalFailures++;
            give();
        }
    }

    return delivered;
}

/* ---- the MQTT interface (called by the agent) -------------------------------------------- */

/* Records one call; returns its index, or SIM_MAX_CALLS when the record is full. */
static uint32_t record( SimCallKind_t kind,
                        const char * pTopic,
                        uint16_t topicLength,
                        const void * pPayload,
                        uint32_t payloadLength,
                        uint8_t qos,
                        bool accepted )
{
    uint32_t index = SIM_MAX_CALLS;
    SimCall_t * pCall;
    size_t keep;

    take();

    if( callCount < SIM_MAX_CALLS )
    {
        index = callCount;
        callCount++;
        pCall = &calls[ index ];
        ( void ) memset( pCall, 0, sizeof( *pCall ) );
        pCall->kind = kind;
        pCall->accepted = accepted;
        pCall->qos = qos;
        pCall->timeMs = simNowMs();
        keep = ( topicLength < SIM_TOPIC_MAX ) ? topicLength : ( SIM_TOPIC_MAX - 1U );
        ( void ) memcpy( pCall->topic, pTopic, keep );
        pCall->payloadLength = payloadLength;
        keep = ( payloadLength < SIM_PAYLOAD_MAX ) ? payloadLength : SIM_PAYLOAD_MAX;

        if( ( pPayload != NULL ) && ( keep > 0U ) )
        {
            ( void ) memcpy( pCall->payload, pPayload, keep );
        }
    }

    give();

    return index;
}

static bool isOnline( void )
{
    bool result;

    take();
    result = online;
    give();

    return result;
}

static OtaMqttStatus_t mqttSubscribe( const char * pTopicFilter,
                                      uint16_t topicFilterLength,
                                      uint8_t qos )
{
    bool accepted = isOnline() && ( pTopicFilter != NULL ) && ( topicFilterLength < SIM_TOPIC_MAX );
    uint32_t i;
    uint32_t index = record( SimCallSubscribe, pTopicFilter, topicFilterLength, NULL, 0U, qos, accepted );

    if( accepted && ( index < SIM_MAX_CALLS ) )
    {
        take();

        if( findSubscription( calls[ index ].topic ) < 0 )
        {
            accepted = false;

            for( i = 0U; ( !accepted ) && ( i < MAX_SUBS ); i++ )
            {
                if( subscriptions[ i ][ 0 ] == '\0' )
                {
                    ( void ) strcpy( subscriptions[ i ], calls[ index ].topic );
                    accepted = true;
                }
            }

            calls[ index ].accepted = accepted;
        }

        give();
    }

    return accepted ? OtaMqttSuccess : OtaMqttSubscribeFailed;
}

static OtaMqttStatus_t mqttUnsubscribe( const char * pTopicFilter,
                                        uint16_t topicFilterLength,
                                        uint8_t qos )
{
    bool accepted = isOnline() && ( pTopicFilter != NULL ) && ( topicFilterLength < SIM_TOPIC_MAX );
    int slot;
    uint32_t index = record( SimCallUnsubscribe, pTopicFilter, topicFilterLength, NULL, 0U, qos, accepted );

    if( accepted && ( index < SIM_MAX_CALLS ) )
    {
        take();
        slot = findSubscription( calls[ index ].topic );

        if( slot >= 0 )
        {
            subscriptions[ slot ][ 0 ] = '\0';
        }

        give();
    }

    /* Unsubscribing from a topic one is not subscribed to is not an error for a broker. */
    return accepted ? OtaMqttSuccess : OtaMqttUnsubscribeFailed;
}

static OtaMqttStatus_t mqttPublish( const char * const pTopic,
                                    uint16_t topicLength,
                                    const char * pMessage,
                                    uint32_t messageLength,
                                    uint8_t qos )
{
    bool accepted = isOnline() && ( pTopic != NULL ) && ( topicLength < SIM_TOPIC_MAX );
    uint32_t index = record( SimCallPublish, pTopic, topicLength, pMessage, messageLength, qos, accepted );
    Command_t command;

    if( accepted && ( index < SIM_MAX_CALLS ) )
    {
        command.kind = CommandPublished;
        command.index = index;
        command.pJob = NULL;
        accepted = ( xQueueSendToBack( inbox, &command, 0 ) == pdTRUE );

        if( !accepted )
        {
            take();
            calls[ index ].accepted = false;
            give();
        }
    }

    return accepted ? OtaMqttSuccess : OtaMqttPublishFailed;
}

/* ---- the Jobs service -------------------------------------------------------------------- */

/* The job's execution record, or NULL if the cloud has none. */
static JobState_t * findJobStateLocked( const SimCloudJob_t * pJob )
{
    JobState_t * pState = NULL;
    uint32_t i;

    for( i = 0U; ( pState == NULL ) && ( pJob != NULL ) && ( i < MAX_JOBS ); i++ )
    {
        if( jobs[ i ].pJob == pJob )
        {
            pState = &jobs[ i ];
        }
    }

    return pState;
}

static JobState_t * jobStateLocked( const SimCloudJob_t * pJob )
{
    JobState_t * pState = NULL;
    uint32_t i;

    for( i = 0U; ( pState == NULL ) && ( i < MAX_JOBS ); i++ )
    {
        if( jobs[ i ].pJob == pJob )
        {
            pState = &jobs[ i ];
        }
    }

    for( i = 0U; ( pState == NULL ) && ( i < MAX_JOBS ); i++ )
    {
        if( jobs[ i ].pJob == NULL )
        {
            pState = &jobs[ i ];
            pState->pJob = pJob;
            ( void ) strcpy( pState->status, "QUEUED" );
            ( void ) strcpy( pState->statusDetails, "{}" );
            pState->versionNumber = 1U;
            pState->pSignature = NULL;
        }
    }

    return pState;
}

static JobState_t * jobStateByIdLocked( const char * pJobId )
{
    JobState_t * pState = NULL;
    uint32_t i;

    for( i = 0U; ( pState == NULL ) && ( i < MAX_JOBS ); i++ )
    {
        if( ( jobs[ i ].pJob != NULL ) && ( strcmp( jobs[ i ].pJob->pJobId, pJobId ) == 0 ) )
        {
            pState = &jobs[ i ];
        }
    }

    return pState;
}

static const SimCloudJob_t * jobByStreamLocked( const char * pStream )
{
    const SimCloudJob_t * pJob = NULL;
    uint32_t i;

    for( i = 0U; ( pJob == NULL ) && ( i < MAX_JOBS ); i++ )
    {
        if( ( jobs[ i ].pJob != NULL ) && ( strcmp( jobs[ i ].pJob->pStreamName, pStream ) == 0 ) )
        {
            pJob = jobs[ i ].pJob;
        }
    }

    return pJob;
}

/* Whether the job's execution has ended: the Jobs service no longer offers it as next. */
static bool isTerminalLocked( const SimCloudJob_t * pJob )
{
    static const char * const terminal[] = { "SUCCEEDED", "FAILED", "REJECTED", "REMOVED", "CANCELED", "TIMED_OUT" };
    const JobState_t * pState = findJobStateLocked( pJob );
    bool ended = false;
    uint32_t i;

    for( i = 0U; ( pState != NULL ) && ( i < ( sizeof( terminal ) / sizeof( terminal[ 0 ] ) ) ); i++ )
    {
        ended = ended || ( strcmp( pState->status, terminal[ i ] ) == 0 );
    }

    return ended;
}

static void base64Encode( const uint8_t * pInput,
                          size_t length,
                          char * pOutput )
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;
    size_t out = 0U;
    uint32_t group;

    for( i = 0U; i < length; i += 3U )
    {
        group = ( uint32_t ) pInput[ i ] << 16;
        group |= ( i + 1U < length ) ? ( ( uint32_t ) pInput[ i + 1U ] << 8 ) : 0U;
        group |= ( i + 2U < length ) ? ( uint32_t ) pInput[ i + 2U ] : 0U;
        pOutput[ out++ ] = alphabet[ ( group >> 18 ) & 0x3fU ];
        pOutput[ out++ ] = alphabet[ ( group >> 12 ) & 0x3fU ];
        pOutput[ out++ ] = ( i + 1U < length ) ? alphabet[ ( group >> 6 ) & 0x3fU ] : '=';
        pOutput[ out++ ] = ( i + 2U < length ) ? alphabet[ group & 0x3fU ] : '=';
    }

    pOutput[ out ] = '\0';
}

/* The execution of `pJob` as the Jobs service sends it, with a client token when answering a
 * request. NULL job: the "no pending job" answer (no "execution"). Returns the length. */
static uint32_t buildJobDocument( const SimCloudJob_t * pJob,
                                  const char * pClientToken )
{
    char token[ 48 ] = "";
    char signature[ 16 ];
    const char * pSignature;
    uint8_t digest[ 4 ];
    uint32_t value;
    JobState_t state;
    const JobState_t * pState;
    int length;

    if( pClientToken != NULL )
    {
        ( void ) snprintf( token, sizeof( token ), "\"clientToken\":\"%s\",", pClientToken );
    }

    if( pJob == NULL )
    {
        length = snprintf( document, sizeof( document ), "{%s\"timestamp\":%lu}", token,
                           ( unsigned long ) ( 1700000000UL + simNowMs() / 1000U ) );
    }
    else
    {
        value = simPalDigest( pJob->pImage, pJob->imageSize );
        digest[ 0 ] = ( uint8_t ) ( value >> 24 );
        digest[ 1 ] = ( uint8_t ) ( value >> 16 );
        digest[ 2 ] = ( uint8_t ) ( value >> 8 );
        digest[ 3 ] = ( uint8_t ) value;
        base64Encode( digest, sizeof( digest ), signature );

        take();
        pState = jobStateLocked( pJob );

        if( pState != NULL )
        {
            state = *pState;
        }
        else
        {
            ( void ) memset( &state, 0, sizeof( state ) );
            ( void ) strcpy( state.status, "QUEUED" );
            ( void ) strcpy( state.statusDetails, "{}" );
        }

        give();

        pSignature = ( state.pSignature != NULL ) ? state.pSignature : signature;

        length = snprintf( document, sizeof( document ),
                           "{%s\"timestamp\":%lu,\"execution\":{\"jobId\":\"%s\",\"status\":\"%s\","
                           "\"statusDetails\":%s,\"queuedAt\":1700000000,\"lastUpdatedAt\":%lu,"
                           "\"versionNumber\":%lu,\"executionNumber\":1,\"jobDocument\":{\"afr_ota\":{"
                           "\"protocols\":[\"MQTT\"],\"streamname\":\"%s\",\"files\":[{\"filepath\":\"%s\","
                           "\"filesize\":%lu,\"fileid\":%lu,\"certfile\":\"%s\",\"sig-sha256-ecdsa\":\"%s\"}]}}}}",
                           token, ( unsigned long ) ( 1700000000UL + simNowMs() / 1000U ), pJob->pJobId,
                           state.status, state.statusDetails,
                           ( unsigned long ) ( 1700000000UL + simNowMs() / 1000U ),
                           ( unsigned long ) state.versionNumber, pJob->pStreamName, pJob->pFilePath,
                           ( unsigned long ) pJob->imageSize, ( unsigned long ) pJob->fileId,
                           pJob->pCertFile, pSignature );
    }

    return ( ( length > 0 ) && ( ( size_t ) length < sizeof( document ) ) ) ? ( uint32_t ) length : 0U;
}

/* Copies the JSON string value of "key" (flat text search: enough for the agent's messages). */
static bool findString( const char * pJson,
                        const char * pKey,
                        char * pOut,
                        size_t capacity )
{
    char pattern[ 32 ];
    const char * pStart;
    const char * pEnd;
    bool found = false;

    ( void ) snprintf( pattern, sizeof( pattern ), "\"%s\":\"", pKey );
    pStart = strstr( pJson, pattern );

    if( pStart != NULL )
    {
        pStart += strlen( pattern );
        pEnd = strchr( pStart, '"' );

        if( ( pEnd != NULL ) && ( ( size_t ) ( pEnd - pStart ) < capacity ) )
        {
            ( void ) memcpy( pOut, pStart, ( size_t ) ( pEnd - pStart ) );
            pOut[ pEnd - pStart ] = '\0';
            found = true;
        }
    }

    return found;
}

static void answerNextJob( const SimCall_t * pCall )
{
    char clientToken[ 80 ];
    const SimCloudJob_t * pJob;
    uint32_t length;

    if( !findString( ( const char * ) pCall->payload, "clientToken", clientToken, sizeof( clientToken ) ) )
    {
        clientToken[ 0 ] = '\0';
    }

    take();
    pJob = pPendingJob;

    if( ( pJob != NULL ) && isTerminalLocked( pJob ) )
    {
        pJob = NULL; /* the Jobs service offers only QUEUED and IN_PROGRESS executions */
    }

    give();

    length = buildJobDocument( pJob, ( clientToken[ 0 ] != '\0' ) ? clientToken : NULL );

    if( length > 0U )
    {
        ( void ) deliver( THING_PREFIX "jobs/$next/get/accepted", document, length,
                          OtaAgentEventReceivedJobDocument );
    }
}

/* A job status update: the execution takes the reported status and status details. */
static void updateJob( const char * pJobId,
                       const SimCall_t * pCall )
{
    const char * pJson = ( const char * ) pCall->payload;
    const char * pDetails = strstr( pJson, "\"statusDetails\":" );
    const char * pEnd = NULL;
    JobState_t * pState;

    if( pDetails != NULL )
    {
        pDetails += strlen( "\"statusDetails\":" );
        pEnd = strchr( pDetails, '}' );
    }

    take();
    pState = jobStateByIdLocked( pJobId );

    if( pState != NULL )
    {
        ( void ) findString( pJson, "status", pState->status, sizeof( pState->status ) );

        if( ( pEnd != NULL ) && ( ( size_t ) ( pEnd + 1 - pDetails ) < sizeof( pState->statusDetails ) ) )
        {
            ( void ) memcpy( pState->statusDetails, pDetails, ( size_t ) ( pEnd + 1 - pDetails ) );
            pState->statusDetails[ pEnd + 1 - pDetails ] = '\0';
        }

        pState->versionNumber++;
    }

    give();
}

/* ---- the MQTT streams service ------------------------------------------------------------ */

static void decodeStreamRequest( const SimCall_t * pCall,
                                 SimStreamRequest_t * pRequest )
{
    SimCborMap_t map;
    const SimCborField_t * pToken;
    const SimCborField_t * pFile;
    const SimCborField_t * pSize;
    const SimCborField_t * pOffset;
    const SimCborField_t * pBitmap;
    const SimCborField_t * pCount;

    if( ( pCall->payloadLength <= SIM_PAYLOAD_MAX ) &&
        simCborDecodeMap( pCall->payload, pCall->payloadLength, &map ) )
    {
        pToken = simCborFind( &map, "c", SimCborKindText );
        pFile = simCborFind( &map, "f", SimCborKindInt );
        pSize = simCborFind( &map, "l", SimCborKindInt );
        pOffset = simCborFind( &map, "o", SimCborKindInt );
        pBitmap = simCborFind( &map, "b", SimCborKindBytes );
        pCount = simCborFind( &map, "n", SimCborKindInt );

        if( ( map.count == 6U ) && ( pToken != NULL ) && ( pFile != NULL ) && ( pSize != NULL ) &&
            ( pOffset != NULL ) && ( pBitmap != NULL ) && ( pCount != NULL ) &&
            ( pToken->length < sizeof( pRequest->clientToken ) ) && ( pBitmap->length <= SIM_BITMAP_MAX ) )
        {
            ( void ) memcpy( pRequest->clientToken, pToken->pBytes, pToken->length );
            pRequest->clientToken[ pToken->length ] = '\0';
            pRequest->fileId = pFile->intValue;
            pRequest->blockSize = pSize->intValue;
            pRequest->blockOffset = pOffset->intValue;
            ( void ) memcpy( pRequest->bitmap, pBitmap->pBytes, pBitmap->length );
            pRequest->bitmapLength = ( uint32_t ) pBitmap->length;
            pRequest->numBlocks = pCount->intValue;
            pRequest->decoded = true;
        }
    }
}

static void sendBlock( const SimCloudJob_t * pJob,
                       const char * pDataTopic,
                       uint32_t blockId,
                       uint32_t blockSize )
{
    SimCborWriter_t writer;
    uint32_t offset = blockId * blockSize;
    uint32_t length = pJob->imageSize - offset;

    if( length > blockSize )
    {
        length = blockSize;
    }

    simCborWriterInit( &writer, dataMessage, sizeof( dataMessage ) );
    simCborPutMap( &writer, 4U );
    simCborPutText( &writer, "f" );
    simCborPutInt( &writer, pJob->fileId );
    simCborPutText( &writer, "i" );
    simCborPutInt( &writer, blockId );
    simCborPutText( &writer, "l" );
    simCborPutInt( &writer, length );
    simCborPutText( &writer, "p" );
    simCborPutBytes( &writer, &pJob->pImage[ offset ], length );

    if( simCborWriterLength( &writer ) > 0U )
    {
        ( void ) deliver( pDataTopic, dataMessage, ( uint32_t ) simCborWriterLength( &writer ),
                          OtaAgentEventReceivedFileBlock );
    }
}

/* Sends up to `n` of the blocks the bitmap asks for, in order (bit k of the bitmap, LSB
 * first in each byte, is block offset + k). */
static void serve( const SimStreamRequest_t * pRequest )
{
    const SimCloudJob_t * pJob;
    char dataTopic[ SIM_TOPIC_MAX ];
    uint32_t blocks;
    uint32_t sent = 0U;
    uint32_t k;
    uint32_t blockId;
    bool twice;

    take();
    pJob = jobByStreamLocked( pRequest->stream );
    give();

    if( !pRequest->decoded || ( pJob == NULL ) || ( pRequest->fileId != ( int64_t ) pJob->fileId ) ||
        ( pRequest->blockSize <= 0 ) || ( pRequest->blockSize > ( int64_t ) OTA_FILE_BLOCK_SIZE ) ||
        ( pRequest->blockOffset < 0 ) || ( pRequest->numBlocks <= 0 ) )
    {
        take();
        counters.unservable++;
        give();
    }
    else
    {
        ( void ) snprintf( dataTopic, sizeof( dataTopic ), THING_PREFIX "streams/%s/data/cbor",
                           pRequest->stream );
        blocks = ( pJob->imageSize + ( uint32_t ) pRequest->blockSize - 1U ) / ( uint32_t ) pRequest->blockSize;

        for( k = 0U; ( k < pRequest->bitmapLength * 8U ) && ( sent < ( uint32_t ) pRequest->numBlocks ); k++ )
        {
            blockId = ( uint32_t ) pRequest->blockOffset + k;

            if( ( ( pRequest->bitmap[ k / 8U ] >> ( k % 8U ) ) & 1U ) && ( blockId < blocks ) )
            {
                sendBlock( pJob, dataTopic, blockId, ( uint32_t ) pRequest->blockSize );
                sent++;

                take();
                twice = ( duplicateBlock == blockId );

                if( twice )
                {
                    duplicateBlock = NO_BLOCK;
                }

                give();

                if( twice )
                {
                    sendBlock( pJob, dataTopic, blockId, ( uint32_t ) pRequest->blockSize );
                }
            }
        }
    }
}

static void onStreamRequest( const char * pStream,
                             const SimCall_t * pCall )
{
    SimStreamRequest_t request;
    uint32_t ordinal;

    ( void ) memset( &request, 0, sizeof( request ) );
    request.timeMs = pCall->timeMs;
    ( void ) snprintf( request.stream, sizeof( request.stream ), "%s", pStream );
    decodeStreamRequest( pCall, &request );

    take();
    streamRequestCount++;
    ordinal = streamRequestCount;

    if( ordinal == dropAt )
    {
        request.fate = SimStreamDropped;
        dropAt = NO_REQUEST;
    }
    else if( ordinal == holdAt )
    {
        request.fate = SimStreamHeld;
        holdAt = NO_REQUEST;
        heldRequest = request;
        holding = true;
    }
    else
    {
        request.fate = SimStreamServed;
    }

    if( ordinal <= SIM_MAX_STREAM_REQS )
    {
        streamRequests[ ordinal - 1U ] = request;
    }

    give();

    if( request.fate == SimStreamServed )
    {
        serve( &request );
    }
    else if( request.fate == SimStreamHeld )
    {
        ( void ) xSemaphoreGive( heldSignal );
    }
    else
    {
        /* Dropped: as if the request or its answer was lost on the way. */
    }
}

/* ---- the cloud task ---------------------------------------------------------------------- */

/* `pTopic` is THING_PREFIX + pHead + <name> + pTail with a non-empty name without '/'. */
static bool matchTopic( const char * pTopic,
                        const char * pHead,
                        const char * pTail,
                        char * pName,
                        size_t capacity )
{
    size_t prefix = strlen( THING_PREFIX ) + strlen( pHead );
    size_t total = strlen( pTopic );
    size_t tail = strlen( pTail );
    size_t nameLength;
    bool match = false;

    if( ( total > prefix + tail ) && ( strncmp( pTopic, THING_PREFIX, strlen( THING_PREFIX ) ) == 0 ) &&
        ( strncmp( &pTopic[ strlen( THING_PREFIX ) ], pHead, strlen( pHead ) ) == 0 ) &&
        ( strcmp( &pTopic[ total - tail ], pTail ) == 0 ) )
    {
        nameLength = total - prefix - tail;

        if( ( nameLength < capacity ) && ( memchr( &pTopic[ prefix ], '/', nameLength ) == NULL ) )
        {
            ( void ) memcpy( pName, &pTopic[ prefix ], nameLength );
            pName[ nameLength ] = '\0';
            match = true;
        }
    }

    return match;
}

static void onPublished( uint32_t index )
{
    static SimCall_t call; /* cloud task only */
    char name[ 140 ];

    take();
    call = calls[ index ];
    give();

    if( strcmp( call.topic, THING_PREFIX "jobs/$next/get" ) == 0 )
    {
        answerNextJob( &call );
    }
    else if( matchTopic( call.topic, "jobs/", "/update", name, sizeof( name ) ) )
    {
        updateJob( name, &call );
    }
    else if( matchTopic( call.topic, "streams/", "/get/cbor", name, sizeof( name ) ) )
    {
        onStreamRequest( name, &call );
    }
    else
    {
        /* Nobody listens there. */
    }
}

static void cloudTask( void * pParameters )
{
    Command_t command;
    SimStreamRequest_t request;
    uint32_t length;
    bool release;

    ( void ) pParameters;

    for( ; ; )
    {
        if( xQueueReceive( inbox, &command, portMAX_DELAY ) == pdTRUE )
        {
            switch( command.kind )
            {
                case CommandPublished:
                    onPublished( command.index );
                    break;

                case CommandNotifyNext:
                    length = buildJobDocument( command.pJob, NULL );

                    if( length > 0U )
                    {
                        ( void ) deliver( THING_PREFIX "jobs/notify-next", document, length,
                                          OtaAgentEventReceivedJobDocument );
                    }

                    break;

                case CommandReleaseHeld:
                default:
                    take();
                    release = holding;
                    request = heldRequest;
                    holding = false;
                    give();

                    if( release )
                    {
                        serve( &request );
                    }

                    break;
            }
        }
    }
}

/* ---- script and records ------------------------------------------------------------------ */

void simCloudInit( OtaMqttInterface_t * pMqtt,
                   UBaseType_t taskPriority )
{
    lock = xSemaphoreCreateMutex();
    heldSignal = xSemaphoreCreateBinary();
    inbox = xQueueCreate( INBOX_LENGTH, sizeof( Command_t ) );
    configASSERT( ( lock != NULL ) && ( heldSignal != NULL ) && ( inbox != NULL ) );

    ( void ) memset( eventBuffers, 0, sizeof( eventBuffers ) );
    ( void ) memset( jobs, 0, sizeof( jobs ) );
    ( void ) memset( subscriptions, 0, sizeof( subscriptions ) );
    ( void ) memset( &counters, 0, sizeof( counters ) );
    online = false;
    pPendingJob = NULL;
    callCount = 0U;
    streamRequestCount = 0U;

    pMqtt->subscribe = mqttSubscribe;
    pMqtt->unsubscribe = mqttUnsubscribe;
    pMqtt->publish = mqttPublish;

    configASSERT( xTaskCreate( cloudTask, "simCloud", CLOUD_STACK, NULL, taskPriority, NULL ) == pdPASS );
}

void simCloudSetOnline( bool isOnlineNow )
{
    take();
    online = isOnlineNow;
    give();
}

void simCloudSetPendingJob( const SimCloudJob_t * pJob )
{
    take();
    pPendingJob = pJob;

    if( pJob != NULL )
    {
        ( void ) jobStateLocked( pJob );
    }

    give();
}

void simCloudSetJobSignature( const SimCloudJob_t * pJob,
                              const char * pBase64 )
{
    JobState_t * pState;

    take();
    pState = jobStateLocked( pJob );

    if( pState != NULL )
    {
        pState->pSignature = pBase64;
    }

    give();
}

bool simCloudSaveJob( const SimCloudJob_t * pJob,
                      SimCloudJobRecord_t * pRecord )
{
    const JobState_t * pState;
    bool found;

    take();
    pState = findJobStateLocked( pJob );
    found = ( pState != NULL );

    if( found )
    {
        ( void ) memcpy( pRecord->status, pState->status, sizeof( pRecord->status ) );
        ( void ) memcpy( pRecord->statusDetails, pState->statusDetails, sizeof( pRecord->statusDetails ) );
        pRecord->versionNumber = pState->versionNumber;
    }

    give();

    return found;
}

void simCloudRestoreJob( const SimCloudJob_t * pJob,
                         const SimCloudJobRecord_t * pRecord )
{
    JobState_t * pState;

    take();
    pState = jobStateLocked( pJob );

    if( pState != NULL )
    {
        ( void ) snprintf( pState->status, sizeof( pState->status ), "%.*s",
                           ( int ) ( sizeof( pRecord->status ) - 1U ), pRecord->status );
        ( void ) snprintf( pState->statusDetails, sizeof( pState->statusDetails ), "%.*s",
                           ( int ) ( sizeof( pRecord->statusDetails ) - 1U ), pRecord->statusDetails );
        pState->versionNumber = pRecord->versionNumber;
    }

    give();
}

void simCloudNotifyNext( const SimCloudJob_t * pJob )
{
    Command_t command;

    take();
    ( void ) jobStateLocked( pJob );
    give();

    command.kind = CommandNotifyNext;
    command.index = 0U;
    command.pJob = pJob;
    ( void ) xQueueSendToBack( inbox, &command, portMAX_DELAY );
}

void simCloudDropStreamRequest( uint32_t nthFromNow )
{
    take();
    dropAt = streamRequestCount + nthFromNow;
    give();
}

void simCloudHoldStreamRequest( uint32_t nthFromNow )
{
    take();
    holdAt = streamRequestCount + nthFromNow;
    give();
}

bool simCloudWaitHeld( uint32_t timeoutMs )
{
    return xSemaphoreTake( heldSignal, pdMS_TO_TICKS( timeoutMs ) ) == pdTRUE;
}

void simCloudReleaseHeld( void )
{
    Command_t command;

    command.kind = CommandReleaseHeld;
    command.index = 0U;
    command.pJob = NULL;
    ( void ) xQueueSendToBack( inbox, &command, portMAX_DELAY );
}

void simCloudDuplicateBlock( uint32_t blockId )
{
    take();
    duplicateBlock = blockId;
    give();
}

uint32_t simCloudCallCount( void )
{
    uint32_t count;

    take();
    count = callCount;
    give();

    return count;
}

bool simCloudCall( uint32_t index,
                   SimCall_t * pCall )
{
    bool found = false;

    take();

    if( index < callCount )
    {
        *pCall = calls[ index ];
        found = true;
    }

    give();

    return found;
}

uint32_t simCloudStreamRequestCount( void )
{
    uint32_t count;

    take();
    count = ( streamRequestCount < SIM_MAX_STREAM_REQS ) ? streamRequestCount : SIM_MAX_STREAM_REQS;
    give();

    return count;
}

bool simCloudStreamRequest( uint32_t index,
                            SimStreamRequest_t * pRequest )
{
    bool found = false;

    take();

    if( ( index < streamRequestCount ) && ( index < SIM_MAX_STREAM_REQS ) )
    {
        *pRequest = streamRequests[ index ];
        found = true;
    }

    give();

    return found;
}

SimCloudCounters_t simCloudCounters( void )
{
    SimCloudCounters_t copy;

    take();
    copy = counters;
    give();

    return copy;
}
