//! Calls out to the application's `OtaResumeInterface_t` (include/ota_ext.h, not v2.0.0): the
//! record's persistence callbacks, the PAL's reopen and flush hooks and the record buffer.
//!
//! As with `OtaInterfaces_t`, the agent keeps the application's pointer and reads each entry at
//! call time. Only `crate::resume` calls these, so a firmware that never registers links none.

use crate::sys::file::FILE;
use crate::sys::*;
use core::ptr::{addr_of, null_mut};
use core::sync::atomic::{AtomicPtr, Ordering};

static RESUME: AtomicPtr<OtaResumeInterface_t> = AtomicPtr::new(null_mut());

/// Remembers the application's table; NULL forgets it.
pub fn install(table: *const OtaResumeInterface_t) {
    RESUME.store(table.cast_mut(), Ordering::Release);
}

/// Whether a table is installed: one load, no lock (the agent asks at every block).
pub fn installed() -> bool {
    !RESUME.load(Ordering::Acquire).is_null()
}

/// Reads one field of the installed table.
macro_rules! field {
    ($field:ident) => {{
        let table = RESUME.load(Ordering::Acquire);
        if table.is_null() {
            None
        } else {
            // SAFETY: `table` is the application's OtaResumeInterface_t, valid while it is
            // registered (the ota_ext.h contract); the field is read by value.
            Some(unsafe { addr_of!((*table).$field).read() })
        }
    }};
}

/// Stores `record`; false when the callback is missing or says it failed.
pub fn save(record: &[u8]) -> bool {
    let Ok(size) = u32::try_from(record.len()) else {
        return false;
    };
    match field!(save).flatten() {
        // SAFETY: `record` is readable for `size` bytes during the call.
        Some(f) => unsafe { f(record.as_ptr(), size) },
        None => false,
    }
}

/// Loads the stored record into `buf`; its size, 0 when there is none.
pub fn load(buf: &mut [u8]) -> usize {
    let size = u32::try_from(buf.len()).unwrap_or(u32::MAX);
    let loaded = match field!(load).flatten() {
        // SAFETY: `buf` is writable for `size` bytes during the call.
        Some(f) => unsafe { f(buf.as_mut_ptr(), size) },
        None => 0,
    };
    // A size beyond the buffer is the callback's error: nothing usable was loaded.
    usize::try_from(loaded)
        .ok()
        .filter(|&n| n <= buf.len())
        .unwrap_or(0)
}

pub fn erase() -> bool {
    match field!(erase).flatten() {
        // SAFETY: no arguments.
        Some(f) => unsafe { f() },
        None => false,
    }
}

/// The PAL's reopen hook on the file context (a missing hook fails, so nothing resumes).
pub fn reopen_file() -> OtaPalStatus_t {
    match field!(reopenFile).flatten() {
        // SAFETY: the file context is a static, valid for the program's life.
        Some(f) => unsafe { f(FILE.as_ptr()) },
        None => pal_status(OtaPalRxFileCreateFailed),
    }
}

/// The PAL's flush hook; success when there is none (writes are durable when they return).
pub fn flush_file() -> OtaPalStatus_t {
    match field!(flushFile).flatten() {
        // SAFETY: as for `reopen_file`.
        Some(f) => unsafe { f(FILE.as_ptr()) },
        None => pal_status(OtaPalSuccess),
    }
}

/// Blocks between two saves.
pub fn save_interval() -> u32 {
    match field!(saveEveryBlocks) {
        Some(0) | None => OTA_EXT_RESUME_DEFAULT_SAVE_INTERVAL,
        Some(n) => n,
    }
}

/// Runs `f` on the application's record buffer, if one is registered.
pub fn with_record_buffer<R>(f: impl FnOnce(&mut [u8]) -> R) -> Option<R> {
    let ptr = field!(pRecordBuffer)?;
    let len = usize::try_from(field!(recordBufferSize)?).ok()?;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the application gave pRecordBuffer with recordBufferSize bytes for the agent's
    // use while registered; only the agent task reaches it, one call at a time.
    Some(f(unsafe { core::slice::from_raw_parts_mut(ptr, len) }))
}
