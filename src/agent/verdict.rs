//! The image's verdict (v2.0.0's setImageStateWithReason) and the self test it ends: what the
//! PAL is told, what the job reports, and the job it ends.

use super::state::{notify, store_image_state, until_nul, Outcome, Thing, AGENT};
use crate::mqtt::{self, Status};
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t};

/// Whether the platform runs a new image that is not yet committed.
pub(super) fn platform_in_self_test() -> bool {
    iface::pal_get_image_state() == sys::OtaPalImageStatePendingCommit
}

/// The running image's version word (`appFirmwareVersion`; OTA_Init checked it exists).
/// Out of line: its three callers' shim call, test and load each cost more than a call.
#[inline(never)]
pub(super) fn app_version() -> u32 {
    sys::shim::app_firmware_version_word().unwrap_or(0)
}

/// v2.0.0's setImageStateWithReason: tell the PAL, remember the state, report it on the job.
pub(crate) fn set_image_state_with_reason(
    requested: sys::OtaImageState_t,
    reason: u32,
) -> OtaErr_t {
    let pal = iface::pal_set_image_state(requested);
    let failed = sys::pal_main(pal) != sys::OtaPalSuccess && requested != sys::OtaImageStateAborted;
    let state = if failed {
        sys::OtaImageStateRejected
    } else {
        requested
    };
    let reason = if failed && reason == 0 { pal } else { reason };
    store_image_state(state);
    if state == sys::OtaImageStateAccepted {
        // The image is committed; v2.0.0 left the timer running to reset it anyway (#153). On a
        // rejection it keeps running: its reset is what rolls the image back.
        let _ = iface::timer_stop(sys::OtaSelfTestTimer);
    }
    // A verdict ends the job: its ID is taken out and cleared in one step, so when two threads
    // decide at once the job is reported once and the second caller finds no active job.
    let verdict = state != sys::OtaImageStateTesting;
    let job = AGENT.with(|a| {
        let id = a.active_job;
        if verdict {
            a.active_job.fill(0);
        }
        id
    });
    let job = until_nul(&job);
    let err = if job.is_empty() {
        sys::OtaErrNoActiveJob
    } else {
        // One read for the two reports that carry it (a read of a C constant: no side effect).
        let version = app_version();
        let status = match state {
            sys::OtaImageStateTesting => Status::SelfTest {
                reason: mqtt::REASON_ACTIVE,
                version,
            },
            sys::OtaImageStateAccepted => Status::Succeeded { version },
            _ => Status::Failed {
                reason: if state == sys::OtaImageStateRejected {
                    mqtt::REASON_REJECTED
                } else {
                    mqtt::REASON_ABORTED
                },
                sub_reason: reason,
            },
        };
        match mqtt::update_job_status(&Thing, job, status) {
            Ok(()) => sys::OtaErrNone,
            Err(e) => e,
        }
    };
    if err != sys::OtaErrNone {
        ota_log!(
            Warn,
            "Image state ",
            u(requested),
            " set with reason 0x",
            x(reason),
            ": OtaErr_t=",
            u(err)
        );
    }
    err
}

pub(super) fn in_self_test(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "Beginning self-test");
    if platform_in_self_test() {
        AGENT.with(|a| a.self_test_begun = true);
        notify(sys::OtaJobEventStartTest, None);
        Outcome::Next
    } else {
        ota_log!(
            Warn,
            "Rejecting the new image and resetting: the job is in self test, the platform is not"
        );
        let err = set_image_state_with_reason(
            sys::OtaImageStateRejected,
            sys::OtaErrImageStateMismatch.into(),
        );
        let _ = iface::pal_reset();
        if err == sys::OtaErrNone {
            Outcome::Next
        } else {
            Outcome::Fail(err)
        }
    }
}
