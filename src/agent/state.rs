//! What the agent's modules share: the agent's statics (its own record, the file context's
//! static buffers, state, image state, statistics), the queue into the agent task, and the
//! steps every handler ends with (notify the application, report the job, release the file).
//! It calls only down, into the data planes and `sys`.

use crate::config;
use crate::http::InFlight;
use crate::mqtt;
use crate::sys::fctx;
pub(crate) use crate::sys::fctx::FILE;
use crate::sys::global::Global;
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t, OtaState_t};
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU8, Ordering};

/// Capacity of the thing name, with its NUL.
pub(super) const THING_CAP: usize = config::MAX_THINGNAME_LEN as usize + 1;
/// Capacity of a job ID, with its NUL (v2.0.0's OTA_JOB_ID_MAX_SIZE).
pub(super) const JOB_ID_CAP: usize = sys::OTA_JOB_ID_MAX_SIZE as usize;
/// v2.0.0's static protocol buffer.
pub(super) const PROTOCOLS_CAP: usize = 20;

/// Which data plane the current job uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plane {
    None,
    Mqtt,
    Http,
}

/// The current job's plane. Only the agent task writes it, and a block's decoder is chosen by
/// it before the block's one lock, so it is an atomic beside the agent, not in it.
static PLANE: AtomicU8 = AtomicU8::new(Plane::None as u8);

/// Whether the application's config compiles each data plane in (`configENABLED_DATA_PROTOCOLS`).
pub(super) const MQTT_DATA: bool = config::ENABLED_DATA_PROTOCOLS & sys::OTA_DATA_OVER_MQTT != 0;
pub(super) const HTTP_DATA: bool = config::ENABLED_DATA_PROTOCOLS & sys::OTA_DATA_OVER_HTTP != 0;

/// The job document picks only a plane the config enables, so reading the others as None
/// leaves a disabled plane's code out of the firmware, as v2.0.0's `#if`s did.
pub(super) fn plane() -> Plane {
    match PLANE.load(Ordering::Relaxed) {
        1 if MQTT_DATA => Plane::Mqtt,
        2 if HTTP_DATA => Plane::Http,
        _ => Plane::None,
    }
}

pub(super) fn set_plane(plane: Plane) {
    PLANE.store(plane as u8, Ordering::Relaxed);
}

/// What the agent task owns.
pub(crate) struct Agent {
    pub(super) thing: [u8; THING_CAP],
    pub(super) active_job: [u8; JOB_ID_CAP],
    pub(super) server_file_id: u32,
    pub(super) blocks_to_receive: u32,
    pub(super) momentum: u32,
    pub(super) callback: sys::OtaAppCallback_t,
    pub(super) token_counter: u32,
    pub(super) bitmap_len: usize,
    /// No block below this one is needed any more (where HTTP's bitmap scan starts).
    pub(super) scan_from: u32,
    pub(super) in_flight: InFlight,
    /// The application has been told to start its self test (OtaJobEventStartTest) this boot.
    pub(super) self_test_begun: bool,
}

impl Agent {
    pub(super) const fn new() -> Self {
        Agent {
            thing: [0; THING_CAP],
            active_job: [0; JOB_ID_CAP],
            server_file_id: 0,
            // All-zero, so the agent lives in .bss, not in flash-backed .data; 0 acts as 1.
            blocks_to_receive: 0,
            momentum: 0,
            callback: None,
            token_counter: 0,
            bitmap_len: 0,
            scan_from: 0,
            in_flight: InFlight::new(),
            self_test_begun: false,
        }
    }

    /// Whether a job is active (its ID is set).
    pub(super) fn has_job(&self) -> bool {
        self.active_job.first().is_some_and(|&b| b != 0)
    }

    /// HTTP: the first block still needed, searched from where the last search stopped (a
    /// download only clears bits, so nothing below it is needed again).
    pub(super) fn next_needed(&mut self, file: &sys::OtaFileContext_t) -> Option<u32> {
        fctx::bitmap_ref(file, self.bitmap_len).and_then(|b| self.next_in(b))
    }

    /// As [`Agent::next_needed`], in the file's bitmap already at hand.
    #[inline]
    pub(super) fn next_in(&mut self, bitmap: &[u8]) -> Option<u32> {
        let next = crate::bitmap::first_needed(bitmap, self.scan_from)?;
        self.scan_from = next;
        Some(next)
    }
}

/// Text up to the first NUL.
pub(super) fn until_nul(bytes: &[u8]) -> &[u8] {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..len).unwrap_or(&[])
}

/// Copies `value` into a NUL-terminated fixed buffer, clearing the rest (no stale tail, #430).
pub(super) fn set_text<const N: usize>(buf: &mut [u8; N], value: &[u8]) -> bool {
    buf.fill(0);
    match buf.get_mut(..value.len()) {
        Some(dst) if value.len() < N => {
            dst.copy_from_slice(value);
            true
        }
        _ => false,
    }
}

pub(super) static AGENT: Global<Agent> = Global::new(Agent::new());
/// v2.0.0's static job-name, protocol and signature buffers the file context points at.
pub(super) static JOB_NAME: Global<[u8; JOB_ID_CAP]> = Global::new([0; JOB_ID_CAP]);
pub(super) static PROTOCOLS: Global<[u8; PROTOCOLS_CAP]> = Global::new([0; PROTOCOLS_CAP]);
pub(super) static SIGNATURE: Global<sys::Sig256_t> = Global::new(fctx::empty_signature());

#[allow(clippy::unnecessary_cast)] // C enums may be narrower than the atomics (see `state()`)
pub(super) static STATE: AtomicI32 = AtomicI32::new(sys::OtaAgentStateStopped as i32);
#[allow(clippy::unnecessary_cast)]
pub(super) static IMAGE_STATE: AtomicU32 = AtomicU32::new(sys::OtaImageStateUnknown as u32);

/// v2.0.0's statistics, updated from the transports' threads and the agent task.
pub(super) struct Stats {
    pub(super) received: AtomicU32,
    pub(super) queued: AtomicU32,
    pub(super) processed: AtomicU32,
    pub(super) dropped: AtomicU32,
}

pub(super) static STATS: Stats = Stats {
    received: AtomicU32::new(0),
    queued: AtomicU32::new(0),
    processed: AtomicU32::new(0),
    dropped: AtomicU32::new(0),
};

// Out of line: an inline read-modify-write loop at each of the eight sites cost more than a call.
#[inline(never)]
pub(super) fn count(counter: &AtomicU32) {
    count_inline(counter);
}

/// [`count`] inlined, for the three counts every block makes.
#[inline(always)]
pub(super) fn count_inline(counter: &AtomicU32) {
    add_inline(counter, 1);
}

/// Adds `n` (0 or 1) to a count, inlined.
#[inline(always)]
fn add_inline(counter: &AtomicU32, n: u32) {
    #[cfg(target_has_atomic = "32")]
    counter.fetch_add(n, Ordering::Relaxed);
    // Armv6-M has no read-modify-write atomics: a count racing another one may be lost (an
    // add of 0 is skipped, so it loses none).
    #[cfg(not(target_has_atomic = "32"))]
    if n != 0 {
        counter.store(
            counter.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }
}

// Out of line: its three callers each inlined the four stores.
#[inline(never)]
pub(super) fn reset_stats() {
    // Four stores: a loop over references to the counters took 60 B on Cortex-M4.
    STATS.received.store(0, Ordering::Relaxed);
    STATS.queued.store(0, Ordering::Relaxed);
    STATS.processed.store(0, Ordering::Relaxed);
    STATS.dropped.store(0, Ordering::Relaxed);
}

// The atomics hold C enum values at 32 bits; the `as` narrows back to the C enum's width,
// which arm-none-eabi-gcc makes one byte (a no-op where enums are 32 bits wide).
#[allow(clippy::unnecessary_cast)]
pub(crate) fn state() -> OtaState_t {
    STATE.load(Ordering::Acquire) as OtaState_t
}

pub(super) fn set_state(state: OtaState_t) {
    STATE.store(state.into(), Ordering::Release);
}

pub(super) fn store_image_state(state: sys::OtaImageState_t) {
    IMAGE_STATE.store(state.into(), Ordering::Release);
}

#[allow(clippy::unnecessary_cast)] // as for `state()`
pub(crate) fn image_state() -> sys::OtaImageState_t {
    IMAGE_STATE.load(Ordering::Acquire) as sys::OtaImageState_t
}

/// Calls the application's callback, holding nothing (it may call back into the API).
pub(super) fn notify(event: sys::OtaJobEvent_t, msg: Option<&OtaEventMsg_t>) {
    let callback = AGENT.with(|a| a.callback);
    iface::app_callback(callback, event, msg);
}

/// The thing name, lent in place to the MQTT plane's topic and payload builders.
pub(super) struct Thing;

impl mqtt::Bytes for Thing {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        AGENT.with(|a| f(until_nul(&a.thing)))
    }
}

/// The thing name and the current file's stream name, lent in place under one lock.
pub(super) struct ThingStream;

impl mqtt::StreamParts for ThingStream {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8]) -> R) -> R {
        AGENT.with2(&FILE, |a, file| {
            f(
                until_nul(&a.thing),
                fctx::text(file, fctx::Text::StreamName),
            )
        })
    }
}

pub(super) fn has_active_job() -> bool {
    AGENT.with(|a| a.has_job())
}

pub(super) fn clear_active_job() {
    AGENT.with(|a| a.active_job.fill(0));
}

/// Publishes a job status update for the active job: OtaErrNone or the failure's code, as the
/// handlers keep it (one conversion here, not one at each of their reports).
pub(super) fn update_job_status(status: mqtt::Status) -> OtaErr_t {
    let job = AGENT.with(|a| a.active_job);
    match mqtt::update_job_status(&Thing, until_nul(&job), status) {
        Ok(()) => sys::OtaErrNone,
        Err(e) => e,
    }
}

/// v2.0.0's OTA_SignalEvent: queue an event, counting file blocks.
pub(crate) fn signal_event(msg: &OtaEventMsg_t) -> bool {
    // After shutdown (or before init) there is no interface to send through (#440).
    let sender = match iface::event_sender() {
        Some(sender) if state() != sys::OtaAgentStateStopped => sender,
        _ => {
            ota_log!(
                Warn,
                "Event ",
                u(msg.eventId),
                " dropped: the OTA agent is stopped"
            );
            if msg.eventId == sys::OtaAgentEventReceivedFileBlock {
                count(&STATS.dropped);
            }
            return false;
        }
    };
    // Adds of 0 for other events, not branches: one copy of the send, not one per kind.
    let block = u32::from(msg.eventId == sys::OtaAgentEventReceivedFileBlock);
    add_inline(&STATS.received, block);
    let status = sender.send(msg);
    if status == sys::OtaOsSuccess {
        add_inline(&STATS.queued, block);
        true
    } else {
        ota_log!(
            Error,
            "Failed to queue event ",
            u(msg.eventId),
            ": OtaOsStatus_t=",
            u(status)
        );
        add_inline(&STATS.dropped, block);
        if block != 0 {
            // The body of the newest range will never be ingested: forget that request, or
            // every later body would be taken for the range before its own (F4).
            // (MQTT never asks through `in_flight`, so there it is empty and stays so.)
            if HTTP_DATA {
                AGENT.with(|a| a.in_flight.forget_newest());
            }
        }
        false
    }
}

/// Queues an event without payload.
pub(super) fn signal(event: sys::OtaEvent_t) -> bool {
    signal_event(&OtaEventMsg_t {
        pEventData: core::ptr::null_mut(),
        eventId: event,
    })
}

/// What a handler decided.
pub(crate) enum Outcome {
    /// Take the transition.
    Next,
    /// Stay in the current state without it being an error (e.g. no pending job).
    Stay,
    /// Stay in the current state; the handler failed with this error.
    Fail(OtaErr_t),
    /// The handler failed with this error and left nothing pending in the current state, so the
    /// agent moves to WaitingForJob, where the next job can still reach it.
    Abandon(OtaErr_t),
    /// As `Abandon`, to RequestingJob: a new job document came and its request is pending.
    /// (One field per variant, so an outcome comes back in two registers, not through memory.)
    AbandonForNewJob(OtaErr_t),
}

/// Releases everything the current file holds (v2.0.0's otaClose): data plane, PAL file,
/// buffers. The job's download is over, so its resume record goes too.
pub(super) fn release_file() {
    crate::resume::forget();
    release_file_keep_record();
}

/// As [`release_file`], keeping the resume record: the download may go on after a restart.
pub(super) fn release_file_keep_record() {
    release_file_parts();
    AGENT.with(|a| a.bitmap_len = 0);
}

/// The calls out of [`release_file_keep_record`], for a caller that resets the agent after.
pub(super) fn release_file_parts() {
    cleanup_data_plane();
    let _ = iface::pal_abort();
    fctx::release_file();
}

/// Closes the data plane of the current job, once (v2.0.0's data-interface cleanup).
fn cleanup_data_plane() {
    let plane = plane();
    set_plane(Plane::None);
    let result = match plane {
        Plane::Mqtt => mqtt::cleanup_stream(&ThingStream),
        Plane::Http => {
            AGENT.with(|a| a.in_flight.clear());
            crate::http::cleanup()
        }
        Plane::None => Ok(()),
    };
    if let Err(err) = result {
        ota_log!(Warn, "Failed to clean up the data plane: OtaErr_t=", u(err));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_text_clears_the_stale_tail() {
        let mut b = [0u8; 8];
        assert!(set_text(&mut b, b"abcdef"));
        assert!(set_text(&mut b, b"xy"));
        assert_eq!(&b, b"xy\0\0\0\0\0\0");
        assert!(!set_text(&mut b, b"12345678"));
    }
}
