//! Static storage for the agent singleton, shared with C by address.
//!
//! v2.0.0 keeps its agent in file-scope C variables that the agent task, the application's
//! callbacks, its other threads (`OTA_SetImageState`) and the timer callbacks all touch, with no
//! lock. `Global` is the Rust form of such a variable: it has a fixed address (the PAL is handed
//! `&fileContext`), and it is reached only through [`Global::with`], which holds the library's
//! critical section (src/ffi/shim.c: interrupts off on Cortex-M, a recursive mutex on hosted
//! systems, or the OS port's) for the few loads and stores of a closure that never calls out.

use crate::sys::shim::CriticalSection;
use core::cell::UnsafeCell;

/// A statically allocated value shared between the agent task and the API's callers.
pub struct Global<T>(UnsafeCell<T>);

// SAFETY: every access goes through `with`, which holds the critical section, so no two threads
// reach the value at once; C code that is handed the address (the PAL, with the file context)
// reads it on the agent task, between accesses.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(value: T) -> Self {
        Global(UnsafeCell::new(value))
    }

    /// The address C code is given (e.g. the file context passed to every PAL call).
    pub const fn as_ptr(&self) -> *mut T {
        self.0.get()
    }

    /// Runs `f` with exclusive access, inside the critical section. `f` must not call the
    /// application's interfaces or callbacks (they may re-enter the library or block): read or
    /// write, then return.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _lock = CriticalSection::enter();
        // SAFETY: the critical section keeps other threads out, and `f` does not re-enter the
        // library (the method contract), so this is the only reference to the value while `f`
        // runs. A nested `with` on another `Global` is fine; on the same one it would alias, and
        // no code path does that.
        f(unsafe { &mut *self.0.get() })
    }

    /// Like [`Global::with`] for this value and `other` together, under one critical section
    /// (each one taken costs a lock on hosted systems and code at every site on Cortex-M).
    pub fn with2<U, R>(&self, other: &Global<U>, f: impl FnOnce(&mut T, &mut U) -> R) -> R {
        if self.as_ptr().cast::<u8>() == other.as_ptr().cast::<u8>() {
            // The same value twice would be two `&mut` to it; no caller passes one static twice.
            crate::sys::shim::abort();
        }
        let _lock = CriticalSection::enter();
        // SAFETY: as for `with`; the two values are distinct objects (checked above), so the two
        // references do not alias.
        f(unsafe { &mut *self.0.get() }, unsafe {
            &mut *other.0.get()
        })
    }
}
