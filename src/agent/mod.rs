//! The OTA agent: v2.0.0's state machine behind the C API.
//!
//! Events arrive through the application's OS queue (`OTA_SignalEvent`), the agent task
//! (`OTA_EventProcessingTask`) takes them one by one, finds the row of the transition table for
//! the current state and event, runs its handler and, when the handler succeeds, moves to the
//! row's next state — v2.0.0's table, with the rows listed in `table!`.
//!
//! State lives in statics like v2.0.0's (`state.rs`): the state, image state and counters are
//! atomics (other threads read them); everything else is behind `sys::global`'s lock.

// Calls go down this list, never up: handlers -> jobdoc -> ingest -> timer, verdict -> state.
mod handlers;
mod ingest;
mod jobdoc;
mod state;
mod timer;
mod verdict;

use crate::config;
use crate::sys::fctx::{self, FILE};
use crate::sys::{self, iface, OtaErr_t, OtaEventMsg_t, OtaState_t};
use core::sync::atomic::Ordering;
use state::{
    count, notify, reset_stats, set_state, signal, store_image_state, Agent, Outcome, AGENT,
    JOB_ID_CAP, JOB_NAME, PROTOCOLS, PROTOCOLS_CAP, SIGNATURE, STATS,
};
pub(crate) use state::{image_state, signal_event, state};

/// v2.0.0's OTA_Init.
pub(crate) fn init(
    buffers: Option<&sys::OtaAppBuffer_t>,
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
    // The name is stored with the rest, under the one lock; the agent task does not run yet.
    let name = thing.filter(|n| n.len() <= config::MAX_THINGNAME_LEN as usize);
    FILE.with2(&AGENT, |f, a| {
        *f = fctx::empty();
        // NULL pointers or zero sizes mean "allocate through the OS interface".
        if let Some(b) = buffers {
            fctx::adopt_buffers(f, b);
        }
        f.pJobName = JOB_NAME.as_ptr().cast::<u8>();
        f.jobNameMaxSize = JOB_ID_CAP as u16;
        f.pProtocols = PROTOCOLS.as_ptr().cast::<u8>();
        f.protocolMaxSize = PROTOCOLS_CAP as u16;
        f.pSignature = SIGNATURE.as_ptr();
        *a = Agent::new();
        a.callback = callback;
        if let Some(name) = name {
            // Into the agent just zeroed: no clearing first; the filter left room for the NUL.
            if let Some(dst) = a.thing.get_mut(..name.len()) {
                dst.copy_from_slice(name);
            }
        }
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
        Some(_) => {
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

/// Queues an API call's event: OtaErrSignalEventFailed when the queue refuses it. One copy of
/// the mapping for the four calls.
#[inline(never)]
fn queue(event: sys::OtaEvent_t) -> OtaErr_t {
    if signal(event) {
        sys::OtaErrNone
    } else {
        sys::OtaErrSignalEventFailed
    }
}

pub(crate) fn check_for_update() -> OtaErr_t {
    queue(sys::OtaAgentEventRequestJobDocument)
}

pub(crate) fn suspend() -> OtaErr_t {
    if state() == sys::OtaAgentStateStopped {
        ota_log!(Warn, "Failed to suspend the OTA agent: it is stopped");
        return sys::OtaErrAgentStopped;
    }
    timer::stop_request_timer();
    queue(sys::OtaAgentEventSuspend)
}

pub(crate) fn resume() -> OtaErr_t {
    if state() == sys::OtaAgentStateStopped {
        ota_log!(Warn, "Failed to resume the OTA agent: it is stopped");
        return sys::OtaErrAgentStopped;
    }
    queue(sys::OtaAgentEventResume)
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
        sys::OtaImageStateAborted => queue(sys::OtaAgentEventUserAbort),
        sys::OtaImageStateRejected | sys::OtaImageStateAccepted => {
            if iface::installed() {
                verdict::set_image_state_with_reason(state, 0)
            } else {
                sys::OtaErrUninitialized
            }
        }
        _ => sys::OtaErrInvalidArg,
    }
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

type Handler = fn(&OtaEventMsg_t) -> Outcome;

/// A row in two bytes, four bits for each of its state, event, handler and next state (each
/// counts fewer than 16 values): the 23 rows take 46 bytes where a byte each took 92.
struct Row {
    /// The state (low four bits) and the event (high four bits).
    key: u8,
    /// The handler's number (low four bits) and the next state (high four bits).
    then: u8,
}

impl Row {
    const fn new(state: OtaState_t, event: sys::OtaEvent_t, run: Run, next: OtaState_t) -> Row {
        assert!(state >= 0 && state < 16 && event < 16 && next >= 0 && next < 16);
        Row {
            key: state as u8 | (event as u8) << 4,
            then: run as u8 | (next as u8) << 4,
        }
    }

    fn state(&self) -> OtaState_t {
        (self.key & 15) as OtaState_t
    }

    fn event(&self) -> sys::OtaEvent_t {
        (self.key >> 4).into()
    }

    /// None only for a number no handler has (the table's rows are built from handlers).
    fn handler(&self) -> Option<Handler> {
        HANDLERS.get(usize::from(self.then & 15)).copied()
    }

    fn next(&self) -> OtaState_t {
        (self.then >> 4) as OtaState_t
    }
}

/// The table's handlers, each named once, by the number a row keeps.
macro_rules! handlers {
    ($($name:ident => $handler:path),* $(,)?) => {
        #[derive(Clone, Copy)]
        enum Run {
            $($name),*
        }

        static HANDLERS: [Handler; [$(Run::$name),*].len()] = [$($handler),*];
    };
}

handlers! {
    ProcessData => h::process_data,
    RequestData => h::request_data,
    Start => h::start,
    AskForJob => h::ask_for_job,
    RequestJob => h::request_job,
    ProcessJob => h::process_job,
    InSelfTest => verdict::in_self_test,
    InitFile => h::init_file,
    JobNotification => h::job_notification,
    CloseFile => h::close_file,
    Resume => h::resume,
    Suspend => h::suspend,
    UserAbort => h::user_abort,
    Shutdown => h::shutdown,
}

const _: () = assert!(HANDLERS.len() <= 16);

/// The rows, in one array.
macro_rules! table {
    ($(($state:expr, $event:expr, $run:ident, $next:expr $(,)?)),* $(,)?) => {
        static ROWS: [Row; [$(Run::$run),*].len()] =
            [$(Row::new($state, $event, Run::$run, $next)),*];
    };
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

// v2.0.0's transition table (ota.c); the added rows are marked. No two rows match one state
// and event, so the order only sets the search's cost: the download's two rows come first.
table![
    (WAITING_BLOCK, GOT_BLOCK, ProcessData, WAITING_BLOCK),
    (WAITING_BLOCK, REQ_BLOCK, RequestData, WAITING_BLOCK),
    (READY, sys::OtaAgentEventStart, Start, REQUESTING_JOB),
    // Added: the start's job request did not fit the queue; the request timer asks again.
    (READY, TIMER, AskForJob, REQUESTING_JOB),
    (REQUESTING_JOB, REQ_JOB, RequestJob, WAITING_JOB),
    (REQUESTING_JOB, TIMER, RequestJob, WAITING_JOB),
    (WAITING_JOB, GOT_JOB, ProcessJob, CREATING),
    // Added: OTA_CheckForUpdate while waiting asks again. v2.0.0 ignored it, so a lost reply
    // to $next/get left the agent waiting for ever.
    (WAITING_JOB, REQ_JOB, RequestJob, WAITING_JOB),
    (
        CREATING,
        sys::OtaAgentEventStartSelfTest,
        InSelfTest,
        WAITING_JOB,
    ),
    (CREATING, CREATE_FILE, InitFile, REQUESTING_BLOCK),
    (CREATING, TIMER, InitFile, REQUESTING_BLOCK),
    // Added: after a job fails in CreatingFile (e.g. no supported protocol) the agent asks for
    // the next job instead of sitting in CreatingFile, where v2.0.0 ignored every later job.
    (CREATING, REQ_JOB, RequestJob, WAITING_JOB),
    (REQUESTING_BLOCK, REQ_BLOCK, RequestData, WAITING_BLOCK),
    (REQUESTING_BLOCK, TIMER, RequestData, WAITING_BLOCK),
    // Added: OTA_CheckForUpdate asks for a job here too, as in WaitingForFileBlock. When the
    // step to the first request was refused and so was the request timer, nothing else leaves.
    (REQUESTING_BLOCK, REQ_JOB, RequestJob, WAITING_JOB),
    (WAITING_BLOCK, TIMER, RequestData, WAITING_BLOCK),
    (WAITING_BLOCK, REQ_JOB, RequestJob, WAITING_JOB),
    (WAITING_BLOCK, GOT_JOB, JobNotification, REQUESTING_JOB),
    (WAITING_BLOCK, CLOSE_FILE, CloseFile, WAITING_JOB),
    (
        sys::OtaAgentStateSuspended,
        sys::OtaAgentEventResume,
        Resume,
        REQUESTING_JOB,
    ),
    (
        ALL,
        sys::OtaAgentEventSuspend,
        Suspend,
        sys::OtaAgentStateSuspended,
    ),
    (ALL, sys::OtaAgentEventUserAbort, UserAbort, WAITING_JOB),
    (
        ALL,
        sys::OtaAgentEventShutdown,
        Shutdown,
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
    let found = ROWS.iter().find(|r| {
        let state = r.state();
        r.event() == msg.eventId && (state == current || state == ALL)
    });
    let Some((r, handler)) = found.and_then(|r| r.handler().map(|h| (r, h))) else {
        return unexpected(msg, current);
    };
    // The next state, if any, is stored at one place (one barrier and store, not three).
    let next = match handler(msg) {
        Outcome::Next => {
            ota_log!(
                Info,
                "Current state=[",
                s(state_name(current)),
                "], event=[",
                s(event_name(msg.eventId)),
                "], new state=[",
                s(state_name(r.next())),
                "]"
            );
            r.next()
        }
        Outcome::Stay => return,
        Outcome::Fail(err) => return handler_failed(msg.eventId, err, current),
        Outcome::Abandon(err) => {
            handler_failed(msg.eventId, err, current);
            sys::OtaAgentStateWaitingForJob
        }
        Outcome::AbandonForNewJob(err) => {
            handler_failed(msg.eventId, err, current);
            sys::OtaAgentStateRequestingJob
        }
    };
    set_state(next);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_table_rows_match_one_state_and_event() {
        for (i, a) in ROWS.iter().enumerate() {
            for b in &ROWS[i + 1..] {
                let states_meet = a.state() == b.state() || a.state() == ALL || b.state() == ALL;
                assert!(
                    !(states_meet && a.event() == b.event()),
                    "rows for state {} and {} both take event {}",
                    a.state(),
                    b.state(),
                    a.event()
                );
            }
        }
    }

    #[test]
    fn every_row_unpacks_to_its_handler_and_states() {
        assert!(ROWS.iter().all(|r| r.handler().is_some()));
        let first = &ROWS[0];
        assert_eq!(
            (first.state(), first.event(), first.next()),
            (WAITING_BLOCK, GOT_BLOCK, WAITING_BLOCK)
        );
        assert_eq!(first.then & 15, Run::ProcessData as u8);
        let last = &ROWS[ROWS.len() - 1];
        assert_eq!(
            (last.state(), last.event(), last.next()),
            (ALL, sys::OtaAgentEventShutdown, sys::OtaAgentStateStopped)
        );
        assert_eq!(last.then & 15, Run::Shutdown as u8);
        // A number past the handlers finds none (the dispatch treats it as no row).
        let stray = Row {
            key: ROWS[0].key,
            then: 15,
        };
        assert!(stray.handler().is_none());
    }

    #[test]
    fn table_rows_are_reachable_in_v2_order() {
        // The first row for (WaitingForFileBlock, ReceivedJobDocument) is the notification
        // handler, as in v2.0.0.
        let r = ROWS
            .iter()
            .find(|r| r.state() == WAITING_BLOCK && r.event() == GOT_JOB)
            .unwrap();
        assert_eq!(r.next(), REQUESTING_JOB);
        assert_eq!(ROWS.iter().filter(|r| r.state() == ALL).count(), 3);
        assert!(ROWS
            .iter()
            .any(|r| r.state() == WAITING_JOB && r.event() == REQ_JOB));
    }
}
