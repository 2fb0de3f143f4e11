/* ota-rs POSIX PAL: the signature key name the PAL verifies. SPDX-License-Identifier: MIT
 *
 * Compiled into libota.a only with the `pal-posix` feature. Linux applications that linked the
 * SDK's POSIX PAL got OTA_JsonFileSignatureKey from it, so this PAL provides it too; weakly, so
 * an application that defines its own keeps it without a duplicate symbol. The Rust PAL calls
 * ota_rs_pal_posix_signature_key(), which is also what makes the linker take this object. */

#include "ota.h"

const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ] __attribute__( ( weak ) ) = "sig-sha256-ecdsa";

const char * ota_rs_pal_posix_signature_key( void );

const char * ota_rs_pal_posix_signature_key( void )
{
    return OTA_JsonFileSignatureKey;
}
