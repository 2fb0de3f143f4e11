/* ota-rs bench: the per-block and job-document cost of an OTA v2.0.0 agent, in instructions.
 * SPDX-License-Identifier: MIT
 *
 * One C program, linked either against libota.a (this project) or against an archive of the
 * upstream v2.0.0 C sources, drives a whole update through the public API only:
 *
 *   OTA_Init -> Start -> job document -> file blocks 0..M-1 -> activation -> OTA_Shutdown
 *
 * The file comes over the data plane --plane names: MQTT (default: a job document with a
 * stream, blocks as CBOR stream messages) or HTTP (a job document with a pre-signed URL, each
 * block the raw body of one byte range).
 *
 * It runs on one thread. OTA_EventProcessingTask is called directly; the OS interface's
 * event queue is a ring buffer, and its recv function plays the application: whenever the
 * agent asks for an event and the queue is empty, the next step of the script is taken
 * (signal Start, signal the job document, signal the next block, shut down). So every event
 * the agent queues for itself (RequestFileBlock after each block, ...) is processed before the
 * application sends the next block, as on a device with one OTA task, and the instruction
 * stream is the same on every run.
 *
 * The scripted cloud answers what the agent asks for, and nothing else: each stream request
 * the agent publishes (its CBOR "o", "b" and "n": the first n blocks still set in the bitmap)
 * or each byte range it asks the HTTP client for queues those blocks, and the next block sent
 * is the oldest queued one. A block asked for after it was sent, a range that is not one
 * block, or an agent waiting for a block it has not asked for stops the program. The cloud's
 * bookkeeping runs with collection off (see uncounted_cloud_publish), so it is not in the
 * counts.
 *
 * Measuring (run under valgrind --tool=callgrind --collect-atstart=no): collection is switched
 * on only around OTA_SignalEvent calls made by the application and around the agent's
 * processing of events (from recv returning the event to the agent's next recv call), for
 * the event kinds the --measure option names, and only inside a window. Each window ends with
 * CALLGRIND_DUMP_STATS_AT(name), so each callgrind dump holds the instructions of one window:
 *
 *   "job"       from signalling the job document until the agent waits for the first block
 *               (parse, PAL create, data-topic subscription or HTTP init, first request);
 *   "blocks"    the first --blocks N file blocks, each: OTA_SignalEvent(ReceivedFileBlock),
 *               decode, bitmap, PAL writeBlock, progress status, and the agent's follow-up
 *               RequestFileBlock event when it makes one (the next stream request, which
 *               v2.0.0 sends after every otaconfigMAX_NUM_BLOCKS_REQUEST blocks, or the next
 *               HTTP range, after every block);
 *   "finish"    the last block of the file: ingest, PAL close, status, activation callback;
 *   "memcpy4k"  one memcpy of 4 KiB through the C library's memcpy: touching a block once.
 *
 * --measure all      every event kind (default);
 * --measure ingest   only ReceivedJobDocument / ReceivedFileBlock (what the application
 *                    signals, with everything the agent does while handling it);
 * --measure request  only the agent's own CreateFile / RequestFileBlock events.
 *
 * Per-block cost = (blocks window with N blocks - blocks window with 0 blocks) / N.
 *
 * The PAL's writeBlock either touches nothing (--pal null, default: the library's own cost) or
 * copies the block into an image buffer (--pal copy: what a RAM-backed PAL would pay on top).
 * MQTT blocks are {"f","i","l","p"} (default, the published numbers) or, with --aws-shape, what
 * AWS IoT sends: {"c":"rdy","f","l","i","p"} (the client token echoed, the guide's key order).
 * Without valgrind the program still runs the whole update and checks it (a smoke test).
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/callgrind.h>

#include "ota.h"
#include "ota_appversion32.h"

/* ------------------------------------------------------------ what the app defines -- */

const AppVersion32_t appFirmwareVersion = { .u.x = { .major = 1, .minor = 2, .build = 3 } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

#define THING_NAME     "bench-thing"
#define MAX_FILE_BLOCKS    ( OTA_MAX_BLOCK_BITMAP_SIZE * 8U )

/* --------------------------------------------------------------------- options -- */

enum measure { MEASURE_ALL, MEASURE_INGEST, MEASURE_REQUEST };
enum plane { PLANE_MQTT, PLANE_HTTP };

static uint32_t opt_file_blocks = 512;   /* blocks in the file */
static uint32_t opt_window_blocks = 256; /* blocks in the "blocks" window */
static enum measure opt_measure = MEASURE_ALL;
static enum plane opt_plane = PLANE_MQTT;
static bool opt_pal_copy = false;
static bool opt_verbose = false;
static bool opt_aws_shape = false;

/* ------------------------------------------------------------ collection control -- */

static bool collecting;        /* callgrind's collection is on */
static bool window_open;       /* we are inside a measured window */

static void collect_on( void )
{
    if( !collecting )
    {
        CALLGRIND_TOGGLE_COLLECT;
        collecting = true;
    }
}

static void collect_off( void )
{
    if( collecting )
    {
        CALLGRIND_TOGGLE_COLLECT;
        collecting = false;
    }
}

/* Whether events of this kind are measured in the current mode. */
static bool measured( OtaEvent_t event )
{
    switch( opt_measure )
    {
        case MEASURE_INGEST:
            return event == OtaAgentEventReceivedJobDocument ||
                   event == OtaAgentEventReceivedFileBlock;

        case MEASURE_REQUEST:
            return event == OtaAgentEventCreateFile ||
                   event == OtaAgentEventRequestFileBlock;

        case MEASURE_ALL:
        default:
            return true;
    }
}

static void window_begin( void )
{
    window_open = true;
}

static void window_end( const char * name )
{
    collect_off();
    window_open = false;
    CALLGRIND_DUMP_STATS_AT( name );
}

/* ------------------------------------------------------------- the event queue -- */

#define QUEUE_LEN    32U

static OtaEventMsg_t queue[ QUEUE_LEN ];
static uint32_t queue_head; /* next to take */
static uint32_t queue_count;

static OtaOsStatus_t q_init( OtaEventContext_t * ctx )
{
    ( void ) ctx;
    queue_head = 0;
    queue_count = 0;
    return OtaOsSuccess;
}

static OtaOsStatus_t q_send( OtaEventContext_t * ctx,
                             const void * msg,
                             unsigned int timeout )
{
    ( void ) ctx;
    ( void ) timeout;

    if( queue_count == QUEUE_LEN )
    {
        return OtaOsEventQueueSendFailed;
    }

    memcpy( &queue[ ( queue_head + queue_count ) % QUEUE_LEN ], msg, sizeof( OtaEventMsg_t ) );
    queue_count++;
    return OtaOsSuccess;
}

static void script_step( void );

static OtaOsStatus_t q_recv( OtaEventContext_t * ctx,
                             void * msg,
                             uint32_t timeout )
{
    ( void ) ctx;
    ( void ) timeout;

    /* The agent finished the previous event. */
    collect_off();

    if( queue_count == 0U )
    {
        script_step();
    }

    if( queue_count == 0U )
    {
        return OtaOsEventQueueReceiveFailed;
    }

    OtaEventMsg_t * next = &queue[ queue_head ];
    memcpy( msg, next, sizeof( OtaEventMsg_t ) );
    queue_head = ( queue_head + 1U ) % QUEUE_LEN;
    queue_count--;

    if( window_open && measured( next->eventId ) )
    {
        collect_on();
    }

    return OtaOsSuccess;
}

static OtaOsStatus_t q_deinit( OtaEventContext_t * ctx )
{
    ( void ) ctx;
    return OtaOsSuccess;
}

/* ------------------------------------------------------------ the scripted cloud -- */

/* The pre-signed URL of the HTTP job document, of the length S3 gives (SigV4, one hour). */
#define JOB_URL                                                                          \
    "https://bench-ota-bucket.s3.us-east-1.amazonaws.com/firmware.bin"                   \
    "?X-Amz-Algorithm=AWS4-HMAC-SHA256"                                                  \
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20231114%2Fus-east-1%2Fs3%2Faws4_request"  \
    "&X-Amz-Date=20231114T221320Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"           \
    "&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"

/* What the cloud knows of each block of the file. */
enum cloud_block { BLOCK_NOT_ASKED, BLOCK_QUEUED, BLOCK_SENT };

static uint8_t cloud_blocks[ MAX_FILE_BLOCKS ];  /* enum cloud_block, by block */
static uint32_t cloud_queue[ MAX_FILE_BLOCKS ];  /* blocks asked for and not sent, oldest first */
static uint32_t cloud_queue_head;
static uint32_t cloud_queue_count;
static uint32_t cloud_requests;                  /* stream requests and HTTP ranges heard */
static bool cloud_url_ok;                        /* the HTTP client was opened with JOB_URL */

static void fail( const char * what );

/* The agent asked for this block. Each block is queued once and sent once: asking again for a
 * queued block changes nothing (it is on its way), asking for a sent one is an agent that lost
 * a block it was given, and stops the program. */
static void cloud_ask( uint32_t block )
{
    if( cloud_blocks[ block ] == BLOCK_SENT )
    {
        static char what[ 64 ];
        ( void ) snprintf( what, sizeof( what ), "the agent asked for block %u after it was sent",
                           ( unsigned ) block );
        fail( what );
    }

    if( cloud_blocks[ block ] == BLOCK_NOT_ASKED )
    {
        cloud_blocks[ block ] = BLOCK_QUEUED;
        cloud_queue[ ( cloud_queue_head + cloud_queue_count ) % MAX_FILE_BLOCKS ] = block;
        cloud_queue_count++;
    }
}

/* The oldest block asked for and not sent; false when there is none. */
static bool cloud_next_block( uint32_t * block )
{
    if( cloud_queue_count == 0U )
    {
        return false;
    }

    *block = cloud_queue[ cloud_queue_head ];
    cloud_queue_head = ( cloud_queue_head + 1U ) % MAX_FILE_BLOCKS;
    cloud_queue_count--;
    cloud_blocks[ *block ] = BLOCK_SENT;
    return true;
}

struct cbor_reader
{
    const uint8_t * p;
    const uint8_t * end;
};

/* One item's head: major type and argument, up to 32 bits (all a stream request holds). */
static bool cbor_read_head( struct cbor_reader * r,
                            uint8_t * major,
                            uint32_t * value )
{
    if( r->p >= r->end )
    {
        return false;
    }

    uint8_t initial = *r->p++;
    uint8_t info = initial & 0x1fU;
    uint32_t bytes;

    *major = ( uint8_t ) ( initial >> 5 );

    if( info < 24U )
    {
        *value = info;
        return true;
    }

    if( info == 24U )
    {
        bytes = 1;
    }
    else if( info == 25U )
    {
        bytes = 2;
    }
    else if( info == 26U )
    {
        bytes = 4;
    }
    else
    {
        return false; /* 64-bit arguments and indefinite lengths: not in a stream request */
    }

    if( ( size_t ) ( r->end - r->p ) < bytes )
    {
        return false;
    }

    *value = 0;

    for( uint32_t i = 0; i < bytes; i++ )
    {
        *value = ( *value << 8 ) | *r->p++;
    }

    return true;
}

/* A GetStream request, as v2.0.0 encodes it: a map of "c" (client token), "f" (file id), "l"
 * (block size), "o" (block offset), "b" (bitmap of the blocks still needed from the offset:
 * block o + i is bit i % 8 of byte i / 8) and "n" (blocks wanted). The stream service answers
 * with the first n blocks set in the bitmap. */
static void cloud_stream_request( const uint8_t * msg,
                                  uint32_t len )
{
    struct cbor_reader r = { msg, msg + len };
    uint8_t major = 0;
    uint32_t pairs = 0;
    uint32_t file_id = UINT32_MAX;
    uint32_t block_size = 0;
    uint32_t offset = 0;
    uint32_t wanted = 0;
    const uint8_t * bitmap = NULL;
    uint32_t bitmap_len = 0;
    bool ok = cbor_read_head( &r, &major, &pairs ) && ( major == 5U );

    for( uint32_t i = 0; ok && ( i < pairs ); i++ )
    {
        uint32_t key_len = 0;
        uint32_t value = 0;

        ok = cbor_read_head( &r, &major, &key_len ) && ( major == 3U ) && ( key_len == 1U ) &&
             ( r.p < r.end );

        if( !ok )
        {
            break;
        }

        char key = ( char ) *r.p++;
        ok = cbor_read_head( &r, &major, &value );

        if( ok && ( ( major == 2U ) || ( major == 3U ) ) )
        {
            ok = ( size_t ) ( r.end - r.p ) >= value;

            if( ok && ( key == 'b' ) && ( major == 2U ) )
            {
                bitmap = r.p;
                bitmap_len = value;
            }

            r.p += ok ? value : 0U;
        }
        else if( ok && ( major == 0U ) )
        {
            switch( key )
            {
                case 'f':
                    file_id = value;
                    break;

                case 'l':
                    block_size = value;
                    break;

                case 'o':
                    offset = value;
                    break;

                case 'n':
                    wanted = value;
                    break;

                default:
                    break;
            }
        }
        else
        {
            ok = false;
        }
    }

    if( !ok || ( r.p != r.end ) || ( bitmap == NULL ) || ( file_id != 0U ) ||
        ( block_size != OTA_FILE_BLOCK_SIZE ) || ( wanted == 0U ) )
    {
        fail( "the cloud cannot read a stream request" );
    }

    cloud_requests++;

    uint32_t queued = 0;

    for( uint32_t i = 0; ( i < bitmap_len * 8U ) && ( queued < wanted ); i++ )
    {
        if( ( offset + i ) >= opt_file_blocks )
        {
            break;
        }

        if( ( ( bitmap[ i / 8U ] >> ( i % 8U ) ) & 1U ) != 0U )
        {
            cloud_ask( offset + i );
            queued++;
        }
    }

    if( opt_verbose )
    {
        fprintf( stderr, "  cloud       stream request: %u blocks from offset %u, %u queued\n",
                 ( unsigned ) wanted, ( unsigned ) offset, ( unsigned ) cloud_queue_count );
    }
}

/* What the cloud does with a publish: reads stream requests, ignores status updates. (This
 * and the other cloud_* entry points are not inlined, so that the stubs that call them stay
 * small.) */
__attribute__( ( noinline ) )
static OtaMqttStatus_t cloud_publish( const char * topic,
                                      uint16_t topic_len,
                                      const char * msg,
                                      uint32_t msg_len )
{
    static const char stream_get[] = "/get/cbor";
    size_t n = sizeof( stream_get ) - 1U;
    bool request = ( topic_len >= n ) && ( memcmp( &topic[ topic_len - n ], stream_get, n ) == 0 );

    if( opt_verbose )
    {
        /* Stream requests are CBOR: show their length only. */
        fprintf( stderr, "  publish     %.*s  %u bytes%s%.*s\n", ( int ) topic_len, topic,
                 ( unsigned ) msg_len, request ? "" : ": ", request ? 0 : ( int ) msg_len, msg );
    }

    if( request )
    {
        cloud_stream_request( ( const uint8_t * ) msg, msg_len );
    }

    return OtaMqttSuccess;
}

__attribute__( ( noinline ) )
static OtaHttpStatus_t cloud_http_init( char * url )
{
    cloud_url_ok = ( url != NULL ) && ( strcmp( url, JOB_URL ) == 0 );

    if( opt_verbose )
    {
        fprintf( stderr, "  http init   %s\n", url );
    }

    return OtaHttpSuccess;
}

/* An HTTP range request: it must be exactly one block of the file (the last one may be short). */
__attribute__( ( noinline ) )
static OtaHttpStatus_t cloud_http_range( uint32_t start,
                                         uint32_t end )
{
    uint32_t file_size = opt_file_blocks * OTA_FILE_BLOCK_SIZE;
    uint32_t block = start / OTA_FILE_BLOCK_SIZE;
    uint32_t block_end = ( file_size - start > OTA_FILE_BLOCK_SIZE ) ?
                         ( start + OTA_FILE_BLOCK_SIZE ) : file_size;

    if( opt_verbose )
    {
        fprintf( stderr, "  http range  bytes %u-%u\n", ( unsigned ) start, ( unsigned ) end );
    }

    if( ( start % OTA_FILE_BLOCK_SIZE != 0U ) || ( start >= file_size ) ||
        ( end + 1U != block_end ) )
    {
        static char what[ 80 ];
        ( void ) snprintf( what, sizeof( what ), "the agent asked for bytes %u-%u, not one block",
                           ( unsigned ) start, ( unsigned ) end );
        fail( what );
    }

    cloud_requests++;
    cloud_ask( block );
    return OtaHttpSuccess;
}

/* The same, for calls made while callgrind collects: ingest_bench runs under
 * --toggle-collect='uncounted_*', which switches collection off from the entry of these
 * functions to their return (so they are called only when collection is on; a toggle would
 * otherwise switch it on). What is counted of a stub that hands work to the cloud is then its
 * own few instructions: a test, a call, a counter. Each does something after its call, so that
 * no call in or around them becomes a jump callgrind could miss the end of. */
static uint32_t uncounted_calls;

/* Not static: callgrind finds them by these names, which the compiler keeps for extern
 * functions. */
OtaMqttStatus_t uncounted_cloud_publish( const char * topic,
                                         uint16_t topic_len,
                                         const char * msg,
                                         uint32_t msg_len );
OtaHttpStatus_t uncounted_cloud_http_init( char * url );
OtaHttpStatus_t uncounted_cloud_http_range( uint32_t start,
                                            uint32_t end );

__attribute__( ( noinline ) )
OtaMqttStatus_t uncounted_cloud_publish( const char * topic,
                                         uint16_t topic_len,
                                         const char * msg,
                                         uint32_t msg_len )
{
    OtaMqttStatus_t status = cloud_publish( topic, topic_len, msg, msg_len );

    uncounted_calls++;
    return status;
}

__attribute__( ( noinline ) )
OtaHttpStatus_t uncounted_cloud_http_init( char * url )
{
    OtaHttpStatus_t status = cloud_http_init( url );

    uncounted_calls++;
    return status;
}

__attribute__( ( noinline ) )
OtaHttpStatus_t uncounted_cloud_http_range( uint32_t start,
                                            uint32_t end )
{
    OtaHttpStatus_t status = cloud_http_range( start, end );

    uncounted_calls++;
    return status;
}

/* ------------------------------------------------------- timers, memory, MQTT -- */

static uint32_t timer_starts;
static uint32_t publishes;
static uint32_t subscribes;
static uint32_t http_inits;
static uint32_t http_requests;

static OtaOsStatus_t t_start( OtaTimerId_t id,
                              const char * const name,
                              const uint32_t timeout,
                              OtaTimerCallback_t callback )
{
    /* Timers never fire: the script is the only source of events. */
    ( void ) id;
    ( void ) name;
    ( void ) timeout;
    ( void ) callback;
    timer_starts++;
    return OtaOsSuccess;
}

static OtaOsStatus_t t_stop( OtaTimerId_t id )
{
    ( void ) id;
    return OtaOsSuccess;
}

static OtaOsStatus_t t_delete( OtaTimerId_t id )
{
    ( void ) id;
    return OtaOsSuccess;
}

static void * m_alloc( size_t size )
{
    return malloc( size );
}

static void m_free( void * p )
{
    free( p );
}

static OtaMqttStatus_t mqtt_subscribe( const char * topic,
                                       uint16_t len,
                                       uint8_t qos )
{
    ( void ) qos;
    subscribes++;

    if( opt_verbose )
    {
        fprintf( stderr, "  subscribe   %.*s\n", ( int ) len, topic );
    }

    return OtaMqttSuccess;
}

static OtaMqttStatus_t mqtt_unsubscribe( const char * topic,
                                         uint16_t len,
                                         uint8_t qos )
{
    ( void ) qos;

    if( opt_verbose )
    {
        fprintf( stderr, "  unsubscribe %.*s\n", ( int ) len, topic );
    }

    return OtaMqttSuccess;
}

static OtaMqttStatus_t mqtt_publish( const char * const topic,
                                     uint16_t topic_len,
                                     const char * msg,
                                     uint32_t msg_len,
                                     uint8_t qos )
{
    ( void ) qos;

    /* The cloud's side of it, uncounted (see uncounted_cloud_publish). */
    OtaMqttStatus_t status = collecting ?
                             uncounted_cloud_publish( topic, topic_len, msg, msg_len ) :
                             cloud_publish( topic, topic_len, msg, msg_len );

    publishes++;
    return status;
}

static OtaHttpStatus_t http_init( char * url )
{
    OtaHttpStatus_t status = collecting ? uncounted_cloud_http_init( url ) : cloud_http_init( url );

    http_inits++;
    return status;
}

static OtaHttpStatus_t http_request( uint32_t start,
                                     uint32_t end )
{
    OtaHttpStatus_t status = collecting ? uncounted_cloud_http_range( start, end ) :
                             cloud_http_range( start, end );

    http_requests++;
    return status;
}

static OtaHttpStatus_t http_deinit( void )
{
    return OtaHttpSuccess;
}

/* -------------------------------------------------------------------- the PAL -- */

static uint8_t image[ MAX_FILE_BLOCKS * OTA_FILE_BLOCK_SIZE ];
static uint32_t blocks_written;
static uint32_t pal_closes;
static int pal_file_token; /* pFile must be non-NULL; nothing reads it */

static OtaPalStatus_t pal_abort( OtaFileContext_t * const fc )
{
    fc->pFile = NULL;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_create( OtaFileContext_t * const fc )
{
    fc->pFile = ( void * ) &pal_file_token;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_close( OtaFileContext_t * const fc )
{
    /* Accepts the image: this bench measures the agent, not a signature check. */
    ( void ) fc;
    pal_closes++;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static int16_t pal_write( OtaFileContext_t * const fc,
                          uint32_t offset,
                          uint8_t * const data,
                          uint32_t size )
{
    ( void ) fc;

    if( opt_pal_copy )
    {
        if( ( offset > sizeof( image ) ) || ( size > sizeof( image ) - offset ) )
        {
            return -1;
        }

        memcpy( &image[ offset ], data, size );
    }

    blocks_written++;
    return ( int16_t ) size;
}

static OtaPalStatus_t pal_activate( OtaFileContext_t * const fc )
{
    ( void ) fc;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_reset( OtaFileContext_t * const fc )
{
    ( void ) fc;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static OtaPalStatus_t pal_set_state( OtaFileContext_t * const fc,
                                     OtaImageState_t state )
{
    ( void ) fc;
    ( void ) state;
    return OTA_PAL_COMBINE_ERR( OtaPalSuccess, 0 );
}

static OtaPalImageState_t pal_get_state( OtaFileContext_t * const fc )
{
    ( void ) fc;
    return OtaPalImageStateValid;
}

static OtaInterfaces_t interfaces;

static void setup_interfaces( void )
{
    interfaces.os.event.init = q_init;
    interfaces.os.event.send = q_send;
    interfaces.os.event.recv = q_recv;
    interfaces.os.event.deinit = q_deinit;
    interfaces.os.event.pEventContext = NULL;
    interfaces.os.timer.start = t_start;
    interfaces.os.timer.stop = t_stop;
    interfaces.os.timer.delete = t_delete;
    interfaces.os.mem.malloc = m_alloc;
    interfaces.os.mem.free = m_free;
    interfaces.mqtt.subscribe = mqtt_subscribe;
    interfaces.mqtt.unsubscribe = mqtt_unsubscribe;
    interfaces.mqtt.publish = mqtt_publish;
    interfaces.http.init = http_init;
    interfaces.http.request = http_request;
    interfaces.http.deinit = http_deinit;
    interfaces.pal.abort = pal_abort;
    interfaces.pal.createFile = pal_create;
    interfaces.pal.closeFile = pal_close;
    interfaces.pal.writeBlock = pal_write;
    interfaces.pal.activate = pal_activate;
    interfaces.pal.reset = pal_reset;
    interfaces.pal.setPlatformImageState = pal_set_state;
    interfaces.pal.getPlatformImageState = pal_get_state;
}

/* --------------------------------------------------- application buffers, events -- */

static uint8_t buf_file_path[ 256 ];
static uint8_t buf_cert_path[ 256 ];
static uint8_t buf_stream_name[ 128 ];
static uint8_t buf_decode[ OTA_FILE_BLOCK_SIZE ];
static uint8_t buf_bitmap[ OTA_MAX_BLOCK_BITMAP_SIZE ];
static uint8_t buf_url[ OTA_REQUEST_URL_MAX_SIZE ];
static uint8_t buf_auth[ 32 ];

/* Event payload buffers, handed back by the agent through OtaJobEventProcessed. */
#define EVENT_BUFFERS    2U
static OtaEventData_t event_buffers[ EVENT_BUFFERS ];

static OtaEventData_t * event_buffer_get( void )
{
    for( uint32_t i = 0; i < EVENT_BUFFERS; i++ )
    {
        if( !event_buffers[ i ].bufferUsed )
        {
            event_buffers[ i ].bufferUsed = true;
            return &event_buffers[ i ];
        }
    }

    return NULL;
}

static uint32_t activations;
static uint32_t failures;

static void app_callback( OtaJobEvent_t event,
                          const void * data )
{
    switch( event )
    {
        case OtaJobEventProcessed:

            if( data != NULL )
            {
                ( ( OtaEventData_t * ) data )->bufferUsed = false;
            }

            break;

        case OtaJobEventActivate:
            /* A device would call OTA_ActivateNewImage() and reset; the bench just counts. */
            activations++;
            break;

        case OtaJobEventFail:
            failures++;
            break;

        default:
            break;
    }
}

/* ------------------------------------------------------------------ the messages -- */

/* A job document as AWS IoT Jobs sends it on $next/get/accepted, for one file: MQTT-streamed
 * (a stream name) or over HTTP (a pre-signed S3 URL and its auth scheme, the fields v2.0.0
 * reads for an HTTP job). The signature is 70 arbitrary bytes in base64 (the stub PAL does
 * not check it). */
#define JOB_DOC_HEAD                                                                     \
    "{\"clientToken\":\"0:" THING_NAME "\",\"timestamp\":1700000000,"                  \
    "\"execution\":{\"jobId\":\"AFR_OTA-bench-job-1\",\"status\":\"QUEUED\","          \
    "\"queuedAt\":1699999990,\"lastUpdatedAt\":1699999990,"                            \
    "\"versionNumber\":1,\"executionNumber\":1,"                                       \
    "\"jobDocument\":{\"afr_ota\":"
#define JOB_DOC_SIGNATURE                                                                \
    "\"sig-sha256-ecdsa\":\"MEQCIHbAtj0b8m5nqSwqN8y8wS2v0b1dJmRmvQ3KpB4hq7uDAiA"          \
    "f0Zp6b1Qx2wZqv5oU3rK0yTt8mH9cL2aE7dG4sN1jWg==\"}]}}}}"

static char job_doc[ 2048 ];
static uint32_t job_doc_len;

static void make_job_doc( void )
{
    unsigned long file_size = ( unsigned long ) opt_file_blocks * OTA_FILE_BLOCK_SIZE;
    int n;

    if( opt_plane == PLANE_HTTP )
    {
        n = snprintf( job_doc, sizeof( job_doc ),
                      JOB_DOC_HEAD "{\"protocols\":[\"HTTP\"],"
                      "\"files\":[{\"filepath\":\"/ota/firmware.bin\",\"filesize\":%lu,"
                      "\"fileid\":0,\"certfile\":\"/ota/signer.crt\","
                      "\"update_data_url\":\"%s\",\"auth_scheme\":\"aws.s3.presigned\","
                      JOB_DOC_SIGNATURE,
                      file_size, JOB_URL );
    }
    else
    {
        n = snprintf( job_doc, sizeof( job_doc ),
                      JOB_DOC_HEAD "{\"protocols\":[\"MQTT\"],"
                      "\"streamname\":\"AFR_OTA-bench-stream\","
                      "\"files\":[{\"filepath\":\"/ota/firmware.bin\",\"filesize\":%lu,"
                      "\"fileid\":0,\"certfile\":\"/ota/signer.crt\","
                      JOB_DOC_SIGNATURE,
                      file_size );
    }

    job_doc_len = ( uint32_t ) n;
}

/* CBOR head: major type and argument, shortest form (RFC 8949 3.1). */
static size_t cbor_head( uint8_t * out,
                         uint8_t major,
                         uint32_t value )
{
    uint8_t mt = ( uint8_t ) ( major << 5 );

    if( value < 24U )
    {
        out[ 0 ] = ( uint8_t ) ( mt | value );
        return 1;
    }

    if( value <= 0xffU )
    {
        out[ 0 ] = ( uint8_t ) ( mt | 24U );
        out[ 1 ] = ( uint8_t ) value;
        return 2;
    }

    if( value <= 0xffffU )
    {
        out[ 0 ] = ( uint8_t ) ( mt | 25U );
        out[ 1 ] = ( uint8_t ) ( value >> 8 );
        out[ 2 ] = ( uint8_t ) value;
        return 3;
    }

    out[ 0 ] = ( uint8_t ) ( mt | 26U );
    out[ 1 ] = ( uint8_t ) ( value >> 24 );
    out[ 2 ] = ( uint8_t ) ( value >> 16 );
    out[ 3 ] = ( uint8_t ) ( value >> 8 );
    out[ 4 ] = ( uint8_t ) value;
    return 5;
}

static size_t cbor_key( uint8_t * out,
                        char key )
{
    out[ 0 ] = 0x61; /* text string of 1 byte */
    out[ 1 ] = ( uint8_t ) key;
    return 2;
}

/* The stream service's data message: {"f": file id, "i": block id, "l": size, "p": bytes}, or
 * with --aws-shape as AWS IoT sends it, the request's client token echoed first and the keys
 * in the developer guide's order: {"c": "rdy", "f": .., "l": .., "i": .., "p": ..}. */
static uint32_t encode_block( uint8_t * out,
                              uint32_t block )
{
    uint32_t size = OTA_FILE_BLOCK_SIZE; /* the file is a whole number of blocks */
    size_t n = 0;

    if( opt_aws_shape )
    {
        n += cbor_head( &out[ n ], 5, 5 ); /* map of 5 pairs */
        n += cbor_key( &out[ n ], 'c' );
        n += cbor_head( &out[ n ], 3, 3 ); /* text string of 3 bytes */
        memcpy( &out[ n ], "rdy", 3 );
        n += 3;
        n += cbor_key( &out[ n ], 'f' );
        n += cbor_head( &out[ n ], 0, 0 );
        n += cbor_key( &out[ n ], 'l' );
        n += cbor_head( &out[ n ], 0, size );
        n += cbor_key( &out[ n ], 'i' );
        n += cbor_head( &out[ n ], 0, block );
    }
    else
    {
        n += cbor_head( &out[ n ], 5, 4 ); /* map of 4 pairs */
        n += cbor_key( &out[ n ], 'f' );
        n += cbor_head( &out[ n ], 0, 0 );
        n += cbor_key( &out[ n ], 'i' );
        n += cbor_head( &out[ n ], 0, block );
        n += cbor_key( &out[ n ], 'l' );
        n += cbor_head( &out[ n ], 0, size );
    }

    n += cbor_key( &out[ n ], 'p' );
    n += cbor_head( &out[ n ], 2, size );
    memset( &out[ n ], ( int ) ( block * 7U + 1U ) & 0xff, size );
    n += size;
    return ( uint32_t ) n;
}

/* An HTTP response body: the block's bytes as they are. */
static uint32_t encode_body( uint8_t * out,
                             uint32_t block )
{
    uint32_t size = OTA_FILE_BLOCK_SIZE; /* the file is a whole number of blocks */

    memset( out, ( int ) ( block * 7U + 1U ) & 0xff, size );
    return size;
}

/* ------------------------------------------------------------------- the script -- */

enum step { STEP_START, STEP_JOB, STEP_BLOCKS, STEP_DONE };

static enum step step = STEP_START;
static uint32_t blocks_sent;
static bool job_window_done;
static uint32_t shutdown_requests;

/* The script cannot go on: say where, and stop the program (the agent task would otherwise
 * wait for events forever). */
static void fail( const char * what )
{
    collect_off();
    fprintf( stderr, "ingest_bench: FAILED: %s (agent state %d, %u blocks sent, %u written)\n",
             what, ( int ) OTA_GetState(), ( unsigned ) blocks_sent, ( unsigned ) blocks_written );
    exit( 1 );
}

/* Signals an application event, measured when its kind is. */
static void app_signal( OtaEvent_t event,
                        OtaEventData_t * data )
{
    OtaEventMsg_t msg = { 0 };

    msg.eventId = event;
    msg.pEventData = data;

    if( window_open && measured( event ) )
    {
        collect_on();
    }

    bool ok = OTA_SignalEvent( &msg );
    collect_off();

    if( !ok )
    {
        fail( "OTA_SignalEvent failed" );
    }
}

static void send_block( uint32_t block )
{
    OtaEventData_t * data = event_buffer_get();

    if( data == NULL )
    {
        fail( "no free event buffer: the agent did not release one" );
        return;
    }

    data->dataLength = ( opt_plane == PLANE_HTTP ) ? encode_body( data->data, block ) :
                       encode_block( data->data, block );
    app_signal( OtaAgentEventReceivedFileBlock, data );
}

/* Runs when the agent asks for an event and none is queued; collection is off here. */
static void script_step( void )
{
    OtaState_t state = OTA_GetState();

    switch( step )
    {
        case STEP_START:
            step = STEP_JOB;
            app_signal( OtaAgentEventStart, NULL );
            break;

        case STEP_JOB:
        {
            if( state != OtaAgentStateWaitingForJob )
            {
                fail( "after Start the agent does not wait for a job" );
                break;
            }

            OtaEventData_t * data = event_buffer_get();

            if( data == NULL )
            {
                fail( "no free event buffer for the job document" );
                break;
            }

            memcpy( data->data, job_doc, job_doc_len );
            data->dataLength = job_doc_len;
            step = STEP_BLOCKS;
            window_begin();
            app_signal( OtaAgentEventReceivedJobDocument, data );
            break;
        }

        case STEP_BLOCKS:
        {
            if( !job_window_done )
            {
                window_end( "job" );
                job_window_done = true;
                window_begin(); /* the blocks window starts with block 0 */
            }

            if( state != OtaAgentStateWaitingForFileBlock )
            {
                fail( "the agent does not wait for a file block" );
                break;
            }

            if( blocks_sent == opt_window_blocks )
            {
                window_end( "blocks" );
            }

            if( blocks_sent + 1U == opt_file_blocks )
            {
                window_begin(); /* the "finish" window: the last block */
            }

            /* The cloud answers what the agent asked for: the oldest block it has not sent. */
            uint32_t block = 0;

            if( !cloud_next_block( &block ) )
            {
                fail( "the agent waits for a block it has not asked for" );
                break;
            }

            send_block( block );
            blocks_sent++;

            if( blocks_sent == opt_file_blocks )
            {
                step = STEP_DONE;
            }

            break;
        }

        case STEP_DONE:
        default:

            if( window_open )
            {
                window_end( "finish" );
            }

            if( ++shutdown_requests > 3U )
            {
                fail( "the agent does not stop" );
            }

            ( void ) OTA_Shutdown( 0 );
            break;
    }
}

/* --------------------------------------------------------------------- baseline -- */

static uint8_t copy_src[ OTA_FILE_BLOCK_SIZE ];
static uint8_t copy_dst[ OTA_FILE_BLOCK_SIZE ];

/* Called through volatile pointers, so the compiler cannot inline or drop the copy. */
static void * ( *volatile copy_fn )( void *, const void *, size_t ) = memcpy;
static volatile size_t copy_len = OTA_FILE_BLOCK_SIZE;

static void measure_memcpy( void )
{
    memset( copy_src, 0x5a, sizeof( copy_src ) );
    window_begin();
    collect_on();
    ( void ) copy_fn( copy_dst, copy_src, copy_len );
    window_end( "memcpy4k" );
}

/* ------------------------------------------------------------------------- main -- */

static void usage( void )
{
    fprintf( stderr,
             "usage: ingest_bench [--file-blocks M] [--blocks N] [--measure all|ingest|request]\n"
             "                    [--plane mqtt|http] [--pal null|copy] [--aws-shape] [--verbose]\n"
             "  M: blocks in the file (2..%u, default 512)\n"
             "  N: blocks in the measured window (0..M-1, default 256)\n",
             ( unsigned ) MAX_FILE_BLOCKS );
    exit( 2 );
}

static uint32_t number( const char * s )
{
    char * end = NULL;
    unsigned long v = strtoul( s, &end, 10 );

    if( ( end == s ) || ( *end != '\0' ) || ( v > 0xffffffffUL ) )
    {
        usage();
    }

    return ( uint32_t ) v;
}

int main( int argc,
          char ** argv )
{
    for( int i = 1; i < argc; i++ )
    {
        const char * a = argv[ i ];
        const char * v = ( i + 1 < argc ) ? argv[ i + 1 ] : NULL;

        if( strcmp( a, "--verbose" ) == 0 )
        {
            opt_verbose = true;
            continue;
        }

        if( strcmp( a, "--aws-shape" ) == 0 )
        {
            opt_aws_shape = true;
            continue;
        }

        if( v == NULL )
        {
            usage();
        }

        i++;

        if( strcmp( a, "--file-blocks" ) == 0 )
        {
            opt_file_blocks = number( v );
        }
        else if( strcmp( a, "--blocks" ) == 0 )
        {
            opt_window_blocks = number( v );
        }
        else if( strcmp( a, "--measure" ) == 0 )
        {
            if( strcmp( v, "all" ) == 0 )
            {
                opt_measure = MEASURE_ALL;
            }
            else if( strcmp( v, "ingest" ) == 0 )
            {
                opt_measure = MEASURE_INGEST;
            }
            else if( strcmp( v, "request" ) == 0 )
            {
                opt_measure = MEASURE_REQUEST;
            }
            else
            {
                usage();
            }
        }
        else if( strcmp( a, "--plane" ) == 0 )
        {
            if( strcmp( v, "mqtt" ) == 0 )
            {
                opt_plane = PLANE_MQTT;
            }
            else if( strcmp( v, "http" ) == 0 )
            {
                opt_plane = PLANE_HTTP;
            }
            else
            {
                usage();
            }
        }
        else if( strcmp( a, "--pal" ) == 0 )
        {
            if( strcmp( v, "null" ) == 0 )
            {
                opt_pal_copy = false;
            }
            else if( strcmp( v, "copy" ) == 0 )
            {
                opt_pal_copy = true;
            }
            else
            {
                usage();
            }
        }
        else
        {
            usage();
        }
    }

    if( ( opt_file_blocks < 2U ) || ( opt_file_blocks > MAX_FILE_BLOCKS ) ||
        ( opt_window_blocks >= opt_file_blocks ) )
    {
        usage();
    }

    measure_memcpy();
    make_job_doc();
    setup_interfaces();

    OtaAppBuffer_t buffers = { 0 };
    buffers.pUpdateFilePath = buf_file_path;
    buffers.updateFilePathsize = sizeof( buf_file_path );
    buffers.pCertFilePath = buf_cert_path;
    buffers.certFilePathSize = sizeof( buf_cert_path );
    buffers.pStreamName = buf_stream_name;
    buffers.streamNameSize = sizeof( buf_stream_name );
    buffers.pDecodeMemory = buf_decode;
    buffers.decodeMemorySize = sizeof( buf_decode );
    buffers.pFileBitmap = buf_bitmap;
    buffers.fileBitmapSize = sizeof( buf_bitmap );
    buffers.pUrl = buf_url;
    buffers.urlSize = sizeof( buf_url );
    buffers.pAuthScheme = buf_auth;
    buffers.authSchemeSize = sizeof( buf_auth );

    OtaErr_t err = OTA_Init( &buffers, &interfaces, ( const uint8_t * ) THING_NAME, app_callback );

    if( err != OtaErrNone )
    {
        fprintf( stderr, "ingest_bench: OTA_Init failed: %d\n", ( int ) err );
        return 1;
    }

    /* Runs the whole script on this thread; returns once the agent has stopped. */
    OTA_EventProcessingTask( NULL );
    collect_off();

    bool ok = shutdown_requests == 1U &&
              blocks_written == opt_file_blocks &&
              pal_closes == 1U &&
              activations == 1U &&
              failures == 0U &&
              OTA_GetState() == OtaAgentStateStopped &&
              blocks_sent == opt_file_blocks &&
              cloud_queue_count == 0U;

    if( opt_plane == PLANE_HTTP )
    {
        /* One transfer, opened with the job's URL, one range per block. */
        ok = ok && http_inits == 1U && cloud_url_ok &&
             cloud_requests == opt_file_blocks;
    }
    else
    {
        ok = ok && http_inits == 0U && cloud_requests > 0U;
    }

    if( opt_pal_copy && ok )
    {
        for( uint32_t b = 0; b < opt_file_blocks && ok; b++ )
        {
            ok = image[ b * OTA_FILE_BLOCK_SIZE ] == ( uint8_t ) ( ( b * 7U + 1U ) & 0xffU );
        }
    }

    printf( "ingest_bench: %s: %s, %u of %u blocks written, %u close, %u activation, %u failure, "
            "%u %s, %u publishes, %u subscriptions, %u timer starts\n",
            ok ? "ok" : "FAILED", ( opt_plane == PLANE_HTTP ) ? "http" : "mqtt",
            ( unsigned ) blocks_written, ( unsigned ) opt_file_blocks,
            ( unsigned ) pal_closes, ( unsigned ) activations, ( unsigned ) failures,
            ( unsigned ) cloud_requests,
            ( opt_plane == PLANE_HTTP ) ? "range requests" : "stream requests",
            ( unsigned ) publishes, ( unsigned ) subscribes, ( unsigned ) timer_starts );

    return ok ? 0 : 1;
}
