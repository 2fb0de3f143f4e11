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

mod hooks;
mod table;

pub use hooks::*;
use table::*;

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
        let t = sys::OtaResumeInterface_t {
            save: Some(r_save),
            load: Some(r_load),
            erase: Some(r_erase),
            reopenFile: Some(r_reopen),
            flushFile: if cfg.flush_hook { Some(r_flush) } else { None },
            pRecordBuffer: buffer.as_mut_ptr(),
            recordBufferSize: cfg.buffer_size,
            saveEveryBlocks: cfg.every,
        };
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
