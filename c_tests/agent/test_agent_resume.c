/* ota-rs c_tests: resume across reboot (ota_ext.h, not part of v2.0.0), through the C API.
 * SPDX-License-Identifier: MIT
 *
 * The harness's resume table keeps the record in memory and its flash survives h_reboot(), so
 * one test can download part of a file, "reboot" the device and see what the agent asks for
 * next. Build config: c_tests/config/ota_config.h (4 KiB blocks, 4 blocks per request). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "ota_ext.h"

const AppVersion32_t appFirmwareVersion = { .u = { .x = { .build = 3, .minor = 2, .major = 1 } } };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

/* Eight blocks, the last one 100 bytes long. */
#define SIZE8      "28772"
#define SIZE8_N    28772U

/* A record of job-1 / stream-A with a one-byte bitmap: 32 + 5 + 8 + 1 bytes. */
#define REC_MQTT   "resume.save 46"
#define LOAD_MQTT  "resume.load 46"

#define REQ( bits )    "pub " T_GET( "stream-A" ) " q0 req c=rdy f=3 l=4096 o=0 b=" bits " n=4"

#define URL        "https://bucket.s3.amazonaws.com/fw.bin?X-Amz-Signature=abc&X-Amz-Expires=3600"
#define SIZE3      "8202"
#define SIZE3_N    8202U

static HJob_t job1( void )
{
    return h_mqtt_job( "job-1", "stream-A", SIZE8, "3" );
}

static void send_blocks( uint32_t from,
                         uint32_t to )
{
    uint32_t i;

    for( i = from; i < to; i++ )
    {
        assert_true( h_send_block( 3, i, SIZE8_N ) );
        assert_true( h_idle() );
    }
}

static void send_job( const HJob_t * pJob )
{
    assert_true( h_send_job( h_job_json( pJob ) ) );
    assert_true( h_idle() );
}

/* Boots with resume saving every `every` blocks and no record, takes job-1 and blocks 0-4:
 * records are saved after blocks 1 and 3, block 4 is written but not yet saved. */
static void download_five_blocks( uint32_t every )
{
    HJob_t job = job1();

    h_reset();
    h_resume_store( NULL, 0 );
    assert_int_equal( h_resume_register( every ), OtaErrNone );
    h_begin( NULL );
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_MQTT,
              "resume.load 0",
              "pal.create",
              "sub " T_DATA( "stream-A" ) " q0",
              REQ( "ff" ) );
    send_blocks( 0, 5 );
    H_EXPECT( H_PAL | H_RESUME,
              "pal.write 0 4096",
              "pal.write 4096 4096",
              "pal.flush",
              REC_MQTT,
              "pal.write 8192 4096",
              "pal.write 12288 4096",
              "pal.flush",
              REC_MQTT,
              "pal.write 16384 4096" );
}

/* A shutdown keeps the record; the reboot that follows registers again and starts the agent. */
static void reboot( uint32_t every )
{
    assert_true( h_stop() );
    H_EXPECT( H_PAL | H_RESUME, "pal.abort" );
    h_reboot();
    assert_int_equal( h_resume_register( every ), OtaErrNone );
    h_begin( NULL );
}

/* Blocks 4-7 after a resume: one save after two blocks, the close, the record erased. */
static void finish_resumed_download( void )
{
    send_blocks( 4, 8 );
    H_EXPECT( H_PAL | H_RESUME,
              "pal.write 16384 4096",
              "pal.write 20480 4096",
              "pal.flush",
              REC_MQTT,
              "pal.write 24576 4096",
              "pal.write 28672 100",
              "pal.close",
              "resume.erase",
              "pal.abort" );
    assert_true( h_flash_matches_image( SIZE8_N ) );
    assert_int_equal( h_callbacks( OtaJobEventActivate ), 1 );
}

static void interrupted_download_resumes_with_only_the_missing_blocks( void ** state )
{
    HJob_t job = job1();
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );
    reboot( 2 );
    assert_non_null( h_resume_record( &len ) );
    assert_int_equal( len, 46 );

    /* Blocks 0-3 were saved: the first request asks for 4-7 (bitmap f0), the file is reopened,
     * not created, and its first 16 KiB are kept. */
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_MQTT,
              LOAD_MQTT,
              "pal.reopen",
              "sub " T_DATA( "stream-A" ) " q0",
              REQ( "f0" ) );
    finish_resumed_download();
    assert_null( h_resume_record( &len ) );
    h_finish();
}

static void corrupted_record_starts_from_block_zero_and_is_erased( void ** state )
{
    HJob_t job = job1();
    size_t len = 0;
    uint8_t * pRecord;

    ( void ) state;
    download_five_blocks( 2 );
    reboot( 2 );
    pRecord = h_resume_record( &len );
    assert_non_null( pRecord );
    pRecord[ 30 ] ^= 0x01; /* a bit of the job ID: the CRC no longer matches */
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_MQTT,
              LOAD_MQTT,
              "resume.erase",
              "pal.create",
              "sub " T_DATA( "stream-A" ) " q0",
              REQ( "ff" ) );
    send_blocks( 0, 8 );
    assert_true( h_flash_matches_image( SIZE8_N ) );
    assert_int_equal( h_count( H_PAL, "pal.write" ), 8 );
    assert_int_equal( h_count( H_RESUME, "resume.erase" ), 1 );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

/* Every field of the record that names the download: any other value starts a clean download
 * and erases the record. */
static void record_of_another_download_is_erased_and_the_job_starts_clean( void ** state )
{
    uint8_t saved[ OTA_EXT_RESUME_RECORD_MAX_SIZE ];
    size_t savedLen = 0;
    const uint8_t * pRecord;
    HJob_t variants[ 5 ];
    size_t i;

    ( void ) state;
    download_five_blocks( 2 );
    pRecord = h_resume_record( &savedLen );
    assert_non_null( pRecord );
    memcpy( saved, pRecord, savedLen );

    variants[ 0 ] = h_mqtt_job( "job-2", "stream-A", SIZE8, "3" );  /* another job */
    variants[ 1 ] = h_mqtt_job( "job-1", "stream-B", SIZE8, "3" );  /* another stream */
    variants[ 2 ] = h_mqtt_job( "job-1", "stream-A", "28773", "3" ); /* another size */
    variants[ 3 ] = h_mqtt_job( "job-1", "stream-A", SIZE8, "4" );  /* another file */
    variants[ 4 ] = job1();
    variants[ 4 ].filePath = "/fw/other.bin";                         /* another path */

    for( i = 0; i < sizeof( variants ) / sizeof( variants[ 0 ] ); i++ )
    {
        reboot( 2 );
        h_resume_store( saved, savedLen );
        send_job( &variants[ i ] );
        H_EXPECT( H_PAL | H_RESUME, LOAD_MQTT, "resume.erase", "pal.create" );
        assert_int_equal( h_count( H_PAL, "pal.reopen" ), 0 );
    }

    h_finish();
}

static void pal_that_cannot_reopen_gives_a_clean_download( void ** state )
{
    HJob_t job = job1();

    ( void ) state;
    download_five_blocks( 2 );
    reboot( 2 );
    h_resume_cfg.reopenStatus = OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 2 );
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_MQTT,
              LOAD_MQTT,
              "pal.reopen (fails)",
              "resume.erase",
              "pal.create",
              "sub " T_DATA( "stream-A" ) " q0",
              REQ( "ff" ) );
    send_blocks( 0, 8 );
    assert_true( h_flash_matches_image( SIZE8_N ) );
    h_finish();
}

static void failed_signature_check_erases_the_record( void ** state )
{
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );
    h_cfg.closeStatus = OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 0 );
    send_blocks( 5, 8 );
    assert_int_equal( h_callbacks( OtaJobEventFail ), 1 );
    assert_int_equal( h_count( H_RESUME, "resume.erase" ), 1 );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

static void user_abort_erases_the_record( void ** state )
{
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );
    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_PAL | H_RESUME, "pal.set_state Aborted", "resume.erase", "pal.abort" );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

static void new_job_during_the_download_erases_the_record( void ** state )
{
    HJob_t other = h_mqtt_job( "job-2", "stream-B", SIZE8, "3" );
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );
    send_job( &other );
    assert_int_equal( h_count( H_RESUME, "resume.erase" ), 1 );
    assert_int_equal( h_count( H_RESUME, "resume.save" ), 0 );
    h_finish();
    assert_null( h_resume_record( &len ) );
}

/* Fuzz finding resume/keeps-record-of-momentum-aborted-job: a job the agent aborts itself
 * (its requests unanswered, momentum spent) is reported FAILED, so its record goes, though the
 * shutdown that follows keeps records. */
static void momentum_abort_erases_the_record( void ** state )
{
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );

    /* Block 4 reset the momentum: three more requests, then the fourth expiry gives up. */
    for( int i = 0; i < 3; i++ )
    {
        assert_true( h_fire_timer( OtaRequestTimer ) );
        assert_true( h_idle() );
    }

    assert_int_equal( h_count( H_MQTT, "pub " T_GET( "stream-A" ) ), 3 );
    assert_true( h_fire_timer( OtaRequestTimer ) );
    assert_true( h_wait_state( OtaAgentStateStopped ) );
    assert_true( h_idle() );
    H_EXPECT( H_PAL | H_RESUME, "pal.set_state Aborted", "resume.erase", "pal.abort" );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

/* Fuzz findings resume/keeps-record-loaded-after-erase and poisoned-record-of-the-job-never-
 * erased: a record that appears after the agent found none (written behind its back, or by a
 * save that said it failed) is still erased when it does not match. */
static void record_that_appears_after_an_empty_load_is_still_erased( void ** state )
{
    HJob_t job = job1();
    size_t len = 0;

    ( void ) state;
    h_reset();
    h_resume_store( NULL, 0 );
    assert_int_equal( h_resume_register( 2 ), OtaErrNone );
    h_begin( NULL );
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_MQTT,
              "resume.load 0",
              "pal.create",
              "sub " T_DATA( "stream-A" ) " q0",
              REQ( "ff" ) );
    assert_int_equal( OTA_SetImageState( OtaImageStateAborted ), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_PAL | H_RESUME, "pal.set_state Aborted", "pal.abort" );
    h_resume_store( ( const uint8_t * ) "junk", 4 );
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME, "resume.load 4", "resume.erase", "pal.create" );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

/* Fuzz finding resume/reopen-over-a-file-still-open: a verdict from the application ends the
 * job mid-download, the agent goes back to waiting for a job without closing the file, and the
 * same job comes again. Its record names the file still open: no reopen, the record goes. */
static void record_of_a_file_still_open_is_not_reopened( void ** state )
{
    HJob_t job = job1();
    size_t len = 0;

    ( void ) state;
    download_five_blocks( 2 );
    assert_int_equal( OTA_CheckForUpdate(), OtaErrNone );
    assert_true( h_idle() );
    assert_int_equal( OTA_SetImageState( OtaImageStateRejected ), OtaErrNone );
    assert_true( h_idle() );
    h_mark();
    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME, LOAD_MQTT, "resume.erase", "pal.create" );
    assert_null( h_resume_record( &len ) );
    h_finish();
}

/* Saves come every `saveEveryBlocks` blocks and at a suspend that follows new blocks; a
 * suspend with nothing new writes nothing, and a PAL that cannot flush gets no record. */
static void saves_are_bounded_by_new_blocks( void ** state )
{
    HJob_t job = job1();

    ( void ) state;
    h_reset();
    h_resume_store( NULL, 0 );
    assert_int_equal( h_resume_register( 3 ), OtaErrNone );
    h_begin( NULL );
    send_job( &job );
    send_blocks( 0, 4 );
    assert_int_equal( h_count( H_RESUME, "resume.save" ), 1 );
    h_mark();

    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    H_EXPECT( H_PAL | H_RESUME, "pal.flush", REC_MQTT );
    assert_int_equal( OTA_Resume(), OtaErrNone );
    assert_true( h_idle() );
    send_job( &job );
    assert_int_equal( OTA_Suspend(), OtaErrNone );
    assert_true( h_idle() );
    assert_int_equal( h_count( H_RESUME, NULL ), 0 );
    assert_int_equal( h_count( H_PAL, "pal.flush" ), 0 );

    assert_int_equal( OTA_Resume(), OtaErrNone );
    assert_true( h_idle() );
    send_job( &job );
    h_resume_cfg.flushStatus = OTA_PAL_COMBINE_ERR( OtaPalFileClose, 5 );
    h_mark();
    send_blocks( 4, 7 );
    H_EXPECT_NOTHING( H_RESUME );
    h_finish();
}

static void http_download_resumes_with_the_missing_ranges_only( void ** state )
{
    HJob_t job = h_http_job( "job-h", URL, SIZE3 );

    ( void ) state;
    h_reset();
    h_resume_store( NULL, 0 );
    assert_int_equal( h_resume_register( 1 ), OtaErrNone );
    h_begin( NULL );
    send_job( &job );
    assert_true( h_send_http_block( 0, SIZE3_N ) );
    assert_true( h_idle() );
    assert_true( h_send_http_block( 1, SIZE3_N ) );
    assert_true( h_idle() );
    /* job-h, no stream, one bitmap byte: 32 + 5 + 0 + 1 bytes; saved after each block. */
    H_EXPECT( H_PAL | H_RESUME,
              "resume.load 0",
              "pal.create",
              "pal.write 0 4096",
              "pal.flush",
              "resume.save 38",
              "pal.write 4096 4096",
              "pal.flush",
              "resume.save 38" );
    reboot( 1 );

    send_job( &job );
    H_EXPECT( H_PAL | H_RESUME | H_HTTP,
              "resume.load 38",
              "pal.reopen",
              "http.init " URL,
              "http.req 8192-8201" );
    assert_true( h_send_http_block( 2, SIZE3_N ) );
    assert_true( h_idle() );
    H_EXPECT( H_PAL | H_RESUME | H_HTTP,
              "pal.write 8192 10",
              "pal.close",
              "resume.erase",
              "http.deinit",
              "pal.abort" );
    assert_true( h_flash_matches_image( SIZE3_N ) );
    h_finish();
}

static bool t_save( const uint8_t * pRecord, uint32_t size )
{
    ( void ) pRecord;
    ( void ) size;
    return true;
}

static uint32_t t_load( uint8_t * pBuffer, uint32_t size )
{
    ( void ) pBuffer;
    ( void ) size;
    return 0;
}

static bool t_erase( void )
{
    return true;
}

static OtaPalStatus_t t_reopen( OtaFileContext_t * const pCtx )
{
    ( void ) pCtx;
    return OTA_PAL_COMBINE_ERR( OtaPalRxFileCreateFailed, 0 );
}

static void registration_needs_every_required_entry( void ** state )
{
    static uint8_t buffer[ OTA_EXT_RESUME_RECORD_FIXED_SIZE ];
    OtaResumeInterface_t full;
    OtaResumeInterface_t t;
    int i;

    ( void ) state;
    h_reset();
    memset( &full, 0, sizeof( full ) );
    full.save = t_save;
    full.load = t_load;
    full.erase = t_erase;
    full.reopenFile = t_reopen;
    full.pRecordBuffer = buffer;
    full.recordBufferSize = sizeof( buffer );
    /* flushFile and saveEveryBlocks may be left out. */
    assert_int_equal( OTA_EXT_SetResume( &full ), OtaErrNone );

    for( i = 0; i < 6; i++ )
    {
        t = full;

        switch( i )
        {
            case 0: t.save = NULL; break;
            case 1: t.load = NULL; break;
            case 2: t.erase = NULL; break;
            case 3: t.reopenFile = NULL; break;
            case 4: t.pRecordBuffer = NULL; break;
            default: t.recordBufferSize = OTA_EXT_RESUME_RECORD_FIXED_SIZE - 1U; break;
        }

        assert_int_equal( OTA_EXT_SetResume( &t ), OtaErrInvalidArg );
    }

    assert_int_equal( OTA_EXT_SetResume( NULL ), OtaErrNone );
}

/* An application that registers nothing (or unregisters) gets no resume call at all. */
static void unregistered_agent_calls_nothing_of_the_extension( void ** state )
{
    HJob_t job = job1();

    ( void ) state;
    h_reset();
    h_resume_store( ( const uint8_t * ) "OTAR", 4 );
    assert_int_equal( h_resume_register( 1 ), OtaErrNone );
    assert_int_equal( OTA_EXT_SetResume( NULL ), OtaErrNone );
    h_begin( NULL );
    send_job( &job );
    send_blocks( 0, 8 );
    assert_true( h_flash_matches_image( SIZE8_N ) );
    assert_true( h_stop() );
    assert_int_equal( h_count( H_RESUME, NULL ), 0 );
    assert_int_equal( h_count( H_PAL, "pal.reopen" ) + h_count( H_PAL, "pal.flush" ), 0 );
    h_finish();
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test_teardown( interrupted_download_resumes_with_only_the_missing_blocks, h_teardown ),
        cmocka_unit_test_teardown( corrupted_record_starts_from_block_zero_and_is_erased, h_teardown ),
        cmocka_unit_test_teardown( record_of_another_download_is_erased_and_the_job_starts_clean, h_teardown ),
        cmocka_unit_test_teardown( pal_that_cannot_reopen_gives_a_clean_download, h_teardown ),
        cmocka_unit_test_teardown( failed_signature_check_erases_the_record, h_teardown ),
        cmocka_unit_test_teardown( user_abort_erases_the_record, h_teardown ),
        cmocka_unit_test_teardown( new_job_during_the_download_erases_the_record, h_teardown ),
        cmocka_unit_test_teardown( momentum_abort_erases_the_record, h_teardown ),
        cmocka_unit_test_teardown( record_that_appears_after_an_empty_load_is_still_erased, h_teardown ),
        cmocka_unit_test_teardown( record_of_a_file_still_open_is_not_reopened, h_teardown ),
        cmocka_unit_test_teardown( saves_are_bounded_by_new_blocks, h_teardown ),
        cmocka_unit_test_teardown( http_download_resumes_with_the_missing_ranges_only, h_teardown ),
        cmocka_unit_test_teardown( registration_needs_every_required_entry, h_teardown ),
        cmocka_unit_test_teardown( unregistered_agent_calls_nothing_of_the_extension, h_teardown ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
