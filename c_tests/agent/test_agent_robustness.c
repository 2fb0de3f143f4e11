/* ota-rs c_tests: the agent when things go wrong around it: memory running out at each
 * allocation, events in states that do not expect them, a full event queue, API calls after
 * shutdown, suspend/resume mid-download, argument checks. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_log.h"

const AppVersion32_t appFirmwareVersion = { .u = { .x = { .build = 3, .minor = 2, .major = 1 } } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

#define SIZE5      "16484"
#define SIZE5_N    16484U
#define REQ( bits )    "pub " T_GET( "stream-A" ) " q0 req c=rdy f=3 l=4096 o=0 b=" bits " n=4"

/* Which data plane send_job and send_all_blocks use. */
static bool overHttp;

static void send_job( const char * pJobId )
{
    HJob_t job = overHttp ? h_http_job( pJobId, "https://example.com/fw.bin?sig=1", SIZE5 )
                          : h_mqtt_job( pJobId, "stream-A", SIZE5, "3" );

    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
}

/* Sends the blocks of the five-block file for as long as the agent waits for blocks; over MQTT
 * block 1 is a chunked byte string, which needs a buffer to join it in. */
static void send_all_blocks( void )
{
    uint32_t i;

    for( i = 0; ( i < 5U ) && ( OTA_GetState() == OtaAgentStateWaitingForFileBlock ); i++ )
    {
        if( overHttp )
        {
            assert_true( h_send_http_block( i, SIZE5_N ) );
        }
        else
        {
            assert_true( ( i == 1U ) ? h_send_block_chunked( 3, i, SIZE5_N ) : h_send_block( 3, i, SIZE5_N ) );
        }

        assert_true( h_idle() );
    }
}

/* ---- memory ----------------------------------------------------------------------------- */

static void each_allocation_fails_in_turn( bool http )
{
    unsigned total;
    unsigned k;

    overHttp = http;

    /* A reference update counts the allocations: job strings, the bitmap, the join buffer. */
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    send_all_blocks();
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    total = h_malloc_calls();
    assert_true( total >= 5U );
    h_finish();

    for( k = 1; k <= total; k++ )
    {
        unsigned failed;

        h_reset();
        h_begin( NULL );
        h_fail_malloc( k );
        send_job( "job-1" );
        send_all_blocks();

        /* Allocation k failed: the job is reported FAILED once, the agent waits for the next
         * job (nothing of job-1 is kept), every buffer is back, and the next job completes. */
        assert_int_equal( h_count( H_MEM, "malloc" ) >= k, true );
        failed = h_count( H_MQTT, "pub " T_UPDATE( "job-1" ) " q1 {\"status\":\"FAILED\"" );
        print_message( "%s: allocation %u of %u failed: job-1 %s\n", http ? "HTTP" : "MQTT", k, total,
                       ( failed == 1U ) ? "reported FAILED" : "NOT reported" );
        assert_int_equal( h_callbacks( OtaJobEventActivate ), 0 );
        assert_int_equal( failed, 1 );
        assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
        assert_int_equal( h_buffers_in_use(), 0 );
        assert_int_equal( h_anomalies(), 0 );

        h_mark();
        send_job( "job-2" );
        send_all_blocks();
        assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
        assert_true( h_flash_matches_image( SIZE5_N ) );
        h_finish();
    }

    overHttp = false;
}

static void malloc_failure_at_each_allocation_point_mqtt( void ** state )
{
    ( void ) state;
    each_allocation_fails_in_turn( false );
}

static void malloc_failure_at_each_allocation_point_http( void ** state )
{
    ( void ) state;
    each_allocation_fails_in_turn( true );
}

/* ---- events where they are not expected --------------------------------------------------- */

static void unexpected_events_hand_their_buffers_back( void ** state )
{
    OtaAgentStatistics_t stats;
    static const uint8_t bytes[] = { 1, 2, 3 };

    ( void ) state;
    h_reset();
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateReady );

    /* Ready (no Start yet): a job document and a block are handed back, nothing else. */
    send_job( "job-1" );
    assert_true( h_send_data( bytes, sizeof( bytes ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed", "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateReady );
    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( stats.otaPacketsReceived, 1 );
    assert_int_equal( stats.otaPacketsQueued, 1 );
    assert_int_equal( stats.otaPacketsDropped, 1 );
    assert_int_equal( stats.otaPacketsProcessed, 0 );

    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", L_REQUEST_JOB( "0" ) );

    /* WaitingForJob: blocks and stray internal events change nothing. */
    assert_true( h_send_data( bytes, sizeof( bytes ) ) );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_signal( OtaAgentEventStartSelfTest ) );
    assert_true( h_signal( OtaAgentEventCreateFile ) );
    assert_true( h_signal( OtaAgentEventRequestFileBlock ) );
    assert_true( h_signal( OtaAgentEventRequestTimer ) );
    assert_true( h_signal( OtaAgentEventCloseFile ) );
    assert_true( h_signal( OtaAgentEventResume ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed" );
    /* OTA_CheckForUpdate here asks again (v2.0.0 had no row for it; a lost reply stuck it). */
    assert_true( h_signal( OtaAgentEventRequestJobDocument ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_REQUEST_JOB( "1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );

    /* Downloading: stray events change nothing either. */
    send_job( "job-1" );
    h_mark();
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_signal( OtaAgentEventStartSelfTest ) );
    assert_true( h_signal( OtaAgentEventCreateFile ) );
    assert_true( h_signal( OtaAgentEventResume ) );
    assert_true( h_idle() );
    H_EXPECT_NOTHING( H_ALL );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );

    /* Suspended: documents and blocks are handed back. */
    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    h_mark();
    send_job( "job-2" );
    assert_true( h_send_block( 3, 0, SIZE5_N ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed", "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateSuspended );
    assert_int_equal( h_buffers_in_use(), 0 );
    h_finish();
}

static void event_length_beyond_the_buffer_is_never_read_past( void ** state )
{
    static OtaEventData_t buffer;
    OtaEventMsg_t msg;
    static const char doc[] = "{\"clientToken\":\"0:dev1\",\"timestamp\":1}";

    ( void ) state;
    h_reset();
    h_begin( NULL );

    /* A transport that claims more bytes than an event buffer holds: the agent reads at most
     * the buffer (here: the document, then zeros, which is no valid JSON). */
    memset( &buffer, 0, sizeof( buffer ) );
    memcpy( buffer.data, doc, sizeof( doc ) - 1U );
    buffer.dataLength = 0xffffffffU;
    buffer.bufferUsed = true;
    msg.eventId = OtaAgentEventReceivedJobDocument;
    msg.pEventData = &buffer;
    assert_true( OTA_SignalEvent( &msg ) );
    assert_true( h_idle() );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( h_count( H_CB, "cb processed" ), 1 );
    assert_int_equal( h_count( H_PAL, "pal.create" ), 0 );

    /* The buffer is not from the harness's pool: its OtaJobEventProcessed is an anomaly here,
     * expected once, so finish by hand. */
    assert_int_equal( h_anomalies(), 1 );
    assert_true( h_stop() );
    assert_int_equal( h_live_allocations(), 0 );
}

/* Fills the event queue from inside the agent's thread, at the PAL's createFile, so that the
 * agent's own next event does not fit (v2.0.0's POSIX queue would block the task on itself). */
static unsigned refusedSends;
static bool filled;

static void fill_queue_at_create( const char * pLine )
{
    static const uint8_t bytes[] = { 0xa0 };

    if( !filled && ( strcmp( pLine, "pal.create" ) == 0 ) )
    {
        filled = true;

        /* Resume is ignored in every state but Suspended: pure filler. */
        while( h_signal( OtaAgentEventResume ) )
        {
        }

        /* The transports' events are refused too; their buffers stay with the application. */
        refusedSends += h_send_job( "{}" ) ? 0U : 1U;
        refusedSends += h_send_data( bytes, sizeof( bytes ) ) ? 0U : 1U;
    }
}

static void full_event_queue_never_blocks_the_agent( void ** state )
{
    ( void ) state;
    refusedSends = 0;
    filled = false;
    h_reset();
    h_begin( NULL );
    h_cfg.hook = fill_queue_at_create;
    send_job( "job-1" );
    h_cfg.hook = NULL;
    assert_true( filled );
    assert_int_equal( refusedSends, 2 );
    assert_int_equal( h_buffers_in_use(), 0 );

    /* The agent could not queue CreateFile: the request timer stands in for it, so the transfer
     * starts when it expires, without the document coming again. v2.0.0 stayed waiting for a
     * job with the file created and nothing downloading. */
    assert_int_equal( OTA_GetState(), OtaAgentStateCreatingFile );
    assert_true( h_timer_running( OtaRequestTimer ) );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
    assert_int_equal( h_count( H_PAL, "pal.create" ), 1 );
    send_all_blocks();
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    h_finish();
}

/* ---- shutdown ------------------------------------------------------------------------------ */

static void shutdown_mid_download_releases_everything( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    assert_true( h_send_block( 3, 0, SIZE5_N ) );
    assert_true( h_idle() );
    h_mark();
    assert_true( h_stop() );
    H_EXPECT( H_ALL,
              "timer.stop request", "timer.delete request",
              "timer.stop selftest", "timer.delete selftest",
              "unsub " T_NOTIFY " q0", "unsub " T_ACCEPTED " q0",
              "unsub " T_DATA( "stream-A" ) " q1",
              "pal.abort" );
    assert_false( h_timer_running( OtaRequestTimer ) );
    h_finish();
}

static OtaErr_t initDuringShutdown;
static OtaState_t stateAtInit;

/* The application calls OTA_Init while the agent is shutting down (here: from inside the
 * unsubscribe the shutdown makes). */
static void init_at_first_unsubscribe( const char * pLine )
{
    if( ( strncmp( pLine, "unsub ", 6 ) == 0 ) && ( stateAtInit == OtaAgentStateStopped ) )
    {
        OtaAppBuffer_t none;

        memset( &none, 0, sizeof( none ) );
        stateAtInit = OTA_GetState();
        initDuringShutdown = OTA_Init( &none, &h_interfaces, ( const uint8_t * ) H_THING, NULL );
    }
}

static void init_during_shutdown_says_it_did_not_initialise( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    stateAtInit = OtaAgentStateStopped;
    initDuringShutdown = OtaErrNone;
    h_cfg.hook = init_at_first_unsubscribe;
    assert_true( h_stop() );
    h_cfg.hook = NULL;
    assert_int_equal( stateAtInit, OtaAgentStateShuttingDown );
    /* v2.0.0 returned OtaErrNone and initialised nothing. */
    assert_int_equal( initDuringShutdown, OtaErrUninitialized );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    h_finish();
}

static void api_calls_and_timers_after_shutdown_do_nothing( void ** state )
{
    OtaAgentStatistics_t stats;
    OtaTimerCallback_t requestTimer;
    OtaTimerCallback_t selfTestTimer;
    static const uint8_t bytes[] = { 1 };

    ( void ) state;
    h_reset();
    h_cfg.platformState = OtaPalImageStatePendingCommit; /* so the self-test timer runs too */
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    h_cfg.platformState = OtaPalImageStateValid;
    send_job( "job-1" );
    requestTimer = h_last_timer_callback( OtaRequestTimer );
    selfTestTimer = h_last_timer_callback( OtaSelfTestTimer );
    assert_non_null( requestTimer );
    assert_non_null( selfTestTimer );
    assert_true( h_stop() );
    h_mark();

    /* The transports and the application keep calling (#440); timers that outlived the agent
     * expire (#413). Nothing reaches an interface, nothing crashes. */
    assert_false( h_send_job( "{}" ) );
    assert_false( h_send_data( bytes, sizeof( bytes ) ) );
    assert_false( h_signal( OtaAgentEventStart ) );
    assert_false( OTA_SignalEvent( NULL ) );
    requestTimer( OtaRequestTimer );
    selfTestTimer( OtaSelfTestTimer );
    assert_int_equal( OTA_CheckForUpdate(), OtaErrSignalEventFailed );
    assert_int_equal( OTA_Suspend(), OtaErrAgentStopped );
    assert_int_equal( OTA_Resume(), OtaErrAgentStopped );
    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrSignalEventFailed );
    assert_int_not_equal( OTA_SetImageState( OtaImageStateAccepted ), OtaErrNone );
    assert_int_not_equal( OTA_SetImageState( OtaImageStateRejected ), OtaErrNone );
    assert_int_equal( OTA_ActivateNewImage(), OtaErrActivateFailed );
    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_int_equal( OTA_Shutdown( 0 ), OtaAgentStateStopped );
    assert_int_equal( OTA_Shutdown( 1000 ), OtaAgentStateStopped );
    H_EXPECT_NOTHING( H_ALL | H_MEM );
    assert_int_equal( h_buffers_in_use(), 0 );
    h_finish();

    /* And the agent starts again afterwards. */
    h_reset();
    h_begin( NULL );
    h_finish();
}

/* ---- suspend and resume -------------------------------------------------------------------- */

static void suspend_and_resume_mid_download_continue_the_same_job( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    assert_true( h_send_block( 3, 0, SIZE5_N ) );
    assert_true( h_send_block( 3, 1, SIZE5_N ) );
    assert_true( h_idle() );
    assert_true( h_timer_running( OtaRequestTimer ) );
    h_mark();

    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "timer.stop request", "timer.stop request" );
    assert_int_equal( OTA_GetState(), OtaAgentStateSuspended );
    assert_false( h_timer_running( OtaRequestTimer ) );
    assert_false( h_timer_running( OtaSelfTestTimer ) );

    assert_int_equal( OTA_Resume(), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_REQUEST_JOB( "1" ) );

    /* The same job again: no new file, the bitmap remembers blocks 0 and 1. */
    send_job( "job-1" );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "cb processed",
              "sub " T_DATA( "stream-A" ) " q0",
              "timer.start request 10000",
              REQ( "1c" ) );
    assert_true( h_send_block( 3, 2, SIZE5_N ) );
    assert_true( h_send_block( 3, 3, SIZE5_N ) );
    assert_true( h_send_block( 3, 4, SIZE5_N ) );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_PAL, "pal.create" ), 0 );
    assert_int_equal( h_count( H_PAL, "pal.write" ), 3 );
    assert_int_equal( h_count( H_MQTT, "pub " T_GET( "stream-A" ) ), 0 );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    h_finish();
}

/* The active job's document again, naming another file, certificate, size and file ID (a
 * resend, or OTA_CheckForUpdate mid-download): v2.0.0's UpdateCurrentJob path takes only a new
 * URL. The open file keeps its path, certificate, size and ID; nothing is freed or replaced. */
static void the_active_jobs_document_again_leaves_the_open_file_alone( void ** state )
{
    HJob_t other = h_mqtt_job( "job-1", "stream-A", "8192", "7" );

    ( void ) state;
    other.filePath = "/elsewhere/evil.bin";
    other.certFile = "evil.crt";
    other.signature = "CQkJCQ==";
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    assert_true( h_send_block( 3, 0, SIZE5_N ) );
    assert_true( h_send_block( 3, 1, SIZE5_N ) );
    assert_true( h_idle() );
    assert_int_equal( OTA_CheckForUpdate(), OtaErrNone );
    assert_true( h_idle() );
    h_mark();

    assert_true( h_send_job( h_job_json( &other ) ) );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_PAL, "pal.create" ), 0 );
    assert_int_equal( h_count( H_PAL, "pal.abort" ), 0 );

    /* Blocks of file 3 still land; the rest of the five-block file completes it. */
    assert_true( h_send_block( 3, 2, SIZE5_N ) );
    assert_true( h_send_block( 3, 3, SIZE5_N ) );
    assert_true( h_send_block( 3, 4, SIZE5_N ) );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_PAL, "pal.close" ), 1 );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    assert_string_equal( h_created.filePath, "/fw/image.bin" );
    h_finish();
}

static void resume_during_self_test_does_not_restart_its_timer( void ** state )
{
    ( void ) state;
    h_reset();
    h_cfg.platformState = OtaPalImageStatePendingCommit;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", "timer.start selftest 16000", L_REQUEST_JOB( "0" ) );
    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    assert_int_equal( OTA_Resume(), OtaErrNone );
    assert_true( h_idle() );

    /* #421: a resume restarted the self-test timer (upstream's #413 fix), fixed by #439. */
    assert_int_equal( h_count( H_TIMER, "timer.start selftest" ), 0 );
    assert_int_equal( h_count( H_MQTT, "pub " T_GETNEXT ), 1 );
    h_finish();
}

static void suspend_while_waiting_for_a_job_and_resume( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    assert_int_equal( OTA_GetState(), OtaAgentStateSuspended );
    assert_int_equal( OTA_Resume(), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "timer.stop request", "timer.stop request", L_REQUEST_JOB( "1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

/* ---- the API's own checks ------------------------------------------------------------------ */

static void init_checks_its_arguments( void ** state )
{
    char longName[ 66 ];

    ( void ) state;
    memset( longName, 'n', 65 );
    longName[ 65 ] = '\0';
    h_reset();
    test_log_reset();
    assert_int_equal( OTA_Init( NULL, NULL, ( const uint8_t * ) "dev1", NULL ), OtaErrInvalidArg );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_int_not_equal( OTA_Init( NULL, &h_interfaces, NULL, NULL ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_int_not_equal( OTA_Init( NULL, &h_interfaces, ( const uint8_t * ) longName, NULL ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_true( test_log_count( TEST_LOG_ERROR ) >= 3U );

    /* A thing name of exactly otaconfigMAX_THINGNAME_LEN is fine. */
    longName[ 64 ] = '\0';
    h_cfg.pThingName = longName;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    h_finish();
}

static void init_without_application_buffers( void ** state )
{
    OtaAgentStatistics_t stats;

    ( void ) state;
    h_reset();
    /* v2.0.0 dereferenced a NULL OtaAppBuffer_t; no buffers means "allocate". */
    assert_int_equal( OTA_Init( NULL, &h_interfaces, ( const uint8_t * ) H_THING, NULL ), OtaErrNone );
    assert_int_equal( OTA_GetState(), OtaAgentStateInit );
    assert_int_equal( OTA_Shutdown( 0 ), OtaAgentStateStopped );

    /* OTA_Init while running only resets the statistics. */
    h_reset();
    h_begin( NULL );
    send_job( "job-1" );
    assert_true( h_send_block( 3, 0, SIZE5_N ) );
    assert_true( h_idle() );
    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( stats.otaPacketsProcessed, 1 );
    assert_int_equal( OTA_Init( NULL, &h_interfaces, ( const uint8_t * ) "other", NULL ), OtaErrNone );
    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( stats.otaPacketsProcessed, 0 );
    assert_int_equal( stats.otaPacketsReceived, 0 );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
    h_mark();
    assert_true( h_send_block( 3, 1, SIZE5_N ) );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_MQTT, "pub " T_UPDATE( "job-1" ) " q0 " S_RECEIVE( "2/5" ) ), 1 );
    h_finish();
}

static void api_argument_checks( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_int_equal( OTA_GetStatistics( NULL ), OtaErrInvalidArg );
    assert_int_equal( OTA_SetImageState( OtaImageStateTesting ), OtaErrInvalidArg );
    assert_int_equal( OTA_SetImageState( OtaImageStateUnknown ), OtaErrInvalidArg );
    assert_int_equal( OTA_SetImageState( ( OtaImageState_t ) 77 ), OtaErrInvalidArg );
    assert_false( OTA_SignalEvent( NULL ) );

    /* Accepting with no job: the PAL is told, the service is not (no job to report on). */
    assert_int_equal( OTA_SetImageState( OtaImageStateAccepted ), OtaErrNoActiveJob );
    H_EXPECT( H_ALL, "pal.set_state Accepted", "timer.stop selftest" );
    h_finish();
}

static void pal_refusing_the_image_state_rejects_with_its_status( void ** state )
{
    HJob_t doc = h_mqtt_job( "job-1", "stream-A", SIZE5, "0" );

    ( void ) state;
    doc.selfTest = "ready";
    doc.updatedBy = "0x01010000";
    h_reset();
    h_cfg.platformState = OtaPalImageStatePendingCommit;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    assert_true( h_send_job( h_job_json( &doc ) ) );
    assert_true( h_idle() );
    h_mark();

    /* The PAL cannot commit: the image is rejected with the PAL's status as the reason. */
    h_cfg.setStateStatus = OTA_PAL_COMBINE_ERR( OtaPalCommitFailed, 7 );
    assert_int_equal( OTA_SetImageState( OtaImageStateAccepted ), OtaErrNone );
    H_EXPECT( H_ALL,
              "pal.set_state Accepted",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "rejected", "0xeb000007" ) );
    assert_int_equal( OTA_GetImageState(), OtaImageStateRejected );
    h_finish();
}

/* ---- duplicated blocks ------------------------------------------------------------------ */

/* A 1 MiB image (256 blocks, 4 per request) whose every requested block the cloud sends four
 * times in random order. The messages of one request arrive faster than the agent takes them:
 * the application has its 8 event buffers (the harness's pool), so of each burst of 16 the
 * first 8 are signalled and the rest dropped. When the agent stops asking, the test fires the
 * request timer and counts the period it was armed with as time waited. */
#define DUP_FILE_SIZE    "1048576"
#define DUP_BLOCKS       256U
#define DUP_COPIES       4U
#define DUP_BUFFERS      8U

static uint32_t dupSeed;

static uint32_t dup_random( void )
{
    dupSeed = ( dupSeed * 1103515245U ) + 12345U;
    return dupSeed >> 8;
}

/* The period the request timer was last armed with, from the record. */
static unsigned armed_request_period( void )
{
    char line[ 64 ];
    size_t i = h_record_total();

    while( i-- > 0U )
    {
        if( h_record_at( i, line, sizeof( line ), NULL ) && ( strncmp( line, "timer.start request ", 20 ) == 0 ) )
        {
            return ( unsigned ) strtoul( &line[ 20 ], NULL, 10 );
        }
    }

    return 0U;
}

static void duplicated_blocks_cost_a_quiet_period_not_a_request_timeout( void ** state )
{
    HJob_t job = h_mqtt_job( "job-d", "stream-A", DUP_FILE_SIZE, "3" );
    unsigned requests = 0U;
    unsigned waits = 0U;
    unsigned long waitedMs = 0U;
    unsigned seen = 0U;
    unsigned rounds;

    ( void ) state;
    dupSeed = 2026U;
    h_reset();
    h_begin( NULL );
    h_mark();
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );

    for( rounds = 0U; ( rounds < 1000U ) && ( OTA_GetState() == OtaAgentStateWaitingForFileBlock ); rounds++ )
    {
        size_t len = 0U;
        const uint8_t * pMsg = h_published( "/get/cbor", seen, &len );
        HRequest_t req;
        uint32_t burst[ 4U * DUP_COPIES ];
        uint32_t count = 0U;
        uint32_t b;
        uint32_t i;

        if( pMsg == NULL )
        {
            /* No new request: the agent waits for its timer. */
            waitedMs += armed_request_period();
            waits++;
            assert_true( h_fire_timer( OtaRequestTimer ) );
            assert_true( h_idle() );
            continue;
        }

        seen++;
        requests++;
        assert_true( h_decode_request( pMsg, len, &req ) );

        /* The first n blocks still set in the request's bitmap, each DUP_COPIES times. */
        for( b = 0U; ( b < DUP_BLOCKS ) && ( count < ( req.n * DUP_COPIES ) ); b++ )
        {
            if( ( req.b[ b / 8U ] & ( 1U << ( b % 8U ) ) ) != 0U )
            {
                for( i = 0U; i < DUP_COPIES; i++ )
                {
                    burst[ count++ ] = b;
                }
            }
        }

        for( i = count; i > 1U; i-- )
        {
            uint32_t j = dup_random() % i;
            uint32_t t = burst[ i - 1U ];

            burst[ i - 1U ] = burst[ j ];
            burst[ j ] = t;
        }

        for( i = 0U; ( i < count ) && ( i < DUP_BUFFERS ); i++ )
        {
            assert_true( h_send_block( 3, burst[ i ], DUP_BLOCKS * H_BLOCK ) );
        }

        assert_true( h_idle() );
    }

    print_message( "1 MiB, every block sent %u times, %u buffers: %u requests, %u timer waits, %lu ms waited "
                   "(request timer %u ms)\n", DUP_COPIES, DUP_BUFFERS, requests, waits, waitedMs,
                   ( unsigned ) otaconfigFILE_REQUEST_WAIT_MS );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( DUP_BLOCKS * H_BLOCK ) );
    /* No storm: one request per window of 4 blocks, at most twice over, plus one per wait. */
    assert_true( requests <= ( ( 2U * DUP_BLOCKS / 4U ) + waits ) );
    assert_true( requests <= 128U );
    /* Issue 10's bound: within 10 s with a 1 s request timer, i.e. ten request periods. */
    assert_true( waitedMs <= ( 10UL * otaconfigFILE_REQUEST_WAIT_MS ) );
    /* Every stall was a quiet period, not a whole request timeout (v2.0.0 waited 9 periods). */
    assert_true( waits > 0U );
    assert_true( waitedMs * 4UL <= ( unsigned long ) waits * otaconfigFILE_REQUEST_WAIT_MS );
    h_finish();
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test_teardown( malloc_failure_at_each_allocation_point_mqtt, h_teardown ),
        cmocka_unit_test_teardown( duplicated_blocks_cost_a_quiet_period_not_a_request_timeout, h_teardown ),
        cmocka_unit_test_teardown( malloc_failure_at_each_allocation_point_http, h_teardown ),
        cmocka_unit_test_teardown( unexpected_events_hand_their_buffers_back, h_teardown ),
        cmocka_unit_test_teardown( event_length_beyond_the_buffer_is_never_read_past, h_teardown ),
        cmocka_unit_test_teardown( full_event_queue_never_blocks_the_agent, h_teardown ),
        cmocka_unit_test_teardown( shutdown_mid_download_releases_everything, h_teardown ),
        cmocka_unit_test_teardown( init_during_shutdown_says_it_did_not_initialise, h_teardown ),
        cmocka_unit_test_teardown( api_calls_and_timers_after_shutdown_do_nothing, h_teardown ),
        cmocka_unit_test_teardown( suspend_and_resume_mid_download_continue_the_same_job, h_teardown ),
        cmocka_unit_test_teardown( the_active_jobs_document_again_leaves_the_open_file_alone, h_teardown ),
        cmocka_unit_test_teardown( resume_during_self_test_does_not_restart_its_timer, h_teardown ),
        cmocka_unit_test_teardown( suspend_while_waiting_for_a_job_and_resume, h_teardown ),
        cmocka_unit_test_teardown( init_checks_its_arguments, h_teardown ),
        cmocka_unit_test_teardown( init_without_application_buffers, h_teardown ),
        cmocka_unit_test_teardown( api_argument_checks, h_teardown ),
        cmocka_unit_test_teardown( pal_refusing_the_image_state_rejects_with_its_status, h_teardown ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
