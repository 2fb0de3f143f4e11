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

//TMP pub mod codec;
pub mod config;
pub mod ffi;
#[macro_use]
pub mod log;
pub mod sys;

/// A panic is a bug; across the C boundary it must stop the program, never unwind.
#[cfg(all(not(test), not(feature = "std")))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    sys::shim::abort()
}
