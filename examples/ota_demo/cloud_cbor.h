/* ota-rs example, simulated cloud: the two CBOR messages of AWS IoT MQTT-based file delivery.
 * SPDX-License-Identifier: MIT
 *
 * A minimal CBOR reader and writer written for the simulator (no CBOR library): definite-length
 * maps with text keys, unsigned integers, text and byte strings. Part of the cloud side. */
#ifndef CLOUD_CBOR_H_
#define CLOUD_CBOR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A GetStream request, published by the device on .../streams/<stream>/get/cbor:
 * {"c": client token, "f": file id, "l": block size, "o": first block, "b": bitmap of the
 * blocks wanted (bit i of byte i/8, least significant first, is block o + i), "n": most blocks
 * to send}. Pointers point into the decoded message. */
typedef struct CloudStreamRequest
{
    const uint8_t * pClientToken;
    size_t clientTokenLength;
    uint32_t fileId;
    uint32_t blockSize;
    uint32_t blockOffset;
    const uint8_t * pBitmap;
    size_t bitmapLength;
    uint32_t numBlocks;
} CloudStreamRequest_t;

/* Decodes a GetStream request. "f", "l", "b" and "n" are required; "c" and "o" optional (o
 * defaults to 0); other keys with integer or string values are skipped. False for anything
 * else: not a definite map, wrong value types, numbers above 32 bits, truncation. */
bool CloudCbor_DecodeStreamRequest( const uint8_t * pMessage,
                                    size_t length,
                                    CloudStreamRequest_t * pRequest );

/* Encodes one data block, as published on .../streams/<stream>/data/cbor:
 * {"f": file id, "i": block id, "l": block size, "p": payload}. Returns the encoded length, or
 * 0 if it does not fit in `capacity` bytes. */
size_t CloudCbor_EncodeBlock( uint8_t * pOut,
                              size_t capacity,
                              uint32_t fileId,
                              uint32_t blockId,
                              const uint8_t * pPayload,
                              uint32_t payloadLength );

#endif /* CLOUD_CBOR_H_ */
