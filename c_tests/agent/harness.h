/* ota-rs c_tests: a scripted world around the OTA agent. SPDX-License-Identifier: MIT
 *
 * The harness gives the agent every interface it needs (OS queue, timers and memory; MQTT;
 * HTTP; PAL) and records each call in order as one line of text, so a test can compare the
 * agent's traffic with the exact list it expects. It also plays the cloud: it hands the agent
 * job documents, CBOR stream blocks and HTTP bodies in event buffers from a small pool, as an
 * application does, and checks that every buffer comes back through OtaJobEventProcessed.
 *
 * Threads: OTA_EventProcessingTask runs in a thread of its own. The event queue is in memory;
 * its receive waits on a condition variable for a short, bounded time, so "idle" (queue empty
 * and the task waiting in receive) is a well-defined point the test thread can wait for.
 * Timers never fire by themselves: a test fires one with h_fire_timer(). Nothing here depends
 * on timing; every wait is bounded (H_WAIT_MS) and a timeout fails the test.
 *
 * Callbacks from the agent never call cmocka assertions (they may run in the agent's thread);
 * anything wrong they see is kept as an "anomaly" and checked by the test thread. */
#ifndef AGENT_HARNESS_H_
#define AGENT_HARNESS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota.h"
#include "ota_appversion32.h"

/* The thing name every test uses, and its topic prefix. */
#define H_THING            "dev1"
#define H_PREFIX           "$aws/things/" H_THING

/* The block size of this build (c_tests/config/ota_config.h keeps the default 4 KiB). */
#define H_BLOCK            ( 1U << otaconfigLOG2_FILE_BLOCK_SIZE )

/* Longest bounded wait, in milliseconds. */
#define H_WAIT_MS          5000

/* Categories of recorded calls (pal.reopen and pal.flush, the resume hooks, are H_PAL). */
#define H_MQTT             0x001U /* sub, unsub, pub */
#define H_HTTP             0x002U /* http.init, http.req, http.deinit */
#define H_PAL              0x004U /* pal.* except pal.get_state */
#define H_GETSTATE         0x008U /* pal.get_state */
#define H_TIMER            0x010U /* timer.start, timer.stop, timer.delete */
#define H_CB               0x020U /* cb <event> (the application callback) */
#define H_MEM              0x040U /* malloc, free */
#define H_QUEUE            0x080U /* queue.init, queue.deinit, send <event> */
#define H_RESUME           0x100U /* resume.save <size>, resume.load <size>, resume.erase */
#define H_ALL              ( H_MQTT | H_HTTP | H_PAL | H_GETSTATE | H_TIMER | H_CB )

/* What the scripted interfaces do. h_reset() restores these defaults. */
typedef struct
{
    /* MQTT: the next n publishes (or subscribes) fail; -1 = all fail. */
    int publishFailures;
    int subscribeFailures;
    /* MQTT: publishes on topics containing this text fail (NULL = none). */
    const char * publishFailTopic;
    /* HTTP statuses. */
    OtaHttpStatus_t httpInitStatus;
    OtaHttpStatus_t httpRequestStatus;
    /* PAL statuses and the platform image state getPlatformImageState reports. */
    OtaPalStatus_t createStatus;
    OtaPalStatus_t closeStatus;
    OtaPalStatus_t setStateStatus;
    OtaPalImageState_t platformState;
    /* PAL writes: the writeFailAt-th write (1-based, 0 = never) returns writeFailResult. */
    unsigned writeFailAt;
    int16_t writeFailResult;
    /* OS: capacity of the event queue (at most 64). */
    unsigned queueCapacity;
    /* OS: timer start fails for this timer id (-1 = never). */
    int timerStartFailId;
    /* The thing name h_start gives OTA_Init (NULL = H_THING). */
    const char * pThingName;
    /* Called (in the agent's thread) at the start of every recorded call, with its line. */
    void ( * hook )( const char * pLine );
    /* The application callback does what v2.0.0's demo does: OTA_ActivateNewImage() on
     * OtaJobEventActivate, OTA_SetImageState( OtaImageStateAccepted ) on OtaJobEventStartTest.
     * The results: h_activate_result, h_accept_result (OtaErrNone until called). */
    bool appActsInCallback;
    /* With appActsInCallback: the application's self test never finishes (no verdict on
     * OtaJobEventStartTest), so the self-test timer decides. */
    bool appSelfTestHangs;
    /* The PAL keeps the image state as a bootloader's does: a successful setPlatformImageState
     * Accepted commits the image (platformState Valid), Rejected marks it Invalid; Testing and
     * Aborted leave the platform's state as it is. */
    bool palTracksState;
} HConfig_t;

extern HConfig_t h_cfg;

/* What the PAL saw at its last createFile call. */
typedef struct
{
    uint32_t fileSize;
    uint32_t serverFileID;
    uint16_t signatureSize;
    uint8_t signature[ 256 ];
    char filePath[ 256 ];
    char certFile[ 256 ];
    char streamName[ 256 ];
    bool havePath;
} HCreateSnapshot_t;

extern HCreateSnapshot_t h_created;

/* ---- lifecycle ---------------------------------------------------------------------- */

/* Clears the record, the queue, the buffers and the configuration. */
void h_reset( void );

/* OTA_Init (with pBuffers, or an OtaAppBuffer_t with no buffers when NULL), then starts the
 * agent task and waits until it is idle. Returns OTA_Init's result; the task is started only
 * when it succeeded. Call h_reset() first (and set h_cfg after it). */
OtaErr_t h_start( const OtaAppBuffer_t * pBuffers );

/* Signals OTA_Shutdown, waits (bounded) for the task to return and joins it. Returns false
 * if the task did not stop in time. */
bool h_stop( void );

/* Waits (bounded) for the task to return after a shutdown the caller signalled, and joins it;
 * false if it did not stop in time. Unlike h_stop(), it does not call OTA_Shutdown. */
bool h_join( void );

/* Empties the event queue (as a reboot does); returns how many events were left in it. */
unsigned h_drain_queue( void );

/* The cmocka teardown of every test: stops the agent even when the test failed half-way;
 * exits the program if the task cannot be stopped (nothing after that would be meaningful). */
int h_teardown( void ** state );

/* The end of every test: h_stop(), then the agent must be stopped, every event buffer handed
 * back, the queue empty, no memory from the OS interface still held, and no anomaly seen. */
void h_finish( void );

/* ---- waiting ------------------------------------------------------------------------ */

/* Waits until the queue is empty and the task waits in receive (or has returned). */
bool h_idle( void );

/* Whether the agent task was started and has not returned yet. */
bool h_task_running( void );

/* Waits until OTA_GetState() == state (bounded). */
bool h_wait_state( OtaState_t state );

/* Fires a timer as the OS would (calls the agent's callback) if it is running. Returns
 * whether it was running. */
bool h_fire_timer( OtaTimerId_t id );

/* Whether a timer is running (started and not stopped since). */
bool h_timer_running( OtaTimerId_t id );

/* ---- the cloud ---------------------------------------------------------------------- */

/* Hands the agent a job document (ReceivedJobDocument) in a pool buffer. Returns what
 * OTA_SignalEvent returned; a refused buffer goes back to the pool. */
bool h_send_job( const char * pJson );
bool h_send_job_bytes( const uint8_t * pData, size_t len );

/* Hands the agent a CBOR stream block {f, i, l, p}: declaredLen is "l", the payload is
 * len bytes at pPayload. */
bool h_send_block_raw( int32_t fileId, int32_t index, int32_t declaredLen,
                       const uint8_t * pPayload, size_t len );

/* Block `index` of the test image of `fileSize` bytes, on the MQTT stream of file `fileId`. */
bool h_send_block( uint32_t fileId, uint32_t index, uint32_t fileSize );

/* Like h_send_block, with the payload as an indefinite-length byte string of two chunks. */
bool h_send_block_chunked( uint32_t fileId, uint32_t index, uint32_t fileSize );

/* Hands the agent raw bytes as a ReceivedFileBlock event (an HTTP body, or bad CBOR). */
bool h_send_data( const uint8_t * pData, size_t len );

/* An HTTP body: block `index` of the test image of `fileSize` bytes. */
bool h_send_http_block( uint32_t index, uint32_t fileSize );

/* Sends an event without a buffer (e.g. OtaAgentEventStart). */
bool h_signal( OtaEvent_t event );

/* Byte i of the test image. */
uint8_t h_image_byte( uint32_t i );

/* Whether the PAL holds exactly the first fileSize bytes of the test image. */
bool h_flash_matches_image( uint32_t fileSize );

/* Event buffers of the pool still lent to the agent. */
unsigned h_buffers_in_use( void );

/* ---- CBOR --------------------------------------------------------------------------- */

/* Encodes the stream data message {"f":f,"i":i,"l":l,"p":payload}; chunked sends the payload
 * as an indefinite-length byte string of two chunks. Returns the size, 0 if cap is too small. */
size_t h_cbor_block( uint8_t * pOut, size_t cap, int32_t f, int32_t i, int32_t l,
                     const uint8_t * pPayload, size_t len, bool chunked );

/* A GetStream request decoded: the 6-pair map {c, f, l, o, b, n}, in that order. */
typedef struct
{
    char c[ 16 ];
    uint32_t f;
    uint32_t l;
    uint32_t o;
    uint32_t n;
    uint8_t b[ 128 ];
    size_t bLen;
} HRequest_t;

/* Decodes a request; false when the message is not exactly such a map. */
bool h_decode_request( const uint8_t * pMsg, size_t len, HRequest_t * pReq );

/* ---- the record ----------------------------------------------------------------------- */

/* Compares the records of the categories in mask since the last mark with the NULL-ended
 * list of lines, prints both on a mismatch, and moves the mark to the end of the record. */
bool h_expect_lines( unsigned mask, const char * const * ppLines, const char * pFile, int line );

#define H_EXPECT( mask, ... ) \
    do { if( !h_expect_lines( ( mask ), ( const char * const[] ) { __VA_ARGS__, NULL }, __FILE__, __LINE__ ) ) { fail(); } } while( 0 )

/* Like H_EXPECT, for "nothing of these categories since the mark". */
#define H_EXPECT_NOTHING( mask ) \
    do { if( !h_expect_lines( ( mask ), ( const char * const[] ) { NULL }, __FILE__, __LINE__ ) ) { fail(); } } while( 0 )

/* Moves the mark to the end of the record (forgets what was recorded so far). */
void h_mark( void );

/* Number of records since the mark in mask whose line starts with prefix (NULL = any). */
unsigned h_count( unsigned mask, const char * pPrefix );

/* Prints the records since the mark (for debugging a test). */
void h_dump( unsigned mask );

/* The payload of the n-th (0-based) publish since the mark whose topic ends with suffix. */
const uint8_t * h_published( const char * pTopicSuffix, unsigned n, size_t * pLen );

/* ---- memory --------------------------------------------------------------------------- */

/* Allocations from the OS interface not yet freed, and allocations made so far. */
unsigned h_live_allocations( void );
unsigned h_malloc_calls( void );

/* The n-th malloc call from now (1-based) returns NULL; 0 cancels. */
void h_fail_malloc( unsigned n );

/* ---- fault injection --------------------------------------------------------------------- */

/* The kinds of interface call the harness can make fail. Each fails with the value v2.0.0's
 * interfaces document for a failure:
 *   publish/subscribe/unsubscribe: OtaMqttPublishFailed/SubscribeFailed/UnsubscribeFailed;
 *   timer start/stop/delete: OtaOsTimerStartFailed/StopFailed/DeleteFailed (a timer whose stop
 *   or delete failed keeps running); event send: OtaOsEventQueueSendFailed; malloc: NULL;
 *   PAL: createFile OtaPalRxFileCreateFailed, writeBlock -1, closeFile OtaPalSignatureCheckFailed,
 *   activate OtaPalActivateFailed, setPlatformImageState OtaPalCommitFailed (Accepted),
 *   OtaPalRejectFailed (Rejected), OtaPalAbortFailed (Aborted), OtaPalBadImageState (Testing),
 *   getPlatformImageState OtaPalImageStateInvalid, reset OtaPalActivateFailed, abort
 *   OtaPalFileAbort (all with sub-code 0); HTTP init/request/deinit: OtaHttpInitFailed/
 *   RequestFailed/DeinitFailed. A failed call is recorded with " (fails)" at the end of its
 *   line (malloc: " -> NULL"). */
typedef enum
{
    HK_PUBLISH = 0,
    HK_SUBSCRIBE,
    HK_UNSUBSCRIBE,
    HK_TIMER_START,
    HK_TIMER_STOP,
    HK_TIMER_DELETE,
    HK_SEND,
    HK_MALLOC,
    HK_PAL_CREATE,
    HK_PAL_WRITE,
    HK_PAL_CLOSE,
    HK_PAL_ACTIVATE,
    HK_PAL_SET_STATE,
    HK_PAL_GET_STATE,
    HK_PAL_RESET,
    HK_PAL_ABORT,
    HK_HTTP_INIT,
    HK_HTTP_REQUEST,
    HK_HTTP_DEINIT,
    HK_KINDS
} HKind_t;

/* The kind's name ("publish", "pal.write", ...). */
const char * h_kind_name( HKind_t kind );

/* The n-th call (1-based, counted since h_reset) of this kind fails; n = 0 cancels. One fault
 * at a time: a new call replaces the previous one. */
void h_fault( HKind_t kind, unsigned n );

/* Calls of this kind made since h_reset(), failed ones included. */
unsigned h_calls( HKind_t kind );

/* Whether the fault set with h_fault() has happened; if so, pLine gets the failed call's line. */
bool h_fault_fired( char * pLine, size_t cap );

/* Records since h_reset(): how many, and the line and category of record i (false if none). */
size_t h_record_total( void );
bool h_record_at( size_t i, char * pLine, size_t cap, unsigned * pCategory );

/* ---- anomalies ------------------------------------------------------------------------ */

/* Number of anomalies seen (bad pointers, foreign frees, ...); h_finish() requires 0. */
unsigned h_anomalies( void );

/* The callback the agent last gave for a timer (kept after the timer is deleted). */
OtaTimerCallback_t h_last_timer_callback( OtaTimerId_t id );

/* ---- job documents and common steps ----------------------------------------------------- */

/* A job document; NULL fields are left out (fileSize and fileId are JSON value text). */
typedef struct
{
    const char * jobId;
    const char * protocols;  /* JSON array text, e.g. "[\"MQTT\"]" */
    const char * streamName;
    const char * fileSize;
    const char * fileId;
    const char * filePath;
    const char * certFile;
    const char * url;
    const char * authScheme;
    const char * signature;  /* base64 value of "sig-sha256-ecdsa" */
    const char * selfTest;   /* value of statusDetails.self_test */
    const char * updatedBy;  /* value of statusDetails.updatedBy */
} HJob_t;

/* The document as AWS IoT Jobs sends it on $next/get/accepted (a static buffer). */
const char * h_job_json( const HJob_t * pJob );

/* An MQTT job: protocols ["MQTT"], file path and certificate, a signature. */
HJob_t h_mqtt_job( const char * pJobId, const char * pStream, const char * pFileSize, const char * pFileId );

/* An HTTP job: protocols ["HTTP"], update_data_url and auth_scheme, a signature. */
HJob_t h_http_job( const char * pJobId, const char * pUrl, const char * pFileSize );

/* h_reset() is up to the caller; this starts the agent (OTA_Init with pBuffers, the task),
 * sends OtaAgentEventStart, waits until idle and checks the first job request (platform not in
 * self test). Fails the test if any of it goes wrong; the mark is left after the request. */
void h_begin( const OtaAppBuffer_t * pBuffers );

/* Topics and traffic lines used throughout. */
#define T_ACCEPTED         H_PREFIX "/jobs/$next/get/accepted"
#define T_NOTIFY           H_PREFIX "/jobs/notify-next"
#define T_GETNEXT          H_PREFIX "/jobs/$next/get"
#define T_UPDATE( job )    H_PREFIX "/jobs/" job "/update"
#define T_DATA( stream )   H_PREFIX "/streams/" stream "/data/cbor"
#define T_GET( stream )    H_PREFIX "/streams/" stream "/get/cbor"

/* The request timer re-armed by a data message: the quiet period, an eighth of
 * otaconfigFILE_REQUEST_WAIT_MS (10000 in c_tests/config/ota_config.h). */
#define L_QUIET    "timer.start request 1250"

/* The next-job request with client token n. */
#define L_REQUEST_JOB( n )                                   \
    "sub " T_ACCEPTED " q1",                                 \
    "sub " T_NOTIFY " q1",                                   \
    "pub " T_GETNEXT " q1 {\"clientToken\":\"" n ":dev1\"}", \
    "timer.stop request"

/* What a shutdown does (no data plane open). */
#define L_SHUTDOWN                                           \
    "timer.stop request", "timer.delete request",            \
    "timer.stop selftest", "timer.delete selftest",          \
    "unsub " T_NOTIFY " q0", "unsub " T_ACCEPTED " q0",      \
    "pal.abort"

/* Status payloads. */
#define S_RECEIVE( r )          "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"receive\":\"" r "\"}}"
#define S_SELF_TEST( what, v )  "{\"status\":\"IN_PROGRESS\",\"statusDetails\":{\"self_test\":\"" what "\",\"updatedBy\":\"" v "\"}}"
#define S_FAILED_VAL( a, b )    "{\"status\":\"FAILED\",\"statusDetails\":{\"reason\":\"" a ": " b "\"}}"
#define S_FAILED( why, sub )    "{\"status\":\"FAILED\",\"statusDetails\":{\"reason\":\"" why ": " sub "\"}}"
#define S_SUCCEEDED( v )        "{\"status\":\"SUCCEEDED\",\"statusDetails\":{\"reason\":\"accepted  " v "\"}}"

/* The interfaces the agent was given (tests may change entries, as applications do). */
extern OtaInterfaces_t h_interfaces;

/* Events the application callback received, by OtaJobEvent_t value (0..4). */
unsigned h_callbacks( OtaJobEvent_t event );

/* What OTA_ActivateNewImage / OTA_SetImageState returned when the callback called them
 * (h_cfg.appActsInCallback), the last time. */
extern OtaErr_t h_activate_result;
extern OtaErr_t h_accept_result;

/* ---- resume (ota_ext.h) ------------------------------------------------------------------ */

/* What the resume table does; h_resume_register() restores these defaults. */
typedef struct
{
    OtaPalStatus_t reopenStatus; /* what pal.reopen returns (success keeps the flash) */
    OtaPalStatus_t flushStatus;  /* what pal.flush returns */
    bool saveFails;              /* resume.save stores nothing and returns false */
} HResumeConfig_t;

extern HResumeConfig_t h_resume_cfg;

/* Registers the harness's resume table (a record store in memory that survives h_reboot(),
 * the PAL's reopen and flush hooks), saving every `everyBlocks` blocks; returns what
 * OTA_EXT_SetResume returned. */
OtaErr_t h_resume_register( uint32_t everyBlocks );

/* The stored record (NULL when none) and its size; a test may change its bytes. */
uint8_t * h_resume_record( size_t * pLen );

/* Replaces the stored record (len 0: none). */
void h_resume_store( const uint8_t * pRecord, size_t len );

/* A reboot after h_stop(): h_reset(), but the PAL's flash (the partial image) and the stored
 * record survive. The application registers again, as it would at boot. */
void h_reboot( void );

#endif /* AGENT_HARNESS_H_ */
