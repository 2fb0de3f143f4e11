/* ota-rs: the POSIX OS port of the OTA library, declared as in v2.0.0. SPDX-License-Identifier: MIT
 *
 * These functions live in libota.a (Cargo feature `os-posix`, CMake option OTA_OS_POSIX, on by
 * default on Linux). Plug them into OtaInterfaces_t.os:
 *
 *     os.event.init = Posix_OtaInitEvent;     os.timer.start = Posix_OtaStartTimer;
 *     os.event.send = Posix_OtaSendEvent;     os.timer.stop = Posix_OtaStopTimer;
 *     os.event.recv = Posix_OtaReceiveEvent;  os.timer.delete = Posix_OtaDeleteTimer;
 *     os.event.deinit = Posix_OtaDeinitEvent; os.mem.malloc = STDC_Malloc;
 *                                             os.mem.free = STDC_Free;
 *
 * Every function returns OtaOsSuccess or the OtaOsStatus_t named below. The event context
 * argument is accepted and ignored, as in v2.0.0. */

#ifndef _OTA_OS_POSIX_H_
#define _OTA_OS_POSIX_H_

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ota_os_interface.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The complete type behind OtaTimerContext_t, kept from v2.0.0 for source compatibility.
 * The port itself does not use it. */
struct OtaTimerContext
{
    timer_t timer;
    OtaTimerId_t timerId;
};

/* Creates this process's event queue, empty (a queue that already exists is emptied).
 * Each process has its own queue: no other process can see or delete it.
 * Fails with OtaOsEventQueueCreateFailed. */
OtaOsStatus_t Posix_OtaInitEvent( OtaEventContext_t * pEventCtx );

/* Copies the OtaEventMsg_t at pEventMsg to the back of the queue. On a full queue, waits up to
 * `timeout` milliseconds for room; 0 means do not wait.
 * Fails with OtaOsEventQueueSendFailed: no queue, pEventMsg NULL, or still full at the timeout. */
OtaOsStatus_t Posix_OtaSendEvent( OtaEventContext_t * pEventCtx,
                                  const void * pEventMsg,
                                  unsigned int timeout );

/* Moves the oldest event into the OtaEventMsg_t at pEventMsg. On an empty queue, waits up to
 * `timeout` milliseconds for one; 0 waits until one arrives (the agent's event loop relies on it).
 * Fails with OtaOsEventQueueReceiveFailed: no queue (also when it is deleted while waiting),
 * pEventMsg NULL, or nothing arrived within the timeout. */
OtaOsStatus_t Posix_OtaReceiveEvent( OtaEventContext_t * pEventCtx,
                                     void * pEventMsg,
                                     uint32_t timeout );

/* Deletes the event queue and any events in it; blocked senders and receivers return failure.
 * Fails with OtaOsEventQueueDeleteFailed when there is no queue. */
OtaOsStatus_t Posix_OtaDeinitEvent( OtaEventContext_t * pEventCtx );

/* Creates timer otaTimerId (OtaRequestTimer or OtaSelfTestTimer) if needed and arms it to call
 * callback( otaTimerId ) once, `timeout` milliseconds from now, on the port's timer thread.
 * Starting a running timer re-arms it; a timeout of 0 leaves it created and disarmed.
 * pTimerName is not used. Fails with OtaOsTimerCreateFailed (unknown id, no timer thread) or
 * OtaOsTimerStartFailed. */
OtaOsStatus_t Posix_OtaStartTimer( OtaTimerId_t otaTimerId,
                                   const char * const pTimerName,
                                   const uint32_t timeout,
                                   OtaTimerCallback_t callback );

/* Disarms the timer. Fails with OtaOsTimerStopFailed when the timer does not exist (never
 * started, or deleted). */
OtaOsStatus_t Posix_OtaStopTimer( OtaTimerId_t otaTimerId );

/* Deletes the timer. Fails with OtaOsTimerDeleteFailed, and changes nothing, when the timer does
 * not exist (never started, or already deleted). */
OtaOsStatus_t Posix_OtaDeleteTimer( OtaTimerId_t otaTimerId );

/* The C library's malloc. */
void * STDC_Malloc( size_t size );

/* The C library's free. */
void STDC_Free( void * ptr );

#ifdef __cplusplus
}
#endif

#endif /* ifndef _OTA_OS_POSIX_H_ */
