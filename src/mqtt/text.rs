//! Fixed-capacity text for topics and status messages: appends never overflow, an overflow is
//! remembered and reported, and the result is NUL-terminated for C consumers.

use crate::sys::buf::Buf;
use crate::sys::iface::Topic;
use core::mem::MaybeUninit;
use core::num::NonZeroU32;

/// A text buffer: `B` is `[MaybeUninit<u8>; N]` where one is built (the last byte is reserved
/// for the NUL) and `[MaybeUninit<u8>]` where it is written, so every capacity shares one copy
/// of the code. Never zeroed: only what was pushed is read back (src/sys/buf.rs).
pub struct TextBuf<B: ?Sized> {
    overflow: bool,
    buf: Buf<B>,
}

/// A text buffer of `N` bytes.
pub type Text<const N: usize> = TextBuf<[MaybeUninit<u8>; N]>;

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Text<N> {
    pub const fn new() -> Self {
        TextBuf {
            overflow: false,
            buf: Buf::new(),
        }
    }
}

// Methods live on the unsized view, so every capacity calls the same code.
impl<const N: usize> core::ops::Deref for Text<N> {
    type Target = TextBuf<[MaybeUninit<u8>]>;
    fn deref(&self) -> &TextBuf<[MaybeUninit<u8>]> {
        self
    }
}

impl<const N: usize> core::ops::DerefMut for Text<N> {
    fn deref_mut(&mut self) -> &mut TextBuf<[MaybeUninit<u8>]> {
        self
    }
}

impl TextBuf<[MaybeUninit<u8>]> {
    /// Appends bytes; on overflow nothing is appended and the text is marked invalid.
    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        // Below the capacity: the last byte stays free for the NUL.
        let fits = self
            .buf
            .len()
            .checked_add(s.len())
            .is_some_and(|end| end < self.buf.capacity());
        if !(fits && self.buf.push(s)) {
            self.overflow = true;
        }
        self
    }

    /// Appends a number in decimal; 0 is "0" (v2.0.0 printed nothing, upstream #475).
    pub fn push_decimal(&mut self, value: u32) -> &mut Self {
        self.push_number(value, false)
    }

    /// Appends `value` in decimal, or in exactly eight lower-case hex digits as v2.0.0 prints
    /// them: one loop for both bases, a digit at a time from the highest, so no digit buffer.
    #[inline(never)]
    pub fn push_number(&mut self, value: u32, hex: bool) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // The value of the first digit's place; a divisor, never 0.
        let (base, first): (u32, u32) = if hex {
            (16, 1 << 28)
        } else {
            (10, 1_000_000_000)
        };
        let mut place = NonZeroU32::new(first).unwrap_or(NonZeroU32::MIN);
        // The next place down, None past the ones.
        let lower = |place: NonZeroU32| NonZeroU32::new(place.get().checked_div(base).unwrap_or(0));
        // Decimal has no leading zeros (but 0 is "0"); hex keeps all eight digits.
        while !hex && value < place.get() {
            match lower(place) {
                Some(next) => place = next,
                None => break,
            }
        }
        loop {
            let digit = (value / place).checked_rem(base).unwrap_or(0);
            self.push(
                DIGITS
                    .get(digit as usize..)
                    .and_then(|d| d.get(..1))
                    .unwrap_or(&[]),
            );
            match lower(place) {
                Some(next) => place = next,
                None => return self,
            }
        }
    }

    /// How many bytes the text holds so far (meaningless after an overflow).
    pub fn written(&self) -> usize {
        self.buf.len()
    }

    /// Empties the text, so one buffer serves several topics in turn.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }

    /// The text without its NUL, or None after an overflow. Inlined: a flag test and a bound at
    /// each of its two callers beat a call (-16 B, measured).
    #[inline(always)]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        (!self.overflow).then(|| self.buf.bytes())
    }

    /// The text as a topic for the MQTT interface (NUL-terminated), or None after an overflow.
    /// Out of line: the topic's checks in one place for every MQTT call.
    #[inline(never)]
    pub fn topic(&mut self) -> Option<Topic<'_>> {
        self.with_nul().and_then(Topic::new)
    }

    /// The text with its NUL (for topics handed to C), or None after an overflow. The NUL is
    /// written here, after the text's last byte.
    pub fn with_nul(&mut self) -> Option<&[u8]> {
        if self.overflow {
            return None;
        }
        self.buf.terminated(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_like_v2_except_zero() {
        let mut t = Text::<32>::new();
        t.push_decimal(0)
            .push(b",")
            .push_decimal(4_294_967_295)
            .push(b",")
            .push_number(0x1c, true);
        assert_eq!(t.as_bytes().unwrap(), b"0,4294967295,0000001c");
    }

    #[test]
    fn numbers_at_each_digit_count_render_in_full() {
        let mut t = Text::<128>::new();
        for v in [9, 10, 99, 100, 999_999_999, 1_000_000_000] {
            t.push_decimal(v).push(b",");
        }
        t.push_number(0, true)
            .push(b",")
            .push_number(u32::MAX, true)
            .push(b",")
            .push_number(0x1000_0000, true);
        assert_eq!(
            t.as_bytes().unwrap(),
            b"9,10,99,100,999999999,1000000000,00000000,ffffffff,10000000"
        );
    }

    #[test]
    fn a_number_that_does_not_fit_marks_the_overflow() {
        let mut t = Text::<8>::new();
        t.push(b"abc").push_decimal(12345);
        assert!(t.as_bytes().is_none());
    }

    #[test]
    fn overflow_is_reported_not_truncated() {
        let mut t = Text::<8>::new();
        t.push(b"1234567");
        assert_eq!(t.with_nul().unwrap(), b"1234567\0");
        t.push(b"8");
        assert!(t.as_bytes().is_none());
    }
}
