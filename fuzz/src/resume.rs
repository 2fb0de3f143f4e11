//! The resume extension's side of the world (include/ota_ext.h): the application's
//! `OtaResumeInterface_t` over an in-memory store that the script may forge, the PAL's flash
//! (which survives reboots, unflushed blocks excepted) and its reopen and flush hooks.
//!
//! The stored record is hostile: the script replaces it with any bytes, forges valid records
//! with lying bitmaps, flips, cuts or extends the one the agent saved. Invariants (a panic):
//! - no callback of the table while it is unregistered (after `OTA_EXT_SetResume(NULL)`);
//!   an incomplete table is refused with OtaErrInvalidArg;
//! - `reopenFile` only when the bytes the agent loaded are the stored record, and that record
//!   is valid (this crate's own decoder and CRC) and names exactly the file context's job,
//!   stream, size, block size, file ID and path CRC, with a bitmap of the file's length, no
//!   bit beyond its last block and at least one block needed; never with a file open;
//! - after a reopen, no block the record counted as received is asked for (GetStream bitmap,
//!   HTTP range) or written;
//! - every save is a valid record of the open file whose received blocks were each flushed to
//!   flash (or inherited from the record the file was reopened with);
//! - when a job ends (OtaJobEventActivate or OtaJobEventFail, a PAL abort other than at
//!   shutdown) the agent has called erase since it last saved or loaded a record.

use crate::record::{self, Rec};
use crate::sys;
use crate::world::{self, with, World, BLOCK};
use std::ptr::null_mut;

/// One block of the PAL's file on flash.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Blk {
    Absent,
    /// Written, lost at a power cut until flushed.
    Volatile,
    Durable,
}

/// How the application registers resume.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub every: u32,
    pub buffer_size: u32,
    /// A flushFile hook (else NULL: writes are durable when they return).
    pub flush_hook: bool,
    /// A load that returns the stored size even when the record does not fit the buffer.
    pub lying_load: bool,
    /// Register before the first OTA_Init (else only when the script says).
    pub register_at_boot: bool,
}

/// Record buffer sizes worth trying: the minimum, around the sizes of the world's records,
/// the documented maximum, and more.
pub const BUFFER_SIZES: [u32; 8] = [
    sys::OTA_EXT_RESUME_RECORD_FIXED_SIZE,
    40,
    43,
    44,
    64,
    160,
    sys::OTA_EXT_RESUME_RECORD_MAX_SIZE,
    sys::OTA_EXT_RESUME_RECORD_MAX_SIZE + 9,
];

pub struct Resume {
    table: Box<sys::OtaResumeInterface_t>,
    /// The record buffer the table names: exactly its size, so ASan sees any overrun.
    _buffer: Vec<u8>,
    pub store: Option<Vec<u8>>,
    pub registered: bool,
    /// The agent saved or loaded a record and has not called erase since.
    owes_erase: bool,
    /// The PAL's file; it survives a reboot (unflushed blocks do not).
    flash: Option<Vec<Blk>>,
    /// Blocks the record the open file was reopened with counted as received.
    inherited: Vec<bool>,
    /// Job ID of the open file (pJobName at create or reopen).
    open_job: Vec<u8>,
    /// What the last load handed the agent.
    loaded: Option<Vec<u8>>,
    lying_load: bool,
    /// OTA_Shutdown was called: the PAL abort that follows may keep the record.
    pub shutdown_asked: bool,
    /// A Shutdown the agent queued itself (not after a job end) kept the record.
    agent_kept: bool,
    /// The last download opened, as a record needing every block (for forging).
    pub last: Option<Rec>,
    pub saves: u32,
    pub reopens: u32,
}

impl Resume {
    pub fn new(cfg: Config) -> Resume {
        let mut buffer = vec![0u8; cfg.buffer_size as usize];
        let mut t = sys::OtaResumeInterface_t::default();
        t.save = Some(r_save);
        t.load = Some(r_load);
        t.erase = Some(r_erase);
        t.reopenFile = Some(r_reopen);
        t.flushFile = if cfg.flush_hook { Some(r_flush) } else { None };
        t.pRecordBuffer = buffer.as_mut_ptr();
        t.recordBufferSize = cfg.buffer_size;
        t.saveEveryBlocks = cfg.every;
        Resume {
            table: Box::new(t),
            _buffer: buffer,
            store: None,
            registered: false,
            owes_erase: false,
            flash: None,
            inherited: Vec::new(),
            open_job: Vec::new(),
            loaded: None,
            lying_load: cfg.lying_load,
            shutdown_asked: false,
            agent_kept: false,
            last: None,
            saves: 0,
            reopens: 0,
        }
    }
}

fn resume(w: &mut World) -> &mut Resume {
    w.resume.as_mut().expect("the resume world is set up")
}

fn registered<'a>(w: &'a mut World, call: &str) -> &'a mut Resume {
    let r = resume(w);
    assert!(
        r.registered,
        "{call} called while no resume table is registered"
    );
    r
}

fn blocks(size: u32) -> u32 {
    size.div_ceil(BLOCK)
}

/// What a valid record of this download must say; panics with `what` otherwise.
fn check_names(rec: &Rec, want: &Rec, what: &str) {
    assert_eq!(rec.job, want.job, "{what}: another job ID");
    assert_eq!(rec.stream, want.stream, "{what}: another stream");
    assert_eq!(rec.file_size, want.file_size, "{what}: another file size");
    assert_eq!(rec.block_size, BLOCK, "{what}: another block size");
    assert_eq!(rec.file_id, want.file_id, "{what}: another file ID");
    assert_eq!(rec.path_crc, want.path_crc, "{what}: another path CRC");
    let n = blocks(want.file_size);
    assert_eq!(
        rec.bitmap.len(),
        n.div_ceil(8) as usize,
        "{what}: a bitmap of another length"
    );
    for i in n..(rec.bitmap.len() as u32 * 8) {
        assert!(!rec.needed(i), "{what}: block {i} beyond the file needed");
    }
    assert!(
        (0..n).any(|i| rec.needed(i)),
        "{what}: no block left to fetch"
    );
}

/// The download a file context describes, every block needed.
fn of_context(c: &sys::OtaFileContext_t) -> Rec {
    let n = blocks(c.fileSize);
    let mut bitmap = vec![0u8; n.div_ceil(8) as usize];
    for i in 0..n {
        bitmap[(i / 8) as usize] |= 1 << (i % 8);
    }
    Rec {
        job: world::c_text(c.pJobName),
        stream: world::c_text(c.pStreamName),
        file_size: c.fileSize,
        block_size: BLOCK,
        file_id: c.serverFileID,
        path_crc: record::crc32(&world::c_text(c.pFilePath)),
        bitmap,
    }
}

// ---- the application's table ------------------------------------------------------------

extern "C" fn r_save(p: *const u8, n: u32) -> bool {
    assert!(!p.is_null(), "resume.save from NULL");
    // SAFETY: the agent passes `n` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
    with(|w| {
        let _ = registered(w, "resume.save");
        let rec = record::decode(&bytes)
            .unwrap_or_else(|| panic!("resume.save of bytes that are no record: {bytes:02x?}"));
        let file = w.created.as_ref().expect("resume.save with no file open");
        let path_crc = record::crc32(&file.path);
        let (size, file_id, stream) = (file.size, file.file_id, file.stream.clone());
        let r = resume(w);
        let want = Rec {
            job: r.open_job.clone(),
            stream,
            file_size: size,
            block_size: BLOCK,
            file_id,
            path_crc,
            bitmap: Vec::new(),
        };
        check_names(&rec, &want, "resume.save");
        let flash = r.flash.as_ref().expect("a file on flash");
        for i in 0..blocks(size) {
            let durable = flash.get(i as usize) == Some(&Blk::Durable);
            let inherited = r.inherited.get(i as usize) == Some(&true);
            assert!(
                rec.needed(i) || durable || inherited,
                "resume.save counts block {i} as received, but it is {:?} on flash",
                flash.get(i as usize)
            );
        }
        let fail = w.faults.take("resume.save");
        let r = resume(w);
        if !fail {
            r.store = Some(bytes);
            r.owes_erase = true;
            r.saves += 1;
        }
        !fail
    })
}

extern "C" fn r_load(p: *mut u8, size: u32) -> u32 {
    assert!(!p.is_null(), "resume.load into NULL");
    with(|w| {
        let trace = w.faults.trace;
        let r = registered(w, "resume.load");
        r.loaded = None;
        if trace {
            eprintln!(
                "  resume.load ({:?} bytes stored)",
                r.store.as_ref().map(Vec::len)
            );
        }
        let fits = r
            .store
            .as_ref()
            .is_some_and(|s| !s.is_empty() && s.len() <= size as usize);
        let Some(stored) = r.store.as_ref() else {
            return 0;
        };
        let n = stored.len().min(size as usize);
        if stored.len() > size as usize && !r.lying_load {
            return 0;
        }
        // SAFETY: the agent gives `size` writable bytes; n <= size.
        unsafe { std::ptr::copy_nonoverlapping(stored.as_ptr(), p, n) };
        if fits {
            r.loaded = Some(stored.clone());
            // Loaded is stored: erased if it is not this job's, or when this job ends.
            r.owes_erase = true;
        }

        stored.len() as u32
    })
}

extern "C" fn r_erase() -> bool {
    with(|w| {
        let r = registered(w, "resume.erase");
        r.owes_erase = false;
        if w.faults.take("resume.erase") {
            return false;
        }
        let r = resume(w);
        r.store = None;
        true
    })
}

extern "C" fn r_reopen(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = world::context(ctx, "resume.reopenFile");
    let now = of_context(c);
    let file = world::created_from(c);
    with(|w| {
        assert!(
            w.created.is_none(),
            "resume.reopenFile with a file already open"
        );
        let r = registered(w, "resume.reopenFile");
        let loaded = r
            .loaded
            .clone()
            .expect("resume.reopenFile without a record loaded");
        assert!(
            r.store.as_ref() == Some(&loaded),
            "resume.reopenFile: the loaded bytes are not the stored record"
        );
        let rec = record::decode(&loaded).unwrap_or_else(|| {
            panic!("resume.reopenFile after loading bytes that are no record: {loaded:02x?}")
        });
        check_names(&rec, &now, "resume.reopenFile");
        let fail = w.faults.take("resume.reopenFile");
        let r = resume(w);
        let n = blocks(file.size) as usize;
        let Some(flash) = r.flash.as_mut().filter(|_| !fail) else {
            return world::pal_err(sys::OtaPalRxFileCreateFailed);
        };
        flash.resize(n, Blk::Absent);
        r.inherited = (0..n as u32).map(|i| !rec.needed(i)).collect();
        r.open_job = now.job.clone();
        r.last = Some(now);
        r.reopens += 1;
        w.written = vec![false; n];
        w.created = Some(file);
        c.pFile = world::file_handle();
        world::pal_ok()
    })
}

extern "C" fn r_flush(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = world::context(ctx, "resume.flushFile");
    assert!(
        c.pFile == world::file_handle(),
        "resume.flushFile of a file the PAL did not open"
    );
    with(|w| {
        let _ = registered(w, "resume.flushFile");
        assert!(w.created.is_some(), "resume.flushFile with no file open");
        if w.faults.take("resume.flushFile") {
            return world::pal_err(sys::OtaPalFileClose);
        }
        if let Some(flash) = resume(w).flash.as_mut() {
            for b in flash.iter_mut().filter(|b| **b == Blk::Volatile) {
                *b = Blk::Durable;
            }
        }
        world::pal_ok()
    })
}

// ---- the world's PAL and cloud, as resume sees them ----------------------------------------

/// pal.createFile succeeded: a new, empty file.
pub fn created(w: &mut World, c: &sys::OtaFileContext_t) {
    let now = of_context(c);
    if let Some(r) = w.resume.as_mut() {
        let n = blocks(c.fileSize) as usize;
        r.flash = Some(vec![Blk::Absent; n]);
        r.inherited = vec![false; n];
        r.open_job = now.job.clone();
        r.last = Some(now);
    }
}

/// pal.writeBlock of block `i` succeeded.
pub fn wrote(w: &mut World, i: usize) {
    let flush_hook = w
        .resume
        .as_ref()
        .is_some_and(|r| r.table.flushFile.is_some());
    if let Some(r) = w.resume.as_mut() {
        assert!(
            !r.inherited.get(i).copied().unwrap_or(false),
            "pal.writeBlock of block {i}, which the reopened record counted as received"
        );
        if let Some(b) = r.flash.as_mut().and_then(|f| f.get_mut(i)) {
            *b = if flush_hook {
                Blk::Volatile
            } else {
                Blk::Durable
            };
        }
    }
}

/// Whether pal.closeFile may close: every block the agent thinks it has (written now or
/// inherited) was written; then whether the file on flash is whole (else the signature check
/// fails, as a real PAL's would over a forged record's holes).
pub fn close(w: &mut World) -> bool {
    let written = &w.written;
    match w.resume.as_mut() {
        None => {
            assert!(
                written.iter().all(|&b| b),
                "pal.closeFile before every block was written"
            );
            true
        }
        Some(r) => {
            for (i, &b) in written.iter().enumerate() {
                assert!(
                    b || r.inherited.get(i) == Some(&true),
                    "pal.closeFile before block {i} was written"
                );
            }
            let whole = r
                .flash
                .as_ref()
                .is_some_and(|f| f.iter().all(|&b| b != Blk::Absent));
            if whole {
                if let Some(f) = r.flash.as_mut() {
                    f.fill(Blk::Durable);
                }
            }
            r.inherited.clear();
            whole
        }
    }
}

/// A job ended (`what`): the record the agent saved or loaded for it must be erased.
pub fn job_ended(w: &mut World, what: &str) {
    let rebooting = w.rebooting;
    if let Some(r) = w.resume.as_mut() {
        if r.shutdown_asked || rebooting {
            return;
        }
        assert!(
            !r.owes_erase || r.store.is_none(),
            "{what}: the job ended, and the resume record it saved or loaded was never erased \
             (stored: {:02x?})",
            r.store
        );
    }
}

/// pal.abort closed the file.
pub fn aborted(w: &mut World) {
    job_ended(w, "pal.abort");
    if let Some(r) = w.resume.as_mut() {
        r.inherited.clear();
    }
}

/// A GetStream request with `bitmap` (offset 0) for the open file.
pub fn check_request(w: &World, bitmap: &[u8]) {
    let Some(r) = w.resume.as_ref() else { return };
    for (i, &got) in r.inherited.iter().enumerate() {
        let asked = bitmap.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
        assert!(
            !(got && asked),
            "GetStream asks for block {i}, which the reopened record counted as received"
        );
    }
}

/// An HTTP range request from byte `start`.
pub fn check_range(w: &World, start: u32) {
    let Some(r) = w.resume.as_ref() else { return };
    let i = (start / BLOCK) as usize;
    assert!(
        r.inherited.get(i) != Some(&true),
        "HTTP range asks for block {i}, which the reopened record counted as received"
    );
}

/// The device lost power: unflushed blocks are gone, the agent remembers nothing.
pub fn power_cut(w: &mut World) {
    if let Some(r) = w.resume.as_mut() {
        if let Some(f) = r.flash.as_mut() {
            for b in f.iter_mut().filter(|b| **b == Blk::Volatile) {
                *b = Blk::Absent;
            }
        }
        r.owes_erase = false;
        r.loaded = None;
        r.inherited.clear();
    }
}

/// A Shutdown event was queued. The agent queues one itself in the block states only after a
/// momentum abort that reported the job FAILED, whose record must go (the finding
/// resume/keeps-record-of-momentum-aborted-job); elsewhere (the job request or the transfer
/// start giving up) the job goes on after a restart, and its record may stay.
pub fn agent_shuts_down(w: &mut World) {
    // One the application sends (OTA_SignalEvent in an idle step) is its shutdown.
    let by_application = w.in_idle_step;
    if let Some(r) = w.resume.as_mut() {
        // SAFETY: OTA_GetState has no preconditions.
        let state = unsafe { sys::OTA_GetState() };
        if by_application
            || (state != sys::OtaAgentStateRequestingFileBlock
                && state != sys::OtaAgentStateWaitingForFileBlock)
        {
            r.shutdown_asked = true;
            r.agent_kept = true;
        }
    }
}

/// The agent stopped.
pub fn stopped(w: &mut World) {
    if let Some(r) = w.resume.as_mut() {
        // The record a shutdown the agent queued itself kept is not owed by the next job.
        if std::mem::take(&mut r.agent_kept) {
            r.owes_erase = false;
        }
        r.shutdown_asked = false;
    }
}

// ---- what the application and the script do -----------------------------------------------

/// Registers the world's table; it must be accepted.
pub fn register() {
    let table = with(|w| w.resume.as_ref().map(|r| &*r.table as *const _));
    let Some(table) = table else { return };
    // SAFETY: the table and its buffer live in the world until `unregister` at the end of run.
    let err = unsafe { sys::OTA_EXT_SetResume(table) };
    assert_eq!(
        err,
        sys::OtaErrNone,
        "OTA_EXT_SetResume refused a valid table"
    );
    with(|w| {
        let r = resume(w);
        r.registered = true;
    });
}

/// Unregisters: from now on no callback of the table may run.
pub fn unregister() {
    if with(|w| w.resume.is_none()) {
        return;
    }
    // SAFETY: NULL unregisters.
    let err = unsafe { sys::OTA_EXT_SetResume(std::ptr::null()) };
    assert_eq!(err, sys::OtaErrNone, "OTA_EXT_SetResume(NULL) failed");
    with(|w| {
        let r = resume(w);
        r.registered = false;
        r.owes_erase = false;
    });
}

/// Offers an incomplete table (`flaw` picks what is missing): it must be refused, and the
/// registration stays as it was. The table is freed at once, so ASan sees any later use.
pub fn register_flawed(flaw: u8) {
    let Some(mut t) = with(|w| w.resume.as_ref().map(|r| Box::new(*r.table))) else {
        return;
    };
    match flaw % 6 {
        0 => t.save = None,
        1 => t.load = None,
        2 => t.erase = None,
        3 => t.reopenFile = None,
        4 => t.pRecordBuffer = null_mut(),
        _ => t.recordBufferSize = sys::OTA_EXT_RESUME_RECORD_FIXED_SIZE - 1,
    }
    // SAFETY: a readable table; the library must refuse it and keep no pointer to it.
    let err = unsafe { sys::OTA_EXT_SetResume(&*t) };
    assert_eq!(
        err,
        sys::OtaErrInvalidArg,
        "OTA_EXT_SetResume accepted a table without entry {}",
        flaw % 6
    );
    drop(t);
}

/// Changes saveEveryBlocks and registers again (the table may change only while unregistered).
pub fn set_every(every: u32) {
    let was = with(|w| w.resume.as_ref().map(|r| r.registered));
    let Some(was) = was else { return };
    if was {
        unregister();
    }
    with(|w| resume(w).table.saveEveryBlocks = every);
    if was {
        register();
    }
}

/// Replaces the stored record (None: nothing stored).
pub fn store(bytes: Option<Vec<u8>>) {
    with(|w| {
        if let Some(r) = w.resume.as_mut() {
            r.store = bytes;
        }
    });
}

/// The stored record, to mutate.
pub fn stored() -> Option<Vec<u8>> {
    with(|w| w.resume.as_ref().and_then(|r| r.store.clone()))
}

/// The last download opened (every block needed), to forge a record of.
pub fn last_download() -> Option<Rec> {
    with(|w| w.resume.as_ref().and_then(|r| r.last.clone()))
}

/// At the end of a run: nothing of this world may stay registered in the library.
pub fn finish() {
    let registered = with(|w| w.resume.as_ref().is_some_and(|r| r.registered));
    if registered {
        unregister();
    }
    if with(|w| w.faults.trace) {
        with(|w| {
            if let Some(r) = w.resume.as_ref() {
                eprintln!("resume: {} saves, {} reopens", r.saves, r.reopens);
            }
        });
    }
}
