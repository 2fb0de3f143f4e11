//! Resume across reboot and power loss (include/ota_ext.h; not part of v2.0.0).
//!
//! The agent calls four hooks: when a new job's file is about to be created ([`reopen`]), after
//! each block written ([`block_written`]), at suspend ([`checkpoint`]) and when the job's file is
//! released for good ([`forget`]). Until the application registers, each is one look at an
//! empty slot: the code behind them is reached only through the entry `OTA_EXT_SetResume`
//! installs, so a firmware that never calls it links none of it and behaves as v2.0.0.

mod record;

use crate::sys::fctx::{self, Text, FILE};
use crate::sys::global::Global;
use crate::sys::{self, ext, OtaFileContext_t, OtaResumeInterface_t};
use crate::{bitmap, config};
use record::Record;

/// The agent's calls into the extension.
#[derive(Clone, Copy)]
enum Hook {
    Reopen,
    BlockWritten,
    Checkpoint,
    Forget,
}

/// The extension's one entry: what the registration installs in `REGISTERED`.
fn dispatch(hook: Hook) -> bool {
    match hook {
        Hook::Reopen => return reopen_saved(),
        Hook::BlockWritten => count_block(),
        Hook::Checkpoint => save_if_new_blocks(),
        Hook::Forget => erase_record(),
    }
    false
}

type Entry = fn(Hook) -> bool;

static REGISTERED: Global<Option<Entry>> = Global::new(None);

/// Installs the application's table (NULL uninstalls); the caller checked its entries.
pub(crate) fn register(table: *const OtaResumeInterface_t) {
    if table.is_null() {
        REGISTERED.with(|r| *r = None);
        ext::install(table);
    } else {
        ext::install(table);
        // A registration again (another table, or the same) keeps the count and what is known
        // to be stored; only a first one starts them afresh.
        if REGISTERED.with(|r| r.is_none()) {
            PROGRESS.with(|p| *p = Progress::new());
        }
        // Opaque to the optimiser: otherwise it sees the slot can only ever hold `dispatch`,
        // calls it directly, and every firmware links the extension whether it registers or not.
        let entry = core::hint::black_box(dispatch as Entry);
        REGISTERED.with(|r| *r = Some(entry));
    }
}

// One call site's worth of code for every hook: a firmware that never registers pays this.
#[inline(never)]
fn call(hook: Hook) -> bool {
    // Unregistered (the usual case): no critical section at every block.
    ext::installed() && REGISTERED.with(|r| *r).is_some_and(|entry| entry(hook))
}

/// For a new job whose bitmap is prepared (every block needed): true when the saved record
/// is this download and the PAL reopened its file, the bitmap and count now the record's.
pub(crate) fn reopen() -> bool {
    call(Hook::Reopen)
}

/// After a block is written: saves every `saveEveryBlocks` blocks.
pub(crate) fn block_written() {
    // Tested here too: at every block, the unregistered case makes no call.
    if ext::installed() {
        call(Hook::BlockWritten);
    }
}

/// Saves now if blocks arrived since the last save (suspend).
pub(crate) fn checkpoint() {
    call(Hook::Checkpoint);
}

/// The job's download is over (done, failed, cancelled, aborted): erases the record. Inlined:
/// the hook's number at each of its three callers beats a function of its own (-4 B, measured).
#[inline(always)]
pub(crate) fn forget() {
    call(Hook::Forget);
}

/// What the agent remembers between saves.
struct Progress {
    /// Blocks written since the last save.
    since_save: u32,
    /// No record is stored (erased, or none loaded), so there is nothing to erase.
    none_stored: bool,
}

impl Progress {
    const fn new() -> Self {
        Progress {
            since_save: 0,
            none_stored: false,
        }
    }
}

static PROGRESS: Global<Progress> = Global::new(Progress::new());

/// The download the file context describes, in a record's terms (None without a bitmap).
fn current(f: &OtaFileContext_t) -> Option<Record<'_>> {
    Some(Record {
        job: fctx::text(f, Text::JobName),
        stream: fctx::text(f, Text::StreamName),
        file_size: f.fileSize,
        block_size: config::FILE_BLOCK_SIZE,
        file_id: f.serverFileID,
        path_crc: record::crc32(fctx::text(f, Text::FilePath)),
        bitmap: fctx::bitmap_ref(f, bitmap::len_for(config::blocks_in(f.fileSize)))?,
    })
}

/// What the saved record turned out to be.
enum Saved<'a> {
    None,
    Other,
    /// This download's record, needing this many of the file's blocks.
    This(Record<'a>, u32, u32),
}

/// Under the file context's lock: compares the record with the download. A bit set beyond the
/// file's last block, or no block left to fetch, makes it another download's.
fn check<'a>(f: &OtaFileContext_t, bytes: &'a [u8]) -> Saved<'a> {
    if bytes.is_empty() {
        return Saved::None;
    }
    let Some(saved) = record::decode(bytes) else {
        return Saved::Other;
    };
    // A file still open is a download a verdict ended without the agent closing it (the same
    // job may come again): its record is no partial file to reopen.
    if !f.pFile.is_null() {
        return Saved::Other;
    }
    let Some(now) = current(f).filter(|now| now.same_file(&saved)) else {
        return Saved::Other;
    };
    // The prepared bitmap has exactly the file's blocks set: the record may only clear bits.
    let subset = now
        .bitmap
        .iter()
        .zip(saved.bitmap)
        .all(|(&all, &s)| s & !all == 0);
    let needed: u32 = saved.bitmap.iter().map(|b| b.count_ones()).sum();
    if !subset || needed == 0 {
        return Saved::Other;
    }
    Saved::This(saved, needed, config::blocks_in(f.fileSize))
}

fn reopen_saved() -> bool {
    ext::with_record_buffer(|buf| {
        let n = ext::load(buf);
        let bytes = buf.get(..n).unwrap_or(&[]);
        let saved = FILE.with(|f| check(f, bytes));
        // What was just loaded is stored, whatever an earlier erase or empty load said (else
        // the erase below, or the one when this job ends, would be skipped and the record stay).
        PROGRESS.with(|p| p.none_stored = matches!(saved, Saved::None));
        let (record, needed, blocks) = match saved {
            Saved::None => return false,
            Saved::Other => {
                ota_log!(
                    Info,
                    "The saved download is not this job's; starting from block 0"
                );
                erase_record();
                return false;
            }
            Saved::This(record, needed, blocks) => (record, needed, blocks),
        };
        let status = ext::reopen_file();
        if sys::pal_main(status) != sys::OtaPalSuccess {
            ota_log!(
                Warn,
                "The PAL could not reopen the partial file (status 0x",
                x08(status),
                "); starting from block 0"
            );
            erase_record();
            return false;
        }
        // Only now the bitmap and the count become the record's.
        FILE.with(|f| {
            if let Some(bits) = fctx::bitmap(f, record.bitmap.len()) {
                bits.copy_from_slice(record.bitmap);
                f.blocksRemaining = needed;
            }
        });
        PROGRESS.with(|p| p.since_save = 0);
        ota_log!(
            Info,
            "Resuming the download: ",
            u(needed),
            " of ",
            u(blocks),
            " blocks still needed"
        );
        true
    })
    .unwrap_or(false)
}

fn count_block() {
    let interval = ext::save_interval();
    let due = PROGRESS.with(|p| {
        p.since_save = p.since_save.saturating_add(1);
        p.since_save >= interval
    });
    if due {
        save();
    }
}

fn save_if_new_blocks() {
    if PROGRESS.with(|p| p.since_save > 0) {
        save();
    }
}

/// Whether a file is open with blocks still to come (the only time a record means anything).
fn downloading(f: &OtaFileContext_t) -> bool {
    f.blocksRemaining > 0 && !f.pFile.is_null()
}

/// Flushes the file, then stores the record of the download in progress. A failure is logged
/// and retried only after another interval of blocks, so flash writes stay bounded.
fn save() {
    PROGRESS.with(|p| p.since_save = 0);
    if !FILE.with(|f| downloading(f)) {
        return;
    }
    let flushed = ext::flush_file();
    if sys::pal_main(flushed) != sys::OtaPalSuccess {
        ota_log!(
            Warn,
            "Resume record not saved: the PAL could not flush the file (status 0x",
            x08(flushed),
            ")"
        );
        return;
    }
    let saved = ext::with_record_buffer(|buf| {
        let len = FILE.with(|f| current(f).and_then(|r| record::encode(buf, &r)));
        len.and_then(|n| buf.get(..n)).map(ext::save)
    });
    match saved.flatten() {
        Some(true) => PROGRESS.with(|p| p.none_stored = false),
        Some(false) => ota_log!(Warn, "The application could not save the resume record"),
        // The record is larger than the application's buffer.
        None => ota_log!(
            Warn,
            "Resume record not saved: it does not fit the application's record buffer"
        ),
    }
}

fn erase_record() {
    let stored = PROGRESS.with(|p| {
        p.since_save = 0;
        !p.none_stored
    });
    if !stored {
        return;
    }
    if ext::erase() {
        PROGRESS.with(|p| p.none_stored = true);
    } else {
        ota_log!(Warn, "The application could not erase the resume record");
    }
}
