/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_platform_interface.h
 * @brief What the platform abstraction layer (PAL) provides: file storage, signature check,
 * image state, activation and reset.
 */

#ifndef OTA_PLATFORM_INTERFACE
#define OTA_PLATFORM_INTERFACE

#include "ota_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief PAL status word: main code in the top 8 bits, platform sub-code in the low 24. */
typedef uint32_t   OtaPalStatus_t;

/** @brief Platform-specific part of a PAL status word. */
typedef uint32_t   OtaPalSubStatus_t;

/** @brief Main PAL codes (the top 8 bits of OtaPalStatus_t). */
typedef enum OtaPalMainStatus
{
    OtaPalSuccess = 0,                 /*!< @brief Done. */
    OtaPalUninitialized = 0xe0,        /*!< @brief Not set yet. */
    OtaPalOutOfMemory = 0xe1,          /*!< @brief Out of memory. */
    OtaPalNullFileContext = 0xe2,      /*!< @brief No file context. */
    OtaPalSignatureCheckFailed = 0xe3, /*!< @brief Signature did not verify. */
    OtaPalRxFileCreateFailed = 0xe4,   /*!< @brief Receive file could not be created. */
    OtaPalRxFileTooLarge = 0xe5,       /*!< @brief File larger than the platform can store. */
    OtaPalBootInfoCreateFailed = 0xe6, /*!< @brief Boot information could not be written. */
    OtaPalBadSignerCert = 0xe7,        /*!< @brief Signer certificate unusable. */
    OtaPalBadImageState = 0xe8,        /*!< @brief Image state out of range. */
    OtaPalAbortFailed = 0xe9,          /*!< @brief Abort failed. */
    OtaPalRejectFailed = 0xea,         /*!< @brief Reject failed. */
    OtaPalCommitFailed = 0xeb,         /*!< @brief Commit failed. */
    OtaPalActivateFailed = 0xec,       /*!< @brief Activation failed. */
    OtaPalFileAbort = 0xed,            /*!< @brief Low-level file abort failed. */
    OtaPalFileClose = 0xee             /*!< @brief Low-level file close failed. */
} OtaPalMainStatus_t;

/* Helpers to split and build PAL status words. Like v2.0.0, OTA_PAL_COMBINE_ERR does not mask sub. */
#define OTA_PAL_ERR_MASK                    0xffffffUL /*!< @brief Mask of the sub-code bits. */
#define OTA_PAL_SUB_BITS                    24U        /*!< @brief Width of the sub-code. */
#define OTA_PAL_MAIN_ERR( err )             ( ( OtaPalMainStatus_t ) ( uint32_t ) ( ( uint32_t ) ( err ) >> ( uint32_t ) OTA_PAL_SUB_BITS ) ) /*!< @brief Main code of a status word. */
#define OTA_PAL_SUB_ERR( err )              ( ( uint32_t ) ( err ) & ( uint32_t ) OTA_PAL_ERR_MASK )                                          /*!< @brief Sub-code of a status word. */
#define OTA_PAL_COMBINE_ERR( main, sub )    ( ( uint32_t ) ( main ) << ( uint32_t ) OTA_PAL_SUB_BITS | ( uint32_t ) ( sub ) )                 /*!< @brief Build a status word. */

/** @brief Abandon the receive file (may be called before it is open). */
typedef OtaPalStatus_t ( * OtaPalAbort_t )( OtaFileContext_t * const pFileContext );

/** @brief Create (and erase) the receive file described by the context. */
typedef OtaPalStatus_t ( * OtaPalCreateFileForRx_t )( OtaFileContext_t * const pFileContext );

/** @brief Verify the signature and close the receive file. */
typedef OtaPalStatus_t ( * OtaPalCloseFile_t )( OtaFileContext_t * const pFileContext );

/** @brief Write blockSize bytes at offset; returns bytes written or a negative error. */
typedef int16_t ( * OtaPalWriteBlock_t )( OtaFileContext_t * const pFileContext,
                                          uint32_t offset,
                                          uint8_t * const pData,
                                          uint32_t blockSize );

/** @brief Switch to the new image (normally by resetting; returns only on failure). */
typedef OtaPalStatus_t ( * OtaPalActivateNewImage_t )( OtaFileContext_t * const pFileContext );

/** @brief Reset the device (returns only on failure). */
typedef OtaPalStatus_t ( * OtaPalResetDevice_t )( OtaFileContext_t * const pFileContext );

/** @brief Accept, reject, abort or mark for test the new image. */
typedef OtaPalStatus_t ( * OtaPalSetPlatformImageState_t )( OtaFileContext_t * const pFileContext,
                                                            OtaImageState_t eState );

/** @brief Report whether the running image is pending commit, valid or invalid. */
typedef OtaPalImageState_t ( * OtaPalGetPlatformImageState_t )( OtaFileContext_t * const pFileContext );

/** @brief The PAL. */
typedef struct OtaPalInterface
{
    OtaPalAbort_t abort;                                 /*!< @brief Abandon the file. */
    OtaPalCreateFileForRx_t createFile;                  /*!< @brief Create the file. */
    OtaPalCloseFile_t closeFile;                         /*!< @brief Verify and close. */
    OtaPalWriteBlock_t writeBlock;                       /*!< @brief Write a block. */
    OtaPalActivateNewImage_t activate;                   /*!< @brief Activate the image. */
    OtaPalResetDevice_t reset;                           /*!< @brief Reset. */
    OtaPalSetPlatformImageState_t setPlatformImageState; /*!< @brief Set image state. */
    OtaPalGetPlatformImageState_t getPlatformImageState; /*!< @brief Get image state. */
} OtaPalInterface_t;

#ifdef __cplusplus
}
#endif

#endif /* OTA_PLATFORM_INTERFACE */
