/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * A scripted PAL for the simulator: the receive file is a RAM buffer, the "signature" is a
 * 32-bit FNV-1a digest of the file that the job document carries in base64 under
 * OTA_JsonFileSignatureKey, and the platform image state is a small state machine. Every call
 * is counted so the test can say exactly what the agent asked of the platform. The functions
 * are static and reach the agent only through OtaPalInterface_t (no otaPal_* symbols).
 */

#ifndef SIM_PAL_H
#define SIM_PAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ota.h"

/* Largest file the RAM "flash" holds, and the most blocks whose writes are counted. */
#define SIM_PAL_CAPACITY      ( 32U * 1024U )
#define SIM_PAL_MAX_BLOCKS    ( SIM_PAL_CAPACITY / OTA_FILE_BLOCK_SIZE )

typedef struct SimPalStats
{
    uint32_t createCalls;
    uint32_t writeCalls;
    uint32_t closeCalls;
    uint32_t closeVerified;     /* closeFile calls whose digest matched */
    uint32_t abortCalls;
    uint32_t abortsOfOpenFile;  /* abort calls that discarded an open receive file */
    uint32_t activateCalls;
    uint32_t resetCalls;
    uint32_t setStateCalls;
    uint32_t getStateCalls;
    uint32_t badCalls;          /* writes out of range, calls without an open file, ... */
    uint32_t writesPerBlock[ SIM_PAL_MAX_BLOCKS ]; /* of the file created last */
    char filePath[ 64 ];        /* of the file created last */
    uint32_t fileSize;          /* of the file created last */
} SimPalStats_t;

/* Fills the PAL part of the interface table and resets everything (platform state: Valid). */
void simPalInit( OtaPalInterface_t * pPal );

/* A copy of the counters. */
SimPalStats_t simPalStats( void );

/* The last file that closed with a matching digest, and its size (0: none yet). */
const uint8_t * simPalVerifiedImage( uint32_t * pSize );

/* The platform image state the PAL would report now. */
OtaPalImageState_t simPalPlatformState( void );

/* The digest closeFile checks (FNV-1a, 32 bits), for the cloud's job documents. */
uint32_t simPalDigest( const uint8_t * pData,
                       uint32_t length );

#endif /* SIM_PAL_H */
