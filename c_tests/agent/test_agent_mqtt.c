/* ota-rs c_tests: the agent over MQTT, through the C API, traffic checked line by line.
 * SPDX-License-Identifier: MIT
 *
 * Every test starts the agent with OTA_Init, drives it through the scripted interfaces of
 * harness.c and ends with OTA_Shutdown and a clean state (h_finish). The expected traffic is
 * v2.0.0's wire format (topics, QoS, payload bytes; CBOR requests decoded field by field), with
 * this library's documented deviations: 0 printed as "0" (#475), progress as received/total
 * (#209), progress also at block 1 (#426; with this build's status frequency of 1 every block
 * reports anyway), client token within 64 bytes (#468). Build config: c_tests/config/ota_config.h
 * (4 KiB blocks, 4 blocks per request, momentum 3). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_log.h"

/* The application's symbols: version 1.2.3 and the signature key the job documents use. */
const AppVersion32_t appFirmwareVersion = { .u = { .x = { .build = 3, .minor = 2, .major = 1 } } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

#define VERSION        "0x01020003"

/* A file of five blocks, the last one 100 bytes long. */
#define SIZE5          "16484"
#define SIZE5_N        16484U

#define REQ( stream, bits )    "pub " T_GET( stream ) " q0 req c=rdy f=3 l=4096 o=0 b=" bits " n=4"

/* From WaitingForJob: the job document of a new MQTT job of stream-A, file 3, and the first
 * request for the blocks in `bits`. */
static void start_download( const char * pJobId, const char * pSize, const char * pBits )
{
    HJob_t job = h_mqtt_job( pJobId, "stream-A", pSize, "3" );
    char request[ 512 ];

    snprintf( request, sizeof( request ), "pub " T_GET( "stream-A" ) " q0 req c=rdy f=3 l=4096 o=0 b=%s n=4", pBits );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create",
              "pal.get_state",
              "cb processed",
              "sub " T_DATA( "stream-A" ) " q0",
              "timer.start request 10000",
              request );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
}

static void send_block( uint32_t index, uint32_t fileSize )
{
    assert_true( h_send_block( 3, index, fileSize ) );
    assert_true( h_idle() );
}

/* A normal block of job-1 that is not the last of its request: written, progress reported. */
static void expect_block( uint32_t index, const char * pProgress )
{
    char write[ 64 ];
    char progress[ 256 ];

    snprintf( write, sizeof( write ), "pal.write %u 4096", ( unsigned ) ( index * H_BLOCK ) );
    snprintf( progress, sizeof( progress ), "pub " T_UPDATE( "job-1" ) " q0 " S_RECEIVE( "%s" ), pProgress );
    H_EXPECT( H_ALL, L_QUIET, write, progress, "cb processed" );
}

/* ---- the whole update ------------------------------------------------------------------- */

static void whole_mqtt_update_then_self_test_and_accept( void ** state )
{
    HJob_t job = h_mqtt_job( "job-1", "stream-A", SIZE5, "3" );
    HJob_t selfTest = h_mqtt_job( "job-1", "stream-A", SIZE5, "0" );
    OtaAgentStatistics_t stats;

    static const uint8_t firstRequest[] =
    {
        0xa6,                               /* map of 6 pairs, v2.0.0's order: */
        0x61, 'c', 0x63, 'r', 'd', 'y',     /* "c": "rdy" */
        0x61, 'f', 0x03,                    /* "f": 3 (fileid) */
        0x61, 'l', 0x19, 0x10, 0x00,        /* "l": 4096 */
        0x61, 'o', 0x00,                    /* "o": 0 */
        0x61, 'b', 0x41, 0x1f,              /* "b": h'1f' (blocks 0-4 needed) */
        0x61, 'n', 0x04                     /* "n": 4 (otaconfigMAX_NUM_BLOCKS_REQUEST) */
    };
    const uint8_t * pRequest;
    size_t requestLen = 0;

    ( void ) state;
    h_reset();
    h_begin( NULL );

    /* The job document: the PAL creates the file, the data topic is subscribed, and the first
     * GetStream request asks for blocks 0-4 (bitmap 0x1f), four at a time. */
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    pRequest = h_published( "/get/cbor", 0, &requestLen );
    assert_non_null( pRequest );
    assert_int_equal( requestLen, sizeof( firstRequest ) );
    assert_memory_equal( pRequest, firstRequest, sizeof( firstRequest ) );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create",
              "pal.get_state",
              "cb processed",
              "sub " T_DATA( "stream-A" ) " q0",
              "timer.start request 10000",
              REQ( "stream-A", "1f" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
    assert_int_equal( h_created.fileSize, SIZE5_N );
    assert_int_equal( h_created.serverFileID, 3 );
    assert_int_equal( h_created.signatureSize, 8 );
    assert_memory_equal( h_created.signature, "\x01\x02\x03\x04\x05\x06\x07\x08", 8 );
    assert_string_equal( h_created.filePath, "/fw/image.bin" );
    assert_string_equal( h_created.certFile, "signer.crt" );
    assert_string_equal( h_created.streamName, "stream-A" );

    /* Blocks 0 and 2 (out of order), 2 again (a duplicate: nothing but the buffer back), 1. */
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );
    send_block( 2, SIZE5_N );
    expect_block( 2, "2/5" );
    send_block( 2, SIZE5_N );
    H_EXPECT( H_ALL, L_QUIET, "cb processed" );
    send_block( 1, SIZE5_N );
    expect_block( 1, "3/5" );

    /* Block 3 is the fourth new block of the request: the next request asks for block 4. */
    send_block( 3, SIZE5_N );
    H_EXPECT( H_ALL,
              L_QUIET,
              "pal.write 12288 4096",
              "pub " T_UPDATE( "job-1" ) " q0 " S_RECEIVE( "4/5" ),
              "cb processed",
              "timer.start request 10000",
              REQ( "stream-A", "10" ) );

    /* The last block (100 bytes): close (signature check), self_test "ready" with the running
     * version, Activate, then the data topic is left and the PAL file released. */
    send_block( 4, SIZE5_N );
    H_EXPECT( H_ALL,
              L_QUIET,
              "pal.write 16384 100",
              "timer.stop request",
              "pal.close",
              "pub " T_UPDATE( "job-1" ) " q1 " S_SELF_TEST( "ready", VERSION ),
              "timer.stop request",
              "cb activate",
              "cb processed",
              "unsub " T_DATA( "stream-A" ) " q1",
              "pal.abort" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    assert_false( h_timer_running( OtaRequestTimer ) );

    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( stats.otaPacketsReceived, 6 );
    assert_int_equal( stats.otaPacketsQueued, 6 );
    assert_int_equal( stats.otaPacketsProcessed, 5 );
    assert_int_equal( stats.otaPacketsDropped, 0 );

    assert_int_equal( OTA_ActivateNewImage(), OtaErrNone );
    H_EXPECT( H_ALL, "pal.activate" );

    assert_true( h_stop() );
    H_EXPECT( H_ALL, L_SHUTDOWN );
    assert_int_equal( h_live_allocations(), 0 );
    assert_int_equal( h_buffers_in_use(), 0 );
    assert_int_equal( h_anomalies(), 0 );

    /* The reboot into the new image: the platform reports PendingCommit, so the self-test timer
     * runs; the job document still carries self_test and updatedBy (the old version 1.1.0).
     * Nothing is downloaded for it: the file context is closed (pal.abort) as v2.0.0 does. */
    h_reset();
    h_cfg.platformState = OtaPalImageStatePendingCommit;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", "timer.start selftest 16000", L_REQUEST_JOB( "0" ) );

    selfTest.selfTest = "ready";
    selfTest.updatedBy = "0x01010000";
    assert_true( h_send_job( h_job_json( &selfTest ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.set_state Testing",
              "pub " T_UPDATE( "job-1" ) " q1 " S_SELF_TEST( "active", VERSION ),
              "pal.abort",
              "cb processed",
              "pal.get_state",
              "cb starttest" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( OTA_GetImageState(), OtaImageStateTesting );
    assert_true( h_timer_running( OtaSelfTestTimer ) );

    /* The application's self test passes: the PAL commits, the self-test timer is stopped
     * (v2.0.0 left it running, #153), the job SUCCEEDS with the new version. */
    assert_int_equal( OTA_SetImageState( OtaImageStateAccepted ), OtaErrNone );
    H_EXPECT( H_ALL,
              "pal.set_state Accepted",
              "timer.stop selftest",
              "pub " T_UPDATE( "job-1" ) " q1 " S_SUCCEEDED( "v1.2.3" ) );
    assert_int_equal( OTA_GetImageState(), OtaImageStateAccepted );
    assert_false( h_timer_running( OtaSelfTestTimer ) );

    /* The service then has no job for us: nothing happens, the accepted image stays accepted
     * (v2.0.0 set the platform image state to Aborted here, #482/#487). */
    assert_true( h_send_job( "{\"clientToken\":\"1:dev1\",\"timestamp\":1700000001}" ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed" );
    assert_int_equal( OTA_GetImageState(), OtaImageStateAccepted );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );

    h_finish();
}

static void update_with_application_buffers_allocates_nothing( void ** state )
{
    static uint8_t path[ 64 ], cert[ 64 ], stream[ 64 ], decode[ 5000 ], bitmap[ 128 ], url[ 64 ], auth[ 32 ];
    OtaAppBuffer_t buffers = { path, sizeof( path ), cert, sizeof( cert ), stream, sizeof( stream ), decode,
                               sizeof( decode ), bitmap, sizeof( bitmap ), url, sizeof( url ), auth, sizeof( auth ) };
    uint32_t i;

    ( void ) state;
    h_reset();
    h_begin( &buffers );
    start_download( "job-1", SIZE5, "1f" );

    for( i = 0; i < 5U; i++ )
    {
        /* Block 1 comes as a chunked byte string, joined in the application's decode buffer. */
        assert_true( ( i == 1U ) ? h_send_block_chunked( 3, i, SIZE5_N ) : h_send_block( 3, i, SIZE5_N ) );
        assert_true( h_idle() );
    }

    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    assert_string_equal( h_created.streamName, "stream-A" );
    assert_int_equal( h_malloc_calls(), 0 );
    h_finish();
}

static void chunked_block_payload_is_joined_in_allocated_memory( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    h_mark();
    assert_true( h_send_block_chunked( 3, 0, SIZE5_N ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL | H_MEM,
              L_QUIET,
              "malloc 4096",
              "pal.write 0 4096",
              "free",
              "pub " T_UPDATE( "job-1" ) " q0 " S_RECEIVE( "1/5" ),
              "cb processed" );
    h_finish();
}

/* ---- self test -------------------------------------------------------------------------- */

/* Boots with the platform in PendingCommit and delivers a self-test document for job-1 whose
 * updatedBy is `updatedBy`. */
/* As boot_into_self_test, with `hook` watching the agent's calls while it handles the document. */
static void boot_into_self_test_hooked( const char * pUpdatedBy,
                                        OtaPalImageState_t platform,
                                        void ( * hook )( const char * pLine ) )
{
    HJob_t doc = h_mqtt_job( "job-1", "stream-A", SIZE5, "0" );

    doc.selfTest = "ready";
    doc.updatedBy = pUpdatedBy;
    h_reset();
    h_cfg.platformState = platform;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );

    if( platform == OtaPalImageStatePendingCommit )
    {
        H_EXPECT( H_ALL, "pal.get_state", "timer.start selftest 16000", L_REQUEST_JOB( "0" ) );
    }
    else
    {
        H_EXPECT( H_ALL, "pal.get_state", L_REQUEST_JOB( "0" ) );
    }

    h_cfg.hook = hook;
    assert_true( h_send_job( h_job_json( &doc ) ) );
    assert_true( h_idle() );
    h_cfg.hook = NULL;
}

static void boot_into_self_test( const char * pUpdatedBy, OtaPalImageState_t platform )
{
    boot_into_self_test_hooked( pUpdatedBy, platform, NULL );
}

static void self_test_timeout_resets_the_device( void ** state )
{
    ( void ) state;
    boot_into_self_test( "0x01010000", OtaPalImageStatePendingCommit );
    h_mark();
    assert_true( h_fire_timer( OtaSelfTestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.reset" );
    h_finish();
}

/* The application asks for a job while the self-test document is handled (here: when the PAL is
 * told Testing), so its RequestJobDocument is queued before the agent's StartSelfTest. */
static void check_for_update_as_the_self_test_begins( const char * pLine )
{
    if( strcmp( pLine, "pal.set_state Testing" ) == 0 )
    {
        assert_int_equal( OTA_CheckForUpdate(), OtaErrNone );
    }
}

static void self_test_begins_when_a_job_request_overtakes_it( void ** state )
{
    HJob_t again = h_mqtt_job( "job-1", "stream-A", SIZE5, "0" );

    ( void ) state;
    boot_into_self_test_hooked( "0x01010000", OtaPalImageStatePendingCommit,
                                check_for_update_as_the_self_test_begins );
    /* The request took the agent from CreatingFile to WaitingForJob, so StartSelfTest came
     * where it is not handled. */
    assert_int_equal( h_callbacks( OtaJobEventStartTest ), 0 );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    /* The answer to that request, the job under self test again: the self test begins now
     * (it was ignored, and the self-test timer reset the device into the old image). */
    assert_true( h_send_job( h_job_json( &again ) ) );
    assert_true( h_idle() );
    assert_int_equal( h_callbacks( OtaJobEventStartTest ), 1 );
    assert_int_equal( OTA_GetImageState(), OtaImageStateTesting );
    assert_int_equal( h_count( H_PAL, "pal.reset" ), 0 );
    /* Once begun, the job again is only ignored. */
    assert_true( h_send_job( h_job_json( &again ) ) );
    assert_true( h_idle() );
    assert_int_equal( h_callbacks( OtaJobEventStartTest ), 1 );
    h_finish();
}

static void self_test_rejected_by_the_application( void ** state )
{
    ( void ) state;
    boot_into_self_test( "0x01010000", OtaPalImageStatePendingCommit );
    h_mark();
    assert_int_equal( OTA_SetImageState( OtaImageStateRejected ), OtaErrNone );
    H_EXPECT( H_ALL,
              "pal.set_state Rejected",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "rejected", "0x00000000" ) );
    assert_int_equal( OTA_GetImageState(), OtaImageStateRejected );

    /* A second verdict has no job left to report on. */
    assert_int_equal( OTA_SetImageState( OtaImageStateAccepted ), OtaErrNoActiveJob );
    h_finish();
}

static void self_test_with_the_same_version_is_rejected( void ** state )
{
    ( void ) state;
    boot_into_self_test( VERSION, OtaPalImageStatePendingCommit );
    H_EXPECT( H_ALL,
              "pal.set_state Rejected",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "rejected", "0x00000010" ),
              "cb selftestfailed",
              "pal.reset",
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void self_test_of_a_downgrade_is_rejected( void ** state )
{
    ( void ) state;
    boot_into_self_test( "0x01030000", OtaPalImageStatePendingCommit );
    H_EXPECT( H_ALL,
              "pal.set_state Rejected",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "rejected", "0x0000000f" ),
              "cb selftestfailed",
              "pal.reset",
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );
    h_finish();
}

static void self_test_job_while_the_platform_is_not_in_self_test( void ** state )
{
    ( void ) state;
    boot_into_self_test( "0x01010000", OtaPalImageStateValid );
    H_EXPECT( H_ALL,
              "pal.set_state Testing",
              "pub " T_UPDATE( "job-1" ) " q1 " S_SELF_TEST( "active", VERSION ),
              "pal.abort",
              "cb processed",
              "pal.get_state",
              "pal.set_state Rejected",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "rejected", "0x00000011" ),
              "pal.reset" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void platform_in_self_test_but_job_is_not_resets( void ** state )
{
    HJob_t job = h_mqtt_job( "job-1", "stream-A", SIZE5, "3" );

    ( void ) state;
    h_reset();
    h_cfg.platformState = OtaPalImageStatePendingCommit;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", "timer.start selftest 16000", L_REQUEST_JOB( "0" ) );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", "pal.get_state", "pal.reset", "cb processed" );
    h_finish();
}

/* ---- job documents that fail ------------------------------------------------------------ */

static void zero_file_size_is_reported_failed( void ** state )
{
    HJob_t job = h_mqtt_job( "job-z", "stream-A", "0", "3" );

    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pub " T_UPDATE( "job-z" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000004" ),
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( h_live_allocations(), 0 );
    h_finish();
}

static void malformed_job_with_a_job_id_is_reported_failed( void ** state )
{
    HJob_t job = h_mqtt_job( "job-m", "stream-A", SIZE5, NULL ); /* no fileid */

    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pub " T_UPDATE( "job-m" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000005" ),
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );

    /* The next good document still starts. */
    start_download( "job-1", SIZE5, "1f" );
    h_finish();
}

/* AWS numbers files 0..255; 2147483648 went out as a negative "f" in every request (#8). */
static void file_id_beyond_255_is_reported_failed( void ** state )
{
    static const char * const ids[] = { "256", "2147483648" };
    size_t i;

    ( void ) state;
    h_reset();
    h_begin( NULL );

    for( i = 0U; i < ( sizeof( ids ) / sizeof( ids[ 0 ] ) ); i++ )
    {
        HJob_t job = h_mqtt_job( "job-f", "stream-A", SIZE5, ids[ i ] );

        assert_true( h_send_job( h_job_json( &job ) ) );
        assert_true( h_idle() );
        H_EXPECT( H_ALL,
                  "pub " T_UPDATE( "job-f" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000005" ),
                  "pal.abort",
                  "pal.set_state Aborted",
                  "cb processed" );
        assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    }

    /* The agent still takes the next good document. */
    start_download( "job-1", SIZE5, "1f" );
    h_finish();
}

static void document_that_is_not_json_touches_nothing_but_the_pal_state( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( "this is not json {" ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.abort", "pal.set_state Aborted", "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void huge_or_negative_file_sizes_are_refused_issue_407( void ** state )
{
    static const char * const sizes[] = { "4294967295", "4294967296", "18446744073709551616", "-1", "4198401" };
    unsigned i;

    ( void ) state;
    h_reset();
    h_begin( NULL );

    /* Each is more than a GetStream bitmap can track (128 bytes: 1024 blocks), more than 32
     * bits, or negative: refused as non-conforming, with no arithmetic on it. */
    for( i = 0; i < sizeof( sizes ) / sizeof( sizes[ 0 ] ); i++ )
    {
        HJob_t job = h_mqtt_job( "job-big", "stream-A", sizes[ i ], "3" );

        print_message( "filesize %s\n", sizes[ i ] );
        assert_true( h_send_job( h_job_json( &job ) ) );
        assert_true( h_idle() );
        H_EXPECT( H_ALL,
                  "pub " T_UPDATE( "job-big" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000005" ),
                  "pal.abort",
                  "pal.set_state Aborted",
                  "cb processed" );
        assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    }

    /* The largest file that fits: 1024 blocks. */
    {
        char all[ 257 ];

        memset( all, 'f', 256 );
        all[ 256 ] = '\0';
        start_download( "job-1", "4194304", all );
    }
    h_finish();
}

static void no_pending_job_reply_makes_no_pal_call( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( "{\"clientToken\":\"0:x\",\"timestamp\":1}" ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( OTA_GetImageState(), OtaImageStateUnknown );
    h_finish();
}

static void check_for_update_while_waiting_asks_again( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    /* The reply to the first $next/get never came: the application asks again, and the agent
     * sends a new request (v2.0.0 ignored the event in WaitingForJob). */
    assert_int_equal( OTA_CheckForUpdate(), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_REQUEST_JOB( "1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void unsupported_protocol_fails_the_job_and_asks_for_the_next( void ** state )
{
    HJob_t job = h_mqtt_job( "job-p", "stream-A", SIZE5, "3" );

    ( void ) state;
    job.protocols = "[\"XYZ\"]";
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    /* The PAL file created for the job is released (pal.abort) before the agent asks for the
     * next job; v2.0.0 left it open and then sat in CreatingFile. */
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create",
              "pal.get_state",
              "pal.set_state Aborted",
              "pub " T_UPDATE( "job-p" ) " q1 " S_FAILED( "aborted", "0x0000000d" ),
              "pal.abort",
              "cb processed",
              L_REQUEST_JOB( "1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );

    start_download( "job-1", SIZE5, "1f" );
    h_finish();
}

static void pal_create_failure_aborts_the_job( void ** state )
{
    HJob_t job = h_mqtt_job( "job-c", "stream-A", SIZE5, "3" );

    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.createStatus = OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 5 );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create (fails)",
              "pal.set_state Aborted",
              "pub " T_UPDATE( "job-c" ) " q1 " S_FAILED( "aborted", "0xe4000005" ),
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( h_live_allocations(), 0 );
    h_finish();
}

static void bitmap_too_small_for_the_file_fails_it_cleanly( void ** state )
{
    OtaAppBuffer_t buffers;
    uint8_t * bitmap = malloc( 1 ); /* exactly one byte: ASan sees any write past it */
    HJob_t nine = h_mqtt_job( "job-9", "stream-A", "32769", "3" );
    uint32_t i;

    ( void ) state;
    assert_non_null( bitmap );
    memset( &buffers, 0, sizeof( buffers ) );
    buffers.pFileBitmap = bitmap;
    buffers.fileBitmapSize = 1;
    h_reset();
    h_begin( &buffers );

    /* Nine blocks do not fit a one-byte bitmap (#476, #504): FAILED, nothing written. */
    assert_true( h_send_job( h_job_json( &nine ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pub " T_UPDATE( "job-9" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000005" ),
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );

    /* Eight blocks do, exactly. */
    start_download( "job-1", "32768", "ff" );

    for( i = 0; i < 8U; i++ )
    {
        send_block( i, 32768U );
    }

    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( 32768U ) );
    h_finish();
    free( bitmap );
}

static void stream_name_of_150_characters_fails_the_job_cleanly( void ** state )
{
    char name[ 151 ];
    HJob_t job;
    unsigned fired = 0;

    ( void ) state;
    memset( name, 'a', 150 );
    name[ 150 ] = '\0';
    job = h_mqtt_job( "job-s", name, SIZE5, "3" );
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );

    /* AWS stream IDs are at most 128 characters and no topic buffer need hold this one (U3):
     * the job is refused like any non-conforming document, and the agent keeps running. */
    H_EXPECT( H_ALL,
              "pub " T_UPDATE( "job-s" ) " q1 " S_FAILED_VAL( "0x0000000c", "0x00000005" ),
              "pal.abort",
              "pal.set_state Aborted",
              "cb processed" );

    /* Whatever timers the agent left running, it never shuts itself down over this job. */
    while( ( fired < 5U ) && h_fire_timer( OtaRequestTimer ) )
    {
        fired++;
        assert_true( h_idle() );
    }

    assert_int_not_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_int_equal( h_count( H_MQTT, "sub " H_PREFIX "/streams/" ), 0 );
    h_finish();
}

static void stream_name_of_128_characters_is_used_whole( void ** state )
{
    char name[ 129 ];
    char topic[ 300 ];
    char expected[ 320 ];
    HJob_t job;

    ( void ) state;
    memset( name, 'b', 128 );
    name[ 128 ] = '\0';
    job = h_mqtt_job( "job-1", name, SIZE5, "3" );
    h_reset();
    h_begin( NULL );
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    snprintf( topic, sizeof( topic ), H_PREFIX "/streams/%s/data/cbor", name );
    snprintf( expected, sizeof( expected ), "sub %s q0", topic );
    assert_int_equal( h_count( H_MQTT, expected ), 1 );
    snprintf( expected, sizeof( expected ), "pub " H_PREFIX "/streams/%s/get/cbor q0 req c=rdy f=3 l=4096 o=0 b=1f n=4", name );
    assert_int_equal( h_count( H_MQTT, expected ), 1 );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
    h_finish();
}

static void client_token_stays_within_64_bytes_for_long_thing_names( void ** state )
{
    char thing[ 65 ];
    char expected[ 300 ];
    size_t len = 0;
    const uint8_t * payload;

    ( void ) state;
    memset( thing, 't', 64 );
    thing[ 64 ] = '\0';
    h_reset();
    h_cfg.pThingName = thing;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );

    /* Topics carry the whole name; the token "0:" + name is cut to 64 bytes (#468). */
    snprintf( expected, sizeof( expected ), "sub $aws/things/%s/jobs/$next/get/accepted q1", thing );
    assert_int_equal( h_count( H_MQTT, expected ), 1 );
    payload = h_published( "/jobs/$next/get", 0, &len );
    assert_non_null( payload );
    assert_int_equal( len, strlen( "{\"clientToken\":\"\"}" ) + 64U );
    assert_memory_equal( payload, "{\"clientToken\":\"0:", 18 );
    assert_memory_equal( payload + 18, thing, 62 );
    assert_memory_equal( payload + 18 + 62, "\"}", 2 );
    h_finish();
}

/* ---- blocks that fail ------------------------------------------------------------------- */

/* What follows an ingest error on job-1: PAL Rejected, FAILED with the PAL close status and the
 * ingest result, Fail, then the file is closed. */
#define L_INGEST_FAILED( pal, result )                                           \
    "pal.set_state Rejected",                                                    \
    "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED_VAL( pal, result ),               \
    "timer.stop request",                                                        \
    "cb fail",                                                                   \
    "cb processed",                                                              \
    "unsub " T_DATA( "stream-A" ) " q1",                                         \
    "pal.abort"

static void pal_write_failure_fails_the_job( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.writeFailAt = 2;
    h_cfg.writeFailResult = -1;
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );
    test_log_reset();
    send_block( 1, SIZE5_N );
    H_EXPECT( H_ALL, L_QUIET, "pal.write 4096 4096", L_INGEST_FAILED( "0xe0000000", "0xfffffff7" ) );
    /* A negative number reaches the application's macro as a signed int. */
    assert_true( test_log_seen( TEST_LOG_ERROR, "PAL wrote -1 of 4096 bytes of block 1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( h_callbacks( OtaJobEventFail ), 1 );
    h_finish();
}

static void pal_short_write_fails_the_job_issue_436( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.writeFailAt = 1;
    h_cfg.writeFailResult = 4095;
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    H_EXPECT( H_ALL, L_QUIET, "pal.write 0 4096", L_INGEST_FAILED( "0xe0000000", "0xfffffff7" ) );
    h_finish();
}

static void block_index_out_of_range_fails_the_job( void ** state )
{
    static uint8_t payload[ 4096 ];

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    assert_true( h_send_block_raw( 3, 5, 4096, payload, sizeof( payload ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff9" ) );
    h_finish();
}

static void negative_block_index_fails_the_job( void ** state )
{
    static uint8_t payload[ 4096 ];

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    assert_true( h_send_block_raw( 3, -1, 4096, payload, sizeof( payload ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff9" ) );
    h_finish();
}

static void wrong_block_size_fails_the_job( void ** state )
{
    static uint8_t payload[ 4096 ];

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    /* Block 0 must be a whole block. */
    assert_true( h_send_block_raw( 3, 0, 100, payload, 100 ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff9" ) );

    /* The last block must be exactly the rest of the file. */
    start_download( "job-1", SIZE5, "1f" );
    assert_true( h_send_block_raw( 3, 4, 4096, payload, 4096 ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff9" ) );
    h_finish();
}

static void declared_length_must_match_the_payload( void ** state )
{
    static uint8_t payload[ 4096 ];

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    /* "l" says a whole block, "p" holds 100 bytes (U2): nothing is read past the payload. */
    assert_true( h_send_block_raw( 3, 0, 4096, payload, 100 ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff8" ) );
    h_finish();
}

static void malformed_cbor_fails_the_job( void ** state )
{
    static const uint8_t junk[] = { 0xa4, 0x61, 'f', 0x03, 0x61, 'i', 0x1b, 0xff };

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    assert_true( h_send_data( junk, sizeof( junk ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, L_INGEST_FAILED( "0xe0000000", "0xfffffff8" ) );
    h_finish();
}

static void block_of_another_file_is_ignored( void ** state )
{
    static uint8_t payload[ 4096 ];

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    assert_true( h_send_block_raw( 9, 0, 4096, payload, sizeof( payload ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_QUIET, "cb processed" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );
    h_finish();
}

static void signature_check_failure_at_close_fails_the_job( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.closeStatus = OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0x12 );
    start_download( "job-1", "100", "01" );
    send_block( 0, 100 );
    H_EXPECT( H_ALL,
              L_QUIET,
              "pal.write 0 100",
              "timer.stop request",
              "pal.close",
              L_INGEST_FAILED( "0xe3000012", "0xfffffffe" ) );
    assert_int_equal( h_callbacks( OtaJobEventFail ), 1 );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 0 );
    h_finish();
}

static void close_failure_fails_the_job( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.closeStatus = OTA_PAL_COMBINE_ERR( OtaPalFileClose, 1 );
    start_download( "job-1", "100", "01" );
    send_block( 0, 100 );
    H_EXPECT( H_ALL,
              L_QUIET,
              "pal.write 0 100",
              "timer.stop request",
              "pal.close",
              L_INGEST_FAILED( "0xee000001", "0xfffffffd" ) );
    h_finish();
}

/* Blocks that are already queued when a download ends (the stream service resends blocks, and
 * a re-request overlaps the answer to the last one): the hook queues a block from inside the
 * agent's thread while it writes `trigger`, so that it sits in front of CloseFile. */
static const char * hookTrigger;
static uint32_t hookBlock;
static bool hookFired;

static void queue_block_at( const char * pLine )
{
    if( !hookFired && ( hookTrigger != NULL ) && ( strcmp( pLine, hookTrigger ) == 0 ) )
    {
        hookFired = true;
        ( void ) h_send_block( 3, hookBlock, SIZE5_N );
    }
}

static void duplicate_of_the_last_block_after_completion_is_ignored( void ** state )
{
    uint32_t i;

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );

    for( i = 0; i < 4U; i++ )
    {
        send_block( i, SIZE5_N );
    }

    h_mark();
    hookTrigger = "pal.write 16384 100";
    hookBlock = 4;
    hookFired = false;
    h_cfg.hook = queue_block_at;
    send_block( 4, SIZE5_N );
    h_cfg.hook = NULL;
    assert_true( hookFired );

    /* A duplicate that arrives after the file was closed and verified is handed back like
     * any block that comes too late; v2.0.0 rejected the verified image (PAL Rejected) and
     * published FAILED on "jobs//update" (the job name already cleared). */
    assert_int_equal( h_count( H_PAL, "pal.set_state" ), 0 );
    assert_int_equal( h_count( H_MQTT, "pub " H_PREFIX "/jobs//update" ), 0 );
    assert_int_equal( h_count( H_MQTT, "pub " T_UPDATE( "job-1" ) ), 1 ); /* self_test "ready" only */
    assert_int_equal( h_count( H_CB, "cb processed" ), 2 );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_int_equal( h_callbacks( OtaJobEventFail ), 0 );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void block_queued_behind_a_failed_one_is_not_written( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.writeFailAt = 2;
    h_cfg.writeFailResult = -1;
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    h_mark();
    hookTrigger = "pal.write 4096 4096";
    hookBlock = 2;
    hookFired = false;
    h_cfg.hook = queue_block_at;
    send_block( 1, SIZE5_N );
    h_cfg.hook = NULL;
    assert_true( hookFired );

    /* After the job FAILED, block 2 (queued before CloseFile) is not written; v2.0.0 wrote it
     * to the PAL file and published its progress on "jobs//update". */
    assert_int_equal( h_count( H_PAL, "pal.write" ), 1 );
    assert_int_equal( h_count( H_MQTT, "pub " H_PREFIX "/jobs//update" ), 0 );
    assert_int_equal( h_count( H_MQTT, "pub " T_UPDATE( "job-1" ) ), 1 ); /* the FAILED status only */
    assert_int_equal( h_count( H_PAL, "pal.set_state Rejected" ), 1 );
    assert_int_equal( h_count( H_CB, "cb processed" ), 2 );
    assert_int_equal( h_callbacks( OtaJobEventFail ), 1 );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

/* ---- requests, momentum, aborts ---------------------------------------------------------- */

static void duplicate_blocks_do_not_trigger_requests_issue_428( void ** state )
{
    unsigned i;

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );

    for( i = 0; i < 6U; i++ )
    {
        send_block( 0, SIZE5_N );
    }

    assert_int_equal( h_count( H_MQTT, "pub " T_GET( "stream-A" ) ), 0 );
    assert_int_equal( h_count( H_PAL, "pal.write" ), 0 );
    h_mark();
    send_block( 1, SIZE5_N );
    send_block( 2, SIZE5_N );
    send_block( 3, SIZE5_N );
    assert_int_equal( h_count( H_MQTT, "pub " T_GET( "stream-A" ) ), 1 );
    assert_int_equal( h_count( H_MQTT, REQ( "stream-A", "10" ) ), 1 );
    h_finish();
}

static void unanswered_requests_abort_after_momentum_3( void ** state )
{
    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );

    /* Two more requests as the request timer expires, then the agent gives up. */
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "timer.start request 10000", REQ( "stream-A", "1f" ) );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "timer.start request 10000", REQ( "stream-A", "1f" ) );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_wait_state( OtaAgentStateStopped ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "timer.start request 10000",
              "timer.stop request",
              "pal.set_state Aborted",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "aborted", "0x00000000" ),
              "timer.stop request", "timer.delete request",
              "timer.stop selftest", "timer.delete selftest",
              "unsub " T_NOTIFY " q0", "unsub " T_ACCEPTED " q0",
              "unsub " T_DATA( "stream-A" ) " q1",
              "pal.abort" );
    h_finish();
}

static void failed_stream_request_is_retried_by_the_request_timer( void ** state )
{
    HJob_t job = h_mqtt_job( "job-1", "stream-A", SIZE5, "3" );
    HJob_t other = h_mqtt_job( "job-2", "stream-B", SIZE5, "3" );
    uint32_t i;

    ( void ) state;
    h_reset();
    h_begin( NULL );
    h_cfg.publishFailTopic = "/get/cbor";
    assert_true( h_send_job( h_job_json( &job ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create",
              "pal.get_state",
              "cb processed",
              "sub " T_DATA( "stream-A" ) " q0",
              "timer.start request 10000",
              REQ( "stream-A", "1f" ) " (fails)" );
    assert_int_equal( OTA_GetState(), OtaAgentStateRequestingFileBlock );

    /* v2.0.0 has no row for a job document here: it is handed back, nothing else. */
    assert_true( h_send_job( h_job_json( &other ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed" );

    h_cfg.publishFailTopic = NULL;
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "timer.start request 10000", REQ( "stream-A", "1f" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForFileBlock );

    for( i = 0; i < 5U; i++ )
    {
        send_block( i, SIZE5_N );
    }

    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
    assert_true( h_flash_matches_image( SIZE5_N ) );
    h_finish();
}

static void failing_job_requests_shut_the_agent_down_after_momentum_3( void ** state )
{
    ( void ) state;
    h_reset();
    h_cfg.publishFailures = -1;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );

#define FAILED_REQUEST( n )                                                      \
    "sub " T_ACCEPTED " q1", "sub " T_NOTIFY " q1",                              \
    "pub " T_GETNEXT " q1 {\"clientToken\":\"" n ":dev1\"} (fails)"

    H_EXPECT( H_ALL, "pal.get_state", FAILED_REQUEST( "0" ), "timer.start request 10000" );
    assert_int_equal( OTA_GetState(), OtaAgentStateRequestingJob );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, FAILED_REQUEST( "1" ), "timer.start request 10000" );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, FAILED_REQUEST( "2" ), "timer.start request 10000" );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_wait_state( OtaAgentStateStopped ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, FAILED_REQUEST( "3" ), "timer.stop request", L_SHUTDOWN );
#undef FAILED_REQUEST
    h_finish();
}

static void failed_subscription_does_not_use_up_a_client_token( void ** state )
{
    char expected[ 256 ];

    ( void ) state;
    h_reset();
    h_cfg.subscribeFailures = 1;
    assert_int_equal( h_start( NULL ), OtaErrNone );
    test_log_reset();
    assert_true( h_signal( OtaAgentEventStart ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "pal.get_state", "sub " T_ACCEPTED " q1 (fails)", "timer.start request 10000" );

    /* Records with strings on both sides of a number, and three strings, arrive formatted by
     * the application's LogError/LogInfo (c_tests/config/ota_config.h). */
    ( void ) snprintf( expected, sizeof( expected ), "Failed to subscribe to MQTT topic: OtaMqttStatus_t=%d, topic=%s",
                       ( int ) OtaMqttSubscribeFailed, T_ACCEPTED );
    assert_true( test_log_seen( TEST_LOG_ERROR, expected ) );
    assert_true( test_log_seen( TEST_LOG_INFO, "Current state=[Ready], event=[Start], new state=[RequestingJob]" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateRequestingJob );

    /* v2.0.0 counts a request only once its subscriptions are made (ota_mqtt.c:922-936): the
     * retry still carries client token 0. */
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, L_REQUEST_JOB( "0" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void user_abort_mid_download( void ** state )
{
    OtaAgentStatistics_t stats;

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );

    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.set_state Aborted",
              "pub " T_UPDATE( "job-1" ) " q1 " S_FAILED( "aborted", "0x00000013" ),
              "timer.stop request",
              "unsub " T_DATA( "stream-A" ) " q1",
              "pal.abort" );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( OTA_GetImageState(), OtaImageStateAborted );
    assert_false( h_timer_running( OtaRequestTimer ) );

    /* A block still in flight is handed back and counted as dropped. */
    assert_true( h_send_block( 3, 1, SIZE5_N ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL, "cb processed" );
    assert_int_equal( OTA_GetStatistics( &stats ), OtaErrNone );
    assert_int_equal( stats.otaPacketsDropped, 1 );

    /* Aborting again: there is no job, nothing happens. */
    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT_NOTHING( H_ALL );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    h_finish();
}

static void new_job_document_while_downloading_restarts( void ** state )
{
    HJob_t second = h_mqtt_job( "job-2", "stream-B", "4196", "3" );

    ( void ) state;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    send_block( 0, SIZE5_N );
    expect_block( 0, "1/5" );

    /* notify-next announces another job: the download is abandoned, the document's buffer is
     * handed back (v2.0.0 kept it), and the next job is requested. */
    assert_true( h_send_job( h_job_json( &second ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "timer.stop request",
              "pal.set_state Aborted",
              "unsub " T_DATA( "stream-A" ) " q1",
              "pal.abort",
              "cb processed",
              L_REQUEST_JOB( "1" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateWaitingForJob );
    assert_int_equal( h_buffers_in_use(), 0 );

    assert_true( h_send_job( h_job_json( &second ) ) );
    assert_true( h_idle() );
    H_EXPECT( H_ALL,
              "pal.get_state",
              "pal.create",
              "pal.get_state",
              "cb processed",
              "sub " T_DATA( "stream-B" ) " q0",
              "timer.start request 10000",
              REQ( "stream-B", "03" ) );
    assert_int_equal( h_created.fileSize, 4196 );
    h_finish();
}

static void job_without_signature_does_not_inherit_the_last_one( void ** state )
{
    HJob_t unsigned_job = h_mqtt_job( "job-2", "stream-A", SIZE5, "3" );

    ( void ) state;
    unsigned_job.signature = NULL;
    h_reset();
    h_begin( NULL );
    start_download( "job-1", SIZE5, "1f" );
    assert_int_equal( h_created.signatureSize, 8 );
    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrNone );
    assert_true( h_idle() );
    h_mark();

    assert_true( h_send_job( h_job_json( &unsigned_job ) ) );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_PAL, "pal.create" ), 1 );
    assert_int_equal( h_created.signatureSize, 0 ); /* U5 */
    h_finish();
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test_teardown( whole_mqtt_update_then_self_test_and_accept, h_teardown ),
        cmocka_unit_test_teardown( update_with_application_buffers_allocates_nothing, h_teardown ),
        cmocka_unit_test_teardown( chunked_block_payload_is_joined_in_allocated_memory, h_teardown ),
        cmocka_unit_test_teardown( self_test_timeout_resets_the_device, h_teardown ),
        cmocka_unit_test_teardown( self_test_begins_when_a_job_request_overtakes_it, h_teardown ),
        cmocka_unit_test_teardown( self_test_rejected_by_the_application, h_teardown ),
        cmocka_unit_test_teardown( self_test_with_the_same_version_is_rejected, h_teardown ),
        cmocka_unit_test_teardown( self_test_of_a_downgrade_is_rejected, h_teardown ),
        cmocka_unit_test_teardown( self_test_job_while_the_platform_is_not_in_self_test, h_teardown ),
        cmocka_unit_test_teardown( platform_in_self_test_but_job_is_not_resets, h_teardown ),
        cmocka_unit_test_teardown( zero_file_size_is_reported_failed, h_teardown ),
        cmocka_unit_test_teardown( file_id_beyond_255_is_reported_failed, h_teardown ),
        cmocka_unit_test_teardown( malformed_job_with_a_job_id_is_reported_failed, h_teardown ),
        cmocka_unit_test_teardown( document_that_is_not_json_touches_nothing_but_the_pal_state, h_teardown ),
        cmocka_unit_test_teardown( huge_or_negative_file_sizes_are_refused_issue_407, h_teardown ),
        cmocka_unit_test_teardown( no_pending_job_reply_makes_no_pal_call, h_teardown ),
        cmocka_unit_test_teardown( check_for_update_while_waiting_asks_again, h_teardown ),
        cmocka_unit_test_teardown( unsupported_protocol_fails_the_job_and_asks_for_the_next, h_teardown ),
        cmocka_unit_test_teardown( pal_create_failure_aborts_the_job, h_teardown ),
        cmocka_unit_test_teardown( bitmap_too_small_for_the_file_fails_it_cleanly, h_teardown ),
        cmocka_unit_test_teardown( stream_name_of_150_characters_fails_the_job_cleanly, h_teardown ),
        cmocka_unit_test_teardown( stream_name_of_128_characters_is_used_whole, h_teardown ),
        cmocka_unit_test_teardown( client_token_stays_within_64_bytes_for_long_thing_names, h_teardown ),
        cmocka_unit_test_teardown( pal_write_failure_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( pal_short_write_fails_the_job_issue_436, h_teardown ),
        cmocka_unit_test_teardown( block_index_out_of_range_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( negative_block_index_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( wrong_block_size_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( declared_length_must_match_the_payload, h_teardown ),
        cmocka_unit_test_teardown( malformed_cbor_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( block_of_another_file_is_ignored, h_teardown ),
        cmocka_unit_test_teardown( signature_check_failure_at_close_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( close_failure_fails_the_job, h_teardown ),
        cmocka_unit_test_teardown( duplicate_of_the_last_block_after_completion_is_ignored, h_teardown ),
        cmocka_unit_test_teardown( block_queued_behind_a_failed_one_is_not_written, h_teardown ),
        cmocka_unit_test_teardown( duplicate_blocks_do_not_trigger_requests_issue_428, h_teardown ),
        cmocka_unit_test_teardown( unanswered_requests_abort_after_momentum_3, h_teardown ),
        cmocka_unit_test_teardown( failed_stream_request_is_retried_by_the_request_timer, h_teardown ),
        cmocka_unit_test_teardown( failing_job_requests_shut_the_agent_down_after_momentum_3, h_teardown ),
        cmocka_unit_test_teardown( failed_subscription_does_not_use_up_a_client_token, h_teardown ),
        cmocka_unit_test_teardown( user_abort_mid_download, h_teardown ),
        cmocka_unit_test_teardown( new_job_document_while_downloading_restarts, h_teardown ),
        cmocka_unit_test_teardown( job_without_signature_does_not_inherit_the_last_one, h_teardown ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
