/* The firmware's boot code and the "flash" it shares with the PAL (fw_pal.c). */
#ifndef FW_BOOT_H
#define FW_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "fw_noinit.h"

/* What fwBoot() decided. */
typedef struct FwBootInfo
{
    bool runningNew;       /* the image in the slot runs (its version), not the factory one */
    uint32_t version;      /* the running version word, also in appFirmwareVersion */
    const char * pWhy;     /* one phrase for the boot line */
} FwBootInfo_t;

/* Once, before the scheduler: checks the boot record and the slot (header and signature),
 * decides which version runs and sets appFirmwareVersion. */
void fwBoot( void );
const FwBootInfo_t * fwBootInfo( void );

/* The boot record: intact (magic and checksum) and re-sealed after each change. */
bool fwRecordIntact( void );
void fwRecordSeal( void );

/* Flash rules on the slot: erase whole sectors to 0xFF; programming can only clear bits. */
void fwFlashErase( uint32_t length );
bool fwFlashProgram( uint32_t offset,
                     const uint8_t * pData,
                     uint32_t length );

/* SHA-256 of the image, ECDSA P-256 against the trust anchor compiled into the firmware. */
bool fwImageSignatureValid( const uint8_t * pImage,
                            uint32_t size,
                            const uint8_t * pSignature,
                            uint32_t signatureSize );

/* The image's header: magic and size agree; its version. */
bool fwImageHeaderValid( const uint8_t * pImage,
                         uint32_t size,
                         uint32_t * pVersion );

/* Provided by the application: its last words before fwSystemReset() resets the device. */
void fwPrepareReset( void );

/* SYSRESETREQ: the whole device resets; the NOINIT region is kept. */
void fwSystemReset( void ) __attribute__( ( noreturn ) );

#endif /* FW_BOOT_H */
