//! The POSIX OS port on Linux: the event queue, the two agent timers and the allocator that
//! v2.0.0's `ota_os_posix.h` declares (`Posix_Ota*`, `STDC_Malloc`, `STDC_Free`), with the
//! same prototypes and status codes, built on pthreads through the `libc` crate.
//!
//! # Event queue
//!
//! v2.0.0 used the POSIX message queue `/otaqueue`. That name is machine-wide, so two OTA
//! processes could end up on one queue (each receiving the other's events), and each `init` and
//! `deinit` unlinked the queue the other was using.
//! Here the queue is a ring of `OTA_NUM_MSG_Q_ENTRIES` `OtaEventMsg_t` values inside the
//! process, under a pthread mutex with two condition variables: a process only ever sees its own
//! events, and no mqueue limits or librt are involved. Messages travel by value, as with
//! `mq_send`. Status codes as in v2.0.0:
//!
//! * `init` always creates a fresh, empty queue (v2.0.0 unlinked and recreated it):
//!   `OtaOsSuccess`, or `OtaOsEventQueueCreateFailed` if the queue cannot be set up.
//! * `deinit` deletes it: `OtaOsSuccess`, or `OtaOsEventQueueDeleteFailed` when there is no queue
//!   (never initialised, or already deleted). Threads blocked in send or receive wake up and fail.
//! * `send` copies the message in: `OtaOsSuccess`, or `OtaOsEventQueueSendFailed` when there is
//!   no queue, the message pointer is NULL, or the queue stays full for `timeout` ms. A timeout
//!   of 0 (what the agent passes) fails at once on a full queue. v2.0.0 ignored the timeout and
//!   blocked forever on a full queue; a full queue now fails within the timeout.
//! * `recv` copies the oldest message out: `OtaOsSuccess`, or `OtaOsEventQueueReceiveFailed`
//!   when there is no queue (or it is deleted while waiting), the buffer pointer is NULL, or no
//!   event arrives within `timeout` ms. A timeout of 0 waits until an event arrives: the v2.0.0
//!   agent's event loop calls `recv(NULL, &msg, 0)` and relies on it blocking, as every v2.0.0
//!   port did (v2.0.0's POSIX port blocked whatever the timeout).
//!
//! # Timers
//!
//! `OtaRequestTimer` and `OtaSelfTestTimer` are one-shot timers served by a helper thread (not
//! `timer_create`): the thread sleeps on a condition variable against `CLOCK_MONOTONIC` until the
//! earliest deadline, then calls the `OtaTimerCallback_t` given to start with the timer's id,
//! outside any lock, so a callback may send events or start, stop and delete timers. The thread
//! runs while at least one timer exists (started and not deleted) and has every signal blocked.
//! Compared to v2.0.0's SIGEV_THREAD timers this needs no librt, keeps the real-time clock's
//! jumps out of the timeouts, and each timer keeps its own callback. Status codes as in v2.0.0:
//!
//! * `start` creates the timer if needed and (re-)arms it for `timeout` ms from now; starting a
//!   running timer re-arms it. A timeout of 0 leaves the timer created but not armed (what
//!   `timer_settime` with a zero value did). v2.0.0 armed for `timeout / 1000` whole seconds, so
//!   a timeout under a second never fired; here milliseconds count. Fails with
//!   `OtaOsTimerCreateFailed` (bad id, helper thread not started) or `OtaOsTimerStartFailed`
//!   (no clock).
//! * `stop` disarms: `OtaOsSuccess`, or `OtaOsTimerStopFailed` for a timer that does not exist.
//! * `delete` removes the timer: `OtaOsSuccess`, or `OtaOsTimerDeleteFailed` for a timer that
//!   does not exist. Deleting a timer that was never started (or is already deleted) has no effect
//!   beyond that status and a warning.
//!
//! A callback already taken off the timer when `stop` or `delete` runs still runs once, as with
//! any timer API whose callbacks run on another thread.
//!
//! # fork
//!
//! A child process starts with no queue and no timers (as a new process would, and as POSIX
//! timers are not inherited); it calls `init` for a queue of its own. Fork handlers keep the
//! port's lock consistent across `fork`.
// The exports keep v2.0.0's names (exported as ota_rs_*; see ota_os_posix_weak.c).
#![allow(non_snake_case)]

use crate::config;
use crate::sys::{
    self, OtaEventContext_t, OtaEventMsg_t, OtaOsStatus_t, OtaTimerCallback_t, OtaTimerId_t,
};
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_uint, c_void};
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{AtomicBool, Ordering};

/// Events the queue holds.
const CAPACITY: usize = config::NUM_MSG_Q_ENTRIES as usize;
/// Timers the agent uses, indexed by `OtaTimerId_t`.
const TIMER_COUNT: usize = sys::OtaNumOfTimers as usize;
const NANOS_PER_SEC: libc::c_long = 1_000_000_000;

const EMPTY_MSG: OtaEventMsg_t = OtaEventMsg_t {
    pEventData: ptr::null_mut(),
    eventId: 0,
};

// The exports have exactly the types of the OS interface's function pointers.
const _: sys::OtaInitEvent_t = Some(Posix_OtaInitEvent);
const _: sys::OtaSendEvent_t = Some(Posix_OtaSendEvent);
const _: sys::OtaReceiveEvent_t = Some(Posix_OtaReceiveEvent);
const _: sys::OtaDeinitEvent_t = Some(Posix_OtaDeinitEvent);
const _: sys::OtaStartTimer_t = Some(Posix_OtaStartTimer);
const _: sys::OtaStopTimer_t = Some(Posix_OtaStopTimer);
const _: sys::OtaDeleteTimer_t = Some(Posix_OtaDeleteTimer);
const _: sys::OtaMalloc_t = Some(STDC_Malloc);
const _: sys::OtaFree_t = Some(STDC_Free);

// The parts; each reaches the others through these imports (`use super::*`).
mod queue;
mod shared;
mod time;
mod timers;
use queue::*;
use shared::*;
use time::*;
use timers::*;

// ------------------------------------------------------------------------------------------
// Memory
// ------------------------------------------------------------------------------------------

/// The C library's `malloc` (`OtaMalloc_t`).
#[export_name = "ota_rs_STDC_Malloc"]
pub extern "C" fn STDC_Malloc(size: libc::size_t) -> *mut c_void {
    // SAFETY: malloc accepts any size and returns NULL when it cannot allocate.
    unsafe { libc::malloc(size) }
}

/// The C library's `free` (`OtaFree_t`).
///
/// # Safety
///
/// `ptr` is NULL or a block from `STDC_Malloc` (or `malloc`) not freed yet.
#[export_name = "ota_rs_STDC_Free"]
pub unsafe extern "C" fn STDC_Free(ptr: *mut c_void) {
    // SAFETY: the caller's contract above is free's contract.
    unsafe { libc::free(ptr) }
}

#[cfg(test)]
mod tests;
