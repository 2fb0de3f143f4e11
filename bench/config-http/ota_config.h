/* ota-rs bench: the configuration of the HTTP rows.
 * SPDX-License-Identifier: MIT
 *
 * bench/config/ota_config.h with the HTTP data plane compiled in beside MQTT (MQTT stays the
 * primary protocol; the bench's HTTP job document offers only HTTP). The blocks-per-request
 * setting does not apply to HTTP: both libraries ask for one block's byte range per request.
 * No Log* macro is defined, so logging is off in both libraries. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#define otaconfigLOG2_FILE_BLOCK_SIZE           12UL
#define otaconfigMAX_NUM_BLOCKS_REQUEST         1U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    64U
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT | OTA_DATA_OVER_HTTP )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

#endif /* OTA_CONFIG_H_ */
