//! Strict JSON over a byte slice, zero-copy: a validator and a dotted key-path search.
//!
//! The accepted language is the one of coreJSON v3.0.0 (the JSON parser v2.0.0 compiles in), so
//! a job document this library takes is exactly a document v2.0.0 took, down to its oddities.
//! Written from the behaviour, not from its code. The rules, for reference:
//!
//! - A document is one value (a scalar is fine at the top level) between optional whitespace
//!   (space, tab, CR, LF only). Anything else after it, a NUL byte included, is an error.
//! - Collections nest at most [`MAX_DEPTH`] deep.
//! - Strings: no raw byte below 0x20; valid, shortest-form UTF-8 without surrogates; escapes
//!   `\" \\ \/ \b \f \n \r \t`, `\uXXXX` other than `\u0000`, where a high surrogate must be
//!   followed by an escaped low one and a lone low surrogate is refused. Quirk kept: a backslash
//!   followed by a raw control byte 0x01..=0x1F is an accepted escape.
//! - Numbers: `-`? (`0` | `[1-9][0-9]*`) (`.` digits)? ([eE] [+-]? digits)?.
//! - Literals `true`, `false`, `null`. Duplicate keys are allowed (search takes the first).
//! - Collection quirks kept: the outermost closing bracket need not match the opening one
//!   (`{"a":1]`); a collection may follow another item without a comma (`[1{}]`, `[[][]]`); an
//!   object may hold collections without a key (`{{}}`, `{"a":1,[2]}`). Inner brackets must match.
//!
//! Where coreJSON depends on the C compiler, this follows a signed-`char` target (x86, and the
//! behaviour its authors documented): on unsigned-`char` targets (most ARM compilers) coreJSON
//! v3.0.0 skips its UTF-8 check and takes any byte >= 0x80 in a string. We always check UTF-8.
//!
//! Every function here is total: any input, valid or not, is read only inside its slice, and
//! nesting is tracked in a fixed 32-bit stack, never by recursion.

/// Deepest nesting of objects and arrays a document may have (coreJSON's `JSON_MAX_DEPTH`).
pub const MAX_DEPTH: u32 = 32;

/// Largest array index a query may name (coreJSON's `MAX_INDEX_VALUE`, 2^31 - 9).
pub const MAX_INDEX: u32 = 0x7FFF_FFF7;

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

/// One step of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part<'q> {
    Key(&'q [u8]),
    Index(u32),
}

/// Splits a query into its steps; `Some(None)` is a malformed step (the query matches nothing).
struct QueryParts<'q> {
    query: &'q [u8],
    pos: usize,
}

impl<'q> QueryParts<'q> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.query.get(at).copied()
    }

    fn next_part(&mut self) -> Option<Option<Part<'q>>> {
        let first = self.byte(self.pos)?;
        let part = if first == b'[' {
            self.index()
        } else {
            self.key()
        };
        if part.is_some() && self.byte(self.pos) == Some(b'.') {
            self.pos = self.pos.saturating_add(1);
        }
        Some(part)
    }

    /// `[digits]`, the cursor on the `[`.
    fn index(&mut self) -> Option<Part<'q>> {
        let mut at = self.pos.saturating_add(1);
        let mut value: u32 = 0;
        let mut digits = 0usize;
        while let Some(d @ b'0'..=b'9') = self.byte(at) {
            // Once too big it stays too big; the digits are still consumed.
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u32::from(d.wrapping_sub(b'0'))))
                .unwrap_or(u32::MAX);
            digits = digits.saturating_add(1);
            at = at.saturating_add(1);
        }
        if digits == 0 || value > MAX_INDEX || self.byte(at) != Some(b']') {
            return None;
        }
        self.pos = at.saturating_add(1);
        Some(Part::Index(value))
    }

    /// A key: everything up to the next `.` or `[`, not empty, not ending the query on one.
    fn key(&mut self) -> Option<Part<'q>> {
        let start = self.pos;
        let rest = self.query.get(start..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'.' || b == b'[')
            .unwrap_or(rest.len());
        let end = start.saturating_add(len);
        if len == 0 || end.saturating_add(1) == self.query.len() {
            return None;
        }
        self.pos = end;
        Some(Part::Key(rest.get(..len)?))
    }
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

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.buf.get(self.pos.saturating_add(ahead)).copied()
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

    fn eat_slice(&mut self, s: &[u8]) -> bool {
        let hit = self
            .buf
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(s));
        if hit {
            self.advance(s.len());
        }
        hit
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.advance(1);
        }
    }

    fn skip_digits(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.advance(1);
        }
        self.pos > start
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
    skip_string(c)
        || c.eat_slice(b"true")
        || c.eat_slice(b"false")
        || c.eat_slice(b"null")
        || skip_number(c)
}

/// A number. The longest well-formed prefix is taken: in `1.` or `1e+` only `1` is the number,
/// and what follows is the caller's problem (an error everywhere it can appear).
fn skip_number(c: &mut Cursor<'_>) -> bool {
    let start = c.pos;
    let _ = c.eat(b'-');
    if !(c.eat(b'0') || c.skip_digits()) {
        c.pos = start;
        return false;
    }
    let before_fraction = c.pos;
    if c.eat(b'.') && !c.skip_digits() {
        c.pos = before_fraction;
    }
    let before_exponent = c.pos;
    if c.eat(b'e') || c.eat(b'E') {
        let _ = c.eat(b'+') || c.eat(b'-');
        if !c.skip_digits() {
            c.pos = before_exponent;
        }
    }
    true
}

/// A double-quoted string; on failure the cursor does not move.
fn skip_string(c: &mut Cursor<'_>) -> bool {
    let start = c.pos;
    let ok = string_body(c);
    if !ok {
        c.pos = start;
    }
    ok
}

fn string_body(c: &mut Cursor<'_>) -> bool {
    if !c.eat(b'"') {
        return false;
    }
    loop {
        // Plain printable ASCII needs no per-byte decision: skip the whole run at once.
        let run = c.buf.get(c.pos..).map_or(0, |rest| {
            rest.iter()
                .take_while(|&&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\')
                .count()
        });
        c.advance(run);
        match c.peek() {
            None => return false,
            Some(b'"') => {
                c.advance(1);
                return true;
            }
            Some(b'\\') => {
                if !skip_escape(c) {
                    return false;
                }
            }
            Some(0x00..=0x1f) => return false,
            Some(0x20..=0x7f) => c.advance(1),
            Some(lead) => {
                if !skip_utf8_sequence(c, lead) {
                    return false;
                }
            }
        }
    }
}

/// A backslash escape, the cursor on the backslash.
fn skip_escape(c: &mut Cursor<'_>) -> bool {
    match c.peek_at(1) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | 0x01..=0x1f) => {
            c.advance(2);
            true
        }
        Some(b'u') => skip_unicode_escape(c),
        _ => false,
    }
}

/// `\uXXXX`, or a surrogate pair of two of them; the cursor on the first backslash.
fn skip_unicode_escape(c: &mut Cursor<'_>) -> bool {
    let Some(first) = hex_escape(c, 0) else {
        return false;
    };
    let len = match first {
        0xD800..=0xDBFF => match hex_escape(c, 6) {
            Some(0xDC00..=0xDFFF) => 12,
            _ => return false,
        },
        0xDC00..=0xDFFF => return false,
        _ => 6,
    };
    c.advance(len);
    true
}

/// The non-zero value of a `\uXXXX` that starts `offset` bytes past the cursor.
fn hex_escape(c: &Cursor<'_>, offset: usize) -> Option<u16> {
    let at = |i: usize| c.peek_at(offset.saturating_add(i));
    if at(0)? != b'\\' || at(1)? != b'u' {
        return None;
    }
    let mut value: u16 = 0;
    for i in 2..6 {
        let digit = match at(i)? {
            d @ b'0'..=b'9' => d.wrapping_sub(b'0'),
            d @ b'a'..=b'f' => d.wrapping_sub(b'a').wrapping_add(10),
            d @ b'A'..=b'F' => d.wrapping_sub(b'A').wrapping_add(10),
            _ => return None,
        };
        value = value.wrapping_shl(4) | u16::from(digit);
    }
    (value != 0).then_some(value)
}

/// One multi-byte UTF-8 character, the cursor on its lead byte `lead` (>= 0x80): shortest form,
/// at most U+10FFFF, no surrogates.
fn skip_utf8_sequence(c: &mut Cursor<'_>, lead: u8) -> bool {
    let (len, min, bits) = match lead {
        0xC2..=0xDF => (2, 0x80, lead & 0x1F),
        0xE0..=0xEF => (3, 0x800, lead & 0x0F),
        0xF0..=0xF4 => (4, 0x1_0000, lead & 0x07),
        _ => return false,
    };
    let mut value = u32::from(bits);
    for i in 1..len {
        match c.peek_at(i) {
            Some(b @ 0x80..=0xBF) => value = value.wrapping_shl(6) | u32::from(b & 0x3F),
            _ => return false,
        }
    }
    let ok = value >= min && value <= 0x10_FFFF && !(0xD800..=0xDFFF).contains(&value);
    if ok {
        c.advance(len);
    }
    ok
}

/// Where a collection's item list stands.
#[derive(Clone, Copy, PartialEq, Eq)]
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

#[cfg(test)]
mod tests;
