/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * An in-process AWS IoT for the simulator: the agent's MQTT interface (subscribe, unsubscribe,
 * publish) plus a FreeRTOS task playing the broker, the Jobs service and the MQTT streams
 * service. Everything the agent publishes is recorded (topic, payload, QoS, time) and handed to
 * the cloud task, which
 *   - answers "$next/get" on ".../jobs/$next/get/accepted" with the pending job's execution,
 *     echoing the client token and the status details the device last reported;
 *   - keeps each job's status from the ".../jobs/<id>/update" messages;
 *   - answers each CBOR GetStream request with the requested blocks, one CBOR data message
 *     each, on ".../streams/<name>/data/cbor";
 * and can be scripted to be offline, to drop or hold a stream request, to send a block twice,
 * and to push a job on ".../jobs/notify-next".
 *
 * Incoming messages reach the agent the way an application's MQTT callback hands them over:
 * only on topics the agent subscribed to, copied into an OtaEventData_t from a small pool, and
 * queued with OTA_SignalEvent. The application callback returns each buffer with
 * simCloudReleaseBuffer() when the agent reports OtaJobEventProcessed.
 */

#ifndef SIM_CLOUD_H
#define SIM_CLOUD_H

#include <stdbool.h>
#include <stdint.h>

#include "FreeRTOS.h"

#include "ota.h"

#define SIM_THING_NAME         "sim-thing"
#define SIM_TOPIC_MAX          200U
#define SIM_PAYLOAD_MAX        512U
#define SIM_MAX_CALLS          256U
#define SIM_MAX_STREAM_REQS    64U
#define SIM_BITMAP_MAX         32U
#define SIM_EVENT_BUFFERS      8U

/* One OTA job as the operator created it: a stream holding one file. */
typedef struct SimCloudJob
{
    const char * pJobId;
    const char * pStreamName;
    const char * pFilePath;
    const char * pCertFile;
    uint32_t fileId;
    const uint8_t * pImage;
    uint32_t imageSize;
} SimCloudJob_t;

typedef enum SimCallKind
{
    SimCallSubscribe,
    SimCallUnsubscribe,
    SimCallPublish
} SimCallKind_t;

/* One call the agent made on its MQTT interface. */
typedef struct SimCall
{
    SimCallKind_t kind;
    bool accepted;                         /* false: the broker was offline and the call failed */
    uint8_t qos;
    uint32_t timeMs;
    char topic[ SIM_TOPIC_MAX ];
    uint8_t payload[ SIM_PAYLOAD_MAX + 1U ]; /* NUL-terminated (payloads may be binary) */
    uint32_t payloadLength;                /* as published, even if longer than kept */
} SimCall_t;

typedef enum SimStreamFate
{
    SimStreamServed,
    SimStreamDropped,
    SimStreamHeld
} SimStreamFate_t;

/* One GetStream request as the cloud decoded it. */
typedef struct SimStreamRequest
{
    uint32_t timeMs;
    SimStreamFate_t fate;
    bool decoded; /* a CBOR map with all six keys, each of the right type */
    char stream[ 64 ];
    char clientToken[ 16 ];
    int64_t fileId;
    int64_t blockSize;
    int64_t blockOffset;
    int64_t numBlocks;
    uint8_t bitmap[ SIM_BITMAP_MAX ];
    uint32_t bitmapLength;
} SimStreamRequest_t;

typedef struct SimCloudCounters
{
    uint32_t jobDocsDelivered;   /* $next/get answers and notify-next pushes queued */
    uint32_t blocksDelivered;    /* data messages queued */
    uint32_t notSubscribed;      /* messages not delivered: no subscription to their topic */
    uint32_t signalFailures;     /* OTA_SignalEvent refused a message */
    uint32_t noBuffer;           /* no event buffer came free within 5 s */
    uint32_t badReleases;        /* simCloudReleaseBuffer with a pointer that was not lent out */
    uint32_t unservable;         /* stream requests that were malformed or named no known file */
} SimCloudCounters_t;

/* Fills the MQTT part of the interface table and starts the cloud task (offline, no jobs). */
void simCloudInit( OtaMqttInterface_t * pMqtt,
                   UBaseType_t taskPriority );

/* Offline, every subscribe, unsubscribe and publish fails with the MQTT interface's error. */
void simCloudSetOnline( bool online );

/* The job "$next/get" answers with (NULL: no pending job). Like the Jobs service, the cloud
 * stops offering it once its execution is in a terminal state (SUCCEEDED, FAILED, ...). */
void simCloudSetPendingJob( const SimCloudJob_t * pJob );

/* The job document names this base64 text as the file's "sig-sha256-ecdsa" (for example a DER
 * ECDSA signature made at build time) instead of the sim PAL's digest; NULL goes back to the
 * digest. The text is not copied: it must outlive the job. */
void simCloudSetJobSignature( const SimCloudJob_t * pJob,
                              const char * pBase64 );

/* What the Jobs service remembers of one job execution. The cloud outlives a device's reset;
 * a firmware that runs this simulated cloud on the device itself keeps the record somewhere a
 * reset leaves alone and restores it at the next boot. */
typedef struct SimCloudJobRecord
{
    char status[ 16 ];
    char statusDetails[ 160 ];
    uint32_t versionNumber;
} SimCloudJobRecord_t;

/* Copies the job's execution record; false if the cloud has none for the job. */
bool simCloudSaveJob( const SimCloudJob_t * pJob,
                      SimCloudJobRecord_t * pRecord );

/* Gives the job's execution the recorded status, status details and version. */
void simCloudRestoreJob( const SimCloudJob_t * pJob,
                         const SimCloudJobRecord_t * pRecord );

/* Pushes the job's execution on notify-next (asynchronously, from the cloud task). */
void simCloudNotifyNext( const SimCloudJob_t * pJob );

/* The n-th stream request from now (1: the next one) is dropped, or held until
 * simCloudReleaseHeld(); simCloudWaitHeld() waits until a request is being held. */
void simCloudDropStreamRequest( uint32_t nthFromNow );
void simCloudHoldStreamRequest( uint32_t nthFromNow );
bool simCloudWaitHeld( uint32_t timeoutMs );
void simCloudReleaseHeld( void );

/* The next time this block is sent, it is sent twice in a row. */
void simCloudDuplicateBlock( uint32_t blockId );

/* Records and counters (copies, safe from any task). */
uint32_t simCloudCallCount( void );
bool simCloudCall( uint32_t index,
                   SimCall_t * pCall );
uint32_t simCloudStreamRequestCount( void );
bool simCloudStreamRequest( uint32_t index,
                            SimStreamRequest_t * pRequest );
SimCloudCounters_t simCloudCounters( void );
bool simCloudIsSubscribed( const char * pTopic );

/* Event buffers lent to the agent and not yet returned. */
uint32_t simCloudBuffersInUse( void );

/* For the application callback on OtaJobEventProcessed. */
void simCloudReleaseBuffer( const void * pEventData );

#endif /* SIM_CLOUD_H */
