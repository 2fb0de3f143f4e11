//! Safe wrappers over the C shim (src/ffi/shim.c) and the C runtime.

use crate::sys::AppVersion32_t;
use core::ffi::c_char;

extern "C" {
    fn ota_rs_log(level: u32, message: *const c_char, length: usize);
    fn ota_rs_app_firmware_version() -> *const AppVersion32_t;
    fn ota_rs_json_file_signature_key() -> *const c_char;
    #[cfg(not(test))]
    fn ota_rs_trap() -> !;
}

/// Hands one formatted record to the application's log macro for `level`.
pub fn log(level: u32, message: &[u8]) {
    // SAFETY: the shim reads exactly `length` bytes from `message`, which is a live slice.
    unsafe { ota_rs_log(level, message.as_ptr().cast(), message.len()) }
}

/// The application's `appFirmwareVersion`, or `None` when the program does not define it.
pub fn app_firmware_version() -> Option<&'static AppVersion32_t> {
    // SAFETY: the shim returns the address of a weakly referenced `const` object with static
    // storage, or NULL when the link left it undefined; `as_ref` maps NULL to None.
    unsafe { ota_rs_app_firmware_version().as_ref() }
}

/// The packed version word (`u.unsignedVersion32`) of `appFirmwareVersion`.
pub fn app_firmware_version_word() -> Option<u32> {
    // SAFETY: the union's members are plain integers covering the same 4 bytes, so reading the
    // 32-bit view is defined for any bit pattern.
    app_firmware_version().map(|v| unsafe { v.u.unsignedVersion32 })
}

/// The application's `OTA_JsonFileSignatureKey` (NUL-terminated within its 32 bytes), or
/// `None` when the program does not define it.
pub fn json_file_signature_key() -> Option<&'static [u8]> {
    // SAFETY: as above; a defined key is a `const char[OTA_FILE_SIG_KEY_STR_MAX_LENGTH]` with
    // static storage, so reading that many bytes stays inside the object.
    let bytes = unsafe {
        let p = ota_rs_json_file_signature_key();
        if p.is_null() {
            return None;
        }
        core::slice::from_raw_parts(
            p.cast::<u8>(),
            crate::sys::OTA_FILE_SIG_KEY_STR_MAX_LENGTH as usize,
        )
    };
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes.get(..len)
}

/// Stops the program with a trap instruction (the panic handler's way out; unwinding into C is
/// undefined): a fault on Cortex-M, SIGILL on Linux, and none of newlib's signal machinery.
#[cfg(not(test))]
pub fn abort() -> ! {
    // SAFETY: the shim's trap takes no arguments and never returns.
    unsafe { ota_rs_trap() }
}
