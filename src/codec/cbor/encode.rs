//! Encoding a GetStream request: the general encoder and the compile-time templates of the
//! firmware's fixed requests.

use super::{
    CborError, INFO_EIGHT_BYTES, INFO_ONE_BYTE, PREFIX_BYTES, PREFIX_MAP, PREFIX_NEGATIVE,
    PREFIX_TEXT, PREFIX_UNSIGNED,
};
use crate::sys::buf::Fill;
use core::mem::MaybeUninit;

/// Appends a head: `prefix` | additional information, then the argument in its shortest form,
/// whole or not at all. Out of line: every head of a request shares it.
#[inline(never)]
fn push_head(w: &mut Fill<'_>, prefix: u8, arg: usize) -> bool {
    let (info, width) = if arg < usize::from(INFO_ONE_BYTE) {
        (arg as u8, 0)
    } else if arg <= 0xff {
        (INFO_ONE_BYTE, 1)
    } else if arg <= 0xffff {
        (INFO_ONE_BYTE | 1, 2)
    } else if arg as u64 <= u64::from(u32::MAX) {
        (INFO_ONE_BYTE | 2, 4)
    } else {
        (INFO_EIGHT_BYTES, 8)
    };
    w.push_be(prefix | info, arg as u64, width)
}

/// An integer's head: major type 0, or 1 with argument -1 - value (always the complement).
fn int_head(value: i32) -> (u8, u32) {
    if value < 0 {
        (PREFIX_NEGATIVE, !value as u32)
    } else {
        (PREFIX_UNSIGNED, value as u32)
    }
}

/// Encodes a GetStream request into `out` and returns the encoded length.
///
/// Mirrors v2.0.0 `OTA_CBOR_Encode_GetStreamRequestMessage`: `client_token` is the bytes of the
/// C string (without its NUL), `bitmap` the `blockBitmapSize` bytes of the bitmap. When `out`
/// is too small the result is [`CborError::BufferTooSmall`] and `out` holds the same complete
/// pieces that tinycbor would have written before giving up (the C function then returns
/// `false` and leaves `*pEncodedMessageSize` untouched).
// Hand-encoded (no minicbor): the decoder must be hand-written anyway to reproduce tinycbor's
// verdicts, a shortest-form head is a few lines, and tinycbor's partial-write behaviour on a
// short buffer stays under our control.
pub fn encode_get_stream_request(
    out: &mut [u8],
    client_token: &[u8],
    file_id: i32,
    block_size: i32,
    block_offset: i32,
    bitmap: &[u8],
    num_blocks: i32,
) -> Result<usize, CborError> {
    let mut w = Fill::over(out);
    let pieces = (|| {
        w.push_byte(PREFIX_MAP | 6).then_some(())?;
        // One loop over the keys: the firmware holds one copy of the key, head and body code.
        for &letter in b"cflobn" {
            // A key: head and letter, two pieces as for any string.
            (w.push_byte(PREFIX_TEXT | 1) && w.push_byte(letter)).then_some(())?;
            let (prefix, arg, body) = match letter {
                b'c' => (PREFIX_TEXT, client_token.len(), client_token),
                b'b' => (PREFIX_BYTES, bitmap.len(), bitmap),
                _ => {
                    let value = match letter {
                        b'f' => file_id,
                        b'l' => block_size,
                        b'o' => block_offset,
                        _ => num_blocks,
                    };
                    let (prefix, arg) = int_head(value);
                    (prefix, arg as usize, &[][..])
                }
            };
            // An integer's empty body always fits.
            (push_head(&mut w, prefix, arg) && w.push(body)).then_some(())?;
        }
        Some(())
    })();
    pieces.map(|()| w.len()).ok_or(CborError::BufferTooSmall)
}

/// Pieces of a GetStream request known when the library is built (the map head, key heads, a
/// fixed client token, fixed integers), encoded at compile time exactly as
/// [`encode_get_stream_request`] writes them. A template longer than `N` fails the build.
#[derive(Clone, Copy)]
pub struct Fixed<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

// Compile-time only: an index or a sum out of range is a build error, never a panic.
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
impl<const N: usize> Fixed<N> {
    pub const fn new() -> Self {
        Fixed {
            bytes: [0; N],
            len: 0,
        }
    }

    const fn byte(mut self, b: u8) -> Self {
        self.bytes[self.len] = b;
        self.len += 1;
        self
    }

    /// A head in its shortest form (arguments up to 32 bits).
    const fn head(self, prefix: u8, arg: u32) -> Self {
        let width: u32 = if arg < INFO_ONE_BYTE as u32 {
            return self.byte(prefix | arg as u8);
        } else if arg <= 0xff {
            1
        } else if arg <= 0xffff {
            2
        } else {
            4
        };
        let info = INFO_ONE_BYTE + width.trailing_zeros() as u8;
        let mut this = self.byte(prefix | info);
        let mut shift = width * 8;
        while shift > 0 {
            shift -= 8;
            this = this.byte((arg >> shift) as u8);
        }
        this
    }

    /// A definite map of `pairs` pairs.
    pub const fn map(self, pairs: u8) -> Self {
        self.head(PREFIX_MAP, pairs as u32)
    }

    /// A one-letter text key.
    pub const fn key(self, letter: u8) -> Self {
        self.byte(PREFIX_TEXT | 1).byte(letter)
    }

    /// A key and its text value.
    pub const fn text(self, letter: u8, value: &[u8]) -> Self {
        let mut this = self.key(letter).head(PREFIX_TEXT, value.len() as u32);
        let mut at = 0;
        while at < value.len() {
            this = this.byte(value[at]);
            at += 1;
        }
        this
    }

    /// A key and its integer value.
    pub const fn int(self, letter: u8, value: i32) -> Self {
        let this = self.key(letter);
        if value < 0 {
            this.head(PREFIX_NEGATIVE, !value as u32)
        } else {
            this.head(PREFIX_UNSIGNED, value as u32)
        }
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

/// A GetStream request made of fixed pieces around a file ID and a bitmap: `lead` up to the `f`
/// key, `middle` from the `l` key to the `b` key, `tail` the `n` entry. The same bytes as
/// [`encode_get_stream_request`] with those values, written whole or not at all (None: `out`
/// is too small, and holds nothing meaningful); the encoding is returned.
// Inlined, so the fixed pieces are stores of constants.
#[inline(always)]
pub fn encode_fixed_request<'o, const A: usize, const B: usize, const C: usize>(
    out: &'o mut [MaybeUninit<u8>],
    lead: &Fixed<A>,
    file_id: i32,
    middle: &Fixed<B>,
    bitmap: &[u8],
    tail: &Fixed<C>,
) -> Option<&'o [u8]> {
    let mut w = Fill::new(out);
    let (prefix, arg) = int_head(file_id);
    let whole = w.push(lead.as_slice())
        && if arg < u32::from(INFO_ONE_BYTE) {
            w.push_byte(prefix | arg as u8)
        } else {
            push_head(&mut w, prefix, arg as usize)
        }
        && w.push(middle.as_slice())
        && push_head(&mut w, PREFIX_BYTES, bitmap.len())
        && w.push(bitmap)
        && w.push(tail.as_slice());
    whole.then(|| w.into_written())
}
