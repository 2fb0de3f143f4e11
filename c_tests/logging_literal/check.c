/* ota-rs: with ota_config.h macros that paste text onto a literal format, libota.a's records
 * still arrive whole: formatted by the shim and handed to the macro as "%s". Prints what the
 * macros printed; scripts/check-literal-logs.sh compares it. SPDX-License-Identifier: MIT */

#include <stddef.h>
#include <stdio.h>

#include "ota.h"
#include "ota_appversion32.h"

const AppVersion32_t appFirmwareVersion = { .u.unsignedVersion32 = 0x01000000U };
const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] = "sig-sha256-ecdsa";

int main( void )
{
    OtaEventMsg_t event = { NULL, OtaAgentEventStart };

    setvbuf( stdout, NULL, _IONBF, 0 );
    /* A text-only record, then one with a number (the agent is stopped). */
    ( void ) OTA_Init( NULL, NULL, NULL, NULL );
    ( void ) OTA_SignalEvent( &event );
    return 0;
}
