//! The OTA agent: v2.0.0's state machine behind the C API.
//!
//! Events arrive through the application's OS queue (`OTA_SignalEvent`), the agent task
//! (`OTA_EventProcessingTask`) takes them one by one, finds the row of the transition table for
//! the current state and event, runs its handler and, when the handler succeeds, moves to the
//! row's next state — v2.0.0's table, with the rows listed in `TABLE`.
//!
//! State lives in statics like v2.0.0's: the state, image state and counters are atomics (other
//! threads read them); everything else belongs to the agent task (see `sys::global`).

mod handlers;
mod ingest;
mod jobdoc;

use crate::config;
use crate::http::InFlight;
use crate::mqtt;
use crate::sys::fctx::{self, Text, FILE};
use crate::sys::global::Global;
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t, OtaState_t};
use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

/// Capacity of the thing name, with its NUL.
const THING_CAP: usize = config::MAX_THINGNAME_LEN as usize + 1;
/// Capacity of a job ID, with its NUL (v2.0.0's OTA_JOB_ID_MAX_SIZE).
const JOB_ID_CAP: usize = sys::OTA_JOB_ID_MAX_SIZE as usize;
/// v2.0.0's static protocol buffer.
const PROTOCOLS_CAP: usize = 20;

/// Which data plane the current job uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Plane {
    None,
    Mqtt,
    Http,
}

/// What the agent task owns.
pub(crate) struct Agent {
    thing: [u8; THING_CAP],
    active_job: [u8; JOB_ID_CAP],
    server_file_id: u32,
    blocks_to_receive: u32,
    momentum: u32,
    callback: sys::OtaAppCallback_t,
    plane: Plane,
    token_counter: u32,
    bitmap_len: usize,
    in_flight: InFlight,
}

impl Agent {
    const fn new() -> Self {
        Agent {
            thing: [0; THING_CAP],
            active_job: [0; JOB_ID_CAP],
            server_file_id: 0,
            // All-zero, so the agent lives in .bss, not in flash-backed .data; 0 acts as 1.
            blocks_to_receive: 0,
            momentum: 0,
            callback: None,
            plane: Plane::None,
            token_counter: 0,
            bitmap_len: 0,
            in_flight: InFlight::new(),
        }
    }
}

/// Text up to the first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..len).unwrap_or(&[])
}

/// Copies `value` into a NUL-terminated fixed buffer, clearing the rest (no stale tail, #430).
fn set_text<const N: usize>(buf: &mut [u8; N], value: &[u8]) -> bool {
    buf.fill(0);
    match buf.get_mut(..value.len()) {
        Some(dst) if value.len() < N => {
            dst.copy_from_slice(value);
            true
        }
        _ => false,
    }
}

static AGENT: Global<Agent> = Global::new(Agent::new());
/// v2.0.0's static job-name, protocol and signature buffers the file context points at.
static JOB_NAME: Global<[u8; JOB_ID_CAP]> = Global::new([0; JOB_ID_CAP]);
static PROTOCOLS: Global<[u8; PROTOCOLS_CAP]> = Global::new([0; PROTOCOLS_CAP]);
static SIGNATURE: Global<sys::Sig256_t> = Global::new(fctx::empty_signature());

#[allow(clippy::unnecessary_cast)] // C enums may be narrower than the atomics (see `state()`)
static STATE: AtomicI32 = AtomicI32::new(sys::OtaAgentStateStopped as i32);
#[allow(clippy::unnecessary_cast)]
static IMAGE_STATE: AtomicU32 = AtomicU32::new(sys::OtaImageStateUnknown as u32);

/// v2.0.0's statistics, updated from the transports' threads and the agent task.
struct Stats {
    received: AtomicU32,
    queued: AtomicU32,
    processed: AtomicU32,
    dropped: AtomicU32,
}

static STATS: Stats = Stats {
    received: AtomicU32::new(0),
    queued: AtomicU32::new(0),
    processed: AtomicU32::new(0),
    dropped: AtomicU32::new(0),
};

fn count(counter: &AtomicU32) {
    #[cfg(target_has_atomic = "32")]
    counter.fetch_add(1, Ordering::Relaxed);
    // Armv6-M has no read-modify-write atomics: a count racing another one may be lost.
    #[cfg(not(target_has_atomic = "32"))]
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

fn reset_stats() {
    for c in [
        &STATS.received,
        &STATS.queued,
        &STATS.processed,
        &STATS.dropped,
    ] {
        c.store(0, Ordering::Relaxed);
    }
}

// The atomics hold C enum values at 32 bits; the `as` narrows back to the C enum's width,
// which arm-none-eabi-gcc makes one byte (a no-op where enums are 32 bits wide).
#[allow(clippy::unnecessary_cast)]
pub(crate) fn state() -> OtaState_t {
    STATE.load(Ordering::Acquire) as OtaState_t
}

fn set_state(state: OtaState_t) {
    STATE.store(state.into(), Ordering::Release);
}

fn store_image_state(state: sys::OtaImageState_t) {
    IMAGE_STATE.store(state.into(), Ordering::Release);
}

/// Calls the application's callback, holding nothing (it may call back into the API).
fn notify(event: sys::OtaJobEvent_t, msg: Option<&OtaEventMsg_t>) {
    let callback = AGENT.with(|a| a.callback);
    iface::app_callback(callback, event, msg);
}

/// The thing name, lent in place to the MQTT plane's topic and payload builders.
struct Thing;

impl mqtt::Bytes for Thing {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        AGENT.with(|a| f(until_nul(&a.thing)))
    }
}

/// The active job's ID, lent in place.
struct ActiveJob;

impl mqtt::Bytes for ActiveJob {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        AGENT.with(|a| f(until_nul(&a.active_job)))
    }
}

/// The current file's stream name, lent in place.
struct Stream;

impl mqtt::Bytes for Stream {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        FILE.with(|file| f(fctx::text(file, fctx::Text::StreamName)))
    }
}

fn has_active_job() -> bool {
    AGENT.with(|a| a.active_job.first().is_some_and(|&b| b != 0))
}

/// Whether `id` is the active job's ID.
fn is_active_job(id: &[u8]) -> bool {
    has_active_job() && AGENT.with(|a| until_nul(&a.active_job) == id)
}

fn clear_active_job() {
    AGENT.with(|a| a.active_job.fill(0));
}

/// Publishes a job status update for the active job.
fn update_job_status(status: mqtt::Status) -> Result<(), OtaErr_t> {
    mqtt::update_job_status(&Thing, &ActiveJob, status)
}

/// v2.0.0's OTA_SignalEvent: queue an event, counting file blocks.
pub(crate) fn signal_event(msg: &OtaEventMsg_t) -> bool {
    // After shutdown (or before init) there is no interface to send through (#440).
    if state() == sys::OtaAgentStateStopped || !iface::installed() {
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
    let block = msg.eventId == sys::OtaAgentEventReceivedFileBlock;
    if block {
        count(&STATS.received);
    }
    let status = iface::event_send(msg);
    if status == sys::OtaOsSuccess {
        if block {
            count(&STATS.queued);
        }
        true
    } else {
        ota_log!(
            Error,
            "Failed to queue event ",
            u(msg.eventId),
            ": OtaOsStatus_t=",
            u(status)
        );
        if block {
            count(&STATS.dropped);
        }
        false
    }
}

/// Queues an event without payload.
fn signal(event: sys::OtaEvent_t) -> bool {
    signal_event(&OtaEventMsg_t {
        pEventData: core::ptr::null_mut(),
        eventId: event,
    })
}

/// The application's buffers, as `OTA_Init` receives them (NULL pointers or zero sizes mean
/// "allocate through the OS interface").
#[derive(Clone, Copy)]
pub(crate) struct AppBuffers {
    pub file_path: (*mut u8, u16),
    pub cert_file: (*mut u8, u16),
    pub stream_name: (*mut u8, u16),
    pub decode: (*mut u8, u32),
    pub bitmap: (*mut u8, u16),
    pub url: (*mut u8, u16),
    pub auth_scheme: (*mut u8, u16),
}

fn adopt<S: Copy + Default + PartialOrd>(buffer: (*mut u8, S), ptr: &mut *mut u8, size: &mut S) {
    if !buffer.0.is_null() && buffer.1 > S::default() {
        *ptr = buffer.0;
        *size = buffer.1;
    } else {
        *size = S::default();
    }
}

/// v2.0.0's OTA_Init.
pub(crate) fn init(
    buffers: Option<AppBuffers>,
    interfaces: *mut sys::OtaInterfaces_t,
    thing: Option<&[u8]>,
    callback: sys::OtaAppCallback_t,
) -> OtaErr_t {
    match state() {
        sys::OtaAgentStateStopped => {}
        sys::OtaAgentStateShuttingDown => {
            // v2.0.0 said success and initialised nothing; the agent is about to stop.
            ota_log!(
                Error,
                "OTA_Init: the agent is shutting down; call again once it is Stopped"
            );
            return sys::OtaErrUninitialized;
        }
        _ => {
            reset_stats();
            return sys::OtaErrNone;
        }
    }
    if interfaces.is_null() {
        ota_log!(Error, "OTA_Init: the interface table is NULL");
        return sys::OtaErrInvalidArg;
    }
    if sys::shim::app_firmware_version().is_none() || sys::shim::json_file_signature_key().is_none()
    {
        ota_log!(
            Error,
            "OTA_Init: the application must define appFirmwareVersion and OTA_JsonFileSignatureKey"
        );
        return sys::OtaErrUninitialized;
    }
    reset_stats();
    iface::install(interfaces);
    FILE.with(|f| {
        *f = fctx::empty();
        if let Some(b) = buffers {
            adopt(b.file_path, &mut f.pFilePath, &mut f.filePathMaxSize);
            adopt(
                b.cert_file,
                &mut f.pCertFilepath,
                &mut f.certFilePathMaxSize,
            );
            adopt(b.stream_name, &mut f.pStreamName, &mut f.streamNameMaxSize);
            adopt(b.decode, &mut f.pDecodeMem, &mut f.decodeMemMaxSize);
            adopt(b.bitmap, &mut f.pRxBlockBitmap, &mut f.blockBitmapMaxSize);
            adopt(b.url, &mut f.pUpdateUrlPath, &mut f.updateUrlMaxSize);
            adopt(b.auth_scheme, &mut f.pAuthScheme, &mut f.authSchemeMaxSize);
        }
        f.pJobName = JOB_NAME.as_ptr().cast::<u8>();
        f.jobNameMaxSize = JOB_ID_CAP as u16;
        f.pProtocols = PROTOCOLS.as_ptr().cast::<u8>();
        f.protocolMaxSize = PROTOCOLS_CAP as u16;
        f.pSignature = SIGNATURE.as_ptr();
    });
    AGENT.with(|a| {
        *a = Agent::new();
        a.callback = callback;
    });
    store_image_state(sys::OtaImageStateUnknown);
    let _ = iface::event_init();
    match thing {
        None => {
            ota_log!(Error, "OTA_Init: the thing name is NULL");
            sys::OtaErrUninitialized
        }
        Some(name) if name.len() > config::MAX_THINGNAME_LEN as usize => {
            ota_log!(
                Error,
                "OTA_Init: the thing name is longer than otaconfigMAX_THINGNAME_LEN"
            );
            sys::OtaErrUninitialized
        }
        Some(name) => {
            AGENT.with(|a| set_text(&mut a.thing, name));
            set_state(sys::OtaAgentStateInit);
            sys::OtaErrNone
        }
    }
}

/// v2.0.0's OTA_Shutdown: ask the agent to stop and spin up to `ticks` times waiting for it.
pub(crate) fn shutdown(ticks: u32) -> OtaState_t {
    let current = state();
    if current == sys::OtaAgentStateInit {
        set_state(sys::OtaAgentStateStopped);
    } else if current != sys::OtaAgentStateStopped && current != sys::OtaAgentStateShuttingDown {
        if signal(sys::OtaAgentEventShutdown) {
            let mut left = ticks;
            while left > 0 && state() != sys::OtaAgentStateStopped {
                core::hint::spin_loop();
                left = left.saturating_sub(1);
            }
        } else {
            ota_log!(Error, "Failed to signal the OTA agent to shut down");
        }
    }
    state()
}

pub(crate) fn statistics() -> sys::OtaAgentStatistics_t {
    sys::OtaAgentStatistics_t {
        otaPacketsReceived: STATS.received.load(Ordering::Relaxed),
        otaPacketsQueued: STATS.queued.load(Ordering::Relaxed),
        otaPacketsProcessed: STATS.processed.load(Ordering::Relaxed),
        otaPacketsDropped: STATS.dropped.load(Ordering::Relaxed),
    }
}

pub(crate) fn check_for_update() -> OtaErr_t {
    if signal(sys::OtaAgentEventRequestJobDocument) {
        sys::OtaErrNone
    } else {
        sys::OtaErrSignalEventFailed
    }
}

pub(crate) fn suspend() -> OtaErr_t {
    if state() == sys::OtaAgentStateStopped {
        ota_log!(Warn, "Failed to suspend the OTA agent: it is stopped");
        return sys::OtaErrAgentStopped;
    }
    let _ = iface::timer_stop(sys::OtaRequestTimer);
    if signal(sys::OtaAgentEventSuspend) {
        sys::OtaErrNone
    } else {
        sys::OtaErrSignalEventFailed
    }
}

pub(crate) fn resume() -> OtaErr_t {
    if state() == sys::OtaAgentStateStopped {
        ota_log!(Warn, "Failed to resume the OTA agent: it is stopped");
        return sys::OtaErrAgentStopped;
    }
    if signal(sys::OtaAgentEventResume) {
        sys::OtaErrNone
    } else {
        sys::OtaErrSignalEventFailed
    }
}

pub(crate) fn activate_new_image() -> OtaErr_t {
    let status = if state() != sys::OtaAgentStateStopped && iface::pal_has_activate() {
        iface::pal_activate()
    } else {
        sys::pal_status(sys::OtaPalActivateFailed)
    };
    if sys::pal_main(status) == sys::OtaPalSuccess {
        sys::OtaErrNone
    } else {
        ota_log!(
            Error,
            "Failed to activate the new image: PAL status 0x",
            x08(status)
        );
        sys::OtaErrActivateFailed
    }
}

pub(crate) fn set_image_state(state: sys::OtaImageState_t) -> OtaErr_t {
    match state {
        sys::OtaImageStateAborted => {
            if signal(sys::OtaAgentEventUserAbort) {
                sys::OtaErrNone
            } else {
                sys::OtaErrSignalEventFailed
            }
        }
        sys::OtaImageStateRejected | sys::OtaImageStateAccepted => {
            if iface::installed() {
                handlers::set_image_state_with_reason(state, 0)
            } else {
                sys::OtaErrUninitialized
            }
        }
        _ => sys::OtaErrInvalidArg,
    }
}

#[allow(clippy::unnecessary_cast)] // as for `state()`
pub(crate) fn image_state() -> sys::OtaImageState_t {
    IMAGE_STATE.load(Ordering::Acquire) as sys::OtaImageState_t
}

/// v2.0.0's OTA_EventProcessingTask: runs until the agent is stopped.
pub(crate) fn event_processing_task() {
    if !iface::installed() || state() == sys::OtaAgentStateStopped {
        // v2.0.0 ran its loop anyway and crashed on the missing interfaces.
        ota_log!(Error, "OTA_EventProcessingTask: OTA_Init has not succeeded");
        return;
    }
    set_state(sys::OtaAgentStateReady);
    while state() != sys::OtaAgentStateStopped {
        let mut msg = OtaEventMsg_t {
            pEventData: core::ptr::null_mut(),
            eventId: sys::OtaAgentEventMax,
        };
        if iface::event_recv(&mut msg) == sys::OtaOsSuccess {
            dispatch(&msg);
        }
    }
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
    /// agent moves to the given one, where the next job can still reach it.
    Abandon(OtaErr_t, OtaState_t),
}

type Handler = fn(&OtaEventMsg_t) -> Outcome;

struct Row {
    state: OtaState_t,
    event: sys::OtaEvent_t,
    handler: Handler,
    next: OtaState_t,
}

const fn row(state: OtaState_t, event: sys::OtaEvent_t, handler: Handler, next: OtaState_t) -> Row {
    Row {
        state,
        event,
        handler,
        next,
    }
}

use handlers as h;
use sys::{
    OtaAgentEventCloseFile as CLOSE_FILE, OtaAgentEventCreateFile as CREATE_FILE,
    OtaAgentEventReceivedFileBlock as GOT_BLOCK, OtaAgentEventReceivedJobDocument as GOT_JOB,
    OtaAgentEventRequestFileBlock as REQ_BLOCK, OtaAgentEventRequestJobDocument as REQ_JOB,
    OtaAgentEventRequestTimer as TIMER, OtaAgentStateAll as ALL,
    OtaAgentStateCreatingFile as CREATING, OtaAgentStateReady as READY,
    OtaAgentStateRequestingFileBlock as REQUESTING_BLOCK,
    OtaAgentStateRequestingJob as REQUESTING_JOB,
    OtaAgentStateWaitingForFileBlock as WAITING_BLOCK, OtaAgentStateWaitingForJob as WAITING_JOB,
};

/// v2.0.0's transition table (ota.c), first match wins; the added rows are marked.
static TABLE: [Row; 22] = [
    row(READY, sys::OtaAgentEventStart, h::start, REQUESTING_JOB),
    // Added: the start's job request did not fit the queue; the request timer asks again.
    row(READY, TIMER, h::ask_for_job, REQUESTING_JOB),
    row(REQUESTING_JOB, REQ_JOB, h::request_job, WAITING_JOB),
    row(REQUESTING_JOB, TIMER, h::request_job, WAITING_JOB),
    row(WAITING_JOB, GOT_JOB, h::process_job, CREATING),
    // Added: OTA_CheckForUpdate while waiting asks again. v2.0.0 ignored it, so a lost reply
    // to $next/get left the agent waiting for ever.
    row(WAITING_JOB, REQ_JOB, h::request_job, WAITING_JOB),
    row(
        CREATING,
        sys::OtaAgentEventStartSelfTest,
        h::in_self_test,
        WAITING_JOB,
    ),
    row(CREATING, CREATE_FILE, h::init_file, REQUESTING_BLOCK),
    row(CREATING, TIMER, h::init_file, REQUESTING_BLOCK),
    // Added: after a job fails in CreatingFile (e.g. no supported protocol) the agent asks for
    // the next job instead of sitting in CreatingFile, where v2.0.0 ignored every later job.
    row(CREATING, REQ_JOB, h::request_job, WAITING_JOB),
    row(REQUESTING_BLOCK, REQ_BLOCK, h::request_data, WAITING_BLOCK),
    row(REQUESTING_BLOCK, TIMER, h::request_data, WAITING_BLOCK),
    row(WAITING_BLOCK, GOT_BLOCK, h::process_data, WAITING_BLOCK),
    row(WAITING_BLOCK, TIMER, h::request_data, WAITING_BLOCK),
    row(WAITING_BLOCK, REQ_BLOCK, h::request_data, WAITING_BLOCK),
    row(WAITING_BLOCK, REQ_JOB, h::request_job, WAITING_JOB),
    row(WAITING_BLOCK, GOT_JOB, h::job_notification, REQUESTING_JOB),
    row(WAITING_BLOCK, CLOSE_FILE, h::close_file, WAITING_JOB),
    row(
        sys::OtaAgentStateSuspended,
        sys::OtaAgentEventResume,
        h::resume,
        REQUESTING_JOB,
    ),
    row(
        ALL,
        sys::OtaAgentEventSuspend,
        h::suspend,
        sys::OtaAgentStateSuspended,
    ),
    row(ALL, sys::OtaAgentEventUserAbort, h::user_abort, WAITING_JOB),
    row(
        ALL,
        sys::OtaAgentEventShutdown,
        h::shutdown,
        sys::OtaAgentStateStopped,
    ),
];

/// v2.0.0's names of the states and events, for the log.
fn state_name(state: OtaState_t) -> &'static str {
    const NAMES: [&str; 12] = [
        "Init",
        "Ready",
        "RequestingJob",
        "WaitingForJob",
        "CreatingFile",
        "RequestingFileBlock",
        "WaitingForFileBlock",
        "ClosingFile",
        "Suspended",
        "ShuttingDown",
        "Stopped",
        "All",
    ];
    usize::try_from(state)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("NoTransition")
}

fn event_name(event: sys::OtaEvent_t) -> &'static str {
    const NAMES: [&str; 13] = [
        "Start",
        "StartSelfTest",
        "RequestJobDocument",
        "ReceivedJobDocument",
        "CreateFile",
        "RequestFileBlock",
        "ReceivedFileBlock",
        "RequestTimer",
        "CloseFile",
        "Suspend",
        "Resume",
        "UserAbort",
        "Shutdown",
    ];
    usize::try_from(event)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("Unknown")
}

fn dispatch(msg: &OtaEventMsg_t) {
    let current = state();
    let found = TABLE
        .iter()
        .find(|r| (r.state == current || r.state == ALL) && r.event == msg.eventId);
    match found {
        Some(r) => match (r.handler)(msg) {
            Outcome::Next => {
                ota_log!(
                    Info,
                    "Current state=[",
                    s(state_name(current)),
                    "], event=[",
                    s(event_name(msg.eventId)),
                    "], new state=[",
                    s(state_name(r.next)),
                    "]"
                );
                set_state(r.next);
            }
            Outcome::Stay => {}
            Outcome::Fail(err) => handler_failed(msg.eventId, err, current),
            Outcome::Abandon(err, next) => {
                handler_failed(msg.eventId, err, current);
                set_state(next);
            }
        },
        None => unexpected(msg, current),
    }
}

// Out of line, so the record's arguments take no room in the frame every handler runs under.
#[cold]
#[inline(never)]
fn handler_failed(event: sys::OtaEvent_t, err: OtaErr_t, current: OtaState_t) {
    ota_log!(
        Error,
        "Failed to handle event [",
        s(event_name(event)),
        "] (OtaErr_t=",
        u(err),
        ") in state [",
        s(state_name(current)),
        "]"
    );
}

/// v2.0.0's handleUnexpectedEvents: payload events still hand their buffer back.
fn unexpected(msg: &OtaEventMsg_t, current: OtaState_t) {
    ota_log!(
        Error,
        "Received unexpected event [",
        s(event_name(msg.eventId)),
        "] in state [",
        s(state_name(current)),
        "]"
    );
    if msg.eventId == GOT_JOB || msg.eventId == GOT_BLOCK {
        notify(sys::OtaJobEventProcessed, Some(msg));
        if msg.eventId == GOT_BLOCK {
            count(&STATS.dropped);
        }
    }
}

/// Releases everything the current file holds (v2.0.0's otaClose): data plane, PAL file,
/// buffers.
fn release_file() {
    cleanup_data_plane();
    let _ = iface::pal_abort();
    for field in [
        Text::FilePath,
        Text::CertFile,
        Text::StreamName,
        Text::Url,
        Text::AuthScheme,
    ] {
        fctx::release(field);
    }
    fctx::bitmap_release();
    AGENT.with(|a| a.bitmap_len = 0);
}

/// Closes the data plane of the current job, once (v2.0.0's data-interface cleanup).
fn cleanup_data_plane() {
    let plane = AGENT.with(|a| core::mem::replace(&mut a.plane, Plane::None));
    let result = match plane {
        Plane::Mqtt => mqtt::cleanup_stream(&Thing, &Stream),
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
    fn table_rows_are_reachable_in_v2_order() {
        // The first row for (WaitingForFileBlock, ReceivedJobDocument) is the notification
        // handler, as in v2.0.0.
        let r = TABLE
            .iter()
            .find(|r| r.state == WAITING_BLOCK && r.event == GOT_JOB)
            .unwrap();
        assert_eq!(r.next, REQUESTING_JOB);
        assert_eq!(TABLE.iter().filter(|r| r.state == ALL).count(), 3);
        assert!(TABLE
            .iter()
            .any(|r| r.state == WAITING_JOB && r.event == REQ_JOB));
    }

    #[test]
    fn set_text_clears_the_stale_tail() {
        let mut b = [0u8; 8];
        assert!(set_text(&mut b, b"abcdef"));
        assert!(set_text(&mut b, b"xy"));
        assert_eq!(&b, b"xy\0\0\0\0\0\0");
        assert!(!set_text(&mut b, b"12345678"));
    }
}
