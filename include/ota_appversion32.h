/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_appversion32.h
 * @brief The application's firmware version, as one 32-bit word or as major.minor.build.
 */

#ifndef IOT_APPVERSION32_H
#define IOT_APPVERSION32_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Firmware version. u.x is laid out so that u.unsignedVersion32 reads
 * major << 24 | minor << 16 | build on either byte order.
 */
typedef struct
{
    union
    {
        /* Byte order test kept exactly as in v2.0.0, including its fall-back to little endian
         * when neither __BYTE_ORDER nor __LITTLE_ENDIAN is defined (both read as 0). */
        #if ( defined( __BYTE_ORDER__ ) && defined( __ORDER_LITTLE_ENDIAN__ ) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ) || ( __little_endian__ == 1 ) || WIN32 || ( __BYTE_ORDER == __LITTLE_ENDIAN )
            struct version
            {
                uint16_t build; /*!< @brief Build number. */
                uint8_t minor;  /*!< @brief Minor version. */
                uint8_t major;  /*!< @brief Major version. */
            } x;                /*!< @brief The three parts. */
        #elif ( defined( __BYTE_ORDER__ ) && defined( __ORDER_BIG_ENDIAN__ ) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ) || ( __big_endian__ == 1 ) || ( __BYTE_ORDER == __BIG_ENDIAN )
            struct version
            {
                uint8_t major;  /*!< @brief Major version. */
                uint8_t minor;  /*!< @brief Minor version. */
                uint16_t build; /*!< @brief Build number. */
            } x;                /*!< @brief The three parts. */
        #else
            #error "ota_appversion32.h: cannot tell the byte order of this target"
        #endif
        uint32_t unsignedVersion32; /*!< @brief The packed word. */
        int32_t signedVersion32;    /*!< @brief The packed word, signed. */
    } u;                            /*!< @brief Version, in either view. */
} AppVersion32_t;

/** @brief Version of the running firmware; defined by the application. */
extern const AppVersion32_t appFirmwareVersion;

#ifdef __cplusplus
}
#endif

#endif /* IOT_APPVERSION32_H */
