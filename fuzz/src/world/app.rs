//! The application: its callback, and the value-only v2.0.0 API calls as safe functions.

use super::*;

// ---- the application ------------------------------------------------------------------------

pub(super) extern "C" fn app_callback(event: sys::OtaJobEvent_t, data: *const c_void) {
    match event {
        sys::OtaJobEventProcessed => {
            if data.is_null() {
                // The event came without a buffer (the application signalled it so).
                return;
            }
            with(|w| {
                let i = w
                    .pool
                    .iter()
                    .position(|b| std::ptr::eq(&**b as *const sys::OtaEventData_t, data.cast()))
                    .unwrap_or_else(|| {
                        panic!("OtaJobEventProcessed with {data:p}, not an event buffer")
                    });
                assert!(w.lent[i], "event buffer {i} handed back twice");
                w.lent[i] = false;
            });
        }
        sys::OtaJobEventActivate => {
            let activate = with(|w| {
                resume::job_ended(w, "OtaJobEventActivate");
                w.activations += 1;
                w.habits.activate
            });
            if activate {
                let _ = api::activate();
            }
        }
        sys::OtaJobEventStartTest => {
            let state = match with(|w| w.habits.self_test) {
                1 => sys::OtaImageStateAccepted,
                2 => sys::OtaImageStateRejected,
                _ => return,
            };
            let _ = api::set_image_state(state);
        }
        sys::OtaJobEventFail => with(|w| resume::job_ended(w, "OtaJobEventFail")),
        sys::OtaJobEventSelfTestFailed => {}
        other => panic!("application callback with event {other}"),
    }
}

/// The v2.0.0 API calls that take only values, as safe functions.
pub mod api {
    use crate::sys;

    pub fn check_for_update() -> sys::OtaErr_t {
        // SAFETY: takes no arguments; valid in any agent state.
        unsafe { sys::OTA_CheckForUpdate() }
    }

    pub fn suspend() -> sys::OtaErr_t {
        // SAFETY: as above.
        unsafe { sys::OTA_Suspend() }
    }

    pub fn resume() -> sys::OtaErr_t {
        // SAFETY: as above.
        unsafe { sys::OTA_Resume() }
    }

    pub fn activate() -> sys::OtaErr_t {
        // SAFETY: as above.
        unsafe { sys::OTA_ActivateNewImage() }
    }

    pub fn set_image_state(state: sys::OtaImageState_t) -> sys::OtaErr_t {
        // SAFETY: a value argument; out-of-range states are part of the contract (InvalidArg).
        unsafe { sys::OTA_SetImageState(state) }
    }

    pub fn shutdown(ticks: u32) -> sys::OtaState_t {
        super::with(|w| {
            if let Some(r) = w.resume.as_mut() {
                r.shutdown_asked = true;
            }
        });
        // SAFETY: a value argument.
        unsafe { sys::OTA_Shutdown(ticks) }
    }

    pub fn statistics() -> sys::OtaAgentStatistics_t {
        let mut stats = sys::OtaAgentStatistics_t::default();
        // SAFETY: `stats` is writable for one OtaAgentStatistics_t.
        let err = unsafe { sys::OTA_GetStatistics(&mut stats) };
        assert_eq!(err, sys::OtaErrNone, "OTA_GetStatistics failed");
        stats
    }
}
