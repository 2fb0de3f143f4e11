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

mod decode;
mod encode;
mod reader;

pub use decode::decode_get_stream_response;
pub use encode::{encode_fixed_request, encode_get_stream_request, Fixed};
use reader::Reader;

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

/// Most containers open at once while skipping one map entry, at one word of stack each; AWS
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

/// The contents of a byte or text string as they lie in the message, and their length. For a
/// definite-length string, or a chunked one with at most one non-empty chunk, `bytes` is the
/// string itself (`len` bytes); otherwise it is the message from the first chunk of an
/// indefinite-length string on: its validated chunks, its break (where a walk of the chunks
/// stops, as `head` refuses a break) and whatever follows, always longer than `len`. Not cut at
/// the break: the cut's bounds check cost flash, and nothing reads past the break.
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

// ---------------------------------------------------------------------------------------------
// The decoded block
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

    /// The message from the first chunk of a chunked payload on (its validated chunks, its
    /// break and the rest), or None when the payload is one slice.
    // Tests only: they compare it with the oracle's; the firmware takes a payload whole, with
    // `copy_to`, the one walk of the chunks.
    #[cfg(test)]
    pub fn encoded_chunks(&self) -> Option<&'a [u8]> {
        match self.0.as_slice() {
            Some(_) => None,
            None => Some(self.0.bytes),
        }
    }

    /// Copies the payload to the start of `dest` as v2.0.0 does: a payload longer than `dest`
    /// is refused with nothing written; otherwise exactly `len()` bytes are written (no NUL)
    /// and `len()` is returned.
    // Inlined: the length comes from the payload at the caller, so the copy's result is one
    // register (with the length it went through memory on 32-bit targets, -8 B; a bool made
    // the copy larger, +4 B).
    #[inline(always)]
    pub fn copy_to(&self, dest: &mut [u8]) -> Result<usize, CborError> {
        self.copy_into(dest).map(|()| self.len())
    }

    /// [`Payload::copy_to`] without the length.
    #[inline(never)]
    fn copy_into(&self, dest: &mut [u8]) -> Result<(), CborError> {
        let len = self.len();
        let mut rest = dest.get_mut(..len).ok_or(CborError::BufferTooSmall)?;
        if let Some(data) = self.0.as_slice() {
            // `len` bytes, as `rest`.
            if let Some(slot) = rest.get_mut(..data.len()) {
                slot.copy_from_slice(data);
            }
            return Ok(());
        }
        // The chunks were validated by `Reader::string`; the break (or any surprise) ends the
        // copy.
        let mut chunks = Reader::new(self.0.bytes);
        while let Ok(piece) = chunks.chunk() {
            // The pieces add up to `len`: each one fits in what is left.
            let Some((slot, after)) = core::mem::take(&mut rest).split_at_mut_checked(piece.len())
            else {
                break;
            };
            slot.copy_from_slice(piece);
            rest = after;
        }
        Ok(())
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
