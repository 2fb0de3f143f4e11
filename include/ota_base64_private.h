/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_base64_private.h
 * @brief Base64 decoder used for job document signatures.
 */

#ifndef OTA_BASE64_PRIVATE_H
#define OTA_BASE64_PRIVATE_H

#include <stdint.h>
#include <stdlib.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Result of base64Decode. */
typedef enum Base64Status
{
    Base64Success = 0,               /*!< @brief Decoded. */
    Base64InvalidSymbol = 1,         /*!< @brief Character outside the base64 alphabet. */
    Base64InvalidSymbolOrdering = 2, /*!< @brief Symbol (e.g. padding) in the wrong place. */
    Base64InvalidInputSize = 3,      /*!< @brief Length impossible for base64 text. */
    Base64NullPointerInput = 4,      /*!< @brief NULL pointer argument. */
    Base64InvalidBufferSize = 5,     /*!< @brief Output buffer too small. */
    Base64NonZeroPadding = 6,        /*!< @brief Unused trailing bits are not zero. */
    Base64InvalidPaddingSymbol = 7   /*!< @brief Wrong number of padding symbols. */
} Base64Status_t;

/** @brief Decode encodedLen base64 bytes into pDest (destLen bytes); *pResultLen gets the decoded length. */
Base64Status_t base64Decode( uint8_t * pDest,
                             const size_t destLen,
                             size_t * pResultLen,
                             const uint8_t * pEncodedData,
                             const size_t encodedLen );

#ifdef __cplusplus
}
#endif

#endif /* OTA_BASE64_PRIVATE_H */
