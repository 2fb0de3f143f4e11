/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_mqtt_private.h
 * @brief Control and data plane over MQTT (AWS IoT Jobs and Streams topics).
 */

#ifndef OTA_MQTT_H
#define OTA_MQTT_H

#include "ota.h"
#include "ota_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Subscribe to the job topics and publish a "$next/get" request. */
OtaErr_t requestJob_Mqtt( OtaAgentContext_t * pAgentCtx );

/** @brief Subscribe to the stream data topic of the current job. */
OtaErr_t initFileTransfer_Mqtt( OtaAgentContext_t * pAgentCtx );

/** @brief Publish a GetStream request for the missing blocks. */
OtaErr_t requestFileBlock_Mqtt( OtaAgentContext_t * pAgentCtx );

/** @brief Decode a CBOR GetStream response into file ID, block ID, block size and payload. */
OtaErr_t decodeFileBlock_Mqtt( const uint8_t * pMessageBuffer,
                               size_t messageSize,
                               int32_t * pFileId,
                               int32_t * pBlockId,
                               int32_t * pBlockSize,
                               uint8_t ** pPayload,
                               size_t * pPayloadSize );

/** @brief Unsubscribe from the job topics. */
OtaErr_t cleanupControl_Mqtt( const OtaAgentContext_t * pAgentCtx );

/** @brief Unsubscribe from the stream data topic. */
OtaErr_t cleanupData_Mqtt( const OtaAgentContext_t * pAgentCtx );

/** @brief Publish a job execution status update. */
OtaErr_t updateJobStatus_Mqtt( OtaAgentContext_t * pAgentCtx,
                               OtaJobStatus_t status,
                               int32_t reason,
                               int32_t subReason );

/** @brief Name of an OtaMqttStatus_t value. */
const char * OTA_MQTT_strerror( OtaMqttStatus_t status );

#ifdef __cplusplus
}
#endif

#endif /* OTA_MQTT_H */
