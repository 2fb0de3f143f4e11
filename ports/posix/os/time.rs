//! Time for the port: a CLOCK_MONOTONIC instant and the deadlines the waits use.

use super::*;

/// A point on `CLOCK_MONOTONIC`, the clock the condition variables wait against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Instant {
    pub(super) sec: libc::time_t,
    pub(super) nsec: libc::c_long,
}

pub(super) fn zero_timespec() -> libc::timespec {
    // SAFETY: timespec is plain integers (plus padding on some targets); all zero is valid.
    unsafe { MaybeUninit::<libc::timespec>::zeroed().assume_init() }
}

impl Instant {
    pub(super) fn now() -> Option<Instant> {
        let mut ts = zero_timespec();
        // SAFETY: `ts` is a live, writable timespec.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (rc == 0).then_some(Instant {
            sec: ts.tv_sec,
            nsec: ts.tv_nsec,
        })
    }

    /// This instant plus `ms` milliseconds; `None` only if the clock would overflow.
    pub(super) fn after_ms(self, ms: u32) -> Option<Instant> {
        // Both parts fit every time_t and c_long: ms / 1000 < 2^23 and the nanoseconds < 10^9.
        let add_sec = (ms / 1000) as libc::time_t;
        let add_nsec = (ms % 1000).saturating_mul(1_000_000) as libc::c_long;
        let mut sec = self.sec.checked_add(add_sec)?;
        let mut nsec = self.nsec.checked_add(add_nsec)?;
        if nsec >= NANOS_PER_SEC {
            nsec = nsec.checked_sub(NANOS_PER_SEC)?;
            sec = sec.checked_add(1)?;
        }
        Some(Instant { sec, nsec })
    }

    pub(super) fn timespec(self) -> libc::timespec {
        let mut ts = zero_timespec();
        ts.tv_sec = self.sec;
        ts.tv_nsec = self.nsec;
        ts
    }
}

/// The deadline `timeout_ms` from now; `Ok(None)` for a timeout of 0.
pub(super) fn deadline_after(timeout_ms: u32) -> Result<Option<Instant>, ()> {
    if timeout_ms == 0 {
        return Ok(None);
    }
    Instant::now()
        .and_then(|now| now.after_ms(timeout_ms))
        .map(Some)
        .ok_or(())
}
