/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_private.h
 * @brief Constants, enums and structures shared by the agent, its transports, the PAL and tests.
 */

#ifndef OTA_PRIVATE_H
#define OTA_PRIVATE_H

/* FILE (for OtaFileContext_t.pFile), fixed-width integers and bool. */
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>

/* The application's configuration, unless the build asks for the defaults only. */
#ifndef OTA_DO_NOT_USE_CUSTOM_CONFIG
    #include "ota_config.h"
#endif

/* Anything ota_config.h did not set gets its default value here. */
#include "ota_config_defaults.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------- */
/* General sizes.                                                            */
/* ------------------------------------------------------------------------- */

#define LOG2_BITS_PER_BYTE           3U                                                   /*!< @brief log2 of 8. */
#define BITS_PER_BYTE                ( ( uint32_t ) 1U << LOG2_BITS_PER_BYTE )            /*!< @brief Bits in one byte of the block bitmap. */
#define OTA_FILE_BLOCK_SIZE          ( ( uint32_t ) 1U << otaconfigLOG2_FILE_BLOCK_SIZE ) /*!< @brief Payload bytes in one file block. */
#define OTA_MAX_FILES                1U                                                   /*!< @brief Files handled at a time (always 1). */
#define OTA_MAX_BLOCK_BITMAP_SIZE    128U                                                 /*!< @brief Largest block bitmap, in bytes. */
#define OTA_REQUEST_MSG_MAX_SIZE     ( 3U * OTA_MAX_BLOCK_BITMAP_SIZE )                   /*!< @brief Largest stream request message. */
#define OTA_REQUEST_URL_MAX_SIZE     ( 1500 )                                             /*!< @brief Largest pre-signed S3 URL. */
#define OTA_ERASED_BLOCKS_VAL        0xffU                                                /*!< @brief Bitmap byte value meaning "8 blocks still missing". */
#ifdef configOTA_NUM_MSG_Q_ENTRIES
    #define OTA_NUM_MSG_Q_ENTRIES    configOTA_NUM_MSG_Q_ENTRIES
#else
    #define OTA_NUM_MSG_Q_ENTRIES    20U /*!< @brief Depth of the agent's event queue. */
#endif

/* ------------------------------------------------------------------------- */
/* Job document parsing.                                                     */
/* ------------------------------------------------------------------------- */

#define OTA_MAX_JSON_TOKENS         64U                                                                         /*!< @brief JSON tokens per parse. */
#define OTA_MAX_JSON_STR_LEN        256U                                                                        /*!< @brief Longest JSON string compared. */
#define OTA_DOC_MODEL_MAX_PARAMS    32U                                                                         /*!< @brief Model entries (one bit each in a 32-bit map). */
#define OTA_JOB_PARAM_REQUIRED      true                                                                        /*!< @brief Model entry must be present. */
#define OTA_JOB_PARAM_OPTIONAL      false                                                                       /*!< @brief Model entry may be missing. */
#define OTA_DONT_STORE_PARAM        0xffff                                                                      /*!< @brief Destination offset meaning "check only, do not store". */
#define OTA_STORE_NESTED_JSON       0x1fffU                                                                     /*!< @brief Destination offset meaning "keep a pointer into the nested JSON". */
#define OTA_DATA_BLOCK_SIZE         ( ( 1U << otaconfigLOG2_FILE_BLOCK_SIZE ) + OTA_REQUEST_URL_MAX_SIZE + 30 ) /*!< @brief Size of one event data buffer. */

/* ------------------------------------------------------------------------- */
/* Agent task event flags.                                                   */
/* ------------------------------------------------------------------------- */

#define OTA_EVT_MASK_JOB_MSG_READY     0x00000001UL  /*!< @brief A job message is waiting. */
#define OTA_EVT_MASK_DATA_MSG_READY    0x00000002UL  /*!< @brief A data message is waiting. */
#define OTA_EVT_MASK_SHUTDOWN          0x00000004UL  /*!< @brief Shutdown requested. */
#define OTA_EVT_MASK_REQ_TIMEOUT       0x00000008UL  /*!< @brief The request timer fired. */
#define OTA_EVT_MASK_USER_ABORT        0x000000016UL /*!< @brief The user aborted (value 0x16, as in v2.0.0). */
#define OTA_EVT_MASK_ALL_EVENTS                            \
    ( OTA_EVT_MASK_JOB_MSG_READY | OTA_EVT_MASK_DATA_MSG_READY | \
      OTA_EVT_MASK_SHUTDOWN | OTA_EVT_MASK_REQ_TIMEOUT |         \
      OTA_EVT_MASK_USER_ABORT )                      /*!< @brief Every flag above. */

/** @brief Entries in the job document model. */
#define OTA_NUM_JOB_PARAMS     ( 21 )

/** @brief Room for a job ID plus its terminating NUL. */
#define OTA_JOB_ID_MAX_SIZE    ( 72UL + 1UL )

/** @brief Largest file signature held, in bytes (RSA-2048). */
#define kOTA_MaxSignatureSize           256

/* ------------------------------------------------------------------------- */
/* Job document keys (dotted paths are searched as nested objects).          */
/* ------------------------------------------------------------------------- */

#define OTA_JSON_SEPARATOR              "."                                                        /*!< @brief Joins nested key names. */
#define OTA_JSON_CLIENT_TOKEN_KEY       "clientToken"                                              /*!< @brief Client token. */
#define OTA_JSON_TIMESTAMP_KEY          "timestamp"                                                /*!< @brief Service timestamp. */
#define OTA_JSON_EXECUTION_KEY          "execution"                                                /*!< @brief Job execution object. */
#define OTA_JSON_JOB_ID_KEY             OTA_JSON_EXECUTION_KEY OTA_JSON_SEPARATOR "jobId"          /*!< @brief Job ID. */
#define OTA_JSON_STATUS_DETAILS_KEY     OTA_JSON_EXECUTION_KEY OTA_JSON_SEPARATOR "statusDetails"  /*!< @brief Status details object. */
#define OTA_JSON_SELF_TEST_KEY          OTA_JSON_STATUS_DETAILS_KEY OTA_JSON_SEPARATOR "self_test" /*!< @brief Self-test marker. */
#define OTA_JSON_UPDATED_BY_KEY         OTA_JSON_STATUS_DETAILS_KEY OTA_JSON_SEPARATOR "updatedBy" /*!< @brief Version that started the update. */
#define OTA_JSON_UPDATED_BY_KEY_ONLY    "updatedBy"                                                /*!< @brief Same key, unqualified. */
#define OTA_JSON_SELF_TEST_KEY_ONLY     "self_test"                                                /*!< @brief Same key, unqualified. */
#define OTA_JSON_JOB_DOC_KEY            OTA_JSON_EXECUTION_KEY OTA_JSON_SEPARATOR "jobDocument"    /*!< @brief Job document object. */
#define OTA_JSON_OTA_UNIT_KEY           OTA_JSON_JOB_DOC_KEY OTA_JSON_SEPARATOR "afr_ota"          /*!< @brief OTA section of the job document. */
#define OTA_JSON_PROTOCOLS_KEY          OTA_JSON_OTA_UNIT_KEY OTA_JSON_SEPARATOR "protocols"       /*!< @brief Allowed data protocols. */
#define OTA_JSON_FILE_GROUP_KEY         OTA_JSON_OTA_UNIT_KEY OTA_JSON_SEPARATOR "files"           /*!< @brief Files array. */
#define OTA_JSON_STREAM_NAME_KEY        OTA_JSON_OTA_UNIT_KEY OTA_JSON_SEPARATOR "streamname"      /*!< @brief Stream to download from. */
#define OTA_JSON_FILE_PATH_KEY          "filepath"                                                 /*!< @brief Destination path on the device. */
#define OTA_JSON_FILE_SIZE_KEY          "filesize"                                                 /*!< @brief File size in bytes. */
#define OTA_JSON_FILE_ID_KEY            "fileid"                                                   /*!< @brief File ID within the stream. */
#define OTA_JSON_FILE_ATTRIBUTE_KEY     "attr"                                                     /*!< @brief File attribute flags. */
#define OTA_JSON_FILE_CERT_NAME_KEY     "certfile"                                                 /*!< @brief Code-signing certificate path. */
#define OTA_JSON_UPDATE_DATA_URL_KEY    "update_data_url"                                          /*!< @brief Pre-signed URL for HTTP download. */
#define OTA_JSON_AUTH_SCHEME_KEY        "auth_scheme"                                              /*!< @brief HTTP authentication scheme. */
#define OTA_JSON_FILETYPE_KEY           "fileType"                                                 /*!< @brief File type ID. */

/* ------------------------------------------------------------------------- */
/* Enums.                                                                    */
/* ------------------------------------------------------------------------- */

/**
 * @brief Outcome of handing one data block to the agent.
 *
 * Negative values are failures; zero and positive values mean the download goes on.
 */
typedef enum
{
    IngestResultFileComplete = -1,       /*!< @brief Last block written, file closed, signature good. */
    IngestResultSigCheckFail = -2,       /*!< @brief File complete but the signature did not verify. */
    IngestResultFileCloseFail = -3,      /*!< @brief Closing the file failed. */
    IngestResultNullContext = -4,        /*!< @brief No file context. */
    IngestResultBadFileHandle = -5,      /*!< @brief The file is not open. */
    IngestResultUnexpectedBlock = -6,    /*!< @brief No block was expected now. */
    IngestResultBlockOutOfRange = -7,    /*!< @brief Block index beyond the file. */
    IngestResultBadData = -8,            /*!< @brief Malformed block message. */
    IngestResultWriteBlockFailed = -9,   /*!< @brief The PAL could not write the block. */
    IngestResultNullResultPointer = -10, /*!< @brief No place to put the close result. */
    IngestResultNoDecodeMemory = -11,    /*!< @brief No decode buffer. */
    IngestResultUninitialized = -127,    /*!< @brief Never set (a bug). */
    IngestResultAccepted_Continue = 0,   /*!< @brief Block stored, more to come. */
    IngestResultDuplicate_Continue = 1   /*!< @brief Block already had; carry on. */
} IngestResult_t;

/** @brief Job document parser results. */
typedef enum
{
    DocParseErrUnknown = -1,               /*!< @brief Never set. */
    DocParseErrNone = 0,                   /*!< @brief Parsed fine. */
    DocParseErrOutOfMemory = 1,            /*!< @brief Allocation failed. */
    DocParseErrUserBufferInsuffcient = 2,  /*!< @brief Application buffer too small. */
    DocParseErrFieldTypeMismatch = 3,      /*!< @brief Value has the wrong JSON type. */
    DocParseErrBase64Decode = 4,           /*!< @brief Bad base64. */
    DocParseErrInvalidNumChar = 5,         /*!< @brief Bad character in a number. */
    DocParseErrDuplicatesNotAllowed = 6,   /*!< @brief Key given twice. */
    DocParseErrMalformedDoc = 7,           /*!< @brief Required keys missing. */
    DocParseErr_InvalidJSONBuffer = 8,     /*!< @brief Not valid JSON. */
    DocParseErrNullModelPointer = 9,       /*!< @brief No model. */
    DocParseErrNullBodyPointer = 10,       /*!< @brief Model has no body. */
    DocParseErrNullDocPointer = 11,        /*!< @brief No document. */
    DocParseErrTooManyParams = 12,         /*!< @brief Model larger than 32 entries. */
    DocParseErrParamKeyNotInModel = 13,    /*!< @brief Key not in the model. */
    DocParseErrInvalidModelParamType = 14, /*!< @brief Unknown model entry type. */
    DocParseErrInvalidToken = 15           /*!< @brief Bad JSON token. */
} DocParseErr_t;

/** @brief How a job document value is extracted. */
typedef enum
{
    ModelParamTypeStringCopy = 0,  /*!< @brief Copy the string out. */
    ModelParamTypeStringInDoc = 1, /*!< @brief Point into the document (valid while it lives). */
    ModelParamTypeObject = 2,      /*!< @brief JSON object. */
    ModelParamTypeArray = 3,       /*!< @brief JSON array. */
    ModelParamTypeUInt32 = 4,      /*!< @brief Unsigned 32-bit number. */
    ModelParamTypeSigBase64 = 5,   /*!< @brief Base64 signature. */
    ModelParamTypeIdent = 6,       /*!< @brief Presence only. */
    ModelParamTypeArrayCopy = 7    /*!< @brief Copy the raw array text. */
} ModelParamType_t;

/** @brief Job execution status reported to the service. */
typedef enum
{
    JobStatusInProgress = 0,    /*!< @brief IN_PROGRESS. */
    JobStatusFailed = 1,        /*!< @brief FAILED. */
    JobStatusSucceeded = 2,     /*!< @brief SUCCEEDED. */
    JobStatusRejected = 3,      /*!< @brief REJECTED (not sent by v2.0.0). */
    JobStatusFailedWithVal = 4, /*!< @brief FAILED with two numeric reason codes. */
    NumJobStatusMappings = 5    /*!< @brief Count of the above. */
} OtaJobStatus_t;

/** @brief Reason attached to a job status update. */
typedef enum
{
    JobReasonReceiving = 0,      /*!< @brief Download progress. */
    JobReasonSigCheckPassed = 1, /*!< @brief Self test ready. */
    JobReasonSelfTestActive = 2, /*!< @brief Self test running. */
    JobReasonAccepted = 3,       /*!< @brief Image accepted. */
    JobReasonRejected = 4,       /*!< @brief Image rejected. */
    JobReasonAborted = 5,        /*!< @brief Download aborted. */
    NumJobReasons = 6            /*!< @brief Count of the above. */
} OtaJobReason_t;

/* ------------------------------------------------------------------------- */
/* Job document model.                                                       */
/* ------------------------------------------------------------------------- */

/** @brief One key of the job document model and where its value goes. */
typedef struct
{
    const char * pSrcKey;                  /*!< @brief Key (dotted path) to look up. */
    const bool required;                   /*!< @brief Whether the key must be present. */
    uint16_t pDestOffset;                  /*!< @brief Offset of the destination field in the context. */
    uint16_t pDestSizeOffset;              /*!< @brief Offset of the destination's size field in the context. */
    const ModelParamType_t modelParamType; /*!< @brief How to extract the value. */
} JsonDocParam_t;

/** @brief A job document model: the keys and the context they are stored into. */
typedef struct
{
    void * contextBase;              /*!< @brief Start of the destination context. */
    uint32_t contextSize;            /*!< @brief Size of the destination context. */
    const JsonDocParam_t * pBodyDef; /*!< @brief The model entries. */
    uint16_t numModelParams;         /*!< @brief How many entries (at most 32). */
    uint32_t paramsReceivedBitmap;   /*!< @brief Bit n set: entry n was found. */
    uint32_t paramsRequiredBitmap;   /*!< @brief Bit n set: entry n is required. */
} JsonDocModel_t;

/** @brief Message counters of the agent. */
typedef struct OtaAgentStatistics
{
    uint32_t otaPacketsReceived;  /*!< @brief Messages received from the transports. */
    uint32_t otaPacketsQueued;    /*!< @brief Messages put on the event queue. */
    uint32_t otaPacketsProcessed; /*!< @brief Messages handled by the agent. */
    uint32_t otaPacketsDropped;   /*!< @brief Messages dropped (no buffer or queue room). */
} OtaAgentStatistics_t;

/** @brief State of the running image as the application sets it. */
typedef enum OtaImageState
{
    OtaImageStateUnknown = 0,                 /*!< @brief Not known yet. */
    OtaImageStateTesting = 1,                 /*!< @brief New image booted, self test pending. */
    OtaImageStateAccepted = 2,                /*!< @brief New image passed self test. */
    OtaImageStateRejected = 3,                /*!< @brief New image failed. */
    OtaImageStateAborted = 4,                 /*!< @brief Download abandoned. */
    OtaLastImageState = OtaImageStateAborted  /*!< @brief Highest valid value. */
} OtaImageState_t;

/** @brief State of the image as the platform reports it. */
typedef enum OtaPalImageState
{
    OtaPalImageStateUnknown = 0,       /*!< @brief Not known. */
    OtaPalImageStatePendingCommit = 1, /*!< @brief New image waits for acceptance. */
    OtaPalImageStateValid = 2,         /*!< @brief Image committed. */
    OtaPalImageStateInvalid = 3        /*!< @brief Image invalid or missing. */
} OtaPalImageState_t;

/** @brief Events that drive the agent state machine. */
typedef enum OtaEvent
{
    OtaAgentEventStart = 0,               /*!< @brief Start the agent. */
    OtaAgentEventStartSelfTest = 1,       /*!< @brief Begin self test. */
    OtaAgentEventRequestJobDocument = 2,  /*!< @brief Ask for the next job. */
    OtaAgentEventReceivedJobDocument = 3, /*!< @brief A job document arrived. */
    OtaAgentEventCreateFile = 4,          /*!< @brief Open the receive file. */
    OtaAgentEventRequestFileBlock = 5,    /*!< @brief Ask for file blocks. */
    OtaAgentEventReceivedFileBlock = 6,   /*!< @brief A file block arrived. */
    OtaAgentEventRequestTimer = 7,        /*!< @brief The request timer fired. */
    OtaAgentEventCloseFile = 8,           /*!< @brief Close the receive file. */
    OtaAgentEventSuspend = 9,             /*!< @brief Suspend the agent. */
    OtaAgentEventResume = 10,             /*!< @brief Resume the agent. */
    OtaAgentEventUserAbort = 11,          /*!< @brief The application aborted. */
    OtaAgentEventShutdown = 12,           /*!< @brief Shut the agent down. */
    OtaAgentEventMax = 13                 /*!< @brief Count of events. */
} OtaEvent_t;

/* ------------------------------------------------------------------------- */
/* File context and events.                                                  */
/* ------------------------------------------------------------------------- */

/** @brief A file signature, up to kOTA_MaxSignatureSize bytes. */
typedef struct
{
    uint16_t size;                         /*!< @brief Bytes used in data. */
    uint8_t data[ kOTA_MaxSignatureSize ]; /*!< @brief The signature. */
} Sig256_t;

/** @brief Everything known about the file being received; handed to every PAL call. */
typedef struct OtaFileContext
{
    uint8_t * pFilePath;          /*!< @brief Destination path. */
    uint16_t filePathMaxSize;     /*!< @brief Capacity of pFilePath. */
    #if defined( WIN32 ) || defined( __linux__ )
        FILE * pFile;             /*!< @brief Open stdio file on hosted platforms. */
    #else
        uint8_t * pFile;          /*!< @brief Image location on embedded platforms. */
    #endif
    uint32_t fileSize;            /*!< @brief File size in bytes. */
    uint32_t blocksRemaining;     /*!< @brief Blocks still missing. */
    uint32_t fileAttributes;      /*!< @brief Attribute flags from the job. */
    uint32_t serverFileID;        /*!< @brief File ID from the job. */
    uint8_t * pJobName;           /*!< @brief Job ID. */
    uint16_t jobNameMaxSize;      /*!< @brief Capacity of pJobName. */
    uint8_t * pStreamName;        /*!< @brief Stream to download from. */
    uint16_t streamNameMaxSize;   /*!< @brief Capacity of pStreamName. */
    uint8_t * pRxBlockBitmap;     /*!< @brief One bit per block, set while missing. */
    uint16_t blockBitmapMaxSize;  /*!< @brief Capacity of pRxBlockBitmap. */
    uint8_t * pCertFilepath;      /*!< @brief Code-signing certificate path. */
    uint16_t certFilePathMaxSize; /*!< @brief Capacity of pCertFilepath. */
    uint8_t * pUpdateUrlPath;     /*!< @brief Pre-signed URL (HTTP download). */
    uint16_t updateUrlMaxSize;    /*!< @brief Capacity of pUpdateUrlPath. */
    uint8_t * pAuthScheme;        /*!< @brief HTTP authentication scheme. */
    uint16_t authSchemeMaxSize;   /*!< @brief Capacity of pAuthScheme. */
    uint32_t updaterVersion;      /*!< @brief Version of the firmware that started the update. */
    bool isInSelfTest;            /*!< @brief The job says the image is in self test. */
    uint8_t * pProtocols;         /*!< @brief Protocol list text from the job. */
    uint16_t protocolMaxSize;     /*!< @brief Capacity of pProtocols. */
    uint8_t * pDecodeMem;         /*!< @brief Buffer for decoded block payloads. */
    uint32_t decodeMemMaxSize;    /*!< @brief Capacity of pDecodeMem. */
    uint32_t fileType;            /*!< @brief File type ID from the job. */
    Sig256_t * pSignature;        /*!< @brief Signature from the job. */
} OtaFileContext_t;

/** @brief One event payload buffer, owned by the application. */
typedef struct OtaEventData
{
    uint8_t data[ OTA_DATA_BLOCK_SIZE ]; /*!< @brief Message bytes. */
    uint32_t dataLength;                 /*!< @brief Bytes used in data. */
    bool bufferUsed;                     /*!< @brief Buffer is taken. */
} OtaEventData_t;

/** @brief An event for the agent, with its optional payload. */
typedef struct OtaEventMsg
{
    OtaEventData_t * pEventData; /*!< @brief Payload or NULL. */
    OtaEvent_t eventId;          /*!< @brief Which event. */
} OtaEventMsg_t;

#ifdef __cplusplus
}
#endif

#endif /* OTA_PRIVATE_H */
