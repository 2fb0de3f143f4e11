/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/*
 * ABI probe: prints, one "name value" pair per line, the layout of every structure, the value
 * and type of every enum constant and macro, and the expansion of the hooks in the thirteen
 * v2.0.0 headers. Built once against the upstream headers to make expected_<config>.txt and
 * then against include/ by ctest; any difference is an ABI or API difference.
 *
 * Built with ABI_TYPE_DECLS defined (GCC, -aux-info), it also declares one dummy function per
 * field, function-pointer type and extern object whose signature spells that item's exact C
 * type; abi_check.cmake compares those declarations, together with every prototype in the
 * headers, against expected_types_<config>.txt.
 */

#include <stddef.h>
#include <stdio.h>

#include "ota.h"
#include "ota_private.h"
#include "ota_os_interface.h"
#include "ota_mqtt_interface.h"
#include "ota_http_interface.h"
#include "ota_platform_interface.h"
#include "ota_config_defaults.h"
#include "ota_appversion32.h"
#include "ota_base64_private.h"
#include "ota_cbor_private.h"
#include "ota_mqtt_private.h"
#include "ota_http_private.h"
#include "ota_interface_private.h"

/* ------------------------------------------------------------------------- */
/* What to probe.                                                            */
/* ------------------------------------------------------------------------- */

/** @brief Every structure typedef: S(type). */
#define STRUCTS( S )              \
    S( OtaInterfaces_t )          \
    S( OtaAppBuffer_t )           \
    S( OtaAgentContext_t )        \
    S( JsonDocParam_t )           \
    S( JsonDocModel_t )           \
    S( OtaAgentStatistics_t )     \
    S( Sig256_t )                 \
    S( OtaFileContext_t )         \
    S( OtaEventData_t )           \
    S( OtaEventMsg_t )            \
    S( OtaEventInterface_t )      \
    S( OtaTimerInterface_t )      \
    S( OtaMallocInterface_t )     \
    S( OtaOSInterface_t )         \
    S( OtaMqttInterface_t )       \
    S( OtaHttpInterface_t )       \
    S( OtaPalInterface_t )        \
    S( AppVersion32_t )           \
    S( OtaControlInterface_t )    \
    S( OtaDataInterface_t )

/** @brief Every field: F(type, member). */
#define FIELDS( F )                                     \
    F( OtaInterfaces_t, os )                            \
    F( OtaInterfaces_t, mqtt )                          \
    F( OtaInterfaces_t, http )                          \
    F( OtaInterfaces_t, pal )                           \
    F( OtaAppBuffer_t, pUpdateFilePath )                \
    F( OtaAppBuffer_t, updateFilePathsize )             \
    F( OtaAppBuffer_t, pCertFilePath )                  \
    F( OtaAppBuffer_t, certFilePathSize )               \
    F( OtaAppBuffer_t, pStreamName )                    \
    F( OtaAppBuffer_t, streamNameSize )                 \
    F( OtaAppBuffer_t, pDecodeMemory )                  \
    F( OtaAppBuffer_t, decodeMemorySize )               \
    F( OtaAppBuffer_t, pFileBitmap )                    \
    F( OtaAppBuffer_t, fileBitmapSize )                 \
    F( OtaAppBuffer_t, pUrl )                           \
    F( OtaAppBuffer_t, urlSize )                        \
    F( OtaAppBuffer_t, pAuthScheme )                    \
    F( OtaAppBuffer_t, authSchemeSize )                 \
    F( OtaAgentContext_t, state )                       \
    F( OtaAgentContext_t, pThingName )                  \
    F( OtaAgentContext_t, fileContext )                 \
    F( OtaAgentContext_t, fileIndex )                   \
    F( OtaAgentContext_t, serverFileID )                \
    F( OtaAgentContext_t, pActiveJobName )              \
    F( OtaAgentContext_t, pClientTokenFromJob )         \
    F( OtaAgentContext_t, timestampFromJob )            \
    F( OtaAgentContext_t, imageState )                  \
    F( OtaAgentContext_t, numOfBlocksToReceive )        \
    F( OtaAgentContext_t, statistics )                  \
    F( OtaAgentContext_t, requestMomentum )             \
    F( OtaAgentContext_t, pOtaInterface )               \
    F( OtaAgentContext_t, OtaAppCallback )              \
    F( OtaAgentContext_t, customJobCallback )           \
    F( JsonDocParam_t, pSrcKey )                        \
    F( JsonDocParam_t, required )                       \
    F( JsonDocParam_t, pDestOffset )                    \
    F( JsonDocParam_t, pDestSizeOffset )                \
    F( JsonDocParam_t, modelParamType )                 \
    F( JsonDocModel_t, contextBase )                    \
    F( JsonDocModel_t, contextSize )                    \
    F( JsonDocModel_t, pBodyDef )                       \
    F( JsonDocModel_t, numModelParams )                 \
    F( JsonDocModel_t, paramsReceivedBitmap )           \
    F( JsonDocModel_t, paramsRequiredBitmap )           \
    F( OtaAgentStatistics_t, otaPacketsReceived )       \
    F( OtaAgentStatistics_t, otaPacketsQueued )         \
    F( OtaAgentStatistics_t, otaPacketsProcessed )      \
    F( OtaAgentStatistics_t, otaPacketsDropped )        \
    F( Sig256_t, size )                                 \
    F( Sig256_t, data )                                 \
    F( OtaFileContext_t, pFilePath )                    \
    F( OtaFileContext_t, filePathMaxSize )              \
    F( OtaFileContext_t, pFile )                        \
    F( OtaFileContext_t, fileSize )                     \
    F( OtaFileContext_t, blocksRemaining )              \
    F( OtaFileContext_t, fileAttributes )               \
    F( OtaFileContext_t, serverFileID )                 \
    F( OtaFileContext_t, pJobName )                     \
    F( OtaFileContext_t, jobNameMaxSize )               \
    F( OtaFileContext_t, pStreamName )                  \
    F( OtaFileContext_t, streamNameMaxSize )            \
    F( OtaFileContext_t, pRxBlockBitmap )               \
    F( OtaFileContext_t, blockBitmapMaxSize )           \
    F( OtaFileContext_t, pCertFilepath )                \
    F( OtaFileContext_t, certFilePathMaxSize )          \
    F( OtaFileContext_t, pUpdateUrlPath )               \
    F( OtaFileContext_t, updateUrlMaxSize )             \
    F( OtaFileContext_t, pAuthScheme )                  \
    F( OtaFileContext_t, authSchemeMaxSize )            \
    F( OtaFileContext_t, updaterVersion )               \
    F( OtaFileContext_t, isInSelfTest )                 \
    F( OtaFileContext_t, pProtocols )                   \
    F( OtaFileContext_t, protocolMaxSize )              \
    F( OtaFileContext_t, pDecodeMem )                   \
    F( OtaFileContext_t, decodeMemMaxSize )             \
    F( OtaFileContext_t, fileType )                     \
    F( OtaFileContext_t, pSignature )                   \
    F( OtaEventData_t, data )                           \
    F( OtaEventData_t, dataLength )                     \
    F( OtaEventData_t, bufferUsed )                     \
    F( OtaEventMsg_t, pEventData )                      \
    F( OtaEventMsg_t, eventId )                         \
    F( OtaEventInterface_t, init )                      \
    F( OtaEventInterface_t, send )                      \
    F( OtaEventInterface_t, recv )                      \
    F( OtaEventInterface_t, deinit )                    \
    F( OtaEventInterface_t, pEventContext )             \
    F( OtaTimerInterface_t, start )                     \
    F( OtaTimerInterface_t, stop )                      \
    F( OtaTimerInterface_t, delete )                    \
    F( OtaMallocInterface_t, malloc )                   \
    F( OtaMallocInterface_t, free )                     \
    F( OtaOSInterface_t, event )                        \
    F( OtaOSInterface_t, timer )                        \
    F( OtaOSInterface_t, mem )                          \
    F( OtaMqttInterface_t, subscribe )                  \
    F( OtaMqttInterface_t, unsubscribe )                \
    F( OtaMqttInterface_t, publish )                    \
    F( OtaHttpInterface_t, init )                       \
    F( OtaHttpInterface_t, request )                    \
    F( OtaHttpInterface_t, deinit )                     \
    F( OtaPalInterface_t, abort )                       \
    F( OtaPalInterface_t, createFile )                  \
    F( OtaPalInterface_t, closeFile )                   \
    F( OtaPalInterface_t, writeBlock )                  \
    F( OtaPalInterface_t, activate )                    \
    F( OtaPalInterface_t, reset )                       \
    F( OtaPalInterface_t, setPlatformImageState )       \
    F( OtaPalInterface_t, getPlatformImageState )       \
    F( AppVersion32_t, u )                              \
    F( OtaControlInterface_t, requestJob )              \
    F( OtaControlInterface_t, updateJobStatus )         \
    F( OtaControlInterface_t, cleanup )                 \
    F( OtaDataInterface_t, initFileTransfer )           \
    F( OtaDataInterface_t, requestFileBlock )           \
    F( OtaDataInterface_t, decodeFileBlock )            \
    F( OtaDataInterface_t, cleanup )

/** @brief Members below the top level: N(type, member path, label for identifiers). */
#define NESTED( N )                                                  \
    N( AppVersion32_t, u.x, u_x )                                    \
    N( AppVersion32_t, u.x.build, u_x_build )                        \
    N( AppVersion32_t, u.x.minor, u_x_minor )                        \
    N( AppVersion32_t, u.x.major, u_x_major )                        \
    N( AppVersion32_t, u.unsignedVersion32, u_unsignedVersion32 )    \
    N( AppVersion32_t, u.signedVersion32, u_signedVersion32 )

/** @brief Every enum typedef: T(type). */
#define ENUM_TYPES( T )        \
    T( OtaErr_t )              \
    T( OtaState_t )            \
    T( OtaJobParseErr_t )      \
    T( OtaJobEvent_t )         \
    T( IngestResult_t )        \
    T( DocParseErr_t )         \
    T( ModelParamType_t )      \
    T( OtaJobStatus_t )        \
    T( OtaJobReason_t )        \
    T( OtaImageState_t )       \
    T( OtaPalImageState_t )    \
    T( OtaEvent_t )            \
    T( OtaTimerId_t )          \
    T( OtaOsStatus_t )         \
    T( OtaMqttStatus_t )       \
    T( OtaHttpStatus_t )       \
    T( OtaPalMainStatus_t )    \
    T( Base64Status_t )

/** @brief Every enum constant: E(constant). */
#define ENUM_CONSTANTS( E )                  \
    E( OtaErrNone )                          \
    E( OtaErrUninitialized )                 \
    E( OtaErrPanic )                         \
    E( OtaErrInvalidArg )                    \
    E( OtaErrAgentStopped )                  \
    E( OtaErrSignalEventFailed )             \
    E( OtaErrRequestJobFailed )              \
    E( OtaErrInitFileTransferFailed )        \
    E( OtaErrRequestFileBlockFailed )        \
    E( OtaErrCleanupControlFailed )          \
    E( OtaErrCleanupDataFailed )             \
    E( OtaErrUpdateJobStatusFailed )         \
    E( OtaErrJobParserError )                \
    E( OtaErrInvalidDataProtocol )           \
    E( OtaErrMomentumAbort )                 \
    E( OtaErrDowngradeNotAllowed )           \
    E( OtaErrSameFirmwareVersion )           \
    E( OtaErrImageStateMismatch )            \
    E( OtaErrNoActiveJob )                   \
    E( OtaErrUserAbort )                     \
    E( OtaErrFailedToEncodeCbor )            \
    E( OtaErrFailedToDecodeCbor )            \
    E( OtaErrActivateFailed )                \
    E( OtaAgentStateNoTransition )           \
    E( OtaAgentStateInit )                   \
    E( OtaAgentStateReady )                  \
    E( OtaAgentStateRequestingJob )          \
    E( OtaAgentStateWaitingForJob )          \
    E( OtaAgentStateCreatingFile )           \
    E( OtaAgentStateRequestingFileBlock )    \
    E( OtaAgentStateWaitingForFileBlock )    \
    E( OtaAgentStateClosingFile )            \
    E( OtaAgentStateSuspended )              \
    E( OtaAgentStateShuttingDown )           \
    E( OtaAgentStateStopped )                \
    E( OtaAgentStateAll )                    \
    E( OtaJobParseErrUnknown )               \
    E( OtaJobParseErrNone )                  \
    E( OtaJobParseErrBusyWithExistingJob )   \
    E( OtaJobParseErrNullJob )               \
    E( OtaJobParseErrUpdateCurrentJob )      \
    E( OtaJobParseErrZeroFileSize )          \
    E( OtaJobParseErrNonConformingJobDoc )   \
    E( OtaJobParseErrBadModelInitParams )    \
    E( OtaJobParseErrNoContextAvailable )    \
    E( OtaJobParseErrNoActiveJobs )          \
    E( OtaJobEventActivate )                 \
    E( OtaJobEventFail )                     \
    E( OtaJobEventStartTest )                \
    E( OtaJobEventProcessed )                \
    E( OtaJobEventSelfTestFailed )           \
    E( OtaLastJobEvent )                     \
    E( IngestResultFileComplete )            \
    E( IngestResultSigCheckFail )            \
    E( IngestResultFileCloseFail )           \
    E( IngestResultNullContext )             \
    E( IngestResultBadFileHandle )           \
    E( IngestResultUnexpectedBlock )         \
    E( IngestResultBlockOutOfRange )         \
    E( IngestResultBadData )                 \
    E( IngestResultWriteBlockFailed )        \
    E( IngestResultNullResultPointer )       \
    E( IngestResultNoDecodeMemory )          \
    E( IngestResultUninitialized )           \
    E( IngestResultAccepted_Continue )       \
    E( IngestResultDuplicate_Continue )      \
    E( DocParseErrUnknown )                  \
    E( DocParseErrNone )                     \
    E( DocParseErrOutOfMemory )              \
    E( DocParseErrUserBufferInsuffcient )    \
    E( DocParseErrFieldTypeMismatch )        \
    E( DocParseErrBase64Decode )             \
    E( DocParseErrInvalidNumChar )           \
    E( DocParseErrDuplicatesNotAllowed )     \
    E( DocParseErrMalformedDoc )             \
    E( DocParseErr_InvalidJSONBuffer )       \
    E( DocParseErrNullModelPointer )         \
    E( DocParseErrNullBodyPointer )          \
    E( DocParseErrNullDocPointer )           \
    E( DocParseErrTooManyParams )            \
    E( DocParseErrParamKeyNotInModel )       \
    E( DocParseErrInvalidModelParamType )    \
    E( DocParseErrInvalidToken )             \
    E( ModelParamTypeStringCopy )            \
    E( ModelParamTypeStringInDoc )           \
    E( ModelParamTypeObject )                \
    E( ModelParamTypeArray )                 \
    E( ModelParamTypeUInt32 )                \
    E( ModelParamTypeSigBase64 )             \
    E( ModelParamTypeIdent )                 \
    E( ModelParamTypeArrayCopy )             \
    E( JobStatusInProgress )                 \
    E( JobStatusFailed )                     \
    E( JobStatusSucceeded )                  \
    E( JobStatusRejected )                   \
    E( JobStatusFailedWithVal )              \
    E( NumJobStatusMappings )                \
    E( JobReasonReceiving )                  \
    E( JobReasonSigCheckPassed )             \
    E( JobReasonSelfTestActive )             \
    E( JobReasonAccepted )                   \
    E( JobReasonRejected )                   \
    E( JobReasonAborted )                    \
    E( NumJobReasons )                       \
    E( OtaImageStateUnknown )                \
    E( OtaImageStateTesting )                \
    E( OtaImageStateAccepted )               \
    E( OtaImageStateRejected )               \
    E( OtaImageStateAborted )                \
    E( OtaLastImageState )                   \
    E( OtaPalImageStateUnknown )             \
    E( OtaPalImageStatePendingCommit )       \
    E( OtaPalImageStateValid )               \
    E( OtaPalImageStateInvalid )             \
    E( OtaAgentEventStart )                  \
    E( OtaAgentEventStartSelfTest )          \
    E( OtaAgentEventRequestJobDocument )     \
    E( OtaAgentEventReceivedJobDocument )    \
    E( OtaAgentEventCreateFile )             \
    E( OtaAgentEventRequestFileBlock )       \
    E( OtaAgentEventReceivedFileBlock )      \
    E( OtaAgentEventRequestTimer )           \
    E( OtaAgentEventCloseFile )              \
    E( OtaAgentEventSuspend )                \
    E( OtaAgentEventResume )                 \
    E( OtaAgentEventUserAbort )              \
    E( OtaAgentEventShutdown )               \
    E( OtaAgentEventMax )                    \
    E( OtaRequestTimer )                     \
    E( OtaSelfTestTimer )                    \
    E( OtaNumOfTimers )                      \
    E( OtaOsSuccess )                        \
    E( OtaOsEventQueueCreateFailed )         \
    E( OtaOsEventQueueSendFailed )           \
    E( OtaOsEventQueueReceiveFailed )        \
    E( OtaOsEventQueueDeleteFailed )         \
    E( OtaOsTimerCreateFailed )              \
    E( OtaOsTimerStartFailed )               \
    E( OtaOsTimerRestartFailed )             \
    E( OtaOsTimerStopFailed )                \
    E( OtaOsTimerDeleteFailed )              \
    E( OtaMqttSuccess )                      \
    E( OtaMqttPublishFailed )                \
    E( OtaMqttSubscribeFailed )              \
    E( OtaMqttUnsubscribeFailed )            \
    E( OtaHttpSuccess )                      \
    E( OtaHttpInitFailed )                   \
    E( OtaHttpDeinitFailed )                 \
    E( OtaHttpRequestFailed )                \
    E( OtaPalSuccess )                       \
    E( OtaPalUninitialized )                 \
    E( OtaPalOutOfMemory )                   \
    E( OtaPalNullFileContext )               \
    E( OtaPalSignatureCheckFailed )          \
    E( OtaPalRxFileCreateFailed )            \
    E( OtaPalRxFileTooLarge )                \
    E( OtaPalBootInfoCreateFailed )          \
    E( OtaPalBadSignerCert )                 \
    E( OtaPalBadImageState )                 \
    E( OtaPalAbortFailed )                   \
    E( OtaPalRejectFailed )                  \
    E( OtaPalCommitFailed )                  \
    E( OtaPalActivateFailed )                \
    E( OtaPalFileAbort )                     \
    E( OtaPalFileClose )                     \
    E( Base64Success )                       \
    E( Base64InvalidSymbol )                 \
    E( Base64InvalidSymbolOrdering )         \
    E( Base64InvalidInputSize )              \
    E( Base64NullPointerInput )              \
    E( Base64InvalidBufferSize )             \
    E( Base64NonZeroPadding )                \
    E( Base64InvalidPaddingSymbol )

/** @brief Integer typedefs that are not enums or structures: I(type). */
#define SCALAR_TYPES( I )     \
    I( OtaPalStatus_t )       \
    I( OtaPalSubStatus_t )

/** @brief Every integer-valued object-like macro: M(name). */
#define INT_MACROS( M )                             \
    M( otaconfigLOG2_FILE_BLOCK_SIZE )              \
    M( otaconfigSELF_TEST_RESPONSE_WAIT_MS )        \
    M( otaconfigFILE_REQUEST_WAIT_MS )              \
    M( otaconfigMAX_THINGNAME_LEN )                 \
    M( otaconfigMAX_NUM_BLOCKS_REQUEST )            \
    M( otaconfigMAX_NUM_REQUEST_MOMENTUM )          \
    M( otaconfigOTA_UPDATE_STATUS_FREQUENCY )       \
    M( otaconfigMAX_NUM_OTA_DATA_BUFFERS )          \
    M( otaconfigAllowDowngrade )                    \
    M( configENABLED_CONTROL_PROTOCOL )             \
    M( configENABLED_DATA_PROTOCOLS )               \
    M( configOTA_PRIMARY_DATA_PROTOCOL )            \
    M( LOG2_BITS_PER_BYTE )                         \
    M( BITS_PER_BYTE )                              \
    M( OTA_FILE_BLOCK_SIZE )                        \
    M( OTA_MAX_FILES )                              \
    M( OTA_MAX_BLOCK_BITMAP_SIZE )                  \
    M( OTA_REQUEST_MSG_MAX_SIZE )                   \
    M( OTA_REQUEST_URL_MAX_SIZE )                   \
    M( OTA_ERASED_BLOCKS_VAL )                      \
    M( OTA_NUM_MSG_Q_ENTRIES )                      \
    M( OTA_MAX_JSON_TOKENS )                        \
    M( OTA_MAX_JSON_STR_LEN )                       \
    M( OTA_DOC_MODEL_MAX_PARAMS )                   \
    M( OTA_JOB_PARAM_REQUIRED )                     \
    M( OTA_JOB_PARAM_OPTIONAL )                     \
    M( OTA_DONT_STORE_PARAM )                       \
    M( OTA_STORE_NESTED_JSON )                      \
    M( OTA_DATA_BLOCK_SIZE )                        \
    M( OTA_EVT_MASK_JOB_MSG_READY )                 \
    M( OTA_EVT_MASK_DATA_MSG_READY )                \
    M( OTA_EVT_MASK_SHUTDOWN )                      \
    M( OTA_EVT_MASK_REQ_TIMEOUT )                   \
    M( OTA_EVT_MASK_USER_ABORT )                    \
    M( OTA_EVT_MASK_ALL_EVENTS )                    \
    M( OTA_NUM_JOB_PARAMS )                         \
    M( OTA_JOB_ID_MAX_SIZE )                        \
    M( kOTA_MaxSignatureSize )                      \
    M( OTA_FILE_SIG_KEY_STR_MAX_LENGTH )            \
    M( OTA_PAL_ERR_MASK )                           \
    M( OTA_PAL_SUB_BITS )                           \
    M( OTA_CONTROL_OVER_MQTT )                      \
    M( OTA_DATA_OVER_MQTT )                         \
    M( OTA_DATA_OVER_HTTP )                         \
    M( OTA_DATA_NUM_PROTOCOLS )

/** @brief Every string-valued macro: Q(name). */
#define STRING_MACROS( Q )                   \
    Q( otaconfigSTACK_SIZE )                 \
    Q( otaconfigAGENT_PRIORITY )             \
    Q( OTA_JSON_SEPARATOR )                  \
    Q( OTA_JSON_CLIENT_TOKEN_KEY )           \
    Q( OTA_JSON_TIMESTAMP_KEY )              \
    Q( OTA_JSON_EXECUTION_KEY )              \
    Q( OTA_JSON_JOB_ID_KEY )                 \
    Q( OTA_JSON_STATUS_DETAILS_KEY )         \
    Q( OTA_JSON_SELF_TEST_KEY )              \
    Q( OTA_JSON_UPDATED_BY_KEY )             \
    Q( OTA_JSON_UPDATED_BY_KEY_ONLY )        \
    Q( OTA_JSON_SELF_TEST_KEY_ONLY )         \
    Q( OTA_JSON_JOB_DOC_KEY )                \
    Q( OTA_JSON_OTA_UNIT_KEY )               \
    Q( OTA_JSON_PROTOCOLS_KEY )              \
    Q( OTA_JSON_FILE_GROUP_KEY )             \
    Q( OTA_JSON_STREAM_NAME_KEY )            \
    Q( OTA_JSON_FILE_PATH_KEY )              \
    Q( OTA_JSON_FILE_SIZE_KEY )              \
    Q( OTA_JSON_FILE_ID_KEY )                \
    Q( OTA_JSON_FILE_ATTRIBUTE_KEY )         \
    Q( OTA_JSON_FILE_CERT_NAME_KEY )         \
    Q( OTA_JSON_UPDATE_DATA_URL_KEY )        \
    Q( OTA_JSON_AUTH_SCHEME_KEY )            \
    Q( OTA_JSON_FILETYPE_KEY )               \
    Q( OTA_CBOR_CLIENTTOKEN_KEY )            \
    Q( OTA_CBOR_FILEID_KEY )                 \
    Q( OTA_CBOR_BLOCKSIZE_KEY )              \
    Q( OTA_CBOR_BLOCKOFFSET_KEY )            \
    Q( OTA_CBOR_BLOCKBITMAP_KEY )            \
    Q( OTA_CBOR_STREAMDESCRIPTION_KEY )      \
    Q( OTA_CBOR_STREAMFILES_KEY )            \
    Q( OTA_CBOR_FILESIZE_KEY )               \
    Q( OTA_CBOR_BLOCKID_KEY )                \
    Q( OTA_CBOR_BLOCKPAYLOAD_KEY )           \
    Q( OTA_CBOR_NUMBEROFBLOCKS_KEY )

/** @brief Every function-pointer typedef: P(type). */
#define FUNCTION_POINTER_TYPES( P )          \
    P( OtaAppCallback_t )                    \
    P( OtaCustomJobCallback_t )              \
    P( OtaInitEvent_t )                      \
    P( OtaSendEvent_t )                      \
    P( OtaReceiveEvent_t )                   \
    P( OtaDeinitEvent_t )                    \
    P( OtaTimerCallback_t )                  \
    P( OtaStartTimer_t )                     \
    P( OtaStopTimer_t )                      \
    P( OtaDeleteTimer_t )                    \
    P( OtaMalloc_t )                         \
    P( OtaFree_t )                           \
    P( OtaMqttSubscribe_t )                  \
    P( OtaMqttUnsubscribe_t )                \
    P( OtaMqttPublish_t )                    \
    P( OtaHttpInit_t )                       \
    P( OtaHttpRequest_t )                    \
    P( OtaHttpDeinit )                       \
    P( OtaPalAbort_t )                       \
    P( OtaPalCreateFileForRx_t )             \
    P( OtaPalCloseFile_t )                   \
    P( OtaPalWriteBlock_t )                  \
    P( OtaPalActivateNewImage_t )            \
    P( OtaPalResetDevice_t )                 \
    P( OtaPalSetPlatformImageState_t )       \
    P( OtaPalGetPlatformImageState_t )

/** @brief Objects the application defines: X(name). */
#define EXTERN_OBJECTS( X )              \
    X( OTA_JsonFileSignatureKey )        \
    X( appFirmwareVersion )

/* ------------------------------------------------------------------------- */
/* Exact types, for gcc -aux-info (abi_check.cmake defines ABI_TYPE_DECLS).  */
/* ------------------------------------------------------------------------- */

#ifdef ABI_TYPE_DECLS
    #define DECL_FIELD( T, f )          __typeof__( ( ( T * ) 0 )->f ) * abi_field__ ## T ## __ ## f( void );
    #define DECL_NESTED( T, p, id )     __typeof__( ( ( T * ) 0 )->p ) * abi_field__ ## T ## __ ## id( void );
    #define DECL_FP( T )                __typeof__( *( T ) 0 ) abi_fptype__ ## T;
    #define DECL_EXTERN( x )            __typeof__( x ) * abi_extern__ ## x( void );
    #define DECL_SCALAR( T )            __typeof__( ( T ) 0 + 0 ) abi_scalar__ ## T( void );
    FIELDS( DECL_FIELD )
    NESTED( DECL_NESTED )
    FUNCTION_POINTER_TYPES( DECL_FP )
    EXTERN_OBJECTS( DECL_EXTERN )
    SCALAR_TYPES( DECL_SCALAR )
#endif

/* ------------------------------------------------------------------------- */
/* Printing.                                                                 */
/* ------------------------------------------------------------------------- */

/** @brief Name of the integer type an expression has after promotion rules; "other" for non-integers. */
#define KIND( e )                           \
    _Generic( ( e ),                        \
              _Bool: "bool",                \
              char: "char",                 \
              signed char: "schar",         \
              unsigned char: "uchar",       \
              short: "short",               \
              unsigned short: "ushort",     \
              int: "int",                   \
              unsigned int: "uint",         \
              long: "long",                 \
              unsigned long: "ulong",       \
              long long: "llong",           \
              unsigned long long: "ullong", \
              default: "other" )

#define STR_( x )    # x
#define XSTR( x )    STR_( x )

/** @brief Print an integer that may be signed or unsigned, with its type and size. */
static void printInt( const char * pName,
                      const char * pKind,
                      size_t size,
                      int isSigned,
                      long long s,
                      unsigned long long u )
{
    if( isSigned != 0 )
    {
        printf( "%s %lld\n", pName, s );
    }
    else
    {
        printf( "%s %llu\n", pName, u );
    }

    printf( "%s.type %s\n", pName, pKind );
    printf( "%s.sizeof %lu\n", pName, ( unsigned long ) size );
}

/* An integer expression is signed when its type is one of the signed kinds. */
#define IS_SIGNED_KIND( e )                \
    _Generic( ( e ),                       \
              _Bool: 0,                    \
              unsigned char: 0,            \
              unsigned short: 0,           \
              unsigned int: 0,             \
              unsigned long: 0,            \
              unsigned long long: 0,       \
              default: 1 )

#define PRINT_INT( name, e ) \
    printInt( ( name ), KIND( e ), sizeof( e ), IS_SIGNED_KIND( e ), ( long long ) ( e ), ( unsigned long long ) ( e ) )

#define PRINT_STRUCT( T )                                                            \
    printf( "struct.%s.sizeof %lu\n", # T, ( unsigned long ) sizeof( T ) );          \
    printf( "struct.%s.alignof %lu\n", # T, ( unsigned long ) _Alignof( T ) );

#define PRINT_MEMBER( T, path, label )                                                                \
    printf( "field.%s.%s.offsetof %lu\n", # T, label, ( unsigned long ) offsetof( T, path ) );       \
    printf( "field.%s.%s.sizeof %lu\n", # T, label, ( unsigned long ) sizeof( ( ( T * ) 0 )->path ) ); \
    printf( "field.%s.%s.type %s\n", # T, label, KIND( ( ( T * ) 0 )->path ) );

#define PRINT_FIELD( T, f )          PRINT_MEMBER( T, f, # f )
#define PRINT_NESTED( T, p, id )     PRINT_MEMBER( T, p, # p )

#define PRINT_ENUM_TYPE( T )                                                      \
    printf( "enumtype.%s.sizeof %lu\n", # T, ( unsigned long ) sizeof( T ) );     \
    printf( "enumtype.%s.type %s\n", # T, KIND( ( T ) 0 ) );

#define PRINT_ENUM_CONSTANT( c )     PRINT_INT( "enum." # c, c );

#define PRINT_SCALAR( T )                                                         \
    printf( "scalar.%s.sizeof %lu\n", # T, ( unsigned long ) sizeof( T ) );       \
    printf( "scalar.%s.type %s\n", # T, KIND( ( T ) 0 ) );

#define PRINT_INT_MACRO( m )         PRINT_INT( "macro." # m, m );
#define PRINT_STRING_MACRO( m )      printf( "string.%s \"%s\"\n", # m, m );
#define PRINT_FP_TYPE( T )           printf( "fptype.%s.sizeof %lu\n", # T, ( unsigned long ) sizeof( T ) );
#define PRINT_EXTERN( x )            printf( "extern.%s.sizeof %lu\n", # x, ( unsigned long ) sizeof( x ) );

int main( void )
{
    /* Sample argument for CONST_STRLEN (only its size is used). */
    const char sampleString[] = "sig-sha256-ecdsa";

    STRUCTS( PRINT_STRUCT )
    FIELDS( PRINT_FIELD )
    NESTED( PRINT_NESTED )
    ENUM_TYPES( PRINT_ENUM_TYPE )
    ENUM_CONSTANTS( PRINT_ENUM_CONSTANT )
    SCALAR_TYPES( PRINT_SCALAR )
    INT_MACROS( PRINT_INT_MACRO )
    STRING_MACROS( PRINT_STRING_MACRO )
    FUNCTION_POINTER_TYPES( PRINT_FP_TYPE )
    EXTERN_OBJECTS( PRINT_EXTERN )

    /* Function-like macros, on sample arguments (the last one shows that sub is not masked). */
    PRINT_INT( "fnmacro.CONST_STRLEN(sampleString)", CONST_STRLEN( sampleString ) );
    PRINT_INT( "fnmacro.OTA_PAL_MAIN_ERR(0xe3000005UL)", OTA_PAL_MAIN_ERR( 0xe3000005UL ) );
    PRINT_INT( "fnmacro.OTA_PAL_SUB_ERR(0xe3000005UL)", OTA_PAL_SUB_ERR( 0xe3000005UL ) );
    PRINT_INT( "fnmacro.OTA_PAL_COMBINE_ERR(OtaPalSignatureCheckFailed,5)", OTA_PAL_COMBINE_ERR( OtaPalSignatureCheckFailed, 5 ) );
    PRINT_INT( "fnmacro.OTA_PAL_COMBINE_ERR(OtaPalUninitialized,0x1234567)", OTA_PAL_COMBINE_ERR( OtaPalUninitialized, 0x1234567 ) );

    /* What the log hooks turn a call into (empty when the level is off). */
    printf( "expansion.LogError \"%s\"\n", XSTR( LogError( ( "abi %d", 1 ) ) ) );
    printf( "expansion.LogWarn \"%s\"\n", XSTR( LogWarn( ( "abi %d", 1 ) ) ) );
    printf( "expansion.LogInfo \"%s\"\n", XSTR( LogInfo( ( "abi %d", 1 ) ) ) );
    printf( "expansion.LogDebug \"%s\"\n", XSTR( LogDebug( ( "abi %d", 1 ) ) ) );

    return 0;
}
