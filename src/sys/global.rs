//! Static storage for the agent singleton, shared with C by address.
//!
//! v2.0.0 keeps its agent in file-scope C variables that the agent task, the application's
//! callbacks and the timer callbacks all touch. `Global` is the Rust form of such a variable:
//! it has a fixed address (the PAL is handed `&fileContext`), and it is accessed through
//! short closures that never call out to foreign code, so no reference into it is alive when a
//! callback re-enters the library on the same thread.

use core::cell::UnsafeCell;

/// A statically allocated value owned by the agent task (see the module docs).
pub struct Global<T>(UnsafeCell<T>);

// SAFETY: the threading contract is v2.0.0's: the agent task owns these values; API calls from
// other threads touch only atomics, except `OTA_SetImageState`, which v2.0.0 documents to run in
// the caller's thread (the application calls it from its self-test flow).
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    pub const fn new(value: T) -> Self {
        Global(UnsafeCell::new(value))
    }

    /// The address C code is given (e.g. the file context passed to every PAL call).
    pub const fn as_ptr(&self) -> *mut T {
        self.0.get()
    }

    /// Runs `f` with exclusive access. `f` must not call the application's interfaces or
    /// callbacks (they may re-enter the library): read or write, then return.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: accesses are confined to closures that do not re-enter the library (see the
        // method contract), so no other reference to the value exists while `f` runs on this
        // thread; other threads follow the contract described on the `Sync` impl.
        f(unsafe { &mut *self.0.get() })
    }
}
