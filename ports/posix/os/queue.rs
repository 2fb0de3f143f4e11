//! The event queue: `Posix_OtaInitEvent`, `Posix_OtaSendEvent`, `Posix_OtaReceiveEvent`,
//! `Posix_OtaDeinitEvent`.

use super::*;

pub(super) fn init_queue() -> OtaOsStatus_t {
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

pub(super) fn deinit_queue() -> OtaOsStatus_t {
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

pub(super) fn send(msg: OtaEventMsg_t, timeout_ms: u32) -> OtaOsStatus_t {
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

pub(super) fn receive(timeout_ms: u32) -> Result<OtaEventMsg_t, OtaOsStatus_t> {
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
