/* ota-rs Linux device: what the device's modules share. SPDX-License-Identifier: MIT
 *
 *   device_main.c    arguments, boot, the OTA agent and its callback, reboot, progress
 *   device_mqtt.c    libmosquitto: TLS connection, reconnects, the agent's OtaMqttInterface_t
 *   device_http.c    libcurl: the agent's OtaHttpInterface_t (range requests on the job's URL)
 *   device_events.c  the pool of OtaEventData_t buffers that carry messages to the agent */
#ifndef DEVICE_H_
#define DEVICE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota.h"
#include "ota_private.h"

/* ---- Event buffers (device_events.c) ---- */
_Static_assert( otaconfigMAX_NUM_OTA_DATA_BUFFERS > otaconfigMAX_NUM_BLOCKS_REQUEST,
                "one request's blocks and a job document must fit in the event buffers" );

/* A free buffer, or NULL once waitMs passed without one. */
OtaEventData_t * DeviceEvents_Get( uint32_t waitMs );
/* Gives a buffer back (the callback's OtaJobEventProcessed, or an event the agent refused). */
void DeviceEvents_Release( OtaEventData_t * pBuffer );
/* Copies a message into a buffer and queues it for the agent; false if it was dropped. */
bool DeviceEvents_Deliver( OtaEvent_t eventId,
                           const void * pPayload,
                           size_t length );

/* From now on every message is dropped: called before OTA_Shutdown, so the network thread never
 * blocks on a queue the stopped agent no longer drains. */
void DeviceEvents_Close( void );

/* ---- MQTT (device_mqtt.c) ---- */
typedef struct DeviceMqttConfig
{
    const char * pEndpoint;
    int port;
    const char * pRootCa;
    const char * pCert;
    const char * pKey;
    const char * pThingName;
} DeviceMqttConfig_t;

/* Connects (TLS 1.2, mutual authentication) and starts the network thread; false with the
 * reason printed when the endpoint cannot be reached or the broker refuses the device. */
bool DeviceMqtt_Connect( const DeviceMqttConfig_t * pConfig,
                         uint32_t waitMs );
/* true while connected; *pEpoch counts connections, so a change means "reconnected". */
bool DeviceMqtt_IsConnected( uint32_t * pEpoch );
void DeviceMqtt_Disconnect( void );
void DeviceMqtt_Interface( OtaMqttInterface_t * pMqtt );
/* Set when the broker refused a subscription (the thing name or the policy is wrong). */
bool DeviceMqtt_SubscriptionRefused( void );

/* ---- HTTP (device_http.c) ---- */
void DeviceHttp_Interface( OtaHttpInterface_t * pHttp );
/* Set (and cleared by the call) when the URL was refused as expired: the job document must be
 * fetched again for a fresh URL. */
bool DeviceHttp_TakeUrlRefused( void );

/* ---- Progress (device_main.c) ---- */
void DeviceProgress_JobDocument( const uint8_t * pDoc,
                                 size_t length );
void DeviceProgress_Block( size_t bytes );
void device_log_prefix( void );

#endif /* DEVICE_H_ */
