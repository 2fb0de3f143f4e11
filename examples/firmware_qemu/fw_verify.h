/* The signature check of verify/ (a no_std Rust staticlib: RustCrypto p256 and sha2). */
#ifndef FW_VERIFY_H
#define FW_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the SHA-256 of `length` bytes at `pData` to 32 bytes at `pOut`; false for NULL. */
bool fw_sha256( const uint8_t * pData,
                size_t length,
                uint8_t * pOut );

/* Whether the `derLength` bytes at `pDer` are a DER ECDSA P-256 signature by the 65-byte SEC1
 * uncompressed key at `pPublicKey` over the 32-byte SHA-256 digest at `pDigest`. */
bool fw_verify_p256( const uint8_t * pPublicKey,
                     const uint8_t * pDigest,
                     const uint8_t * pDer,
                     size_t derLength );

#endif /* FW_VERIFY_H */
