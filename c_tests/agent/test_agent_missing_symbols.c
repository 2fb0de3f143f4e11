/* ota-rs c_tests: an application that forgot appFirmwareVersion and OTA_JsonFileSignatureKey.
 * SPDX-License-Identifier: MIT
 *
 * v2.0.0 links only when the application (or its PAL) defines both; libota.a references them
 * weakly so that codec-only programs link. An agent without them cannot report versions or
 * find signatures, so OTA_Init must refuse to start, with an error in the application's log.
 * This program defines neither symbol (and must not link a PAL that does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ota.h"
#include "ota_appversion32.h"
#include "test_log.h"

/* Interfaces that must never be called. */
static int calls;

static OtaOsStatus_t any_event( OtaEventContext_t * pCtx )
{
    ( void ) pCtx;
    calls++;
    return OtaOsSuccess;
}

static void callback( OtaJobEvent_t event, const void * pData )
{
    ( void ) event;
    ( void ) pData;
    calls++;
}

static void init_refuses_to_start_without_the_application_symbols( void ** state )
{
    static OtaInterfaces_t interfaces;
    OtaAppBuffer_t buffers;

    ( void ) state;
    memset( &buffers, 0, sizeof( buffers ) );
    interfaces.os.event.init = any_event;
    interfaces.os.event.deinit = any_event;
    test_log_reset();

    assert_int_not_equal( OTA_Init( &buffers, &interfaces, ( const uint8_t * ) "dev1", callback ), OtaErrNone );
    assert_true( test_log_count( TEST_LOG_ERROR ) >= 1U );
    assert_non_null( strstr( test_log_last(), "appFirmwareVersion" ) );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );

    /* Nothing runs: the task returns at once, events and API calls are refused. */
    OTA_EventProcessingTask( NULL );
    assert_int_equal( OTA_GetState(), OtaAgentStateStopped );
    assert_int_not_equal( OTA_CheckForUpdate(), OtaErrNone );
    assert_int_equal( OTA_Suspend(), OtaErrAgentStopped );
    assert_int_equal( OTA_Shutdown( 0 ), OtaAgentStateStopped );
    assert_int_equal( calls, 0 );
}

int main( void )
{
    const struct CMUnitTest tests[] =
    {
        cmocka_unit_test( init_refuses_to_start_without_the_application_symbols ),
    };

    return cmocka_run_group_tests( tests, NULL, NULL );
}
