//! The handlers of the transition table, v2.0.0's behaviour with its later fixes (each named
//! where it departs from v2.0.0).

use super::state::{
    clear_active_job, count, count_inline, has_active_job, notify, plane, release_file,
    reset_stats, set_state, signal, until_nul, update_job_status, Agent, Outcome, Plane, Thing,
    ThingStream, AGENT, FILE, HTTP_DATA, STATS,
};
use super::timer::{
    signal_or_retry, start_request_timer, start_self_test_timer, stop_request_timer,
};
use super::verdict::{app_version, platform_in_self_test, set_image_state_with_reason};
use super::{ingest, jobdoc, state};
use crate::config;
use crate::http;
use crate::mqtt::{self, Status};
use crate::sys::fctx;
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t};

pub(super) fn start(msg: &OtaEventMsg_t) -> Outcome {
    if platform_in_self_test() {
        start_self_test_timer();
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
/// while momentum lasts, else give up and shut the agent down. `momentum` is the caller's
/// reading (only the agent task changes it).
fn retry_or_give_up(momentum: u32, err: OtaErr_t, timer_failed: OtaErr_t) -> Outcome {
    if momentum < config::MAX_NUM_REQUEST_MOMENTUM {
        if start_request_timer() == sys::OtaOsSuccess {
            AGENT.with(|a| a.momentum = momentum.saturating_add(1));
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
    let sent = result.is_ok();
    // Read after the send: only the agent task writes momentum, so the value is the same.
    let momentum = AGENT.with(|a| {
        a.token_counter = counter;
        // Reset with the counter: only the agent task reads momentum, so before the timer stop.
        let m = a.momentum;
        if sent {
            a.momentum = 0;
        }
        m
    });
    match result {
        Ok(()) => {
            stop_request_timer();
            Outcome::Next
        }
        Err(err) => retry_or_give_up(momentum, err, sys::OtaErrRequestJobFailed),
    }
}

pub(super) fn process_job(msg: &OtaEventMsg_t) -> Outcome {
    let outcome = jobdoc::process(iface::event_payload(msg));
    notify(sys::OtaJobEventProcessed, Some(msg));
    outcome
}

/// The thing name, the stream name and the job's block bitmap, lent in place under one lock
/// (the bitmap's length too: only the agent task changes it, so it is the length the ask saw).
struct Parts;

impl mqtt::RequestParts for Parts {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8], &[u8]) -> R) -> Option<R> {
        AGENT.with2(&FILE, |a, file| {
            let thing = until_nul(&a.thing);
            let stream = fctx::text(file, fctx::Text::StreamName);
            fctx::bitmap_ref(file, a.bitmap_len).map(|b| f(thing, stream, b))
        })
    }
}

fn init_transfer() -> Result<(), OtaErr_t> {
    match plane() {
        Plane::Mqtt => mqtt::init_stream(&ThingStream),
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
    Outcome::Abandon(sys::OtaErrNoActiveJob)
}

pub(super) fn init_file(_: &OtaEventMsg_t) -> Outcome {
    let (active, momentum) = AGENT.with(|a| (a.has_job(), a.momentum));
    if !active {
        return drop_file_without_job();
    }
    match init_transfer() {
        Ok(()) => {
            AGENT.with(|a| a.momentum = 0);
            reset_stats();
            signal_or_retry(sys::OtaAgentEventRequestFileBlock)
        }
        Err(err) => retry_or_give_up(momentum, err, sys::OtaErrInitFileTransferFailed),
    }
}

/// What a block request needs of the agent, read (and its momentum spent) under one lock.
struct Ask {
    remaining: u32,
    active: bool,
    momentum: u32,
    plane: Plane,
    file_id: u32,
    /// HTTP: the range to ask for (the first block still needed) and the file's size.
    next: Option<u32>,
    file_size: u32,
}

#[inline(always)]
fn request_blocks(ask: &Ask) -> Result<(), OtaErr_t> {
    match ask.plane {
        Plane::Mqtt => mqtt::request_blocks(&Parts, ask.file_id),
        Plane::Http => {
            let block = ask.next.ok_or(sys::OtaErrRequestFileBlockFailed)?;
            let result = http::request(block, ask.file_size);
            if result.is_err() {
                // Only a request that went out can be answered.
                AGENT.with(|a| a.in_flight.forget_newest());
            }
            result
        }
        Plane::None => Err(sys::OtaErrInvalidDataProtocol),
    }
}

pub(super) fn request_data(_: &OtaEventMsg_t) -> Outcome {
    // HTTP gets its own copies (here, out of line, and inlined after each block), with one
    // range per request folded in; each passes its own way to the next block, so each has its
    // own lock closure, inlined at its one call.
    match plane() {
        Plane::Http => request_range(),
        plane => request_as(plane, |_, _| None),
    }
}

/// HTTP's copy for the table's rows (a timer, the first request), out of line: it runs under
/// none of the frame the MQTT request is built in.
#[inline(never)]
fn request_range() -> Outcome {
    request_as(Plane::Http, |a, f| a.next_needed(f))
}

/// The next range after an HTTP block, inlined into the block's handler: `next` is the block
/// its claim found next in the bitmap (nothing changes the bitmap in between).
#[inline(always)]
fn request_next_range(next: Option<u32>) -> Outcome {
    request_as(Plane::Http, move |_, _| next)
}

/// Asks for the next blocks; HTTP's range is the block `next` finds.
#[inline(always)]
fn request_as(
    plane: Plane,
    next: impl FnOnce(&mut Agent, &sys::OtaFileContext_t) -> Option<u32>,
) -> Outcome {
    let ask = AGENT.with2(&FILE, |a, f| {
        let mut ask = Ask {
            remaining: f.blocksRemaining,
            active: a.has_job(),
            momentum: a.momentum,
            plane,
            // MQTT's, read below when it asks.
            file_id: 0,
            next: None,
            file_size: f.fileSize,
        };
        if ask.remaining > 0 && ask.active && ask.momentum < config::MAX_NUM_REQUEST_MOMENTUM {
            // Spent now, with the request below; the give-up path resets it.
            a.momentum = a.momentum.saturating_add(1);
            // MQTT asks for a window of blocks; HTTP for one range, and every body asks for the
            // next (v2.0.0 left the count of a previous MQTT job here, delaying each range by a
            // timer period).
            a.blocks_to_receive = match ask.plane {
                Plane::Http => {
                    ask.next = next(a, f);
                    if let Some(block) = ask.next {
                        a.in_flight.ask(block);
                    }
                    1
                }
                _ => {
                    ask.file_id = a.server_file_id;
                    config::MAX_NUM_BLOCKS_REQUEST
                }
            };
        }
        ask
    });
    if ask.remaining == 0 {
        return Outcome::Next;
    }
    if !ask.active {
        return drop_file_without_job();
    }
    let timer = start_request_timer();
    if timer == sys::OtaOsSuccess && ask.momentum < config::MAX_NUM_REQUEST_MOMENTUM {
        match request_blocks(&ask) {
            Ok(()) => Outcome::Next,
            Err(err) => Outcome::Fail(err),
        }
    } else {
        // No request goes out: nothing is being asked for, and the momentum is spent (reset now:
        // only the agent task reads it).
        AGENT.with(|a| {
            if ask.next.is_some() {
                a.in_flight.forget_newest();
            }
            a.momentum = 0;
        });
        stop_request_timer();
        let err = set_image_state_with_reason(sys::OtaImageStateAborted, sys::OtaErrNone.into());
        if err != sys::OtaErrNone {
            ota_log!(Error, "Failed to abort the OTA update: OtaErr_t=", u(err));
        }
        // The job is over (reported FAILED), though the shutdown below keeps records.
        crate::resume::forget();
        if signal(sys::OtaAgentEventShutdown) {
            Outcome::Fail(sys::OtaErrMomentumAbort)
        } else {
            // No shutdown is coming and nothing is armed: close the job's file and wait for the
            // next job, where v2.0.0 stayed in RequestingFileBlock with no way out.
            release_file();
            Outcome::Abandon(sys::OtaErrSignalEventFailed)
        }
    }
}

/// Ends the download (v2.0.0's dataHandlerCleanup): close the file, tell the application.
fn finish_download(complete: bool) {
    stop_request_timer();
    // Blocks still queued behind this one are not ingested (v2.0.0 wrote them to the closed
    // job's file and reported on it).
    FILE.with(|f| f.blocksRemaining = 0);
    // Before the application hears of it: its activation may reset the device at once.
    crate::resume::forget();
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
    // HTTP gets its own copy, with the block's ingest and the next range's request inlined
    // (HTTP_DATA first: without HTTP the plane is not even read here).
    if HTTP_DATA && plane() == Plane::Http {
        process_as::<true>(msg)
    } else {
        process_as::<false>(msg)
    }
}

#[inline(always)]
fn process_as<const HTTP: bool>(msg: &OtaEventMsg_t) -> Outcome {
    let payload = iface::event_payload(msg);
    let (ingested, next) = if HTTP {
        ingest::receive_http(payload)
    } else {
        (ingest::receive(payload), None)
    };
    let progress = match ingested {
        ingest::Ingested::Accepted(progress) => progress,
        ingest::Ingested::Done(result) => {
            // The file was not closed: no close status for a failure's report.
            return block_not_added(msg, result, sys::pal_status(sys::OtaPalUninitialized));
        }
    };
    if progress.remaining == 0 {
        // The close (the PAL's signature check, the deepest call of an update) runs here, after
        // the block's decode state is gone from the stack.
        let (result, close_status) = ingest::finish();
        return block_not_added(msg, result, close_status);
    }
    count_inline(&STATS.processed);
    crate::resume::block_written();
    let total = ingest::blocks_in(progress.file_size);
    let received = total.saturating_sub(progress.remaining);
    let frequency = config::OTA_UPDATE_STATUS_FREQUENCY.max(1);
    // v2.0.0 reported only every `frequency` blocks, so nothing before block 64 (#426).
    let err = if received.checked_rem(frequency) == Some(0) || received == 1 {
        report_progress(received, total)
    } else {
        sys::OtaErrNone
    };
    iface::app_callback(progress.callback, sys::OtaJobEventProcessed, Some(msg));
    // The window is done: ask for the next one here, with the buffer already back. v2.0.0 queued
    // itself a RequestFileBlock event, a trip through the queue that a full queue could refuse.
    let asked = if !progress.window_done {
        Outcome::Next
    } else if HTTP {
        request_next_range(next)
    } else {
        request_data(msg)
    };
    match asked {
        Outcome::Next if err != sys::OtaErrNone => Outcome::Fail(err),
        other => other,
    }
}

/// The job's progress update, every `frequency` blocks. Inlined: a frame of its own would add
/// to the deepest stack of a download, the update's own.
#[inline(always)]
fn report_progress(received: u32, total: u32) -> OtaErr_t {
    update_job_status(Status::Receiving { received, total })
}

/// A data message that added no block with more to come: the download's end, its failure, or
/// a message that changes nothing.
fn block_not_added(
    msg: &OtaEventMsg_t,
    result: sys::IngestResult_t,
    close_status: sys::OtaPalStatus_t,
) -> Outcome {
    let mut err = sys::OtaErrNone;
    if result == sys::IngestResultUnexpectedBlock {
        // A block after the download ended (a duplicate of the last one, or one queued behind
        // a failure): hand it back; v2.0.0 rejected the image it had just verified.
        ota_log!(Warn, "Block received with no download in progress; ignored");
        count(&STATS.dropped);
    } else if result == sys::IngestResultFileComplete {
        err = update_job_status(Status::SelfTest {
            reason: mqtt::REASON_READY,
            version: app_version(),
        });
        finish_download(true);
        count(&STATS.processed);
    } else if result < sys::IngestResultFileComplete {
        ota_log!(
            Error,
            "Failed to ingest a data block, rejecting the image: IngestResult_t=",
            d(result)
        );
        let _ = iface::pal_set_image_state(sys::OtaImageStateRejected);
        err = update_job_status(Status::FailedWithValue {
            reason: close_status,
            sub_reason: result as u32,
        });
        finish_download(false);
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
    set_state(sys::OtaAgentStateShuttingDown);
    // Timers must not fire into a stopped agent (#413, #439).
    // A loop up to the last ID: an array of the two was built on the stack (20 B more), a
    // range kept a byte-wide counter (4 B more).
    const _: () = assert!(sys::OtaSelfTestTimer == sys::OtaRequestTimer + 1);
    let mut id = sys::OtaRequestTimer;
    loop {
        let _ = iface::timer_stop(id);
        let _ = iface::timer_delete(id);
        if id == sys::OtaSelfTestTimer {
            break;
        }
        id = id.wrapping_add(1);
    }
    if let Err(err) = mqtt::cleanup_control(&Thing) {
        ota_log!(
            Warn,
            "Failed to clean up the control plane: OtaErr_t=",
            u(err)
        );
    }
    // The reset clears the bitmap's length and the active job with the rest, in one lock.
    state::release_file_parts();
    AGENT.with(|a| *a = Agent::new());
    iface::install(core::ptr::null_mut());
    Outcome::Next
}

pub(super) fn suspend(_: &OtaEventMsg_t) -> Outcome {
    ota_log!(Info, "OTA agent is suspended");
    stop_request_timer();
    crate::resume::checkpoint();
    Outcome::Next
}

pub(super) fn resume(_: &OtaEventMsg_t) -> Outcome {
    signal_or_retry(sys::OtaAgentEventRequestJobDocument)
}

// Cold: a new job in the middle of a download is rare (-4 B).
#[cold]
pub(super) fn job_notification(msg: &OtaEventMsg_t) -> Outcome {
    stop_request_timer();
    let _ = iface::pal_set_image_state(sys::OtaImageStateAborted);
    release_file();
    clear_active_job();
    // v2.0.0 never handed this event's buffer back to the application.
    notify(sys::OtaJobEventProcessed, Some(msg));
    match signal_or_retry(sys::OtaAgentEventRequestJobDocument) {
        // The download is gone either way: leave WaitingForFileBlock, whose rows expect a file.
        Outcome::Fail(err) => Outcome::AbandonForNewJob(err),
        outcome => outcome,
    }
}
