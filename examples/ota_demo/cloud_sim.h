/* ota-rs example: a simulated AWS IoT, in-process, for the OTA demo.
 * SPDX-License-Identifier: MIT
 *
 * Just enough of AWS IoT Core for one OTA update over MQTT, behind the MqttTransport_t seam
 * (mqtt_transport.h), so the device side cannot tell it from a broker:
 *
 * - a broker: subscriptions (exact topics, or filters with + and #), messages from the device
 *   queued in a bounded queue, and one "network" thread that processes them and delivers the
 *   answers to the device's receive callback (never inside the device's publish call);
 * - AWS IoT Jobs for one job execution: answers $aws/things/<thing>/jobs/$next/get on
 *   .../$next/get/accepted with the execution (job document included) or with the no-job
 *   answer; takes .../jobs/<jobId>/update status updates, prints them, keeps the last
 *   statusDetails in the execution (so a rebooted device sees self_test and updatedBy); after
 *   a terminal status (SUCCEEDED, FAILED, REJECTED) the job is done and notify-next announces
 *   that nothing is pending;
 * - MQTT-based file delivery (a stream of one file): answers CBOR GetStream requests on
 *   .../streams/<stream>/get/cbor with the requested blocks on .../streams/<stream>/data/cbor.
 *
 * The job execution's state is kept in a file (CloudSimConfig_t.pStatePath), so the "cloud"
 * outlives a device that restarts into its new image.
 *
 * Nothing in the device code depends on this file except main.c, which starts the simulator
 * and asks it for a transport. For a real broker, replace those calls with your MQTT client's
 * connect and an MqttTransport_t of your own (see mqtt_transport.h). */
#ifndef CLOUD_SIM_H_
#define CLOUD_SIM_H_

#include <stdbool.h>
#include <stdint.h>

#include "mqtt_transport.h"

/* What the simulated account holds. Strings must stay valid until CloudSim_Stop. */
typedef struct CloudSimConfig
{
    const char * pThingName;      /* the one device it knows */
    const char * pJobId;          /* e.g. "AFR_OTA-demo-1" */
    const char * pStreamName;     /* e.g. "AFR_OTA-demo-stream" */
    const char * pImagePath;      /* the file the stream serves (the uploaded update) */
    const char * pSignaturePath;  /* its DER ECDSA P-256 / SHA-256 signature (code signing's output) */
    const char * pDeviceFilePath; /* job "filepath": where the device writes the image, inside its image folder */
    const char * pDeviceCertPath; /* job "certfile": the name of a signer certificate the device trusts */
    const char * pStatePath;      /* where the job execution's state is kept between runs */
} CloudSimConfig_t;

/* The job execution as the cloud sees it. */
typedef struct CloudSimJob
{
    char status[ 16 ];          /* QUEUED, IN_PROGRESS, SUCCEEDED, FAILED or REJECTED */
    char statusDetails[ 256 ];  /* the statusDetails JSON object of the last update ("{}" if none) */
    bool done;                  /* a terminal status was reported */
    uint32_t statusUpdates;     /* updates accepted since CloudSim_Start */
    uint32_t streamRequests;    /* GetStream requests answered since CloudSim_Start */
    uint32_t blocksServed;      /* blocks sent since CloudSim_Start */
    uint32_t noJobAnswers;      /* "no pending job" answers and notifications delivered */
} CloudSimJob_t;

/* Loads the image, its signature and the saved job state (a new QUEUED execution if there is
 * none) and starts the network thread. False, with a message, if a file cannot be read. */
bool CloudSim_Start( const CloudSimConfig_t * pConfig );

/* Connects the device: fills *pTransport; messages for the device's subscriptions go to
 * receive( pReceiveContext, ... ) on the network thread. */
bool CloudSim_Connect( MqttTransportReceive_t receive,
                       void * pReceiveContext,
                       MqttTransport_t * pTransport );

/* Disconnects the device: nothing more is delivered and its subscriptions are dropped; what it
 * already published is still processed. */
void CloudSim_Disconnect( void );

/* Processes what is still queued, saves the job state and stops the network thread. */
void CloudSim_Stop( void );

/* A copy of the job execution's state. */
void CloudSim_GetJob( CloudSimJob_t * pJob );

#endif /* CLOUD_SIM_H_ */
