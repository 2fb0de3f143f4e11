//! Decoding a GetStream response: the two layouts blocks arrive in, read in one pass, and the
//! general walk with all of tinycbor's rules.

use super::{
    CborError, Payload, StreamBlock, StringData, BREAK, INFO_EIGHT_BYTES, INFO_INDEFINITE,
    INFO_ONE_BYTE, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGATIVE, MAJOR_SIMPLE, MAJOR_TAG,
    MAJOR_TEXT, MAX_SKIP_NESTING, PREFIX_MAP, PREFIX_TEXT,
};

// ---------------------------------------------------------------------------------------------
// Decoding: item heads, strings and skipping, with tinycbor's acceptance rules
// ---------------------------------------------------------------------------------------------

/// The bytes of the message not read yet, and the last head and string read. Every read of
/// the general walk goes through its methods, so each bound is checked in one place; after an
/// error the reader is left anywhere.
// The head and string live in the reader: returned, they would go through memory at every call.
pub(super) struct Reader<'a> {
    pub(super) rest: &'a [u8],
    major: u8,
    info: u8,
    /// The argument (value, length or count); stale for indefinite length.
    arg: u64,
    /// The last string read.
    string: StringData<'a>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(rest: &'a [u8]) -> Self {
        Reader {
            rest,
            major: 0,
            info: 0,
            arg: 0,
            string: StringData::contiguous(&[]),
        }
    }

    fn at_break(&self) -> bool {
        self.rest.first() == Some(&BREAK)
    }

    fn indefinite(&self) -> bool {
        self.info == INFO_INDEFINITE
    }

    /// Number of items (keys and values counted separately) in the definite container whose
    /// head was read, with tinycbor's limits.
    fn items(&self) -> Result<usize, CborError> {
        if self.major == MAJOR_MAP {
            // Cannot wrap: at most `i32::MAX` pairs.
            return Ok(self.pairs()?.wrapping_mul(2));
        }
        if self.arg >= u64::from(u32::MAX) {
            return Err(CborError::DataTooLarge);
        }
        Ok(self.arg as usize)
    }

    /// Number of pairs in the definite map whose head was read: tinycbor refuses more than
    /// `i32::MAX`.
    fn pairs(&self) -> Result<usize, CborError> {
        if self.arg > u64::from(u32::MAX / 2) {
            return Err(CborError::DataTooLarge);
        }
        Ok(self.arg as usize)
    }

    pub(super) fn byte(&mut self) -> Result<u8, CborError> {
        let (&byte, rest) = self.rest.split_first().ok_or(CborError::UnexpectedEof)?;
        self.rest = rest;
        Ok(byte)
    }

    /// The next `len` bytes.
    fn take(&mut self, len: u64) -> Result<&'a [u8], CborError> {
        let len = usize::try_from(len).map_err(|_| CborError::DataTooLarge)?;
        let (data, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(CborError::UnexpectedEof)?;
        self.rest = rest;
        Ok(data)
    }

    /// Reads into `arg` the argument that follows an initial byte with additional information
    /// `info` ≤ 27.
    fn arg(&mut self, info: u8) -> Result<(), CborError> {
        let width = match info {
            0..=23 => {
                self.arg = u64::from(info);
                return Ok(());
            }
            // 1, 2, 4 or 8 bytes.
            24..=27 => 1u8 << (info & 3),
            _ => return Err(CborError::IllegalNumber),
        };
        let mut arg = 0u64;
        for _ in 0..width {
            arg = arg.wrapping_shl(8) | u64::from(self.byte()?);
        }
        self.arg = arg;
        Ok(())
    }

    /// Reads the head of the next item, checked as tinycbor checks it when it first steps onto
    /// an item; returns its major type.
    fn head(&mut self) -> Result<u8, CborError> {
        let initial = self.byte()?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        self.major = major;
        self.info = info;
        if info > INFO_EIGHT_BYTES {
            let indefinite = info == INFO_INDEFINITE;
            return if indefinite && (MAJOR_BYTES..=MAJOR_MAP).contains(&major) {
                Ok(major)
            } else if major != MAJOR_SIMPLE {
                Err(CborError::IllegalNumber)
            } else if indefinite {
                Err(CborError::UnexpectedBreak)
            } else {
                Err(CborError::UnknownType)
            };
        }
        self.arg(info)?;
        // A simple value in two bytes: its argument is the second one.
        if initial == (MAJOR_SIMPLE << 5 | INFO_ONE_BYTE) && (self.arg as u8) < 32 {
            return Err(CborError::IllegalSimpleType);
        }
        Ok(major)
    }

    /// Reads the head of the next item past its tags: tags are not items, and are ignored.
    fn untagged_head(&mut self) -> Result<u8, CborError> {
        loop {
            let major = self.head()?;
            if major != MAJOR_TAG {
                return Ok(major);
            }
        }
    }

    /// Reads into `string` the rest of the string whose head was read, every chunk checked.
    fn string(&mut self) -> Result<(), CborError> {
        let chunked = self.indefinite();
        let major = self.major;
        let chunks = self.rest;
        let mut total = 0usize;
        // The last non-empty chunk, or a definite string: the whole string when it is `total`
        // bytes long.
        let mut last: &[u8] = &[];
        // A definite string is read as one chunk whose head was read.
        loop {
            if chunked {
                let initial = self.byte()?;
                if initial == BREAK {
                    break;
                }
                if initial >> 5 != major {
                    return Err(CborError::ChunkTypeMismatch);
                }
                self.arg(initial & 0x1f)?;
            }
            let data = self.take(self.arg)?;
            // Cannot wrap: the chunks are disjoint slices of the message.
            total = total.wrapping_add(data.len());
            if !data.is_empty() || !chunked {
                last = data;
            }
            if !chunked {
                break;
            }
        }
        if last.len() == total {
            self.string = StringData::contiguous(last);
            return Ok(());
        }
        // The chunks without the break (which was read, so this cannot wrap).
        let chunks_len = chunks.len().wrapping_sub(self.rest.len()).wrapping_sub(1);
        self.string = StringData {
            bytes: chunks.get(..chunks_len).unwrap_or(&[]),
            len: total,
        };
        Ok(())
    }

    /// The next chunk of a validated chunked byte string (see [`Payload::chunks`]).
    pub(super) fn chunk(&mut self) -> Result<&'a [u8], CborError> {
        let initial = self.byte()?;
        self.arg(initial & 0x1f)?;
        self.take(self.arg)
    }

    /// Skips the next complete item (tags, nested items, string chunks), checking it as
    /// tinycbor's `cbor_value_advance` does.
    fn skip(&mut self) -> Result<(), CborError> {
        self.untagged_head()?;
        self.skip_rest()
    }

    /// Skips the rest of the item whose head (past its tags) was read.
    fn skip_rest(&mut self) -> Result<(), CborError> {
        // Only frames below `depth` are read.
        let mut stack = [0; MAX_SKIP_NESTING];
        let mut depth = 0usize;
        loop {
            // The head read starts an item of the innermost open container (or the item
            // skipped).
            let mut complete = true;
            match self.major {
                MAJOR_BYTES | MAJOR_TEXT => {
                    self.string()?;
                }
                MAJOR_ARRAY | MAJOR_MAP => {
                    if depth >= MAX_SKIP_NESTING {
                        return Err(CborError::NestingTooDeep);
                    }
                    let frame = if self.indefinite() {
                        if self.major == MAJOR_MAP {
                            INDEFINITE_MAP_KEY
                        } else {
                            INDEFINITE_ARRAY
                        }
                    } else {
                        let items = self.items()?;
                        // Every item takes at least one byte: a count beyond what is left can
                        // only fail, so fail now.
                        if items > self.rest.len() {
                            return Err(CborError::UnexpectedEof);
                        }
                        items
                    };
                    if frame != 0 {
                        if let Some(slot) = stack.get_mut(depth) {
                            *slot = frame;
                        }
                        depth = depth.saturating_add(1);
                        complete = false;
                    }
                }
                // Integers, simple values and floats are all head.
                _ => {}
            }
            loop {
                // One item is complete: count it in the containers it closes.
                if complete {
                    loop {
                        let Some(top) = depth.checked_sub(1) else {
                            return Ok(());
                        };
                        let Some(left) = stack.get_mut(top) else {
                            break;
                        };
                        if *left < INDEFINITE_ARRAY {
                            // Cannot wrap: a definite frame is pushed with items to come.
                            *left = left.wrapping_sub(1);
                            if *left == 0 {
                                depth = top;
                                continue;
                            }
                        } else {
                            // An indefinite map alternates keys and values.
                            *left ^= (*left >> 1) & 1;
                        }
                        break;
                    }
                }
                // The next item of the innermost open container, or the break that ends it.
                let frame = depth
                    .checked_sub(1)
                    .and_then(|top| stack.get(top))
                    .map_or(0, |&frame| frame);
                match self.rest.split_first() {
                    Some((&BREAK, after)) if frame >= INDEFINITE_ARRAY => {
                        if frame == INDEFINITE_MAP_VALUE {
                            return Err(CborError::UnexpectedBreak);
                        }
                        self.rest = after;
                        // Cannot wrap: a frame is open.
                        depth = depth.wrapping_sub(1);
                        complete = true;
                    }
                    // Anywhere else `head` refuses a break, also right after a tag.
                    _ => {
                        self.untagged_head()?;
                        break;
                    }
                }
            }
        }
    }
}

/// An open container while skipping is one word: a definite one's items (keys and values)
/// still to come, at most the message length, or one of these three values above any length.
const INDEFINITE_ARRAY: usize = 1 << (usize::BITS - 1);
const INDEFINITE_MAP_KEY: usize = INDEFINITE_ARRAY | 2;
const INDEFINITE_MAP_VALUE: usize = INDEFINITE_MAP_KEY | 1;

// ---------------------------------------------------------------------------------------------
// Decoding: the GetStream response
// ---------------------------------------------------------------------------------------------

/// Each key's bit in the set of keys found, indexed by the letter minus `f`: `f`, `i`, `l`
/// then `p`; 0 for any other letter.
const KEY_BITS: [u8; 11] = [
    FILE_BIT,
    0,
    0,
    BLOCK_BIT,
    0,
    0,
    SIZE_BIT,
    0,
    0,
    0,
    PAYLOAD_BIT,
];
const FILE_BIT: u8 = 0b10;
const BLOCK_BIT: u8 = 0b100;
const SIZE_BIT: u8 = 0b1000;
const INT_BITS: u8 = FILE_BIT | BLOCK_BIT | SIZE_BIT;
const PAYLOAD_BIT: u8 = 0b1_0000;
const ALL_KEYS: u8 = INT_BITS | PAYLOAD_BIT;

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
        if bit == PAYLOAD_BIT {
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
                FILE_BIT => block.file_id = value,
                BLOCK_BIT => block.block_id = value,
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
            if bit == PAYLOAD_BIT && more {
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
