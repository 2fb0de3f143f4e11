/* ota-rs c_tests: the strerror functions through the C API. SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ota.h"
#include "ota_private.h"
#include "ota_mqtt_private.h"
#include "ota_http_private.h"

#define NAMED( value )    { ( int64_t ) ( value ), #value }

typedef struct
{
    int64_t value;
    const char * name;
} Named_t;

static void every_ota_err_value_names_its_constant( void ** state )
{
    static const Named_t table[] =
    {
        NAMED( OtaErrNone ),                   NAMED( OtaErrUninitialized ),          NAMED( OtaErrPanic ),
        NAMED( OtaErrInvalidArg ),             NAMED( OtaErrAgentStopped ),           NAMED( OtaErrSignalEventFailed ),
        NAMED( OtaErrRequestJobFailed ),       NAMED( OtaErrInitFileTransferFailed ), NAMED( OtaErrRequestFileBlockFailed ),
        NAMED( OtaErrCleanupControlFailed ),   NAMED( OtaErrCleanupDataFailed ),      NAMED( OtaErrUpdateJobStatusFailed ),
        NAMED( OtaErrJobParserError ),         NAMED( OtaErrInvalidDataProtocol ),    NAMED( OtaErrMomentumAbort ),
        NAMED( OtaErrDowngradeNotAllowed ),    NAMED( OtaErrSameFirmwareVersion ),    NAMED( OtaErrImageStateMismatch ),
        NAMED( OtaErrNoActiveJob ),            NAMED( OtaErrUserAbort ),              NAMED( OtaErrFailedToEncodeCbor ),
        NAMED( OtaErrFailedToDecodeCbor ),     NAMED( OtaErrActivateFailed ),
    };
    size_t i;

    ( void ) state;

    for( i = 0; i < sizeof( table ) / sizeof( table[ 0 ] ); i++ )
    {
        assert_string_equal( OTA_Err_strerror( ( OtaErr_t ) table[ i ].value ), table[ i ].name );
    }

    assert_string_equal( OTA_Err_strerror( ( OtaErr_t ) ( OtaErrActivateFailed + 1 ) ), "InvalidErrorCode" );
    assert_string_equal( OTA_Err_strerror( ( OtaErr_t ) 0x7fffffff ), "InvalidErrorCode" );
}

static void every_job_parse_value_names_its_constant( void ** state )
{
    static const Named_t table[] =
    {
        NAMED( OtaJobParseErrUnknown ),            NAMED( OtaJobParseErrNone ),
        NAMED( OtaJobParseErrBusyWithExistingJob ), NAMED( OtaJobParseErrNullJob ),
        NAMED( OtaJobParseErrUpdateCurrentJob ),   NAMED( OtaJobParseErrZeroFileSize ),
        NAMED( OtaJobParseErrNonConformingJobDoc ), NAMED( OtaJobParseErrBadModelInitParams ),
        NAMED( OtaJobParseErrNoContextAvailable ), NAMED( OtaJobParseErrNoActiveJobs ),
    };
    size_t i;

    ( void ) state;

    for( i = 0; i < sizeof( table ) / sizeof( table[ 0 ] ); i++ )
    {
        assert_string_equal( OTA_JobParse_strerror( ( OtaJobParseErr_t ) table[ i ].value ), table[ i ].name );
    }

    assert_int_equal( OtaJobParseErrUnknown, -1 );
    assert_int_equal( OtaJobParseErrBusyWithExistingJob, 1 );
    assert_string_equal( OTA_JobParse_strerror( ( OtaJobParseErr_t ) -2 ), "InvalidErrorCode" );
    assert_string_equal( OTA_JobParse_strerror( ( OtaJobParseErr_t ) ( OtaJobParseErrNoActiveJobs + 1 ) ), "InvalidErrorCode" );
}

static void every_os_status_names_its_constant( void ** state )
{
    static const Named_t table[] =
    {
        NAMED( OtaOsSuccess ),                 NAMED( OtaOsEventQueueCreateFailed ),
        NAMED( OtaOsEventQueueSendFailed ),    NAMED( OtaOsEventQueueReceiveFailed ),
        NAMED( OtaOsEventQueueDeleteFailed ),  NAMED( OtaOsTimerCreateFailed ),
        NAMED( OtaOsTimerStartFailed ),        NAMED( OtaOsTimerRestartFailed ),
        NAMED( OtaOsTimerStopFailed ),         NAMED( OtaOsTimerDeleteFailed ),
    };
    size_t i;

    ( void ) state;

    for( i = 0; i < sizeof( table ) / sizeof( table[ 0 ] ); i++ )
    {
        assert_string_equal( OTA_OsStatus_strerror( ( OtaOsStatus_t ) table[ i ].value ), table[ i ].name );
    }

    assert_string_equal( OTA_OsStatus_strerror( ( OtaOsStatus_t ) ( OtaOsTimerDeleteFailed + 1 ) ), "InvalidErrorCode" );
}

static void every_pal_status_names_its_constant( void ** state )
{
    static const Named_t table[] =
    {
        NAMED( OtaPalSuccess ),              NAMED( OtaPalUninitialized ),        NAMED( OtaPalOutOfMemory ),
        NAMED( OtaPalNullFileContext ),      NAMED( OtaPalSignatureCheckFailed ), NAMED( OtaPalRxFileCreateFailed ),
        NAMED( OtaPalRxFileTooLarge ),       NAMED( OtaPalBootInfoCreateFailed ), NAMED( OtaPalBadSignerCert ),
        NAMED( OtaPalBadImageState ),        NAMED( OtaPalAbortFailed ),          NAMED( OtaPalRejectFailed ),
        NAMED( OtaPalCommitFailed ),         NAMED( OtaPalActivateFailed ),       NAMED( OtaPalFileAbort ),
        NAMED( OtaPalFileClose ),
    };
    size_t i;

    ( void ) state;

    for( i = 0; i < sizeof( table ) / sizeof( table[ 0 ] ); i++ )
    {
        assert_string_equal( OTA_PalStatus_strerror( ( OtaPalMainStatus_t ) table[ i ].value ), table[ i ].name );
    }

    /* Between success (0) and the first error (0xe0) nothing is named. */
    assert_string_equal( OTA_PalStatus_strerror( ( OtaPalMainStatus_t ) 1 ), "InvalidErrorCode" );
    assert_string_equal( OTA_PalStatus_strerror( ( OtaPalMainStatus_t ) ( OtaPalFileClose + 1 ) ), "InvalidErrorCode" );
    /* A combined PAL status must be split first: the main code alone is named. */
    assert_string_equal( OTA_PalStatus_strerror( OTA_PAL_MAIN_ERR( OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 7 ) ) ),
                         "OtaPalSignatureCheckFailed" );
}

static void every_mqtt_and_http_status_names_its_constant( void ** state )
{
    ( void ) state;

    assert_string_equal( OTA_MQTT_strerror( OtaMqttSuccess ), "OtaMqttSuccess" );
    assert_string_equal( OTA_MQTT_strerror( OtaMqttPublishFailed ), "OtaMqttPublishFailed" );
    assert_string_equal( OTA_MQTT_strerror( OtaMqttSubscribeFailed ), "OtaMqttSubscribeFailed" );
    assert_string_equal( OTA_MQTT_strerror( OtaMqttUnsubscribeFailed ), "OtaMqttUnsubscribeFailed" );
    assert_string_equal( OTA_MQTT_strerror( ( OtaMqttStatus_t ) ( OtaMqttUnsubscribeFailed + 1 ) ), "InvalidErrorCode" );

    assert_string_equal( OTA_HTTP_strerror( OtaHttpSuccess ), "OtaHttpSuccess" );
    assert_string_equal( OTA_HTTP_strerror( OtaHttpInitFailed ), "OtaHttpInitFailed" );
    assert_string_equal( OTA_HTTP_strerror( OtaHttpDeinitFailed ), "OtaHttpDeinitFailed" );
    assert_string_equal( OTA_HTTP_strerror( OtaHttpRequestFailed ), "OtaHttpRequestFailed" );
    assert_string_equal( OTA_HTTP_strerror( ( OtaHttpStatus_t ) ( OtaHttpRequestFailed + 1 ) ), "InvalidErrorCode" );
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test( every_ota_err_value_names_its_constant ),
        cmocka_unit_test( every_job_parse_value_names_its_constant ),
        cmocka_unit_test( every_os_status_names_its_constant ),
        cmocka_unit_test( every_pal_status_names_its_constant ),
        cmocka_unit_test( every_mqtt_and_http_status_names_its_constant ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
