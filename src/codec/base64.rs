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

/// Why base64 input was refused; each variant is one `Base64Status_t` failure of v2.0.0, and its
/// discriminant is that status's value (`ota_base64_private.h`), so [`Base64Error::code`] is free.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Base64Error {
    /// A byte that is neither a base64 digit nor one of `=`, space, `\n`, `\r`.
    InvalidSymbol = 1,
    /// A data symbol after a space or after padding, or padding after a space.
    InvalidSymbolOrdering = 2,
    /// Fewer than two input bytes, or a single data symbol left over at the end.
    InvalidInputSize = 3,
    /// The decoded bytes do not fit in the destination.
    InvalidBufferSize = 5,
    /// The bits below the last decoded byte are not zero.
    NonZeroPadding = 6,
    /// More than two padding symbols.
    InvalidPaddingSymbol = 7,
}

impl Base64Error {
    /// The numeric `Base64Status_t` value of this failure (`ota_base64_private.h`, v2.0.0).
    pub const fn code(self) -> u32 {
        self as u32
    }
}

/// Inputs shorter than this are refused before any symbol is looked at.
const MIN_ENCODED_LEN: usize = 2;

/// The value [`digit`] gives every byte that is not a digit.
const NOT_DIGIT: u8 = 64;

/// [`decode`]'s marks of a space seen and of each padding symbol, both above [`NOT_DIGIT`]
/// and apart from its bit, which so still tells a digit from a non-digit after them.
const SPACE: u32 = 2 * NOT_DIGIT as u32;
const PAD: u32 = 2 * SPACE;

/// [`decode`]'s group of no digits yet: the marker bit alone.
const GROUP_START: u32 = 1;

/// The digit value of `byte`, or [`NOT_DIGIT`]: the alphabet's three runs and two singles
/// tested in turn, where a table of the span `+`..`z` cost 80 bytes of flash. In 32 bits, so
/// a byte below a run wraps far above it with no narrowing after each subtraction.
#[inline(always)]
fn digit(byte: u8) -> u32 {
    let byte = u32::from(byte);
    let upper = byte.wrapping_sub(u32::from(b'A'));
    if upper < 26 {
        return upper;
    }
    let lower = byte.wrapping_sub(u32::from(b'a'));
    if lower < 26 {
        return lower.wrapping_add(26);
    }
    let number = byte.wrapping_sub(u32::from(b'0'));
    if number < 10 {
        return number.wrapping_add(52);
    }
    const PLUS: u32 = b'+' as u32;
    const SLASH: u32 = b'/' as u32;
    match byte {
        PLUS => 62,
        SLASH => 63,
        _ => u32::from(NOT_DIGIT),
    }
}

/// Decodes base64 `src` into `dest` and returns the number of bytes written.
///
/// Acceptance, error precedence and partial writes follow v2.0.0 `base64Decode` exactly (see
/// the module documentation). On error, `dest` may hold the groups decoded before the error.
pub fn decode(dest: &mut [u8], src: &[u8]) -> Result<usize, Base64Error> {
    if src.len() < MIN_ENCODED_LEN {
        return Err(Base64Error::InvalidInputSize);
    }
    // The destination not yet written: taking from its front needs no index overflow check.
    let room = dest.len();
    let mut rest = dest;
    // The digits of the group being collected, 6 bits each, below a marker bit: the group is
    // whole when the marker reaches bit 24, and the marker's place tells how many digits are
    // left over at the end (no digit counter to keep: less flash, and less work per symbol).
    let mut value = GROUP_START;
    // [`SPACE`] once a space was seen, plus [`PAD`] per padding symbol: not zero once a digit
    // may no longer follow, and or-ed into each digit value to send every digit after that
    // down the slow path (one loop, not one before and one after: less flash).
    let mut after = 0u32;
    for &symbol in src {
        let d = digit(symbol) | after;
        if d < u32::from(NOT_DIGIT) {
            value = value.wrapping_shl(6) | d;
            if value >= GROUP_START << 24 {
                let Some(([x, y, z], tail)) = core::mem::take(&mut rest).split_first_chunk_mut()
                else {
                    return Err(Base64Error::InvalidBufferSize);
                };
                // Each byte cut from the word by a shift: no byte reversal first.
                (*x, *y, *z) = (
                    value.wrapping_shr(16) as u8,
                    value.wrapping_shr(8) as u8,
                    value as u8,
                );
                rest = tail;
                value = GROUP_START;
            }
            continue;
        }
        match symbol {
            b'\n' | b'\r' => {}
            b' ' => after |= SPACE,
            b'=' => {
                if after & SPACE != 0 {
                    return Err(Base64Error::InvalidSymbolOrdering);
                }
                after = after.wrapping_add(PAD);
                if after > 2 * PAD {
                    return Err(Base64Error::InvalidPaddingSymbol);
                }
            }
            // A digit after a space or padding: its value is below NOT_DIGIT's bit.
            _ if d & u32::from(NOT_DIGIT) == 0 => return Err(Base64Error::InvalidSymbolOrdering),
            _ => return Err(Base64Error::InvalidSymbol),
        }
    }
    // Two or three leftover digits carry one or two bytes above 4 or 2 unused bits: shifted
    // into a whole group, the bytes after the decoded ones hold the unused bits, one mask's.
    let (bytes, shift, unused) = if value == GROUP_START {
        return Ok(room.wrapping_sub(rest.len()));
    } else if value < GROUP_START << 12 {
        return Err(Base64Error::InvalidInputSize);
    } else if value < GROUP_START << 18 {
        (1, 12, 0xFFFF)
    } else {
        (2, 6, 0xFF)
    };
    // Room first, then the unused bits, as v2.0.0 checks them.
    let slot = rest
        .get_mut(..bytes)
        .ok_or(Base64Error::InvalidBufferSize)?;
    let group = value.wrapping_shl(shift);
    if group & unused != 0 {
        return Err(Base64Error::NonZeroPadding);
    }
    if let [x, rest @ ..] = slot {
        *x = group.wrapping_shr(16) as u8;
        if let [y] = rest {
            *y = group.wrapping_shr(8) as u8;
        }
    }
    Ok(room.wrapping_sub(rest.len()).wrapping_add(bytes))
}
