//! The job-document path before the one-pass parser, kept only as the tests' oracle: a
//! validation pass, then a search from the top of the document for each model parameter. The
//! property tests in `job::tests` hold the one-pass parser to exactly what this returns.

use super::{other_scalar_end, string_end, Part, QueryParts, MAX_DEPTH};
use crate::job::{param, DocError, Found, Kind, MODEL};

/// Where a collection's item list stands (the oracle's own, apart from the walk's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Just inside an opening bracket: an item or the closing bracket.
    First,
    /// After a comma: an item.
    Item,
    /// After an object key and its colon: the member's value.
    Value,
    /// After an item: a comma, a closing bracket, or (quirk) another collection.
    After,
}

/// What a found value is, told by its first byte; numbered as coreJSON's `JSONTypes_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ValueKind {
    /// A string; the value slice has no quotes and its escapes are not decoded.
    String = 1,
    /// A number, as written.
    Number = 2,
    /// `true`.
    True = 3,
    /// `false`.
    False = 4,
    /// `null`.
    Null = 5,
    /// An object, brackets included.
    Object = 6,
    /// An array, brackets included.
    Array = 7,
}

/// Whether `doc` is exactly one JSON value with optional whitespace around it.
pub fn validate(doc: &[u8]) -> bool {
    let mut c = Cursor::new(doc);
    c.skip_ws();
    if !(skip_scalar(&mut c) || skip_collection(&mut c)) {
        return false;
    }
    c.skip_ws();
    c.at_end()
}

/// Finds the value at `query` in `doc`.
///
/// The query is keys and array indexes: `a.b`, `a[2].b`, `[0]`. Each key is compared byte for
/// byte with the raw (undecoded) keys of an object, and the first equal key wins; a key cannot
/// contain `.` or `[`. `[n]` takes the n-th value of an array. A `.` before an index, and one
/// `.` after the last index, are allowed; an empty query or key, a trailing `.` or `[` after a
/// key, and an index that is empty, not digits, above [`MAX_INDEX`] or not closed by `]` match
/// nothing.
///
/// The search reads only as far as the match and never judges the rest of the document, so it
/// also works on text that is not one valid value: in `{"a":1},{"b":2}` it finds `a` and not `b`,
/// and it finds `a` in a truncated `{"a":1,"b":`. A string comes back without its quotes and
/// with its escapes as written, an object or array with its brackets, anything else as written.
pub fn search<'a>(doc: &'a [u8], query: &[u8]) -> Option<(&'a [u8], ValueKind)> {
    if doc.is_empty() || query.is_empty() {
        return None;
    }
    let mut value = doc;
    let mut parts = QueryParts { query, pos: 0 };
    while let Some(part) = parts.next_part() {
        value = match part? {
            Part::Key(key) => member_of(value, key)?,
            Part::Index(index) => element_of(value, index)?,
        };
    }
    let kind = match value.first()? {
        b'"' => ValueKind::String,
        b'{' => ValueKind::Object,
        b'[' => ValueKind::Array,
        b't' => ValueKind::True,
        b'f' => ValueKind::False,
        b'n' => ValueKind::Null,
        _ => ValueKind::Number,
    };
    if kind == ValueKind::String {
        let inner = value.len().checked_sub(1)?;
        value = value.get(1..inner)?;
    }
    Some((value, kind))
}

/// The value of the first member named `key` of the object `text` starts with.
fn member_of<'a>(text: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut c = Cursor::new(text);
    c.skip_ws();
    if !c.eat(b'{') {
        return None;
    }
    c.skip_ws();
    loop {
        if c.at_end() {
            return None;
        }
        let key_start = c.pos;
        if !skip_string(&mut c) {
            return None;
        }
        // The key's bytes between the quotes, as written.
        let name = text.get(key_start.saturating_add(1)..c.pos.saturating_sub(1))?;
        c.skip_ws();
        if !c.eat(b':') {
            return None;
        }
        c.skip_ws();
        let value = next_value(&mut c)?;
        if name == key {
            return Some(value);
        }
        if !c.skip_ws_and_comma() {
            return None;
        }
    }
}

/// Element `index` of the array `text` starts with.
fn element_of(text: &[u8], index: u32) -> Option<&[u8]> {
    let mut c = Cursor::new(text);
    c.skip_ws();
    if !c.eat(b'[') {
        return None;
    }
    c.skip_ws();
    let mut current: u32 = 0;
    loop {
        if c.at_end() {
            return None;
        }
        let value = next_value(&mut c)?;
        if current == index {
            return Some(value);
        }
        if !c.skip_ws_and_comma() {
            return None;
        }
        current = current.checked_add(1)?;
    }
}

/// The scalar or collection at the cursor, which moves past it.
fn next_value<'a>(c: &mut Cursor<'a>) -> Option<&'a [u8]> {
    let start = c.pos;
    if skip_scalar(c) || skip_collection(c) {
        c.buf.get(start..c.pos)
    } else {
        None
    }
}

/// A position in a byte slice. It never passes the end, so every read is a bounds-checked get.
struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.advance(1);
        }
        hit
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.advance(1);
        }
    }

    /// A comma between two items: whitespace, `,`, whitespace, and then something that is not a
    /// closing bracket (so a trailing comma is not a separator). The cursor ends after the comma
    /// and its whitespace when it returns true.
    fn skip_ws_and_comma(&mut self) -> bool {
        self.skip_ws();
        if self.peek() != Some(b',') {
            return false;
        }
        let comma = self.pos;
        self.advance(1);
        self.skip_ws();
        let ok = !matches!(self.peek(), None | Some(b'}' | b']'));
        if !ok {
            self.pos = comma;
        }
        ok
    }
}

/// A string, number or literal at the cursor; on failure the cursor does not move.
fn skip_scalar(c: &mut Cursor<'_>) -> bool {
    let end = match c.peek() {
        Some(b'"') => string_end(c.buf, c.pos).map(|(end, _)| end),
        _ => other_scalar_end(c.buf, c.pos),
    };
    end.inspect(|&end| c.pos = end).is_some()
}

/// A double-quoted string; on failure the cursor does not move.
fn skip_string(c: &mut Cursor<'_>) -> bool {
    c.peek() == Some(b'"')
        && string_end(c.buf, c.pos)
            .inspect(|&(end, _)| c.pos = end)
            .is_some()
}

/// An object or array at the cursor; on failure the cursor does not move. Depth is tracked in a
/// 32-bit stack (bit set = object), so nesting costs no memory beyond it.
fn skip_collection(c: &mut Cursor<'_>) -> bool {
    let start = c.pos;
    let ok = collection_body(c);
    if !ok {
        c.pos = start;
    }
    ok
}

fn collection_body(c: &mut Cursor<'_>) -> bool {
    let mut depth: u32 = 0;
    let mut objects: u32 = 0;
    let mut expect = Expect::First;
    // The first byte must open the collection; whitespace is the caller's to skip.
    if !matches!(c.peek(), Some(b'{' | b'[')) {
        return false;
    }
    loop {
        let Some(b) = c.peek() else {
            return false;
        };
        match b {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return false;
                }
                depth = depth.saturating_add(1);
                objects = objects.wrapping_shl(1) | u32::from(b == b'{');
                c.advance(1);
                expect = Expect::First;
            }
            b'}' | b']' if matches!(expect, Expect::First | Expect::After) => {
                c.advance(1);
                if depth == 1 {
                    // The outermost bracket closes whatever it is (coreJSON does not check it).
                    return true;
                }
                let in_object = objects & 1 == 1;
                if in_object != (b == b'}') {
                    return false;
                }
                depth = depth.saturating_sub(1);
                objects = objects.wrapping_shr(1);
                expect = Expect::After;
            }
            b',' if expect == Expect::After => {
                c.advance(1);
                expect = Expect::Item;
            }
            _ => {
                let in_object = objects & 1 == 1;
                expect = match expect {
                    Expect::Value => {
                        if !skip_scalar(c) {
                            return false;
                        }
                        Expect::After
                    }
                    Expect::First | Expect::Item if in_object => {
                        if !skip_string(c) {
                            return false;
                        }
                        c.skip_ws();
                        if !c.eat(b':') {
                            return false;
                        }
                        Expect::Value
                    }
                    Expect::First | Expect::Item => {
                        if !skip_scalar(c) {
                            return false;
                        }
                        Expect::After
                    }
                    Expect::After => return false,
                };
            }
        }
        c.skip_ws();
    }
}

/// `find_values_into` as it was: validate, then search each parameter from the top of the
/// document, and for the parameters after `files` also in the first entry of `files`.
pub(crate) fn find_values_into<'a>(
    doc: &'a [u8],
    signature_key: &[u8],
    found: &mut Found<'a>,
) -> Result<(), DocError> {
    *found = Found::default();
    if !validate(doc) {
        return Err(DocError::InvalidJson);
    }
    let mut files: Option<&'a [u8]> = None;
    for (index, (param, slot)) in MODEL.iter().zip(found.values.iter_mut()).enumerate() {
        let key = if param.kind == Kind::SigBase64 {
            signature_key
        } else {
            param.key
        };
        let hit = search(doc, key).or_else(|| files.and_then(|entries| search(entries, key)));
        let Some((value, kind)) = hit else {
            continue;
        };
        *slot = Some(value);
        found.received |= 1u32.wrapping_shl(index as u32);
        if index == param::FILES && kind == ValueKind::Array {
            files = value.len().checked_sub(1).and_then(|end| value.get(1..end));
        }
    }
    Ok(())
}
