//! Base64 decoding (RFC 4648 standard alphabet) that accepts and rejects exactly what the
//! v2.0.0 `base64Decode` accepts and rejects, with the same status for each failure.
//!
//! The v2.0.0 rules, in the order they are applied:
//!
//! 1. Input shorter than two bytes is `InvalidInputSize`, whatever else is wrong. (The C entry
//!    point checks its pointers first, but the length check runs after it and overwrites the
//!    status, so `NULL` with a length below two also reports `InvalidInputSize`; the FFI layer
//!    owns that case and `Base64NullPointerInput`, which safe Rust never meets.)
//! 2. Symbols are then read one by one and the first offending symbol decides the status:
//!    - any byte outside `A–Z a–z 0–9 + /`, `=`, space, `\n`, `\r` is `InvalidSymbol`
//!      (tab, `-`, `_`, NUL and every byte ≥ 0x80 included);
//!    - `\n` and `\r` are ignored anywhere;
//!    - a space may only be followed by spaces and line breaks: a data symbol or `=` after a
//!      space is `InvalidSymbolOrdering`;
//!    - a data symbol after `=` is `InvalidSymbolOrdering`;
//!    - a third `=` is `InvalidPaddingSymbol`.
//!
//!    Padding is optional and its count is never compared with the data length: `Zg`, `Zg=`,
//!    `Zg==` all decode to `f`, and `==` or `  ` alone decode to zero bytes.
//! 3. Every fourth data symbol completes a group of three bytes, which must fit in the
//!    destination after what is already written, else `InvalidBufferSize`. Groups decoded
//!    before an error stay written.
//! 4. At the end, one leftover data symbol is `InvalidInputSize`; two or three leftover symbols
//!    decode to one or two bytes: first the room for them is checked (`InvalidBufferSize`), then
//!    the unused low bits must be zero (`NonZeroPadding`).

/// Why base64 input was refused; each variant is one `Base64Status_t` failure of v2.0.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base64Error {
    /// A byte that is neither a base64 digit nor one of `=`, space, `\n`, `\r`.
    InvalidSymbol,
    /// A data symbol after a space or after padding, or padding after a space.
    InvalidSymbolOrdering,
    /// Fewer than two input bytes, or a single data symbol left over at the end.
    InvalidInputSize,
    /// The decoded bytes do not fit in the destination.
    InvalidBufferSize,
    /// The bits below the last decoded byte are not zero.
    NonZeroPadding,
    /// More than two padding symbols.
    InvalidPaddingSymbol,
}

impl Base64Error {
    /// The numeric `Base64Status_t` value of this failure (`ota_base64_private.h`, v2.0.0).
    pub const fn code(self) -> u32 {
        match self {
            Base64Error::InvalidSymbol => 1,
            Base64Error::InvalidSymbolOrdering => 2,
            Base64Error::InvalidInputSize => 3,
            Base64Error::InvalidBufferSize => 5,
            Base64Error::NonZeroPadding => 6,
            Base64Error::InvalidPaddingSymbol => 7,
        }
    }
}

/// Inputs shorter than this are refused before any symbol is looked at.
const MIN_ENCODED_LEN: usize = 2;

/// Symbol classes above the 64 digit values.
const LINE_BREAK: u8 = 64;
const SPACE: u8 = 65;
const PAD: u8 = 66;
const INVALID: u8 = 67;

/// The digit value or class of one input byte: a few compares instead of a 256-byte table.
#[inline(always)]
fn class(byte: u8) -> u8 {
    match byte {
        b'A'..=b'Z' => byte.wrapping_sub(b'A'),
        b'a'..=b'z' => byte.wrapping_sub(b'a' - 26),
        b'0'..=b'9' => byte.wrapping_add(52 - b'0'),
        b'+' => 62,
        b'/' => 63,
        b'\n' | b'\r' => LINE_BREAK,
        b' ' => SPACE,
        b'=' => PAD,
        _ => INVALID,
    }
}

/// Appends `bytes` after the `*written` bytes already in `dest`.
#[inline(always)]
fn put(dest: &mut [u8], written: &mut usize, bytes: &[u8]) -> Result<(), Base64Error> {
    let end = written
        .checked_add(bytes.len())
        .ok_or(Base64Error::InvalidBufferSize)?;
    let slot = dest
        .get_mut(*written..end)
        .ok_or(Base64Error::InvalidBufferSize)?;
    slot.copy_from_slice(bytes);
    *written = end;
    Ok(())
}

/// The three bytes carried by four 6-bit digits.
#[inline(always)]
fn quad_bytes(a: u8, b: u8, c: u8, d: u8) -> [u8; 3] {
    [
        a.wrapping_shl(2) | b.wrapping_shr(4),
        b.wrapping_shl(4) | c.wrapping_shr(2),
        c.wrapping_shl(6) | d,
    ]
}

/// The three bytes of four digit symbols; `None` when any of them is not a digit. A loop, not
/// four inlined `class`es: the fast path stays small on flash.
#[inline(never)]
fn digit_group(symbols: [u8; 4]) -> Option<[u8; 3]> {
    let mut value = 0u32;
    for symbol in symbols {
        let digit = class(symbol);
        // Digits are below 64; every other class has bit 6 set.
        if digit & LINE_BREAK != 0 {
            return None;
        }
        value = value.wrapping_shl(6) | u32::from(digit);
    }
    let [_, a, b, c] = value.to_be_bytes();
    Some([a, b, c])
}

/// Decodes base64 `src` into `dest` and returns the number of bytes written.
///
/// Acceptance, error precedence and partial writes follow v2.0.0 `base64Decode` exactly (see
/// the module documentation). On error, `dest` may hold the groups decoded before the error.
pub fn decode(dest: &mut [u8], src: &[u8]) -> Result<usize, Base64Error> {
    if src.len() < MIN_ENCODED_LEN {
        return Err(Base64Error::InvalidInputSize);
    }

    let mut written = 0usize;
    // Whole groups of four digits first, the common case: each is what the symbol-by-symbol
    // walk below would make of it, so the walk takes over from a group boundary.
    let mut rest = src;
    while let [s0, s1, s2, s3, tail @ ..] = rest {
        let Some(bytes) = digit_group([*s0, *s1, *s2, *s3]) else {
            break;
        };
        put(dest, &mut written, &bytes)?;
        rest = tail;
    }
    // Digits of the group being collected, oldest first; only the first `pending` are valid.
    let mut digits = [0u8; 4];
    let mut pending = 0usize;
    let mut pads = 0u8;
    let mut seen_space = false;
    for &symbol in rest {
        match class(symbol) {
            INVALID => return Err(Base64Error::InvalidSymbol),
            LINE_BREAK => {}
            SPACE => seen_space = true,
            PAD => {
                if seen_space {
                    return Err(Base64Error::InvalidSymbolOrdering);
                }
                pads = pads.saturating_add(1);
                if pads > 2 {
                    return Err(Base64Error::InvalidPaddingSymbol);
                }
            }
            digit => {
                if seen_space || pads != 0 {
                    return Err(Base64Error::InvalidSymbolOrdering);
                }
                if let Some(slot) = digits.get_mut(pending) {
                    *slot = digit;
                }
                pending = pending.saturating_add(1);
                if pending == digits.len() {
                    let [a, b, c, d] = digits;
                    put(dest, &mut written, &quad_bytes(a, b, c, d))?;
                    pending = 0;
                }
            }
        }
    }

    let [a, b, c, _] = digits;
    let tail_len = match pending {
        0 => return Ok(written),
        1 => return Err(Base64Error::InvalidInputSize),
        2 => 1,
        _ => 2,
    };
    // Room first, then the unused bits, as v2.0.0 checks them.
    if dest.len().saturating_sub(written) < tail_len {
        return Err(Base64Error::InvalidBufferSize);
    }
    let [first, second, _] = quad_bytes(a, b, c, 0);
    if tail_len == 1 {
        if b & 0x0f != 0 {
            return Err(Base64Error::NonZeroPadding);
        }
        put(dest, &mut written, &[first])?;
    } else {
        if c & 0x03 != 0 {
            return Err(Base64Error::NonZeroPadding);
        }
        put(dest, &mut written, &[first, second])?;
    }
    Ok(written)
}
