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

// The parts; each reaches the others through these imports (`use super::*`).
mod config;
mod file;
mod io;
mod names;
mod signature;
mod state;
mod trust;
use config::*;
use file::*;
use io::*;
use names::*;
use signature::*;
use state::*;

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

// Resume across reboot (include/ota_ext.h): reopen, flush, and the record file.
mod resume;

#[cfg(test)]
mod tests;
