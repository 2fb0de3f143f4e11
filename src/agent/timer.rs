//! The agent's two timers: the request timer, which asks again for whatever a lost message or
//! a refused event left pending, and the self-test timer, which resets an image the
//! application never accepts.

use super::state::{image_state, signal, state, Outcome};
use crate::config;
use crate::sys::{self, iface};
use core::sync::atomic::{AtomicBool, Ordering};

const REQUEST_TIMER: &core::ffi::CStr = c"OtaRequestTimer";
const SELF_TEST_TIMER: &core::ffi::CStr = c"OtaSelfTestTimer";

/// Set while `on_timer` re-arms the request timer (load and store: Armv6-M has no swap).
static REARMING: AtomicBool = AtomicBool::new(false);

/// The timers' callback (v2.0.0's otaTimerCallback).
extern "C" fn on_timer(id: sys::OtaTimerId_t) {
    if state() == sys::OtaAgentStateStopped {
        // A timer that outlived the agent must not touch it (#413).
        return;
    }
    if id == sys::OtaRequestTimer {
        if !signal(sys::OtaAgentEventRequestTimer) {
            ota_log!(Error, "Failed to signal the request timer expiry");
            // Once only per expiry: a port whose start runs the callback at once would recurse.
            if !REARMING.load(Ordering::Relaxed) {
                REARMING.store(true, Ordering::Relaxed);
                // A one-shot expiry the queue refused is gone: arm again so the retry is only late.
                if start_request_timer() != sys::OtaOsSuccess {
                    ota_log!(Error, "Failed to re-arm the request timer");
                }
                REARMING.store(false, Ordering::Relaxed);
            }
        }
    } else if id == sys::OtaSelfTestTimer {
        if image_state() == sys::OtaImageStateAccepted {
            // Expired while the application was accepting the image: the self test passed.
            return;
        }
        ota_log!(
            Error,
            "Self test did not complete within ",
            u(config::SELF_TEST_RESPONSE_WAIT_MS),
            " ms; resetting"
        );
        let _ = iface::pal_reset();
    } else {
        ota_log!(Warn, "Unknown OTA timer id ", u(id));
    }
}

/// Arms (or re-arms) the request timer.
pub(super) fn start_request_timer() -> sys::OtaOsStatus_t {
    arm(
        sys::OtaRequestTimer,
        REQUEST_TIMER,
        config::FILE_REQUEST_WAIT_MS,
    )
}

/// The timers' one call site: the request timer, for the whole wait and for the quiet period,
/// and the self-test timer (its own inlined call took 8 B more). The name is the caller's, not
/// picked here by `id`: the pick cost 6 instructions a block on the host.
#[inline(never)]
fn arm(id: sys::OtaTimerId_t, name: &'static core::ffi::CStr, ms: u32) -> sys::OtaOsStatus_t {
    iface::timer_start(id, name, ms, on_timer)
}

/// How long a window of blocks may go quiet, once its first message came, before the agent
/// asks for what is missing: an eighth of the request timer. A window whose messages the
/// application dropped no longer waits out the whole period.
const QUIET_MS: u32 = if config::FILE_REQUEST_WAIT_MS >= 8 {
    config::FILE_REQUEST_WAIT_MS / 8
} else {
    1
};

/// Re-arms the request timer after a data message: the quiet period, not the whole wait.
/// Inlined into the block's ingest, its one caller (-8 B: it took two calls there).
#[inline(always)]
pub(super) fn start_quiet_timer() -> sys::OtaOsStatus_t {
    arm(sys::OtaRequestTimer, REQUEST_TIMER, QUIET_MS)
}

/// Arms the self-test timer: the application has this long to accept the new image.
pub(super) fn start_self_test_timer() {
    let _ = arm(
        sys::OtaSelfTestTimer,
        SELF_TEST_TIMER,
        config::SELF_TEST_RESPONSE_WAIT_MS,
    );
}

pub(super) fn stop_request_timer() {
    let _ = iface::timer_stop(sys::OtaRequestTimer);
}

/// Signals the next step; when the event queue refuses it, arms the request timer instead, so
/// the next state's timer row does the same work. v2.0.0 stayed where it was with nothing
/// pending: an agent stuck in Ready or CreatingFile, a file created and never downloaded.
pub(super) fn signal_or_retry(event: sys::OtaEvent_t) -> Outcome {
    if signal(event) {
        return Outcome::Next;
    }
    ota_log!(
        Warn,
        "Event ",
        u(event),
        " not queued; the request timer will retry"
    );
    if start_request_timer() == sys::OtaOsSuccess {
        Outcome::Next
    } else {
        Outcome::Fail(sys::OtaErrSignalEventFailed)
    }
}
