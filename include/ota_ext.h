/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_ext.h
 * @brief Extensions of ota-rs. NOT PART OF AWS IoT OTA v2.0.0: no other v2.0.0 library has
 * them, and an application that uses nothing from this header behaves, and talks to the cloud,
 * exactly as with v2.0.0.
 *
 * Resume across reboot and power loss: the application hands the agent callbacks that save,
 * load and erase one small record (which job, which file, which blocks are still needed), and a
 * PAL hook that reopens the partial file without truncating it. After a reboot, when the job
 * document names the same job, stream, file ID, size and path as the saved record and the PAL
 * reopens the file, the agent asks only for the blocks the record still needs. The signature
 * check at close covers the whole file, as always. Anything else starts from block 0 and erases
 * the record.
 */

#ifndef OTA_EXT_H_
#define OTA_EXT_H_

#include <stdbool.h>
#include <stdint.h>

#include "ota.h"
#include "ota_platform_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Version of the record layout below (its byte 4). */
#define OTA_EXT_RESUME_RECORD_VERSION          1U

/** @brief Bytes of a record around its variable parts: a 28-byte header and a 4-byte CRC. */
#define OTA_EXT_RESUME_RECORD_FIXED_SIZE       32U

/** @brief Longest stream name a record holds (AWS IoT stream IDs have at most 128 characters). */
#define OTA_EXT_RESUME_STREAM_NAME_MAX         128U

/** @brief Largest record: every job ID, stream name and block bitmap fits. */
#define OTA_EXT_RESUME_RECORD_MAX_SIZE                                    \
    ( OTA_EXT_RESUME_RECORD_FIXED_SIZE + ( OTA_JOB_ID_MAX_SIZE - 1U ) + \
      OTA_EXT_RESUME_STREAM_NAME_MAX + OTA_MAX_BLOCK_BITMAP_SIZE )

/** @brief Blocks between two saves when the application gives 0. */
#define OTA_EXT_RESUME_DEFAULT_SAVE_INTERVAL   16U

/**
 * @brief What the application gives the agent for resume. The agent keeps the pointer, so the
 * structure and the record buffer must outlive the agent (as OtaInterfaces_t does).
 *
 * The record (all numbers little-endian) is, byte by byte:
 *
 *     0   4  magic "OTAR"
 *     4   1  OTA_EXT_RESUME_RECORD_VERSION
 *     5   1  J: length of the job ID (1..72)
 *     6   1  S: length of the stream name (0 over HTTP)
 *     7   1  0
 *     8   4  file size in bytes
 *     12  4  block size (otaconfigFILE_BLOCK_SIZE)
 *     16  4  the job's file ID
 *     20  4  CRC-32 of the job's file path (its "filepath", without NUL)
 *     24  2  B: length of the bitmap in bytes (one bit per block of the file, rounded up)
 *     26  2  0
 *     28  J  job ID
 *     ..  S  stream name
 *     ..  B  bitmap: bit i % 8 of byte i / 8 is set while block i is still needed
 *     ..  4  CRC-32 (IEEE 802.3, as zlib's crc32()) of every byte before it
 *
 * A record is 32 + J + S + B bytes, at most OTA_EXT_RESUME_RECORD_MAX_SIZE.
 *
 * All callbacks run on the OTA agent task, never inside the library's critical section.
 */
typedef struct OtaResumeInterface
{
    /**
     * @brief Stores the record, replacing the one stored before; true when it is stored.
     * A record should replace the old one atomically (write aside, then switch): a record cut
     * short by a power loss fails its CRC and the download starts from block 0.
     */
    bool ( * save )( const uint8_t * pRecord,
                     uint32_t recordSize );

    /** @brief Copies the stored record into pBuffer and returns its size: 0 when there is none
     * (or it does not fit bufferSize bytes). */
    uint32_t ( * load )( uint8_t * pBuffer,
                         uint32_t bufferSize );

    /** @brief Forgets the stored record; true when none is stored afterwards. */
    bool ( * erase )( void );

    /**
     * @brief PAL hook: opens the file the context names (pFilePath) for writing as createFile
     * would, but keeps its contents, and sets pFile. Any status but OtaPalSuccess starts the
     * download from block 0 (the agent then calls createFile).
     */
    OtaPalStatus_t ( * reopenFile )( OtaFileContext_t * const pFileContext );

    /**
     * @brief PAL hook, may be NULL: makes every block written so far durable. The agent calls it
     * before each save, so a record never counts a block that a power loss could take back.
     * NULL when writeBlock's data is durable once it returns.
     */
    OtaPalStatus_t ( * flushFile )( OtaFileContext_t * const pFileContext );

    /** @brief Where the agent builds and checks records: OTA_EXT_RESUME_RECORD_MAX_SIZE bytes
     * hold every record; a record larger than recordBufferSize is not saved. */
    uint8_t * pRecordBuffer;

    /** @brief Size of pRecordBuffer in bytes. */
    uint32_t recordBufferSize;

    /**
     * @brief Save after every this many new blocks (0: OTA_EXT_RESUME_DEFAULT_SAVE_INTERVAL).
     * A download of N blocks saves at most N / saveEveryBlocks times, plus once at each
     * OTA_Suspend that follows new blocks, and erases once when its job ends.
     */
    uint32_t saveEveryBlocks;
} OtaResumeInterface_t;

/**
 * @brief Registers resume (NULL unregisters). Call it before OTA_EventProcessingTask starts. It
 * may be called at any time from any thread; a change takes effect at the agent's next use of
 * the table, so a table replaced or unregistered must stay valid until the agent task is idle.
 *
 * @return OtaErrNone, or OtaErrInvalidArg when save, load, erase, reopenFile or pRecordBuffer is
 * NULL or recordBufferSize is below OTA_EXT_RESUME_RECORD_FIXED_SIZE (the registration
 * stays as it was).
 */
OtaErr_t OTA_EXT_SetResume( const OtaResumeInterface_t * pResume );

#ifdef __cplusplus
}
#endif

#endif /* ifndef OTA_EXT_H_ */
