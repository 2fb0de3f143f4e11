//! The agent's timers and their helper thread: `Posix_OtaStartTimer`, `Posix_OtaStopTimer`,
//! `Posix_OtaDeleteTimer`.

use super::*;

pub(super) fn timer_slot(id: OtaTimerId_t) -> Option<usize> {
    usize::try_from(id).ok().filter(|&i| i < TIMER_COUNT)
}

pub(super) fn start_timer(
    id: OtaTimerId_t,
    timeout_ms: u32,
    callback: OtaTimerCallback_t,
) -> OtaOsStatus_t {
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

pub(super) fn stop_timer(id: OtaTimerId_t) -> OtaOsStatus_t {
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

pub(super) fn delete_timer(id: OtaTimerId_t) -> OtaOsStatus_t {
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
pub(super) fn finish_callback_of(guard: &mut Guard, id: OtaTimerId_t) {
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
pub(super) fn callback_returned() {
    if let Some(mut guard) = lock() {
        guard.state().timers.firing = None;
        guard.wake_all(&PORT.callback_done);
    }
}

/// Starts the detached helper thread with every signal blocked (the application's signal
/// handlers keep running on its own threads).
pub(super) fn spawn_worker() -> bool {
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
pub(super) enum Next {
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
pub(super) fn next_expiry() -> Next {
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
