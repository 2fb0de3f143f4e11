//! Safe wrappers over the C shim (src/ffi/shim.c) and the C runtime: the application's
//! version and signature key, the trap, the critical section. Log records go out through
//! `log::emit`.

use crate::sys::AppVersion32_t;
use core::ffi::c_char;

extern "C" {
    fn ota_rs_app_firmware_version() -> *const AppVersion32_t;
    fn ota_rs_json_file_signature_key() -> *const c_char;
    #[cfg(not(test))]
    fn ota_rs_trap() -> !;
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    fn ota_rs_critical_enter() -> u32;
    #[cfg(not(all(target_arch = "arm", target_os = "none")))]
    fn ota_rs_critical_exit(saved: u32);
}

/// The application's `appFirmwareVersion`, or `None` when the program does not define it.
pub fn app_firmware_version() -> Option<&'static AppVersion32_t> {
    // SAFETY: the shim returns the address of a weakly referenced `const` object with static
    // storage, or NULL when the link left it undefined; `as_ref` maps NULL to None.
    unsafe { ota_rs_app_firmware_version().as_ref() }
}

/// The packed version word (`u.unsignedVersion32`) of `appFirmwareVersion`. Inlined: its two
/// callers' call of the shim, test and load beat a function of its own (-16 B, measured).
#[inline(always)]
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
// Inlined: the panic handler then calls the trap itself, with no 8-byte step between.
#[inline(always)]
pub fn abort() -> ! {
    // SAFETY: the shim's trap takes no arguments and never returns.
    unsafe { ota_rs_trap() }
}

/// In unit tests a trap would end the test binary; a panic fails the one test.
#[cfg(test)]
pub fn abort() -> ! {
    panic!("ota-rs: abort")
}

/// The lock around the agent's shared state, held while the guard lives (it nests). On
/// bare-metal Cortex-M (single core) it masks interrupts, a call in and an inline restore per
/// use; elsewhere it is the shim's (or the OS port's) `ota_rs_critical_enter`/`exit`.
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
// Out of line: a 4-byte call per site beats the 6-byte pair; the exit's lone `msr` stays inline.
#[inline(never)]
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
