/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_mqtt_interface.h
 * @brief What the MQTT glue provides to the agent: subscribe, unsubscribe, publish.
 */

#ifndef OTA_MQTT_INTERFACE_H
#define OTA_MQTT_INTERFACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Status returned by the MQTT glue. */
typedef enum OtaMqttStatus
{
    OtaMqttSuccess = 0,           /*!< @brief Done. */
    OtaMqttPublishFailed = 0xa0,  /*!< @brief Publish failed. */
    OtaMqttSubscribeFailed = 0xa1,  /*!< @brief Subscribe failed. */
    OtaMqttUnsubscribeFailed = 0xa2 /*!< @brief Unsubscribe failed. */
} OtaMqttStatus_t;

/** @brief Subscribe to a topic filter at the given QoS. */
typedef OtaMqttStatus_t ( * OtaMqttSubscribe_t )( const char * pTopicFilter,
                                                  uint16_t topicFilterLength,
                                                  uint8_t ucQoS );

/** @brief Unsubscribe from a topic filter. */
typedef OtaMqttStatus_t ( * OtaMqttUnsubscribe_t )( const char * pTopicFilter,
                                                    uint16_t topicFilterLength,
                                                    uint8_t ucQoS );

/** @brief Publish ulMsgSize bytes to a topic at the given QoS. */
typedef OtaMqttStatus_t ( * OtaMqttPublish_t )( const char * const pacTopic,
                                                uint16_t usTopicLen,
                                                const char * pcMsg,
                                                uint32_t ulMsgSize,
                                                uint8_t ucQos );

/** @brief The MQTT glue. */
typedef struct OtaMqttInterface
{
    OtaMqttSubscribe_t subscribe;     /*!< @brief Subscribe. */
    OtaMqttUnsubscribe_t unsubscribe; /*!< @brief Unsubscribe. */
    OtaMqttPublish_t publish;         /*!< @brief Publish. */
} OtaMqttInterface_t;

#ifdef __cplusplus
}
#endif

#endif /* OTA_MQTT_INTERFACE_H */
