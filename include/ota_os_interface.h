/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_os_interface.h
 * @brief What the OS port provides to the agent: an event queue, two timers, and memory.
 */

#ifndef OTA_OS_INTERFACE_H
#define OTA_OS_INTERFACE_H

/* v2.0.0 relies on the includer for these; including them here makes the header stand alone. */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Port-defined event queue state (opaque to the agent). */
struct OtaEventContext;
typedef struct OtaEventContext   OtaEventContext_t;

/** @brief Port-defined timer state (opaque to the agent). */
struct OtaTimerContext;
typedef struct OtaTimerContext   OtaTimerContext_t;

/** @brief The agent's timers. */
typedef enum
{
    OtaRequestTimer = 0,  /*!< @brief Re-requests blocks after a quiet period. */
    OtaSelfTestTimer = 1, /*!< @brief Bounds the self-test phase. */
    OtaNumOfTimers = 2    /*!< @brief Count of timers. */
} OtaTimerId_t;

/** @brief Status returned by the OS port. */
typedef enum OtaOsStatus
{
    OtaOsSuccess = 0,                    /*!< @brief Done. */
    OtaOsEventQueueCreateFailed = 0x80,  /*!< @brief Queue could not be created. */
    OtaOsEventQueueSendFailed = 0x81,    /*!< @brief Queue send failed. */
    OtaOsEventQueueReceiveFailed = 0x82, /*!< @brief Queue receive failed. */
    OtaOsEventQueueDeleteFailed = 0x83,  /*!< @brief Queue could not be deleted. */
    OtaOsTimerCreateFailed = 0x84,       /*!< @brief Timer could not be created. */
    OtaOsTimerStartFailed = 0x85,        /*!< @brief Timer could not be started. */
    OtaOsTimerRestartFailed = 0x86,      /*!< @brief Timer could not be restarted. */
    OtaOsTimerStopFailed = 0x87,         /*!< @brief Timer could not be stopped. */
    OtaOsTimerDeleteFailed = 0x88        /*!< @brief Timer could not be deleted. */
} OtaOsStatus_t;

/** @brief Create the event queue. */
typedef OtaOsStatus_t ( * OtaInitEvent_t )( OtaEventContext_t * pEventCtx );

/** @brief Post one OtaEventMsg_t (copied by value) to the queue; timeout in ms. */
typedef OtaOsStatus_t ( * OtaSendEvent_t )( OtaEventContext_t * pEventCtx,
                                            const void * pEventMsg,
                                            unsigned int timeout );

/** @brief Take one OtaEventMsg_t from the queue into pEventMsg; timeout in ms. */
typedef OtaOsStatus_t ( * OtaReceiveEvent_t )( OtaEventContext_t * pEventCtx,
                                               void * pEventMsg,
                                               uint32_t timeout );

/** @brief Destroy the event queue. */
typedef OtaOsStatus_t ( * OtaDeinitEvent_t )( OtaEventContext_t * pEventCtx );

/** @brief Called by the port when a timer expires. */
typedef void ( * OtaTimerCallback_t )( OtaTimerId_t otaTimerId );

/** @brief Start (or restart) a one-shot timer of timeout ms. */
typedef OtaOsStatus_t ( * OtaStartTimer_t )( OtaTimerId_t otaTimerId,
                                             const char * const pTimerName,
                                             const uint32_t timeout,
                                             OtaTimerCallback_t callback );

/** @brief Stop a timer. */
typedef OtaOsStatus_t ( * OtaStopTimer_t )( OtaTimerId_t otaTimerId );

/** @brief Delete a timer. */
typedef OtaOsStatus_t ( * OtaDeleteTimer_t )( OtaTimerId_t otaTimerId );

/** @brief Allocate size bytes (NULL on failure). */
typedef void * ( * OtaMalloc_t )( size_t size );

/** @brief Release memory from OtaMalloc_t (NULL is allowed). */
typedef void ( * OtaFree_t )( void * ptr );

/** @brief Event queue functions and their context. */
typedef struct OtaEventInterface
{
    OtaInitEvent_t init;               /*!< @brief Create the queue. */
    OtaSendEvent_t send;               /*!< @brief Post an event. */
    OtaReceiveEvent_t recv;            /*!< @brief Wait for an event. */
    OtaDeinitEvent_t deinit;           /*!< @brief Destroy the queue. */
    OtaEventContext_t * pEventContext; /*!< @brief Port's queue state. */
} OtaEventInterface_t;

/** @brief Timer functions. */
typedef struct OtaTimerInterface
{
    OtaStartTimer_t start;          /*!< @brief Start a timer. */
    OtaStopTimer_t stop;            /*!< @brief Stop a timer. */
    #ifdef __cplusplus
        OtaDeleteTimer_t deleteTimer; /*!< @brief Delete a timer (`delete` is a C++ keyword; same slot). */
    #else
        OtaDeleteTimer_t delete;      /*!< @brief Delete a timer. */
    #endif
} OtaTimerInterface_t;

/** @brief Memory functions. */
typedef struct OtaMallocInterface
{
    OtaMalloc_t malloc; /*!< @brief Allocate. */
    OtaFree_t free;     /*!< @brief Release. */
} OtaMallocInterface_t;

/** @brief The whole OS port. */
typedef struct OtaOSInterface
{
    OtaEventInterface_t event; /*!< @brief Event queue. */
    OtaTimerInterface_t timer; /*!< @brief Timers. */
    OtaMallocInterface_t mem;  /*!< @brief Memory. */
} OtaOSInterface_t;

#ifdef __cplusplus
}
#endif

#endif /* OTA_OS_INTERFACE_H */
