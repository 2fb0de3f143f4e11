//! The file context's static (v2.0.0's `otaAgent.fileContext`), below both `fctx`, which
//! reads and writes its fields, and `iface`, which hands its address to every PAL call.

use crate::sys::global::Global;
use crate::sys::{OtaFileContext_t, Sig256_t};

/// The file context every PAL call receives (v2.0.0's `otaAgent.fileContext`).
pub static FILE: Global<OtaFileContext_t> = Global::new(empty());

/// A zeroed file context: every pointer NULL, every size 0.
pub const fn empty() -> OtaFileContext_t {
    // SAFETY: OtaFileContext_t is a C struct of integers, bools (0 = false) and raw pointers
    // (0 = NULL); all-zero bytes are a valid value of each field.
    unsafe { core::mem::zeroed() }
}

/// A zeroed signature buffer.
pub const fn empty_signature() -> Sig256_t {
    // SAFETY: Sig256_t is a u16 and a byte array; all-zero is valid.
    unsafe { core::mem::zeroed() }
}
