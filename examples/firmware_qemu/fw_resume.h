/*
 * The agent's resume record (ota_ext.h, an ota-rs extension, not part of v2.0.0) in the device's
 * "flash": two sectors of fw_noinit.h's FwFlash_t, written erase-then-program with a commit word
 * programmed last, so a save cut short by a reset leaves the previous record in force. A record
 * is taken only when its own CRC-32 (the last four bytes, as ota_ext.h lays it out) checks.
 * Only the libota.a firmwares link it (the v2.0.0 C library has no resume).
 */
#ifndef FW_RESUME_H
#define FW_RESUME_H

#include <stdbool.h>
#include <stdint.h>

/* Blocks between two saves: small, so a reset mid-download finds a record. */
#define FW_RESUME_SAVE_EVERY    2U

typedef struct FwResumeStats
{
    uint32_t saves;        /* records stored */
    uint32_t saveFailures; /* records that did not fit or did not read back */
    uint32_t loads;        /* load calls */
    uint32_t loadedSize;   /* bytes the last load returned (0: none stored) */
    uint32_t erases;       /* erase calls */
} FwResumeStats_t;

/* Registers the record's save, load and erase and the PAL's reopenFile with the agent
 * (OTA_EXT_SetResume); true when the agent took them. Call before the agent starts. */
bool fwResumeRegister( void );

/* A copy of the counters (of this boot). */
FwResumeStats_t fwResumeStats( void );

/* Whether a record is stored (committed, its CRC good); if so, the blocks its bitmap still needs
 * and the blocks of its file. */
bool fwResumeStored( uint32_t * pNeeded,
                     uint32_t * pBlocks );

#endif /* FW_RESUME_H */
