/* ota-rs example: a simulated AWS IoT, in-process (see cloud_sim.h).
 * SPDX-License-Identifier: MIT */

#include "cloud_sim.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud_cbor.h"

/* ---- Limits ------------------------------------------------------------------------------ */

#define TOPIC_MAX              256U     /* longest topic or filter, NUL included */
#define UPLINK_PAYLOAD_MAX     1024U    /* device messages are small: requests, status updates */
#define UPLINK_QUEUE_LENGTH    16U      /* messages from the device waiting for the cloud */
#define UPLINK_WAIT_MS         1000U    /* a publish waits this long for room, then fails */
#define MAX_SUBSCRIPTIONS      8U
#define SIGNATURE_MAX          512U     /* DER signature bytes */
#define IMAGE_MAX              ( 64U * 1024U * 1024U )
#define BLOCK_SIZE_MIN         256U     /* what AWS IoT accepts for "l" */
#define BLOCK_SIZE_MAX         ( 128U * 1024U )
#define JOB_MESSAGE_MAX        4096U

/* ---- State ------------------------------------------------------------------------------- */

typedef struct UplinkMessage
{
    char topic[ TOPIC_MAX ];
    size_t topicLength;
    uint8_t payload[ UPLINK_PAYLOAD_MAX ];
    size_t payloadLength;
} UplinkMessage_t;

/* The job execution, as saved between runs. */
typedef struct Execution
{
    char status[ 16 ];
    char statusDetails[ 256 ];
    uint32_t versionNumber;
    long long queuedAt;
    long long lastUpdatedAt;
} Execution_t;

static struct
{
    CloudSimConfig_t config;
    uint8_t * pImage;
    size_t imageSize;
    char signatureBase64[ ( ( SIGNATURE_MAX + 2U ) / 3U ) * 4U + 1U ];

    /* Topics the services answer on, built once. */
    char nextGetTopic[ TOPIC_MAX ];
    char nextAcceptedTopic[ TOPIC_MAX ];
    char notifyNextTopic[ TOPIC_MAX ];
    char updateTopic[ TOPIC_MAX ];
    char updateAcceptedTopic[ TOPIC_MAX ];
    char streamGetTopic[ TOPIC_MAX ];
    char streamDataTopic[ TOPIC_MAX ];

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t uplinkReady;
    pthread_cond_t uplinkSpace;
    UplinkMessage_t uplink[ UPLINK_QUEUE_LENGTH ];
    uint32_t uplinkHead;
    uint32_t uplinkCount;
    bool started;
    bool stopping;
    pthread_t networkThread;

    bool connected;
    MqttTransportReceive_t receive;
    void * pReceiveContext;
    char subscriptions[ MAX_SUBSCRIPTIONS ][ TOPIC_MAX ];
    bool subscribed[ MAX_SUBSCRIPTIONS ];

    Execution_t execution;
    CloudSimJob_t counters;
} cloud = { .lock = PTHREAD_MUTEX_INITIALIZER,
            .uplinkReady = PTHREAD_COND_INITIALIZER,
            .uplinkSpace = PTHREAD_COND_INITIALIZER };

/* Buffers of the network thread (only it uses them). */
static UplinkMessage_t currentMessage;
static char jobMessage[ JOB_MESSAGE_MAX ];
static uint8_t * pBlockMessage;
static size_t blockMessageCapacity;

/* ---- Small helpers ----------------------------------------------------------------------- */

static struct timespec deadlineAfterMs( uint32_t ms )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_REALTIME, &t );
    t.tv_sec += ( time_t ) ( ms / 1000U );
    t.tv_nsec += ( long ) ( ms % 1000U ) * 1000000L;

    if( t.tv_nsec >= 1000000000L )
    {
        t.tv_sec += 1;
        t.tv_nsec -= 1000000000L;
    }

    return t;
}

static long long now( void )
{
    return ( long long ) time( NULL );
}

static bool isTerminal( const char * pStatus )
{
    return ( strcmp( pStatus, "SUCCEEDED" ) == 0 ) || ( strcmp( pStatus, "FAILED" ) == 0 ) ||
           ( strcmp( pStatus, "REJECTED" ) == 0 );
}

static bool topicIs( const UplinkMessage_t * pMessage,
                     const char * pTopic )
{
    return ( pMessage->topicLength == strlen( pTopic ) ) &&
           ( memcmp( pMessage->topic, pTopic, pMessage->topicLength ) == 0 );
}

/* Reads a whole file into memory; NULL (with a message) on failure or above maxSize bytes. */
static uint8_t * readFile( const char * pPath,
                           size_t maxSize,
                           size_t * pSize )
{
    FILE * f = fopen( pPath, "rb" );
    uint8_t * pData = NULL;
    long size;

    if( f == NULL )
    {
        printf( "cloud: cannot open %s: %s\n", pPath, strerror( errno ) );
        return NULL;
    }

    if( ( fseek( f, 0, SEEK_END ) == 0 ) && ( ( size = ftell( f ) ) > 0 ) &&
        ( ( size_t ) size <= maxSize ) && ( fseek( f, 0, SEEK_SET ) == 0 ) )
    {
        pData = malloc( ( size_t ) size );

        if( ( pData != NULL ) && ( fread( pData, 1, ( size_t ) size, f ) == ( size_t ) size ) )
        {
            *pSize = ( size_t ) size;
        }
        else
        {
            free( pData );
            pData = NULL;
        }
    }

    if( pData == NULL )
    {
        printf( "cloud: cannot read %s (empty, larger than %zu bytes, or unreadable)\n", pPath, maxSize );
    }

    ( void ) fclose( f );

    return pData;
}

static void base64Encode( const uint8_t * pIn,
                          size_t length,
                          char * pOut )
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;

    for( size_t i = 0; i < length; i += 3U )
    {
        uint32_t n = ( uint32_t ) pIn[ i ] << 16;
        size_t left = length - i;

        n |= ( left > 1U ) ? ( ( uint32_t ) pIn[ i + 1U ] << 8 ) : 0U;
        n |= ( left > 2U ) ? pIn[ i + 2U ] : 0U;
        pOut[ o++ ] = alphabet[ ( n >> 18 ) & 63U ];
        pOut[ o++ ] = alphabet[ ( n >> 12 ) & 63U ];
        pOut[ o++ ] = ( left > 1U ) ? alphabet[ ( n >> 6 ) & 63U ] : '=';
        pOut[ o++ ] = ( left > 2U ) ? alphabet[ n & 63U ] : '=';
    }

    pOut[ o ] = '\0';
}

/* MQTT topic filter matching, with the + and # wildcards. */
static bool filterMatches( const char * pFilter,
                           const char * pTopic,
                           size_t topicLength )
{
    size_t t = 0;

    for( size_t f = 0; pFilter[ f ] != '\0'; f++ )
    {
        if( pFilter[ f ] == '#' )
        {
            return true;
        }

        if( pFilter[ f ] == '+' )
        {
            while( ( t < topicLength ) && ( pTopic[ t ] != '/' ) )
            {
                t++;
            }
        }
        else if( ( t < topicLength ) && ( pTopic[ t ] == pFilter[ f ] ) )
        {
            t++;
        }
        else
        {
            return false;
        }
    }

    return t == topicLength;
}

/* ---- Job state: save and load ------------------------------------------------------------ */

static void saveExecution( void )
{
    char tmpPath[ 600 ];
    FILE * f;
    bool ok;

    ( void ) snprintf( tmpPath, sizeof( tmpPath ), "%s.tmp", cloud.config.pStatePath );
    f = fopen( tmpPath, "w" );

    if( f == NULL )
    {
        printf( "cloud: cannot save the job state to %s: %s\n", tmpPath, strerror( errno ) );
        return;
    }

    ok = fprintf( f, "status=%s\nstatusDetails=%s\nversionNumber=%" PRIu32 "\nqueuedAt=%lld\nlastUpdatedAt=%lld\n",
                  cloud.execution.status, cloud.execution.statusDetails, cloud.execution.versionNumber,
                  cloud.execution.queuedAt, cloud.execution.lastUpdatedAt ) > 0;
    ok = ( fclose( f ) == 0 ) && ok;

    if( !ok || ( rename( tmpPath, cloud.config.pStatePath ) != 0 ) )
    {
        printf( "cloud: cannot save the job state to %s\n", cloud.config.pStatePath );
    }
}

/* Copies the value of "key=value" into pOut if pLine has that key. */
static void takeValue( const char * pLine,
                       const char * pKey,
                       char * pOut,
                       size_t outSize )
{
    size_t keyLength = strlen( pKey );

    if( ( strncmp( pLine, pKey, keyLength ) == 0 ) && ( pLine[ keyLength ] == '=' ) )
    {
        const char * pValue = &pLine[ keyLength + 1U ];
        size_t length = strcspn( pValue, "\n" );

        length = ( length < outSize ) ? length : ( outSize - 1U );
        memcpy( pOut, pValue, length );
        pOut[ length ] = '\0';
    }
}

static void loadExecution( void )
{
    FILE * f = fopen( cloud.config.pStatePath, "r" );
    char line[ 400 ];
    char number[ 32 ];

    /* A new job execution, QUEUED for the thing. */
    ( void ) snprintf( cloud.execution.status, sizeof( cloud.execution.status ), "QUEUED" );
    ( void ) snprintf( cloud.execution.statusDetails, sizeof( cloud.execution.statusDetails ), "{}" );
    cloud.execution.versionNumber = 1;
    cloud.execution.queuedAt = now();
    cloud.execution.lastUpdatedAt = cloud.execution.queuedAt;

    if( f == NULL )
    {
        saveExecution();
        return;
    }

    /* Bounded by the file's (small) number of lines. */
    while( fgets( line, sizeof( line ), f ) != NULL )
    {
        takeValue( line, "status", cloud.execution.status, sizeof( cloud.execution.status ) );
        takeValue( line, "statusDetails", cloud.execution.statusDetails, sizeof( cloud.execution.statusDetails ) );
        number[ 0 ] = '\0';
        takeValue( line, "versionNumber", number, sizeof( number ) );

        if( number[ 0 ] != '\0' )
        {
            cloud.execution.versionNumber = ( uint32_t ) strtoul( number, NULL, 10 );
        }

        number[ 0 ] = '\0';
        takeValue( line, "queuedAt", number, sizeof( number ) );

        if( number[ 0 ] != '\0' )
        {
            cloud.execution.queuedAt = strtoll( number, NULL, 10 );
        }

        number[ 0 ] = '\0';
        takeValue( line, "lastUpdatedAt", number, sizeof( number ) );

        if( number[ 0 ] != '\0' )
        {
            cloud.execution.lastUpdatedAt = strtoll( number, NULL, 10 );
        }
    }

    ( void ) fclose( f );
}

/* ---- Delivery to the device -------------------------------------------------------------- */

/* Hands a message to the device if it is connected and subscribed to the topic. Runs on the
 * network thread, without the lock: the device's callback may take its time. */
static void deliver( const char * pTopic,
                     const uint8_t * pPayload,
                     size_t payloadLength )
{
    MqttTransportReceive_t receive = NULL;
    void * pContext = NULL;
    size_t topicLength = strlen( pTopic );

    pthread_mutex_lock( &cloud.lock );

    for( uint32_t i = 0; ( i < MAX_SUBSCRIPTIONS ) && cloud.connected && ( receive == NULL ); i++ )
    {
        if( cloud.subscribed[ i ] && filterMatches( cloud.subscriptions[ i ], pTopic, topicLength ) )
        {
            receive = cloud.receive;
            pContext = cloud.pReceiveContext;
        }
    }

    pthread_mutex_unlock( &cloud.lock );

    if( receive != NULL )
    {
        receive( pContext, pTopic, topicLength, pPayload, payloadLength );
    }
}

/* ---- AWS IoT Jobs ------------------------------------------------------------------------ */

/* Counted once the answer is delivered (the device's receive callback has returned). */
static void countNoJobAnswer( void )
{
    pthread_mutex_lock( &cloud.lock );
    cloud.counters.noJobAnswers++;
    pthread_mutex_unlock( &cloud.lock );
}

/* The string value of "key" in a flat JSON object, copied into pOut; false if absent. */
static bool jsonString( const uint8_t * pJson,
                        size_t length,
                        const char * pKey,
                        char * pOut,
                        size_t outSize )
{
    char pattern[ 64 ];
    size_t patternLength = ( size_t ) snprintf( pattern, sizeof( pattern ), "\"%s\"", pKey );

    for( size_t i = 0; ( i + patternLength ) < length; i++ )
    {
        if( memcmp( &pJson[ i ], pattern, patternLength ) == 0 )
        {
            size_t p = i + patternLength;
            size_t o = 0;

            while( ( p < length ) && ( ( pJson[ p ] == ' ' ) || ( pJson[ p ] == ':' ) ) )
            {
                p++;
            }

            if( ( p >= length ) || ( pJson[ p ] != '"' ) )
            {
                return false;
            }

            for( p++; ( p < length ) && ( pJson[ p ] != '"' ) && ( ( o + 1U ) < outSize ); p++ )
            {
                pOut[ o++ ] = ( char ) pJson[ p ];
            }

            pOut[ o ] = '\0';

            return ( p < length ) && ( pJson[ p ] == '"' );
        }
    }

    return false;
}

/* The object value of "key" (from '{' to its matching '}'), copied into pOut. */
static bool jsonObject( const uint8_t * pJson,
                        size_t length,
                        const char * pKey,
                        char * pOut,
                        size_t outSize )
{
    char pattern[ 64 ];
    size_t patternLength = ( size_t ) snprintf( pattern, sizeof( pattern ), "\"%s\"", pKey );

    for( size_t i = 0; ( i + patternLength ) < length; i++ )
    {
        if( memcmp( &pJson[ i ], pattern, patternLength ) == 0 )
        {
            size_t p = i + patternLength;
            size_t start;
            int depth = 0;
            bool inString = false;

            while( ( p < length ) && ( ( pJson[ p ] == ' ' ) || ( pJson[ p ] == ':' ) ) )
            {
                p++;
            }

            if( ( p >= length ) || ( pJson[ p ] != '{' ) )
            {
                return false;
            }

            for( start = p; p < length; p++ )
            {
                if( pJson[ p ] == '"' )
                {
                    inString = !inString;
                }
                else if( !inString && ( pJson[ p ] == '{' ) )
                {
                    depth++;
                }
                else if( !inString && ( pJson[ p ] == '}' ) && ( --depth == 0 ) )
                {
                    size_t n = p - start + 1U;

                    if( n >= outSize )
                    {
                        return false;
                    }

                    memcpy( pOut, &pJson[ start ], n );
                    pOut[ n ] = '\0';
                    return true;
                }
            }

            return false;
        }
    }

    return false;
}

/* statusDetails {"a":"1","b":"2"} as "a 1, b 2", for the console. */
static void describeDetails( const char * pDetails,
                             char * pOut,
                             size_t outSize )
{
    size_t o = 0;
    bool inString = false;
    bool afterKey = false;

    for( const char * p = pDetails; ( *p != '\0' ) && ( ( o + 2U ) < outSize ); p++ )
    {
        if( *p == '"' )
        {
            inString = !inString;
        }
        else if( inString )
        {
            pOut[ o++ ] = *p;
        }
        else if( *p == ':' )
        {
            pOut[ o++ ] = ' ';
            afterKey = true;
        }
        else if( ( *p == ',' ) && afterKey )
        {
            pOut[ o++ ] = ',';
            pOut[ o++ ] = ' ';
            afterKey = false;
        }
    }

    pOut[ o ] = '\0';
}

/* The execution as AWS IoT Jobs describes it, the job document included. */
static int formatExecution( char * pOut,
                            size_t outSize )
{
    char details[ sizeof( cloud.execution.statusDetails ) + 24U ] = "";

    if( strcmp( cloud.execution.statusDetails, "{}" ) != 0 )
    {
        ( void ) snprintf( details, sizeof( details ), "\"statusDetails\":%s,", cloud.execution.statusDetails );
    }

    return snprintf( pOut, outSize,
                     "\"execution\":{\"jobId\":\"%s\",\"status\":\"%s\",%s"
                     "\"queuedAt\":%lld,\"lastUpdatedAt\":%lld,\"versionNumber\":%" PRIu32 ",\"executionNumber\":1,"
                     "\"jobDocument\":{\"afr_ota\":{\"protocols\":[\"MQTT\"],\"streamname\":\"%s\","
                     "\"files\":[{\"filepath\":\"%s\",\"filesize\":%zu,\"fileid\":0,"
                     "\"certfile\":\"%s\",\"sig-sha256-ecdsa\":\"%s\"}]}}}",
                     cloud.config.pJobId, cloud.execution.status, details,
                     cloud.execution.queuedAt, cloud.execution.lastUpdatedAt, cloud.execution.versionNumber,
                     cloud.config.pStreamName, cloud.config.pDeviceFilePath, cloud.imageSize,
                     cloud.config.pDeviceCertPath, cloud.signatureBase64 );
}

/* $aws/things/<thing>/jobs/$next/get: the next pending execution, or none. */
static void handleNextJobRequest( const UplinkMessage_t * pMessage )
{
    char clientToken[ 72 ] = "";
    char execution[ JOB_MESSAGE_MAX - 128U ];
    bool pending;
    int n;

    ( void ) jsonString( pMessage->payload, pMessage->payloadLength, "clientToken", clientToken, sizeof( clientToken ) );

    pthread_mutex_lock( &cloud.lock );
    pending = !isTerminal( cloud.execution.status );

    if( pending )
    {
        ( void ) formatExecution( execution, sizeof( execution ) );
        printf( "cloud: next job for %s: %s (%s)\n", cloud.config.pThingName, cloud.config.pJobId,
                cloud.execution.status );
    }
    else
    {
        printf( "cloud: next job for %s: none pending\n", cloud.config.pThingName );
    }

    pthread_mutex_unlock( &cloud.lock );

    if( pending )
    {
        n = snprintf( jobMessage, sizeof( jobMessage ), "{\"clientToken\":\"%s\",\"timestamp\":%lld,%s}",
                      clientToken, now(), execution );
    }
    else
    {
        n = snprintf( jobMessage, sizeof( jobMessage ), "{\"clientToken\":\"%s\",\"timestamp\":%lld}",
                      clientToken, now() );
    }

    if( ( n > 0 ) && ( ( size_t ) n < sizeof( jobMessage ) ) )
    {
        deliver( cloud.nextAcceptedTopic, ( const uint8_t * ) jobMessage, ( size_t ) n );

        if( !pending )
        {
            countNoJobAnswer();
        }
    }
    else
    {
        printf( "cloud: the job document does not fit in %zu bytes\n", sizeof( jobMessage ) );
    }
}

/* $aws/things/<thing>/jobs/<jobId>/update: a status update from the device. */
static void handleJobUpdate( const UplinkMessage_t * pMessage )
{
    char status[ sizeof( cloud.execution.status ) ];
    char details[ sizeof( cloud.execution.statusDetails ) ] = "{}";
    char description[ sizeof( details ) ];
    bool done = false;
    bool haveDetails;
    int n;

    if( !jsonString( pMessage->payload, pMessage->payloadLength, "status", status, sizeof( status ) ) ||
        ( ( strcmp( status, "IN_PROGRESS" ) != 0 ) && !isTerminal( status ) ) )
    {
        printf( "cloud: rejected a job update without a valid status: %.*s\n",
                ( int ) pMessage->payloadLength, ( const char * ) pMessage->payload );
        return;
    }

    haveDetails = jsonObject( pMessage->payload, pMessage->payloadLength, "statusDetails", details, sizeof( details ) );
    describeDetails( details, description, sizeof( description ) );

    pthread_mutex_lock( &cloud.lock );

    if( isTerminal( cloud.execution.status ) )
    {
        printf( "cloud: rejected job update %s: job %s is already %s\n", status, cloud.config.pJobId,
                cloud.execution.status );
        pthread_mutex_unlock( &cloud.lock );
        return;
    }

    ( void ) snprintf( cloud.execution.status, sizeof( cloud.execution.status ), "%s", status );
    /* As in AWS IoT Jobs: new statusDetails replace the old ones; none leaves them as they are. */
    if( haveDetails )
    {
        ( void ) snprintf( cloud.execution.statusDetails, sizeof( cloud.execution.statusDetails ), "%s", details );
    }

    cloud.execution.versionNumber++;
    cloud.execution.lastUpdatedAt = now();
    cloud.counters.statusUpdates++;
    done = isTerminal( status );
    saveExecution();
    printf( "cloud: job %s -> %s %s\n", cloud.config.pJobId, status, description );
    pthread_mutex_unlock( &cloud.lock );

    n = snprintf( jobMessage, sizeof( jobMessage ), "{\"timestamp\":%lld}", now() );
    deliver( cloud.updateAcceptedTopic, ( const uint8_t * ) jobMessage, ( size_t ) n );

    if( done )
    {
        /* As AWS IoT Jobs does when the last pending execution ends: notify-next without an
         * execution. */
        printf( "cloud: job %s is done; nothing more is pending for %s\n", cloud.config.pJobId,
                cloud.config.pThingName );
        deliver( cloud.notifyNextTopic, ( const uint8_t * ) jobMessage, ( size_t ) n );
        countNoJobAnswer();
    }
}

/* ---- MQTT-based file delivery ------------------------------------------------------------ */

/* $aws/things/<thing>/streams/<stream>/get/cbor: send the requested blocks. */
static void handleStreamRequest( const UplinkMessage_t * pMessage )
{
    CloudStreamRequest_t request;
    uint32_t sent = 0;

    if( !CloudCbor_DecodeStreamRequest( pMessage->payload, pMessage->payloadLength, &request ) ||
        ( request.fileId != 0U ) || ( request.blockSize < BLOCK_SIZE_MIN ) ||
        ( request.blockSize > BLOCK_SIZE_MAX ) || ( request.numBlocks == 0U ) )
    {
        printf( "cloud: rejected a malformed GetStream request (%zu bytes)\n", pMessage->payloadLength );
        return;
    }

    if( blockMessageCapacity < ( ( size_t ) request.blockSize + 32U ) )
    {
        free( pBlockMessage );
        blockMessageCapacity = ( size_t ) request.blockSize + 32U;
        pBlockMessage = malloc( blockMessageCapacity );

        if( pBlockMessage == NULL )
        {
            blockMessageCapacity = 0;
            printf( "cloud: out of memory for a %" PRIu32 "-byte block\n", request.blockSize );
            return;
        }
    }

    /* Bounded by the bitmap's length and by "n". */
    for( size_t bit = 0; ( bit < ( request.bitmapLength * 8U ) ) && ( sent < request.numBlocks ); bit++ )
    {
        uint64_t block = ( uint64_t ) request.blockOffset + bit;
        uint64_t offset = block * request.blockSize;
        size_t length;
        size_t encoded;

        if( ( request.pBitmap[ bit / 8U ] & ( 1U << ( bit % 8U ) ) ) == 0U )
        {
            continue;
        }

        if( offset >= cloud.imageSize )
        {
            break;
        }

        length = cloud.imageSize - ( size_t ) offset;
        length = ( length < request.blockSize ) ? length : request.blockSize;
        encoded = CloudCbor_EncodeBlock( pBlockMessage, blockMessageCapacity, 0U, ( uint32_t ) block,
                                         &cloud.pImage[ offset ], ( uint32_t ) length );

        if( encoded > 0U )
        {
            deliver( cloud.streamDataTopic, pBlockMessage, encoded );
            sent++;
        }
    }

    pthread_mutex_lock( &cloud.lock );
    cloud.counters.streamRequests++;
    cloud.counters.blocksServed += sent;
    pthread_mutex_unlock( &cloud.lock );
}

/* ---- The network thread ------------------------------------------------------------------ */

static void handleUplink( const UplinkMessage_t * pMessage )
{
    if( topicIs( pMessage, cloud.streamGetTopic ) )
    {
        handleStreamRequest( pMessage );
    }
    else if( topicIs( pMessage, cloud.updateTopic ) )
    {
        handleJobUpdate( pMessage );
    }
    else if( topicIs( pMessage, cloud.nextGetTopic ) )
    {
        handleNextJobRequest( pMessage );
    }
    else
    {
        printf( "cloud: no service on topic %.*s\n", ( int ) pMessage->topicLength, pMessage->topic );
    }
}

static void * networkThread( void * pArgument )
{
    ( void ) pArgument;

    pthread_mutex_lock( &cloud.lock );

    /* Runs until CloudSim_Stop, after the queue is empty. Each wait is bounded, so a missed
     * wake-up costs at most one period. */
    for( ; ; )
    {
        struct timespec deadline = deadlineAfterMs( 200U );

        if( cloud.uplinkCount == 0U )
        {
            if( cloud.stopping )
            {
                break;
            }

            ( void ) pthread_cond_timedwait( &cloud.uplinkReady, &cloud.lock, &deadline );
            continue;
        }

        currentMessage = cloud.uplink[ cloud.uplinkHead ];
        cloud.uplinkHead = ( cloud.uplinkHead + 1U ) % UPLINK_QUEUE_LENGTH;
        cloud.uplinkCount--;
        pthread_cond_signal( &cloud.uplinkSpace );

        pthread_mutex_unlock( &cloud.lock );
        handleUplink( &currentMessage );
        fflush( stdout );
        pthread_mutex_lock( &cloud.lock );
    }

    pthread_mutex_unlock( &cloud.lock );

    return NULL;
}

/* ---- The transport the device gets ------------------------------------------------------- */

static bool copyTopic( char * pOut,
                       const char * pTopic,
                       size_t length )
{
    if( ( pTopic == NULL ) || ( length == 0U ) || ( length >= TOPIC_MAX ) )
    {
        return false;
    }

    memcpy( pOut, pTopic, length );
    pOut[ length ] = '\0';

    return true;
}

static bool simSubscribe( void * pConnection,
                          const char * pTopicFilter,
                          size_t topicFilterLength,
                          uint8_t qos )
{
    char filter[ TOPIC_MAX ];
    bool ok = false;

    ( void ) pConnection;
    ( void ) qos;

    if( !copyTopic( filter, pTopicFilter, topicFilterLength ) )
    {
        return false;
    }

    pthread_mutex_lock( &cloud.lock );

    for( uint32_t i = 0; ( i < MAX_SUBSCRIPTIONS ) && !ok && cloud.connected; i++ )
    {
        ok = cloud.subscribed[ i ] && ( strcmp( cloud.subscriptions[ i ], filter ) == 0 );
    }

    for( uint32_t i = 0; ( i < MAX_SUBSCRIPTIONS ) && !ok && cloud.connected; i++ )
    {
        if( !cloud.subscribed[ i ] )
        {
            memcpy( cloud.subscriptions[ i ], filter, sizeof( filter ) );
            cloud.subscribed[ i ] = true;
            ok = true;
        }
    }

    pthread_mutex_unlock( &cloud.lock );

    return ok;
}

static bool simUnsubscribe( void * pConnection,
                            const char * pTopicFilter,
                            size_t topicFilterLength )
{
    char filter[ TOPIC_MAX ];
    bool ok = false;

    ( void ) pConnection;

    if( !copyTopic( filter, pTopicFilter, topicFilterLength ) )
    {
        return false;
    }

    pthread_mutex_lock( &cloud.lock );

    for( uint32_t i = 0; ( i < MAX_SUBSCRIPTIONS ) && cloud.connected; i++ )
    {
        if( cloud.subscribed[ i ] && ( strcmp( cloud.subscriptions[ i ], filter ) == 0 ) )
        {
            cloud.subscribed[ i ] = false;
        }
    }

    /* As a broker does, unsubscribing from a filter that has no subscription succeeds. */
    ok = cloud.connected;
    pthread_mutex_unlock( &cloud.lock );

    return ok;
}

static bool simPublish( void * pConnection,
                        const char * pTopic,
                        size_t topicLength,
                        const uint8_t * pPayload,
                        size_t payloadLength,
                        uint8_t qos )
{
    struct timespec deadline = deadlineAfterMs( UPLINK_WAIT_MS );
    UplinkMessage_t * pSlot;
    int rc = 0;
    bool ok = false;

    ( void ) pConnection;
    ( void ) qos;

    if( ( topicLength == 0U ) || ( topicLength >= TOPIC_MAX ) || ( payloadLength > UPLINK_PAYLOAD_MAX ) ||
        ( ( pPayload == NULL ) && ( payloadLength > 0U ) ) )
    {
        printf( "cloud: refused a publish (%zu-byte topic, %zu-byte payload)\n", topicLength, payloadLength );
        return false;
    }

    pthread_mutex_lock( &cloud.lock );

    /* Bounded: room appears, or the deadline passes. */
    while( cloud.connected && ( cloud.uplinkCount == UPLINK_QUEUE_LENGTH ) && ( rc != ETIMEDOUT ) )
    {
        rc = pthread_cond_timedwait( &cloud.uplinkSpace, &cloud.lock, &deadline );
    }

    if( cloud.connected && ( cloud.uplinkCount < UPLINK_QUEUE_LENGTH ) )
    {
        pSlot = &cloud.uplink[ ( cloud.uplinkHead + cloud.uplinkCount ) % UPLINK_QUEUE_LENGTH ];
        memcpy( pSlot->topic, pTopic, topicLength );
        pSlot->topic[ topicLength ] = '\0';
        pSlot->topicLength = topicLength;

        if( payloadLength > 0U )
        {
            memcpy( pSlot->payload, pPayload, payloadLength );
        }

        pSlot->payloadLength = payloadLength;
        cloud.uplinkCount++;
        pthread_cond_signal( &cloud.uplinkReady );
        ok = true;
    }

    pthread_mutex_unlock( &cloud.lock );

    return ok;
}

/* ---- API --------------------------------------------------------------------------------- */

static bool buildTopic( char * pOut,
                        const char * pFormat,
                        const char * pName )
{
    int n = snprintf( pOut, TOPIC_MAX, pFormat, cloud.config.pThingName, pName );

    return ( n > 0 ) && ( n < ( int ) TOPIC_MAX );
}

bool CloudSim_Start( const CloudSimConfig_t * pConfig )
{
    uint8_t * pSignature;
    size_t signatureSize = 0;
    bool ok;

    if( cloud.started || ( pConfig->pImagePath == NULL ) || ( pConfig->pSignaturePath == NULL ) ||
        ( pConfig->pStatePath == NULL ) )
    {
        return false;
    }

    /* The job document carries these strings verbatim (the OTA agent does not unescape JSON). */
    const char * const texts[] =
    {
        pConfig->pThingName,      pConfig->pJobId,          pConfig->pStreamName,
        pConfig->pDeviceFilePath, pConfig->pDeviceCertPath,
    };

    for( size_t i = 0; i < ( sizeof( texts ) / sizeof( texts[ 0 ] ) ); i++ )
    {
        if( ( texts[ i ] == NULL ) || ( strpbrk( texts[ i ], "\"\\" ) != NULL ) )
        {
            printf( "cloud: names and paths must not contain '\"' or '\\'\n" );
            return false;
        }
    }

    cloud.config = *pConfig;
    ok = buildTopic( cloud.nextGetTopic, "$aws/things/%s/jobs/$next/get%s", "" ) &&
         buildTopic( cloud.nextAcceptedTopic, "$aws/things/%s/jobs/$next/get/accepted%s", "" ) &&
         buildTopic( cloud.notifyNextTopic, "$aws/things/%s/jobs/notify-next%s", "" ) &&
         buildTopic( cloud.updateTopic, "$aws/things/%s/jobs/%s/update", pConfig->pJobId ) &&
         buildTopic( cloud.updateAcceptedTopic, "$aws/things/%s/jobs/%s/update/accepted", pConfig->pJobId ) &&
         buildTopic( cloud.streamGetTopic, "$aws/things/%s/streams/%s/get/cbor", pConfig->pStreamName ) &&
         buildTopic( cloud.streamDataTopic, "$aws/things/%s/streams/%s/data/cbor", pConfig->pStreamName );

    if( !ok )
    {
        printf( "cloud: the thing, job or stream name is too long for a topic\n" );
        return false;
    }

    cloud.pImage = readFile( pConfig->pImagePath, IMAGE_MAX, &cloud.imageSize );
    pSignature = readFile( pConfig->pSignaturePath, SIGNATURE_MAX, &signatureSize );

    if( ( cloud.pImage == NULL ) || ( pSignature == NULL ) )
    {
        free( cloud.pImage );
        free( pSignature );
        cloud.pImage = NULL;
        return false;
    }

    base64Encode( pSignature, signatureSize, cloud.signatureBase64 );
    free( pSignature );

    loadExecution();
    memset( &cloud.counters, 0, sizeof( cloud.counters ) );
    cloud.uplinkHead = 0;
    cloud.uplinkCount = 0;
    cloud.stopping = false;

    if( pthread_create( &cloud.networkThread, NULL, networkThread, NULL ) != 0 )
    {
        printf( "cloud: cannot start the network thread\n" );
        free( cloud.pImage );
        cloud.pImage = NULL;
        return false;
    }

    cloud.started = true;
    printf( "cloud: job %s for %s is %s; stream %s serves %s (%zu bytes)\n", pConfig->pJobId,
            pConfig->pThingName, cloud.execution.status, pConfig->pStreamName, pConfig->pImagePath,
            cloud.imageSize );

    return true;
}

bool CloudSim_Connect( MqttTransportReceive_t receive,
                       void * pReceiveContext,
                       MqttTransport_t * pTransport )
{
    if( !cloud.started || ( receive == NULL ) || ( pTransport == NULL ) )
    {
        return false;
    }

    pthread_mutex_lock( &cloud.lock );
    cloud.receive = receive;
    cloud.pReceiveContext = pReceiveContext;
    memset( cloud.subscribed, 0, sizeof( cloud.subscribed ) );
    cloud.connected = true;
    pthread_mutex_unlock( &cloud.lock );

    pTransport->subscribe = simSubscribe;
    pTransport->unsubscribe = simUnsubscribe;
    pTransport->publish = simPublish;
    pTransport->pConnection = NULL;

    return true;
}

void CloudSim_Disconnect( void )
{
    pthread_mutex_lock( &cloud.lock );
    cloud.connected = false;
    cloud.receive = NULL;
    memset( cloud.subscribed, 0, sizeof( cloud.subscribed ) );
    pthread_cond_broadcast( &cloud.uplinkSpace );
    pthread_mutex_unlock( &cloud.lock );
}

void CloudSim_Stop( void )
{
    if( !cloud.started )
    {
        return;
    }

    pthread_mutex_lock( &cloud.lock );
    cloud.stopping = true;
    pthread_cond_signal( &cloud.uplinkReady );
    pthread_mutex_unlock( &cloud.lock );

    ( void ) pthread_join( cloud.networkThread, NULL );

    pthread_mutex_lock( &cloud.lock );
    saveExecution();
    pthread_mutex_unlock( &cloud.lock );

    free( cloud.pImage );
    cloud.pImage = NULL;
    free( pBlockMessage );
    pBlockMessage = NULL;
    blockMessageCapacity = 0;
    cloud.started = false;
}

void CloudSim_GetJob( CloudSimJob_t * pJob )
{
    pthread_mutex_lock( &cloud.lock );
    *pJob = cloud.counters;
    ( void ) snprintf( pJob->status, sizeof( pJob->status ), "%s", cloud.execution.status );
    ( void ) snprintf( pJob->statusDetails, sizeof( pJob->statusDetails ), "%s", cloud.execution.statusDetails );
    pJob->done = isTerminal( cloud.execution.status );
    pthread_mutex_unlock( &cloud.lock );
}
