//! The handlers of the transition table, v2.0.0's behaviour with its later fixes (each named
//! where it departs from v2.0.0).

use super::{
    clear_active_job, count, has_active_job, ingest, jobdoc, notify, release_file, signal,
    update_job_status, Outcome, Plane, Stream, Thing, AGENT, FILE, STATS,
};
use crate::config;
use crate::http;
use crate::mqtt::{self, Status};
use crate::sys::fctx;
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t};
use core::sync::atomic::{AtomicBool, Ordering};

const REQUEST_TIMER: &core::ffi::CStr = c"OtaRequestTimer";
const SELF_TEST_TIMER: &core::ffi::CStr = c"OtaSelfTestTimer";

/// Set while `on_timer` re-arms the request timer (load and store: Armv6-M has no swap).
static REARMING: AtomicBool = AtomicBool::new(false);

/// The timers' callback (v2.0.0's otaTimerCallback).
extern "C" fn on_timer(id: sys::OtaTimerId_t) {
    if super::state() == sys::OtaAgentStateStopped {
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
        if super::image_state() == sys::OtaImageStateAccepted {
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
    iface::timer_start(
        sys::OtaRequestTimer,
        REQUEST_TIMER,
        config::FILE_REQUEST_WAIT_MS,
        on_timer,
    )
}

fn stop_request_timer() {
    let _ = iface::timer_stop(sys::OtaRequestTimer);
}

/// Whether the platform runs a new image that is not yet committed.
fn platform_in_self_test() -> bool {
    iface::pal_get_image_state() == sys::OtaPalImageStatePendingCommit
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

/// The running image's version word (`appFirmwareVersion`; OTA_Init checked it exists).
fn app_version() -> u32 {
    sys::shim::app_firmware_version_word().unwrap_or(0)
}

/// v2.0.0's setImageStateWithReason: tell the PAL, remember the state, report it on the job.
pub(crate) fn set_image_state_with_reason(
    requested: sys::OtaImageState_t,
    reason: u32,
) -> OtaErr_t {
    let pal = iface::pal_set_image_state(requested);
    let mut state = requested;
    let mut reason = reason;
    if sys::pal_main(pal) != sys::OtaPalSuccess && state != sys::OtaImageStateAborted {
        state = sys::OtaImageStateRejected;
        if reason == 0 {
            reason = pal;
        }
    }
    super::store_image_state(state);
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
    let job = super::until_nul(&job);
    let err = if job.is_empty() {
        sys::OtaErrNoActiveJob
    } else {
        let status = match state {
            sys::OtaImageStateTesting => Status::SelfTest {
                reason: sys::JobReasonSelfTestActive,
                version: app_version(),
            },
            sys::OtaImageStateAccepted => Status::Succeeded {
                version: app_version(),
            },
            _ => Status::Failed {
                reason: if state == sys::OtaImageStateRejected {
                    sys::JobReasonRejected
                } else {
                    sys::JobReasonAborted
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

pub(super) fn start(msg: &OtaEventMsg_t) -> Outcome {
    if platform_in_self_test() {
        let _ = iface::timer_start(
            sys::OtaSelfTestTimer,
            SELF_TEST_TIMER,
            config::SELF_TEST_RESPONSE_WAIT_MS,
            on_timer,
        );
    }
    ask_for_job(msg)
}

/// Queues the first job request. When the queue refuses it the agent stays in Ready, as v2.0.0
/// does (upstream's tests expect it), but the request timer is armed: its row in Ready asks again,
/// where v2.0.0 waited for ever.
pub(super) fn ask_for_job(_: &OtaEventMsg_t) -> Outcome {
    if signal(sys::OtaAgentEventRequestJobDocument) {
        return Outcome::Next;
    }
    let _ = start_request_timer();
    Outcome::Fail(sys::OtaErrSignalEventFailed)
}

/// Shared retry logic of the job request and the transfer start: re-arm the request timer
/// while momentum lasts, else give up and shut the agent down.
fn retry_or_give_up(err: OtaErr_t, timer_failed: OtaErr_t) -> Outcome {
    let momentum = AGENT.with(|a| a.momentum);
    if momentum < config::MAX_NUM_REQUEST_MOMENTUM {
        if start_request_timer() == sys::OtaOsSuccess {
            AGENT.with(|a| a.momentum = a.momentum.saturating_add(1));
            Outcome::Fail(err)
        } else {
            Outcome::Fail(timer_failed)
        }
    } else {
        stop_request_timer();
        if signal(sys::OtaAgentEventShutdown) {
            Outcome::Fail(sys::OtaErrMomentumAbort)
        } else {
            Outcome::Fail(sys::OtaErrSignalEventFailed)
        }
    }
}

pub(super) fn request_job(_: &OtaEventMsg_t) -> Outcome {
    let mut counter = AGENT.with(|a| a.token_counter);
    let result = mqtt::request_job(&Thing, &mut counter);
    AGENT.with(|a| a.token_counter = counter);
    match result {
        Ok(()) => {
            stop_request_timer();
            AGENT.with(|a| a.momentum = 0);
            Outcome::Next
        }
        Err(err) => retry_or_give_up(err, sys::OtaErrRequestJobFailed),
    }
}

pub(super) fn process_job(msg: &OtaEventMsg_t) -> Outcome {
    let outcome = jobdoc::process(iface::event_payload(msg));
    notify(sys::OtaJobEventProcessed, Some(msg));
    outcome
}

pub(super) fn in_self_test(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "Beginning self-test");
    if platform_in_self_test() {
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

/// The first `len` bytes of the file's block bitmap, lent in place.
struct Bitmap(usize);

impl mqtt::Bytes for Bitmap {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        FILE.with(|file| f(fctx::bitmap(file, self.0).map_or(&[][..], |b| &*b)))
    }
}

fn init_transfer() -> Result<(), OtaErr_t> {
    match AGENT.with(|a| a.plane) {
        Plane::Mqtt => mqtt::init_stream(&Thing, &Stream),
        Plane::Http => {
            AGENT.with(|a| a.in_flight.clear());
            http::init()
        }
        Plane::None => Err(sys::OtaErrInvalidDataProtocol),
    }
}

/// A verdict (`OTA_SetImageState`) ended the job under the transfer: nothing to ask for, and no
/// momentum to spend on it (v2.0.0 kept retrying until it shut the agent down); close the file
/// and wait for the next job.
fn drop_file_without_job() -> Outcome {
    ota_log!(Warn, "The job ended during the transfer; closing the file");
    stop_request_timer();
    release_file();
    AGENT.with(|a| a.momentum = 0);
    Outcome::Abandon(sys::OtaErrNoActiveJob, sys::OtaAgentStateWaitingForJob)
}

pub(super) fn init_file(_: &OtaEventMsg_t) -> Outcome {
    if !has_active_job() {
        return drop_file_without_job();
    }
    match init_transfer() {
        Ok(()) => {
            AGENT.with(|a| a.momentum = 0);
            super::reset_stats();
            signal_or_retry(sys::OtaAgentEventRequestFileBlock)
        }
        Err(err) => retry_or_give_up(err, sys::OtaErrInitFileTransferFailed),
    }
}

fn request_blocks() -> Result<(), OtaErr_t> {
    match AGENT.with(|a| a.plane) {
        Plane::Mqtt => {
            let (file_id, len) = AGENT.with(|a| {
                a.blocks_to_receive = config::MAX_NUM_BLOCKS_REQUEST;
                (a.server_file_id, a.bitmap_len)
            });
            if FILE.with(|f| fctx::bitmap(f, len).is_none()) {
                return Err(sys::OtaErrRequestFileBlockFailed);
            }
            mqtt::request_blocks(&Thing, &Stream, file_id, &Bitmap(len))
        }
        Plane::Http => {
            // One range per request: every body asks for the next (v2.0.0 left the count of a
            // previous MQTT job here, delaying each range by a timer period).
            AGENT.with(|a| a.blocks_to_receive = 1);
            let len = AGENT.with(|a| a.bitmap_len);
            let (next, size) = FILE.with(|f| {
                let size = f.fileSize;
                (
                    fctx::bitmap(f, len).and_then(|b| crate::bitmap::first_needed(b)),
                    size,
                )
            });
            let block = next.ok_or(sys::OtaErrRequestFileBlockFailed)?;
            http::request(block, size)?;
            // Only a request that went out can be answered (its body is queued, not yet taken).
            AGENT.with(|a| a.in_flight.push(block));
            Ok(())
        }
        Plane::None => Err(sys::OtaErrInvalidDataProtocol),
    }
}

pub(super) fn request_data(msg: &OtaEventMsg_t) -> Outcome {
    if FILE.with(|f| f.blocksRemaining) == 0 {
        return Outcome::Next;
    }
    if msg.eventId == sys::OtaAgentEventRequestTimer {
        // No body came for a whole timer period (each one restarts it): every outstanding
        // range is lost, and the retry's body must not be taken for one of them.
        AGENT.with(|a| a.in_flight.clear());
    }
    if !has_active_job() {
        return drop_file_without_job();
    }
    let timer = start_request_timer();
    let momentum = AGENT.with(|a| a.momentum);
    if timer == sys::OtaOsSuccess && momentum < config::MAX_NUM_REQUEST_MOMENTUM {
        let result = request_blocks();
        AGENT.with(|a| a.momentum = a.momentum.saturating_add(1));
        match result {
            Ok(()) => Outcome::Next,
            Err(err) => Outcome::Fail(err),
        }
    } else {
        stop_request_timer();
        let err = set_image_state_with_reason(sys::OtaImageStateAborted, sys::OtaErrNone.into());
        if err != sys::OtaErrNone {
            ota_log!(Error, "Failed to abort the OTA update: OtaErr_t=", u(err));
        }
        AGENT.with(|a| a.momentum = 0);
        if signal(sys::OtaAgentEventShutdown) {
            Outcome::Fail(sys::OtaErrMomentumAbort)
        } else {
            // No shutdown is coming and nothing is armed: close the job's file and wait for the
            // next job, where v2.0.0 stayed in RequestingFileBlock with no way out.
            release_file();
            Outcome::Abandon(
                sys::OtaErrSignalEventFailed,
                sys::OtaAgentStateWaitingForJob,
            )
        }
    }
}

/// Ends the download (v2.0.0's dataHandlerCleanup): close the file, tell the application.
fn finish_download(complete: bool) {
    stop_request_timer();
    // Blocks still queued behind this one are not ingested (v2.0.0 wrote them to the closed
    // job's file and reported on it).
    FILE.with(|f| f.blocksRemaining = 0);
    if !signal(sys::OtaAgentEventCloseFile) {
        ota_log!(Warn, "Failed to signal closing the file");
    }
    notify(
        if complete {
            sys::OtaJobEventActivate
        } else {
            sys::OtaJobEventFail
        },
        None,
    );
    clear_active_job();
}

pub(super) fn process_data(msg: &OtaEventMsg_t) -> Outcome {
    let (result, close_status) = ingest::ingest(iface::event_payload(msg));
    let mut err = sys::OtaErrNone;
    if result == sys::IngestResultUnexpectedBlock {
        // A block after the download ended (a duplicate of the last one, or one queued behind
        // a failure): hand it back; v2.0.0 rejected the image it had just verified.
        ota_log!(Warn, "Block received with no download in progress; ignored");
        count(&STATS.dropped);
    } else if result == sys::IngestResultFileComplete {
        if let Err(e) = update_job_status(Status::SelfTest {
            reason: sys::JobReasonSigCheckPassed,
            version: app_version(),
        }) {
            err = e;
        }
        finish_download(true);
        count(&STATS.processed);
    } else if result < sys::IngestResultFileComplete {
        ota_log!(
            Error,
            "Failed to ingest a data block, rejecting the image: IngestResult_t=",
            d(result)
        );
        let _ = iface::pal_set_image_state(sys::OtaImageStateRejected);
        if let Err(e) = update_job_status(Status::FailedWithValue {
            reason: close_status,
            sub_reason: result as u32,
        }) {
            err = e;
        }
        finish_download(false);
    } else if result == sys::IngestResultAccepted_Continue {
        count(&STATS.processed);
        AGENT.with(|a| a.momentum = 0);
        let (received, total) = ingest::progress();
        let frequency = config::OTA_UPDATE_STATUS_FREQUENCY.max(1);
        // v2.0.0 reported only every `frequency` blocks, so nothing before block 64 (#426).
        if received.checked_rem(frequency) == Some(0) || received == 1 {
            if let Err(e) = update_job_status(Status::Receiving { received, total }) {
                err = e;
            }
        }
        let more = AGENT.with(|a| {
            if a.blocks_to_receive > 1 {
                a.blocks_to_receive = a.blocks_to_receive.saturating_sub(1);
                false
            } else {
                true
            }
        });
        if more {
            let _ = start_request_timer();
            if !signal(sys::OtaAgentEventRequestFileBlock) {
                ota_log!(Warn, "Failed to signal a request for the next block");
            }
        }
    }
    // A duplicate block changes nothing: v2.0.0 counted it towards the next request, which
    // snowballed into request storms and momentum aborts (#428).
    notify(sys::OtaJobEventProcessed, Some(msg));
    if err == sys::OtaErrNone {
        Outcome::Next
    } else {
        Outcome::Fail(err)
    }
}

pub(super) fn close_file(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "Closing the file");
    release_file();
    Outcome::Next
}

pub(super) fn user_abort(_: &OtaEventMsg_t) -> Outcome {
    if !has_active_job() {
        return Outcome::Fail(sys::OtaErrNoActiveJob);
    }
    match set_image_state_with_reason(sys::OtaImageStateAborted, sys::OtaErrUserAbort.into()) {
        sys::OtaErrNone => {
            stop_request_timer();
            release_file();
            Outcome::Next
        }
        err => Outcome::Fail(err),
    }
}

pub(super) fn shutdown(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "OTA agent is shutting down");
    super::set_state(sys::OtaAgentStateShuttingDown);
    // Timers must not fire into a stopped agent (#413, #439).
    for id in [sys::OtaRequestTimer, sys::OtaSelfTestTimer] {
        let _ = iface::timer_stop(id);
        let _ = iface::timer_delete(id);
    }
    if let Err(err) = mqtt::cleanup_control(&Thing) {
        ota_log!(
            Warn,
            "Failed to clean up the control plane: OtaErr_t=",
            u(err)
        );
    }
    release_file();
    clear_active_job();
    AGENT.with(|a| *a = super::Agent::new());
    iface::install(core::ptr::null_mut());
    Outcome::Next
}

pub(super) fn suspend(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "OTA agent is suspended");
    stop_request_timer();
    Outcome::Next
}

pub(super) fn resume(_: &OtaEventMsg_t) -> Outcome {
    signal_or_retry(sys::OtaAgentEventRequestJobDocument)
}

pub(super) fn job_notification(msg: &OtaEventMsg_t) -> Outcome {
    stop_request_timer();
    let _ = iface::pal_set_image_state(sys::OtaImageStateAborted);
    release_file();
    clear_active_job();
    // v2.0.0 never handed this event's buffer back to the application.
    notify(sys::OtaJobEventProcessed, Some(msg));
    match signal_or_retry(sys::OtaAgentEventRequestJobDocument) {
        // The download is gone either way: leave WaitingForFileBlock, whose rows expect a file.
        Outcome::Fail(err) => Outcome::Abandon(err, sys::OtaAgentStateRequestingJob),
        outcome => outcome,
    }
}
