//! The POSIX platform abstraction layer: the `otaPal_*` functions a Linux application of OTA
//! v2.0.0 links, with the names, prototypes and status codes of the POSIX PAL in the AWS IoT
//! Device SDK for Embedded C (`ota_pal_posix.h`). Built into libota.a only with the `pal-posix`
//! feature (CMake: `OTA_PAL_POSIX=ON`).
//!
//! * Image store: the file at the job's file path, written block by block at any offset.
//! * Code signing: `otaPal_CloseFile` checks the job's `sig-sha256-ecdsa` signature (ECDSA
//!   P-256 over SHA-256, DER-encoded) against the public key of the job's signer certificate
//!   (an X.509 PEM file) with pure-Rust crates: no OpenSSL, no allocation, bounded stack.
//! * Image state: a small file ([`STATE_FILE_NAME`] in [`STATE_DIR_ENV`], else in the working
//!   directory) that outlives the process, so a restart finds a new image pending commit.
//!
//! ports/posix/README.md tells what each function does and where it goes beyond the SDK's PAL.
//! This module is the C edge of the port: every `unsafe` block is a libc call or a pointer the
//! agent handed over, each with its reason.
#![allow(non_snake_case)]

use crate::sys;
use core::ffi::{c_char, c_int, CStr};
use core::mem::ManuallyDrop;
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

/// Longest state file path, NUL included (the SDK header's `OTA_FILE_PATH_LENGTH_MAX`).
const PATH_MAX_LEN: usize = 512;

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

// ---------------------------------------------------------------------------------------------
// Image state file

/// A NUL-terminated path built on the stack.
struct PathBuf {
    buf: [u8; PATH_MAX_LEN],
    len: usize,
}

impl PathBuf {
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
    let mut path = PathBuf {
        buf: [0; PATH_MAX_LEN],
        len: 0,
    };
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

/// Reads the signer certificate file and takes its P-256 public key. Kept out of line so its
/// buffers are off the stack before the image is hashed.
#[inline(never)]
fn load_signer_key(path: &CStr) -> Option<VerifyingKey> {
    let mut pem = [0u8; CERT_PEM_MAX];
    let read = match Stream::open(path, c"rb") {
        Ok(mut file) => file.read(&mut pem),
        Err(e) => Err(e),
    };
    let len = match read {
        Ok(len) => len,
        Err(e) => {
            ota_log!(
                Error,
                "Cannot read signer certificate ",
                s(path),
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
            s(path),
            " is not a PEM X.509 certificate with a P-256 key"
        );
    }
    key
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
    cert_path: Option<&CStr>,
    signature: Option<&sys::Sig256_t>,
    file: Option<&mut Stream>,
) -> Result<(), CheckError> {
    let Some(signature) = signature else {
        ota_log!(
            Error,
            "Parameter check failed: OTA signature structure is NULL."
        );
        return Err(CheckError::SignatureCheckFailed);
    };
    let Some(key) = cert_path.and_then(load_signer_key) else {
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
/// stays behind. Nothing open: success, nothing touched.
///
/// Returns `OtaPalFileAbort` for a NULL context, and `OtaPalFileAbort` with `errno` as
/// sub-code when closing or deleting fails (the file handle is released either way).
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`.
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
    let closed = file.close();
    // SAFETY: pFilePath is NULL or the agent's string of filePathMaxSize bytes (or any length
    // when filePathMaxSize is 0).
    let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
    let removed = path.map_or(Ok(()), remove_file);
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

/// Creates (or truncates) the receive file at `pFilePath` and keeps its stream in `pFile`.
/// A relative path is relative to the working directory.
///
/// Returns `OtaPalRxFileCreateFailed`: with sub-code 0 for a NULL context or a NULL or empty
/// path, with `errno` when the file cannot be created (missing folder, no permission, ...).
///
/// # Safety
/// `C` is NULL or a valid file context.
#[no_mangle]
pub unsafe extern "C" fn otaPal_CreateFileForRx(
    C: *mut sys::OtaFileContext_t,
) -> sys::OtaPalStatus_t {
    // SAFETY: NULL or a valid, exclusively used context (the caller's contract).
    let Some(ctx) = (unsafe { C.as_mut() }) else {
        ota_log!(Error, "Invalid context provided.");
        return combine(sys::OtaPalRxFileCreateFailed, 0);
    };
    // SAFETY: as in otaPal_Abort.
    let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
    let Some(path) = path.filter(|p| !p.is_empty()) else {
        ota_log!(Error, "Invalid file path provided.");
        return combine(sys::OtaPalRxFileCreateFailed, 0);
    };
    match Stream::open(path, c"w+b") {
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

/// Verifies the received image and closes its file.
///
/// The image's SHA-256 is checked against `pSignature` (DER ECDSA) with the P-256 public key
/// of the PEM X.509 certificate at `pCertFilepath`. On success the file is flushed to disk and
/// the image state becomes Testing (pending commit). On any failure the image state becomes
/// Aborted and the received file is deleted, so it can never be taken for a valid image.
///
/// Returns, as the SDK's PAL (sub-code 0 unless said): `OtaPalFileClose` for a NULL context;
/// `OtaPalSignatureCheckFailed` for a NULL signature; `OtaPalBadSignerCert` when the certificate
/// is missing, unreadable, not PEM X.509 or without a P-256 key; `OtaPalSignatureCheckFailed`
/// for no open file, an empty or malformed signature, a read error or a mismatch;
/// `OtaPalFileClose` with `errno` when flushing or closing fails.
///
/// # Safety
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`,
/// `pSignature` NULL or valid, and whose path fields are as the agent fills them.
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
    let had_file = file.is_some();
    // SAFETY: NULL or the agent's Sig256_t, not written while this call runs.
    let signature = unsafe { ctx.pSignature.as_ref() };
    // SAFETY: as the path in otaPal_Abort.
    let cert_path = unsafe { context_string(ctx.pCertFilepath, ctx.certFilePathMaxSize) };

    let checked = check_signature(cert_path, signature, file.as_mut());
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
        if had_file {
            // SAFETY: as the path in otaPal_Abort.
            let path = unsafe { context_string(ctx.pFilePath, ctx.filePathMaxSize) };
            if let Some(Err(e)) = path.map(remove_file) {
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
/// `C` is NULL or a valid file context whose `pFile` is NULL or from `otaPal_CreateFileForRx`;
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

#[cfg(test)]
#[path = "pal_tests.rs"]
mod tests;
