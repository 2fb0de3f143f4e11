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

// ------------------------------------------------------------------------------------------
// Time
// ------------------------------------------------------------------------------------------

/// A point on `CLOCK_MONOTONIC`, the clock the condition variables wait against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Instant {
    sec: libc::time_t,
    nsec: libc::c_long,
}

fn zero_timespec() -> libc::timespec {
    // SAFETY: timespec is plain integers (plus padding on some targets); all zero is valid.
    unsafe { MaybeUninit::<libc::timespec>::zeroed().assume_init() }
}

impl Instant {
    fn now() -> Option<Instant> {
        let mut ts = zero_timespec();
        // SAFETY: `ts` is a live, writable timespec.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (rc == 0).then_some(Instant {
            sec: ts.tv_sec,
            nsec: ts.tv_nsec,
        })
    }

    /// This instant plus `ms` milliseconds; `None` only if the clock would overflow.
    fn after_ms(self, ms: u32) -> Option<Instant> {
        // Both parts fit every time_t and c_long: ms / 1000 < 2^23 and the nanoseconds < 10^9.
        let add_sec = (ms / 1000) as libc::time_t;
        let add_nsec = (ms % 1000).saturating_mul(1_000_000) as libc::c_long;
        let mut sec = self.sec.checked_add(add_sec)?;
        let mut nsec = self.nsec.checked_add(add_nsec)?;
        if nsec >= NANOS_PER_SEC {
            nsec = nsec.checked_sub(NANOS_PER_SEC)?;
            sec = sec.checked_add(1)?;
        }
        Some(Instant { sec, nsec })
    }

    fn timespec(self) -> libc::timespec {
        let mut ts = zero_timespec();
        ts.tv_sec = self.sec;
        ts.tv_nsec = self.nsec;
        ts
    }
}

/// The deadline `timeout_ms` from now; `Ok(None)` for a timeout of 0.
fn deadline_after(timeout_ms: u32) -> Result<Option<Instant>, ()> {
    if timeout_ms == 0 {
        return Ok(None);
    }
    Instant::now()
        .and_then(|now| now.after_ms(timeout_ms))
        .map(Some)
        .ok_or(())
}

// ------------------------------------------------------------------------------------------
// Shared state and its lock
// ------------------------------------------------------------------------------------------

/// The event queue: a ring buffer of messages, copied in and out by value.
struct Queue {
    open: bool,
    head: usize,
    len: usize,
    slots: [OtaEventMsg_t; CAPACITY],
}

impl Queue {
    const fn new() -> Queue {
        Queue {
            open: false,
            head: 0,
            len: 0,
            slots: [EMPTY_MSG; CAPACITY],
        }
    }

    fn reset(&mut self, open: bool) {
        self.open = open;
        self.head = 0;
        self.len = 0;
    }

    fn push(&mut self, msg: OtaEventMsg_t) -> bool {
        if self.len >= CAPACITY {
            return false;
        }
        let tail = self
            .head
            .checked_add(self.len)
            .and_then(|i| i.checked_rem(CAPACITY));
        match tail.and_then(|i| self.slots.get_mut(i)) {
            Some(slot) => {
                *slot = msg;
                self.len = self.len.saturating_add(1);
                true
            }
            None => false,
        }
    }

    fn pop(&mut self) -> Option<OtaEventMsg_t> {
        if self.len == 0 {
            return None;
        }
        let msg = *self.slots.get(self.head)?;
        self.head = self
            .head
            .checked_add(1)
            .and_then(|i| i.checked_rem(CAPACITY))
            .unwrap_or(0);
        self.len = self.len.saturating_sub(1);
        Some(msg)
    }
}

/// One agent timer.
#[derive(Clone, Copy)]
struct Timer {
    /// Started and not deleted since (v2.0.0: a created POSIX timer).
    exists: bool,
    /// When it fires; `None` while disarmed.
    deadline: Option<Instant>,
    callback: OtaTimerCallback_t,
}

const NO_TIMER: Timer = Timer {
    exists: false,
    deadline: None,
    callback: None,
};

struct Timers {
    slots: [Timer; TIMER_COUNT],
    /// The helper thread runs (or has been started and not yet decided to end).
    worker: bool,
    /// The helper thread, once it has taken the lock for the first time.
    worker_id: Option<libc::pthread_t>,
    /// The slot whose callback the helper thread is running now.
    firing: Option<usize>,
}

struct State {
    /// The condition variables wait against CLOCK_MONOTONIC and the fork handlers are in place.
    ready: bool,
    queue: Queue,
    timers: Timers,
}

struct Cond(UnsafeCell<libc::pthread_cond_t>);

struct Port {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    /// Signalled when an event is queued or the queue goes away.
    not_empty: Cond,
    /// Signalled when room appears or the queue goes away.
    not_full: Cond,
    /// Signalled when a timer changes, for the helper thread.
    timers_changed: Cond,
    /// Signalled when a timer callback returns, for stop and delete.
    callback_done: Cond,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only reached through a `Guard`, which exists only while `mutex` is held by
// the current thread; the pthread objects are made to be shared between threads.
unsafe impl Sync for Port {}

static PORT: Port = Port {
    mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    not_empty: Cond(UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER)),
    not_full: Cond(UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER)),
    timers_changed: Cond(UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER)),
    callback_done: Cond(UnsafeCell::new(libc::PTHREAD_COND_INITIALIZER)),
    state: UnsafeCell::new(State {
        ready: false,
        queue: Queue::new(),
        timers: Timers {
            slots: [NO_TIMER; TIMER_COUNT],
            worker: false,
            worker_id: None,
            firing: None,
        },
    }),
};

static FORK_HANDLERS: AtomicBool = AtomicBool::new(false);

/// Proof that the current thread holds `PORT.mutex`; unlocks when dropped.
struct Guard {
    _private: (),
}

enum Wait {
    Woken,
    TimedOut,
    Failed,
}

/// Takes the port's lock, setting the port up on first use. `None` if that fails. The lock is
/// always released before a log record goes out: the application's logger may wait on a thread
/// that is waiting for this lock.
fn lock() -> Option<Guard> {
    // Outside the lock: fork() holds glibc's handler-list lock while before_fork takes ours.
    if !FORK_HANDLERS.load(Ordering::Acquire) {
        install_fork_handlers();
    }
    // SAFETY: PORT.mutex is a valid, statically initialised mutex that lives forever.
    if unsafe { libc::pthread_mutex_lock(PORT.mutex.get()) } != 0 {
        return None;
    }
    let mut guard = Guard { _private: () };
    if !guard.state().ready {
        if !init_conds() {
            drop(guard);
            ota_log!(Error, "OTA OS port: cannot set up its condition variables");
            return None;
        }
        guard.state().ready = true;
    }
    Some(guard)
}

impl Guard {
    fn state(&mut self) -> &mut State {
        // SAFETY: this guard proves the mutex is held, so no other thread touches the state, and
        // `&mut self` keeps this the only reference made through the guard.
        unsafe { &mut *PORT.state.get() }
    }

    /// Releases the lock until `cond` is signalled or `deadline` passes, then takes it again.
    fn wait(&mut self, cond: &Cond, deadline: Option<Instant>) -> Wait {
        let rc = match deadline {
            // SAFETY: the mutex is held by this thread (the guard); both objects are valid.
            None => unsafe { libc::pthread_cond_wait(cond.0.get(), PORT.mutex.get()) },
            Some(at) => {
                let ts = at.timespec();
                // SAFETY: as above; `ts` lives across the call. The condition variable waits
                // against CLOCK_MONOTONIC (init_conds), the clock `at` was read from.
                unsafe { libc::pthread_cond_timedwait(cond.0.get(), PORT.mutex.get(), &ts) }
            }
        };
        match rc {
            0 => Wait::Woken,
            libc::ETIMEDOUT => Wait::TimedOut,
            _ => Wait::Failed,
        }
    }

    fn wake_one(&self, cond: &Cond) {
        // SAFETY: a valid condition variable; signalling with the mutex held is allowed.
        unsafe { libc::pthread_cond_signal(cond.0.get()) };
    }

    fn wake_all(&self, cond: &Cond) {
        // SAFETY: as in wake_one.
        unsafe { libc::pthread_cond_broadcast(cond.0.get()) };
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: the guard exists only while this thread holds the mutex.
        unsafe { libc::pthread_mutex_unlock(PORT.mutex.get()) };
    }
}

/// (Re)initialises the condition variables to wait against CLOCK_MONOTONIC. Only called
/// while no thread can be using them: at first use, and in a fork child, where the copies may
/// still count waiters that were threads of the parent. Those copies are overwritten, not
/// destroyed: destroying a condition variable waits for its waiters, which in the child never
/// come (glibc would hang there).
fn init_conds() -> bool {
    let mut attr = MaybeUninit::<libc::pthread_condattr_t>::uninit();
    // SAFETY: pthread_condattr_init initialises `attr` when it returns 0; only then is it used
    // and destroyed. No thread uses the condition variables (see above), so writing a fresh
    // static initializer over each and initialising it again is sound.
    unsafe {
        if libc::pthread_condattr_init(attr.as_mut_ptr()) != 0 {
            return false;
        }
        let mut ok = libc::pthread_condattr_setclock(attr.as_mut_ptr(), libc::CLOCK_MONOTONIC) == 0;
        for cond in [
            &PORT.not_empty,
            &PORT.not_full,
            &PORT.timers_changed,
            &PORT.callback_done,
        ] {
            ptr::write(cond.0.get(), libc::PTHREAD_COND_INITIALIZER);
            ok = ok && libc::pthread_cond_init(cond.0.get(), attr.as_ptr()) == 0;
        }
        libc::pthread_condattr_destroy(attr.as_mut_ptr());
        ok
    }
}

fn install_fork_handlers() {
    if FORK_HANDLERS.swap(true, Ordering::AcqRel) {
        return;
    }
    // SAFETY: the three handlers are `unsafe extern "C" fn()` that live for the whole program.
    let rc = unsafe {
        libc::pthread_atfork(
            Some(before_fork),
            Some(after_fork_in_parent),
            Some(after_fork_in_child),
        )
    };
    if rc != 0 {
        // Not retried: the port works without them, only a fork may then copy a held lock.
        ota_log!(
            Warn,
            "OTA OS port: pthread_atfork failed (",
            d(rc),
            "); forking is not supported"
        );
    }
}

/// Holds the lock across `fork`, so the child never inherits it mid-update.
unsafe extern "C" fn before_fork() {
    // SAFETY: a valid mutex; no code path of this port holds it while calling out, so the forking
    // thread never holds it already.
    unsafe { libc::pthread_mutex_lock(PORT.mutex.get()) };
}

unsafe extern "C" fn after_fork_in_parent() {
    // SAFETY: before_fork locked it in this thread.
    unsafe { libc::pthread_mutex_unlock(PORT.mutex.get()) };
}

/// The child has no helper thread and no waiters: it starts with no queue and no timers.
unsafe extern "C" fn after_fork_in_child() {
    let mut guard = Guard { _private: () };
    let state = guard.state();
    state.queue.reset(false);
    state.timers.slots = [NO_TIMER; TIMER_COUNT];
    state.timers.worker = false;
    state.timers.worker_id = None;
    state.timers.firing = None;
    // Waiter bookkeeping copied from the parent refers to threads the child does not have.
    if !init_conds() {
        guard.state().ready = false;
    }
    // Dropping the guard unlocks the mutex before_fork locked in this (the forking) thread.
    drop(guard);
}

// ------------------------------------------------------------------------------------------
// Event queue
// ------------------------------------------------------------------------------------------

fn init_queue() -> OtaOsStatus_t {
    if CAPACITY == 0 {
        ota_log!(
            Error,
            "Failed to create the OTA event queue: OTA_NUM_MSG_Q_ENTRIES is 0"
        );
        return sys::OtaOsEventQueueCreateFailed;
    }
    let Some(mut guard) = lock() else {
        return sys::OtaOsEventQueueCreateFailed;
    };
    guard.state().queue.reset(true);
    guard.wake_all(&PORT.not_full);
    drop(guard);
    ota_log!(
        Debug,
        "OTA event queue created (",
        u(CAPACITY),
        " entries)."
    );
    sys::OtaOsSuccess
}

fn deinit_queue() -> OtaOsStatus_t {
    let Some(mut guard) = lock() else {
        return sys::OtaOsEventQueueDeleteFailed;
    };
    let queue = &mut guard.state().queue;
    if !queue.open {
        drop(guard);
        ota_log!(
            Error,
            "Failed to delete the OTA event queue: it does not exist."
        );
        return sys::OtaOsEventQueueDeleteFailed;
    }
    queue.reset(false);
    guard.wake_all(&PORT.not_empty);
    guard.wake_all(&PORT.not_full);
    drop(guard);
    ota_log!(Debug, "OTA event queue deleted.");
    sys::OtaOsSuccess
}

fn send(msg: OtaEventMsg_t, timeout_ms: u32) -> OtaOsStatus_t {
    const FAILED: OtaOsStatus_t = sys::OtaOsEventQueueSendFailed;
    let Ok(deadline) = deadline_after(timeout_ms) else {
        ota_log!(Error, "Failed to send an OTA event: no monotonic clock.");
        return FAILED;
    };
    let Some(mut guard) = lock() else {
        return FAILED;
    };
    let mut timed_out = false;
    loop {
        let queue = &mut guard.state().queue;
        if !queue.open {
            drop(guard);
            ota_log!(
                Error,
                "Failed to send an OTA event: the event queue does not exist."
            );
            return FAILED;
        }
        if queue.push(msg) {
            guard.wake_one(&PORT.not_empty);
            drop(guard);
            ota_log!(Debug, "OTA event sent.");
            return sys::OtaOsSuccess;
        }
        let Some(at) = deadline.filter(|_| !timed_out) else {
            drop(guard);
            ota_log!(
                Error,
                "Failed to send an OTA event: the queue stayed full for ",
                u(timeout_ms),
                " ms."
            );
            return FAILED;
        };
        match guard.wait(&PORT.not_full, Some(at)) {
            Wait::Woken => {}
            Wait::TimedOut => timed_out = true,
            Wait::Failed => {
                drop(guard);
                ota_log!(
                    Error,
                    "Failed to send an OTA event: waiting for room failed."
                );
                return FAILED;
            }
        }
    }
}

fn receive(timeout_ms: u32) -> Result<OtaEventMsg_t, OtaOsStatus_t> {
    const FAILED: OtaOsStatus_t = sys::OtaOsEventQueueReceiveFailed;
    let Ok(deadline) = deadline_after(timeout_ms) else {
        ota_log!(Error, "Failed to receive an OTA event: no monotonic clock.");
        return Err(FAILED);
    };
    let mut guard = lock().ok_or(FAILED)?;
    let mut timed_out = false;
    loop {
        let queue = &mut guard.state().queue;
        if !queue.open {
            drop(guard);
            ota_log!(
                Error,
                "Failed to receive an OTA event: the event queue does not exist."
            );
            return Err(FAILED);
        }
        if let Some(msg) = queue.pop() {
            guard.wake_one(&PORT.not_full);
            drop(guard);
            ota_log!(Debug, "OTA event received.");
            return Ok(msg);
        }
        if timed_out {
            drop(guard);
            ota_log!(Debug, "No OTA event within ", u(timeout_ms), " ms.");
            return Err(FAILED);
        }
        // A timeout of 0 waits for as long as it takes (see the module documentation).
        match guard.wait(&PORT.not_empty, deadline) {
            Wait::Woken => {}
            Wait::TimedOut => timed_out = true,
            Wait::Failed => {
                drop(guard);
                ota_log!(
                    Error,
                    "Failed to receive an OTA event: waiting for one failed."
                );
                return Err(FAILED);
            }
        }
    }
}

/// Creates a fresh, empty event queue for this process (`OtaInitEvent_t`).
///
/// # Safety
///
/// None beyond the C prototype: `pEventCtx` is not used.
#[export_name = "ota_rs_Posix_OtaInitEvent"]
pub unsafe extern "C" fn Posix_OtaInitEvent(event_ctx: *mut OtaEventContext_t) -> OtaOsStatus_t {
    let _ = event_ctx;
    init_queue()
}

/// Queues a copy of the `OtaEventMsg_t` at `event_msg`, waiting up to `timeout` ms for room
/// (`OtaSendEvent_t`).
///
/// # Safety
///
/// `event_msg` is NULL or points to a readable `OtaEventMsg_t`. `pEventCtx` is not used.
#[export_name = "ota_rs_Posix_OtaSendEvent"]
pub unsafe extern "C" fn Posix_OtaSendEvent(
    event_ctx: *mut OtaEventContext_t,
    event_msg: *const c_void,
    timeout: c_uint,
) -> OtaOsStatus_t {
    let _ = event_ctx;
    if event_msg.is_null() {
        ota_log!(Error, "Failed to send an OTA event: the message is NULL.");
        return sys::OtaOsEventQueueSendFailed;
    }
    // SAFETY: non-NULL, and the caller passes a readable OtaEventMsg_t; `const void *` promises
    // no alignment, hence the unaligned read.
    let msg = unsafe { ptr::read_unaligned(event_msg.cast::<OtaEventMsg_t>()) };
    send(msg, timeout)
}

/// Moves the oldest event into the `OtaEventMsg_t` at `event_msg`, waiting up to `timeout` ms
/// for one, or without limit when `timeout` is 0 (`OtaReceiveEvent_t`).
///
/// # Safety
///
/// `event_msg` is NULL or points to a writable `OtaEventMsg_t`. `pEventCtx` is not used.
#[export_name = "ota_rs_Posix_OtaReceiveEvent"]
pub unsafe extern "C" fn Posix_OtaReceiveEvent(
    event_ctx: *mut OtaEventContext_t,
    event_msg: *mut c_void,
    timeout: u32,
) -> OtaOsStatus_t {
    let _ = event_ctx;
    if event_msg.is_null() {
        ota_log!(Error, "Failed to receive an OTA event: the buffer is NULL.");
        return sys::OtaOsEventQueueReceiveFailed;
    }
    match receive(timeout) {
        Ok(msg) => {
            // SAFETY: non-NULL, and the caller passes a writable OtaEventMsg_t; no alignment
            // is promised, hence the unaligned write.
            unsafe { ptr::write_unaligned(event_msg.cast::<OtaEventMsg_t>(), msg) };
            sys::OtaOsSuccess
        }
        Err(status) => status,
    }
}

/// Deletes the event queue, dropping queued events (`OtaDeinitEvent_t`).
///
/// # Safety
///
/// None beyond the C prototype: `pEventCtx` is not used.
#[export_name = "ota_rs_Posix_OtaDeinitEvent"]
pub unsafe extern "C" fn Posix_OtaDeinitEvent(event_ctx: *mut OtaEventContext_t) -> OtaOsStatus_t {
    let _ = event_ctx;
    deinit_queue()
}

// ------------------------------------------------------------------------------------------
// Timers
// ------------------------------------------------------------------------------------------

fn timer_slot(id: OtaTimerId_t) -> Option<usize> {
    usize::try_from(id).ok().filter(|&i| i < TIMER_COUNT)
}

fn start_timer(id: OtaTimerId_t, timeout_ms: u32, callback: OtaTimerCallback_t) -> OtaOsStatus_t {
    let Some(slot) = timer_slot(id) else {
        ota_log!(
            Error,
            "Failed to create OTA timer: invalid timer id ",
            u(id),
            "."
        );
        return sys::OtaOsTimerCreateFailed;
    };
    let Ok(deadline) = deadline_after(timeout_ms) else {
        ota_log!(
            Error,
            "Failed to start OTA timer ",
            u(id),
            ": no monotonic clock."
        );
        return sys::OtaOsTimerStartFailed;
    };
    let Some(mut guard) = lock() else {
        return sys::OtaOsTimerCreateFailed;
    };
    let timers = &mut guard.state().timers;
    if !timers.worker {
        if !spawn_worker() {
            drop(guard);
            ota_log!(
                Error,
                "Failed to create OTA timer ",
                u(id),
                ": no timer thread."
            );
            return sys::OtaOsTimerCreateFailed;
        }
        timers.worker = true;
    }
    let Some(timer) = timers.slots.get_mut(slot) else {
        return sys::OtaOsTimerCreateFailed;
    };
    *timer = Timer {
        exists: true,
        deadline,
        callback,
    };
    guard.wake_all(&PORT.timers_changed);
    drop(guard);
    ota_log!(
        Debug,
        "OTA timer ",
        u(id),
        " started for ",
        u(timeout_ms),
        " ms."
    );
    sys::OtaOsSuccess
}

fn stop_timer(id: OtaTimerId_t) -> OtaOsStatus_t {
    let Some(mut guard) = lock() else {
        return sys::OtaOsTimerStopFailed;
    };
    match timer_slot(id).and_then(|i| guard.state().timers.slots.get_mut(i)) {
        Some(timer) if timer.exists => {
            timer.deadline = None;
            guard.wake_all(&PORT.timers_changed);
            finish_callback_of(&mut guard, id);
            drop(guard);
            ota_log!(Debug, "OTA timer ", u(id), " stopped.");
            sys::OtaOsSuccess
        }
        _ => {
            drop(guard);
            ota_log!(
                Debug,
                "OTA timer ",
                u(id),
                " does not exist, can't stop it."
            );
            sys::OtaOsTimerStopFailed
        }
    }
}

fn delete_timer(id: OtaTimerId_t) -> OtaOsStatus_t {
    let Some(mut guard) = lock() else {
        return sys::OtaOsTimerDeleteFailed;
    };
    match timer_slot(id).and_then(|i| guard.state().timers.slots.get_mut(i)) {
        Some(timer) if timer.exists => {
            // The helper thread ends by itself once no timer exists.
            *timer = NO_TIMER;
            guard.wake_all(&PORT.timers_changed);
            finish_callback_of(&mut guard, id);
            drop(guard);
            ota_log!(Debug, "OTA timer ", u(id), " deleted.");
            sys::OtaOsSuccess
        }
        _ => {
            drop(guard);
            ota_log!(
                Debug,
                "OTA timer ",
                u(id),
                " does not exist, can't delete it."
            );
            sys::OtaOsTimerDeleteFailed
        }
    }
}

/// Waits until a callback the helper thread already took from timer `id` has returned, so that
/// after stop or delete no callback of that timer runs (one that stops its own timer is not
/// waited for). Bounded: the agent's callback only queues an event without waiting, or resets.
fn finish_callback_of(guard: &mut Guard, id: OtaTimerId_t) {
    loop {
        let timers = &guard.state().timers;
        // SAFETY: pthread_self has no preconditions; pthread_equal compares two thread ids.
        let on_worker = timers
            .worker_id
            .is_some_and(|w| unsafe { libc::pthread_equal(w, libc::pthread_self()) } != 0);
        if timers.firing != timer_slot(id) || timers.firing.is_none() || on_worker {
            return;
        }
        if let Wait::Failed = guard.wait(&PORT.callback_done, None) {
            return;
        }
    }
}

/// The helper thread is done with the callback it took.
fn callback_returned() {
    if let Some(mut guard) = lock() {
        guard.state().timers.firing = None;
        guard.wake_all(&PORT.callback_done);
    }
}

/// Starts the detached helper thread with every signal blocked (the application's signal
/// handlers keep running on its own threads).
fn spawn_worker() -> bool {
    let mut attr = MaybeUninit::<libc::pthread_attr_t>::uninit();
    let mut all = MaybeUninit::<libc::sigset_t>::uninit();
    let mut previous = MaybeUninit::<libc::sigset_t>::uninit();
    let mut thread = MaybeUninit::<libc::pthread_t>::uninit();
    // SAFETY: each object is used only after the call that initialises it returned 0
    // (sigfillset cannot fail with a valid pointer; `previous` is written by pthread_sigmask
    // before it is restored). The thread function matches pthread_create's signature and takes
    // no argument.
    unsafe {
        if libc::pthread_attr_init(attr.as_mut_ptr()) != 0 {
            return false;
        }
        let mut ok =
            libc::pthread_attr_setdetachstate(attr.as_mut_ptr(), libc::PTHREAD_CREATE_DETACHED)
                == 0;
        libc::sigfillset(all.as_mut_ptr());
        let masked =
            libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), previous.as_mut_ptr()) == 0;
        if ok {
            ok = libc::pthread_create(
                thread.as_mut_ptr(),
                attr.as_ptr(),
                timer_worker,
                ptr::null_mut(),
            ) == 0;
        }
        if masked {
            libc::pthread_sigmask(libc::SIG_SETMASK, previous.as_ptr(), ptr::null_mut());
        }
        libc::pthread_attr_destroy(attr.as_mut_ptr());
        ok
    }
}

/// What the helper thread does next.
enum Next {
    Fire(OtaTimerId_t, OtaTimerCallback_t),
    Exit,
}

extern "C" fn timer_worker(_arg: *mut c_void) -> *mut c_void {
    while let Next::Fire(id, callback) = next_expiry() {
        match callback {
            // SAFETY: the application gave this OtaTimerCallback_t to Posix_OtaStartTimer for
            // this timer; it takes the timer id. No lock is held while it runs.
            Some(f) => unsafe { f(id) },
            None => ota_log!(
                Warn,
                "OTA timer ",
                u(id),
                " expired with no callback to call."
            ),
        }
        callback_returned();
    }
    ptr::null_mut()
}

/// Waits for the earliest armed timer to expire and disarms it; `Exit` when no timer exists.
fn next_expiry() -> Next {
    let Some(mut guard) = lock() else {
        return Next::Exit;
    };
    // SAFETY: pthread_self has no preconditions.
    guard.state().timers.worker_id = Some(unsafe { libc::pthread_self() });
    loop {
        let timers = &mut guard.state().timers;
        if !timers.slots.iter().any(|t| t.exists) {
            timers.worker = false;
            timers.worker_id = None;
            return Next::Exit;
        }
        let earliest = timers
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.deadline.map(|at| (i, at)))
            .min_by_key(|&(_, at)| at);
        let wait_until = match earliest {
            None => None,
            Some((i, at)) => {
                let Some(now) = Instant::now() else {
                    timers.worker = false;
                    return Next::Exit;
                };
                if now >= at {
                    if let (Some(timer), Ok(id)) =
                        (timers.slots.get_mut(i), OtaTimerId_t::try_from(i))
                    {
                        timer.deadline = None;
                        let callback = timer.callback;
                        timers.firing = Some(i);
                        return Next::Fire(id, callback);
                    }
                }
                Some(at)
            }
        };
        if let Wait::Failed = guard.wait(&PORT.timers_changed, wait_until) {
            // Never expected; ending here lets the next start spawn a fresh thread.
            guard.state().timers.worker = false;
            return Next::Exit;
        }
    }
}

/// Creates the timer if needed and (re-)arms it for `timeout` ms, after which `callback` is
/// called with the timer id on the port's timer thread (`OtaStartTimer_t`). A timeout of 0
/// leaves the timer disarmed.
///
/// # Safety
///
/// `callback` is NULL or a function that stays callable while the timer exists; it is called
/// from another thread. `pTimerName` is not used.
#[export_name = "ota_rs_Posix_OtaStartTimer"]
pub unsafe extern "C" fn Posix_OtaStartTimer(
    timer_id: OtaTimerId_t,
    timer_name: *const c_char,
    timeout: u32,
    callback: OtaTimerCallback_t,
) -> OtaOsStatus_t {
    let _ = timer_name;
    start_timer(timer_id, timeout, callback)
}

/// Disarms a timer (`OtaStopTimer_t`).
#[export_name = "ota_rs_Posix_OtaStopTimer"]
pub extern "C" fn Posix_OtaStopTimer(timer_id: OtaTimerId_t) -> OtaOsStatus_t {
    stop_timer(timer_id)
}

/// Deletes a timer (`OtaDeleteTimer_t`).
#[export_name = "ota_rs_Posix_OtaDeleteTimer"]
pub extern "C" fn Posix_OtaDeleteTimer(timer_id: OtaTimerId_t) -> OtaOsStatus_t {
    delete_timer(timer_id)
}

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
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::mpsc;
    use std::sync::{Mutex, MutexGuard};
    use std::thread;
    use std::time::{Duration, Instant as StdInstant};

    /// The port is one per process: tests take turns.
    static SERIAL: Mutex<()> = Mutex::new(());
    static FIRED: [AtomicU32; TIMER_COUNT] = [AtomicU32::new(0), AtomicU32::new(0)];
    /// Generous bound for anything that should happen "soon".
    const BOUND: Duration = Duration::from_secs(5);

    const REQUEST: OtaTimerId_t = sys::OtaRequestTimer;
    const SELF_TEST: OtaTimerId_t = sys::OtaSelfTestTimer;

    unsafe extern "C" fn record(id: OtaTimerId_t) {
        if let Some(count) = FIRED.get(id as usize) {
            count.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn fired(id: OtaTimerId_t) -> u32 {
        FIRED[id as usize].load(Ordering::SeqCst)
    }

    fn worker_running() -> bool {
        lock().map(|mut g| g.state().timers.worker).unwrap_or(true)
    }

    fn eventually(mut done: impl FnMut() -> bool) -> bool {
        let start = StdInstant::now();
        while start.elapsed() < BOUND {
            if done() {
                return true;
            }
            thread::sleep(Duration::from_millis(1));
        }
        done()
    }

    /// A clean port: no timers (and no callback still running), no queue, counters at zero.
    fn fresh() -> MutexGuard<'static, ()> {
        let serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let _ = delete_timer(REQUEST);
        let _ = delete_timer(SELF_TEST);
        assert!(eventually(|| !worker_running()));
        let _ = deinit_queue();
        for count in &FIRED {
            count.store(0, Ordering::SeqCst);
        }
        serial
    }

    fn msg(id: u32, data: usize) -> OtaEventMsg_t {
        OtaEventMsg_t {
            pEventData: data as *mut sys::OtaEventData_t,
            eventId: id,
        }
    }

    fn same(a: &OtaEventMsg_t, b: &OtaEventMsg_t) -> bool {
        a.eventId == b.eventId && a.pEventData == b.pEventData
    }

    // -------------------------------------------------------------------- event queue --

    #[test]
    fn send_and_receive_copy_the_message_by_value() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        let original = msg(sys::OtaAgentEventReceivedFileBlock, 0x1234);
        let mut buffer = original;
        let p: *const OtaEventMsg_t = &buffer;
        // SAFETY: (test) `p` points to a live OtaEventMsg_t; the context is unused.
        let status = unsafe { Posix_OtaSendEvent(ptr::null_mut(), p.cast(), 0) };
        assert_eq!(status, sys::OtaOsSuccess);
        // The sender's buffer is free for reuse as soon as send returns.
        buffer.eventId = sys::OtaAgentEventShutdown;
        buffer.pEventData = ptr::null_mut();
        assert!(!same(&buffer, &original));
        assert!(same(&receive(0).unwrap(), &original));
        assert_eq!(deinit_queue(), sys::OtaOsSuccess);
    }

    #[test]
    fn c_entry_points_copy_through_unaligned_pointers() {
        let _s = fresh();
        // SAFETY: (test) the context is unused; the buffers are live and large enough.
        unsafe {
            assert_eq!(Posix_OtaInitEvent(ptr::null_mut()), sys::OtaOsSuccess);
            let mut out = [0u8; core::mem::size_of::<OtaEventMsg_t>() + 1];
            let mut inp = [0u8; core::mem::size_of::<OtaEventMsg_t>() + 1];
            let sent = msg(sys::OtaAgentEventRequestJobDocument, 0xabcd);
            ptr::write_unaligned(inp.as_mut_ptr().add(1).cast::<OtaEventMsg_t>(), sent);
            let status = Posix_OtaSendEvent(ptr::null_mut(), inp.as_ptr().add(1).cast(), 0);
            assert_eq!(status, sys::OtaOsSuccess);
            let status = Posix_OtaReceiveEvent(ptr::null_mut(), out.as_mut_ptr().add(1).cast(), 0);
            assert_eq!(status, sys::OtaOsSuccess);
            let got = ptr::read_unaligned(out.as_ptr().add(1).cast::<OtaEventMsg_t>());
            assert!(same(&got, &sent));
            assert_eq!(Posix_OtaDeinitEvent(ptr::null_mut()), sys::OtaOsSuccess);
        }
    }

    #[test]
    fn null_message_pointers_fail() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        // SAFETY: (test) NULL is what is being tested; the port must not dereference it.
        unsafe {
            let status = Posix_OtaSendEvent(ptr::null_mut(), ptr::null(), 0);
            assert_eq!(status, sys::OtaOsEventQueueSendFailed);
            let status = Posix_OtaReceiveEvent(ptr::null_mut(), ptr::null_mut(), 0);
            assert_eq!(status, sys::OtaOsEventQueueReceiveFailed);
        }
    }

    #[test]
    fn events_come_out_in_order_across_the_ring_wrap() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        let batch = CAPACITY - 1;
        for round in 0..3 {
            for i in 0..batch {
                assert_eq!(send(msg(i as u32, round * 1000 + i), 0), sys::OtaOsSuccess);
            }
            for i in 0..batch {
                assert!(same(&receive(0).unwrap(), &msg(i as u32, round * 1000 + i)));
            }
        }
        assert!(matches!(receive(1), Err(sys::OtaOsEventQueueReceiveFailed)));
    }

    #[test]
    fn receive_with_a_timeout_fails_on_an_empty_queue() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        let start = StdInstant::now();
        assert!(matches!(
            receive(30),
            Err(sys::OtaOsEventQueueReceiveFailed)
        ));
        assert!(start.elapsed() < BOUND);
    }

    #[test]
    fn receive_with_zero_timeout_waits_for_an_event() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        let sender = thread::spawn(|| {
            thread::sleep(Duration::from_millis(20));
            send(msg(7, 7), 0)
        });
        assert!(same(&receive(0).unwrap(), &msg(7, 7)));
        assert_eq!(sender.join().unwrap(), sys::OtaOsSuccess);
    }

    fn fill() {
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        for i in 0..CAPACITY {
            assert_eq!(send(msg(1, i), 0), sys::OtaOsSuccess);
        }
    }

    #[test]
    fn full_queue_fails_send_at_once_with_zero_timeout() {
        let _s = fresh();
        fill();
        let start = StdInstant::now();
        assert_eq!(send(msg(2, 0), 0), sys::OtaOsEventQueueSendFailed);
        assert!(start.elapsed() < BOUND);
        // Nothing was lost or added: the queue still holds exactly the first CAPACITY events.
        for i in 0..CAPACITY {
            assert!(same(&receive(0).unwrap(), &msg(1, i)));
        }
        assert!(receive(1).is_err());
    }

    #[test]
    fn full_queue_fails_send_within_its_timeout() {
        let _s = fresh();
        fill();
        let start = StdInstant::now();
        assert_eq!(send(msg(2, 0), 50), sys::OtaOsEventQueueSendFailed);
        assert!(start.elapsed() < BOUND);
    }

    #[test]
    fn full_queue_send_succeeds_when_room_appears_in_time() {
        let _s = fresh();
        fill();
        let receiver = thread::spawn(|| {
            thread::sleep(Duration::from_millis(20));
            receive(0).map(|m| (m.eventId, m.pEventData as usize))
        });
        assert_eq!(send(msg(2, 0), 5_000), sys::OtaOsSuccess);
        assert_eq!(receiver.join().unwrap(), Ok((1, 0)));
    }

    #[test]
    fn init_again_gives_an_empty_queue() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        assert_eq!(send(msg(1, 1), 0), sys::OtaOsSuccess);
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        assert!(receive(1).is_err());
    }

    #[test]
    fn without_a_queue_everything_fails_at_once() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        assert_eq!(deinit_queue(), sys::OtaOsSuccess);
        // As in upstream's test_OTA_posix_InvalidEventQueue.
        assert_eq!(deinit_queue(), sys::OtaOsEventQueueDeleteFailed);
        assert_eq!(send(msg(1, 1), 0), sys::OtaOsEventQueueSendFailed);
        assert_eq!(send(msg(1, 1), 1_000), sys::OtaOsEventQueueSendFailed);
        // Zero timeout would wait for an event; with no queue it fails instead.
        assert!(matches!(receive(0), Err(sys::OtaOsEventQueueReceiveFailed)));
    }

    #[test]
    fn deinit_wakes_blocked_receivers_and_senders() {
        let _s = fresh();
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(receive(0).map(|_| ()));
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(deinit_queue(), sys::OtaOsSuccess);
        assert_eq!(
            rx.recv_timeout(BOUND),
            Ok(Err(sys::OtaOsEventQueueReceiveFailed))
        );

        fill();
        thread::spawn(move || {
            let status = send(msg(2, 0), 60_000);
            let _ = tx2.send(if status == sys::OtaOsSuccess {
                Ok(())
            } else {
                Err(status)
            });
        });
        thread::sleep(Duration::from_millis(20));
        assert_eq!(deinit_queue(), sys::OtaOsSuccess);
        assert_eq!(
            rx.recv_timeout(BOUND),
            Ok(Err(sys::OtaOsEventQueueSendFailed))
        );
    }

    // ------------------------------------------------------------------------- timers --

    #[test]
    fn each_timer_calls_back_with_its_own_id() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 20, Some(record)), sys::OtaOsSuccess);
        assert_eq!(start_timer(SELF_TEST, 30, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(REQUEST) == 1 && fired(SELF_TEST) == 1));
        // One-shot: an expired timer is disarmed but still exists.
        assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(delete_timer(SELF_TEST), sys::OtaOsSuccess);
    }

    #[test]
    fn timeouts_under_a_second_fire() {
        // v2.0.0 armed for timeout / 1000 whole seconds, so these never fired there.
        let _s = fresh();
        assert_eq!(start_timer(SELF_TEST, 1, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(SELF_TEST) == 1));
        assert_eq!(start_timer(SELF_TEST, 999, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(SELF_TEST) == 2));
    }

    #[test]
    fn starting_a_running_timer_rearms_it() {
        let _s = fresh();
        assert_eq!(
            start_timer(REQUEST, 600_000, Some(record)),
            sys::OtaOsSuccess
        );
        assert_eq!(start_timer(REQUEST, 10, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(REQUEST) == 1));
        // And re-arming a long timer pushes its deadline out (it does not fire early).
        assert_eq!(start_timer(SELF_TEST, 100, Some(record)), sys::OtaOsSuccess);
        assert_eq!(
            start_timer(SELF_TEST, 600_000, Some(record)),
            sys::OtaOsSuccess
        );
        thread::sleep(Duration::from_millis(150));
        assert_eq!(fired(SELF_TEST), 0);
    }

    #[test]
    fn a_stopped_timer_does_not_fire_until_started_again() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 100, Some(record)), sys::OtaOsSuccess);
        assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
        thread::sleep(Duration::from_millis(150));
        assert_eq!(fired(REQUEST), 0);
        assert_eq!(start_timer(REQUEST, 10, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(REQUEST) == 1));
    }

    #[test]
    fn a_never_started_timer_cannot_be_stopped_or_deleted_and_nothing_else_changes() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 30, Some(record)), sys::OtaOsSuccess);
        assert_eq!(stop_timer(SELF_TEST), sys::OtaOsTimerStopFailed);
        assert_eq!(delete_timer(SELF_TEST), sys::OtaOsTimerDeleteFailed);
        assert!(eventually(|| fired(REQUEST) == 1));
        assert_eq!(fired(SELF_TEST), 0);
        assert_eq!(start_timer(SELF_TEST, 10, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(SELF_TEST) == 1));
    }

    #[test]
    fn a_deleted_timer_is_gone() {
        // As in upstream's test_OTA_posix_InvalidTimerOperations.
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 1_000, None), sys::OtaOsSuccess);
        assert_eq!(start_timer(REQUEST, 0, None), sys::OtaOsSuccess);
        assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(delete_timer(REQUEST), sys::OtaOsTimerDeleteFailed);
        assert_eq!(stop_timer(REQUEST), sys::OtaOsTimerStopFailed);
    }

    static SLOW_STARTED: AtomicU32 = AtomicU32::new(0);
    static SLOW_FINISHED: AtomicU32 = AtomicU32::new(0);

    /// A callback that is still running when the test stops its timer.
    unsafe extern "C" fn slow(_id: OtaTimerId_t) {
        SLOW_STARTED.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_millis(200));
        SLOW_FINISHED.fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn stop_and_delete_return_only_after_a_callback_already_taken_has_returned() {
        let _s = fresh();
        for end in [stop_timer, delete_timer] {
            SLOW_STARTED.store(0, Ordering::SeqCst);
            SLOW_FINISHED.store(0, Ordering::SeqCst);
            assert_eq!(start_timer(REQUEST, 1, Some(slow)), sys::OtaOsSuccess);
            assert!(eventually(|| SLOW_STARTED.load(Ordering::SeqCst) == 1));
            assert_eq!(end(REQUEST), sys::OtaOsSuccess);
            // Had stop or delete returned while `slow` ran, a stopped agent could still be hit.
            assert_eq!(SLOW_FINISHED.load(Ordering::SeqCst), 1);
        }
        let _ = delete_timer(REQUEST);
    }

    unsafe extern "C" fn stop_self(id: OtaTimerId_t) {
        // A callback stopping its own timer must not wait for itself.
        let _ = stop_timer(id);
        FIRED[id as usize].fetch_add(1, Ordering::SeqCst);
    }

    #[test]
    fn a_callback_may_stop_its_own_timer() {
        let _s = fresh();
        assert_eq!(
            start_timer(SELF_TEST, 1, Some(stop_self)),
            sys::OtaOsSuccess
        );
        assert!(eventually(|| fired(SELF_TEST) == 1));
        assert_eq!(delete_timer(SELF_TEST), sys::OtaOsSuccess);
    }

    #[test]
    fn deleting_an_armed_timer_keeps_it_from_firing() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 100, Some(record)), sys::OtaOsSuccess);
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
        thread::sleep(Duration::from_millis(150));
        assert_eq!(fired(REQUEST), 0);
    }

    #[test]
    fn zero_timeout_leaves_the_timer_created_but_disarmed() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 0, Some(record)), sys::OtaOsSuccess);
        thread::sleep(Duration::from_millis(30));
        assert_eq!(fired(REQUEST), 0);
        assert_eq!(stop_timer(REQUEST), sys::OtaOsSuccess);
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    }

    #[test]
    fn invalid_timer_ids_are_rejected() {
        let _s = fresh();
        assert_eq!(
            start_timer(sys::OtaNumOfTimers, 10, Some(record)),
            sys::OtaOsTimerCreateFailed
        );
        assert_eq!(stop_timer(sys::OtaNumOfTimers), sys::OtaOsTimerStopFailed);
        assert_eq!(delete_timer(u32::MAX), sys::OtaOsTimerDeleteFailed);
        assert!(!worker_running());
    }

    #[test]
    fn a_timer_without_callback_expires_quietly() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 5, None), sys::OtaOsSuccess);
        assert!(eventually(|| {
            lock().is_some_and(|mut g| g.state().timers.slots[0].deadline.is_none())
        }));
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
    }

    static RESTARTS: AtomicU32 = AtomicU32::new(0);

    /// Like the agent's callback: signals an event from the timer thread, then re-arms.
    unsafe extern "C" fn signal_and_restart(id: OtaTimerId_t) {
        let n = RESTARTS.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = send(msg(sys::OtaAgentEventRequestTimer, n as usize), 0);
        if n < 3 {
            let _ = start_timer(id, 5, Some(signal_and_restart));
        }
    }

    #[test]
    fn callbacks_run_on_another_thread_and_may_send_and_restart() {
        let _s = fresh();
        RESTARTS.store(0, Ordering::SeqCst);
        assert_eq!(init_queue(), sys::OtaOsSuccess);
        assert_eq!(
            start_timer(REQUEST, 5, Some(signal_and_restart)),
            sys::OtaOsSuccess
        );
        for n in 1..=3usize {
            let got = receive(5_000).unwrap();
            assert!(same(&got, &msg(sys::OtaAgentEventRequestTimer, n)));
        }
        assert_eq!(RESTARTS.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn the_timer_thread_ends_when_no_timer_exists_and_comes_back() {
        let _s = fresh();
        assert_eq!(start_timer(REQUEST, 0, None), sys::OtaOsSuccess);
        assert!(worker_running());
        assert_eq!(delete_timer(REQUEST), sys::OtaOsSuccess);
        assert!(eventually(|| !worker_running()));
        assert_eq!(start_timer(REQUEST, 5, Some(record)), sys::OtaOsSuccess);
        assert!(eventually(|| fired(REQUEST) == 1));
    }

    // ---------------------------------------------------------------- memory and time --

    #[test]
    fn malloc_and_free_pass_through() {
        let p = STDC_Malloc(64);
        assert!(!p.is_null());
        // SAFETY: (test) 64 writable bytes from malloc, freed once; free(NULL) does nothing.
        unsafe {
            ptr::write_bytes(p.cast::<u8>(), 0xa5, 64);
            assert_eq!(*p.cast::<u8>().add(63), 0xa5);
            STDC_Free(p);
            STDC_Free(ptr::null_mut());
        }
    }

    #[test]
    fn deadlines_carry_milliseconds_into_seconds() {
        let t = Instant {
            sec: 1,
            nsec: 999_999_999,
        };
        assert_eq!(
            t.after_ms(1),
            Some(Instant {
                sec: 2,
                nsec: 999_999
            })
        );
        assert_eq!(
            t.after_ms(1_500),
            Some(Instant {
                sec: 3,
                nsec: 499_999_999
            })
        );
        let far = Instant { sec: 0, nsec: 0 }.after_ms(u32::MAX).unwrap();
        assert_eq!(
            far,
            Instant {
                sec: 4_294_967,
                nsec: 295_000_000
            }
        );
        let end = Instant {
            sec: libc::time_t::MAX,
            nsec: 999_999_999,
        };
        assert_eq!(end.after_ms(1), None);
        assert!(Instant { sec: 1, nsec: 2 } < Instant { sec: 2, nsec: 1 });
    }
}
