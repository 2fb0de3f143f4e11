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
    pub fn push_decimal(&mut self, value: u32) -> &mut Self {
        self.push_number(value, false)
    }

    /// Appends `value` in decimal, or in exactly eight lower-case hex digits as v2.0.0 prints
    /// them: one loop for both bases.
    #[inline(never)]
    pub fn push_number(&mut self, mut value: u32, hex: bool) -> &mut Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let (base, width) = if hex { (16, 8) } else { (10, 1) };
        let mut digits = [0u8; 10];
        let mut start = digits.len();
        while let Some(at) = start.checked_sub(1) {
            start = at;
            let digit = value.checked_rem(base).unwrap_or(0);
            if let (Some(d), Some(&c)) = (digits.get_mut(at), DIGITS.get(digit as usize)) {
                *d = c;
            }
            value = value.checked_div(base).unwrap_or(0);
            if value == 0 && digits.len().saturating_sub(at) >= width {
                break;
            }
        }
        self.push(digits.get(start..).unwrap_or(&[]))
    }

    /// How many bytes the text holds so far (meaningless after an overflow).
    pub fn written(&self) -> usize {
        self.len
    }

    /// Empties the text, so one buffer serves several topics in turn.
    pub fn clear(&mut self) {
        self.len = 0;
        self.overflow = false;
    }

    /// The text without its NUL, or None after an overflow.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        if self.overflow {
            None
        } else {
            self.bytes.get(..self.len)
        }
    }

    /// The text with its NUL (for topics handed to C), or None after an overflow. The NUL is
    /// written here, so a buffer emptied by `clear` may hold older text beyond its length.
    pub fn with_nul(&mut self) -> Option<&[u8]> {
        if self.overflow {
            return None;
        }
        *self.bytes.get_mut(self.len)? = 0;
        self.bytes.get(..=self.len)
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
    fn overflow_is_reported_not_truncated() {
        let mut t = Text::<8>::new();
        t.push(b"1234567");
        assert_eq!(t.with_nul().unwrap(), b"1234567\0");
        t.push(b"8");
        assert!(t.as_bytes().is_none());
    }
}
