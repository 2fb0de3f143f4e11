/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota.h
 * @brief The OTA agent API: start, stop, query and steer the agent.
 */

#ifndef OTA_H
#define OTA_H

#include <stdio.h>
#include <stdint.h>

#include "ota_private.h"
#include "ota_os_interface.h"
#include "ota_mqtt_interface.h"
#include "ota_http_interface.h"
#include "ota_platform_interface.h"

/* *INDENT-OFF* */
#ifdef __cplusplus
extern "C" {
#endif
/* *INDENT-ON* */

/** @brief Length of a string literal held in a char array, without the NUL. */
#define CONST_STRLEN( s )    ( ( ( uint32_t ) sizeof( s ) ) - 1UL )

/** @brief Size of OTA_JsonFileSignatureKey. */
#define OTA_FILE_SIG_KEY_STR_MAX_LENGTH    32

/** @brief Job document key of the file signature (e.g. "sig-sha256-ecdsa"); defined by the PAL. */
extern const char OTA_JsonFileSignatureKey[ OTA_FILE_SIG_KEY_STR_MAX_LENGTH ];

/* ------------------------------------------------------------------------- */
/* Enums.                                                                    */
/* ------------------------------------------------------------------------- */

/** @brief Result of the API calls. */
typedef enum OtaErr
{
    OtaErrNone = 0,                    /*!< @brief Success. */
    OtaErrUninitialized = 1,           /*!< @brief Never set. */
    OtaErrPanic = 2,                   /*!< @brief Unrecoverable failure. */
    OtaErrInvalidArg = 3,              /*!< @brief Bad argument. */
    OtaErrAgentStopped = 4,            /*!< @brief The agent is not running. */
    OtaErrSignalEventFailed = 5,       /*!< @brief The event could not be queued. */
    OtaErrRequestJobFailed = 6,        /*!< @brief Asking for a job failed. */
    OtaErrInitFileTransferFailed = 7,  /*!< @brief Starting the download failed. */
    OtaErrRequestFileBlockFailed = 8,  /*!< @brief Requesting blocks failed. */
    OtaErrCleanupControlFailed = 9,    /*!< @brief Control-plane cleanup failed. */
    OtaErrCleanupDataFailed = 10,      /*!< @brief Data-plane cleanup failed. */
    OtaErrUpdateJobStatusFailed = 11,  /*!< @brief Job status update failed. */
    OtaErrJobParserError = 12,         /*!< @brief Job document rejected (see sub-code). */
    OtaErrInvalidDataProtocol = 13,    /*!< @brief No usable data protocol in the job. */
    OtaErrMomentumAbort = 14,          /*!< @brief Too many requests without an answer. */
    OtaErrDowngradeNotAllowed = 15,    /*!< @brief New version older than the old one. */
    OtaErrSameFirmwareVersion = 16,    /*!< @brief New version equal to the old one. */
    OtaErrImageStateMismatch = 17,     /*!< @brief Job in self test, platform not. */
    OtaErrNoActiveJob = 18,            /*!< @brief No job to set a final state for. */
    OtaErrUserAbort = 19,              /*!< @brief The application aborted. */
    OtaErrFailedToEncodeCbor = 20,     /*!< @brief Stream request could not be encoded. */
    OtaErrFailedToDecodeCbor = 21,     /*!< @brief Stream response could not be decoded. */
    OtaErrActivateFailed = 22          /*!< @brief Activation failed. */
} OtaErr_t;

/** @brief States of the agent. */
typedef enum OtaState
{
    OtaAgentStateNoTransition = -1,      /*!< @brief Stay in the current state. */
    OtaAgentStateInit = 0,               /*!< @brief Initialising. */
    OtaAgentStateReady = 1,              /*!< @brief Ready. */
    OtaAgentStateRequestingJob = 2,      /*!< @brief Asking for a job. */
    OtaAgentStateWaitingForJob = 3,      /*!< @brief Waiting for a job document. */
    OtaAgentStateCreatingFile = 4,       /*!< @brief Opening the receive file. */
    OtaAgentStateRequestingFileBlock = 5, /*!< @brief Asking for blocks. */
    OtaAgentStateWaitingForFileBlock = 6, /*!< @brief Waiting for blocks. */
    OtaAgentStateClosingFile = 7,        /*!< @brief Closing the file. */
    OtaAgentStateSuspended = 8,          /*!< @brief Suspended. */
    OtaAgentStateShuttingDown = 9,       /*!< @brief Shutting down. */
    OtaAgentStateStopped = 10,           /*!< @brief Stopped. */
    OtaAgentStateAll = 11                /*!< @brief Matches any state in the transition table. */
} OtaState_t;

/** @brief Sub-codes of OtaErrJobParserError. */
typedef enum OtaJobParseErr
{
    OtaJobParseErrUnknown = -1,            /*!< @brief Never set. */
    OtaJobParseErrNone = 0,                /*!< @brief No error. */
    OtaJobParseErrBusyWithExistingJob = 1, /*!< @brief Another job is in progress. */
    OtaJobParseErrNullJob = 2,             /*!< @brief No job ID. */
    OtaJobParseErrUpdateCurrentJob = 3,    /*!< @brief Document for the job already in progress. */
    OtaJobParseErrZeroFileSize = 4,        /*!< @brief File size zero. */
    OtaJobParseErrNonConformingJobDoc = 5, /*!< @brief Document does not fit the model. */
    OtaJobParseErrBadModelInitParams = 6,  /*!< @brief Bad model setup. */
    OtaJobParseErrNoContextAvailable = 7,  /*!< @brief No file context free. */
    OtaJobParseErrNoActiveJobs = 8         /*!< @brief The service has no job for us. */
} OtaJobParseErr_t;

/** @brief Events passed to the application callback. */
typedef enum OtaJobEvent
{
    OtaJobEventActivate = 0,              /*!< @brief Image verified; call OTA_ActivateNewImage. */
    OtaJobEventFail = 1,                  /*!< @brief The update failed. */
    OtaJobEventStartTest = 2,             /*!< @brief New image in self test; run the tests. */
    OtaJobEventProcessed = 3,             /*!< @brief An event's buffer may be reused. */
    OtaJobEventSelfTestFailed = 4,        /*!< @brief Self test failed. */
    OtaLastJobEvent = OtaJobEventStartTest /*!< @brief Kept as in v2.0.0 (equals StartTest). */
} OtaJobEvent_t;

/* ------------------------------------------------------------------------- */
/* Callbacks.                                                                */
/* ------------------------------------------------------------------------- */

/** @brief Application callback; pData depends on the event (may be NULL). */
typedef void ( * OtaAppCallback_t )( OtaJobEvent_t eEvent,
                                     const void * pData );

/** @brief Handler for job documents that are not OTA jobs. */
typedef OtaJobParseErr_t ( * OtaCustomJobCallback_t )( const char * pcJSON,
                                                       uint32_t ulMsgLen );

/* ------------------------------------------------------------------------- */
/* Structures.                                                               */
/* ------------------------------------------------------------------------- */

/** @brief Everything the agent calls out to. */
typedef struct OtaInterface
{
    OtaOSInterface_t os;     /*!< @brief OS port. */
    OtaMqttInterface_t mqtt; /*!< @brief MQTT glue. */
    OtaHttpInterface_t http; /*!< @brief HTTP glue. */
    OtaPalInterface_t pal;   /*!< @brief Platform layer. */
} OtaInterfaces_t;

/** @brief Optional application buffers for job strings; a zero size means "allocate instead". */
typedef struct OtaAppBuffer
{
    uint8_t * pUpdateFilePath;   /*!< @brief File path buffer. */
    uint16_t updateFilePathsize; /*!< @brief Its size. */
    uint8_t * pCertFilePath;     /*!< @brief Certificate path buffer. */
    uint16_t certFilePathSize;   /*!< @brief Its size. */
    uint8_t * pStreamName;       /*!< @brief Stream name buffer. */
    uint16_t streamNameSize;     /*!< @brief Its size. */
    uint8_t * pDecodeMemory;     /*!< @brief Block decode buffer. */
    uint32_t decodeMemorySize;   /*!< @brief Its size. */
    uint8_t * pFileBitmap;       /*!< @brief Block bitmap buffer. */
    uint16_t fileBitmapSize;     /*!< @brief Its size. */
    uint8_t * pUrl;              /*!< @brief Pre-signed URL buffer. */
    uint16_t urlSize;            /*!< @brief Its size. */
    uint8_t * pAuthScheme;       /*!< @brief Auth scheme buffer. */
    uint16_t authSchemeSize;     /*!< @brief Its size. */
} OtaAppBuffer_t;

/** @brief The agent's state (one instance, internal to the library; public for layout only). */
typedef struct OtaAgentContext
{
    OtaState_t state;                                      /*!< @brief Current state. */
    uint8_t pThingName[ otaconfigMAX_THINGNAME_LEN + 1U ]; /*!< @brief Thing name and NUL. */
    OtaFileContext_t fileContext;                          /*!< @brief The file being received. */
    uint32_t fileIndex;                                    /*!< @brief Index of that file. */
    uint32_t serverFileID;                                 /*!< @brief File ID from the job. */
    uint8_t pActiveJobName[ OTA_JOB_ID_MAX_SIZE ];         /*!< @brief Active job ID. */
    uint8_t * pClientTokenFromJob;                         /*!< @brief Client token of the last job document. */
    uint32_t timestampFromJob;                             /*!< @brief Timestamp of the last job document. */
    OtaImageState_t imageState;                            /*!< @brief Image state set by the application. */
    uint32_t numOfBlocksToReceive;                         /*!< @brief Blocks still due for the current request. */
    OtaAgentStatistics_t statistics;                       /*!< @brief Message counters. */
    uint32_t requestMomentum;                              /*!< @brief Requests sent without an answer. */
    OtaInterfaces_t * pOtaInterface;                       /*!< @brief Interfaces given to OTA_Init. */
    OtaAppCallback_t OtaAppCallback;                       /*!< @brief Application callback. */
    OtaCustomJobCallback_t customJobCallback;              /*!< @brief Custom job handler. */
} OtaAgentContext_t;

/* ------------------------------------------------------------------------- */
/* API.                                                                      */
/* ------------------------------------------------------------------------- */

/** @brief Set up the agent and queue its start; run OTA_EventProcessingTask to drive it. */
OtaErr_t OTA_Init( OtaAppBuffer_t * pOtaBuffer,
                   OtaInterfaces_t * pOtaInterfaces,
                   const uint8_t * pThingName,
                   OtaAppCallback_t OtaAppCallback );

/** @brief Ask the agent to stop, waiting up to ticksToWait; returns the resulting state. */
OtaState_t OTA_Shutdown( uint32_t ticksToWait );

/** @brief Current agent state. */
OtaState_t OTA_GetState( void );

/** @brief Activate the downloaded image through the PAL (normally resets the device). */
OtaErr_t OTA_ActivateNewImage( void );

/** @brief Accept, reject or abort the current image/job. */
OtaErr_t OTA_SetImageState( OtaImageState_t state );

/** @brief Image state as last set. */
OtaImageState_t OTA_GetImageState( void );

/** @brief Ask the service for the next job now. */
OtaErr_t OTA_CheckForUpdate( void );

/** @brief Pause the agent. */
OtaErr_t OTA_Suspend( void );

/** @brief Resume a paused agent. */
OtaErr_t OTA_Resume( void );

/** @brief The agent loop; runs until the agent is shut down. pUnused is ignored. */
void OTA_EventProcessingTask( void * pUnused );

/** @brief Queue an event for the agent; false if it could not be queued. */
bool OTA_SignalEvent( const OtaEventMsg_t * const pEventMsg );

/** @brief Copy the message counters into pStatistics. */
OtaErr_t OTA_GetStatistics( OtaAgentStatistics_t * pStatistics );

/** @brief Name of an OtaErr_t value. */
const char * OTA_Err_strerror( OtaErr_t err );

/** @brief Name of an OtaJobParseErr_t value. */
const char * OTA_JobParse_strerror( OtaJobParseErr_t err );

/** @brief Name of an OtaPalMainStatus_t value. */
const char * OTA_PalStatus_strerror( OtaPalMainStatus_t status );

/** @brief Name of an OtaOsStatus_t value. */
const char * OTA_OsStatus_strerror( OtaOsStatus_t status );

/* *INDENT-OFF* */
#ifdef __cplusplus
}
#endif
/* *INDENT-ON* */

#endif /* OTA_H */
