/* ota-rs example: the OTA agent's MQTT interface on top of an MqttTransport_t.
 * SPDX-License-Identifier: MIT
 *
 * Outgoing: the agent's subscribe / unsubscribe / publish calls (OtaMqttInterface_t) go to the
 * transport. Incoming: OtaMqttGlue_Receive, registered as the transport's receive callback,
 * copies each message into a buffer of the event pool and queues it for the agent:
 *   $aws/things/<thing>/jobs/...              -> OtaAgentEventReceivedJobDocument
 *   $aws/things/<thing>/streams/<s>/data/cbor -> OtaAgentEventReceivedFileBlock
 * This file knows nothing of the simulated cloud; it is the part a product keeps. */
#ifndef OTA_MQTT_GLUE_H_
#define OTA_MQTT_GLUE_H_

#include <stddef.h>
#include <stdint.h>

#include "mqtt_transport.h"
#include "ota.h"

/* Uses pTransport (copied) for the agent's outgoing calls. */
void OtaMqttGlue_Init( const MqttTransport_t * pTransport );

/* The agent's MQTT interface, for OtaInterfaces_t.mqtt. */
void OtaMqttGlue_Interface( OtaMqttInterface_t * pMqtt );

/* MqttTransportReceive_t: hands a message to the agent (pReceiveContext is unused). */
void OtaMqttGlue_Receive( void * pReceiveContext,
                          const char * pTopic,
                          size_t topicLength,
                          const uint8_t * pPayload,
                          size_t payloadLength );

/* Counters, for the demo's console. */
typedef struct OtaMqttGlueStats
{
    uint32_t jobDocuments;  /* job messages queued for the agent */
    uint32_t fileBlocks;    /* stream blocks queued for the agent */
    uint32_t dropped;       /* messages dropped: no free buffer, too large, or queue full */
} OtaMqttGlueStats_t;

void OtaMqttGlue_GetStats( OtaMqttGlueStats_t * pStats );

#endif /* OTA_MQTT_GLUE_H_ */
