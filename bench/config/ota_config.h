/* ota-rs bench: the configuration both libraries are built with for the benchmark.
 * SPDX-License-Identifier: MIT
 *
 * v2.0.0's defaults, spelled out where they shape the measured path: 4 KiB blocks, one block
 * per stream request, a progress update every 64 blocks. No Log* macro is defined, so every
 * log level expands to nothing in both libraries (logging off). */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_

#define otaconfigLOG2_FILE_BLOCK_SIZE           12UL
#define otaconfigMAX_NUM_BLOCKS_REQUEST         1U
#define otaconfigOTA_UPDATE_STATUS_FREQUENCY    64U
#define configENABLED_DATA_PROTOCOLS            ( OTA_DATA_OVER_MQTT )
#define configOTA_PRIMARY_DATA_PROTOCOL         ( OTA_DATA_OVER_MQTT )

#endif /* OTA_CONFIG_H_ */
