//! The POSIX PAL's side of resume across reboot (include/ota_ext.h, not part of v2.0.0): the
//! two PAL hooks of `OtaResumeInterface_t` and a persistence file for its record.
//!
//! * `otaPal_ReopenFileForRx` opens the partial receive file again, confined exactly as
//!   `otaPal_CreateFileForRx` is, but keeps its contents; abort and close then treat it as the
//!   file this PAL opened for the job (they identify it by the open stream).
//! * `otaPal_FlushFile` makes the blocks written so far durable.
//! * `otaPal_PosixResumeSave`, `otaPal_PosixResumeLoad` and `otaPal_PosixResumeErase` keep the
//!   record in [`RESUME_FILE_NAME`] at the top of the image folder, replaced atomically.
//!
//! A job can name neither the record nor its temporary file as its image
//! ([`is_resume_file`], checked by create and reopen).

use super::*;

/// Name of the resume record file, directly in the image folder (`OTA_PAL_POSIX_RESUME_FILE`).
pub const RESUME_FILE_NAME: &str = "ota_resume.rec";

/// [`RESUME_FILE_NAME`] as the `*at` calls take it.
const RECORD: &CStr = c"ota_resume.rec";

/// Where a new record is written before it is renamed over [`RECORD`].
const RECORD_TMP: &CStr = c"ota_resume.rec.tmp";

/// True for the names of the resume record and its temporary file, which a job must not
/// overwrite or delete (in any folder of the image tree, as the image state file's names).
pub(super) fn is_resume_file(name: &[u8]) -> bool {
    let record = RESUME_FILE_NAME.as_bytes();
    name == record || name.strip_prefix(record) == Some(b".tmp")
}

// ---------------------------------------------------------------------------------------------
// Descriptor calls only this file needs

impl Fd {
    /// Writes all of `data`, retrying short writes and `EINTR`.
    fn write_all(&self, data: &[u8]) -> Result<(), u32> {
        let mut done: usize = 0;
        while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
            // SAFETY: an open descriptor; `rest` is readable for its length.
            let n = unsafe { libc::write(self.0, rest.as_ptr().cast(), rest.len()) };
            match usize::try_from(n) {
                Ok(0) => return Err(code(libc::EIO)),
                Ok(n) => done = done.saturating_add(n),
                Err(_) if errno() == code(libc::EINTR) => {}
                Err(_) => return Err(errno_or(libc::EIO)),
            }
        }
        Ok(())
    }

    /// Flushes the file (or, for a folder, its entries) to the disk.
    fn sync(&self) -> Result<(), u32> {
        // SAFETY: an open descriptor, which fsync only flushes.
        match unsafe { libc::fsync(self.0) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }

    /// Closes the descriptor, reporting what `close` says.
    fn close(self) -> Result<(), u32> {
        let this = ManuallyDrop::new(self);
        // SAFETY: an open descriptor, closed once (ManuallyDrop disarmed the drop).
        match unsafe { libc::close(this.0) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }

    /// Renames the entry `from` of this folder to `to` in it, replacing `to` atomically.
    fn rename_at(&self, from: &CStr, to: &CStr) -> Result<(), u32> {
        // SAFETY: an open descriptor (used for both names) and NUL-terminated names.
        match unsafe { libc::renameat(self.0, from.as_ptr(), self.0, to.as_ptr()) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }

    /// Clears `O_NONBLOCK` (set only so that opening a FIFO cannot hang).
    fn set_blocking(&self) -> Result<(), u32> {
        // SAFETY: an open descriptor; F_GETFL takes no argument.
        let flags = unsafe { libc::fcntl(self.0, libc::F_GETFL) };
        if flags < 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: an open descriptor; F_SETFL takes an int of status flags.
        match unsafe { libc::fcntl(self.0, libc::F_SETFL, flags & !libc::O_NONBLOCK) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reopening the receive file

/// Opens the job's existing receive file read-write, keeping its contents.
///
/// Confined as [`create_image`]: the path must be one a job may give, inside the image folder,
/// not in the trust store, not the image state file or the resume record, with no symlink on
/// the way. The file itself must be a regular file (`ELOOP` for a symlink, `EISDIR` for a
/// folder, `EPERM` for anything else) with exactly one name (`EMLINK`: a hard link elsewhere,
/// e.g. the installed copy, must never be written through) and at most `max_size` bytes
/// (`EFBIG`). Nothing is created or truncated: a missing file is `ENOENT`.
fn reopen_image(path: &CStr, max_size: u32) -> Result<Stream, u32> {
    let (dir, name) = open_receive_folder(path)?;
    let name = name.as_c_str();
    let entry = dir.meta_at(name)?;
    if entry.kind == libc::S_IFLNK {
        return Err(code(libc::ELOOP));
    }
    if entry.kind == libc::S_IFDIR {
        return Err(code(libc::EISDIR));
    }
    if !entry.is_file() {
        return Err(code(libc::EPERM));
    }
    // O_NONBLOCK: should a FIFO be swapped in after the check above, opening it must not hang.
    let file = dir.open_at(name, libc::O_RDWR | libc::O_NONBLOCK)?;
    let meta = file.meta()?;
    if !meta.is_file() {
        return Err(code(libc::EPERM));
    }
    if meta.links != 1 {
        return Err(code(libc::EMLINK));
    }
    if meta.size > u64::from(max_size) {
        return Err(code(libc::EFBIG));
    }
    file.set_blocking()?;
    file.into_stream(c"r+b")
}

/// Reopens the partial receive file `pFilePath` of an interrupted download without creating or
/// truncating it, and keeps its stream in `pFile` (the `reopenFile` hook of
/// `OtaResumeInterface_t`). `otaPal_WriteBlock`, `otaPal_Abort` (which deletes it) and
/// `otaPal_CloseFile` (which verifies the whole file) then work on it as on a created one.
///
/// Returns `OtaPalSuccess`, or `OtaPalRxFileCreateFailed`: sub-code 0 for a NULL context or a
/// NULL or empty path; otherwise the `errno` of [`reopen_image`] (`ENOENT` when there is no
/// such file, `EMLINK`, `EFBIG`, `EPERM`, `ELOOP`, `EINVAL`, ...).
///
/// # Safety
/// `C` is NULL or a valid file context.
#[no_mangle]
pub unsafe extern "C" fn otaPal_ReopenFileForRx(
    C: *mut sys::OtaFileContext_t,
) -> sys::OtaPalStatus_t {
    // SAFETY: the caller's contract is receive_path's.
    let (ctx, path) = match unsafe { receive_path(C) } {
        Ok(found) => found,
        Err(status) => return status,
    };
    match reopen_image(path, ctx.fileSize) {
        Ok(file) => {
            ctx.pFile = file.into_raw();
            ota_log!(Info, "Receive file reopened: ", s(path));
            success()
        }
        Err(e) => {
            ota_log!(
                Warn,
                "Cannot reopen receive file ",
                s(path),
                ": errno=",
                u(e)
            );
            combine(sys::OtaPalRxFileCreateFailed, e)
        }
    }
}

/// Makes every block written so far durable: `fflush` and `fsync` of `pFile` (the `flushFile`
/// hook of `OtaResumeInterface_t`).
///
/// Returns `OtaPalSuccess`; `OtaPalNullFileContext` for a NULL context or no open file;
/// `OtaPalFileClose` with `errno` when flushing fails.
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`
/// or `otaPal_ReopenFileForRx`.
#[no_mangle]
pub unsafe extern "C" fn otaPal_FlushFile(C: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or a valid context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_ref() }) else {
        ota_log!(Error, "Invalid context.");
        return combine(sys::OtaPalNullFileContext, 0);
    };
    // SAFETY: pFile is NULL or our open stream; only borrowed here (ManuallyDrop).
    let Some(file) = (unsafe { Stream::adopt(ctx.pFile) }) else {
        ota_log!(Error, "No receive file open.");
        return combine(sys::OtaPalNullFileContext, 0);
    };
    let mut file = ManuallyDrop::new(file);
    match file.sync() {
        Ok(()) => success(),
        Err(e) => {
            ota_log!(Error, "Failed to flush the receive file: errno=", u(e));
            combine(sys::OtaPalFileClose, e)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The resume record file

/// The image folder, opened; `EPERM` when none is configured.
fn open_record_folder() -> Result<Fd, u32> {
    let root = Folder::Images.path().ok_or(code(libc::EPERM))?;
    Fd::open_dir(root.as_c_str().ok_or(code(libc::EINVAL))?)
}

/// Writes `record` to [`RECORD_TMP`], syncs it, renames it over [`RECORD`] and syncs the
/// folder: a crash leaves the old record or the new one, never a torn one.
fn save_record(record: &[u8]) -> Result<(), u32> {
    let dir = open_record_folder()?;
    // A stray temporary file (a crash mid-save) is replaced by a new one, never written through.
    dir.unlink_at(RECORD_TMP)?;
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_TRUNC | libc::O_NONBLOCK;
    let written = dir.open_at(RECORD_TMP, flags).and_then(|file| {
        file.write_all(record)?;
        file.sync()?;
        file.close()
    });
    let renamed = written.and_then(|()| dir.rename_at(RECORD_TMP, RECORD));
    if renamed.is_err() {
        let _ = dir.unlink_at(RECORD_TMP);
    }
    renamed?;
    dir.sync()
}

/// Reads the record into `buf`: its size, or 0 when it is empty or does not fit.
fn load_record(buf: &mut [u8]) -> Result<usize, u32> {
    let dir = open_record_folder()?;
    let file = dir.open_at(RECORD, libc::O_RDONLY | libc::O_NONBLOCK)?;
    let meta = file.meta()?;
    if !meta.is_file() {
        return Err(code(libc::EPERM));
    }
    let fits = u64::try_from(buf.len()).is_ok_and(|room| meta.size <= room);
    if !fits {
        return Ok(0);
    }
    let n = file.read(buf)?;
    if n == buf.len() {
        // Grown since fstat: more than fits.
        let mut more = [0u8; 1];
        if file.read(&mut more)? != 0 {
            return Ok(0);
        }
    }
    Ok(n)
}

/// Removes the record and a stray temporary file. With no image folder configured there is no
/// record this PAL could keep, so that counts as erased.
fn erase_record() -> Result<(), u32> {
    if Folder::Images.path().is_none() {
        return Ok(());
    }
    let dir = open_record_folder()?;
    let record = dir.unlink_at(RECORD);
    let tmp = dir.unlink_at(RECORD_TMP);
    record.and(tmp)?;
    dir.sync()
}

/// Stores the resume record (the `save` callback of `OtaResumeInterface_t`) in
/// `ota_resume.rec` in the image folder, replacing the previous one atomically (see
/// [`save_record`]). Returns false when `pRecord` is NULL, `recordSize` is 0, no image folder
/// is configured, or any step fails; the previous record is then kept, unless only the final
/// sync of the folder failed.
///
/// # Safety
/// `pRecord` is NULL or readable for `recordSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn otaPal_PosixResumeSave(pRecord: *const u8, recordSize: u32) -> bool {
    let Ok(len) = usize::try_from(recordSize) else {
        return false;
    };
    if pRecord.is_null() || len == 0 {
        return false;
    }
    // SAFETY: non-NULL and readable for recordSize bytes (the caller's contract).
    let record = unsafe { core::slice::from_raw_parts(pRecord, len) };
    match save_record(record) {
        Ok(()) => true,
        Err(e) => {
            ota_log!(Error, "Failed to save the resume record: errno=", u(e));
            false
        }
    }
}

/// Copies the stored resume record into `pBuffer` (the `load` callback of
/// `OtaResumeInterface_t`) and returns its size; 0 when there is none, it is empty, unreadable,
/// not a regular file, larger than `bufferSize`, no image folder is configured, or `pBuffer` is
/// NULL. The contents are not checked here (the library checks magic, CRC and fields).
///
/// # Safety
/// `pBuffer` is NULL or writable for `bufferSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn otaPal_PosixResumeLoad(pBuffer: *mut u8, bufferSize: u32) -> u32 {
    let Ok(len) = usize::try_from(bufferSize) else {
        return 0;
    };
    if pBuffer.is_null() || len == 0 {
        return 0;
    }
    // SAFETY: non-NULL and writable for bufferSize bytes (the caller's contract).
    let buf = unsafe { core::slice::from_raw_parts_mut(pBuffer, len) };
    match load_record(buf) {
        Ok(n) => u32::try_from(n).unwrap_or(0),
        Err(e) if e == code(libc::ENOENT) => 0,
        Err(e) => {
            ota_log!(Warn, "Cannot read the resume record: errno=", u(e));
            0
        }
    }
}

/// Deletes the resume record and a stray temporary one (the `erase` callback of
/// `OtaResumeInterface_t`). Returns true when no record remains: removed, already absent, or
/// no image folder configured; false when removing fails.
#[no_mangle]
pub extern "C" fn otaPal_PosixResumeErase() -> bool {
    match erase_record() {
        Ok(()) => true,
        Err(e) => {
            ota_log!(Error, "Failed to erase the resume record: errno=", u(e));
            false
        }
    }
}
