/* ota-rs: compiled with libota.a's C shim (build.rs) and again inside each CMake target that
 * links `ota`, each time with that build's own compiler and flags. It fails the build when those lay out a v2.0.0 type otherwise than libota.a was
 * built with (-fshort-enums, packing, other headers or ota_config.h).
 * SPDX-License-Identifier: MIT */

#include "ota.h"
#include "ota_appversion32.h"
#include "ota_private.h"
#include "ota_os_interface.h"
#include "ota_mqtt_interface.h"
#include "ota_http_interface.h"
#include "ota_platform_interface.h"
#include "ota_base64_private.h"
#include "ota_cbor_private.h"
#include "ota_mqtt_private.h"
#include "ota_http_private.h"
#include "ota_interface_private.h"
#include "ota_ext.h"

/* Written by libota.a's build (build.rs) from the layouts the Rust side was compiled with. */
#include "ota_rs_layout_guard.h"

/* ISO C wants at least one declaration in a translation unit. */
typedef int OtaRsLayoutGuard_t;
