//! The C exports: each checks its pointers, converts, and calls safe Rust. Nothing here is
//! reached from the rest of the crate. Parameters keep their v2.0.0 names.
#![allow(non_snake_case)]

pub(crate) mod agent;
pub(crate) mod codec;
pub(crate) mod ext;
pub(crate) mod strerror;

/// The bytes of a C string before its NUL: a byte loop, where `CStr::from_ptr` would link the
/// C library's `strlen` (220 B on Cortex-M) for two short strings.
///
/// # Safety
/// `p` points at a NUL-terminated string that outlives the returned slice.
unsafe fn until_nul<'a>(p: *const u8) -> &'a [u8] {
    let mut len = 0usize;
    // SAFETY: every byte up to and including the NUL belongs to the string (the caller's
    // contract), and the loop stops at the NUL.
    unsafe {
        while *p.add(len) != 0 {
            // Saturating: a wrapping count is a loop LLVM turns into that strlen (+248 B, measured).
            len = len.saturating_add(1);
        }
        core::slice::from_raw_parts(p, len)
    }
}
