//! The HTTP data plane: the application's HTTP client fetches byte ranges of the pre-signed
//! URL; each response body is one block.
//!
//! v2.0.0 labels each body with a counter of bodies received, so a late or repeated response
//! shifts every later block. Here each request is remembered in order, and each body is the
//! block of the oldest request not yet answered.

use crate::config;
use crate::sys::{self, iface, OtaErr_t};

/// Requests remembered at once; older ones are forgotten (their bodies then count as unasked).
const IN_FLIGHT: usize = 4;

/// Blocks asked for and not yet answered, oldest first.
#[derive(Clone, Copy, Debug, Default)]
pub struct InFlight {
    /// A ring: the oldest request at `head % IN_FLIGHT`, the next free slot at `tail %
    /// IN_FLIGHT`; both count up and wrap, and `tail - head` requests are in it.
    blocks: [u32; IN_FLIGHT],
    /// u16, so the ring has no padding and the agent's reset stays one clear of its memory.
    head: u16,
    tail: u16,
}

impl InFlight {
    pub const fn new() -> Self {
        InFlight {
            blocks: [0; IN_FLIGHT],
            head: 0,
            tail: 0,
        }
    }

    /// The ring slot of count `n` (IN_FLIGHT is a power of two, so the wrap at 2^16 keeps it).
    fn slot(n: u16) -> usize {
        usize::from(n) % IN_FLIGHT
    }

    /// Remembers `block` before its request goes out: a client that answers inside the request
    /// (or a body the queue refuses meanwhile) finds it already there.
    pub fn ask(&mut self, block: u32) {
        if usize::from(self.tail.wrapping_sub(self.head)) >= IN_FLIGHT {
            // Full: the oldest is forgotten (its body then counts as unasked).
            self.head = self.head.wrapping_add(1);
        }
        if let Some(slot) = self.blocks.get_mut(Self::slot(self.tail)) {
            *slot = block;
        }
        self.tail = self.tail.wrapping_add(1);
    }

    /// The block the next body answers, if a request is outstanding.
    pub fn answer(&mut self) -> Option<u32> {
        if self.head == self.tail {
            return None;
        }
        let block = self.blocks.get(Self::slot(self.head)).copied();
        self.head = self.head.wrapping_add(1);
        block
    }

    /// Forgets the newest request: its body was refused by the event queue, or the request did
    /// not go out.
    pub fn forget_newest(&mut self) {
        if self.head != self.tail {
            self.tail = self.tail.wrapping_sub(1);
        }
    }

    pub fn clear(&mut self) {
        self.head = self.tail;
    }
}

/// The inclusive byte range of `block` in a file of `file_size` bytes.
pub fn range(block: u32, file_size: u32) -> Option<(u32, u32)> {
    let start = block.checked_mul(config::FILE_BLOCK_SIZE)?;
    let end = start.saturating_add(config::FILE_BLOCK_SIZE).min(file_size);
    (end > start).then(|| (start, end.saturating_sub(1)))
}

/// Opens the transfer: hands the job's pre-signed URL to the application's HTTP client.
pub fn init() -> Result<(), OtaErr_t> {
    let status = iface::http_init();
    if status == sys::OtaHttpSuccess {
        Ok(())
    } else {
        ota_log!(Error, "Failed to initialize HTTP: status=", u(status));
        Err(sys::OtaErrInitFileTransferFailed)
    }
}

/// Asks for one block.
#[inline(always)]
pub fn request(block: u32, file_size: u32) -> Result<(), OtaErr_t> {
    let (start, end) = range(block, file_size).ok_or(sys::OtaErrRequestFileBlockFailed)?;
    let status = iface::http_request(start, end);
    if status == sys::OtaHttpSuccess {
        Ok(())
    } else {
        ota_log!(
            Error,
            "Failed to request bytes ",
            u(start),
            "-",
            u(end),
            ": status=",
            u(status)
        );
        Err(sys::OtaErrRequestFileBlockFailed)
    }
}

/// Closes the transfer.
pub fn cleanup() -> Result<(), OtaErr_t> {
    if iface::http_deinit() == sys::OtaHttpSuccess {
        Ok(())
    } else {
        Err(sys::OtaErrCleanupDataFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_cover_the_file_and_the_last_block_is_short() {
        let b = config::FILE_BLOCK_SIZE;
        assert_eq!(range(0, 2 * b + 10), Some((0, b - 1)));
        assert_eq!(range(2, 2 * b + 10), Some((2 * b, 2 * b + 9)));
        assert_eq!(range(3, 2 * b + 10), None);
        assert_eq!(range(u32::MAX, u32::MAX), None);
    }

    #[test]
    fn bodies_answer_requests_in_order_even_when_repeated() {
        let mut f = InFlight::new();
        f.ask(5);
        f.ask(5);
        f.ask(6);
        assert_eq!(f.answer(), Some(5));
        assert_eq!(f.answer(), Some(5));
        assert_eq!(f.answer(), Some(6));
        assert_eq!(f.answer(), None);
    }

    #[test]
    fn a_refused_body_forgets_the_newest_request_only() {
        let mut f = InFlight::new();
        f.ask(0);
        f.ask(0);
        f.forget_newest();
        assert_eq!(f.answer(), Some(0));
        assert_eq!(f.answer(), None);
        f.forget_newest();
        f.ask(1);
        assert_eq!(f.answer(), Some(1));
    }

    #[test]
    fn a_body_refused_inside_its_request_is_never_remembered() {
        let mut f = InFlight::new();
        f.ask(0);
        f.ask(1);
        f.forget_newest();
        assert_eq!(f.answer(), Some(0));
        assert_eq!(f.answer(), None);
        f.ask(2);
        assert_eq!(f.answer(), Some(2));
    }

    #[test]
    fn the_ring_keeps_its_order_where_its_counters_wrap() {
        let mut f = InFlight::new();
        for b in 0..70_000u32 {
            f.ask(b);
            f.ask(b + 1);
            assert_eq!(f.answer(), Some(b));
            f.forget_newest();
            assert_eq!(f.answer(), None);
        }
    }

    #[test]
    fn only_the_newest_requests_are_remembered() {
        let mut f = InFlight::new();
        for b in 0..10 {
            f.ask(b);
        }
        assert_eq!(f.answer(), Some(6));
    }
}
