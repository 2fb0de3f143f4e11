/* ota-rs: the C library v2.0.0's configuration for the Cortex-M4 size stub, the same as libota.a
 * there: every value at ota_config_defaults.h's default and no Log* macro, so logging is off.
 * SPDX-License-Identifier: MIT */
#ifndef OTA_CONFIG_H_
#define OTA_CONFIG_H_
#endif
