/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_cbor_private.h
 * @brief CBOR messages of the AWS IoT streaming service (GetStream request and response).
 */

#ifndef OTA_CBOR_H
#define OTA_CBOR_H

/* v2.0.0 relies on the includer for these; including them here makes the header stand alone. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Map keys of the streaming service messages. */
#define OTA_CBOR_CLIENTTOKEN_KEY          "c" /*!< @brief Client token. */
#define OTA_CBOR_FILEID_KEY               "f" /*!< @brief File ID. */
#define OTA_CBOR_BLOCKSIZE_KEY            "l" /*!< @brief Block size. */
#define OTA_CBOR_BLOCKOFFSET_KEY          "o" /*!< @brief First block offset. */
#define OTA_CBOR_BLOCKBITMAP_KEY          "b" /*!< @brief Requested-block bitmap. */
#define OTA_CBOR_STREAMDESCRIPTION_KEY    "d" /*!< @brief Stream description. */
#define OTA_CBOR_STREAMFILES_KEY          "r" /*!< @brief Stream files. */
#define OTA_CBOR_FILESIZE_KEY             "z" /*!< @brief File size. */
#define OTA_CBOR_BLOCKID_KEY              "i" /*!< @brief Block ID. */
#define OTA_CBOR_BLOCKPAYLOAD_KEY         "p" /*!< @brief Block payload. */
#define OTA_CBOR_NUMBEROFBLOCKS_KEY       "n" /*!< @brief Number of blocks. */

/** @brief Decode one GetStream response; the payload is copied to *pPayload, *pPayloadSize is its capacity in and length out. */
bool OTA_CBOR_Decode_GetStreamResponseMessage( const uint8_t * pMessageBuffer,
                                               size_t messageSize,
                                               int32_t * pFileId,
                                               int32_t * pBlockId,
                                               int32_t * pBlockSize,
                                               uint8_t ** pPayload,
                                               size_t * pPayloadSize );

/** @brief Encode one GetStream request into pMessageBuffer; *pEncodedMessageSize gets its length. */
bool OTA_CBOR_Encode_GetStreamRequestMessage( uint8_t * pMessageBuffer,
                                              size_t messageBufferSize,
                                              size_t * pEncodedMessageSize,
                                              const char * pClientToken,
                                              int32_t fileId,
                                              int32_t blockSize,
                                              int32_t blockOffset,
                                              uint8_t * pBlockBitmap,
                                              size_t blockBitmapSize,
                                              int32_t numOfBlocksRequested );

#ifdef __cplusplus
}
#endif

#endif /* OTA_CBOR_H */
