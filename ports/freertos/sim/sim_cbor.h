/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * Just enough CBOR (RFC 8949) for the simulated cloud's side of AWS IoT MQTT streams: one flat
 * map with short text keys whose values are integers, byte strings or text strings. Enough to
 * read the agent's GetStream requests ({"c","f","l","o","b","n"}) and to write the data blocks
 * the service answers with ({"f","i","l","p"}). Definite lengths only; nothing is allocated.
 */

#ifndef SIM_CBOR_H
#define SIM_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- writing ----------------------------------------------------------------------------- */

typedef struct SimCborWriter
{
    uint8_t * pBuffer;
    size_t capacity;
    size_t length;
    bool overflow; /* Set when an item did not fit; the writer then writes nothing more. */
} SimCborWriter_t;

void simCborWriterInit( SimCborWriter_t * pWriter,
                        uint8_t * pBuffer,
                        size_t capacity );

/* A map of `entries` key/value pairs; the pairs follow as items. */
void simCborPutMap( SimCborWriter_t * pWriter,
                    uint32_t entries );

void simCborPutInt( SimCborWriter_t * pWriter,
                    int64_t value );

void simCborPutText( SimCborWriter_t * pWriter,
                     const char * pText );

void simCborPutBytes( SimCborWriter_t * pWriter,
                      const uint8_t * pBytes,
                      size_t length );

/* Bytes written, or 0 when something did not fit. */
size_t simCborWriterLength( const SimCborWriter_t * pWriter );

/* ---- reading ----------------------------------------------------------------------------- */

#define SIM_CBOR_MAX_FIELDS     8U
#define SIM_CBOR_MAX_KEY_LEN    7U

typedef enum SimCborKind
{
    SimCborKindInt,
    SimCborKindBytes,
    SimCborKindText
} SimCborKind_t;

typedef struct SimCborField
{
    char key[ SIM_CBOR_MAX_KEY_LEN + 1U ];
    SimCborKind_t kind;
    int64_t intValue;       /* SimCborKindInt */
    const uint8_t * pBytes; /* SimCborKindBytes / SimCborKindText: points into the input */
    size_t length;
} SimCborField_t;

typedef struct SimCborMap
{
    SimCborField_t fields[ SIM_CBOR_MAX_FIELDS ];
    size_t count;
} SimCborMap_t;

/* Decodes `length` bytes that must be exactly one map as described above. False for anything
 * else: another type, indefinite lengths, nested containers, long keys, too many entries,
 * truncated input or bytes after the map. */
bool simCborDecodeMap( const uint8_t * pInput,
                       size_t length,
                       SimCborMap_t * pMap );

/* The field with this key and kind, or NULL. */
const SimCborField_t * simCborFind( const SimCborMap_t * pMap,
                                    const char * pKey,
                                    SimCborKind_t kind );

#endif /* SIM_CBOR_H */
