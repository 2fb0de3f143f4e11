//! The OS the agent runs on: its event queue, its two timers and its memory, all scripted.

use super::*;

// ---- OS: event queue ----------------------------------------------------------------------

pub(super) extern "C" fn q_init(_: *mut sys::OtaEventContext_t) -> sys::OtaOsStatus_t {
    sys::OtaOsSuccess
}

pub(super) extern "C" fn q_send(
    _: *mut sys::OtaEventContext_t,
    msg: *const c_void,
    _: u32,
) -> sys::OtaOsStatus_t {
    assert!(!msg.is_null(), "os.event.send with a NULL message");
    // SAFETY: the agent passes a valid OtaEventMsg_t, which the port copies.
    let msg = unsafe { msg.cast::<sys::OtaEventMsg_t>().read() };
    with(|w| {
        let label = if w.faults.trace {
            format!("q_send event {}", msg.eventId)
        } else {
            String::new()
        };
        if w.queue.len() >= w.queue_cap || w.faults.take(&label) {
            sys::OtaOsEventQueueSendFailed
        } else {
            if msg.eventId == sys::OtaAgentEventShutdown {
                resume::agent_shuts_down(w);
            }
            w.queue.push_back(msg);
            sys::OtaOsSuccess
        }
    })
}

pub(super) extern "C" fn q_recv(
    _: *mut sys::OtaEventContext_t,
    out: *mut c_void,
    _: u32,
) -> sys::OtaOsStatus_t {
    assert!(!out.is_null(), "os.event.recv into NULL");
    if let Some(msg) = with(|w| w.queue.pop_front()) {
        // SAFETY: the agent gives room for one OtaEventMsg_t.
        unsafe { out.cast::<sys::OtaEventMsg_t>().write(msg) };
        return sys::OtaOsSuccess;
    }
    // Idle: the queue is empty and the agent waits. Time passes: the next step happens.
    with(|w| w.in_idle_step = true);
    idle_step();
    with(|w| w.in_idle_step = false);
    sys::OtaOsEventQueueReceiveFailed
}

pub(super) extern "C" fn q_deinit(_: *mut sys::OtaEventContext_t) -> sys::OtaOsStatus_t {
    sys::OtaOsSuccess
}

// ---- OS: timers ---------------------------------------------------------------------------

pub(super) fn timer_index(id: sys::OtaTimerId_t) -> usize {
    assert!(
        id == sys::OtaRequestTimer || id == sys::OtaSelfTestTimer,
        "timer id {id}"
    );
    id as usize
}

pub(super) extern "C" fn t_start(
    id: sys::OtaTimerId_t,
    name: *const c_char,
    _timeout: u32,
    callback: sys::OtaTimerCallback_t,
) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    assert!(
        !name.is_null() && callback.is_some(),
        "timer.start without name or callback"
    );
    with(|w| {
        if w.faults.take("t_start") {
            return sys::OtaOsTimerStartFailed;
        }
        w.timers[i] = callback;
        w.timer_running[i] = true;
        sys::OtaOsSuccess
    })
}

pub(super) extern "C" fn t_stop(id: sys::OtaTimerId_t) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    with(|w| {
        if w.faults.take("t_stop") {
            return sys::OtaOsTimerStopFailed;
        }
        w.timer_running[i] = false;
        sys::OtaOsSuccess
    })
}

pub(super) extern "C" fn t_delete(id: sys::OtaTimerId_t) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    with(|w| {
        if w.faults.take("t_delete") {
            return sys::OtaOsTimerDeleteFailed;
        }
        w.timer_running[i] = false;
        w.timers[i] = None;
        sys::OtaOsSuccess
    })
}

/// Fires a timer as the OS would, if it is running.
pub fn fire_timer(id: sys::OtaTimerId_t) -> bool {
    let i = timer_index(id);
    let cb = with(|w| {
        if w.timer_running[i] {
            w.timer_running[i] = false;
            w.timers[i]
        } else {
            None
        }
    });
    match cb {
        Some(cb) => {
            // SAFETY: the agent registered this callback with timer.start.
            unsafe { cb(id) };
            true
        }
        None => false,
    }
}

/// Fires a timer whose callback the agent registered, even after stop or delete (a timer the
/// OS had already taken when it was stopped).
pub fn fire_stale_timer(id: sys::OtaTimerId_t) {
    let i = timer_index(id);
    if let Some(cb) = with(|w| w.timers[i]) {
        // SAFETY: the agent registered this callback with timer.start; it is a static function.
        unsafe { cb(id) };
    }
}

/// The last GetStream request and HTTP range the agent sent.
pub fn last_stream() -> Option<cbor::Request> {
    with(|w| w.last_stream.as_ref().map(|(_, r)| r.clone()))
}

pub fn last_range() -> Option<(u32, u32)> {
    with(|w| w.last_range)
}

/// The platform's image state and the application's habits from now on.
pub fn set_habits(state: sys::OtaPalImageState_t, habits: AppHabits) {
    with(|w| {
        w.platform_state = state;
        w.habits = habits;
    });
}

pub fn timer_running(id: sys::OtaTimerId_t) -> bool {
    let i = timer_index(id);
    with(|w| w.timer_running[i])
}

// ---- OS: memory ---------------------------------------------------------------------------

pub(super) extern "C" fn m_malloc(size: usize) -> *mut c_void {
    with(|w| {
        if w.faults.take("m_malloc") {
            return null_mut();
        }
        let Ok(layout) = std::alloc::Layout::from_size_align(size.max(1), 16) else {
            return null_mut();
        };
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        if !p.is_null() {
            w.live.insert(p as usize, layout);
        }
        p.cast()
    })
}

pub(super) extern "C" fn m_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    let layout = with(|w| w.live.remove(&(p as usize)));
    let layout =
        layout.unwrap_or_else(|| panic!("os.mem.free of {p:p}, which is not a live allocation"));
    // SAFETY: `p` was returned by alloc with this layout and is freed once (removed above).
    unsafe { std::alloc::dealloc(p.cast(), layout) };
}
