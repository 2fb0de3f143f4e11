/* ota-rs: the POSIX platform abstraction layer (PAL) for OTA v2.0.0.
 * SPDX-License-Identifier: MIT
 *
 * The otaPal_* functions Linux applications of v2.0.0 link, with the names and prototypes of
 * the POSIX PAL in the AWS IoT Device SDK for Embedded C. They live in libota.a when it is built
 * with the `pal-posix` Cargo feature (CMake: -DOTA_PAL_POSIX=ON); ports/posix/README.md tells
 * what each one does. An application points its OtaInterfaces_t at them:
 *
 *     otaInterfaces.pal.getPlatformImageState = otaPal_GetPlatformImageState;
 *     otaInterfaces.pal.setPlatformImageState = otaPal_SetPlatformImageState;
 *     otaInterfaces.pal.writeBlock = otaPal_WriteBlock;
 *     otaInterfaces.pal.activate = otaPal_ActivateNewImage;
 *     otaInterfaces.pal.closeFile = otaPal_CloseFile;
 *     otaInterfaces.pal.reset = otaPal_ResetDevice;
 *     otaInterfaces.pal.abort = otaPal_Abort;
 *     otaInterfaces.pal.createFile = otaPal_CreateFileForRx;
 *
 * The image state file is PlatformImageState.txt in the folder named by the environment
 * variable OTA_PAL_POSIX_STATE_DIR, or in the working directory when it is unset or empty. */

#ifndef OTA_PAL_POSIX_H_
#define OTA_PAL_POSIX_H_

#include <stdint.h>

#include "ota.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest path of the image state file, NUL included. */
#define OTA_FILE_PATH_LENGTH_MAX    512

/* Outcome of building a file path from the working directory (kept from the SDK's header for
 * source compatibility; no function of this PAL returns it). */
typedef enum OtaPalPathGenStatus
{
    OtaPalFileGenSuccess,
    OtaPalCWDFailed,
    OtaPalBufferInsufficient
} OtaPalPathGenStatus_t;

/* Closes and deletes the partially received file, if one is open. */
OtaPalStatus_t otaPal_Abort( OtaFileContext_t * const C );

/* Creates (truncates) the receive file at C->pFilePath and keeps its stream in C->pFile. */
OtaPalStatus_t otaPal_CreateFileForRx( OtaFileContext_t * const C );

/* Verifies C->pSignature (sig-sha256-ecdsa) over the file with the public key of the PEM
 * certificate at C->pCertFilepath, then closes the file. On success the image state becomes
 * Testing; on failure it becomes Aborted and the file is deleted. */
OtaPalStatus_t otaPal_CloseFile( OtaFileContext_t * const C );

/* Writes ulBlockSize bytes at ulOffset; returns the bytes written, or -1 on error. */
int16_t otaPal_WriteBlock( OtaFileContext_t * const C,
                           uint32_t ulOffset,
                           uint8_t * const pcData,
                           uint32_t ulBlockSize );

/* Returns success; the application restarts itself into the new image. */
OtaPalStatus_t otaPal_ActivateNewImage( OtaFileContext_t * const C );

/* Returns success without resetting anything. */
OtaPalStatus_t otaPal_ResetDevice( OtaFileContext_t * const C );

/* Records eState (Testing, Accepted, Rejected or Aborted) in the image state file. */
OtaPalStatus_t otaPal_SetPlatformImageState( OtaFileContext_t * const C,
                                             OtaImageState_t eState );

/* Reads the image state file: Testing -> PendingCommit, Accepted or no file -> Valid,
 * anything else -> Invalid. */
OtaPalImageState_t otaPal_GetPlatformImageState( OtaFileContext_t * const C );

#ifdef __cplusplus
}
#endif

#endif /* OTA_PAL_POSIX_H_ */
