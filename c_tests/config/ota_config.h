/* ota-rs c_tests: the configuration the C tests build libota.a with.
 * SPDX-License-Identifier: MIT
 *
 * Like a firmware team's config: it sets protocol and timing values and routes the library's
 * log macros into its own logger. test_log.h lives in another folder, so building with this
 * config also exercises OTA_CONFIG_INCLUDE_DIRS. LogDebug is left undefined (empty), so the
 * tests can show that a disabled level produces nothing. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include "test_log.h"

#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT | OTA_DATA_OVER_HTTP )
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    1U
#define otaconfigMAX_NUM_REQUEST_MOMENTUM       3U
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U

#define LogError( message )    do { test_log_level( TEST_LOG_ERROR ); test_log_printf message; } while( 0 )
#define LogWarn( message )     do { test_log_level( TEST_LOG_WARN ); test_log_printf message; } while( 0 )
#define LogInfo( message )     do { test_log_level( TEST_LOG_INFO ); test_log_printf message; } while( 0 )

#endif /* OTA_CONFIG_H_ */
