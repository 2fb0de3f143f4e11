/* ota-rs: AWS IoT OTA v2.0.0 compatible C API, implemented in Rust. SPDX-License-Identifier: MIT */

/**
 * @file ota_os_freertos.h
 * @brief The OTA OS interface (event queue, timers, memory) on the FreeRTOS kernel.
 *
 * Fill OtaInterfaces_t.os from these nine functions. The names, prototypes and include guard
 * are those of the v2.0.0 FreeRTOS port, so an application written against that port compiles
 * unchanged. Behaviour differences from v2.0.0 (all without a prototype change) are listed in
 * ports/freertos/README.md.
 */

#ifndef _OTA_OS_FREERTOS_H_
#define _OTA_OS_FREERTOS_H_

#include <stddef.h>
#include <stdint.h>

#include "ota_os_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Create the agent's event queue (OTA_NUM_MSG_Q_ENTRIES messages of OtaEventMsg_t).
 *
 * Calling it again while the queue exists empties the queue instead of creating a second one.
 *
 * @param[in] pEventCtx Unused (the agent passes NULL).
 * @return OtaOsSuccess, or OtaOsEventQueueCreateFailed.
 */
OtaOsStatus_t OtaInitEvent_FreeRTOS( OtaEventContext_t * pEventCtx );

/**
 * @brief Copy one OtaEventMsg_t to the back of the event queue.
 *
 * @param[in] pEventCtx Unused (the agent passes NULL).
 * @param[in] pEventMsg The OtaEventMsg_t to copy.
 * @param[in] timeout   Longest wait for room in a full queue, in ms; 0 does not wait.
 * @return OtaOsSuccess, or OtaOsEventQueueSendFailed (queue full, no queue, or NULL message).
 */
OtaOsStatus_t OtaSendEvent_FreeRTOS( OtaEventContext_t * pEventCtx,
                                     const void * pEventMsg,
                                     unsigned int timeout );

/**
 * @brief Take the oldest OtaEventMsg_t from the event queue.
 *
 * @param[in]  pEventCtx Unused (the agent passes NULL).
 * @param[out] pEventMsg Storage for one OtaEventMsg_t.
 * @param[in]  timeout   Longest wait for an event, in ms; 0 waits until one arrives, which is
 *                       what the agent's task asks for.
 * @return OtaOsSuccess, or OtaOsEventQueueReceiveFailed (timed out, no queue, or NULL storage).
 */
OtaOsStatus_t OtaReceiveEvent_FreeRTOS( OtaEventContext_t * pEventCtx,
                                        void * pEventMsg,
                                        uint32_t timeout );

/**
 * @brief Delete the event queue. No task may be waiting on it.
 *
 * @param[in] pEventCtx Unused (the agent passes NULL).
 * @return OtaOsSuccess.
 */
OtaOsStatus_t OtaDeinitEvent_FreeRTOS( OtaEventContext_t * pEventCtx );

/**
 * @brief Arm a one-shot timer; when it expires, callback( otaTimerId ) runs in the FreeRTOS
 * timer service task.
 *
 * A running timer is re-armed with the new timeout and callback.
 *
 * @param[in] otaTimerId OtaRequestTimer or OtaSelfTestTimer.
 * @param[in] pTimerName Name given to the kernel timer; must stay valid while the timer exists.
 * @param[in] timeout    Expiry time in ms from now.
 * @param[in] callback   Called on expiry.
 * @return OtaOsSuccess, OtaOsTimerCreateFailed, OtaOsTimerStartFailed or OtaOsTimerRestartFailed.
 */
OtaOsStatus_t OtaStartTimer_FreeRTOS( OtaTimerId_t otaTimerId,
                                      const char * const pTimerName,
                                      const uint32_t timeout,
                                      OtaTimerCallback_t callback );

/**
 * @brief Disarm a timer. A timer that does not exist is already stopped.
 *
 * @param[in] otaTimerId OtaRequestTimer or OtaSelfTestTimer.
 * @return OtaOsSuccess, or OtaOsTimerStopFailed.
 */
OtaOsStatus_t OtaStopTimer_FreeRTOS( OtaTimerId_t otaTimerId );

/**
 * @brief Disarm a timer and release it.
 *
 * @param[in] otaTimerId OtaRequestTimer or OtaSelfTestTimer.
 * @return OtaOsSuccess, or OtaOsTimerDeleteFailed (also when the timer does not exist).
 */
OtaOsStatus_t OtaDeleteTimer_FreeRTOS( OtaTimerId_t otaTimerId );

/**
 * @brief Allocate from the FreeRTOS heap (pvPortMalloc).
 *
 * @param[in] size Bytes wanted.
 * @return The memory, or NULL.
 */
void * Malloc_FreeRTOS( size_t size );

/**
 * @brief Return memory from Malloc_FreeRTOS to the FreeRTOS heap (vPortFree); NULL is ignored.
 *
 * @param[in] ptr Memory from Malloc_FreeRTOS, or NULL.
 */
void Free_FreeRTOS( void * ptr );

#ifdef __cplusplus
}
#endif

#endif /* _OTA_OS_FREERTOS_H_ */
