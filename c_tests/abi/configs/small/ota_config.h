/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* ABI probe config "small": a memory-tight device. 1 KiB blocks and 32-character thing names
 * change the sizes of OtaEventData_t and OtaAgentContext_t; every other knob is moved off its
 * default too, including the event queue depth and one log hook. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#define otaconfigLOG2_FILE_BLOCK_SIZE           10UL
#define otaconfigMAX_THINGNAME_LEN              32U
#define otaconfigSELF_TEST_RESPONSE_WAIT_MS     5000U
#define otaconfigFILE_REQUEST_WAIT_MS           2500U
#define otaconfigMAX_NUM_BLOCKS_REQUEST         2U
#define otaconfigMAX_NUM_REQUEST_MOMENTUM       8U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    16U
#define otaconfigMAX_NUM_OTA_DATA_BUFFERS       2U
#define otaconfigAllowDowngrade                 1U
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_HTTP )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_HTTP )
#define configOTA_NUM_MSG_Q_ENTRIES             5U

#define LogError( message )    small_log message

#endif /* OTA_CONFIG_H_ */
