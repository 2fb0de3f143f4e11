//! The two CBOR messages of the MQTT data plane, byte- and verdict-compatible with v2.0.0
//! (`ota_cbor.c` on top of tinycbor 0.5.4).
//!
//! **Encoding** (`OTA_CBOR_Encode_GetStreamRequestMessage`): a definite map of six pairs in the
//! order `c` (text), `f`, `l`, `o` (integers), `b` (byte string), `n` (integer), every head in
//! its shortest form, negative integers as major type 1 with argument `-1 - v`. tinycbor writes
//! each head and each string body whole or not at all and the C code stops at the first one that
//! does not fit; [`encode_get_stream_request`] leaves a short buffer in the same state.
//!
//! **Decoding** (`OTA_CBOR_Decode_GetStreamResponseMessage`) reproduces what tinycbor's
//! `cbor_value_map_find_value` lets through, which is looser than "well-formed CBOR":
//!
//! - the first item must be a map (definite or indefinite); bytes after it are never read;
//! - each of `f`, `i`, `l`, `p` is searched from the start of the map and the first entry whose
//!   key equals it wins; the map is read only as far as the last of the four first occurrences,
//!   so anything after them (later duplicates, garbage, a map shorter than its declared count)
//!   is never seen. Everything before them is checked as tinycbor checks it;
//! - keys may carry tags (ignored) and may be chunked text strings (compared by their joined
//!   contents); non-text keys (integers, byte strings, containers, ...) never match and are
//!   skipped like values;
//! - the value of a found key must be an integer (`f`, `i`, `l`) or a byte string (`p`, which
//!   may be chunked) with no tag; `f`, `i`, `l` keep the low 32 bits of the CBOR argument (so
//!   `2^32` reads as 0 and `0xFFFF_FFFF` as -1; major type 1 gives `!low32`): no range check;
//! - after the payload, tinycbor looks at the head of the next map entry (if the map has one):
//!   when `p` is the last of the four keys, a malformed head right after it fails the message;
//! - skipped items are checked for truncation, reserved additional information (28–30),
//!   indefinite length on an integer/tag, simple values below 32 in two-byte form, breaks out of
//!   place, chunks of another major type, container counts tinycbor refuses (an array of
//!   `u32::MAX` or more items, a map of more than `i32::MAX` pairs — this also applies to the
//!   top-level map), and nesting depth. Text is never checked for UTF-8.
//!
//! One deliberate difference: tinycbor accepts up to 1024 nested containers inside a skipped
//! item and needs a recursion frame (~40–50 bytes of C stack on a Cortex-M) for each, which on
//! a firmware task stack fails long before that. Here skipped items are walked with a fixed
//! explicit stack of [`MAX_SKIP_NESTING`] levels; deeper nesting is refused.

use crate::sys::buf::Fill;
use core::mem::MaybeUninit;

/// Why a CBOR message could not be encoded or decoded. v2.0.0 reports every one of these as
/// `false`; the variants exist for logs and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CborError {
    /// The output (or payload destination) buffer is too small.
    BufferTooSmall,
    /// The message ends inside an item.
    UnexpectedEof,
    /// Reserved additional information, or indefinite length on a type that has none.
    IllegalNumber,
    /// A simple value below 32 in its two-byte form.
    IllegalSimpleType,
    /// Reserved additional information (28–30) on major type 7.
    UnknownType,
    /// A break byte where no indefinite-length item can end.
    UnexpectedBreak,
    /// A chunk of an indefinite-length string has a different major type.
    ChunkTypeMismatch,
    /// A length or count beyond what tinycbor accepts.
    DataTooLarge,
    /// Containers nested deeper than [`MAX_SKIP_NESTING`] inside a skipped item.
    NestingTooDeep,
    /// The first item of the message is not a map.
    NotAMap,
    /// One of the keys `f`, `i`, `l`, `p` is not in the map.
    MissingKey,
    /// A key's value has the wrong type (or a tag).
    WrongType,
}

impl CborError {
    /// The variant's name, for log records.
    pub const fn name(self) -> &'static str {
        match self {
            CborError::BufferTooSmall => "BufferTooSmall",
            CborError::UnexpectedEof => "UnexpectedEof",
            CborError::IllegalNumber => "IllegalNumber",
            CborError::IllegalSimpleType => "IllegalSimpleType",
            CborError::UnknownType => "UnknownType",
            CborError::UnexpectedBreak => "UnexpectedBreak",
            CborError::ChunkTypeMismatch => "ChunkTypeMismatch",
            CborError::DataTooLarge => "DataTooLarge",
            CborError::NestingTooDeep => "NestingTooDeep",
            CborError::NotAMap => "NotAMap",
            CborError::MissingKey => "MissingKey",
            CborError::WrongType => "WrongType",
        }
    }
}

/// Most containers open at once while skipping one map entry, at 8 bytes of stack each; AWS
/// sends none (tinycbor allows 1024; see the module documentation).
pub const MAX_SKIP_NESTING: usize = 16;

const MAJOR_NEGATIVE: u8 = 1;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;
const MAJOR_TAG: u8 = 6;
const MAJOR_SIMPLE: u8 = 7;

const INFO_ONE_BYTE: u8 = 24;
const INFO_EIGHT_BYTES: u8 = 27;
const INFO_INDEFINITE: u8 = 31;
const BREAK: u8 = 0xff;

/// Initial bytes of the heads the encoder writes (major type in the top three bits).
const PREFIX_UNSIGNED: u8 = 0x00;
const PREFIX_NEGATIVE: u8 = 0x20;
const PREFIX_BYTES: u8 = 0x40;
const PREFIX_TEXT: u8 = 0x60;
const PREFIX_MAP: u8 = 0xa0;

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Decoding: item heads, strings and skipping, with tinycbor's acceptance rules
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Head {
    major: u8,
    info: u8,
    /// The argument (value, length or count); 0 for indefinite length.
    arg: u64,
}

impl Head {
    fn indefinite(self) -> bool {
        self.info == INFO_INDEFINITE
    }
}

/// Reads the argument that follows an initial byte with additional information `info` ≤ 27.
fn read_arg(info: u8, rest: &[u8]) -> Result<(u64, &[u8]), CborError> {
    let width = match info {
        0..=23 => return Ok((u64::from(info), rest)),
        // 1, 2, 4 or 8 bytes.
        24..=27 => 1usize << (info & 3),
        _ => return Err(CborError::IllegalNumber),
    };
    let (bytes, rest) = rest
        .split_at_checked(width)
        .ok_or(CborError::UnexpectedEof)?;
    let arg = bytes
        .iter()
        .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b));
    Ok((arg, rest))
}

/// Reads the head of the item at the start of `item`, checking what tinycbor checks when it
/// first steps onto an item; returns the head and the bytes after it.
fn read_head(item: &[u8]) -> Result<(Head, &[u8]), CborError> {
    let (&initial, rest) = item.split_first().ok_or(CborError::UnexpectedEof)?;
    let major = initial >> 5;
    let info = initial & 0x1f;
    if info > INFO_EIGHT_BYTES {
        return match (info, major) {
            (INFO_INDEFINITE, MAJOR_BYTES | MAJOR_TEXT | MAJOR_ARRAY | MAJOR_MAP) => Ok((
                Head {
                    major,
                    info,
                    arg: 0,
                },
                rest,
            )),
            (INFO_INDEFINITE, MAJOR_SIMPLE) => Err(CborError::UnexpectedBreak),
            (_, MAJOR_SIMPLE) => Err(CborError::UnknownType),
            _ => Err(CborError::IllegalNumber),
        };
    }
    let (arg, rest) = read_arg(info, rest)?;
    if major == MAJOR_SIMPLE && info == INFO_ONE_BYTE && arg < 32 {
        return Err(CborError::IllegalSimpleType);
    }
    Ok((Head { major, info, arg }, rest))
}

/// The contents of a byte or text string as they lie in the message, and their length. For a
/// definite-length string, or a chunked one with at most one non-empty chunk, `bytes` is the
/// string itself (`len` bytes); otherwise it holds the validated chunks of an indefinite-length
/// string (between its initial byte and its break), which with two or more chunk heads is
/// always longer than `len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StringData<'a> {
    bytes: &'a [u8],
    len: usize,
}

impl<'a> StringData<'a> {
    fn contiguous(bytes: &'a [u8]) -> Self {
        let len = bytes.len();
        StringData { bytes, len }
    }

    /// The string as one slice of the message, unless it is split over several chunks.
    fn as_slice(self) -> Option<&'a [u8]> {
        (self.bytes.len() == self.len).then_some(self.bytes)
    }
}

/// Walks the string whose head was read, checking every chunk; returns its contents and the
/// bytes after it.
// The head's fields as scalars: a `Head` argument is copied to the stack at every call.
fn walk_string(
    major: u8,
    info: u8,
    arg: u64,
    body: &[u8],
) -> Result<(StringData<'_>, &[u8]), CborError> {
    if info != INFO_INDEFINITE {
        let len = usize::try_from(arg).map_err(|_| CborError::DataTooLarge)?;
        let (data, rest) = body.split_at_checked(len).ok_or(CborError::UnexpectedEof)?;
        return Ok((StringData::contiguous(data), rest));
    }
    let mut cur = body;
    let mut total = 0usize;
    // The last non-empty chunk: the whole string when it is `total` bytes long.
    let mut last: &[u8] = &[];
    loop {
        let (&initial, after_initial) = cur.split_first().ok_or(CborError::UnexpectedEof)?;
        if initial == BREAK {
            let chunks_len = body.len().saturating_sub(cur.len());
            let data = if last.len() == total {
                StringData::contiguous(last)
            } else {
                StringData {
                    bytes: body.get(..chunks_len).unwrap_or(&[]),
                    len: total,
                }
            };
            return Ok((data, after_initial));
        }
        if initial >> 5 != major {
            return Err(CborError::ChunkTypeMismatch);
        }
        let (len, after_head) = read_arg(initial & 0x1f, after_initial)?;
        let len = usize::try_from(len).map_err(|_| CborError::DataTooLarge)?;
        let (data, rest) = after_head
            .split_at_checked(len)
            .ok_or(CborError::UnexpectedEof)?;
        // Cannot wrap: the chunks are disjoint slices of the message.
        total = total.wrapping_add(len);
        if !data.is_empty() {
            last = data;
        }
        cur = rest;
    }
}

/// An open container while skipping.
#[derive(Clone, Copy)]
enum Frame {
    /// A definite-length container with this many items (keys and values) still to come.
    Counted(u32),
    IndefiniteArray,
    IndefiniteMap {
        at_value: bool,
    },
}

/// Number of items (keys and values counted separately) in a definite container, with
/// tinycbor's limits.
fn container_items(head: Head) -> Result<u32, CborError> {
    if head.major == MAJOR_MAP {
        if head.arg > u64::from(u32::MAX / 2) {
            return Err(CborError::DataTooLarge);
        }
        Ok((head.arg as u32).saturating_mul(2))
    } else {
        if head.arg >= u64::from(u32::MAX) {
            return Err(CborError::DataTooLarge);
        }
        Ok(head.arg as u32)
    }
}

/// Skips the complete item (tags, nested items, string chunks) at the start of `item`, checking
/// it as tinycbor's `cbor_value_advance` does; returns the bytes after it.
fn skip_item(item: &[u8]) -> Result<&[u8], CborError> {
    let mut stack = [Frame::IndefiniteArray; MAX_SKIP_NESTING];
    let mut depth = 0usize;
    let mut cur = item;
    loop {
        // `cur` starts an item of the innermost open container (or the item being skipped).
        let top = depth.checked_sub(1).and_then(|top| stack.get(top));
        match (cur, top) {
            (
                [BREAK, after @ ..],
                Some(Frame::IndefiniteArray | Frame::IndefiniteMap { at_value: false }),
            ) => {
                cur = after;
                depth = depth.saturating_sub(1);
            }
            ([BREAK, ..], Some(Frame::IndefiniteMap { at_value: true })) => {
                return Err(CborError::UnexpectedBreak);
            }
            // Anywhere else `read_head` refuses a break, also right after a tag.
            _ => {
                // Tags are not items: the tagged item follows in the same position.
                let (head, rest) = loop {
                    let (head, rest) = read_head(cur)?;
                    if head.major != MAJOR_TAG {
                        break (head, rest);
                    }
                    cur = rest;
                };
                cur = rest;
                match head.major {
                    MAJOR_BYTES | MAJOR_TEXT => {
                        cur = walk_string(head.major, head.info, head.arg, rest)?.1
                    }
                    MAJOR_ARRAY | MAJOR_MAP => {
                        if depth >= MAX_SKIP_NESTING {
                            return Err(CborError::NestingTooDeep);
                        }
                        let frame = if head.indefinite() {
                            if head.major == MAJOR_MAP {
                                Frame::IndefiniteMap { at_value: false }
                            } else {
                                Frame::IndefiniteArray
                            }
                        } else {
                            let items = container_items(head)?;
                            // Every item takes at least one byte: a count beyond what is left
                            // can only fail, so fail now.
                            if usize::try_from(items).map_or(true, |n| n > cur.len()) {
                                return Err(CborError::UnexpectedEof);
                            }
                            Frame::Counted(items)
                        };
                        if !matches!(frame, Frame::Counted(0)) {
                            if let Some(slot) = stack.get_mut(depth) {
                                *slot = frame;
                            }
                            depth = depth.saturating_add(1);
                            continue;
                        }
                    }
                    // Integers, simple values and floats are all head.
                    _ => {}
                }
            }
        }
        // One item is complete: count it in the containers it closes.
        loop {
            let Some(top) = depth.checked_sub(1) else {
                return Ok(cur);
            };
            match stack.get_mut(top) {
                Some(Frame::Counted(left)) => {
                    *left = left.saturating_sub(1);
                    if *left != 0 {
                        break;
                    }
                    depth = top;
                }
                Some(Frame::IndefiniteMap { at_value }) => {
                    *at_value = !*at_value;
                    break;
                }
                Some(Frame::IndefiniteArray) | None => break,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding: the GetStream response
// ---------------------------------------------------------------------------------------------

/// The payload of a data block: a slice of the received message, or for a chunked byte string
/// with more than one non-empty chunk, the chunks in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payload<'a>(StringData<'a>);

impl<'a> Payload<'a> {
    /// Payload length in bytes (the `*pPayloadSize` v2.0.0 reports).
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// The payload as one slice of the message, unless it is split over several chunks.
    pub fn as_slice(&self) -> Option<&'a [u8]> {
        self.0.as_slice()
    }

    /// The payload's pieces in order (one piece when contiguous).
    pub fn chunks(&self) -> PayloadChunks<'a> {
        match self.0.as_slice() {
            Some(data) => PayloadChunks {
                single: Some(data),
                encoded: &[],
            },
            None => PayloadChunks {
                single: None,
                encoded: self.0.bytes,
            },
        }
    }

    /// Copies the payload to the start of `dest` as v2.0.0 does: a payload longer than `dest`
    /// is refused with nothing written; otherwise exactly `len()` bytes are written (no NUL)
    /// and `len()` is returned.
    pub fn copy_to(&self, dest: &mut [u8]) -> Result<usize, CborError> {
        let len = self.len();
        let mut rest = dest.get_mut(..len).ok_or(CborError::BufferTooSmall)?;
        for piece in self.chunks() {
            // The pieces add up to `len`: each one fits in what is left.
            let Some((slot, after)) = core::mem::take(&mut rest).split_at_mut_checked(piece.len())
            else {
                break;
            };
            slot.copy_from_slice(piece);
            rest = after;
        }
        Ok(len)
    }
}

/// Iterator over the pieces of a [`Payload`].
#[derive(Clone, Debug)]
pub struct PayloadChunks<'a> {
    single: Option<&'a [u8]>,
    /// Remaining validated chunks of a chunked payload.
    encoded: &'a [u8],
}

impl<'a> Iterator for PayloadChunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(data) = self.single.take() {
            return Some(data);
        }
        // The chunks were validated by `walk_string`; any surprise just ends the iteration.
        let (&initial, rest) = self.encoded.split_first()?;
        let (len, rest) = read_arg(initial & 0x1f, rest).ok()?;
        let (data, rest) = rest.split_at_checked(usize::try_from(len).ok()?)?;
        self.encoded = rest;
        Some(data)
    }
}

/// A decoded GetStream response (one data block).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBlock<'a> {
    /// `f`: the stream's file id.
    pub file_id: i32,
    /// `i`: the block index.
    pub block_id: i32,
    /// `l`: the block size as the server states it (not compared with the payload).
    pub block_size: i32,
    /// `p`: the block data, borrowed from the message.
    pub payload: Payload<'a>,
}

/// Each key's bit in the set of keys found, indexed by the letter minus `f`: `f`, `i`, `l`
/// (2, 4, 8: slots 1, 2, 3 of `Found::ints` by their trailing zeros), then `p`; 0 for any
/// other letter.
const KEY_BITS: [u8; 11] = [2, 0, 0, 4, 0, 0, 8, 0, 0, 0, PAYLOAD_BIT];
const INT_BITS: u8 = 0b1110;
const PAYLOAD_BIT: u8 = 0b1_0000;
const ALL_KEYS: u8 = INT_BITS | PAYLOAD_BIT;

/// The most entries a definite map may declare (tinycbor refuses more than `i32::MAX` pairs).
const DEFINITE_ENTRIES_MAX: usize = i32::MAX as usize;

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

/// Where a map entry's value goes: `f`, `i`, `l` in their slots (slot 0 is never read), and
/// `p`.
struct Found<'a> {
    ints: [i32; 4],
    payload: StringData<'a>,
}

impl<'a> Found<'a> {
    /// The value of an integer key (`bit` of `f`, `i` or `l`).
    fn set_int(&mut self, bit: u8, major: u8, arg: u64) {
        if let Some(slot) = self.ints.get_mut(bit.trailing_zeros() as usize) {
            *slot = c_int(major, arg);
        }
    }
}

/// The bit of a one-letter key among those still `missing` (0: not wanted).
fn wanted(letter: u8, missing: u8) -> u8 {
    KEY_BITS
        .get(usize::from(letter.wrapping_sub(b'f')))
        .map_or(0, |bit| bit & missing)
}

/// Any map entry, with all of tinycbor's rules: the key past its tags (a text string compared
/// by its joined contents, anything else skipped), then the value of a wanted key checked and
/// stored, any other value skipped. Returns the key's bit (0: not wanted) and the bytes after.
fn general_entry<'a>(
    entry: &'a [u8],
    missing: u8,
    found: &mut Found<'a>,
) -> Result<(u8, &'a [u8]), CborError> {
    let mut key_item = entry;
    let (head, after) = loop {
        let (head, after) = read_head(key_item)?;
        if head.major != MAJOR_TAG {
            break (head, after);
        }
        key_item = after;
    };
    let (bit, value) = if head.major == MAJOR_TEXT {
        let (text, value) = walk_string(head.major, head.info, head.arg, after)?;
        match text.as_slice() {
            Some(&[letter]) => (wanted(letter, missing), value),
            _ => (0, value),
        }
    } else {
        (0, skip_item(key_item)?)
    };
    if bit == 0 {
        // Skipping reads the value's head first, as tinycbor does (a break fails there).
        return Ok((0, skip_item(value)?));
    }
    let (head, after) = read_head(value)?;
    if bit == PAYLOAD_BIT {
        if head.major != MAJOR_BYTES {
            return Err(CborError::WrongType);
        }
        let (data, after) = walk_string(head.major, head.info, head.arg, after)?;
        found.payload = data;
        return Ok((bit, after));
    }
    if head.major > MAJOR_NEGATIVE {
        return Err(CborError::WrongType);
    }
    found.set_int(bit, head.major, head.arg);
    Ok((bit, after))
}

/// Any head of the top-level item: it must be a map. Returns the entries it declares (an
/// indefinite map counts down from usize::MAX, and stays above DEFINITE_ENTRIES_MAX since every
/// entry takes at least two bytes of the message) and the bytes after the head.
fn map_head(msg: &[u8]) -> Result<(usize, &[u8]), CborError> {
    let (top, rest) = read_head(msg)?;
    if top.major != MAJOR_MAP {
        return Err(CborError::NotAMap);
    }
    let left = if top.indefinite() {
        usize::MAX
    } else {
        (container_items(top)? / 2) as usize
    };
    Ok((left, rest))
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
    let (mut left, mut rest) = map_head(msg)?;
    let mut found = Found {
        ints: [0; 4],
        payload: StringData::contiguous(&[]),
    };
    // The keys whose first occurrence is still to come.
    let mut missing = ALL_KEYS;
    while left != 0 {
        left = left.wrapping_sub(1);
        let bit;
        (bit, rest) = match rest.first() {
            Some(&BREAK) if left > DEFINITE_ENTRIES_MAX => break,
            _ => general_entry(rest, missing, &mut found)?,
        };
        missing ^= bit;
        if missing == 0 {
            // tinycbor stops on an integer value, but finishing the payload string moves it
            // onto the next entry and reads its head.
            let ended = left == 0 || (left > DEFINITE_ENTRIES_MAX && rest.first() == Some(&BREAK));
            if bit == PAYLOAD_BIT && !ended {
                read_head(rest)?;
            }
            let [_, file_id, block_id, block_size] = found.ints;
            return Ok(StreamBlock {
                file_id,
                block_id,
                block_size,
                payload: Payload(found.payload),
            });
        }
        // The next entry's head, which tinycbor reads on stepping past this value, is read as
        // the next key (with the same verdict).
    }
    Err(CborError::MissingKey)
}
