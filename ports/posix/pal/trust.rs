//! The device's trust store and image folder: additions to the SDK's PAL (ota_pal_posix.h).

use super::*;

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
