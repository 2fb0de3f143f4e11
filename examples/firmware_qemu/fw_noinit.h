/*
 * What survives a reset: the NOINIT region of link.ld, which no section of the ELF covers, so
 * neither QEMU (it reloads the ELF's segments at a reset) nor Reset_Handler writes it. It holds
 *   - the device's "flash": a boot record, one image slot and two sectors for the OTA agent's
 *     resume record (mps2-an386 has no writable flash; this RAM stands in for it and is written
 *     with flash rules: erase to 0xFF, then program);
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

/* One of the two sectors that keep the agent's resume record (ota_ext.h; fw_resume.c). A save
 * erases the sector that does not hold the newest record, programs the record, its length and
 * sequence number, and the commit word last: a save cut short leaves the older sector in force. */
#define FW_RESUME_SECTORS    2U
#define FW_RESUME_HEADER     16U
typedef struct FwResumeSector
{
    uint32_t commit;   /* FW_RESUME_COMMIT once the rest is programmed; 0xFFFFFFFF while erased */
    uint32_t sequence; /* the newer of two committed sectors has the higher one */
    uint32_t length;   /* of the record, in bytes */
    uint32_t reserved;
    uint8_t data[ FW_SECTOR_SIZE - FW_RESUME_HEADER ]; /* the record, as the agent made it */
} FwResumeSector_t;

typedef struct FwFlash
{
    FwBootRecord_t record;
    uint8_t pad[ FW_SECTOR_SIZE - sizeof( FwBootRecord_t ) ]; /* the record has a sector of its own */
    uint8_t slot[ FW_SLOT_SIZE ];
    FwResumeSector_t resume[ FW_RESUME_SECTORS ];
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
    /* Scenario resume: the boot that the reset interrupted, and the boot that resumed. */
    uint32_t writesBeforeReset;  /* blocks written to the slot before the reset */
    uint32_t sentBeforeReset;    /* blocks the cloud sent before the reset */
    uint32_t neededAtReset;      /* blocks the resume record still needed at the reset */
    uint32_t sentAfterReset;     /* blocks the cloud sent in the boot that resumed */
    uint32_t resumed;            /* 1: that boot reopened the partial file and went on */
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
