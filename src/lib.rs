//! AWS IoT Over-the-air Update client library v2.0.0, in Rust, behind the exact v2.0.0 C API.
//!
//! Data flows down the module list: `ffi` (the C exports) → agent → job parser and data planes
//! → `codec` (base64, CBOR) → `log`, `config`, `sys` (generated C types and the C shim).
#![cfg_attr(not(test), no_std)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]
// C enums are as wide as the firmware's C compiler makes them (one byte with arm-none-eabi-gcc),
// so a widening `.into()` to a 32-bit status word is a no-op on some targets only.
#![allow(clippy::useless_conversion)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::panic
    )
)]

#[macro_use]
pub(crate) mod log;

pub(crate) mod agent;
pub(crate) mod bitmap;
pub(crate) mod codec;
pub(crate) mod config;
pub(crate) mod ffi;
pub(crate) mod http;
pub(crate) mod job;
pub(crate) mod mqtt;
pub(crate) mod resume;
pub(crate) mod sys;

// The POSIX OS port. Cargo turns `os-posix` on by default on every target; it only takes effect
// on Linux (the port needs pthread clock selection, pthread_atfork and Linux's libc bindings),
// so on other targets, bare metal included, it compiles to nothing.
#[cfg(all(feature = "os-posix", target_os = "linux"))]
#[path = "../ports/posix/os/mod.rs"]
pub(crate) mod os_posix;

#[cfg(all(feature = "pal-posix", unix))]
#[path = "../ports/posix/pal/mod.rs"]
pub(crate) mod pal_posix;

/// A panic is a bug; across the C boundary it must stop the program, never unwind.
#[cfg(all(not(test), not(feature = "std")))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    sys::shim::abort()
}
