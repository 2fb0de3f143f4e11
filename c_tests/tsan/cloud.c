/* ota-rs c_tests/tsan: an in-process AWS IoT stand-in for one OTA job over MQTT.
 * SPDX-License-Identifier: MIT
 *
 * The device's publishes are copied into a bounded inbox; one thread (the "network") takes
 * them in order and answers as AWS IoT would:
 *   .../jobs/$next/get              -> the job execution (or "no job" once it is terminal),
 *                                      as ReceivedJobDocument
 *   .../jobs/<job>/update           -> status recorded; the first terminal status is kept
 *   .../streams/<stream>/get/cbor   -> the requested blocks {f,i,l,p}, as ReceivedFileBlock
 * Messages go to the agent through OTA_SignalEvent in buffers of the application's pool, so
 * this thread is exactly an MQTT client's receive thread. Subscriptions are accepted and not
 * tracked: every answer is for a topic the agent subscribes to. */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tsan_ota.h"

#define INBOX_CAPACITY       256U
#define TOPIC_CAPACITY       256U
#define PAYLOAD_CAPACITY     512U
#define DOC_CAPACITY         1024U
#define TOKEN_CAPACITY       64U
#define LENT_DOCS_CAPACITY   64U
#define WAIT_MS              20L
#define MAX_IDLE_WAITS       15000U    /* 5 minutes of 20 ms waits: the thread's lifetime bound */
#define MAX_MESSAGES         1000000U  /* count bound of the thread's loop */
#define BUFFER_WAIT_MS       2000U     /* an MQTT client would drop the message after this */
#define REQUEST_LATENCY_US   5000L     /* a stream request's round trip, so the download lasts */
#define BLOCK_LATENCY_US     1000L     /* and each block's time on the wire */
#define TOTAL_BLOCKS         ( ( TSAN_IMAGE_SIZE + TSAN_BLOCK_SIZE - 1U ) / TSAN_BLOCK_SIZE )
#define TOPIC_PREFIX         "$aws/things/" TSAN_THING "/"

typedef struct
{
    char topic[ TOPIC_CAPACITY ];
    size_t topicLength;
    uint8_t payload[ PAYLOAD_CAPACITY ];
    size_t length;
} Message_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t arrived = PTHREAD_COND_INITIALIZER;
static Message_t inbox[ INBOX_CAPACITY ];
static uint32_t inboxHead;
static uint32_t inboxCount;
static bool busy;
static bool stopRequested;
static int phase = 1;
static const OtaEventData_t * lentDocs[ LENT_DOCS_CAPACITY ];
static TsanCloudStats_t stats;
static pthread_t thread;
static bool started;

static void sleepUs( long us )
{
    struct timespec t = { us / 1000000L, ( us % 1000000L ) * 1000L };

    ( void ) nanosleep( &t, NULL );
}

/* ---- the image ---------------------------------------------------------------------- */

uint8_t tsan_image_byte( uint32_t i )
{
    /* Varies within and across blocks, so a block written at the wrong offset shows. */
    return ( uint8_t ) ( ( i * 131U ) ^ ( i >> 8 ) ^ 0x5aU );
}

uint32_t tsan_checksum( const uint8_t * pData,
                        size_t length )
{
    uint32_t h = 2166136261U;

    for( size_t i = 0; i < length; i++ )
    {
        h = ( h ^ pData[ i ] ) * 16777619U;
    }

    return h;
}

/* The job's "signature": the whole image's checksum, base64, made once before the thread starts. */
static char signature[ 9 ];

static void makeSignature( char out[ 9 ] )
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static uint8_t image[ TSAN_IMAGE_SIZE ];
    uint8_t sig[ 4 ];
    uint32_t h;

    for( uint32_t i = 0; i < TSAN_IMAGE_SIZE; i++ )
    {
        image[ i ] = tsan_image_byte( i );
    }

    h = tsan_checksum( image, sizeof( image ) );
    sig[ 0 ] = ( uint8_t ) ( h >> 24 );
    sig[ 1 ] = ( uint8_t ) ( h >> 16 );
    sig[ 2 ] = ( uint8_t ) ( h >> 8 );
    sig[ 3 ] = ( uint8_t ) h;
    /* 4 bytes: one full group of three, then one byte and two pad characters. */
    out[ 0 ] = alphabet[ sig[ 0 ] >> 2 ];
    out[ 1 ] = alphabet[ ( ( sig[ 0 ] & 3U ) << 4 ) | ( sig[ 1 ] >> 4 ) ];
    out[ 2 ] = alphabet[ ( ( sig[ 1 ] & 15U ) << 2 ) | ( sig[ 2 ] >> 6 ) ];
    out[ 3 ] = alphabet[ sig[ 2 ] & 63U ];
    out[ 4 ] = alphabet[ sig[ 3 ] >> 2 ];
    out[ 5 ] = alphabet[ ( sig[ 3 ] & 3U ) << 4 ];
    out[ 6 ] = '=';
    out[ 7 ] = '=';
    out[ 8 ] = '\0';
}

/* ---- CBOR: just the two stream messages --------------------------------------------- */

static size_t putHead( uint8_t * pOut,
                       size_t capacity,
                       size_t at,
                       uint8_t major,
                       uint32_t arg )
{
    uint8_t head[ 5 ];
    size_t n;

    if( arg < 24U )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | arg );
        n = 1;
    }
    else if( arg <= 0xffU )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 24U );
        head[ 1 ] = ( uint8_t ) arg;
        n = 2;
    }
    else if( arg <= 0xffffU )
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 25U );
        head[ 1 ] = ( uint8_t ) ( arg >> 8 );
        head[ 2 ] = ( uint8_t ) arg;
        n = 3;
    }
    else
    {
        head[ 0 ] = ( uint8_t ) ( ( major << 5 ) | 26U );
        head[ 1 ] = ( uint8_t ) ( arg >> 24 );
        head[ 2 ] = ( uint8_t ) ( arg >> 16 );
        head[ 3 ] = ( uint8_t ) ( arg >> 8 );
        head[ 4 ] = ( uint8_t ) arg;
        n = 5;
    }

    if( ( at > capacity ) || ( capacity - at < n ) )
    {
        return 0;
    }

    memcpy( &pOut[ at ], head, n );

    return at + n;
}

/* A one-letter text key. */
static size_t putKey( uint8_t * pOut,
                      size_t capacity,
                      size_t at,
                      char key )
{
    at = putHead( pOut, capacity, at, 3U, 1U );

    if( ( at == 0U ) || ( at >= capacity ) )
    {
        return 0;
    }

    pOut[ at ] = ( uint8_t ) key;

    return at + 1U;
}

size_t tsan_cloud_encode_block( uint8_t * pOut,
                                size_t capacity,
                                uint32_t index )
{
    uint32_t start = index * TSAN_BLOCK_SIZE;
    uint32_t length;
    size_t at = 0;

    if( index >= TOTAL_BLOCKS )
    {
        return 0;
    }

    length = ( TSAN_IMAGE_SIZE - start < TSAN_BLOCK_SIZE ) ? ( TSAN_IMAGE_SIZE - start ) : TSAN_BLOCK_SIZE;
    /* {"f": 0, "i": index, "l": length, "p": bytes}; a zero return from any step ends it. */
    at = putHead( pOut, capacity, at, 5U, 4U );
    at = ( at != 0U ) ? putKey( pOut, capacity, at, 'f' ) : 0U;
    at = ( at != 0U ) ? putHead( pOut, capacity, at, 0U, 0U ) : 0U;
    at = ( at != 0U ) ? putKey( pOut, capacity, at, 'i' ) : 0U;
    at = ( at != 0U ) ? putHead( pOut, capacity, at, 0U, index ) : 0U;
    at = ( at != 0U ) ? putKey( pOut, capacity, at, 'l' ) : 0U;
    at = ( at != 0U ) ? putHead( pOut, capacity, at, 0U, length ) : 0U;
    at = ( at != 0U ) ? putKey( pOut, capacity, at, 'p' ) : 0U;
    at = ( at != 0U ) ? putHead( pOut, capacity, at, 2U, length ) : 0U;

    if( ( at == 0U ) || ( capacity - at < length ) )
    {
        return 0;
    }

    for( uint32_t i = 0; i < length; i++ )
    {
        pOut[ at + i ] = tsan_image_byte( start + i );
    }

    return at + length;
}

typedef struct
{
    const uint8_t * p;
    const uint8_t * end;
} Reader_t;

static bool readHead( Reader_t * r,
                      uint8_t * pMajor,
                      uint64_t * pArg )
{
    uint8_t info;
    size_t n;

    if( r->p >= r->end )
    {
        return false;
    }

    *pMajor = ( uint8_t ) ( *r->p >> 5 );
    info = ( uint8_t ) ( *r->p & 0x1fU );
    r->p++;

    if( info < 24U )
    {
        *pArg = info;
        return true;
    }

    n = ( info == 24U ) ? 1U : ( info == 25U ) ? 2U : ( info == 26U ) ? 4U : ( info == 27U ) ? 8U : 0U;

    if( ( n == 0U ) || ( ( size_t ) ( r->end - r->p ) < n ) )
    {
        return false; /* indefinite lengths and reserved values: not in a GetStream request */
    }

    *pArg = 0;

    for( size_t i = 0; i < n; i++ )
    {
        *pArg = ( *pArg << 8 ) | *r->p++;
    }

    return true;
}

typedef struct
{
    uint32_t fileId;
    uint32_t blockSize;
    uint32_t offset;
    uint32_t count;
    const uint8_t * pBitmap;
    size_t bitmapLength;
    uint32_t seen; /* bit per key: c f l o b n */
} Request_t;

/* A GetStream request: a definite map of one-letter text keys, with unsigned integer, text or
 * byte string values. "f", "l", "b" and "n" must be there, "o" defaults to 0. */
static bool decodeRequest( const uint8_t * pMessage,
                           size_t length,
                           Request_t * pRequest )
{
    Reader_t r = { pMessage, pMessage + length };
    uint8_t major;
    uint64_t pairs;

    memset( pRequest, 0, sizeof( *pRequest ) );

    if( !readHead( &r, &major, &pairs ) || ( major != 5U ) || ( pairs > 16U ) )
    {
        return false;
    }

    for( uint64_t k = 0; k < pairs; k++ )
    {
        uint64_t keyLength;
        uint64_t value;
        char key;

        if( !readHead( &r, &major, &keyLength ) || ( major != 3U ) || ( keyLength != 1U ) || ( r.p >= r.end ) )
        {
            return false;
        }

        key = ( char ) *r.p++;

        if( !readHead( &r, &major, &value ) )
        {
            return false;
        }

        if( ( major == 2U ) || ( major == 3U ) )
        {
            if( value > ( uint64_t ) ( r.end - r.p ) )
            {
                return false;
            }

            if( key == 'b' )
            {
                pRequest->pBitmap = r.p;
                pRequest->bitmapLength = ( size_t ) value;
                pRequest->seen |= 1U << 4;
            }
            else if( key == 'c' )
            {
                pRequest->seen |= 1U;
            }

            r.p += value;
            continue;
        }

        if( ( major != 0U ) || ( value > 0xffffffffU ) )
        {
            return false; /* a negative or wider number is nothing the agent should send */
        }

        switch( key )
        {
            case 'f': pRequest->fileId = ( uint32_t ) value; pRequest->seen |= 1U << 1; break;
            case 'l': pRequest->blockSize = ( uint32_t ) value; pRequest->seen |= 1U << 2; break;
            case 'o': pRequest->offset = ( uint32_t ) value; pRequest->seen |= 1U << 3; break;
            case 'n': pRequest->count = ( uint32_t ) value; pRequest->seen |= 1U << 5; break;
            default: break;
        }
    }

    return ( r.p == r.end ) && ( ( pRequest->seen & 0x36U ) == 0x36U );
}

/* ---- delivering to the device ------------------------------------------------------- */

static void trackDoc( const OtaEventData_t * pBuffer )
{
    pthread_mutex_lock( &lock );

    for( uint32_t i = 0; i < LENT_DOCS_CAPACITY; i++ )
    {
        if( lentDocs[ i ] == NULL )
        {
            lentDocs[ i ] = pBuffer;
            break;
        }
    }

    pthread_mutex_unlock( &lock );
}

void tsan_cloud_buffer_returned( const OtaEventData_t * pBuffer )
{
    pthread_mutex_lock( &lock );

    for( uint32_t i = 0; i < LENT_DOCS_CAPACITY; i++ )
    {
        if( lentDocs[ i ] == pBuffer )
        {
            lentDocs[ i ] = NULL;
        }
    }

    pthread_mutex_unlock( &lock );
}

uint32_t tsan_cloud_docs_lent( void )
{
    uint32_t n = 0;

    pthread_mutex_lock( &lock );

    for( uint32_t i = 0; i < LENT_DOCS_CAPACITY; i++ )
    {
        n += ( lentDocs[ i ] != NULL ) ? 1U : 0U;
    }

    pthread_mutex_unlock( &lock );

    return n;
}

static void countDrop( void )
{
    pthread_mutex_lock( &lock );
    stats.dropped++;
    pthread_mutex_unlock( &lock );
}

/* Hands one message to the agent, as an MQTT client's receive callback does. */
static bool deliver( OtaEvent_t eventId,
                     const uint8_t * pData,
                     size_t length )
{
    OtaEventData_t * pBuffer = tsan_pool_get( BUFFER_WAIT_MS );
    OtaEventMsg_t msg;

    if( ( pBuffer == NULL ) || ( length > sizeof( pBuffer->data ) ) )
    {
        if( pBuffer != NULL )
        {
            ( void ) tsan_pool_release( pBuffer );
        }

        countDrop();
        return false;
    }

    memcpy( pBuffer->data, pData, length );
    pBuffer->dataLength = ( uint32_t ) length;

    if( eventId == OtaAgentEventReceivedJobDocument )
    {
        trackDoc( pBuffer ); /* before the signal: the agent may hand it back at once */
    }

    msg.pEventData = pBuffer;
    msg.eventId = eventId;

    if( !OTA_SignalEvent( &msg ) )
    {
        ( void ) tsan_pool_release( pBuffer ); /* not taken: still ours */
        countDrop();
        return false;
    }

    return true;
}

/* ---- answering ---------------------------------------------------------------------- */

static bool endsWith( const Message_t * m,
                      const char * pSuffix )
{
    size_t n = strlen( pSuffix );

    return ( m->topicLength >= n ) && ( memcmp( &m->topic[ m->topicLength - n ], pSuffix, n ) == 0 );
}

/* The text after `"key":"` in a JSON payload, up to the closing quote (no escapes). */
static void jsonString( const Message_t * m,
                        const char * pKey,
                        char * pOut,
                        size_t capacity )
{
    char text[ PAYLOAD_CAPACITY + 1U ];
    const char * pStart;
    size_t n = 0;

    memcpy( text, m->payload, m->length );
    text[ m->length ] = '\0';
    pOut[ 0 ] = '\0';
    pStart = strstr( text, pKey );

    if( pStart == NULL )
    {
        return;
    }

    pStart += strlen( pKey );

    while( ( pStart[ n ] != '\0' ) && ( pStart[ n ] != '"' ) && ( pStart[ n ] != '\\' ) && ( n + 1U < capacity ) )
    {
        pOut[ n ] = pStart[ n ];
        n++;
    }

    pOut[ n ] = '\0';
}

static void answerJobRequest( const Message_t * m )
{
    char token[ TOKEN_CAPACITY ];
    char doc[ DOC_CAPACITY ];
    bool terminal;
    int servePhase;
    int n;

    jsonString( m, "\"clientToken\":\"", token, sizeof( token ) );
    pthread_mutex_lock( &lock );
    terminal = stats.terminalStatus[ 0 ] != '\0';
    servePhase = phase;
    stats.jobRequests++;
    pthread_mutex_unlock( &lock );

    if( terminal )
    {
        /* AWS IoT's answer when nothing is pending: no "execution". */
        n = snprintf( doc, sizeof( doc ), "{\"clientToken\":\"%s\",\"timestamp\":1700000100}", token );
    }
    else
    {
        n = snprintf( doc, sizeof( doc ),
                      "{\"clientToken\":\"%s\",\"timestamp\":1700000100,\"execution\":{"
                      "\"jobId\":\"" TSAN_JOB_ID "\",\"status\":\"%s\"%s,"
                      "\"queuedAt\":1700000000,\"lastUpdatedAt\":1700000050,\"versionNumber\":%d,\"executionNumber\":1,"
                      "\"jobDocument\":{\"afr_ota\":{\"protocols\":[\"MQTT\"],\"streamname\":\"" TSAN_STREAM "\","
                      "\"files\":[{\"filepath\":\"" TSAN_FILE_PATH "\",\"filesize\":%u,\"fileid\":0,"
                      "\"certfile\":\"" TSAN_CERT_FILE "\",\"sig-sha256-ecdsa\":\"%s\"}]}}}}",
                      token,
                      ( servePhase == 2 ) ? "IN_PROGRESS" : "QUEUED",
                      ( servePhase == 2 ) ? ",\"statusDetails\":{\"self_test\":\"ready\",\"updatedBy\":\"" TSAN_UPDATED_BY "\"}" : "",
                      ( servePhase == 2 ) ? 3 : 1,
                      ( unsigned ) TSAN_IMAGE_SIZE,
                      signature );
    }

    if( ( n > 0 ) && ( ( size_t ) n < sizeof( doc ) ) )
    {
        ( void ) deliver( OtaAgentEventReceivedJobDocument, ( const uint8_t * ) doc, ( size_t ) n );
    }
}

static bool isTerminal( const char * pStatus )
{
    static const char * const terminal[] = { "SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT", "CANCELED", "REMOVED" };

    for( size_t i = 0; i < sizeof( terminal ) / sizeof( terminal[ 0 ] ); i++ )
    {
        if( strcmp( pStatus, terminal[ i ] ) == 0 )
        {
            return true;
        }
    }

    return false;
}

static void recordStatus( const Message_t * m )
{
    static const char jobTopic[] = TOPIC_PREFIX "jobs/" TSAN_JOB_ID "/update";
    char status[ 16 ];
    bool ours = ( m->topicLength == sizeof( jobTopic ) - 1U ) && ( memcmp( m->topic, jobTopic, m->topicLength ) == 0 );

    jsonString( m, "\"status\":\"", status, sizeof( status ) );
    pthread_mutex_lock( &lock );

    if( !ours || ( status[ 0 ] == '\0' ) )
    {
        stats.badMessages++; /* an update for another job, or without a status */
    }
    else
    {
        stats.statusUpdates++;
        stats.succeededUpdates += ( strcmp( status, "SUCCEEDED" ) == 0 ) ? 1U : 0U;
        ( void ) snprintf( stats.lastStatus, sizeof( stats.lastStatus ), "%s", status );

        if( ( stats.terminalStatus[ 0 ] == '\0' ) && isTerminal( status ) )
        {
            ( void ) snprintf( stats.terminalStatus, sizeof( stats.terminalStatus ), "%s", status );
        }
    }

    pthread_mutex_unlock( &lock );
    tsan_printf( "cloud: update on %.*s: %.*s\n", ( int ) m->topicLength, m->topic, ( int ) m->length,
                 ( const char * ) m->payload );
}

static void answerStreamRequest( const Message_t * m )
{
    static const char streamTopic[] = TOPIC_PREFIX "streams/" TSAN_STREAM "/get/cbor";
    static uint8_t block[ TSAN_BLOCK_SIZE + 32U ];
    Request_t request;
    uint32_t sent = 0;
    bool ok = ( m->topicLength == sizeof( streamTopic ) - 1U ) &&
              ( memcmp( m->topic, streamTopic, m->topicLength ) == 0 ) &&
              decodeRequest( m->payload, m->length, &request ) &&
              ( request.fileId == 0U ) && ( request.blockSize == TSAN_BLOCK_SIZE );

    pthread_mutex_lock( &lock );

    if( ok )
    {
        stats.streamRequests++;
    }
    else
    {
        stats.badMessages++;
    }

    pthread_mutex_unlock( &lock );
    sleepUs( REQUEST_LATENCY_US );

    /* Bounded by the bitmap's bits and by "n". */
    for( size_t bit = 0; ok && ( bit < request.bitmapLength * 8U ) && ( sent < request.count ); bit++ )
    {
        uint32_t index = request.offset + ( uint32_t ) bit;
        size_t length;

        if( ( ( request.pBitmap[ bit / 8U ] >> ( bit % 8U ) ) & 1U ) == 0U )
        {
            continue;
        }

        if( index >= TOTAL_BLOCKS )
        {
            break;
        }

        length = tsan_cloud_encode_block( block, sizeof( block ), index );
        sleepUs( BLOCK_LATENCY_US );

        if( ( length > 0U ) && deliver( OtaAgentEventReceivedFileBlock, block, length ) )
        {
            pthread_mutex_lock( &lock );
            stats.blocksSent++;
            pthread_mutex_unlock( &lock );
        }

        sent++;
    }
}

static void handle( const Message_t * m )
{
    static const char prefix[] = TOPIC_PREFIX;
    bool ours = ( m->topicLength > sizeof( prefix ) - 1U ) && ( memcmp( m->topic, prefix, sizeof( prefix ) - 1U ) == 0 );

    if( ours && endsWith( m, "/jobs/$next/get" ) )
    {
        answerJobRequest( m );
    }
    else if( ours && endsWith( m, "/update" ) )
    {
        recordStatus( m );
    }
    else if( ours && endsWith( m, "/get/cbor" ) )
    {
        answerStreamRequest( m );
    }
    else
    {
        pthread_mutex_lock( &lock );
        stats.badMessages++;
        pthread_mutex_unlock( &lock );
        tsan_printf( "cloud: unexpected publish on %.*s\n", ( int ) m->topicLength, m->topic );
    }
}

static void * cloudThread( void * pArg )
{
    static Message_t m; /* only this thread uses it */
    uint32_t idleWaits = 0;
    uint32_t handled = 0;

    ( void ) pArg;

    while( ( idleWaits < MAX_IDLE_WAITS ) && ( handled < MAX_MESSAGES ) )
    {
        bool have = false;
        bool done;

        pthread_mutex_lock( &lock );

        if( ( inboxCount == 0U ) && !stopRequested )
        {
            struct timespec t;

            ( void ) clock_gettime( CLOCK_REALTIME, &t );
            t.tv_nsec += WAIT_MS * 1000000L;

            if( t.tv_nsec >= 1000000000L )
            {
                t.tv_sec++;
                t.tv_nsec -= 1000000000L;
            }

            ( void ) pthread_cond_timedwait( &arrived, &lock, &t );
        }

        if( inboxCount > 0U )
        {
            m = inbox[ inboxHead ];
            inboxHead = ( inboxHead + 1U ) % INBOX_CAPACITY;
            inboxCount--;
            busy = true; /* set with the pop, so "idle" never misses a message in hand */
            have = true;
        }

        done = stopRequested && !have;
        pthread_mutex_unlock( &lock );

        if( done )
        {
            break;
        }

        if( !have )
        {
            idleWaits++;
            continue;
        }

        handled++;
        handle( &m );
        pthread_mutex_lock( &lock );
        busy = false;
        pthread_mutex_unlock( &lock );
    }

    return NULL;
}

/* ---- the device's MQTT interface ----------------------------------------------------- */

static OtaMqttStatus_t mqttSubscribe( const char * pTopicFilter,
                                      uint16_t topicFilterLength,
                                      uint8_t qos )
{
    ( void ) qos;

    return ( ( pTopicFilter != NULL ) && ( topicFilterLength > 0U ) ) ? OtaMqttSuccess : OtaMqttSubscribeFailed;
}

static OtaMqttStatus_t mqttUnsubscribe( const char * pTopicFilter,
                                        uint16_t topicFilterLength,
                                        uint8_t qos )
{
    ( void ) qos;

    return ( ( pTopicFilter != NULL ) && ( topicFilterLength > 0U ) ) ? OtaMqttSuccess : OtaMqttUnsubscribeFailed;
}

static OtaMqttStatus_t mqttPublish( const char * const pTopic,
                                    uint16_t topicLength,
                                    const char * pMessage,
                                    uint32_t messageLength,
                                    uint8_t qos )
{
    OtaMqttStatus_t result = OtaMqttPublishFailed;

    ( void ) qos;

    if( ( pTopic == NULL ) || ( topicLength >= TOPIC_CAPACITY ) || ( messageLength > PAYLOAD_CAPACITY ) ||
        ( ( pMessage == NULL ) && ( messageLength > 0U ) ) )
    {
        pthread_mutex_lock( &lock );
        stats.badMessages++;
        pthread_mutex_unlock( &lock );
        return OtaMqttPublishFailed;
    }

    pthread_mutex_lock( &lock );

    if( !stopRequested && ( inboxCount < INBOX_CAPACITY ) )
    {
        Message_t * m = &inbox[ ( inboxHead + inboxCount ) % INBOX_CAPACITY ];

        memcpy( m->topic, pTopic, topicLength );
        m->topicLength = topicLength;

        if( messageLength > 0U )
        {
            memcpy( m->payload, pMessage, messageLength );
        }

        m->length = messageLength;
        inboxCount++;
        pthread_cond_signal( &arrived );
        result = OtaMqttSuccess;
    }
    else
    {
        stats.dropped++;
    }

    pthread_mutex_unlock( &lock );

    return result;
}

void tsan_cloud_mqtt_interface( OtaMqttInterface_t * pMqtt )
{
    pMqtt->subscribe = mqttSubscribe;
    pMqtt->unsubscribe = mqttUnsubscribe;
    pMqtt->publish = mqttPublish;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

bool tsan_cloud_start( void )
{
    makeSignature( signature );
    started = pthread_create( &thread, NULL, cloudThread, NULL ) == 0;

    return started;
}

void tsan_cloud_set_phase( int newPhase )
{
    pthread_mutex_lock( &lock );
    phase = newPhase;
    pthread_mutex_unlock( &lock );
}

void tsan_cloud_stop( void )
{
    pthread_mutex_lock( &lock );
    stopRequested = true;
    pthread_cond_signal( &arrived );
    pthread_mutex_unlock( &lock );

    if( started )
    {
        ( void ) pthread_join( thread, NULL ); /* bounded: the loop ends within one wait */
        started = false;
    }
}

bool tsan_cloud_idle( void )
{
    bool idle;

    pthread_mutex_lock( &lock );
    idle = ( inboxCount == 0U ) && !busy;
    pthread_mutex_unlock( &lock );

    return idle;
}

void tsan_cloud_get_stats( TsanCloudStats_t * pStats )
{
    pthread_mutex_lock( &lock );
    *pStats = stats;
    pthread_mutex_unlock( &lock );
}
