/* ota-rs example: the OTA agent's MQTT interface on top of an MqttTransport_t
 * (see ota_mqtt_glue.h). SPDX-License-Identifier: MIT */

#include "ota_mqtt_glue.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ota_event_pool.h"
#include "ota_private.h"

/* How long the network thread waits for the agent to release an event buffer before it drops
 * a message (the agent asks again for anything missing when its request timer fires). */
#define EVENT_BUFFER_WAIT_MS    2000U

static MqttTransport_t transport;
static OtaMqttGlueStats_t stats;
static pthread_mutex_t statsLock = PTHREAD_MUTEX_INITIALIZER;

void OtaMqttGlue_Init( const MqttTransport_t * pTransport )
{
    transport = *pTransport;
}

/* ---- Outgoing: OtaMqttInterface_t -------------------------------------------------------- */

static OtaMqttStatus_t otaMqttSubscribe( const char * pTopicFilter,
                                         uint16_t topicFilterLength,
                                         uint8_t ucQoS )
{
    bool ok = ( transport.subscribe != NULL ) &&
              transport.subscribe( transport.pConnection, pTopicFilter, topicFilterLength, ucQoS );

    return ok ? OtaMqttSuccess : OtaMqttSubscribeFailed;
}

static OtaMqttStatus_t otaMqttUnsubscribe( const char * pTopicFilter,
                                           uint16_t topicFilterLength,
                                           uint8_t ucQoS )
{
    bool ok = ( transport.unsubscribe != NULL ) &&
              transport.unsubscribe( transport.pConnection, pTopicFilter, topicFilterLength );

    ( void ) ucQoS;

    return ok ? OtaMqttSuccess : OtaMqttUnsubscribeFailed;
}

static OtaMqttStatus_t otaMqttPublish( const char * const pacTopic,
                                       uint16_t usTopicLen,
                                       const char * pcMsg,
                                       uint32_t ulMsgSize,
                                       uint8_t ucQos )
{
    bool ok = ( transport.publish != NULL ) &&
              transport.publish( transport.pConnection, pacTopic, usTopicLen,
                                 ( const uint8_t * ) pcMsg, ulMsgSize, ucQos );

    return ok ? OtaMqttSuccess : OtaMqttPublishFailed;
}

void OtaMqttGlue_Interface( OtaMqttInterface_t * pMqtt )
{
    pMqtt->subscribe = otaMqttSubscribe;
    pMqtt->unsubscribe = otaMqttUnsubscribe;
    pMqtt->publish = otaMqttPublish;
}

/* ---- Incoming: messages -> agent events -------------------------------------------------- */

static bool contains( const char * pTopic,
                      size_t topicLength,
                      const char * pPart )
{
    size_t partLength = strlen( pPart );

    for( size_t i = 0; ( i + partLength ) <= topicLength; i++ )
    {
        if( memcmp( &pTopic[ i ], pPart, partLength ) == 0 )
        {
            return true;
        }
    }

    return false;
}

static bool endsWith( const char * pTopic,
                      size_t topicLength,
                      const char * pSuffix )
{
    size_t suffixLength = strlen( pSuffix );

    return ( topicLength >= suffixLength ) &&
           ( memcmp( &pTopic[ topicLength - suffixLength ], pSuffix, suffixLength ) == 0 );
}

static void countDrop( void )
{
    pthread_mutex_lock( &statsLock );
    stats.dropped++;
    pthread_mutex_unlock( &statsLock );
}

void OtaMqttGlue_Receive( void * pReceiveContext,
                          const char * pTopic,
                          size_t topicLength,
                          const uint8_t * pPayload,
                          size_t payloadLength )
{
    OtaEventMsg_t eventMsg = { 0 };
    OtaEventData_t * pBuffer;

    ( void ) pReceiveContext;

    if( contains( pTopic, topicLength, "/streams/" ) && endsWith( pTopic, topicLength, "/data/cbor" ) )
    {
        eventMsg.eventId = OtaAgentEventReceivedFileBlock;
    }
    else if( contains( pTopic, topicLength, "/jobs/" ) )
    {
        eventMsg.eventId = OtaAgentEventReceivedJobDocument;
    }
    else
    {
        printf( "device: ignoring a message on %.*s\n", ( int ) topicLength, pTopic );
        return;
    }

    if( payloadLength > sizeof( pBuffer->data ) )
    {
        printf( "device: dropping a %zu-byte message on %.*s: larger than an event buffer (%zu)\n",
                payloadLength, ( int ) topicLength, pTopic, sizeof( pBuffer->data ) );
        countDrop();
        return;
    }

    pBuffer = OtaEventPool_Get( EVENT_BUFFER_WAIT_MS );

    if( pBuffer == NULL )
    {
        printf( "device: no free OTA event buffer; dropping a message on %.*s\n",
                ( int ) topicLength, pTopic );
        countDrop();
        return;
    }

    memcpy( pBuffer->data, pPayload, payloadLength );
    pBuffer->dataLength = ( uint32_t ) payloadLength;
    eventMsg.pEventData = pBuffer;

    if( !OTA_SignalEvent( &eventMsg ) )
    {
        /* The agent did not take it (stopped, or its queue is full): the buffer is still ours. */
        OtaEventPool_Release( pBuffer );
        countDrop();
        return;
    }

    pthread_mutex_lock( &statsLock );

    if( eventMsg.eventId == OtaAgentEventReceivedFileBlock )
    {
        stats.fileBlocks++;
    }
    else
    {
        stats.jobDocuments++;
    }

    pthread_mutex_unlock( &statsLock );
}

void OtaMqttGlue_GetStats( OtaMqttGlueStats_t * pStats )
{
    pthread_mutex_lock( &statsLock );
    *pStats = stats;
    pthread_mutex_unlock( &statsLock );
}
