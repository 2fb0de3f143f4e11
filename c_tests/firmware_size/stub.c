/* ota-rs: a firmware stub that keeps every public entry point of libota.a, for the Cortex-M4
 * size budget. Built twice, with and without -DWITH_OTA; the difference is what the library
 * adds to a firmware. A third build, -DWITH_OTA_RESUME, also keeps the resume extension
 * (ota_ext.h), which a firmware links only when it registers. SPDX-License-Identifier: MIT */

#include <stddef.h>
#include <stdint.h>

#ifdef WITH_OTA
    #include "ota.h"
    #include "ota_appversion32.h"
    #include "ota_cbor_private.h"
    #include "ota_base64_private.h"
    #include "ota_mqtt_private.h"
    #include "ota_http_private.h"
    #ifdef WITH_OTA_RESUME
        #include "ota_ext.h"
    #endif

    const AppVersion32_t appFirmwareVersion = { .u.unsignedVersion32 = 0x01000000U };
    const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

    /* Every address is taken in a const table (flash, so the RAM figures are the libraries'
     * own) that main reads through a volatile pointer, which keeps --gc-sections from dropping
     * any of it. */
    static const void * const entryPoints[] =
    {
        ( const void * ) OTA_Init,                    ( const void * ) OTA_Shutdown,
        ( const void * ) OTA_GetState,                ( const void * ) OTA_ActivateNewImage,
        ( const void * ) OTA_SetImageState,           ( const void * ) OTA_GetImageState,
        ( const void * ) OTA_CheckForUpdate,          ( const void * ) OTA_Suspend,
        ( const void * ) OTA_Resume,                  ( const void * ) OTA_EventProcessingTask,
        ( const void * ) OTA_SignalEvent,             ( const void * ) OTA_GetStatistics,
        ( const void * ) OTA_Err_strerror,            ( const void * ) OTA_JobParse_strerror,
        ( const void * ) OTA_PalStatus_strerror,      ( const void * ) OTA_OsStatus_strerror,
        ( const void * ) OTA_MQTT_strerror,           ( const void * ) OTA_HTTP_strerror,
        ( const void * ) base64Decode,
        ( const void * ) OTA_CBOR_Encode_GetStreamRequestMessage,
        ( const void * ) OTA_CBOR_Decode_GetStreamResponseMessage,
        #ifdef WITH_OTA_RESUME
            ( const void * ) OTA_EXT_SetResume,
        #endif
    };
#else
    static const void * const entryPoints[ 1 ] = { NULL };
#endif

int main( void )
{
    const void * const * volatile table = entryPoints;
    uintptr_t sum = 0U;

    for( size_t i = 0U; i < ( sizeof( entryPoints ) / sizeof( entryPoints[ 0 ] ) ); i++ )
    {
        sum += ( uintptr_t ) table[ i ];
    }

    return ( int ) ( sum & 1U );
}
