/* ota-rs Linux device: this build's firmware version (set by CMake per executable).
 * SPDX-License-Identifier: MIT */
#include "ota_appversion32.h"

const AppVersion32_t appFirmwareVersion =
{
    .u.x.major = APP_VERSION_MAJOR,
    .u.x.minor = APP_VERSION_MINOR,
    .u.x.build = APP_VERSION_BUILD,
};
