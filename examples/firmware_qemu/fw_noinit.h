/*
 * What survives a reset: the NOINIT region of link.ld, which no section of the ELF covers, so
 * neither QEMU (it reloads the ELF's segments at a reset) nor Reset_Handler writes it. It holds
 *   - the device's "flash": a boot record and one image slot (mps2-an386 has no writable flash;
 *     this RAM stands in for it and is written with flash rules: erase to 0xFF, then program);
 *   - simulation only, not device state: what the simulated cloud must remember across the
 *     device's reset (on a real system the cloud is elsewhere and does not reset), and the test
 *     harness's notes from the boot before.
 * Each part carries a magic and a checksum; a cold boot (QEMU starts with zeroed RAM) or a torn
 * record reads as "nothing kept".
 */
#ifndef FW_NOINIT_H
#define FW_NOINIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_cloud.h"

#define FW_SECTOR_SIZE       4096U
#define FW_SLOT_SIZE         ( 32U * 1024U )
#define FW_MAX_DER_SIG       72U /* a DER ECDSA P-256 signature: SEQUENCE of two INTEGERs of <= 33 bytes */
#define FW_FIRMWARE_PATH     "/qemu/firmware.bin"

/* The image header run.sh puts in front of the new image (little-endian words). */
#define FW_IMAGE_MAGIC       0x474D4951UL /* "QIMG" */
typedef struct FwImageHeader
{
    uint32_t magic;
    uint32_t version; /* an AppVersion32_t word: major << 24 | minor << 16 | build */
    uint32_t size;    /* of the whole image, this header included */
    uint32_t reserved;
} FwImageHeader_t;

/* The slot's life: Empty -> Receiving (createFile) -> Verified (closeFile, signature good)
 * -> PendingCommit (activate, then reset; the boot code runs it on trial) -> Committed
 * (accepted) or Invalid (rejected, or a second boot without acceptance: rolled back). */
typedef enum FwSlotState
{
    FwSlotEmpty = 0,
    FwSlotReceiving,
    FwSlotVerified,
    FwSlotPendingCommit,
    FwSlotCommitted,
    FwSlotInvalid
} FwSlotState_t;

typedef struct FwBootRecord
{
    uint32_t magic;
    uint32_t slotState;   /* FwSlotState_t */
    uint32_t imageSize;
    uint32_t trialBoots;  /* boots of the PendingCommit image so far */
    uint32_t signatureSize;
    uint8_t signature[ FW_MAX_DER_SIG ]; /* the verified image's signature, checked again at boot */
    uint32_t checksum;    /* of everything above */
} FwBootRecord_t;

typedef struct FwFlash
{
    FwBootRecord_t record;
    uint8_t pad[ FW_SECTOR_SIZE - sizeof( FwBootRecord_t ) ]; /* the record has a sector of its own */
    uint8_t slot[ FW_SLOT_SIZE ];
} FwFlash_t;

/* Simulation only: the cloud's execution record of the one job the scenario runs. */
typedef struct FwCloudMemory
{
    uint32_t magic;
    SimCloudJobRecord_t job;
    uint32_t checksum;
} FwCloudMemory_t;

/* Simulation only: the harness's notes, so the last boot can report the whole run. */
typedef struct FwHarnessMemory
{
    uint32_t magic;
    uint32_t boots;              /* since QEMU started */
    uint32_t stackPeakDownload;  /* OTA task peak stack (bytes) in the boot that downloaded */
    uint32_t stackPeakBeforeSig; /* ... of it, measured as the PAL began the signature check */
    uint32_t timerRecoveries;    /* request-timer events in the download boot */
    uint32_t checksum;
} FwHarnessMemory_t;

typedef struct FwNoInit
{
    FwFlash_t flash;
    FwCloudMemory_t cloud;
    FwHarnessMemory_t harness;
} FwNoInit_t;

/* The region, checked once against link.ld's NOINIT size by fwNoInit(). */
FwNoInit_t * fwNoInit( void );

/* 32-bit FNV-1a, for the records' checksums. */
uint32_t fwChecksum( const void * pData,
                     uint32_t length );

#endif /* FW_NOINIT_H */
