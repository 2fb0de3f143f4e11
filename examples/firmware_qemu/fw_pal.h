/*
 * The firmware's PAL: the received file goes into the flash slot (fw_noinit.h), closeFile checks
 * its ECDSA P-256 / SHA-256 signature against the public key compiled into the firmware (the
 * job's certfile names nothing the PAL uses), activate marks the image for a trial boot and
 * resets the device, and the image state lives in the boot record, which the reset keeps.
 */
#ifndef FW_PAL_H
#define FW_PAL_H

#include <stdint.h>

#include "ota.h"

typedef struct FwPalStats
{
    uint32_t createCalls;
    uint32_t reopenCalls;       /* fwPalReopenFile (resume) */
    uint32_t reopened;          /* ... that reopened the partial file */
    uint32_t writeCalls;
    uint32_t badWrites;         /* out of range, or programming over unerased flash */
    uint32_t closeCalls;
    uint32_t signatureChecks;   /* closeFile calls that reached the ECDSA check */
    uint32_t signaturesValid;
    uint32_t abortCalls;
    uint32_t activateCalls;
    uint32_t resetCalls;
    uint32_t setStateCalls;
    uint32_t stackFreeBeforeCheck; /* calling task's stack high-water mark (words) as the check began */
} FwPalStats_t;

/* Fills the PAL part of the interface table. */
void fwPalInit( OtaPalInterface_t * pPal );

/* ota_ext.h's reopenFile hook: reopens the partial file in the slot without erasing it. */
OtaPalStatus_t fwPalReopenFile( OtaFileContext_t * const pFileContext );

/* A copy of the counters (of this boot). */
FwPalStats_t fwPalStats( void );

#endif /* FW_PAL_H */
