//! Oracle: the two-decoder general walk of 14610f1, kept verbatim as the reference for tinycbor's
//! rules, so the single production decoder is compared against an independent implementation.
// Kept whole as a reference: not every helper is called.
#![allow(dead_code)]

use super::{CborError, MAX_SKIP_NESTING};

const MAJOR_UNSIGNED: u8 = 0;
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
        24 => 1,
        25 => 2,
        26 => 4,
        27 => 8,
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

/// The contents of a byte or text string as they lie in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StringData<'a> {
    /// A definite-length string, or a chunked one with at most one non-empty chunk.
    Contiguous(&'a [u8]),
    /// The chunks of an indefinite-length string (between its initial byte and its break),
    /// already validated, and their joined length.
    Chunked { chunks: &'a [u8], len: usize },
}

/// Walks the string whose head was read, checking every chunk; returns its contents and the
/// bytes after it.
fn walk_string(head: Head, body: &[u8]) -> Result<(StringData<'_>, &[u8]), CborError> {
    if !head.indefinite() {
        let len = usize::try_from(head.arg).map_err(|_| CborError::DataTooLarge)?;
        let (data, rest) = body.split_at_checked(len).ok_or(CborError::UnexpectedEof)?;
        return Ok((StringData::Contiguous(data), rest));
    }
    let mut cur = body;
    let mut total = 0usize;
    let mut non_empty = 0usize;
    let mut only: &[u8] = &[];
    loop {
        let (&initial, after_initial) = cur.split_first().ok_or(CborError::UnexpectedEof)?;
        if initial == BREAK {
            let chunks_len = body.len().saturating_sub(cur.len());
            let data = if non_empty <= 1 {
                StringData::Contiguous(only)
            } else {
                StringData::Chunked {
                    chunks: body.get(..chunks_len).unwrap_or(&[]),
                    len: total,
                }
            };
            return Ok((data, after_initial));
        }
        if initial >> 5 != head.major {
            return Err(CborError::ChunkTypeMismatch);
        }
        let (len, after_head) = read_arg(initial & 0x1f, after_initial)?;
        let len = usize::try_from(len).map_err(|_| CborError::DataTooLarge)?;
        let (data, rest) = after_head
            .split_at_checked(len)
            .ok_or(CborError::UnexpectedEof)?;
        total = total.checked_add(len).ok_or(CborError::DataTooLarge)?;
        if !data.is_empty() {
            non_empty = non_empty.saturating_add(1);
            only = data;
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
    let mut after_tag = false;
    loop {
        // `cur` starts an item of the innermost open container (or the item being skipped).
        let mut closed_by_break = false;
        if !after_tag && cur.first() == Some(&BREAK) {
            match depth.checked_sub(1).and_then(|top| stack.get(top)) {
                Some(Frame::IndefiniteArray | Frame::IndefiniteMap { at_value: false }) => {
                    closed_by_break = true;
                }
                Some(Frame::IndefiniteMap { at_value: true }) => {
                    return Err(CborError::UnexpectedBreak);
                }
                // Not inside an indefinite container: `read_head` refuses the break.
                Some(Frame::Counted(_)) | None => {}
            }
        }
        if closed_by_break {
            cur = cur.get(1..).unwrap_or(&[]);
            depth = depth.saturating_sub(1);
        } else {
            let (head, rest) = read_head(cur)?;
            match head.major {
                MAJOR_TAG => {
                    // Tags are not items: the tagged item follows in the same position.
                    cur = rest;
                    after_tag = true;
                    continue;
                }
                MAJOR_BYTES | MAJOR_TEXT => cur = walk_string(head, rest)?.1,
                MAJOR_ARRAY | MAJOR_MAP => {
                    if depth >= MAX_SKIP_NESTING {
                        return Err(CborError::NestingTooDeep);
                    }
                    cur = rest;
                    after_tag = false;
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
                _ => cur = rest,
            }
        }
        after_tag = false;
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    FileId,
    BlockId,
    BlockSize,
    Payload,
}

impl Key {
    fn from_text(text: StringData<'_>) -> Option<Key> {
        let StringData::Contiguous(&[letter]) = text else {
            return None;
        };
        match letter {
            b'f' => Some(Key::FileId),
            b'i' => Some(Key::BlockId),
            b'l' => Some(Key::BlockSize),
            b'p' => Some(Key::Payload),
            _ => None,
        }
    }
}

/// The C `int` tinycbor's unchecked `cbor_value_get_int` produces: the low 32 bits of the
/// argument, complemented for negative integers.
fn c_int(head: Head) -> i32 {
    let low = head.arg as u32 as i32;
    if head.major == MAJOR_NEGATIVE {
        !low
    } else {
        low
    }
}

/// Where the walk through the top-level map stands.
struct MapCursor<'a> {
    rest: &'a [u8],
    /// Items (keys and values) left in a definite map; `None` for an indefinite one.
    left: Option<u32>,
}

impl<'a> MapCursor<'a> {
    /// At a key position: is the map finished? Consumes an indefinite map's break.
    fn at_end(&mut self) -> bool {
        match self.left {
            Some(left) => left == 0,
            None => match self.rest.split_first() {
                Some((&BREAK, after)) => {
                    self.rest = after;
                    self.left = Some(0);
                    true
                }
                _ => false,
            },
        }
    }

    /// One key or value has been consumed.
    fn count_item(&mut self) {
        if let Some(left) = self.left.as_mut() {
            *left = left.saturating_sub(1);
        }
    }

    /// After a value: tinycbor steps onto the next entry's key and reads its head.
    fn step_to_next_key(&mut self) -> Result<(), CborError> {
        self.count_item();
        if !self.at_end() {
            read_head(self.rest)?;
        }
        Ok(())
    }
}

/// What the oracle decodes: the production `StreamBlock` with the payload left as it lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct OracleBlock<'a> {
    pub file_id: i32,
    pub block_id: i32,
    pub block_size: i32,
    pub payload: StringData<'a>,
}

/// The payload's pieces in order, which `Payload::copy_to` joins.
pub(super) fn chunks(data: StringData<'_>) -> Vec<&[u8]> {
    let mut encoded = match data {
        StringData::Contiguous(data) => return vec![data],
        StringData::Chunked { chunks, .. } => chunks,
    };
    let mut pieces = Vec::new();
    while let Some((&initial, rest)) = encoded.split_first() {
        let (len, rest) = read_arg(initial & 0x1f, rest).unwrap();
        let (data, rest) = rest.split_at(usize::try_from(len).unwrap());
        pieces.push(data);
        encoded = rest;
    }
    pieces
}

/// The whole of tinycbor's rules (see the module documentation).
pub(super) fn decode(msg: &[u8]) -> Result<OracleBlock<'_>, CborError> {
    let (top, body) = read_head(msg)?;
    if top.major != MAJOR_MAP {
        return Err(CborError::NotAMap);
    }
    let mut map = MapCursor {
        rest: body,
        left: if top.indefinite() {
            None
        } else {
            Some(container_items(top)?)
        },
    };

    let mut file_id = None;
    let mut block_id = None;
    let mut block_size = None;
    let mut payload = None;

    loop {
        if map.at_end() {
            return Err(CborError::MissingKey);
        }

        // The key, past its tags.
        let mut key_item = map.rest;
        let (mut head, mut after) = read_head(key_item)?;
        while head.major == MAJOR_TAG {
            key_item = after;
            (head, after) = read_head(key_item)?;
        }
        let key = if head.major == MAJOR_TEXT {
            let (text, rest) = walk_string(head, after)?;
            map.rest = rest;
            Key::from_text(text)
        } else {
            map.rest = skip_item(key_item)?;
            None
        };

        // Step onto the value: tinycbor reads its head before anything else.
        map.count_item();
        if map.left.is_none() && map.rest.first() == Some(&BREAK) {
            return Err(CborError::UnexpectedBreak);
        }
        let (value, after_value) = read_head(map.rest)?;

        let wanted = match key {
            Some(Key::FileId) if file_id.is_none() => Some(Key::FileId),
            Some(Key::BlockId) if block_id.is_none() => Some(Key::BlockId),
            Some(Key::BlockSize) if block_size.is_none() => Some(Key::BlockSize),
            Some(Key::Payload) if payload.is_none() => Some(Key::Payload),
            _ => None,
        };
        match wanted {
            Some(key @ (Key::FileId | Key::BlockId | Key::BlockSize)) => {
                if value.major != MAJOR_UNSIGNED && value.major != MAJOR_NEGATIVE {
                    return Err(CborError::WrongType);
                }
                let slot = match key {
                    Key::FileId => &mut file_id,
                    Key::BlockId => &mut block_id,
                    _ => &mut block_size,
                };
                *slot = Some(c_int(value));
                map.rest = after_value;
            }
            Some(Key::Payload) => {
                if value.major != MAJOR_BYTES {
                    return Err(CborError::WrongType);
                }
                let (data, rest) = walk_string(value, after_value)?;
                payload = Some(data);
                map.rest = rest;
            }
            None => map.rest = skip_item(map.rest)?,
        }

        if let (Some(file_id), Some(block_id), Some(block_size), Some(payload)) =
            (file_id, block_id, block_size, payload)
        {
            // tinycbor stops on an integer value, but finishing the payload string moves it
            // onto the next entry.
            if wanted == Some(Key::Payload) {
                map.step_to_next_key()?;
            }
            return Ok(OracleBlock {
                file_id,
                block_id,
                block_size,
                payload,
            });
        }
        map.step_to_next_key()?;
    }
}
