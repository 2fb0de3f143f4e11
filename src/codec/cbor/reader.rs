//! The cursor of the general decode: item heads, strings and skipping, with tinycbor's
//! acceptance rules.

use super::{
    CborError, StringData, BREAK, INFO_EIGHT_BYTES, INFO_INDEFINITE, INFO_ONE_BYTE, MAJOR_ARRAY,
    MAJOR_BYTES, MAJOR_MAP, MAJOR_SIMPLE, MAJOR_TAG, MAJOR_TEXT, MAX_SKIP_NESTING,
};

/// The bytes of the message not read yet, and the last head and string read. Every read of
/// the general walk goes through its methods, so each bound is checked in one place; after an
/// error the reader is left anywhere.
// The head and string live in the reader: returned, they would go through memory at every call.
pub(super) struct Reader<'a> {
    pub(super) rest: &'a [u8],
    major: u8,
    info: u8,
    /// The argument (value, length or count); stale for indefinite length.
    pub(super) arg: u64,
    /// The last string read.
    pub(super) string: StringData<'a>,
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

    pub(super) fn at_break(&self) -> bool {
        self.rest.first() == Some(&BREAK)
    }

    pub(super) fn indefinite(&self) -> bool {
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
    pub(super) fn pairs(&self) -> Result<usize, CborError> {
        if self.arg > u64::from(u32::MAX / 2) {
            return Err(CborError::DataTooLarge);
        }
        Ok(self.arg as usize)
    }

    // Inlined into `head`, its only caller: the call and result checks cost more than the body.
    #[inline(always)]
    fn byte(&mut self) -> Result<u8, CborError> {
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
        // The argument's bytes taken at once: one length check, not one per byte.
        let (bytes, after) = self
            .rest
            .split_at_checked(usize::from(width))
            .ok_or(CborError::UnexpectedEof)?;
        self.rest = after;
        let mut arg = 0u64;
        for &b in bytes {
            arg = arg.wrapping_shl(8) | u64::from(b);
        }
        self.arg = arg;
        Ok(())
    }

    /// Reads the head of the next item, checked as tinycbor checks it when it first steps onto
    /// an item; returns its major type.
    pub(super) fn head(&mut self) -> Result<u8, CborError> {
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
    // Inlined: a call and its result check cost as much as the loop.
    #[inline(always)]
    pub(super) fn untagged_head(&mut self) -> Result<u8, CborError> {
        loop {
            let major = self.head()?;
            if major != MAJOR_TAG {
                return Ok(major);
            }
        }
    }

    /// Reads into `string` the rest of the string whose head was read, every chunk checked.
    pub(super) fn string(&mut self) -> Result<(), CborError> {
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
                let (&initial, after) = self.rest.split_first().ok_or(CborError::UnexpectedEof)?;
                if initial == BREAK {
                    self.rest = after;
                    break;
                }
                if initial >> 5 != major {
                    return Err(CborError::ChunkTypeMismatch);
                }
                // A chunk's head is a string head of definite length.
                self.head()?;
                if self.indefinite() {
                    return Err(CborError::IllegalNumber);
                }
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
        self.string = if last.len() == total {
            StringData::contiguous(last)
        } else {
            // From the first chunk on, past the break (see `StringData`).
            StringData {
                bytes: chunks,
                len: total,
            }
        };
        Ok(())
    }

    /// The next chunk of a validated chunked byte string (see [`super::Payload::copy_to`]).
    pub(super) fn chunk(&mut self) -> Result<&'a [u8], CborError> {
        self.head()?;
        self.take(self.arg)
    }

    /// Skips the next complete item (tags, nested items, string chunks), checking it as
    /// tinycbor's `cbor_value_advance` does.
    pub(super) fn skip(&mut self) -> Result<(), CborError> {
        self.head()?;
        self.skip_rest()
    }

    /// Skips the rest of the item whose head was read (a tag's item too).
    pub(super) fn skip_rest(&mut self) -> Result<(), CborError> {
        // The innermost open container's frame, in a register (0: none is open), and below
        // it the frames of the containers around it: `stack[d]` is the one that was innermost
        // when the `d`th was opened (0 for the first). Only entries below `depth` are read.
        let mut top = 0usize;
        let mut stack = [0; MAX_SKIP_NESTING];
        let mut depth = 0usize;
        loop {
            // The head read starts an item of the innermost open container (or the item
            // skipped).
            match self.major {
                // A tag is not an item: the head after it starts the one it tags.
                MAJOR_TAG => {
                    self.head()?;
                    continue;
                }
                MAJOR_BYTES | MAJOR_TEXT => {
                    self.string()?;
                }
                MAJOR_ARRAY | MAJOR_MAP => {
                    let Some(slot) = stack.get_mut(depth) else {
                        return Err(CborError::NestingTooDeep);
                    };
                    // Opened one step back, so that the count below, which every item takes,
                    // brings it to its start: one item more, or a map's value before its
                    // first key. An empty definite container so closes there at once.
                    let frame = if self.indefinite() {
                        if self.major == MAJOR_MAP {
                            INDEFINITE_MAP_VALUE
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
                        // Cannot wrap: at most the message length.
                        items.wrapping_add(1)
                    };
                    *slot = top;
                    top = frame;
                    depth = depth.wrapping_add(1);
                }
                // Integers, simple values and floats are all head.
                _ => {}
            }
            loop {
                // One item is complete: count it in the innermost container, which it may
                // close.
                if top == 0 {
                    return Ok(());
                }
                let closes = if top < INDEFINITE_ARRAY {
                    // Cannot wrap: a definite frame has items to come.
                    top = top.wrapping_sub(1);
                    top == 0
                } else {
                    // An indefinite map alternates keys and values.
                    top ^= (top >> 1) & 1;
                    false
                };
                if !closes {
                    // The next item of the innermost open container, or the break that ends
                    // it.
                    match self.rest.split_first() {
                        Some((&BREAK, after)) if top >= INDEFINITE_ARRAY => {
                            if top == INDEFINITE_MAP_VALUE {
                                return Err(CborError::UnexpectedBreak);
                            }
                            self.rest = after;
                        }
                        // Anywhere else `head` refuses a break, also right after a tag.
                        _ => {
                            self.head()?;
                            break;
                        }
                    }
                }
                // The innermost container is complete, an item of the one around it.
                // Cannot wrap: a container is open.
                depth = depth.wrapping_sub(1);
                top = stack.get(depth).copied().unwrap_or(0);
            }
        }
    }
}

/// An open container while skipping is one word: a definite one's items (keys and values)
/// still to come, at most the message length, or one of these three values above any length:
/// the top three, which Thumb-2 makes and compares without a literal (a map's bit 1 set, its
/// bit 0 telling a value from a key).
const INDEFINITE_ARRAY: usize = usize::MAX - 2;
const INDEFINITE_MAP_KEY: usize = usize::MAX - 1;
const INDEFINITE_MAP_VALUE: usize = usize::MAX;
const _: () = assert!(
    INDEFINITE_ARRAY & 2 == 0 && INDEFINITE_MAP_KEY & 3 == 2 && INDEFINITE_MAP_VALUE & 3 == 3
);
