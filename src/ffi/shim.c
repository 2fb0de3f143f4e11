/* ota-rs: the C half of the FFI edge. SPDX-License-Identifier: MIT
 *
 * Compiled by build.rs with the application's ota_config.h, so log records from Rust go out
 * through the application's own LogError/LogWarn/LogInfo/LogDebug macros, exactly where the
 * C library's records went. It also looks up the two symbols the application defines, weakly,
 * so programs that never call the agent (codec tests, OS-port tests) link without them. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ota.h"
#include "ota_appversion32.h"

/* Levels as the Rust side numbers them (src/log.rs). */
#define OTA_RS_LEVEL_ERROR    0U
#define OTA_RS_LEVEL_WARN     1U
#define OTA_RS_LEVEL_INFO     2U
#define OTA_RS_LEVEL_DEBUG    3U

void ota_rs_log( uint32_t level,
                 const char * pMessage,
                 size_t length );

const AppVersion32_t * ota_rs_app_firmware_version( void );

const char * ota_rs_json_file_signature_key( void );

void ota_rs_trap( void ) __attribute__( ( noreturn ) );

void ota_rs_log( uint32_t level,
                 const char * pMessage,
                 size_t length )
{
    /* The record is pre-formatted by Rust; "%.*s" passes it through any printf-like macro. */
    int len = ( length > 0x7fffffffU ) ? 0x7fffffff : ( int ) length;

    switch( level )
    {
        case OTA_RS_LEVEL_ERROR:
            LogError( ( "%.*s", len, pMessage ) );
            break;

        case OTA_RS_LEVEL_WARN:
            LogWarn( ( "%.*s", len, pMessage ) );
            break;

        case OTA_RS_LEVEL_INFO:
            LogInfo( ( "%.*s", len, pMessage ) );
            break;

        default:
            LogDebug( ( "%.*s", len, pMessage ) );
            break;
    }

    /* Used only by the macros the application enabled. */
    ( void ) len;
    ( void ) pMessage;
}

/* Weak: an undefined weak symbol has address NULL instead of failing the link. */
extern const AppVersion32_t appFirmwareVersion __attribute__( ( weak ) );
extern const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] __attribute__( ( weak ) );

const AppVersion32_t * ota_rs_app_firmware_version( void )
{
    return &appFirmwareVersion;
}

const char * ota_rs_json_file_signature_key( void )
{
    return OTA_JsonFileSignatureKey;
}

/* The panic handler's end: a trap costs two bytes, where abort() pulls in newlib's signals. */
void ota_rs_trap( void )
{
    __builtin_trap();
}
