//! A job's start, or why there is none: the self test after a reboot into the new image, the
//! file created for the download and its data plane chosen.

use crate::agent::ingest::blocks_in;
use crate::agent::state::{
    image_state, notify, release_file, set_plane, signal, Outcome, Plane, AGENT, FILE, HTTP_DATA,
    MQTT_DATA,
};
use crate::agent::timer::signal_or_retry;
use crate::agent::verdict::{
    app_version, in_self_test, platform_in_self_test, set_image_state_with_reason,
};
use crate::sys::fctx::{self, Text};
use crate::sys::{self, iface, OtaErr_t};
use crate::{bitmap, config};

/// v2.0.0's validateUpdateVersion (only for file ID 0).
fn check_version(file_id: u32, updated_by: u32) -> OtaErr_t {
    if file_id != 0 {
        return sys::OtaErrNone;
    }
    let running = app_version();
    if updated_by == running {
        ota_log!(
            Warn,
            "The new image has the same version as the one that started the update"
        );
        sys::OtaErrSameFirmwareVersion
    } else if updated_by > running {
        ota_log!(
            Warn,
            "The new image is older than the one that started the update"
        );
        sys::OtaErrDowngradeNotAllowed
    } else {
        sys::OtaErrNone
    }
}

/// v2.0.0's handleSelfTestJobDoc: after the reboot into the new image.
pub(super) fn self_test_job(file_id: u32, updated_by: u32) {
    ota_log!(Info, "In self test mode");
    let version = check_version(file_id, updated_by);
    if config::ALLOW_DOWNGRADE == 1 || version == sys::OtaErrNone {
        let err = set_image_state_with_reason(sys::OtaImageStateTesting, version.into());
        if err != sys::OtaErrNone {
            ota_log!(
                Error,
                "Failed to set the image state to testing: OtaErr_t=",
                u(err)
            );
        }
    } else {
        ota_log!(
            Warn,
            "Rejecting the new image: its version is not valid: OtaErr_t=",
            u(version)
        );
        let err = set_image_state_with_reason(sys::OtaImageStateRejected, version.into());
        if err != sys::OtaErrNone {
            ota_log!(
                Error,
                "Failed to set the image state to rejected: OtaErr_t=",
                u(err)
            );
        }
        notify(sys::OtaJobEventSelfTestFailed, None);
        let _ = iface::pal_reset();
    }
}

/// Prepares the bitmap and asks the PAL for the file (v2.0.0's getFileContextFromJob).
pub(super) fn create_file(size: u32) -> bool {
    let blocks = blocks_in(size);
    let len = bitmap::len_for(blocks);
    let ready = fctx::bitmap_prepare(len)
        && AGENT.with2(&FILE, |a, f| match fctx::bitmap(f, len) {
            Some(b) => {
                bitmap::fill(b, blocks);
                f.blocksRemaining = blocks;
                a.bitmap_len = len;
                a.scan_from = 0;
                true
            }
            None => false,
        });
    if !ready {
        ota_log!(Error, "No memory for the block bitmap (", u(len), " bytes)");
        release_file();
        return false;
    }
    if crate::resume::reopen() {
        return true;
    }
    let status = iface::pal_create_file();
    if sys::pal_main(status) != sys::OtaPalSuccess {
        ota_log!(
            Error,
            "The PAL could not create the file: status 0x",
            x08(status)
        );
        let _ = set_image_state_with_reason(sys::OtaImageStateAborted, status);
        release_file();
        return false;
    }
    true
}

/// The data plane named by the job's protocol list, in the configured priority.
fn select_plane() -> Plane {
    // Searched in place: a few compares under the lock, no copy of the list.
    // A plane compiled out is tested first: its search is then left out of the firmware.
    let (mqtt, http) = FILE.with(|f| {
        let text = fctx::text(f, Text::Protocols);
        let has = |name: &[u8]| text.windows(name.len()).any(|w| w == name);
        // HTTP needs the pre-signed URL; without one the job cannot use it (v2.0.0 retried the
        // HTTP init until momentum shut the agent down).
        (
            MQTT_DATA && has(b"MQTT"),
            HTTP_DATA && has(b"HTTP") && !fctx::text(f, Text::Url).is_empty(),
        )
    });
    let mqtt = mqtt.then_some(Plane::Mqtt);
    let http = http.then_some(Plane::Http);
    let choice = if config::PRIMARY_DATA_PROTOCOL == sys::OTA_DATA_OVER_HTTP {
        http.or(mqtt)
    } else {
        mqtt.or(http)
    };
    choice.unwrap_or(Plane::None)
}

/// No file to download: a self test in progress, or a failed document.
/// Inlined into the job's handler, which reaches it from one merged tail (-16 B).
#[inline(always)]
pub(super) fn no_file() -> Outcome {
    if image_state() == sys::OtaImageStateTesting {
        if signal(sys::OtaAgentEventStartSelfTest) {
            return Outcome::Next;
        }
        // No room for the event: begin the self test now, where its handler would have, rather
        // than leave the application without StartTest until the self-test timer resets.
        let none = sys::OtaEventMsg_t {
            pEventData: core::ptr::null_mut(),
            eventId: sys::OtaAgentEventStartSelfTest,
        };
        return match in_self_test(&none) {
            Outcome::Next => Outcome::Stay,
            other => other,
        };
    }
    ota_log!(
        Error,
        "Job document parse failed, aborting the current update"
    );
    let err =
        set_image_state_with_reason(sys::OtaImageStateAborted, sys::OtaErrJobParserError.into());
    if err != sys::OtaErrNone {
        ota_log!(Error, "Failed to abort the OTA update: OtaErr_t=", u(err));
    }
    Outcome::Fail(sys::OtaErrJobParserError)
}

/// A file to download: choose its data plane and create it (v2.0.0's processValidFileContext).
pub(super) fn start_file() -> Outcome {
    if platform_in_self_test() {
        ota_log!(
            Warn,
            "Rejecting the job and resetting: the platform is in self test, the job is not"
        );
        let _ = iface::pal_reset();
        return Outcome::Next;
    }
    let plane = select_plane();
    set_plane(plane);
    if plane != Plane::None {
        return signal_or_retry(sys::OtaAgentEventCreateFile);
    }
    ota_log!(
        Error,
        "The job offers no enabled data protocol, aborting it"
    );
    let err = set_image_state_with_reason(
        sys::OtaImageStateAborted,
        sys::OtaErrInvalidDataProtocol.into(),
    );
    // The file was created for a job that cannot run (v2.0.0 left it open).
    release_file();
    match err {
        sys::OtaErrNone => {
            // v2.0.0 then sat in CreatingFile ignoring every later job; ask for the next one.
            let _ = signal(sys::OtaAgentEventRequestJobDocument);
            Outcome::Next
        }
        err => Outcome::Fail(err),
    }
}
