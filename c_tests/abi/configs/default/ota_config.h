/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/* ABI probe config "default": built with OTA_DO_NOT_USE_CUSTOM_CONFIG, so the headers must
 * never include this file; it is on the include path only to prove that. */
#error "ota_config.h was included although OTA_DO_NOT_USE_CUSTOM_CONFIG is defined"
