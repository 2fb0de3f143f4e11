//! Fixed-capacity text for topics and status messages: appends never overflow, an overflow is
//! remembered and reported, and the result is NUL-terminated for C consumers.

/// A text buffer: `B` is `[u8; N]` where one is built (the last byte is reserved for the NUL)
/// and `[u8]` where it is written, so every capacity shares one copy of the code.
pub struct TextBuf<B: ?Sized> {
    len: usize,
    overflow: bool,
    bytes: B,
}

/// A text buffer of `N` bytes.
pub type Text<const N: usize> = TextBuf<[u8; N]>;

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Text<N> {
    pub const fn new() -> Self {
        TextBuf {
            len: 0,
            overflow: false,
            bytes: [0; N],
        }
    }
}

// Methods live on the unsized view, so every capacity calls the same code.
impl<const N: usize> core::ops::Deref for Text<N> {
    type Target = TextBuf<[u8]>;
    fn deref(&self) -> &TextBuf<[u8]> {
        self
    }
}

impl<const N: usize> core::ops::DerefMut for Text<N> {
    fn deref_mut(&mut self) -> &mut TextBuf<[u8]> {
        self
    }
}

impl TextBuf<[u8]> {
    /// Appends bytes; on overflow nothing is appended and the text is marked invalid.
    pub fn push(&mut self, s: &[u8]) -> &mut Self {
        let end = self.len.checked_add(s.len());
        let cap = self.bytes.len();
        match end.and_then(|end| self.bytes.get_mut(self.len..end).map(|d| (d, end))) {
            Some((dst, end)) if end < cap => {
                dst.copy_from_slice(s);
                self.len = end;
            }
            _ => self.overflow = true,
        }
        self
    }

    /// Appends a number in decimal; 0 is "0" (v2.0.0 printed nothing, upstream #475).
    pub fn push_decimal(&mut self, mut value: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        loop {
            start = start.saturating_sub(1);
            if let Some(d) = digits.get_mut(start) {
                *d = b'0'.wrapping_add((value % 10) as u8);
            }
            value /= 10;
            if value == 0 || start == 0 {
                break;
            }
        }
        self.push(digits.get(start..).unwrap_or(&[]))
    }

    /// Appends a number as exactly eight lower-case hex digits, as v2.0.0 does.
    pub fn push_hex8(&mut self, value: u32) -> &mut Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut digits = [0u8; 8];
        for (i, d) in digits.iter_mut().enumerate() {
            let shift = 28u32.saturating_sub((i as u32).saturating_mul(4));
            *d = HEX
                .get(((value >> shift) & 0xf) as usize)
                .copied()
                .unwrap_or(b'0');
        }
        self.push(&digits)
    }

    /// The text without its NUL, or None after an overflow.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            self.bytes.get(..self.len)
        }
    }

    /// The text with its NUL (for topics handed to C), or None after an overflow.
    pub fn with_nul(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            self.bytes.get(..=self.len)
        }
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
            .push_hex8(0x1c);
        assert_eq!(t.as_bytes().unwrap(), b"0,4294967295,0000001c");
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
