//! Decoding a GetStream response: the two layouts blocks arrive in, read in one pass, and the
//! general walk with all of tinycbor's rules.

use super::reader::Reader;
use super::{
    CborError, Payload, StreamBlock, StringData, INFO_ONE_BYTE, MAJOR_BYTES, MAJOR_MAP,
    MAJOR_NEGATIVE, MAJOR_TEXT, PREFIX_MAP, PREFIX_TEXT,
};

/// Each key's bit in the set of keys found, indexed by the letter minus `f`: `f`, `i`, `l`,
/// then `p`; 0 for any other letter.
const KEY_BITS: [u8; 11] = [BIT_F, 0, 0, BIT_I, 0, 0, BIT_L, 0, 0, 0, BIT_P];
const BIT_F: u8 = 0b10;
const BIT_I: u8 = 0b100;
const BIT_L: u8 = 0b1000;
const BIT_P: u8 = 0b1_0000;
const ALL_KEYS: u8 = BIT_F | BIT_I | BIT_L | BIT_P;

/// The C `int` tinycbor's unchecked `cbor_value_get_int` produces: the low 32 bits of the
/// argument, complemented for negative integers.
fn c_int(major: u8, arg: u64) -> i32 {
    let low = arg as u32 as i32;
    if major == MAJOR_NEGATIVE {
        !low
    } else {
        low
    }
}

/// The bit of a one-letter key among those still `missing` (0: not wanted).
fn wanted(letter: u8, missing: u8) -> u8 {
    KEY_BITS
        .get(usize::from(letter.wrapping_sub(b'f')))
        .map_or(0, |bit| bit & missing)
}

impl<'a> Reader<'a> {
    /// Any map entry, with all of tinycbor's rules: the key past its tags (a text string
    /// compared by its joined contents, anything else skipped), then the value of a wanted key
    /// checked and stored, any other value skipped. Returns the key's bit (0: not wanted).
    fn entry(&mut self, missing: u8, block: &mut StreamBlock<'a>) -> Result<u8, CborError> {
        let mut bit = 0;
        if self.untagged_head()? == MAJOR_TEXT {
            self.string()?;
            // One byte in place is the whole key: chunks in place take at least four.
            if let [letter] = *self.string.bytes {
                bit = wanted(letter, missing);
            }
        } else {
            self.skip_rest()?;
        }
        if bit == 0 {
            // Skipping reads the value's head first, as tinycbor does (a break fails there).
            self.skip()?;
            return Ok(0);
        }
        let major = self.head()?;
        if bit == BIT_P {
            if major != MAJOR_BYTES {
                return Err(CborError::WrongType);
            }
            self.string()?;
            block.payload = Payload(self.string);
        } else {
            if major > MAJOR_NEGATIVE {
                return Err(CborError::WrongType);
            }
            let value = c_int(major, self.arg);
            match bit {
                BIT_F => block.file_id = value,
                BIT_I => block.block_id = value,
                _ => block.block_size = value,
            }
        }
        Ok(bit)
    }
}

/// A one-letter text key's two bytes, read as a little-endian u16.
const fn letter_key(letter: u8) -> u16 {
    u16::from_le_bytes([PREFIX_TEXT | 1, letter])
}

/// One map entry with the one-letter key `key` (see [`letter_key`]) and an unsigned integer of
/// at most two argument bytes (as every encoder writes a block's numbers); the value and the
/// bytes after.
#[inline(always)]
fn uint_entry(rest: &[u8], key: u16) -> Option<(i32, &[u8])> {
    // One length check covers the key and the value's head.
    let (&[head, letter, initial, b0, b1], _) = rest.split_first_chunk::<5>()?;
    if u16::from_le_bytes([head, letter]) != key {
        return None;
    }
    let (value, width) = match initial {
        0..=23 => (u32::from(initial), 3),
        24 => (u32::from(b0), 4),
        25 => (u32::from(u16::from_be_bytes([b0, b1])), 5),
        _ => return None,
    };
    Some((value as i32, rest.get(width..)?))
}

/// The two layouts a block arrives in, read in one straight pass: `{"f","i","l","p"}` (v2.0.0's
/// own tests and every simulator here) and `{"c","f","l","i","p"}` (AWS, its client token
/// echoed first: a text of at most 23 bytes), the integers unsigned in at most two bytes, the
/// payload a definite byte string of at most 65,535 bytes. `None` for anything else.
// tinycbor reads these exactly so: every head is valid, text is not checked, and the map ends
// with the payload, so no further head is read.
#[inline(always)]
fn shaped_block(msg: &[u8]) -> Option<StreamBlock<'_>> {
    // The integers' keys in order: `f`, then `i`, `l` or (AWS) `l`, `i`.
    const FIL: [u16; 3] = [letter_key(b'f'), letter_key(b'i'), letter_key(b'l')];
    const FLI: [u16; 3] = [letter_key(b'f'), letter_key(b'l'), letter_key(b'i')];
    let (&map, mut rest) = msg.split_first()?;
    let (keys, aws) = if map == PREFIX_MAP | 4 {
        (&FIL, false)
    } else if map == PREFIX_MAP | 5 {
        let (&[key, letter, initial], after) = rest.split_first_chunk::<3>()?;
        let token = usize::from(initial.wrapping_sub(PREFIX_TEXT));
        if u16::from_le_bytes([key, letter]) != letter_key(b'c')
            || token >= usize::from(INFO_ONE_BYTE)
        {
            return None;
        }
        rest = after.get(token..)?;
        (&FLI, true)
    } else {
        return None;
    };
    let mut values = [0i32; 3];
    for (value, &key) in values.iter_mut().zip(keys) {
        let (read, after) = uint_entry(rest, key)?;
        *value = read;
        rest = after;
    }
    let [file_id, second, third] = values;
    let (block_id, block_size) = if aws {
        (third, second)
    } else {
        (second, third)
    };
    // The payload's head is matched apart: the integers' entry code with a major-type offset
    // measured +7 Ir per block and +56 B of Cortex-M4 flash, and inside their loop +14 Ir.
    let (&[key, letter, initial, b0, b1], _) = rest.split_first_chunk::<5>()?;
    if u16::from_le_bytes([key, letter]) != letter_key(b'p') {
        return None;
    }
    let (len, width) = match initial {
        0x40..=0x57 => (usize::from(initial & 0x1f), 3),
        0x58 => (usize::from(b0), 4),
        0x59 => (usize::from(u16::from_be_bytes([b0, b1])), 5),
        _ => return None,
    };
    Some(StreamBlock {
        file_id,
        block_id,
        block_size,
        payload: Payload(StringData::contiguous(rest.get(width..)?.get(..len)?)),
    })
}

/// Decodes a GetStream response with v2.0.0's verdicts (see the module documentation); the
/// payload borrows `msg`.
///
/// The v2.0.0 C function then copies the payload into the caller's buffer; use
/// [`Payload::copy_to`] for its exact buffer rule.
// The two layouts blocks arrive in are read in one pass; anything else takes the general walk.
pub fn decode_get_stream_response(msg: &[u8]) -> Result<StreamBlock<'_>, CborError> {
    match shaped_block(msg) {
        Some(block) => Ok(block),
        None => decode_general(msg),
    }
}

/// Any GetStream response, walked entry by entry with all of tinycbor's rules.
// Out of line: the shaped path then saves and restores only the registers it uses.
#[inline(never)]
fn decode_general(msg: &[u8]) -> Result<StreamBlock<'_>, CborError> {
    let mut r = Reader::new(msg);
    if r.head()? != MAJOR_MAP {
        return Err(CborError::NotAMap);
    }
    // The entries a definite map declares still to come (an indefinite one ends at a break).
    let indefinite = r.indefinite();
    let mut left = if indefinite { 0 } else { r.pairs()? };
    let mut block = StreamBlock {
        file_id: 0,
        block_id: 0,
        block_size: 0,
        payload: Payload(StringData::contiguous(&[])),
    };
    // The keys whose first occurrence is still to come, and the last one found.
    let mut missing = ALL_KEYS;
    let mut bit = 0;
    loop {
        let more = if indefinite { !r.at_break() } else { left != 0 };
        if missing == 0 {
            // tinycbor stops on an integer value, but finishing the payload string moves it
            // onto the next entry and reads its head.
            if bit == BIT_P && more {
                r.head()?;
            }
            return Ok(block);
        }
        if !more {
            return Err(CborError::MissingKey);
        }
        // Wraps for an indefinite map only, which never reads it.
        left = left.wrapping_sub(1);
        bit = r.entry(missing, &mut block)?;
        missing ^= bit;
        // The next entry's head, which tinycbor reads on stepping past this value, is read as
        // the next key (with the same verdict).
    }
}
