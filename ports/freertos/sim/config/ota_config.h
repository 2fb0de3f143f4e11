/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * The ota_config.h every simulator program builds libota.a with (CMakeLists.txt passes this
 * folder as OTA_CONFIG_DIR unless you set your own). The same file configures the FreeRTOS OS
 * port compiled next to libota.a: ours (ports/freertos) or upstream's v2.0.0 one.
 *
 * The values are chosen for ota_update_test: 1 KiB blocks so a file of a dozen blocks needs
 * several GetStream requests, four blocks per request, a progress status every four blocks,
 * and a request time-out long enough that the test can suspend the agent while a request is
 * outstanding, short enough that a retry costs about a second.
 */

#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#include <stdio.h>

#define otaconfigLOG2_FILE_BLOCK_SIZE           10UL
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U
#define otaconfigFILE_REQUEST_WAIT_MS           1000U
#define otaconfigSELF_TEST_RESPONSE_WAIT_MS     5000U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    4U
#define otaconfigMAX_NUM_REQUEST_MOMENTUM       32U
#define otaconfigMAX_THINGNAME_LEN              64U
#define otaconfigAllowDowngrade                 0U

/* Upstream's port keeps 20 queue entries whatever this says, so stay at v2.0.0's 20. */
#define configOTA_NUM_MSG_Q_ENTRIES             20U

#define configENABLED_CONTROL_PROTOCOL          ( OTA_CONTROL_OVER_MQTT )
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

/* Errors and warnings of the agent and of the OS port go to stdout, between the test's own
 * lines; info and debug are compiled out (in the Rust library too). */
#define LogError( message )    do { printf( "  log  [ERROR] " ); printf message; printf( "\n" ); } while( 0 )
#define LogWarn( message )     do { printf( "  log  [WARN]  " ); printf message; printf( "\n" ); } while( 0 )

#endif /* OTA_CONFIG_H_ */
