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
 * Trust: the device, not the job, decides which certificates verify images and where files go.
 * A job's "certfile" only picks, by plain name, one certificate the device trusts; its
 * "filepath" is a relative path inside the device's image folder. ports/posix/README.md has the
 * whole trust model. With nothing configured, every file and every certificate is refused, so
 * an application of v2.0.0 that only sets the pointers above also gives, at start-up, either
 *
 *     otaPal_PosixSetImageDir( "/var/lib/app/ota" );          folder the images go to
 *     otaPal_PosixSetTrustStore( "/etc/app/ota-signers" );    folder of signer certificates
 *     otaPal_PosixAddTrustedCertificate( "signer.pem", pem, pemLength );   or one in memory
 *
 * or the environment variables OTA_PAL_POSIX_IMAGE_DIR and OTA_PAL_POSIX_TRUST_DIR, read at
 * each use when no folder was set by a call. The image folder must not be the trust store.
 *
 * The image state file is PlatformImageState.txt in the folder named by the environment
 * variable OTA_PAL_POSIX_STATE_DIR, or in the working directory when it is unset or empty. */

#ifndef OTA_PAL_POSIX_H_
#define OTA_PAL_POSIX_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota.h"
#include "ota_ext.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest path of the image state file, of a configured folder and of a job's file path, NUL
 * included. */
#define OTA_FILE_PATH_LENGTH_MAX           512

/* Longest certificate name a job's "certfile" may give, NUL excluded. */
#define OTA_PAL_POSIX_CERT_NAME_MAX        64

/* Certificates otaPal_PosixAddTrustedCertificate holds. */
#define OTA_PAL_POSIX_TRUSTED_CERTS_MAX    4

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

/* Creates the receive file C->pFilePath, a relative path inside the image folder (a new file
 * replaces one of that name), and keeps its stream in C->pFile. Absolute paths, "..", symlinks
 * and the trust store are refused: OtaPalRxFileCreateFailed with an errno sub-code. */
OtaPalStatus_t otaPal_CreateFileForRx( OtaFileContext_t * const C );

/* Verifies C->pSignature (sig-sha256-ecdsa) over the file with the public key of the trusted
 * certificate named C->pCertFilepath (a plain name: given at start-up, else a file in the trust
 * store folder), then closes the file. On success the image state becomes Testing; on failure
 * it becomes Aborted and the file is deleted. */
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

/* ota-rs additions: the device's image folder and trusted signer certificates. Call them at
 * start-up, before OTA_Init; they are thread-safe. */

/* Sets the folder receive files are created in (a job's "filepath" is relative to it and cannot
 * leave it). NULL: back to $OTA_PAL_POSIX_IMAGE_DIR, or no folder when that is unset. The folder
 * must exist. Returns OtaPalSuccess, or OtaPalRxFileCreateFailed with EINVAL, ENAMETOOLONG or
 * the errno of opening it. */
OtaPalStatus_t otaPal_PosixSetImageDir( const char * pDir );

/* Sets the trust store folder: a job's "certfile" may name a PEM certificate file directly in
 * it. NULL: back to $OTA_PAL_POSIX_TRUST_DIR, or no folder when that is unset. Returns
 * OtaPalSuccess, or OtaPalBadSignerCert with EINVAL, ENAMETOOLONG or the errno of opening it. */
OtaPalStatus_t otaPal_PosixSetTrustStore( const char * pDir );

/* Trusts the P-256 key of the PEM X.509 certificate pPem (pemLength bytes, read during the call
 * only) for jobs whose "certfile" is pName; looked up before the trust store folder; the same
 * name again replaces it. Returns OtaPalSuccess, or OtaPalBadSignerCert with EINVAL (NULL, a
 * name that is not plain, no P-256 certificate) or ENOSPC (OTA_PAL_POSIX_TRUSTED_CERTS_MAX
 * names held already). */
OtaPalStatus_t otaPal_PosixAddTrustedCertificate( const char * pName,
                                                  const uint8_t * pPem,
                                                  size_t pemLength );

/* Forgets every certificate given with otaPal_PosixAddTrustedCertificate. */
void otaPal_PosixClearTrustedCertificates( void );

/* ota-rs additions for resume across reboot (ota_ext.h, not part of v2.0.0). An application
 * that resumes gives the agent, with OTA_EXT_SetResume:
 *
 *     resume.save = otaPal_PosixResumeSave;
 *     resume.load = otaPal_PosixResumeLoad;
 *     resume.erase = otaPal_PosixResumeErase;
 *     resume.reopenFile = otaPal_ReopenFileForRx;
 *     resume.flushFile = otaPal_FlushFile;
 */

/* Name of the resume record file, directly in the image folder. A job's "filepath" may not
 * name it, nor its ".tmp", in any folder. */
#define OTA_PAL_POSIX_RESUME_FILE    "ota_resume.rec"

/* Opens the existing receive file C->pFilePath again, read-write, keeping its contents (nothing
 * is created or truncated), and keeps its stream in C->pFile; confined as
 * otaPal_CreateFileForRx. Abort deletes it and close verifies the whole file, as after a create.
 * Returns OtaPalSuccess, or OtaPalRxFileCreateFailed: sub-code 0 for NULL C or a NULL or empty
 * path; ENOENT (no such file), EMLINK (more than one hard link), EFBIG (larger than
 * C->fileSize), ELOOP (a symlink), EISDIR, EPERM (not a regular file, the trust store, the image
 * state file's or the resume record's name), EINVAL/ENAMETOOLONG (a path a job may not give) or
 * another errno of opening it. */
OtaPalStatus_t otaPal_ReopenFileForRx( OtaFileContext_t * const C );

/* fflush and fsync of C->pFile. Returns OtaPalSuccess; OtaPalNullFileContext for NULL C or no
 * open file; OtaPalFileClose with errno when flushing fails. */
OtaPalStatus_t otaPal_FlushFile( OtaFileContext_t * const C );

/* Stores pRecord (recordSize bytes) as OTA_PAL_POSIX_RESUME_FILE in the image folder,
 * atomically: written to OTA_PAL_POSIX_RESUME_FILE ".tmp", fsync'ed, renamed over the record,
 * folder fsync'ed. False for NULL pRecord, recordSize 0, no image folder, or any failure (the
 * previous record is then kept). */
bool otaPal_PosixResumeSave( const uint8_t * pRecord,
                             uint32_t recordSize );

/* Copies the stored record into pBuffer and returns its size; 0 when there is none, or it is
 * empty, unreadable, not a regular file or larger than bufferSize. Its contents are not checked
 * (the library checks them). */
uint32_t otaPal_PosixResumeLoad( uint8_t * pBuffer,
                                 uint32_t bufferSize );

/* Deletes the stored record (and a stray ".tmp"). True when no record remains: removed,
 * already absent, or no image folder configured. */
bool otaPal_PosixResumeErase( void );

#ifdef __cplusplus
}
#endif

#endif /* OTA_PAL_POSIX_H_ */
