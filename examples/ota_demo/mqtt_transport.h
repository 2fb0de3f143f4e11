/* ota-rs example: the MQTT transport the demo's device side talks through.
 * SPDX-License-Identifier: MIT
 *
 * This is the seam between the device and "the cloud". The device side (ota_mqtt_glue.c, which
 * feeds the OTA agent) only ever uses the three calls below plus the receive callback it
 * registers when it connects. In this demo they are served by the in-process simulated AWS IoT
 * (cloud_sim.c). To run the same device code against a real broker, implement this struct with
 * your MQTT client instead, for example coreMQTT:
 *
 *   subscribe   -> MQTT_Subscribe and wait for the SUBACK (return false on a failure code)
 *   unsubscribe -> MQTT_Unsubscribe and wait for the UNSUBACK
 *   publish     -> MQTT_Publish (QoS 0 or 1 as asked)
 *   receive     -> call it from your client's incoming PUBLISH handler, for every message on
 *                  a subscribed topic, from the thread that runs the client (not from inside
 *                  publish), exactly as the simulator's network thread does.
 *
 * Contract, for any implementation:
 * - Topic names and payloads are byte strings with explicit lengths; topics are not
 *   NUL-terminated.
 * - The calls may be made from any thread; they do not call `receive` themselves.
 * - `receive` may run concurrently with the calls; its buffers are valid only during the call.
 * - publish copies the payload before returning.
 */
#ifndef MQTT_TRANSPORT_H_
#define MQTT_TRANSPORT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for every message that arrives on a subscribed topic. */
typedef void ( * MqttTransportReceive_t )( void * pReceiveContext,
                                           const char * pTopic,
                                           size_t topicLength,
                                           const uint8_t * pPayload,
                                           size_t payloadLength );

typedef struct MqttTransport
{
    /* Subscribes to a topic filter; true once the broker granted it. */
    bool ( * subscribe )( void * pConnection,
                          const char * pTopicFilter,
                          size_t topicFilterLength,
                          uint8_t qos );

    /* Removes a subscription; true once the broker confirmed it. */
    bool ( * unsubscribe )( void * pConnection,
                            const char * pTopicFilter,
                            size_t topicFilterLength );

    /* Sends a message; true once it is handed to the network. */
    bool ( * publish )( void * pConnection,
                        const char * pTopic,
                        size_t topicLength,
                        const uint8_t * pPayload,
                        size_t payloadLength,
                        uint8_t qos );

    /* The implementation's connection, passed back to each call. */
    void * pConnection;
} MqttTransport_t;

#endif /* MQTT_TRANSPORT_H_ */
