//! Safe wrappers over the C shim (src/ffi/shim.c) and the C runtime.

use crate::log::{IntNumNum, Nums, Plain, Record, StrNumStr, Strs, Text};
use crate::sys::AppVersion32_t;
use core::ffi::{c_char, c_int, c_uint};

extern "C" {
    fn ota_rs_log_0(record: *const c_char);
    fn ota_rs_log_u(record: *const c_char, a: c_uint, b: c_uint, c: c_uint);
    fn ota_rs_log_duu(record: *const c_char, d: c_int, a: c_uint, b: c_uint);
    fn ota_rs_log_sus(
        record: *const c_char,
        len1: c_int,
        s1: *const c_char,
        a: c_uint,
        len2: c_int,
        s2: *const c_char,
    );
    fn ota_rs_log_sss(
        record: *const c_char,
        len1: c_int,
        s1: *const c_char,
        len2: c_int,
        s2: *const c_char,
        len3: c_int,
        s3: *const c_char,
    );
    fn ota_rs_app_firmware_version() -> *const AppVersion32_t;
    fn ota_rs_json_file_signature_key() -> *const c_char;
    #[cfg(not(test))]
    fn ota_rs_trap() -> !;
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    fn ota_rs_critical_enter() -> u32;
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    fn ota_rs_critical_exit(saved: u32);
}

/// A `%.*s` slot's precision and pointer: printf reads no more than `cap` bytes, nor past the
/// end of a byte string, nor past the NUL of a C string.
fn text_arg(text: Text<'_>, cap: usize) -> (c_int, *const c_char) {
    let cap = c_int::try_from(cap).unwrap_or(0);
    match text {
        Text::Nul(s) => (cap, s.as_ptr()),
        // An empty slice's pointer addresses no array, so "" stands in for it.
        Text::Bytes([]) => (0, c"".as_ptr()),
        Text::Bytes(b) => (
            c_int::try_from(b.len()).map_or(cap, |len| len.min(cap)),
            b.as_ptr().cast(),
        ),
    }
}

/// Hands a record without arguments to the application's log macro.
pub fn log_0(record: &Record<Plain>) {
    // SAFETY: the record is a static NUL-terminated level letter and format whose conversions
    // Record::new checked to be none.
    unsafe { ota_rs_log_0(record.text().as_ptr()) }
}

/// Hands a record and up to three numbers to the application's log macro.
pub fn log_u(record: &Record<Nums>, a: c_uint, b: c_uint, c: c_uint) {
    // SAFETY: as for log_0, with at most three conversions, each %u, %x or %08x, which read the
    // unsigned ints passed in order; printf ignores those left over.
    unsafe { ota_rs_log_u(record.text().as_ptr(), a, b, c) }
}

/// Hands a record with a signed number and up to two unsigned ones to the application's log
/// macro.
pub fn log_duu(record: &Record<IntNumNum>, d: c_int, a: c_uint, b: c_uint) {
    // SAFETY: as for log_u, with the conversions a leading part of %d, then two of %u, %x or
    // %08x, reading the int and the unsigned ints passed in order.
    unsafe { ota_rs_log_duu(record.text().as_ptr(), d, a, b) }
}

/// Hands a record with a string, a number and a string (or the start of those) to the
/// application's log macro.
pub fn log_sus(record: &Record<StrNumStr>, s1: Text<'_>, a: c_uint, s2: Text<'_>) {
    let (len1, p1) = text_arg(s1, record.cap());
    let (len2, p2) = text_arg(s2, record.cap());
    // SAFETY: as for log_u, with the conversions a leading part of %.*s, a number, %.*s; each
    // string pointer is live for this call and readable for its precision or up to its NUL.
    unsafe { ota_rs_log_sus(record.text().as_ptr(), len1, p1, a, len2, p2) }
}

/// Hands a record and up to three strings to the application's log macro.
pub fn log_sss(record: &Record<Strs>, s1: Text<'_>, s2: Text<'_>, s3: Text<'_>) {
    let (len1, p1) = text_arg(s1, record.cap());
    let (len2, p2) = text_arg(s2, record.cap());
    let (len3, p3) = text_arg(s3, record.cap());
    // SAFETY: as for log_sus, with the conversions up to three %.*s.
    unsafe { ota_rs_log_sss(record.text().as_ptr(), len1, p1, len2, p2, len3, p3) }
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

/// The lock around the agent's shared state, held while the guard lives (it nests). On
/// bare-metal Cortex-M (single core) it masks interrupts in place, a few bytes per use; elsewhere
/// it is the shim's (or the OS port's) `ota_rs_critical_enter`/`exit`.
pub struct CriticalSection {
    saved: u32,
}

impl CriticalSection {
    #[inline(always)]
    pub fn enter() -> CriticalSection {
        CriticalSection {
            saved: critical_enter(),
        }
    }
}

impl Drop for CriticalSection {
    #[inline(always)]
    fn drop(&mut self) {
        critical_exit(self.saved);
    }
}

#[cfg(all(target_arch = "arm", target_os = "none"))]
#[inline(always)]
fn critical_enter() -> u32 {
    let primask: u32;
    // SAFETY: reads PRIMASK and masks interrupts; no memory is touched, and without `nomem` the
    // asm is a compiler barrier, so no access to the shared state moves out of the section.
    unsafe {
        core::arch::asm!("mrs {0}, PRIMASK", "cpsid i", out(reg) primask, options(nostack, preserves_flags))
    };
    primask
}

#[cfg(all(target_arch = "arm", target_os = "none"))]
#[inline(always)]
fn critical_exit(saved: u32) {
    // SAFETY: restores the PRIMASK that critical_enter read (interrupts stay masked if they
    // were before); a compiler barrier as above.
    unsafe {
        core::arch::asm!("msr PRIMASK, {0}", in(reg) saved, options(nostack, preserves_flags))
    };
}

#[cfg(not(all(target_arch = "arm", target_os = "none")))]
fn critical_enter() -> u32 {
    // SAFETY: the shim's (or the OS port's) enter takes no arguments; its result is only handed
    // back to the matching exit.
    unsafe { ota_rs_critical_enter() }
}

#[cfg(not(all(target_arch = "arm", target_os = "none")))]
fn critical_exit(saved: u32) {
    // SAFETY: exits the critical section entered with this value.
    unsafe { ota_rs_critical_exit(saved) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_slot_never_reaches_past_its_bytes_or_the_cap() {
        let (len, _) = text_arg(Text::Bytes(b"0123456789"), 4);
        assert_eq!(len, 4);
        let abc = b"abc";
        let (len, p) = text_arg(Text::Bytes(abc), 100);
        assert_eq!((len, p), (3, abc.as_ptr().cast()));
        // An empty slice gets a real "" to point at.
        let (len, p) = text_arg(Text::Bytes(&[]), 100);
        assert_eq!(len, 0);
        // SAFETY: text_arg returns a NUL-terminated static string for an empty slice.
        assert_eq!(unsafe { core::ffi::CStr::from_ptr(p) }, c"");
        // A C string stops printf at its NUL; the precision is the cap.
        let path = c"path";
        let (len, p) = text_arg(Text::Nul(path), 9);
        assert_eq!((len, p), (9, path.as_ptr()));
    }
}
