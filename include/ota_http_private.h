/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_http_private.h
 * @brief Data plane over HTTP (range requests against the job's pre-signed URL).
 */

#ifndef OTA_HTTP_H
#define OTA_HTTP_H

#include "ota.h"
#include "ota_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Hand the job's pre-signed URL to the HTTP glue. */
OtaErr_t initFileTransfer_Http( OtaAgentContext_t * pAgentCtx );

/** @brief Request the next missing block as a byte range. */
OtaErr_t requestDataBlock_Http( OtaAgentContext_t * pAgentCtx );

/** @brief HTTP bodies are raw: report the buffer as the next block's payload. */
OtaErr_t decodeFileBlock_Http( const uint8_t * pMessageBuffer,
                               size_t messageSize,
                               int32_t * pFileId,
                               int32_t * pBlockId,
                               int32_t * pBlockSize,
                               uint8_t ** pPayload,
                               size_t * pPayloadSize );

/** @brief Reset the block counter and tear the HTTP glue down. */
OtaErr_t cleanupData_Http( const OtaAgentContext_t * pAgentCtx );

/** @brief Name of an OtaHttpStatus_t value. */
const char * OTA_HTTP_strerror( OtaHttpStatus_t status );

#ifdef __cplusplus
}
#endif

#endif /* OTA_HTTP_H */
