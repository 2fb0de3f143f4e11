/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* ABI probe config "utest": the settings of the upstream v2.0.0 unit-test configuration
 * (test/unit-test/ota_config.h): both data protocols, a status update for every block, a
 * request momentum of 3 and 4 blocks per request; logging off. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT | OTA_DATA_OVER_HTTP )
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    1
#define otaconfigMAX_NUM_REQUEST_MOMENTUM       3
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4

#endif /* OTA_CONFIG_H_ */
