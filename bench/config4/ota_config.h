/* ota-rs bench: the configuration of the 4-blocks-per-request rows.
 * SPDX-License-Identifier: MIT
 *
 * bench/config/ota_config.h with one change: each stream request asks for 4 blocks, the
 * configuration issue 10 states its per-block targets for (4 KiB blocks, 4 blocks per
 * request, logging off). No Log* macro is defined, so logging is off in both libraries. */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#define otaconfigLOG2_FILE_BLOCK_SIZE           12UL
#define otaconfigMAX_NUM_BLOCKS_REQUEST         4U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    64U
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

#endif /* OTA_CONFIG_H_ */
