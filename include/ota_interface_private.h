/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_interface_private.h
 * @brief Protocol selection: the control and data plane function tables.
 */

#ifndef OTA_INTERFACE_PRIVATE_H
#define OTA_INTERFACE_PRIVATE_H

#include "ota.h"
#include "ota_private.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Control plane protocols (bit flags). */
#define OTA_CONTROL_OVER_MQTT     0x00000001 /*!< @brief Control over MQTT. */

/* Data plane protocols (bit flags). */
#define OTA_DATA_OVER_MQTT        0x00000001 /*!< @brief Data over MQTT. */
#define OTA_DATA_OVER_HTTP        0x00000002 /*!< @brief Data over HTTP. */
#define OTA_DATA_NUM_PROTOCOLS    ( 2U )     /*!< @brief Number of data protocols. */

/** @brief Control plane operations. */
typedef struct
{
    OtaErr_t ( * requestJob )( OtaAgentContext_t * pAgentCtx );     /*!< @brief Ask for the next job. */
    OtaErr_t ( * updateJobStatus )( OtaAgentContext_t * pAgentCtx,
                                    OtaJobStatus_t status,
                                    int32_t reason,
                                    int32_t subReason );             /*!< @brief Report job status. */
    OtaErr_t ( * cleanup )( const OtaAgentContext_t * pAgentCtx );   /*!< @brief Release control plane resources. */
} OtaControlInterface_t;

/** @brief Data plane operations. */
typedef struct
{
    OtaErr_t ( * initFileTransfer )( OtaAgentContext_t * pAgentCtx ); /*!< @brief Prepare the download. */
    OtaErr_t ( * requestFileBlock )( OtaAgentContext_t * pAgentCtx ); /*!< @brief Request blocks. */
    OtaErr_t ( * decodeFileBlock )( const uint8_t * pMessageBuffer,
                                    size_t messageSize,
                                    int32_t * pFileId,
                                    int32_t * pBlockId,
                                    int32_t * pBlockSize,
                                    uint8_t ** pPayload,
                                    size_t * pPayloadSize );           /*!< @brief Extract a block from a message. */
    OtaErr_t ( * cleanup )( const OtaAgentContext_t * pAgentCtx );     /*!< @brief Release data plane resources. */
} OtaDataInterface_t;

/** @brief Fill in the control plane table for the configured protocol. */
void setControlInterface( OtaControlInterface_t * pControlInterface );

/** @brief Fill in the data plane table from the job's protocol list and the enabled protocols. */
OtaErr_t setDataInterface( OtaDataInterface_t * pDataInterface,
                           const uint8_t * pProtocol );

#ifdef __cplusplus
}
#endif

#endif /* OTA_INTERFACE_PRIVATE_H */
