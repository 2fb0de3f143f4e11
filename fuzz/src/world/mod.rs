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

mod app;
mod driver;
mod net;
mod os;
mod pal;

pub use app::*;
pub use driver::*;
use net::*;
pub use os::*;
pub(crate) use pal::*;

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
