/* ota-rs example: the version of this firmware build.
 * SPDX-License-Identifier: MIT
 *
 * The OTA agent reads appFirmwareVersion (ota_appversion32.h) to report which image started an
 * update ("updatedBy") and to check, after the restart, that the new image is newer. It is a
 * constant of the build: the demo builds the same sources twice, with different
 * -DAPP_VERSION_MAJOR/MINOR/BUILD (ota_demo_v1 and ota_demo_v2 in examples/CMakeLists.txt). */

#include "ota_appversion32.h"

#if !defined( APP_VERSION_MAJOR ) || !defined( APP_VERSION_MINOR ) || !defined( APP_VERSION_BUILD )
    #error "Define APP_VERSION_MAJOR, APP_VERSION_MINOR and APP_VERSION_BUILD for this build"
#endif

const AppVersion32_t appFirmwareVersion =
{
    .u.x.major = APP_VERSION_MAJOR,
    .u.x.minor = APP_VERSION_MINOR,
    .u.x.build = APP_VERSION_BUILD,
};
