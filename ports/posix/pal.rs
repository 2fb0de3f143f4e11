//! The POSIX platform abstraction layer: the `otaPal_*` functions a Linux application of OTA
//! v2.0.0 links, with the names, prototypes and status codes of the POSIX PAL in the AWS IoT
//! Device SDK for Embedded C (`ota_pal_posix.h`). Built into libota.a only with the `pal-posix`
//! feature (CMake: `OTA_PAL_POSIX=ON`).
//!
//! * Image store: the job's file path, inside the image folder the device configured (never an
//!   absolute path, a `..` or a symlink), written block by block at any offset.
//! * Code signing: `otaPal_CloseFile` checks the job's `sig-sha256-ecdsa` signature (ECDSA
//!   P-256 over SHA-256, DER-encoded) against the public key of a signer certificate the device
//!   trusts: one given at start-up, or an X.509 PEM file in the device's trust store folder. The
//!   job's `certfile` only picks one of them by plain name. Pure-Rust crates: no OpenSSL, no
//!   allocation, bounded stack.
//! * Image state: a small file ([`STATE_FILE_NAME`] in [`STATE_DIR_ENV`], else in the working
//!   directory) that outlives the process, so a restart finds a new image pending commit.
//!
//! ports/posix/README.md tells what each function does, the trust model, and where it goes
//! beyond the SDK's PAL. This module is the C edge of the port: every `unsafe` block is a libc
//! call or a pointer the caller handed over, each with its reason.
#![allow(non_snake_case)]

use crate::sys;
use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int, CStr};
use core::mem::{ManuallyDrop, MaybeUninit};
use core::ptr::{self, NonNull};
use p256::ecdsa::signature::hazmat::PrehashVerifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

/// Name of the image state file, as in the SDK's PAL, so a device moving to this PAL keeps its
/// state. It holds the last `OtaImageState_t` set, as the 4 bytes of a C `enum` in host order.
pub const STATE_FILE_NAME: &str = "PlatformImageState.txt";

/// Environment variable naming the folder of the image state file. Unset or empty: the process's
/// working directory, where the SDK's PAL keeps it.
pub const STATE_DIR_ENV: &CStr = c"OTA_PAL_POSIX_STATE_DIR";

/// Environment variable naming the image folder when the application has not called
/// `otaPal_PosixSetImageDir`. Neither set: no image folder, every file is refused.
pub const IMAGE_DIR_ENV: &CStr = c"OTA_PAL_POSIX_IMAGE_DIR";

/// Environment variable naming the trust store folder when the application has not called
/// `otaPal_PosixSetTrustStore`. Neither set: only certificates given at start-up are trusted.
pub const TRUST_DIR_ENV: &CStr = c"OTA_PAL_POSIX_TRUST_DIR";

/// Longest state file path and longest configured folder, NUL included (the SDK header's
/// `OTA_FILE_PATH_LENGTH_MAX`); also the longest job file path.
const PATH_MAX_LEN: usize = 512;

/// Longest certificate name a job may give, NUL excluded (`OTA_PAL_POSIX_CERT_NAME_MAX`).
pub const CERT_NAME_MAX: usize = 64;

/// Certificates `otaPal_PosixAddTrustedCertificate` holds (`OTA_PAL_POSIX_TRUSTED_CERTS_MAX`).
pub const TRUSTED_CERTS_MAX: usize = 4;

/// Longest component of a job file path (Linux's `NAME_MAX`).
const NAME_MAX: usize = 255;

/// Largest signer certificate file read; a certificate that does not end within it is refused.
const CERT_PEM_MAX: usize = 8192;

/// Room for the DER the largest accepted PEM can carry.
const CERT_DER_MAX: usize = CERT_PEM_MAX / 4 * 3;

/// Bytes of the image hashed per read.
const HASH_CHUNK: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Status values

/// `OTA_PAL_COMBINE_ERR( main, sub )`.
fn combine(main: sys::OtaPalMainStatus, sub: u32) -> sys::OtaPalStatus_t {
    (main & 0xff).wrapping_shl(sys::OTA_PAL_SUB_BITS) | (sub & sys::OTA_PAL_ERR_MASK)
}

/// `OTA_PAL_MAIN_ERR( status )`.
fn main_of(status: sys::OtaPalStatus_t) -> sys::OtaPalMainStatus {
    status.wrapping_shr(sys::OTA_PAL_SUB_BITS)
}

fn success() -> sys::OtaPalStatus_t {
    combine(sys::OtaPalSuccess, 0)
}

// ---------------------------------------------------------------------------------------------
// libc: errno, C strings, streams, files

/// This thread's `errno` as a PAL sub-code.
fn errno() -> u32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: returns the address of this thread's errno, valid for the thread's lifetime.
    let value: c_int = unsafe { *libc::__errno_location() };
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    // SAFETY: as above (these systems name the function `__error`).
    let value: c_int = unsafe { *libc::__error() };
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )))]
    let value: c_int = 0;
    u32::try_from(value).unwrap_or(0) & sys::OTA_PAL_ERR_MASK
}

/// `errno`, or `fallback` when the failed call left it at 0 (a short `fwrite` may).
fn errno_or(fallback: c_int) -> u32 {
    match errno() {
        0 => u32::try_from(fallback).unwrap_or(0),
        e => e,
    }
}

/// The NUL-terminated string the agent keeps at `ptr`: within `max` bytes when the application
/// gave the buffer (`max` is its size), else an allocated string of any length.
///
/// # Safety
/// `ptr` is NULL, or points to `max` readable bytes (`max` > 0), or to a NUL-terminated string.
unsafe fn context_string<'a>(ptr: *const u8, max: u16) -> Option<&'a CStr> {
    if ptr.is_null() {
        return None;
    }
    if max == 0 {
        // SAFETY: the caller promises a NUL-terminated string at `ptr`.
        return Some(unsafe { CStr::from_ptr(ptr.cast::<c_char>()) });
    }
    // SAFETY: the caller promises `max` readable bytes at `ptr`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, usize::from(max)) };
    CStr::from_bytes_until_nul(bytes).ok()
}

/// A C stdio stream, closed when dropped.
struct Stream(NonNull<libc::FILE>);

impl Stream {
    fn open(path: &CStr, mode: &CStr) -> Result<Stream, u32> {
        // SAFETY: both arguments are NUL-terminated strings that outlive the call.
        let fp = unsafe { libc::fopen(path.as_ptr(), mode.as_ptr()) };
        NonNull::new(fp).map(Stream).ok_or_else(errno)
    }

    /// Takes over the stream a file context holds (`None` for NULL).
    ///
    /// # Safety
    /// `fp` is NULL or a stream from `fopen` that nothing else closes while this value lives,
    /// unless it is wrapped in `ManuallyDrop` (a borrow).
    unsafe fn adopt(fp: *mut sys::FILE) -> Option<Stream> {
        NonNull::new(fp.cast::<libc::FILE>()).map(Stream)
    }

    /// The identity and type of the open file.
    fn meta(&self) -> Result<Meta, u32> {
        // SAFETY: an open stream; fileno only reads its descriptor.
        let fd = ManuallyDrop::new(Fd(unsafe { libc::fileno(self.0.as_ptr()) }));
        fd.meta()
    }

    /// Hands the stream back to C, still open.
    fn into_raw(self) -> *mut sys::FILE {
        let this = ManuallyDrop::new(self);
        this.0.as_ptr().cast::<sys::FILE>()
    }

    fn seek(&mut self, offset: u64) -> Result<(), u32> {
        let offset = libc::off_t::try_from(offset).map_err(|_| errno_or(libc::EOVERFLOW))?;
        // SAFETY: an open stream; fseeko accepts any offset and reports failure.
        match unsafe { libc::fseeko(self.0.as_ptr(), offset, libc::SEEK_SET) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }

    fn write_all(&mut self, data: &[u8]) -> Result<(), u32> {
        // SAFETY: `data` is readable for its length; the stream is open.
        let n = unsafe { libc::fwrite(data.as_ptr().cast(), 1, data.len(), self.0.as_ptr()) };
        if n == data.len() {
            Ok(())
        } else {
            Err(errno_or(libc::EIO))
        }
    }

    /// Fills as much of `buf` as the stream has left; fewer bytes only at end of file.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, u32> {
        // SAFETY: `buf` is writable for its length; the stream is open.
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), self.0.as_ptr()) };
        // SAFETY: an open stream.
        if n < buf.len() && unsafe { libc::ferror(self.0.as_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        Ok(n.min(buf.len()))
    }

    /// Pushes buffered data to the file and the file to the disk.
    fn sync(&mut self) -> Result<(), u32> {
        // SAFETY: an open stream.
        if unsafe { libc::fflush(self.0.as_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: an open stream has a valid descriptor, which fsync only flushes.
        if unsafe { libc::fsync(libc::fileno(self.0.as_ptr())) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        Ok(())
    }

    fn close(self) -> Result<(), u32> {
        let fp = self.into_raw().cast::<libc::FILE>();
        // SAFETY: an open stream, closed once (into_raw disarmed the drop).
        match unsafe { libc::fclose(fp) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: an open stream, closed once; nothing to report on this path.
        let _ = unsafe { libc::fclose(self.0.as_ptr()) };
    }
}

/// Removes a file; one that is already gone counts as removed.
fn remove_file(path: &CStr) -> Result<(), u32> {
    // SAFETY: a NUL-terminated path that outlives the call.
    if unsafe { libc::unlink(path.as_ptr()) } == 0 {
        return Ok(());
    }
    match errno() {
        e if e == u32::try_from(libc::ENOENT).unwrap_or(0) => Ok(()),
        e => Err(e),
    }
}

fn rename_file(from: &CStr, to: &CStr) -> Result<(), u32> {
    // SAFETY: NUL-terminated paths that outlive the call.
    match unsafe { libc::rename(from.as_ptr(), to.as_ptr()) } {
        0 => Ok(()),
        _ => Err(errno_or(libc::EIO)),
    }
}

/// An `errno` constant as a PAL sub-code.
fn code(e: c_int) -> u32 {
    u32::try_from(e).unwrap_or(0) & sys::OTA_PAL_ERR_MASK
}

/// Which file a name leads to: two names of one file have the same identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    dev: libc::dev_t,
    ino: libc::ino_t,
}

/// What this PAL needs of a `struct stat`.
#[derive(Clone, Copy)]
struct Meta {
    id: Identity,
    kind: libc::mode_t,
    /// Names the file has (`st_nlink`).
    links: u64,
    /// Size in bytes (`st_size`; 0 if negative).
    size: u64,
}

impl Meta {
    fn of(st: &libc::stat) -> Meta {
        Meta {
            id: Identity {
                dev: st.st_dev,
                ino: st.st_ino,
            },
            kind: st.st_mode & libc::S_IFMT,
            links: u64::from(st.st_nlink),
            size: u64::try_from(st.st_size).unwrap_or(0),
        }
    }

    fn is_file(self) -> bool {
        self.kind == libc::S_IFREG
    }
}

/// `stat` of the path the device configured (symlinks followed: the path is the device's).
fn meta_of_path(path: &CStr) -> Result<Meta, u32> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: a NUL-terminated path and room for one `struct stat`.
    if unsafe { libc::stat(path.as_ptr(), st.as_mut_ptr()) } != 0 {
        return Err(errno_or(libc::EIO));
    }
    // SAFETY: stat returned 0, so it filled `st`.
    Ok(Meta::of(unsafe { st.assume_init_ref() }))
}

/// An open file descriptor, closed when dropped.
struct Fd(c_int);

impl Fd {
    fn checked(fd: c_int) -> Result<Fd, u32> {
        if fd < 0 {
            Err(errno_or(libc::EIO))
        } else {
            Ok(Fd(fd))
        }
    }

    /// Opens a folder the device configured, following symlinks on its path.
    fn open_dir(path: &CStr) -> Result<Fd, u32> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated path that outlives the call; no mode without O_CREAT.
        Fd::checked(unsafe { libc::open(path.as_ptr(), flags) })
    }

    /// Opens `name` in this folder with `flags`, never through a symlink: `name` has no `/`
    /// (see [`plain_name`]) and `O_NOFOLLOW` refuses a symlink as the last component.
    fn open_at(&self, name: &CStr, flags: c_int) -> Result<Fd, u32> {
        let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let mode: libc::c_uint = 0o666;
        // SAFETY: an open descriptor and a NUL-terminated name; the mode is read with O_CREAT.
        Fd::checked(unsafe { libc::openat(self.0, name.as_ptr(), flags, mode) })
    }

    fn meta(&self) -> Result<Meta, u32> {
        let mut st = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: an open descriptor and room for one `struct stat`.
        if unsafe { libc::fstat(self.0, st.as_mut_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: fstat returned 0, so it filled `st`.
        Ok(Meta::of(unsafe { st.assume_init_ref() }))
    }

    /// `stat` of the entry `name` in this folder itself (a symlink is reported as one).
    fn meta_at(&self, name: &CStr) -> Result<Meta, u32> {
        let mut st = MaybeUninit::<libc::stat>::uninit();
        let flags = libc::AT_SYMLINK_NOFOLLOW;
        // SAFETY: an open descriptor, a NUL-terminated name and room for one `struct stat`.
        if unsafe { libc::fstatat(self.0, name.as_ptr(), st.as_mut_ptr(), flags) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: fstatat returned 0, so it filled `st`.
        Ok(Meta::of(unsafe { st.assume_init_ref() }))
    }

    /// Removes the entry `name` of this folder (never what a symlink points to); an entry that
    /// is already gone counts as removed.
    fn unlink_at(&self, name: &CStr) -> Result<(), u32> {
        // SAFETY: an open descriptor and a NUL-terminated name.
        if unsafe { libc::unlinkat(self.0, name.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        match errno() {
            e if e == code(libc::ENOENT) => Ok(()),
            e => Err(e),
        }
    }

    /// Fills as much of `buf` as the file has; fewer bytes only at end of file.
    fn read(&self, buf: &mut [u8]) -> Result<usize, u32> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            // SAFETY: an open descriptor; `rest` is writable for its length.
            let n = unsafe { libc::read(self.0, rest.as_mut_ptr().cast(), rest.len()) };
            match usize::try_from(n) {
                Ok(0) => break,
                Ok(n) => done = done.saturating_add(n).min(buf.len()),
                Err(_) if errno() == code(libc::EINTR) => {}
                Err(_) => return Err(errno_or(libc::EIO)),
            }
        }
        Ok(done)
    }

    /// A stdio stream on this descriptor (`fdopen`), which then owns it.
    fn into_stream(self, mode: &CStr) -> Result<Stream, u32> {
        // SAFETY: an open descriptor and a NUL-terminated mode; on success the stream owns the
        // descriptor, so this value must not close it (ManuallyDrop below).
        let fp = unsafe { libc::fdopen(self.0, mode.as_ptr()) };
        let stream = NonNull::new(fp)
            .map(Stream)
            .ok_or_else(|| errno_or(libc::ENOMEM))?;
        let _ = ManuallyDrop::new(self);
        Ok(stream)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: an open descriptor, closed once; nothing to report on this path.
        let _ = unsafe { libc::close(self.0) };
    }
}

// ---------------------------------------------------------------------------------------------
// Image state file

/// A NUL-terminated path built on the stack.
#[derive(Clone, Copy)]
struct PathBuf {
    buf: [u8; PATH_MAX_LEN],
    len: usize,
}

impl PathBuf {
    const fn new() -> PathBuf {
        PathBuf {
            buf: [0; PATH_MAX_LEN],
            len: 0,
        }
    }

    /// `bytes` as a path; `None` when they do not fit with their NUL.
    fn from_bytes(bytes: &[u8]) -> Option<PathBuf> {
        let mut path = PathBuf::new();
        path.push(bytes)?;
        Some(path)
    }

    fn push(&mut self, part: &[u8]) -> Option<()> {
        let end = self.len.checked_add(part.len())?;
        // Keep a byte for the NUL.
        self.buf.get_mut(self.len..end)?.copy_from_slice(part);
        *self.buf.get_mut(end)? = 0;
        self.len = end;
        Some(())
    }

    fn as_c_str(&self) -> Option<&CStr> {
        CStr::from_bytes_with_nul(self.buf.get(..=self.len)?).ok()
    }
}

/// `$OTA_PAL_POSIX_STATE_DIR/PlatformImageState.txt` plus `suffix`, or the name alone (the
/// working directory) when the variable is unset or empty; `None` when it does not fit.
fn state_path(suffix: &[u8]) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    // SAFETY: getenv returns NULL or a NUL-terminated string owned by the environment, which
    // is copied out before anything else runs in this thread.
    let dir = unsafe { libc::getenv(STATE_DIR_ENV.as_ptr()) };
    if !dir.is_null() {
        // SAFETY: non-NULL, so a NUL-terminated string (above).
        let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
        if !dir.is_empty() {
            path.push(dir)?;
            if !dir.ends_with(b"/") {
                path.push(b"/")?;
            }
        }
    }
    path.push(STATE_FILE_NAME.as_bytes())?;
    path.push(suffix)?;
    Some(path)
}

/// Records `state` durably: written to a temporary file, synced, then renamed over the state
/// file, so a crash leaves the old state or the new one, never a torn file.
fn write_state(state: sys::OtaImageState_t) -> Result<(), u32> {
    let (Some(tmp), Some(path)) = (state_path(b".tmp"), state_path(b"")) else {
        ota_log!(
            Error,
            "Image state file path is longer than ",
            u(PATH_MAX_LEN),
            " bytes"
        );
        return Err(0);
    };
    let (Some(tmp), Some(path)) = (tmp.as_c_str(), path.as_c_str()) else {
        return Err(0);
    };
    let written = Stream::open(tmp, c"wb").and_then(|mut file| {
        file.write_all(&state.to_ne_bytes())?;
        file.sync()?;
        file.close()
    });
    let result = written.and_then(|()| rename_file(tmp, path));
    if let Err(e) = result {
        ota_log!(
            Error,
            "Unable to write image state file ",
            s(path),
            ": errno=",
            u(e)
        );
        let _ = remove_file(tmp);
    }
    result
}

/// The state recorded by [`write_state`], as the agent asks for it.
fn read_state() -> sys::OtaPalImageState_t {
    let Some(path) = state_path(b"") else {
        ota_log!(
            Error,
            "Image state file path is longer than ",
            u(PATH_MAX_LEN),
            " bytes"
        );
        return sys::OtaPalImageStateInvalid;
    };
    let Some(path) = path.as_c_str() else {
        return sys::OtaPalImageStateInvalid;
    };
    let mut file = match Stream::open(path, c"rb") {
        Ok(file) => file,
        // Never written: the image running is the factory image.
        Err(e) if e == u32::try_from(libc::ENOENT).unwrap_or(0) => {
            return sys::OtaPalImageStateValid
        }
        Err(e) => {
            ota_log!(
                Error,
                "Unable to open image state file ",
                s(path),
                ": errno=",
                u(e)
            );
            return sys::OtaPalImageStateInvalid;
        }
    };
    let mut bytes = [0u8; core::mem::size_of::<sys::OtaImageState_t>()];
    let read = file.read(&mut bytes);
    let closed = file.close();
    match (read, closed) {
        (Ok(n), Ok(())) if n == bytes.len() => {
            pal_state_of(sys::OtaImageState_t::from_ne_bytes(bytes))
        }
        _ => {
            ota_log!(Error, "Failed to read image state file ", s(path));
            sys::OtaPalImageStateInvalid
        }
    }
}

/// What the platform reports for the last state the agent set.
fn pal_state_of(state: sys::OtaImageState_t) -> sys::OtaPalImageState_t {
    match state {
        sys::OtaImageStateTesting => sys::OtaPalImageStatePendingCommit,
        sys::OtaImageStateAccepted => sys::OtaPalImageStateValid,
        _ => sys::OtaPalImageStateInvalid,
    }
}

// ---------------------------------------------------------------------------------------------
// The device's configuration: image folder, trust store folder, certificates given at start-up

/// One certificate the application gave: its name and its P-256 key.
#[derive(Clone, Copy)]
struct TrustedCert {
    name: [u8; CERT_NAME_MAX],
    len: usize,
    key: VerifyingKey,
}

impl TrustedCert {
    fn name(&self) -> &[u8] {
        self.name.get(..self.len).unwrap_or(&[])
    }
}

/// What the application set; `None` folders fall back to the environment.
struct Config {
    image_dir: Option<PathBuf>,
    trust_dir: Option<PathBuf>,
    certs: [Option<TrustedCert>; TRUSTED_CERTS_MAX],
}

struct Shared {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    config: UnsafeCell<Config>,
}

// SAFETY: `config` is reached only through a `ConfigGuard`, which exists only while the current
// thread holds `mutex`; a pthread mutex is made to be shared between threads.
unsafe impl Sync for Shared {}

const NO_CERT: Option<TrustedCert> = None;

static SHARED: Shared = Shared {
    mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    config: UnsafeCell::new(Config {
        image_dir: None,
        trust_dir: None,
        certs: [NO_CERT; TRUSTED_CERTS_MAX],
    }),
};

/// Proof that this thread holds `SHARED.mutex`; unlocks when dropped. Values are copied out
/// under it and used after it is gone: nothing slow or foreign runs while it is held.
struct ConfigGuard {
    _private: (),
}

fn lock_config() -> Option<ConfigGuard> {
    // SAFETY: a statically initialised mutex that lives forever.
    match unsafe { libc::pthread_mutex_lock(SHARED.mutex.get()) } {
        0 => Some(ConfigGuard { _private: () }),
        _ => None,
    }
}

impl ConfigGuard {
    fn config(&mut self) -> &mut Config {
        // SAFETY: the guard proves this thread holds the mutex, and `&mut self` keeps this the
        // only reference for as long as it lives.
        unsafe { &mut *SHARED.config.get() }
    }
}

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        // SAFETY: this thread locked the mutex when it made the guard.
        let _ = unsafe { libc::pthread_mutex_unlock(SHARED.mutex.get()) };
    }
}

/// The two folders the device configures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Folder {
    Images,
    Trust,
}

impl Folder {
    fn env(self) -> &'static CStr {
        match self {
            Folder::Images => IMAGE_DIR_ENV,
            Folder::Trust => TRUST_DIR_ENV,
        }
    }

    fn slot(self, config: &mut Config) -> &mut Option<PathBuf> {
        match self {
            Folder::Images => &mut config.image_dir,
            Folder::Trust => &mut config.trust_dir,
        }
    }

    /// The folder's path: the one the application set, else the environment variable's (read
    /// at each use), else none.
    fn path(self) -> Option<PathBuf> {
        let set = *self.slot(lock_config()?.config());
        if set.is_some() {
            return set;
        }
        // SAFETY: getenv returns NULL or a NUL-terminated string owned by the environment, which
        // is copied out before anything else runs in this thread.
        let dir = unsafe { libc::getenv(self.env().as_ptr()) };
        if dir.is_null() {
            return None;
        }
        // SAFETY: non-NULL, so a NUL-terminated string (above).
        let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
        if dir.is_empty() {
            return None;
        }
        PathBuf::from_bytes(dir)
    }

    /// Sets (a path) or resets (NULL) the folder, once it opens as a folder.
    ///
    /// # Safety
    /// `dir` is NULL or a NUL-terminated string.
    unsafe fn set(self, dir: *const c_char) -> Result<(), u32> {
        let path = if dir.is_null() {
            None
        } else {
            // SAFETY: non-NULL, so NUL-terminated (the caller's contract).
            let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
            if dir.is_empty() {
                return Err(code(libc::EINVAL));
            }
            let path = PathBuf::from_bytes(dir).ok_or(code(libc::ENAMETOOLONG))?;
            let c_path = path.as_c_str().ok_or(code(libc::EINVAL))?;
            // Opened now so that a wrong folder shows at start-up, not at the first job.
            Fd::open_dir(c_path)?;
            Some(path)
        };
        let mut guard = lock_config().ok_or(code(libc::EAGAIN))?;
        *self.slot(guard.config()) = path;
        Ok(())
    }
}

/// The key of the certificate the application gave under `name`.
fn given_certificate(name: &[u8]) -> Option<VerifyingKey> {
    let mut guard = lock_config()?;
    let certs = &guard.config().certs;
    certs
        .iter()
        .flatten()
        .find(|c| c.name() == name)
        .map(|c| c.key)
}

/// Adds (or replaces, by name) a certificate given by the application.
fn add_certificate(name: &[u8], key: VerifyingKey) -> Result<(), u32> {
    let mut cert = TrustedCert {
        name: [0; CERT_NAME_MAX],
        len: name.len(),
        key,
    };
    cert.name
        .get_mut(..name.len())
        .ok_or(code(libc::ENAMETOOLONG))?
        .copy_from_slice(name);
    let mut guard = lock_config().ok_or(code(libc::EAGAIN))?;
    let certs = &mut guard.config().certs;
    let same = certs
        .iter()
        .position(|c| c.is_some_and(|c| c.name() == name));
    let slot = same.or_else(|| certs.iter().position(Option::is_none));
    let slot = slot
        .and_then(|i| certs.get_mut(i))
        .ok_or(code(libc::ENOSPC))?;
    *slot = Some(cert);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What a job may name

/// A name a job may use for one folder entry: 1 to `max` bytes, not `.` or `..`, no path
/// separator (`/`, `\`), no control character. (NUL cannot occur: it ends the C string.)
fn plain_name(name: &[u8], max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&b| b != b'/' && b != b'\\' && b >= 0x20 && b != 0x7f)
}

/// A job's `certfile`: one plain name of at most [`CERT_NAME_MAX`] bytes.
fn plain_cert_name(name: &[u8]) -> bool {
    plain_name(name, CERT_NAME_MAX)
}

/// Why a job's `filepath` is refused before anything is opened: `EINVAL` for an absolute path,
/// an empty, `.` or `..` component, a `\` or a control character; `ENAMETOOLONG` when the path
/// or one component is too long.
fn check_image_path(path: &[u8]) -> Result<(), u32> {
    if path.len() >= PATH_MAX_LEN {
        return Err(code(libc::ENAMETOOLONG));
    }
    for part in path.split(|&b| b == b'/') {
        if part.len() > NAME_MAX {
            return Err(code(libc::ENAMETOOLONG));
        }
        // An absolute path starts with an empty component.
        if !plain_name(part, NAME_MAX) {
            return Err(code(libc::EINVAL));
        }
    }
    Ok(())
}

/// One path component, NUL-terminated, for the `*at` calls.
struct Name {
    buf: [u8; NAME_MAX + 1],
}

impl Name {
    fn new(part: &[u8]) -> Result<Name, u32> {
        let mut name = Name {
            buf: [0; NAME_MAX + 1],
        };
        name.buf
            .get_mut(..part.len())
            .ok_or(code(libc::ENAMETOOLONG))?
            .copy_from_slice(part);
        Ok(name)
    }

    fn as_c_str(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

/// True for the names of the image state file, which a job must not overwrite or delete.
fn is_state_file(name: &[u8]) -> bool {
    let state = STATE_FILE_NAME.as_bytes();
    name == state || name.strip_prefix(state) == Some(b".tmp")
}

// ---------------------------------------------------------------------------------------------
// The receive file, confined to the image folder

/// Opens the folder that holds the job's file and gives the file's own name in it.
///
/// Race-resistant: the image folder is opened once, then each folder on the job's path is
/// opened relative to the one before with `O_DIRECTORY | O_NOFOLLOW`, so a symlink anywhere on
/// the path fails (`ENOTDIR`) instead of being followed, even one swapped in while this runs;
/// the `..` and absolute paths that could climb out are refused before anything is opened.
fn open_image_folder(path: &CStr) -> Result<(Fd, Name), u32> {
    let path = path.to_bytes();
    check_image_path(path)?;
    let Some(root) = Folder::Images.path() else {
        ota_log!(
            Error,
            "No image folder: call otaPal_PosixSetImageDir or set OTA_PAL_POSIX_IMAGE_DIR."
        );
        return Err(code(libc::EPERM));
    };
    let mut dir = Fd::open_dir(root.as_c_str().ok_or(code(libc::EINVAL))?)?;
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(part) = parts.next() {
        let name = Name::new(part)?;
        if parts.peek().is_none() {
            return Ok((dir, name));
        }
        dir = dir.open_at(name.as_c_str(), libc::O_RDONLY | libc::O_DIRECTORY)?;
    }
    Err(code(libc::EINVAL))
}

/// [`open_image_folder`], then the checks of the file's own name that creating and reopening
/// share: `EPERM` for a name of the image state file or of the resume record (in any folder),
/// or when the file's folder is the trust store.
fn open_receive_folder(path: &CStr) -> Result<(Fd, Name), u32> {
    let (dir, name) = open_image_folder(path)?;
    let own = name.as_c_str().to_bytes();
    if is_state_file(own) || resume::is_resume_file(own) {
        return Err(code(libc::EPERM));
    }
    let trust = Folder::Trust.path();
    let trust = trust.as_ref().and_then(PathBuf::as_c_str).map(meta_of_path);
    if let Some(Ok(trust)) = trust {
        if dir.meta()?.id == trust.id {
            ota_log!(
                Error,
                "Refused: the receive file would be in the trust store."
            );
            return Err(code(libc::EPERM));
        }
    }
    Ok((dir, name))
}

/// Creates the job's receive file as a new, empty regular file inside the image folder.
///
/// An existing regular file of that name is unlinked first and a new one created with
/// `O_CREAT | O_EXCL`, so the stream is always a file this call made: never a symlink's target,
/// a FIFO or a device, and never shared with another name (a hard link elsewhere keeps its old
/// contents). Refused with `EPERM`: no image folder configured, the file's folder is the trust
/// store, or the name of the image state file or of the resume record; `ELOOP`: the name is a
/// symlink; `EISDIR`: a folder.
fn create_image(path: &CStr) -> Result<Stream, u32> {
    let (dir, name) = open_receive_folder(path)?;
    let name = name.as_c_str();
    match dir.meta_at(name) {
        Ok(old) if old.kind == libc::S_IFLNK => return Err(code(libc::ELOOP)),
        Ok(old) if old.kind == libc::S_IFDIR => return Err(code(libc::EISDIR)),
        Ok(old) if !old.is_file() => return Err(code(libc::EPERM)),
        Ok(_) => dir.unlink_at(name)?,
        Err(e) if e == code(libc::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL;
    let file = dir.open_at(name, flags)?;
    file.into_stream(c"w+b").inspect_err(|_| {
        let _ = dir.unlink_at(name);
    })
}

/// Deletes the receive file at the job's path, but only if that name in the image folder still
/// leads to `ours`, the file this PAL created; a path that leads nowhere, or to another file,
/// counts as removed with nothing deleted.
fn remove_image(path: &CStr, ours: Identity) -> Result<(), u32> {
    let (dir, name) = match open_image_folder(path) {
        Ok(found) => found,
        Err(e) if e == code(libc::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    let name = name.as_c_str();
    match dir.meta_at(name) {
        Ok(now) if now.id == ours => dir.unlink_at(name),
        Ok(_) => Ok(()),
        Err(e) if e == code(libc::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Code signature

/// Why a signature check failed; each is the SDK PAL's status for that case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CheckError {
    /// No usable P-256 public key from the signer certificate: `OtaPalBadSignerCert`.
    BadSignerCert,
    /// Anything else (no file, no or malformed signature, mismatch): `OtaPalSignatureCheckFailed`.
    SignatureCheckFailed,
}

impl CheckError {
    fn status(self) -> sys::OtaPalMainStatus {
        match self {
            CheckError::BadSignerCert => sys::OtaPalBadSignerCert,
            CheckError::SignatureCheckFailed => sys::OtaPalSignatureCheckFailed,
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first `-----BEGIN CERTIFICATE-----` ... `-----END CERTIFICATE-----` block of a PEM
/// file; text around it (as `openssl x509 -text` writes) is ignored.
fn certificate_block(pem: &[u8]) -> Option<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let rest = pem.get(find(pem, BEGIN)?..)?;
    rest.get(..find(rest, END)?.checked_add(END.len())?)
}

/// The DER of the SubjectPublicKeyInfo in an X.509 certificate (RFC 5280, section 4.1), found
/// by walking Certificate and TBSCertificate in place; everything else is only skipped over.
fn subject_public_key_info(certificate: &[u8]) -> der::Result<&[u8]> {
    use der::{Reader, SliceReader, Tag, TagNumber};
    const VERSION: Tag = Tag::ContextSpecific {
        constructed: true,
        number: TagNumber::N0,
    };
    let mut reader = SliceReader::new(certificate)?;
    let spki = reader.sequence(|cert| {
        let spki = cert.sequence(|tbs| {
            if tbs.peek_tag()? == VERSION {
                tbs.tlv_bytes()?;
            }
            // serialNumber, signature, issuer, validity, subject.
            for _ in 0..5 {
                tbs.tlv_bytes()?;
            }
            let spki = tbs.tlv_bytes()?;
            // Unique identifiers and extensions.
            while !tbs.is_finished() {
                tbs.tlv_bytes()?;
            }
            Ok(spki)
        })?;
        // signatureAlgorithm, signatureValue.
        cert.tlv_bytes()?;
        cert.tlv_bytes()?;
        Ok(spki)
    })?;
    reader.finish(spki)
}

/// The P-256 public key of the first certificate in a PEM file's contents.
fn signer_key_from_pem(pem: &[u8]) -> Option<VerifyingKey> {
    let block = certificate_block(pem)?;
    let mut der_buf = [0u8; CERT_DER_MAX];
    let (label, der) = pem_rfc7468::decode(block, &mut der_buf).ok()?;
    if label != "CERTIFICATE" {
        return None;
    }
    let spki = subject_public_key_info(der).ok()?;
    // Checks the algorithm (id-ecPublicKey) and the curve (secp256r1) too.
    p256::PublicKey::from_public_key_der(spki)
        .ok()
        .map(VerifyingKey::from)
}

/// The P-256 key of the trusted certificate the job names: one the application gave under that
/// name, else the PEM file of that name directly in the trust store folder. The name must be
/// plain (no path, see [`plain_cert_name`]); the file must be a regular file, not a symlink, and
/// not the received image itself (`image`). Kept out of line so its buffers are off the stack
/// before the image is hashed.
#[inline(never)]
fn load_signer_key(name: &CStr, image: Option<Identity>) -> Option<VerifyingKey> {
    if !plain_cert_name(name.to_bytes()) {
        ota_log!(
            Error,
            "Refused signer certificate name ",
            s(name),
            ": not a plain name."
        );
        return None;
    }
    if let Some(key) = given_certificate(name.to_bytes()) {
        return Some(key);
    }
    let mut pem = [0u8; CERT_PEM_MAX];
    let len = match read_trusted_file(name, image, &mut pem) {
        Ok(len) => len,
        Err(e) => {
            ota_log!(
                Error,
                "Cannot read signer certificate ",
                s(name),
                ": errno=",
                u(e)
            );
            return None;
        }
    };
    let key = signer_key_from_pem(pem.get(..len)?);
    if key.is_none() {
        ota_log!(
            Error,
            "Signer certificate ",
            s(name),
            " is not a PEM X.509 certificate with a P-256 key"
        );
    }
    key
}

/// Reads the first `buf.len()` bytes of the trust store's file `name`. `EPERM` when no trust
/// store folder is configured, when the file is not a regular file or when it is the image.
fn read_trusted_file(name: &CStr, image: Option<Identity>, buf: &mut [u8]) -> Result<usize, u32> {
    let root = Folder::Trust.path().ok_or(code(libc::EPERM))?;
    let dir = Fd::open_dir(root.as_c_str().ok_or(code(libc::EINVAL))?)?;
    // O_NONBLOCK: a FIFO put there must not hang the agent; it is refused below.
    let file = dir.open_at(name, libc::O_RDONLY | libc::O_NONBLOCK)?;
    let meta = file.meta()?;
    if !meta.is_file() {
        return Err(code(libc::EPERM));
    }
    if image == Some(meta.id) {
        ota_log!(
            Error,
            "Refused: the signer certificate is the received image."
        );
        return Err(code(libc::EPERM));
    }
    file.read(buf)
}

/// The job's DER signature, or `None` when it is empty, oversized or malformed.
fn parse_signature(signature: &sys::Sig256_t) -> Option<Signature> {
    let der = signature.data.get(..usize::from(signature.size))?;
    if der.is_empty() {
        return None;
    }
    Signature::from_der(der).ok()
}

/// SHA-256 of everything `read` yields, in fixed chunks.
fn digest_of(mut read: impl FnMut(&mut [u8]) -> Result<usize, u32>) -> Result<[u8; 32], u32> {
    let mut hasher = Sha256::new();
    let mut chunk = [0u8; HASH_CHUNK];
    loop {
        let n = read(&mut chunk)?;
        hasher.update(chunk.get(..n).unwrap_or(&[]));
        if n < chunk.len() {
            return Ok(hasher.finalize().into());
        }
    }
}

/// Checks the image in `file` against the job's signature and signer certificate, in the
/// order the SDK's PAL does, so each failure gets the same status.
fn check_signature(
    cert_name: Option<&CStr>,
    signature: Option<&sys::Sig256_t>,
    file: Option<&mut Stream>,
    image: Option<Identity>,
) -> Result<(), CheckError> {
    let Some(signature) = signature else {
        ota_log!(
            Error,
            "Parameter check failed: OTA signature structure is NULL."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    let Some(key) = cert_name.and_then(|name| load_signer_key(name, image)) else {
        ota_log!(
            Error,
            "File signature check failed: no public key from the signer certificate."
        );
        return Err(CheckError::BadSignerCert);
    };
    let Some(file) = file else {
        ota_log!(Error, "File signature check failed: no open file.");
        return Err(CheckError::SignatureCheckFailed);
    };
    let Some(signature) = parse_signature(signature) else {
        ota_log!(
            Error,
            "File signature check failed: the signature (",
            u(signature.size),
            " bytes) is not DER ECDSA."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    let digest = file.seek(0).and_then(|()| digest_of(|buf| file.read(buf)));
    let Ok(digest) = digest else {
        ota_log!(
            Error,
            "File signature check failed: cannot read the received file."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    key.verify_prehash(&digest, &signature).map_err(|_| {
        ota_log!(
            Error,
            "File signature check failed: the signature does not match."
        );
        CheckError::SignatureCheckFailed
    })
}

extern "C" {
    /// The `OTA_JsonFileSignatureKey` in effect: the application's, or this PAL's weak default
    /// (ports/posix/ota_pal_posix_key.c). Calling it is also what links that default in.
    fn ota_rs_pal_posix_signature_key() -> *const c_char;
}

fn signature_key_name() -> &'static CStr {
    // SAFETY: returns the address of a NUL-terminated `const char[32]` with static storage.
    let name = unsafe { ota_rs_pal_posix_signature_key() };
    if name.is_null() {
        return c"";
    }
    // SAFETY: non-NULL, NUL-terminated and static (above).
    unsafe { CStr::from_ptr(name) }
}

// ---------------------------------------------------------------------------------------------
// The PAL

/// Stops the transfer: closes the open receive file and deletes it, so a partial image never
/// stays behind. Nothing open: success, nothing touched. Only the file this PAL created is
/// deleted, and only inside the image folder (see [`remove_image`]).
///
/// Returns `OtaPalFileAbort` for a NULL context, and `OtaPalFileAbort` with `errno` as
/// sub-code when closing or deleting fails (the file handle is released either way).
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`
/// or `otaPal_ReopenFileForRx`.
#[no_mangle]
pub unsafe extern "C" fn otaPal_Abort(C: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or a valid, exclusively used context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_mut() }) else {
        ota_log!(Error, "Parameter check failed: Input is NULL.");
        return combine(sys::OtaPalFileAbort, 0);
    };
    // SAFETY: pFile is NULL or our open stream; the context gives it up here.
    let Some(file) = (unsafe { Stream::adopt(ctx.pFile) }) else {
        return success();
    };
    ctx.pFile = ptr::null_mut();
    let ours = file.meta();
    let closed = file.close();
    // SAFETY: pFilePath is NULL or the agent's string of filePathMaxSize bytes (or any length
    // when filePathMaxSize is 0).
    let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
    let removed = match (path, ours) {
        (None, _) => Ok(()),
        (Some(path), Ok(ours)) => remove_image(path, ours.id),
        (Some(_), Err(e)) => Err(e),
    };
    match closed.and(removed) {
        Ok(()) => {
            ota_log!(
                Info,
                "Closed and removed the partial file ",
                s(path.unwrap_or_default()),
                "."
            );
            success()
        }
        Err(e) => {
            ota_log!(
                Error,
                "Failed to abort the receive file ",
                s(path.unwrap_or_default()),
                ": errno=",
                u(e)
            );
            combine(sys::OtaPalFileAbort, e)
        }
    }
}

/// Creates the receive file `pFilePath`, a path relative to the image folder (see
/// [`create_image`]), and keeps its stream in `pFile`. An existing file of that name is
/// replaced by a new one.
///
/// Returns `OtaPalRxFileCreateFailed`: with sub-code 0 for a NULL context or a NULL or empty
/// path; with `EINVAL` or `ENAMETOOLONG` for a path a job may not give (absolute, `..`, ...);
/// with `EPERM` when no image folder is configured or the path names the trust store or the
/// state file; with `errno` when the file cannot be created (missing folder, a symlink on the
/// way, no permission, ...).
///
/// # Safety
/// `C` is NULL or a valid file context.
#[no_mangle]
pub unsafe extern "C" fn otaPal_CreateFileForRx(
    C: *mut sys::OtaFileContext_t,
) -> sys::OtaPalStatus_t {
    // SAFETY: the caller's contract is receive_path's.
    let (ctx, path) = match unsafe { receive_path(C) } {
        Ok(found) => found,
        Err(status) => return status,
    };
    match create_image(path) {
        Ok(file) => {
            ctx.pFile = file.into_raw();
            ota_log!(Info, "Receive file created: ", s(path));
            success()
        }
        Err(e) => {
            ota_log!(
                Error,
                "Failed to create receive file ",
                s(path),
                ": errno=",
                u(e)
            );
            combine(sys::OtaPalRxFileCreateFailed, e)
        }
    }
}

/// The context and its receive path, for create and reopen: `OtaPalRxFileCreateFailed` with
/// sub-code 0 for a NULL context or a NULL or empty path.
///
/// # Safety
/// `C` is NULL or a valid, exclusively used file context.
unsafe fn receive_path<'a>(
    C: *mut sys::OtaFileContext_t,
) -> Result<(&'a mut sys::OtaFileContext_t, &'a CStr), sys::OtaPalStatus_t> {
    // SAFETY: NULL or a valid, exclusively used context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_mut() }) else {
        ota_log!(Error, "Invalid context provided.");
        return Err(combine(sys::OtaPalRxFileCreateFailed, 0));
    };
    // SAFETY: as in otaPal_Abort.
    let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
    match path.filter(|p| !p.is_empty()) {
        Some(path) => Ok((ctx, path)),
        None => {
            ota_log!(Error, "Invalid file path provided.");
            Err(combine(sys::OtaPalRxFileCreateFailed, 0))
        }
    }
}

/// Verifies the received image and closes its file.
///
/// The image's SHA-256 is checked against `pSignature` (DER ECDSA) with the P-256 public key
/// of the trusted certificate named by `pCertFilepath` (see [`load_signer_key`]). On success the
/// file is flushed to disk and the image state becomes Testing (pending commit). On any failure
/// the image state becomes Aborted and the received file is deleted, so it can never be taken
/// for a valid image.
///
/// Returns, as the SDK's PAL (sub-code 0 unless said): `OtaPalFileClose` for a NULL context;
/// `OtaPalSignatureCheckFailed` for a NULL signature; `OtaPalBadSignerCert` when the name is
/// NULL or not a plain name, no trusted certificate has that name, or it is unreadable, not PEM
/// X.509, without a P-256 key, or the image itself; `OtaPalSignatureCheckFailed` for no open
/// file, an empty or malformed signature, a read error or a mismatch; `OtaPalFileClose` with
/// `errno` when flushing or closing fails.
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`
/// or `otaPal_ReopenFileForRx`, `pSignature` NULL or valid, and whose path fields are as the
/// agent fills them.
#[no_mangle]
pub unsafe extern "C" fn otaPal_CloseFile(C: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or a valid, exclusively used context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_mut() }) else {
        ota_log!(
            Error,
            "Failed to close file: Parameter check failed: Invalid context."
        );
        return combine(sys::OtaPalFileClose, 0);
    };
    // SAFETY: pFile is NULL or our open stream; the context gives it up here.
    let mut file = unsafe { Stream::adopt(ctx.pFile) };
    ctx.pFile = ptr::null_mut();
    // Which file it is: never its own certificate, and the one file a failure may delete.
    let image = file.as_ref().and_then(|f| f.meta().ok()).map(|m| m.id);
    if image.is_none() {
        // A stream that cannot even be stat'ed is not checked, nor deleted.
        file = None;
    }
    // SAFETY: NULL or the agent's Sig256_t, not written while this call runs.
    let signature = unsafe { ctx.pSignature.as_ref() };
    // SAFETY: as the path in otaPal_Abort.
    let cert_name = unsafe { context_string(ctx.pCertFilepath, ctx.certFilePathMaxSize) };

    let checked = check_signature(cert_name, signature, file.as_mut(), image);
    let mut status = match checked {
        Ok(()) => file
            .as_mut()
            .map_or(Ok(()), Stream::sync)
            .map_or_else(|e| combine(sys::OtaPalFileClose, e), |()| success()),
        Err(e) => combine(e.status(), 0),
    };
    if let Some(Err(e)) = file.map(Stream::close) {
        ota_log!(Error, "Failed to close OTA update file: errno=", u(e));
        status = combine(sys::OtaPalFileClose, e);
    }

    let key = signature_key_name();
    if main_of(status) == sys::OtaPalSuccess {
        ota_log!(Info, s(key), " signature verification passed.");
        let _ = otaPal_SetPlatformImageState(C, sys::OtaImageStateTesting);
    } else {
        ota_log!(
            Error,
            "Failed to pass ",
            s(key),
            " signature verification: 0x",
            x(status),
            "."
        );
        if let Some(ours) = image {
            // SAFETY: as the path in otaPal_Abort.
            let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
            if let Some(Err(e)) = path.map(|p| remove_image(p, ours)) {
                ota_log!(
                    Error,
                    "Failed to remove rejected file ",
                    s(path.unwrap_or_default()),
                    ": errno=",
                    u(e)
                );
            }
        }
        let _ = otaPal_SetPlatformImageState(C, sys::OtaImageStateAborted);
    }
    status
}

/// Writes `ulBlockSize` bytes at `ulOffset` of the receive file; blocks may come in any order
/// and the file grows as needed.
///
/// Returns the number of bytes written (capped at `INT16_MAX` so that a block of 32 KiB or
/// more never reads as an error), or -1 for a NULL context, no open file, NULL data, or a
/// failed seek or write.
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`
/// or `otaPal_ReopenFileForRx`;
/// `pcData` is NULL or readable for `ulBlockSize` bytes.
#[no_mangle]
pub unsafe extern "C" fn otaPal_WriteBlock(
    C: *mut sys::OtaFileContext_t,
    ulOffset: u32,
    pcData: *mut u8,
    ulBlockSize: u32,
) -> i16 {
    // SAFETY: NULL or a valid context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_ref() }) else {
        ota_log!(Error, "Invalid context.");
        return -1;
    };
    let Ok(len) = usize::try_from(ulBlockSize) else {
        return -1;
    };
    let data: &[u8] = if len == 0 {
        &[]
    } else if pcData.is_null() {
        ota_log!(Error, "Invalid block data.");
        return -1;
    } else {
        // SAFETY: non-NULL and readable for ulBlockSize bytes (the caller's contract).
        unsafe { core::slice::from_raw_parts(pcData, len) }
    };
    // SAFETY: pFile is NULL or our open stream; only borrowed here (ManuallyDrop).
    let Some(file) = (unsafe { Stream::adopt(ctx.pFile) }) else {
        ota_log!(Error, "No receive file open.");
        return -1;
    };
    let mut file = ManuallyDrop::new(file);
    match file
        .seek(u64::from(ulOffset))
        .and_then(|()| file.write_all(data))
    {
        Ok(()) => i16::try_from(ulBlockSize).unwrap_or(i16::MAX),
        Err(e) => {
            ota_log!(
                Error,
                "Failed to write block at offset ",
                u(ulOffset),
                ": errno=",
                u(e)
            );
            -1
        }
    }
}

/// Activates the new image the way a Linux process can: it calls [`otaPal_ResetDevice`], which
/// does not restart anything and returns success. The verified image is already on disk and the
/// image state is Testing; the application (or its supervisor, e.g. systemd) restarts into the
/// new image, where `otaPal_GetPlatformImageState` reports PendingCommit and the agent runs the
/// self test.
#[no_mangle]
pub extern "C" fn otaPal_ActivateNewImage(C: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    otaPal_ResetDevice(C)
}

/// Returns success without resetting anything, as the SDK's POSIX PAL: a library must not kill
/// or reboot its host. Restarting the process is the application's decision.
#[no_mangle]
pub extern "C" fn otaPal_ResetDevice(C: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let _ = C;
    ota_log!(
        Info,
        "POSIX PAL: reset requested; the application restarts itself."
    );
    success()
}

/// Records the image state in the state file (see [`STATE_FILE_NAME`], [`STATE_DIR_ENV`]),
/// durably and atomically. `C` is not used (it may be NULL).
///
/// Testing, Accepted, Rejected and Aborted are recorded as given; `otaPal_GetPlatformImageState`
/// then reports PendingCommit, Valid, Invalid and Invalid. Unknown or an out-of-range value
/// returns `OtaPalBadImageState` (sub-code 0) and records nothing; a file error returns
/// `OtaPalBadImageState` with `errno`.
#[no_mangle]
pub extern "C" fn otaPal_SetPlatformImageState(
    C: *mut sys::OtaFileContext_t,
    eState: sys::OtaImageState_t,
) -> sys::OtaPalStatus_t {
    let _ = C;
    if eState == sys::OtaImageStateUnknown || eState > sys::OtaLastImageState {
        ota_log!(Error, "Invalid image state provided: ", u(eState));
        return combine(sys::OtaPalBadImageState, 0);
    }
    match write_state(eState) {
        Ok(()) => success(),
        Err(e) => combine(sys::OtaPalBadImageState, e),
    }
}

/// The state of the running image, from the state file: Testing → PendingCommit, Accepted →
/// Valid, Rejected or Aborted → Invalid. No state file → Valid (a factory image, as the SDK's
/// PAL); an unreadable, short or too-long-to-name state file → Invalid. `C` is not used.
#[no_mangle]
pub extern "C" fn otaPal_GetPlatformImageState(
    C: *mut sys::OtaFileContext_t,
) -> sys::OtaPalImageState_t {
    let _ = C;
    read_state()
}

// ---------------------------------------------------------------------------------------------
// The device's trust store and image folder (additions to the SDK's PAL; ota_pal_posix.h)

/// Sets the folder that receive files are created in: a job's `filepath` is relative to it and
/// cannot leave it. NULL returns to the default, `$OTA_PAL_POSIX_IMAGE_DIR` (none when unset).
/// The path is the device's: symlinks on it are followed, and a relative path is relative to
/// the working directory at each use.
///
/// Returns `OtaPalSuccess`, or `OtaPalRxFileCreateFailed` with `EINVAL` (empty), `ENAMETOOLONG`
/// (512 bytes or more) or the `errno` of opening it as a folder; the setting is then unchanged.
///
/// # Safety
/// `pDir` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn otaPal_PosixSetImageDir(pDir: *const c_char) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or NUL-terminated (the caller's contract).
    match unsafe { Folder::Images.set(pDir) } {
        Ok(()) => success(),
        Err(e) => combine(sys::OtaPalRxFileCreateFailed, e),
    }
}

/// Sets the trust store folder: a job's `certfile` may name a PEM certificate file directly in
/// it. NULL returns to the default, `$OTA_PAL_POSIX_TRUST_DIR` (none when unset).
///
/// Returns `OtaPalSuccess`, or `OtaPalBadSignerCert` with `EINVAL`, `ENAMETOOLONG` or the `errno`
/// of opening it as a folder; the setting is then unchanged.
///
/// # Safety
/// `pDir` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn otaPal_PosixSetTrustStore(pDir: *const c_char) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or NUL-terminated (the caller's contract).
    match unsafe { Folder::Trust.set(pDir) } {
        Ok(()) => success(),
        Err(e) => combine(sys::OtaPalBadSignerCert, e),
    }
}

/// Trusts the P-256 key of the PEM X.509 certificate `pPem` (`pemLength` bytes) for jobs whose
/// `certfile` is `pName`; it is looked up before the trust store folder. A second call with the
/// same name replaces the key. The PEM is read during the call only.
///
/// Returns `OtaPalSuccess`, or `OtaPalBadSignerCert` with `EINVAL` (NULL argument, a name that is
/// not plain, no P-256 certificate in `pPem`) or `ENOSPC` (already
/// `OTA_PAL_POSIX_TRUSTED_CERTS_MAX` names).
///
/// # Safety
/// `pName` is NULL or a NUL-terminated string; `pPem` is NULL or readable for `pemLength` bytes.
#[no_mangle]
pub unsafe extern "C" fn otaPal_PosixAddTrustedCertificate(
    pName: *const c_char,
    pPem: *const u8,
    pemLength: libc::size_t,
) -> sys::OtaPalStatus_t {
    let refused = combine(sys::OtaPalBadSignerCert, code(libc::EINVAL));
    if pName.is_null() || pPem.is_null() {
        return refused;
    }
    // SAFETY: non-NULL, so NUL-terminated (the caller's contract).
    let name = unsafe { CStr::from_ptr(pName) }.to_bytes();
    // SAFETY: non-NULL and readable for pemLength bytes (the caller's contract).
    let pem = unsafe { core::slice::from_raw_parts(pPem, pemLength) };
    if !plain_cert_name(name) {
        return refused;
    }
    let Some(key) = signer_key_from_pem(pem) else {
        return refused;
    };
    match add_certificate(name, key) {
        Ok(()) => success(),
        Err(e) => combine(sys::OtaPalBadSignerCert, e),
    }
}

/// Forgets every certificate given with `otaPal_PosixAddTrustedCertificate`.
#[no_mangle]
pub extern "C" fn otaPal_PosixClearTrustedCertificates() {
    if let Some(mut guard) = lock_config() {
        guard.config().certs = [NO_CERT; TRUSTED_CERTS_MAX];
    }
}

// Resume across reboot (include/ota_ext.h): reopen, flush, and the record file.
#[path = "pal_resume.rs"]
mod resume;

#[cfg(test)]
#[path = "pal_tests.rs"]
mod tests;
