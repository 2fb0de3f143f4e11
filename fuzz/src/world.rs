//! The scripted world around the agent: OS queue, timers and memory, MQTT, HTTP, PAL and the
//! application callback, as Rust `extern "C"` functions handed to `OTA_Init`, plus the cloud.
//!
//! Everything runs on the fuzzer's thread. `OTA_EventProcessingTask` is the agent's loop; when
//! its queue is empty, the queue's receive asks the driver for the next step of the script
//! (signal an event, fire a timer, call the API, answer a request), so the script plays out
//! between the agent's events exactly as an application thread's calls would. When the task
//! returns (the agent stopped), the invariants of a stopped agent are checked and the agent is
//! started again until the script is over.
//!
//! Invariants (a panic, which libFuzzer reports as a crash):
//! - memory: every free is of a live allocation of `os.mem.malloc`; none is live once stopped;
//! - event buffers: each lent buffer comes back once through `OtaJobEventProcessed`, and none is
//!   held while the agent waits for events with its queue empty;
//! - `OTA_GetState` is always a v2.0.0 state (Init..Stopped), `OTA_GetImageState` an image state;
//! - PAL: writes only into the open file, inside its size; a close only of the file created,
//!   with the values it was created with, after every block was written;
//! - MQTT/HTTP: topics as long as their text, GetStream requests exactly v2.0.0's encoding,
//!   ranges inside the file;
//! - after the script, a clean job (no faults, a cloud that answers) completes and the agent
//!   shuts down.

use crate::cbor;
use crate::doc::Job;
use crate::resume::{self, Resume};
use crate::sys;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::{c_char, c_void, CStr};
use std::ptr::{addr_of_mut, null_mut};

/// The thing name the agent is started with.
pub const THING: &[u8] = b"dev1\0";
/// The file block size of this build (c_tests/config/ota_config.h keeps 4 KiB).
pub const BLOCK: u32 = 1 << sys::otaconfigLOG2_FILE_BLOCK_SIZE;
/// Event buffers in the application's pool.
const POOL: usize = 8;
/// Steps the clean job may take before the agent counts as stuck.
const CLEAN_BUDGET: u32 = 400;
/// Agent restarts one input may cause (the agent stops itself on momentum, or the script says).
const MAX_STARTS: u32 = 16;
/// Largest file the PAL stores (bigger files are refused at create, as a small flash would).
const FLASH_MAX: u32 = 256 * 1024;

/// What the script decides for one interface call.
pub struct Faults {
    bits: Vec<u8>,
    at: usize,
    pub enabled: bool,
    /// OTA_FUZZ_TRACE set: every interface call is printed (to read a finding).
    pub(crate) trace: bool,
}

impl Faults {
    pub(crate) fn take(&mut self, call: &str) -> bool {
        let fail = self.enabled && self.next_bit();
        if self.trace {
            eprintln!("  {call}{}", if fail { " -> FAILS" } else { "" });
        }
        fail
    }

    fn next_bit(&mut self) -> bool {
        let Some(b) = self.bits.get(self.at / 8) else {
            return false;
        };
        let bit = (b >> (self.at % 8)) & 1 == 1;
        self.at += 1;
        bit
    }
}

/// A request the cloud still has to answer.
#[derive(Clone, Debug)]
pub enum Pending {
    JobDocument,
    Stream { stream: Vec<u8>, req: cbor::Request },
    Range { start: u32, end: u32 },
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// Playing the fuzzer's script.
    Script,
    /// After the script: abort what is left, then a clean job must complete.
    Clean,
    /// The clean job completed: shut down.
    Stop,
    /// The agent was asked to shut down for good.
    Done,
}

/// What the application does in its callback.
#[derive(Clone, Copy, Default)]
pub struct AppHabits {
    /// On OtaJobEventActivate, call OTA_ActivateNewImage.
    pub activate: bool,
    /// On OtaJobEventStartTest: 0 nothing, 1 accept, 2 reject.
    pub self_test: u8,
}

/// The PAL's open file, as created.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Created {
    pub(crate) path: Vec<u8>,
    pub(crate) cert: Vec<u8>,
    pub(crate) stream: Vec<u8>,
    pub(crate) size: u32,
    pub(crate) file_id: u32,
}

/// What the device does once it has booted again after a script's reboot.
enum BootStep {
    Start,
    /// The cloud's answer to the agent's job request.
    Doc(Vec<u8>),
}

pub struct World {
    pub faults: Faults,
    pub phase: Phase,
    /// The script's steps, run one per empty-queue receive.
    pub script: Box<dyn FnMut(&mut Driver) -> bool>,
    pub habits: AppHabits,
    pub platform_state: sys::OtaPalImageState_t,
    pub queue_cap: usize,
    pub app_buffers: bool,
    queue: VecDeque<sys::OtaEventMsg_t>,
    timers: [Option<unsafe extern "C" fn(sys::OtaTimerId_t)>; 2],
    timer_running: [bool; 2],
    live: HashMap<usize, std::alloc::Layout>,
    pool: Vec<Box<sys::OtaEventData_t>>,
    lent: [bool; POOL],
    pub(crate) created: Option<Created>,
    pub(crate) written: Vec<bool>,
    pub pending: VecDeque<Pending>,
    /// Stream requests as published, newest last (the script answers them too).
    pub last_stream: Option<(Vec<u8>, cbor::Request)>,
    pub last_range: Option<(u32, u32)>,
    pub activations: u32,
    clean_steps: u32,
    clean_activations: u32,
    starts: u32,
    interfaces: Box<sys::OtaInterfaces_t>,
    buffers: Vec<Vec<u8>>,
    pub steps: u64,
    /// The PAL reset or activated: the device reboots when the agent next waits.
    pub(crate) rebooting: bool,
    /// The resume extension's table, store and flash (src/resume.rs), when registered.
    pub resume: Option<Resume>,
    /// Steps after a script's reboot, run before the script goes on.
    boot: VecDeque<BootStep>,
    /// The last job document sent to the agent.
    last_doc: Vec<u8>,
    /// An idle step runs: what is sent now comes from the application, not the agent.
    pub in_idle_step: bool,
}

thread_local! {
    static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
}

/// Runs `f` on the world; never call the library inside (its calls come back here).
pub(crate) fn with<R>(f: impl FnOnce(&mut World) -> R) -> R {
    WORLD.with(|w| f(w.borrow_mut().as_mut().expect("the world is set up")))
}

/// The agent's state, checked to be one of v2.0.0's.
pub fn checked_state() -> sys::OtaState_t {
    // SAFETY: OTA_GetState has no preconditions.
    let state = unsafe { sys::OTA_GetState() };
    assert!(
        (sys::OtaAgentStateInit..=sys::OtaAgentStateStopped).contains(&state),
        "OTA_GetState returned {state}, not a v2.0.0 state"
    );
    // SAFETY: OTA_GetImageState has no preconditions.
    let image = unsafe { sys::OTA_GetImageState() };
    assert!(
        (sys::OtaImageStateUnknown..=sys::OtaImageStateAborted).contains(&image),
        "OTA_GetImageState returned {image}"
    );
    state
}

// ---- OS: event queue ----------------------------------------------------------------------

extern "C" fn q_init(_: *mut sys::OtaEventContext_t) -> sys::OtaOsStatus_t {
    sys::OtaOsSuccess
}

extern "C" fn q_send(
    _: *mut sys::OtaEventContext_t,
    msg: *const c_void,
    _: u32,
) -> sys::OtaOsStatus_t {
    assert!(!msg.is_null(), "os.event.send with a NULL message");
    // SAFETY: the agent passes a valid OtaEventMsg_t, which the port copies.
    let msg = unsafe { msg.cast::<sys::OtaEventMsg_t>().read() };
    with(|w| {
        let label = if w.faults.trace {
            format!("q_send event {}", msg.eventId)
        } else {
            String::new()
        };
        if w.queue.len() >= w.queue_cap || w.faults.take(&label) {
            sys::OtaOsEventQueueSendFailed
        } else {
            if msg.eventId == sys::OtaAgentEventShutdown {
                resume::agent_shuts_down(w);
            }
            w.queue.push_back(msg);
            sys::OtaOsSuccess
        }
    })
}

extern "C" fn q_recv(
    _: *mut sys::OtaEventContext_t,
    out: *mut c_void,
    _: u32,
) -> sys::OtaOsStatus_t {
    assert!(!out.is_null(), "os.event.recv into NULL");
    if let Some(msg) = with(|w| w.queue.pop_front()) {
        // SAFETY: the agent gives room for one OtaEventMsg_t.
        unsafe { out.cast::<sys::OtaEventMsg_t>().write(msg) };
        return sys::OtaOsSuccess;
    }
    // Idle: the queue is empty and the agent waits. Time passes: the next step happens.
    with(|w| w.in_idle_step = true);
    idle_step();
    with(|w| w.in_idle_step = false);
    sys::OtaOsEventQueueReceiveFailed
}

extern "C" fn q_deinit(_: *mut sys::OtaEventContext_t) -> sys::OtaOsStatus_t {
    sys::OtaOsSuccess
}

// ---- OS: timers ---------------------------------------------------------------------------

fn timer_index(id: sys::OtaTimerId_t) -> usize {
    assert!(
        id == sys::OtaRequestTimer || id == sys::OtaSelfTestTimer,
        "timer id {id}"
    );
    id as usize
}

extern "C" fn t_start(
    id: sys::OtaTimerId_t,
    name: *const c_char,
    _timeout: u32,
    callback: sys::OtaTimerCallback_t,
) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    assert!(
        !name.is_null() && callback.is_some(),
        "timer.start without name or callback"
    );
    with(|w| {
        if w.faults.take("t_start") {
            return sys::OtaOsTimerStartFailed;
        }
        w.timers[i] = callback;
        w.timer_running[i] = true;
        sys::OtaOsSuccess
    })
}

extern "C" fn t_stop(id: sys::OtaTimerId_t) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    with(|w| {
        if w.faults.take("t_stop") {
            return sys::OtaOsTimerStopFailed;
        }
        w.timer_running[i] = false;
        sys::OtaOsSuccess
    })
}

extern "C" fn t_delete(id: sys::OtaTimerId_t) -> sys::OtaOsStatus_t {
    let i = timer_index(id);
    with(|w| {
        if w.faults.take("t_delete") {
            return sys::OtaOsTimerDeleteFailed;
        }
        w.timer_running[i] = false;
        w.timers[i] = None;
        sys::OtaOsSuccess
    })
}

/// Fires a timer as the OS would, if it is running.
pub fn fire_timer(id: sys::OtaTimerId_t) -> bool {
    let i = timer_index(id);
    let cb = with(|w| {
        if w.timer_running[i] {
            w.timer_running[i] = false;
            w.timers[i]
        } else {
            None
        }
    });
    match cb {
        Some(cb) => {
            // SAFETY: the agent registered this callback with timer.start.
            unsafe { cb(id) };
            true
        }
        None => false,
    }
}

/// Fires a timer whose callback the agent registered, even after stop or delete (a timer the
/// OS had already taken when it was stopped).
pub fn fire_stale_timer(id: sys::OtaTimerId_t) {
    let i = timer_index(id);
    if let Some(cb) = with(|w| w.timers[i]) {
        // SAFETY: the agent registered this callback with timer.start; it is a static function.
        unsafe { cb(id) };
    }
}

/// The last GetStream request and HTTP range the agent sent.
pub fn last_stream() -> Option<cbor::Request> {
    with(|w| w.last_stream.as_ref().map(|(_, r)| r.clone()))
}

pub fn last_range() -> Option<(u32, u32)> {
    with(|w| w.last_range)
}

/// The platform's image state and the application's habits from now on.
pub fn set_habits(state: sys::OtaPalImageState_t, habits: AppHabits) {
    with(|w| {
        w.platform_state = state;
        w.habits = habits;
    });
}

pub fn timer_running(id: sys::OtaTimerId_t) -> bool {
    let i = timer_index(id);
    with(|w| w.timer_running[i])
}

// ---- OS: memory ---------------------------------------------------------------------------

extern "C" fn m_malloc(size: usize) -> *mut c_void {
    with(|w| {
        if w.faults.take("m_malloc") {
            return null_mut();
        }
        let Ok(layout) = std::alloc::Layout::from_size_align(size.max(1), 16) else {
            return null_mut();
        };
        // SAFETY: the layout has a non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        if !p.is_null() {
            w.live.insert(p as usize, layout);
        }
        p.cast()
    })
}

extern "C" fn m_free(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    let layout = with(|w| w.live.remove(&(p as usize)));
    let layout =
        layout.unwrap_or_else(|| panic!("os.mem.free of {p:p}, which is not a live allocation"));
    // SAFETY: `p` was returned by alloc with this layout and is freed once (removed above).
    unsafe { std::alloc::dealloc(p.cast(), layout) };
}

// ---- MQTT -----------------------------------------------------------------------------------

fn topic(p: *const c_char, len: u16) -> Vec<u8> {
    assert!(!p.is_null(), "MQTT call with a NULL topic");
    // SAFETY: the agent passes `len` bytes of topic text followed by a NUL (v2.0.0 does).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), usize::from(len) + 1) };
    assert_eq!(
        bytes[usize::from(len)],
        0,
        "topic is not NUL-terminated at its length"
    );
    let text = &bytes[..usize::from(len)];
    assert!(!text.contains(&0), "topic holds a NUL before its length");
    text.to_vec()
}

extern "C" fn mq_subscribe(p: *const c_char, len: u16, _qos: u8) -> sys::OtaMqttStatus_t {
    let _ = topic(p, len);
    with(|w| {
        if w.faults.take("mq_subscribe") {
            sys::OtaMqttSubscribeFailed
        } else {
            sys::OtaMqttSuccess
        }
    })
}

extern "C" fn mq_unsubscribe(p: *const c_char, len: u16, _qos: u8) -> sys::OtaMqttStatus_t {
    let _ = topic(p, len);
    with(|w| {
        if w.faults.take("mq_unsubscribe") {
            sys::OtaMqttUnsubscribeFailed
        } else {
            sys::OtaMqttSuccess
        }
    })
}

extern "C" fn mq_publish(
    p: *const c_char,
    len: u16,
    msg: *const c_char,
    msg_len: u32,
    _qos: u8,
) -> sys::OtaMqttStatus_t {
    let t = topic(p, len);
    assert!(
        !msg.is_null() || msg_len == 0,
        "publish of {msg_len} bytes from NULL"
    );
    let body = if msg.is_null() {
        Vec::new()
    } else {
        // SAFETY: the agent passes `msg_len` readable bytes.
        unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), msg_len as usize) }.to_vec()
    };
    let prefix = b"$aws/things/dev1/";
    assert!(
        t.starts_with(prefix),
        "publish on a foreign topic {:?}",
        String::from_utf8_lossy(&t)
    );
    let rest = &t[prefix.len()..];
    let pending = if rest == b"jobs/$next/get" {
        Some(Pending::JobDocument)
    } else if let Some(name) = rest
        .strip_prefix(b"streams/")
        .and_then(|r| r.strip_suffix(b"/get/cbor"))
    {
        let req = cbor::parse_request(&body)
            .unwrap_or_else(|| panic!("GetStream request is not v2.0.0's encoding: {body:02x?}"));
        Some(Pending::Stream {
            stream: name.to_vec(),
            req,
        })
    } else {
        assert!(
            rest.starts_with(b"jobs/") && rest.ends_with(b"/update"),
            "publish on {:?}",
            String::from_utf8_lossy(&t)
        );
        assert!(
            body.iter().all(|&b| (0x20..0x7f).contains(&b)),
            "status update is not printable JSON text"
        );
        None
    };
    with(|w| {
        let label = if w.faults.trace {
            format!("mq_publish {}", String::from_utf8_lossy(&t))
        } else {
            String::new()
        };
        if w.faults.take(&label) {
            return sys::OtaMqttPublishFailed;
        }
        if let Some(p) = pending {
            if let Pending::Stream { stream, req } = &p {
                if w.created.is_some() {
                    resume::check_request(w, &req.bitmap);
                }
                w.last_stream = Some((stream.clone(), req.clone()));
            }
            w.pending.push_back(p);
        }
        sys::OtaMqttSuccess
    })
}

// ---- HTTP -----------------------------------------------------------------------------------

extern "C" fn http_init(url: *mut c_char) -> sys::OtaHttpStatus_t {
    assert!(!url.is_null(), "http.init with a NULL URL");
    // SAFETY: the agent passes a NUL-terminated URL.
    let _ = unsafe { CStr::from_ptr(url) }.to_bytes().len();
    with(|w| {
        if w.faults.take("http_init") {
            sys::OtaHttpInitFailed
        } else {
            sys::OtaHttpSuccess
        }
    })
}

extern "C" fn http_request(start: u32, end: u32) -> sys::OtaHttpStatus_t {
    with(|w| {
        let size = w.created.as_ref().map(|c| c.size);
        let size = size.unwrap_or_else(|| panic!("http.request {start}-{end} with no file open"));
        assert!(
            start <= end && end < size && start.is_multiple_of(BLOCK) && end - start < BLOCK,
            "http.request {start}-{end} of a {size}-byte file"
        );
        resume::check_range(w, start);
        if w.faults.take("http_request") {
            return sys::OtaHttpRequestFailed;
        }
        w.last_range = Some((start, end));
        w.pending.push_back(Pending::Range { start, end });
        sys::OtaHttpSuccess
    })
}

extern "C" fn http_deinit() -> sys::OtaHttpStatus_t {
    with(|w| {
        if w.faults.take("http_deinit") {
            sys::OtaHttpDeinitFailed
        } else {
            sys::OtaHttpSuccess
        }
    })
}

// ---- PAL ------------------------------------------------------------------------------------

/// The PAL's file handle: any address the agent can compare.
static mut FILE_HANDLE: u8 = 0;

pub(crate) fn file_handle() -> *mut sys::FILE {
    // Only the address is taken, never a reference.
    addr_of_mut!(FILE_HANDLE).cast()
}

pub(crate) fn pal_ok() -> sys::OtaPalStatus_t {
    sys::OtaPalSuccess as sys::OtaPalStatus_t
}

/// OTA_PAL_COMBINE_ERR(e, 0): the main status sits in the top bits.
pub(crate) fn pal_err(e: u32) -> sys::OtaPalStatus_t {
    (e << sys::OTA_PAL_SUB_BITS) as sys::OtaPalStatus_t
}

pub(crate) fn c_text(p: *const u8) -> Vec<u8> {
    if p.is_null() {
        Vec::new()
    } else {
        // SAFETY: the file context's text fields are NUL-terminated (v2.0.0's document model).
        unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec()
    }
}

pub(crate) fn context<'a>(
    ctx: *mut sys::OtaFileContext_t,
    what: &str,
) -> &'a mut sys::OtaFileContext_t {
    assert!(!ctx.is_null(), "{what} with a NULL file context");
    // SAFETY: the agent passes its file context, valid for the call.
    unsafe { &mut *ctx }
}

pub(crate) fn created_from(c: &sys::OtaFileContext_t) -> Created {
    Created {
        path: c_text(c.pFilePath),
        cert: c_text(c.pCertFilepath),
        stream: c_text(c.pStreamName),
        size: c.fileSize,
        file_id: c.serverFileID,
    }
}

extern "C" fn pal_create(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.createFile");
    let file = created_from(c);
    with(|w| {
        if w.faults.take("pal_create") || file.size > FLASH_MAX || file.size == 0 {
            return pal_err(sys::OtaPalRxFileCreateFailed);
        }
        w.written = vec![false; file.size.div_ceil(BLOCK) as usize];
        w.created = Some(file);
        resume::created(w, c);
        c.pFile = file_handle();
        pal_ok()
    })
}

extern "C" fn pal_write(
    ctx: *mut sys::OtaFileContext_t,
    offset: u32,
    data: *mut u8,
    size: u32,
) -> i16 {
    let c = context(ctx, "pal.writeBlock");
    assert!(
        c.pFile == file_handle(),
        "pal.writeBlock to a file the PAL did not open"
    );
    assert!(!data.is_null(), "pal.writeBlock from NULL");
    // SAFETY: the agent passes `size` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(data, size as usize) };
    with(|w| {
        let file = w.created.as_ref().expect("a created file");
        assert!(
            offset.is_multiple_of(BLOCK)
                && size > 0
                && size <= BLOCK
                && u64::from(offset) + u64::from(size) <= u64::from(file.size),
            "pal.writeBlock of {size} bytes at {offset} into a {}-byte file",
            file.size
        );
        let _ = bytes.iter().fold(0u8, |a, &b| a ^ b);
        if w.faults.take("pal_write") {
            return if w.faults.take("pal_write") {
                -1
            } else {
                (size - 1) as i16
            };
        }
        w.written[(offset / BLOCK) as usize] = true;
        resume::wrote(w, (offset / BLOCK) as usize);
        size as i16
    })
}

extern "C" fn pal_close(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.closeFile");
    assert!(
        c.pFile == file_handle(),
        "pal.closeFile of a file the PAL did not open"
    );
    let now = created_from(c);
    with(|w| {
        let file = w.created.take().expect("a created file");
        assert_eq!(
            now, file,
            "pal.closeFile sees another file than pal.createFile made"
        );
        let whole = resume::close(w);
        if !whole || w.faults.take("pal_close") {
            pal_err(sys::OtaPalSignatureCheckFailed)
        } else {
            pal_ok()
        }
    })
}

extern "C" fn pal_abort(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.abort");
    with(|w| {
        if !c.pFile.is_null() {
            assert!(
                c.pFile == file_handle(),
                "pal.abort of a file the PAL did not open"
            );
            w.created = None;
        }
        resume::aborted(w);
        c.pFile = null_mut();
        if w.faults.take("pal_abort") {
            pal_err(sys::OtaPalFileAbort)
        } else {
            pal_ok()
        }
    })
}

extern "C" fn pal_activate(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.activate");
    with(|w| {
        if w.faults.take("pal_activate") {
            pal_err(sys::OtaPalActivateFailed)
        } else {
            // The device reboots into the new image, which then waits for its self test.
            w.rebooting = true;
            w.platform_state = sys::OtaPalImageStatePendingCommit;
            pal_ok()
        }
    })
}

extern "C" fn pal_reset(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.reset");
    with(|w| {
        if w.faults.take("pal_reset") {
            // A reset that returns has failed; the agent carries on.
            pal_err(sys::OtaPalActivateFailed)
        } else {
            // The device reboots at the next idle point (the agent is stopped and started).
            w.rebooting = true;
            pal_ok()
        }
    })
}

extern "C" fn pal_set_state(
    ctx: *mut sys::OtaFileContext_t,
    state: sys::OtaImageState_t,
) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.setPlatformImageState");
    assert!(
        (sys::OtaImageStateUnknown..=sys::OtaImageStateAborted).contains(&state),
        "image state {state}"
    );
    with(|w| {
        if w.faults.take("pal_set_state") {
            pal_err(sys::OtaPalBadImageState)
        } else {
            pal_ok()
        }
    })
}

extern "C" fn pal_get_state(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalImageState_t {
    let _ = context(ctx, "pal.getPlatformImageState");
    with(|w| {
        if w.faults.take("pal_get_state") {
            sys::OtaPalImageStateInvalid
        } else {
            w.platform_state
        }
    })
}

// ---- the application ------------------------------------------------------------------------

extern "C" fn app_callback(event: sys::OtaJobEvent_t, data: *const c_void) {
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

// ---- the cloud and the driver ---------------------------------------------------------------

/// What a script step may do.
pub struct Driver;

impl Driver {
    /// Hands the agent `payload` in a pool buffer; false when refused (the buffer comes back).
    pub fn send(&mut self, event: sys::OtaEvent_t, payload: &[u8]) -> bool {
        let data = with(|w| {
            if event == sys::OtaAgentEventReceivedJobDocument {
                w.last_doc = payload.to_vec();
            }
            let i = w.lent.iter().position(|&l| !l)?;
            w.lent[i] = true;
            let buf = &mut *w.pool[i];
            let n = payload.len().min(buf.data.len());
            buf.data[..n].copy_from_slice(&payload[..n]);
            buf.dataLength = n as u32;
            buf.bufferUsed = true;
            Some((i, buf as *mut sys::OtaEventData_t))
        });
        let Some((i, ptr)) = data else { return false };
        let msg = sys::OtaEventMsg_t {
            pEventData: ptr,
            eventId: event,
        };
        // SAFETY: the message and its buffer stay valid until OtaJobEventProcessed.
        let ok = unsafe { sys::OTA_SignalEvent(&msg) };
        if !ok {
            with(|w| w.lent[i] = false);
        }
        ok
    }

    /// Signals an event without payload.
    pub fn signal(&mut self, event: sys::OtaEvent_t) -> bool {
        let msg = sys::OtaEventMsg_t {
            pEventData: null_mut(),
            eventId: event,
        };
        // SAFETY: a valid message without payload.
        unsafe { sys::OTA_SignalEvent(&msg) }
    }

    /// The oldest request the agent made.
    pub fn peek_pending(&self) -> Option<Pending> {
        with(|w| w.pending.front().cloned())
    }

    /// Takes the oldest request the agent made, to answer it another way.
    pub fn take_pending(&mut self) -> Option<Pending> {
        with(|w| w.pending.pop_front())
    }

    /// The created file's size, if a file is open.
    pub fn file_size(&self) -> Option<u32> {
        with(|w| w.created.as_ref().map(|c| c.size))
    }

    /// Answers the oldest request the agent made; false when there is none.
    pub fn answer(&mut self) -> bool {
        let Some(p) = with(|w| w.pending.pop_front()) else {
            return false;
        };
        match p {
            Pending::JobDocument => {
                let _ = self.send(
                    sys::OtaAgentEventReceivedJobDocument,
                    clean_job().as_bytes(),
                );
            }
            Pending::Stream { req, .. } => self.serve_stream(&req),
            Pending::Range { start, end } => {
                let body = image(start, end - start + 1);
                let _ = self.send(sys::OtaAgentEventReceivedFileBlock, &body);
            }
        }
        true
    }

    /// Sends the blocks a GetStream request asks for (bitmap from offset, at most n).
    pub fn serve_stream(&mut self, req: &cbor::Request) {
        let Some(size) = self.file_size() else { return };
        let blocks = size.div_ceil(BLOCK);
        let mut sent = 0;
        for (byte, bits) in req.bitmap.iter().enumerate() {
            for bit in 0..8 {
                let index = req.offset as u32 + (byte as u32) * 8 + bit;
                if bits & (1 << bit) == 0 || index >= blocks || sent >= req.blocks.max(0) {
                    continue;
                }
                let start = index * BLOCK;
                let len = (size - start).min(BLOCK);
                let msg = cbor::block(
                    req.file_id.into(),
                    index.into(),
                    len.into(),
                    &image(start, len),
                    1,
                );
                if !self.send(sys::OtaAgentEventReceivedFileBlock, &msg) {
                    return;
                }
                sent += 1;
            }
        }
    }
}

/// Byte `i` of every test image.
pub fn image(start: u32, len: u32) -> Vec<u8> {
    (0..len)
        .map(|k| start.wrapping_add(k))
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// The job the cloud hands out after the script: MQTT, two blocks.
pub fn clean_job() -> String {
    Job::mqtt("clean-job", "clean-stream", BLOCK + 100, 1).json()
}

/// One step of the world, run when the agent waits on an empty queue.
fn idle_step() {
    let (phase, held) = with(|w| {
        w.steps += 1;
        (w.phase, w.lent.iter().filter(|&&l| l).count())
    });
    assert_eq!(
        held, 0,
        "{held} event buffers held while the agent waits with an empty queue"
    );
    let state = checked_state();
    if with(|w| w.faults.trace) {
        eprintln!("step {phase:?} state {state}");
    }
    let mut d = Driver;
    if with(|w| w.rebooting) {
        // The reboot: the agent goes down with the device and starts again after it.
        let _ = api::shutdown(0);
        return;
    }
    match phase {
        Phase::Script if boot_step(&mut d) => {}
        Phase::Script => {
            if !script_step() {
                begin_clean(&mut d);
            }
        }
        Phase::Clean => clean_step(&mut d),
        Phase::Stop => {
            with(|w| w.phase = Phase::Done);
            let _ = api::shutdown(0);
        }
        Phase::Done => panic!(
            "the agent did not stop after OTA_Shutdown (state {})",
            checked_state()
        ),
    }
}

/// Runs the script's next step; false once it is over.
fn script_step() -> bool {
    // The script is taken out of the world while it runs: its calls come back into the world.
    let mut script = with(|w| std::mem::replace(&mut w.script, Box::new(|_| false)));
    let more = script(&mut Driver);
    with(|w| w.script = script);
    more
}

/// After a script's reboot: the application starts the agent, the cloud sends the job
/// document the script chose. False when there is nothing left to do.
fn boot_step(d: &mut Driver) -> bool {
    let Some(step) = with(|w| w.boot.pop_front()) else {
        return false;
    };
    match step {
        BootStep::Start => {
            let _ = d.signal(sys::OtaAgentEventStart);
        }
        BootStep::Doc(doc) => {
            let _ = d.take_pending();
            let _ = d.send(sys::OtaAgentEventReceivedJobDocument, &doc);
        }
    }
    true
}

/// The script reboots the device (a power cut: the agent is shut down, the flash and the
/// stored record survive, unflushed blocks do not); after it, the agent is started and `doc`
/// (None: the last job document sent) arrives.
pub fn reboot(doc: Option<Vec<u8>>, send_doc: bool) {
    with(|w| {
        w.rebooting = true;
        w.boot.clear();
        w.boot.push_back(BootStep::Start);
        if send_doc {
            let doc = doc.unwrap_or_else(|| w.last_doc.clone());
            w.boot.push_back(BootStep::Doc(doc));
        }
    });
}

fn begin_clean(d: &mut Driver) {
    with(|w| {
        w.boot.clear();
        w.phase = Phase::Clean;
        w.faults.enabled = false;
        w.platform_state = sys::OtaPalImageStateValid;
        w.habits = AppHabits::default();
        w.pending.clear();
        w.clean_steps = 0;
        w.clean_activations = w.activations;
    });
    // The application gives up on whatever the script left half done, then asks for a job.
    let _ = api::set_image_state(sys::OtaImageStateAborted);
    let _ = d;
}

fn clean_step(d: &mut Driver) {
    let (steps, done) = with(|w| {
        w.clean_steps += 1;
        (w.clean_steps, w.activations > w.clean_activations)
    });
    if done {
        with(|w| w.phase = Phase::Stop);
        return;
    }
    assert!(
        steps <= CLEAN_BUDGET,
        "the agent did not complete a clean job in {CLEAN_BUDGET} steps (state {})",
        checked_state()
    );
    if d.answer() {
        return;
    }
    match checked_state() {
        sys::OtaAgentStateReady => {
            let _ = d.signal(sys::OtaAgentEventStart);
        }
        sys::OtaAgentStateSuspended => {
            let _ = api::resume();
        }
        _ => {
            if !fire_timer(sys::OtaRequestTimer) {
                let _ = api::check_for_update();
            }
        }
    }
}

// ---- one run --------------------------------------------------------------------------------

fn interfaces() -> sys::OtaInterfaces_t {
    let mut i = sys::OtaInterfaces_t::default();
    i.os.event.init = Some(q_init);
    i.os.event.send = Some(q_send);
    i.os.event.recv = Some(q_recv);
    i.os.event.deinit = Some(q_deinit);
    i.os.timer.start = Some(t_start);
    i.os.timer.stop = Some(t_stop);
    i.os.timer.delete = Some(t_delete);
    i.os.mem.malloc = Some(m_malloc);
    i.os.mem.free = Some(m_free);
    i.mqtt.subscribe = Some(mq_subscribe);
    i.mqtt.unsubscribe = Some(mq_unsubscribe);
    i.mqtt.publish = Some(mq_publish);
    i.http.init = Some(http_init);
    i.http.request = Some(http_request);
    i.http.deinit = Some(http_deinit);
    i.pal.abort = Some(pal_abort);
    i.pal.createFile = Some(pal_create);
    i.pal.closeFile = Some(pal_close);
    i.pal.writeBlock = Some(pal_write);
    i.pal.activate = Some(pal_activate);
    i.pal.reset = Some(pal_reset);
    i.pal.setPlatformImageState = Some(pal_set_state);
    i.pal.getPlatformImageState = Some(pal_get_state);
    i
}

/// How a run starts.
pub struct Setup {
    pub script: Box<dyn FnMut(&mut Driver) -> bool>,
    pub faults: Vec<u8>,
    pub platform_state: sys::OtaPalImageState_t,
    pub habits: AppHabits,
    pub app_buffers: bool,
    pub queue_cap: usize,
    /// Resume registered (include/ota_ext.h), or None as v2.0.0.
    pub resume: Option<resume::Config>,
}

#[no_mangle]
static appFirmwareVersion: sys::AppVersion32_t = sys::AppVersion32_t {
    u: sys::AppVersion32_t__bindgen_ty_1 {
        unsignedVersion32: 0x0001_0002,
    },
};

#[no_mangle]
static OTA_JsonFileSignatureKey: [u8; sys::OTA_FILE_SIG_KEY_STR_MAX_LENGTH as usize] = {
    let mut k = [0u8; sys::OTA_FILE_SIG_KEY_STR_MAX_LENGTH as usize];
    let name = b"sig-sha256-ecdsa";
    let mut i = 0;
    while i < name.len() {
        k[i] = name[i];
        i += 1;
    }
    k
};

/// Runs the agent through a script, then a clean job, checking every invariant on the way.
pub fn run(setup: Setup) {
    // Keeps the two application symbols the library looks up weakly in the link.
    std::hint::black_box((&appFirmwareVersion, &OTA_JsonFileSignatureKey));
    let world = World {
        faults: Faults {
            bits: setup.faults,
            at: 0,
            enabled: true,
            trace: std::env::var_os("OTA_FUZZ_TRACE").is_some(),
        },
        phase: Phase::Script,
        script: setup.script,
        habits: setup.habits,
        platform_state: setup.platform_state,
        queue_cap: setup.queue_cap.clamp(1, 64),
        app_buffers: setup.app_buffers,
        queue: VecDeque::new(),
        timers: [None; 2],
        timer_running: [false; 2],
        live: HashMap::new(),
        pool: (0..POOL)
            .map(|_| Box::<sys::OtaEventData_t>::default())
            .collect(),
        lent: [false; POOL],
        created: None,
        written: Vec::new(),
        pending: VecDeque::new(),
        last_stream: None,
        last_range: None,
        activations: 0,
        clean_steps: 0,
        clean_activations: 0,
        starts: 0,
        interfaces: Box::new(interfaces()),
        buffers: Vec::new(),
        steps: 0,
        rebooting: false,
        resume: setup.resume.map(Resume::new),
        boot: VecDeque::new(),
        last_doc: Vec::new(),
        in_idle_step: false,
    };
    WORLD.with(|w| *w.borrow_mut() = Some(world));
    assert_eq!(
        checked_state(),
        sys::OtaAgentStateStopped,
        "the agent was left running by the last input"
    );
    if setup.resume.is_some_and(|r| r.register_at_boot) {
        resume::register();
    }
    loop {
        start_agent();
        // SAFETY: OTA_Init succeeded; the task returns when the agent stops.
        unsafe { sys::OTA_EventProcessingTask(null_mut()) };
        assert_eq!(
            checked_state(),
            sys::OtaAgentStateStopped,
            "OTA_EventProcessingTask returned early"
        );
        let (phase, starts) = after_stop();
        if starts >= MAX_STARTS {
            // Enough restarts: the rest of the script is skipped, the clean job still runs.
            with(|w| w.script = Box::new(|_| false));
        }
        if with(|w| std::mem::take(&mut w.rebooting)) {
            // Booted again: the script (or the clean job) goes on. The application registers
            // resume again, as its boot code would.
            with(resume::power_cut);
            if with(|w| w.resume.as_ref().is_some_and(|r| r.registered)) {
                resume::register();
            }
            continue;
        }
        match phase {
            Phase::Done => break,
            Phase::Clean | Phase::Stop => panic!("the agent stopped during the clean job"),
            Phase::Script => {
                // One step of the script against the stopped agent: API calls, events, timers
                // that outlived it. Nothing may be taken or started by it.
                let _ = script_step();
                let _ = after_stop();
            }
        }
    }
    resume::finish();
    WORLD.with(|w| *w.borrow_mut() = None);
}

fn start_agent() {
    let (interfaces, mut buffers) = with(|w| {
        w.starts += 1;
        w.timers = [None; 2];
        w.timer_running = [false; 2];
        w.created = None;
        w.pending.clear();
        let mut b = sys::OtaAppBuffer_t::default();
        if w.app_buffers {
            w.buffers = vec![
                vec![0u8; 64],
                vec![0u8; 64],
                vec![0u8; 64],
                vec![0u8; BLOCK as usize],
                vec![0u8; 32],
                vec![0u8; 256],
                vec![0u8; 32],
            ];
            let [path, cert, stream, decode, bitmap, url, auth] = &mut w.buffers[..] else {
                unreachable!()
            };
            b.pUpdateFilePath = path.as_mut_ptr();
            b.updateFilePathsize = path.len() as u16;
            b.pCertFilePath = cert.as_mut_ptr();
            b.certFilePathSize = cert.len() as u16;
            b.pStreamName = stream.as_mut_ptr();
            b.streamNameSize = stream.len() as u16;
            b.pDecodeMemory = decode.as_mut_ptr();
            b.decodeMemorySize = decode.len() as u32;
            b.pFileBitmap = bitmap.as_mut_ptr();
            b.fileBitmapSize = bitmap.len() as u16;
            b.pUrl = url.as_mut_ptr();
            b.urlSize = url.len() as u16;
            b.pAuthScheme = auth.as_mut_ptr();
            b.authSchemeSize = auth.len() as u16;
        }
        (&mut *w.interfaces as *mut sys::OtaInterfaces_t, b)
    });
    // SAFETY: the buffers and the interface table live in the world until the agent stops;
    // OTA_Init copies the thing name.
    let err =
        unsafe { sys::OTA_Init(&mut buffers, interfaces, THING.as_ptr(), Some(app_callback)) };
    assert_eq!(err, sys::OtaErrNone, "OTA_Init failed");
}

/// The invariants of a stopped agent; returns the phase and the number of starts so far.
fn after_stop() -> (Phase, u32) {
    with(|w| {
        let queued: Vec<usize> = w
            .queue
            .iter()
            .filter_map(|m| w.pool.iter().position(|b| std::ptr::eq(&**b, m.pEventData)))
            .collect();
        for (i, lent) in w.lent.iter_mut().enumerate() {
            if queued.contains(&i) {
                // Still in the application's queue: the application takes it back.
                *lent = false;
            }
            assert!(!*lent, "event buffer {i} never handed back");
        }
        w.queue.clear();
        assert!(
            w.live.is_empty(),
            "{} allocations of os.mem.malloc never freed",
            w.live.len()
        );
        assert!(
            w.created.is_none(),
            "the agent stopped with a PAL file open"
        );
        resume::stopped(w);
        (w.phase, w.starts)
    })
}
