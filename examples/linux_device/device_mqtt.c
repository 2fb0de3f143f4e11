/* ota-rs Linux device: MQTT through libmosquitto, TLS 1.2 with a client certificate.
 * SPDX-License-Identifier: MIT
 *
 * The same code connects to AWS IoT Core (endpoint xxxx-ats.iot.<region>.amazonaws.com, port
 * 8883, the thing's certificate and key, Amazon Root CA 1) or to the local test broker.
 * A network thread of ours runs libmosquitto and reconnects after any loss (libmosquitto's own
 * loop_start thread ends for good on a TLS error, e.g. a peer gone without close_notify); the
 * subscriptions of a clean session are made again on every new connection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "device.h"

#define MAX_SUBSCRIPTIONS    8U
#define TOPIC_MAX            256U
#define SUBACK_WAIT_MS       5000U
#define KEEPALIVE_S          30
#define RECONNECT_MIN_S      1U
#define RECONNECT_MAX_S      5U

typedef struct Subscription
{
    char topic[ TOPIC_MAX ];
    int qos;
    bool used;
} Subscription_t;

static struct mosquitto * mosq;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static Subscription_t subscriptions[ MAX_SUBSCRIPTIONS ];
static bool connected;
static int connackCode = -1;
static uint32_t epoch;
static int lastSubackMid = -1;
static int lastSubackQos;
static bool subscriptionRefused;
static pthread_t networkThread;
static volatile bool stopping;

static struct timespec deadlineAfter( uint32_t ms )
{
    struct timespec t;

    ( void ) clock_gettime( CLOCK_REALTIME, &t );
    t.tv_sec += ( time_t ) ( ms / 1000U );
    t.tv_nsec += ( long ) ( ms % 1000U ) * 1000000L;

    if( t.tv_nsec >= 1000000000L )
    {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }

    return t;
}

/* ---- libmosquitto callbacks (its network thread) ---- */

static void onConnect( struct mosquitto * m,
                       void * pUser,
                       int rc )
{
    ( void ) pUser;
    pthread_mutex_lock( &lock );
    connackCode = rc;

    if( rc == 0 )
    {
        connected = true;
        epoch++;

        /* A clean session starts without subscriptions: make the agent's again. */
        for( size_t i = 0; i < MAX_SUBSCRIPTIONS; i++ )
        {
            if( subscriptions[ i ].used )
            {
                ( void ) mosquitto_subscribe( m, NULL, subscriptions[ i ].topic, subscriptions[ i ].qos );
            }
        }
    }

    pthread_cond_broadcast( &changed );
    pthread_mutex_unlock( &lock );
}

static void onDisconnect( struct mosquitto * m,
                          void * pUser,
                          int rc )
{
    ( void ) m;
    ( void ) pUser;
    ( void ) rc;
    pthread_mutex_lock( &lock );
    connected = false;
    pthread_cond_broadcast( &changed );
    pthread_mutex_unlock( &lock );
}

static void onSubscribe( struct mosquitto * m,
                         void * pUser,
                         int mid,
                         int count,
                         const int * pGranted )
{
    ( void ) m;
    ( void ) pUser;
    pthread_mutex_lock( &lock );
    lastSubackMid = mid;
    lastSubackQos = ( count > 0 ) ? pGranted[ 0 ] : 0x80;

    if( lastSubackQos == 0x80 )
    {
        subscriptionRefused = true;
    }

    pthread_cond_broadcast( &changed );
    pthread_mutex_unlock( &lock );
}

static bool contains( const char * pText,
                      const char * pPart )
{
    return strstr( pText, pPart ) != NULL;
}

static void onMessage( struct mosquitto * m,
                       void * pUser,
                       const struct mosquitto_message * pMsg )
{
    OtaEvent_t eventId;

    ( void ) m;
    ( void ) pUser;

    if( contains( pMsg->topic, "/streams/" ) && contains( pMsg->topic, "/data/" ) )
    {
        eventId = OtaAgentEventReceivedFileBlock;
        DeviceProgress_Block( 0 );
    }
    else if( contains( pMsg->topic, "/jobs/" ) && !contains( pMsg->topic, "/rejected" ) )
    {
        eventId = OtaAgentEventReceivedJobDocument;
        DeviceProgress_JobDocument( pMsg->payload, ( size_t ) pMsg->payloadlen );
    }
    else
    {
        /* v2.0.0 subscribes no rejected topic; AWS's error documents only show up here if the
         * application subscribes them itself. */
        printf( "device: message on %s: %.*s\n", pMsg->topic, pMsg->payloadlen, ( const char * ) pMsg->payload );
        return;
    }

    if( !DeviceEvents_Deliver( eventId, pMsg->payload, ( size_t ) pMsg->payloadlen ) )
    {
        printf( "device: a %d-byte message on %s was dropped (agent busy or message too large)\n",
                pMsg->payloadlen, pMsg->topic );
    }
}

/* ---- The agent's MQTT interface (agent and timer threads) ---- */

static void copyTopic( char * pOut,
                       const char * pTopic,
                       uint16_t length )
{
    size_t n = ( length < ( TOPIC_MAX - 1U ) ) ? length : ( TOPIC_MAX - 1U );

    memcpy( pOut, pTopic, n );
    pOut[ n ] = '\0';
}

static OtaMqttStatus_t subscribe( const char * pTopicFilter,
                                  uint16_t length,
                                  uint8_t qos )
{
    char topic[ TOPIC_MAX ];
    struct timespec deadline = deadlineAfter( SUBACK_WAIT_MS );
    int mid = 0;
    int rc = 0;
    bool granted = false;

    if( length >= TOPIC_MAX )
    {
        return OtaMqttSubscribeFailed;
    }

    copyTopic( topic, pTopicFilter, length );
    pthread_mutex_lock( &lock );

    /* Remembered for reconnects, once per topic. */
    {
        Subscription_t * pSlot = NULL;

        for( size_t i = 0; i < MAX_SUBSCRIPTIONS; i++ )
        {
            if( subscriptions[ i ].used && ( strcmp( subscriptions[ i ].topic, topic ) == 0 ) )
            {
                pSlot = &subscriptions[ i ];
                break;
            }

            if( !subscriptions[ i ].used && ( pSlot == NULL ) )
            {
                pSlot = &subscriptions[ i ];
            }
        }

        if( pSlot != NULL )
        {
            memcpy( pSlot->topic, topic, sizeof( topic ) );
            pSlot->qos = qos;
            pSlot->used = true;
        }
    }

    if( ( mosq == NULL ) || ( mosquitto_subscribe( mosq, &mid, topic, qos ) != MOSQ_ERR_SUCCESS ) )
    {
        pthread_mutex_unlock( &lock );
        return OtaMqttSubscribeFailed;
    }

    /* Ends at the SUBACK or the deadline. */
    while( ( lastSubackMid != mid ) && ( rc != ETIMEDOUT ) )
    {
        rc = pthread_cond_timedwait( &changed, &lock, &deadline );
    }

    granted = ( lastSubackMid == mid ) && ( lastSubackQos != 0x80 );
    pthread_mutex_unlock( &lock );

    if( !granted )
    {
        printf( "device: the broker %s the subscription to %s: check the thing name and that the policy allows it\n",
                ( rc == ETIMEDOUT ) ? "did not confirm" : "refused", topic );
    }

    return granted ? OtaMqttSuccess : OtaMqttSubscribeFailed;
}

static OtaMqttStatus_t unsubscribe( const char * pTopicFilter,
                                    uint16_t length,
                                    uint8_t qos )
{
    char topic[ TOPIC_MAX ];

    ( void ) qos;

    if( length >= TOPIC_MAX )
    {
        return OtaMqttUnsubscribeFailed;
    }

    copyTopic( topic, pTopicFilter, length );
    pthread_mutex_lock( &lock );

    for( size_t i = 0; i < MAX_SUBSCRIPTIONS; i++ )
    {
        if( subscriptions[ i ].used && ( strcmp( subscriptions[ i ].topic, topic ) == 0 ) )
        {
            subscriptions[ i ].used = false;
        }
    }

    int rc = ( mosq != NULL ) ? mosquitto_unsubscribe( mosq, NULL, topic ) : MOSQ_ERR_NO_CONN;
    pthread_mutex_unlock( &lock );

    return ( rc == MOSQ_ERR_SUCCESS ) ? OtaMqttSuccess : OtaMqttUnsubscribeFailed;
}

static OtaMqttStatus_t publish( const char * const pTopic,
                                uint16_t topicLength,
                                const char * pMsg,
                                uint32_t msgSize,
                                uint8_t qos )
{
    char topic[ TOPIC_MAX ];
    int rc;

    if( topicLength >= TOPIC_MAX )
    {
        return OtaMqttPublishFailed;
    }

    copyTopic( topic, pTopic, topicLength );
    /* Under the lock: DeviceMqtt_Disconnect may be destroying the client (an agent that did
     * not stop in time can still publish). */
    pthread_mutex_lock( &lock );
    rc = ( mosq != NULL ) ? mosquitto_publish( mosq, NULL, topic, ( int ) msgSize, pMsg, qos, false ) : MOSQ_ERR_NO_CONN;
    pthread_mutex_unlock( &lock );

    return ( rc == MOSQ_ERR_SUCCESS ) ? OtaMqttSuccess : OtaMqttPublishFailed;
}

void DeviceMqtt_Interface( OtaMqttInterface_t * pMqtt )
{
    pMqtt->subscribe = subscribe;
    pMqtt->unsubscribe = unsubscribe;
    pMqtt->publish = publish;
}

/* ---- Connection ---- */

static void markDisconnected( void )
{
    pthread_mutex_lock( &lock );
    connected = false;
    pthread_cond_broadcast( &changed );
    pthread_mutex_unlock( &lock );
}

/* Runs until DeviceMqtt_Disconnect; every loop call is bounded by its 100 ms timeout and every
 * reconnect by the TCP/TLS connect, with 1-5 s between attempts. */
static void * networkTask( void * pArgument )
{
    unsigned int delay = RECONNECT_MIN_S;

    ( void ) pArgument;

    while( !stopping )
    {
        int rc = mosquitto_loop( mosq, 100, 1 );

        if( ( rc == MOSQ_ERR_SUCCESS ) || stopping )
        {
            continue;
        }

        markDisconnected();
        sleep( delay );

        if( !stopping && ( mosquitto_reconnect( mosq ) == MOSQ_ERR_SUCCESS ) )
        {
            delay = RECONNECT_MIN_S;
        }
        else
        {
            delay = ( ( delay * 2U ) > RECONNECT_MAX_S ) ? RECONNECT_MAX_S : ( delay * 2U );
        }
    }

    return NULL;
}

bool DeviceMqtt_Connect( const DeviceMqttConfig_t * pConfig,
                         uint32_t waitMs )
{
    struct timespec deadline = deadlineAfter( waitMs );
    int rc;
    int waitRc = 0;

    mosquitto_lib_init();
    /* Client ID = thing name, as AWS IoT policies expect (iot:Connect on client/<thing>). */
    mosq = mosquitto_new( pConfig->pThingName, true, NULL );

    if( mosq == NULL )
    {
        printf( "device: cannot create the MQTT client: %s\n", strerror( errno ) );
        return false;
    }

    /* Our network thread runs the client: without this, libmosquitto writes each publish from
     * the caller's thread, into the TLS connection the network thread is reading (a race
     * inside OpenSSL that crashed devices of a 1,000-device fleet). */
    ( void ) mosquitto_threaded_set( mosq, true );
    mosquitto_connect_callback_set( mosq, onConnect );
    mosquitto_disconnect_callback_set( mosq, onDisconnect );
    mosquitto_subscribe_callback_set( mosq, onSubscribe );
    mosquitto_message_callback_set( mosq, onMessage );

    rc = mosquitto_tls_set( mosq, pConfig->pRootCa, NULL, pConfig->pCert, pConfig->pKey, NULL );

    if( rc != MOSQ_ERR_SUCCESS )
    {
        printf( "device: cannot use the TLS files (root CA %s, certificate %s, key %s): %s\n",
                pConfig->pRootCa, pConfig->pCert, pConfig->pKey, mosquitto_strerror( rc ) );
        return false;
    }

    ( void ) mosquitto_tls_opts_set( mosq, 1 /* verify the broker */, "tlsv1.2", NULL );
    rc = mosquitto_connect( mosq, pConfig->pEndpoint, pConfig->port, KEEPALIVE_S );

    if( rc != MOSQ_ERR_SUCCESS )
    {
        printf( "device: cannot connect to %s:%d: %s (is the endpoint right and reachable, and does the broker accept this certificate?)\n",
                pConfig->pEndpoint, pConfig->port,
                ( rc == MOSQ_ERR_ERRNO ) ? strerror( errno ) : mosquitto_strerror( rc ) );
        return false;
    }

    if( pthread_create( &networkThread, NULL, networkTask, NULL ) != 0 )
    {
        printf( "device: cannot start the MQTT network thread\n" );
        return false;
    }

    pthread_mutex_lock( &lock );

    /* Ends at the CONNACK, the connection's loss or the deadline. */
    while( ( connackCode < 0 ) && ( waitRc != ETIMEDOUT ) )
    {
        waitRc = pthread_cond_timedwait( &changed, &lock, &deadline );
    }

    rc = connackCode;
    pthread_mutex_unlock( &lock );

    if( rc != 0 )
    {
        printf( "device: %s:%d %s\n", pConfig->pEndpoint, pConfig->port,
                ( rc < 0 ) ? "did not accept the connection (TLS handshake refused: check the certificate, key and root CA)"
                           : mosquitto_connack_string( rc ) );
        stopping = true;
        ( void ) pthread_join( networkThread, NULL );
        return false;
    }

    return true;
}

bool DeviceMqtt_IsConnected( uint32_t * pEpoch )
{
    bool up;

    pthread_mutex_lock( &lock );
    up = connected;
    *pEpoch = epoch;
    pthread_mutex_unlock( &lock );

    return up;
}

bool DeviceMqtt_SubscriptionRefused( void )
{
    bool refused;

    pthread_mutex_lock( &lock );
    refused = subscriptionRefused;
    pthread_mutex_unlock( &lock );

    return refused;
}

void DeviceMqtt_Disconnect( void )
{
    if( mosq != NULL )
    {
        struct mosquitto * m = mosq;

        stopping = true;
        ( void ) mosquitto_disconnect( m );
        ( void ) pthread_join( networkThread, NULL );
        pthread_mutex_lock( &lock );
        mosq = NULL;
        pthread_mutex_unlock( &lock );
        mosquitto_destroy( m );
    }

    mosquitto_lib_cleanup();
}
