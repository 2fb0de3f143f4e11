//! The port's shared state (queue ring, timer slots) and the one lock that guards it.

use super::*;

/// The event queue: a ring buffer of messages, copied in and out by value.
pub(super) struct Queue {
    pub(super) open: bool,
    head: usize,
    len: usize,
    slots: [OtaEventMsg_t; CAPACITY],
}

impl Queue {
    pub(super) const fn new() -> Queue {
        Queue {
            open: false,
            head: 0,
            len: 0,
            slots: [EMPTY_MSG; CAPACITY],
        }
    }

    pub(super) fn reset(&mut self, open: bool) {
        self.open = open;
        self.head = 0;
        self.len = 0;
    }

    pub(super) fn push(&mut self, msg: OtaEventMsg_t) -> bool {
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

    pub(super) fn pop(&mut self) -> Option<OtaEventMsg_t> {
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
pub(super) struct Timer {
    /// Started and not deleted since (v2.0.0: a created POSIX timer).
    pub(super) exists: bool,
    /// When it fires; `None` while disarmed.
    pub(super) deadline: Option<Instant>,
    pub(super) callback: OtaTimerCallback_t,
}

pub(super) const NO_TIMER: Timer = Timer {
    exists: false,
    deadline: None,
    callback: None,
};

pub(super) struct Timers {
    pub(super) slots: [Timer; TIMER_COUNT],
    /// The helper thread runs (or has been started and not yet decided to end).
    pub(super) worker: bool,
    /// The helper thread, once it has taken the lock for the first time.
    pub(super) worker_id: Option<libc::pthread_t>,
    /// The slot whose callback the helper thread is running now.
    pub(super) firing: Option<usize>,
}

pub(super) struct State {
    /// The condition variables wait against CLOCK_MONOTONIC and the fork handlers are in place.
    ready: bool,
    pub(super) queue: Queue,
    pub(super) timers: Timers,
}

pub(super) struct Cond(UnsafeCell<libc::pthread_cond_t>);

pub(super) struct Port {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    /// Signalled when an event is queued or the queue goes away.
    pub(super) not_empty: Cond,
    /// Signalled when room appears or the queue goes away.
    pub(super) not_full: Cond,
    /// Signalled when a timer changes, for the helper thread.
    pub(super) timers_changed: Cond,
    /// Signalled when a timer callback returns, for stop and delete.
    pub(super) callback_done: Cond,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only reached through a `Guard`, which exists only while `mutex` is held by
// the current thread; the pthread objects are made to be shared between threads.
unsafe impl Sync for Port {}

pub(super) static PORT: Port = Port {
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

pub(super) static FORK_HANDLERS: AtomicBool = AtomicBool::new(false);

/// Proof that the current thread holds `PORT.mutex`; unlocks when dropped.
pub(super) struct Guard {
    _private: (),
}

pub(super) enum Wait {
    Woken,
    TimedOut,
    Failed,
}

/// Takes the port's lock, setting the port up on first use. `None` if that fails. The lock is
/// always released before a log record goes out: the application's logger may wait on a thread
/// that is waiting for this lock.
pub(super) fn lock() -> Option<Guard> {
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
    pub(super) fn state(&mut self) -> &mut State {
        // SAFETY: this guard proves the mutex is held, so no other thread touches the state, and
        // `&mut self` keeps this the only reference made through the guard.
        unsafe { &mut *PORT.state.get() }
    }

    /// Releases the lock until `cond` is signalled or `deadline` passes, then takes it again.
    pub(super) fn wait(&mut self, cond: &Cond, deadline: Option<Instant>) -> Wait {
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

    pub(super) fn wake_one(&self, cond: &Cond) {
        // SAFETY: a valid condition variable; signalling with the mutex held is allowed.
        unsafe { libc::pthread_cond_signal(cond.0.get()) };
    }

    pub(super) fn wake_all(&self, cond: &Cond) {
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
pub(super) fn init_conds() -> bool {
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

pub(super) fn install_fork_handlers() {
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
