//! Byte buffers that are never zeroed: what was appended can be read back, nothing else.
//!
//! Topics, status payloads and stream requests are built on the agent task's stack for every
//! message; zeroing each buffer first cost a memset per message (about 15 Ir per MQTT block).

use core::mem::MaybeUninit;
use core::ptr::copy_nonoverlapping;

/// Bytes appended to a fixed buffer: `B` is `[MaybeUninit<u8>; N]` where one is declared and
/// `[MaybeUninit<u8>]` where it is written, so every capacity shares one copy of the code.
pub struct Buf<B: ?Sized> {
    /// Every byte below `len` has been written: `push` (through [`Fill`]) is the only writer
    /// that advances `len`, over exactly what it wrote; `terminated` writes the byte at `len`.
    len: usize,
    bytes: B,
}

impl<const N: usize> Buf<[MaybeUninit<u8>; N]> {
    pub const fn new() -> Self {
        Buf {
            len: 0,
            bytes: [MaybeUninit::uninit(); N],
        }
    }
}

impl<const N: usize> Default for Buf<[MaybeUninit<u8>; N]> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::ops::Deref for Buf<[MaybeUninit<u8>; N]> {
    type Target = Buf<[MaybeUninit<u8>]>;
    fn deref(&self) -> &Buf<[MaybeUninit<u8>]> {
        self
    }
}

impl<const N: usize> core::ops::DerefMut for Buf<[MaybeUninit<u8>; N]> {
    fn deref_mut(&mut self) -> &mut Buf<[MaybeUninit<u8>]> {
        self
    }
}

/// The initialized view of written bytes.
///
/// # Safety
/// Every byte of `part` has been written.
unsafe fn written(part: &[MaybeUninit<u8>]) -> &[u8] {
    // SAFETY: every byte is written (the caller's promise), and MaybeUninit<u8> has the size,
    // alignment and layout of u8.
    unsafe { &*(part as *const [MaybeUninit<u8>] as *const [u8]) }
}

impl Buf<[MaybeUninit<u8>]> {
    /// How many bytes have been appended.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn capacity(&self) -> usize {
        self.bytes.len()
    }

    /// Appends `src` whole, or nothing and false.
    #[inline(always)]
    pub fn push(&mut self, src: &[u8]) -> bool {
        // The same invariant: the bytes below `len` are written.
        let mut fill = Fill {
            out: &mut self.bytes,
            len: self.len,
        };
        let pushed = fill.push(src);
        self.len = fill.len;
        pushed
    }

    /// Forgets what was appended (the bytes stay, unreadable).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The bytes appended so far.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the bytes below `len` are written (the field's invariant).
        unsafe { written(self.bytes.get(..self.len).unwrap_or(&[])) }
    }

    /// The bytes appended so far and `last` after them, which is written but not counted (a C
    /// string's NUL); None when there is no room for it.
    pub fn terminated(&mut self, last: u8) -> Option<&[u8]> {
        self.bytes.get_mut(self.len)?.write(last);
        // SAFETY: the bytes below `len` are written, and the one at `len` was just now.
        Some(unsafe { written(self.bytes.get(..=self.len)?) })
    }
}

/// Bytes appended to a borrowed buffer, as [`Buf`] does for its own: a message built in one go
/// in a local array (`[MaybeUninit::uninit(); N]`), its state kept in registers.
pub struct Fill<'a> {
    /// Every byte below `len` has been written, as in [`Buf`].
    out: &'a mut [MaybeUninit<u8>],
    len: usize,
}

impl<'a> Fill<'a> {
    pub fn new(out: &'a mut [MaybeUninit<u8>]) -> Self {
        Fill { out, len: 0 }
    }

    /// A fill over bytes that are already initialized (a caller's buffer).
    pub fn over(out: &'a mut [u8]) -> Self {
        // SAFETY: same layout; a Fill only ever stores initialized bytes, so `out` stays
        // initialized when the borrow ends.
        let out = unsafe { &mut *(out as *mut [u8] as *mut [MaybeUninit<u8>]) };
        Fill { out, len: 0 }
    }

    /// How many bytes have been appended.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends `src` whole, or nothing and false.
    #[inline(always)]
    pub fn push(&mut self, src: &[u8]) -> bool {
        let Some(end) = self.len.checked_add(src.len()) else {
            return false;
        };
        let Some(dst) = self.out.get_mut(self.len..end) else {
            return false;
        };
        // SAFETY: `dst` is `src.len()` bytes of the buffer, which `src` (a shared borrow while
        // the buffer is borrowed mutably) cannot overlap.
        unsafe { copy_nonoverlapping(src.as_ptr(), dst.as_mut_ptr().cast::<u8>(), src.len()) };
        self.len = end;
        true
    }

    /// Appends one byte, or nothing and false when full.
    #[inline(always)]
    pub fn push_byte(&mut self, byte: u8) -> bool {
        match self.out.get_mut(self.len) {
            Some(slot) => {
                slot.write(byte);
                self.len = self.len.wrapping_add(1);
                true
            }
            None => false,
        }
    }

    /// Appends `first`, then the low `width` bytes of `value` big-endian (at most eight), whole
    /// or not at all: a CBOR head, written in place.
    #[inline(always)]
    pub fn push_be(&mut self, first: u8, value: u64, width: usize) -> bool {
        let Some(end) = self
            .len
            .checked_add(1)
            .and_then(|n| n.checked_add(width.min(8)))
        else {
            return false;
        };
        let Some((initial, be)) = self
            .out
            .get_mut(self.len..end)
            .and_then(|d| d.split_first_mut())
        else {
            return false;
        };
        initial.write(first);
        let mut rest = value;
        for byte in be.iter_mut().rev() {
            byte.write(rest as u8);
            rest = rest.wrapping_shr(8);
        }
        self.len = end;
        true
    }

    /// The bytes appended, for as long as the buffer is borrowed.
    pub fn into_written(self) -> &'a [u8] {
        // SAFETY: the bytes below `len` are written (the field's invariant).
        unsafe { written(self.out.get(..self.len).unwrap_or(&[])) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_was_appended_is_read_back() {
        let mut b = Buf::<[MaybeUninit<u8>; 6]>::new();
        assert!(b.push(b"abc") && b.push(b"d"));
        assert_eq!(b.bytes(), b"abcd");
        assert!(
            !b.push(b"xyz"),
            "a piece that does not fit is refused whole"
        );
        assert_eq!(b.bytes(), b"abcd");
        assert_eq!(b.terminated(0), Some(&b"abcd\0"[..]));
        assert_eq!(b.len(), 4, "the terminator is not counted");
        assert!(b.push(b"ef") && !b.push(b"g"));
        assert_eq!(b.terminated(0), None, "no room for the terminator");
        b.clear();
        b.clear();
        assert_eq!(b.bytes(), b"");
        assert_eq!(b.capacity(), 6);
    }

    #[test]
    fn a_fill_reads_back_its_pieces_and_heads() {
        let mut out = [MaybeUninit::uninit(); 6];
        let mut f = Fill::new(&mut out);
        assert!(f.push(b"a") && f.push_be(0x59, 0x1234, 2) && f.push_byte(0x18));
        assert!(
            !f.push_be(0x1b, u64::MAX, 8),
            "a head that does not fit is refused whole"
        );
        assert!(!f.push(b"bc") && f.push_byte(b'b') && !f.push_byte(0));
        assert_eq!(f.len(), 6);
        assert_eq!(f.into_written(), b"a\x59\x12\x34\x18b");
    }

    #[test]
    fn a_fill_over_a_callers_bytes_overwrites_only_its_prefix() {
        let mut out = *b"......";
        let mut f = Fill::over(&mut out);
        assert!(f.push(b"ab"));
        assert_eq!(f.into_written(), b"ab");
        assert_eq!(&out, b"ab....");
    }
}
