//! Strict JSON over a byte slice, zero-copy: a validator that walks a document once and reports
//! what a dotted key-path search could reach in it.
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
//! A search (coreJSON's `JSON_Search`, the `oracle` the tests keep) walks an object's members,
//! or an array's elements, in order and stops at the first quirk: a collection without a key or
//! after an item without a comma hides every later item of its collection. [`walk`] reports
//! exactly the items a search can reach, so one pass serves every query.
//!
//! Every function here is total: any input, valid or not, is read only inside its slice, and
//! nesting is tracked in fixed 32-bit stacks, never by recursion.

/// Deepest nesting of objects and arrays a document may have (coreJSON's `JSON_MAX_DEPTH`).
pub const MAX_DEPTH: u32 = 32;

/// Largest array index a query may name (coreJSON's `MAX_INDEX_VALUE`, 2^31 - 9).
pub const MAX_INDEX: u32 = 0x7FFF_FFF7;

#[cfg(test)]
pub(crate) mod oracle;
#[cfg(test)]
pub use oracle::{search, ValueKind};

/// What [`walk`] tells as it goes. Keys and values are told only where a search can reach them
/// (see the module docs); every collection's end is told.
pub(crate) trait Visit<'a> {
    /// A member's key, as written between its quotes, in the object at `depth` (1 = outermost).
    fn key(&mut self, depth: u32, key: &'a [u8]);
    /// A value starts at `start` in the collection at `depth` (0 for the document's own value,
    /// a scalar one included); `element` tells an array's element from an object
    /// member's value. A scalar comes whole as `text` (a string's between its quotes, as
    /// written); a collection (`text` = `None`) ends at its `close`.
    fn value(&mut self, depth: u32, element: bool, start: usize, text: Option<&'a [u8]>);
    /// The collection at `depth` ended just before `end`.
    fn close(&mut self, depth: u32, end: usize);
}

/// Whether `doc` is exactly one JSON value with optional whitespace around it, found in one
/// pass that tells `visit` what a search could reach.
/// What was told before an error stands; the caller discards it when this returns false.
pub(crate) fn walk<'a, V: Visit<'a>>(doc: &'a [u8], visit: &mut V) -> bool {
    value_end(doc, visit).is_some_and(|end| skip_ws(doc, end) == doc.len())
}

/// Where the document's value ends, reporting what is in it: a scalar, or the outermost
/// collection, closed by any bracket.
fn value_end<'a, V: Visit<'a>>(doc: &'a [u8], visit: &mut V) -> Option<usize> {
    let mut at = 0;
    let mut depth: u32 = 0;
    // One bit per open collection, the innermost in bit 0; depth 0 holds the document's value
    // as an object holds a member's.
    let mut objects: u32 = 1;
    let mut reachable: u32 = 1;
    let mut expect = Expect::Value;
    loop {
        let b;
        (at, b) = token(doc, at)?;
        let start = at;
        // The value that starts here: a scalar with its text, or a collection (`None`).
        let end = match b {
            b'{' | b'[' => {
                if depth == MAX_DEPTH {
                    return None;
                }
                // A collection without a key, or after an item without a comma, ends the walk.
                if matches!(expect, Expect::After | Expect::FirstKey | Expect::Key) {
                    reachable &= !1;
                }
                None
            }
            b'}' | b']'
                if matches!(
                    expect,
                    Expect::After | Expect::FirstKey | Expect::FirstElement
                ) =>
            {
                at = at.wrapping_add(1);
                visit.close(depth, at);
                if depth == 1 {
                    // The outermost bracket closes whatever it is (coreJSON does not check it).
                    return Some(at);
                }
                // Bit 5 tells `}` (0x7D) from `]` (0x5D): it must be the open collection's bit.
                if (objects ^ u32::from(b >> 5)) & 1 != 0 {
                    return None;
                }
                depth = depth.wrapping_sub(1);
                objects = objects.wrapping_shr(1);
                reachable = reachable.wrapping_shr(1);
                expect = Expect::After;
                continue;
            }
            b',' if expect == Expect::After => {
                at = at.wrapping_add(1);
                expect = if objects & 1 == 1 {
                    Expect::Key
                } else {
                    Expect::Element
                };
                continue;
            }
            _ if expect == Expect::After => return None,
            _ => {
                let is_key = matches!(expect, Expect::FirstKey | Expect::Key);
                let text;
                (at, text) = match b {
                    b'"' => string_end(doc, at)?,
                    _ if is_key => return None,
                    _ => {
                        let end = other_scalar_end(doc, at)?;
                        (end, doc.get(start..end)?)
                    }
                };
                if !is_key {
                    Some(text)
                } else {
                    if reachable & 1 == 1 {
                        visit.key(depth, text);
                    }
                    at = skip_ws(doc, at);
                    if doc.get(at) != Some(&b':') {
                        return None;
                    }
                    at = at.wrapping_add(1);
                    expect = Expect::Value;
                    continue;
                }
            }
        };
        if reachable & 1 == 1 {
            let element = matches!(expect, Expect::FirstElement | Expect::Element);
            visit.value(depth, element, start, end);
        }
        if end.is_some() {
            // A scalar document holds nothing more; the same loop reads it, in less flash.
            if depth == 0 {
                return Some(at);
            }
            expect = Expect::After;
        } else {
            depth = depth.wrapping_add(1);
            let object = b == b'{';
            objects = objects.wrapping_shl(1) | u32::from(object);
            // Inside a collection no search reaches, no item is reachable either.
            reachable = reachable.wrapping_shl(1) | (reachable & 1);
            at = at.wrapping_add(1);
            expect = if object {
                Expect::FirstKey
            } else {
                Expect::FirstElement
            };
        }
    }
}

/// Where the next byte after whitespace from `at` is, and that byte.
#[inline(always)]
fn token(doc: &[u8], at: usize) -> Option<(usize, u8)> {
    // Tokens mostly follow each other without whitespace: one compare for that case.
    match doc.get(at) {
        Some(&b) if b > b' ' => Some((at, b)),
        _ => {
            let at = skip_ws(doc, at);
            Some((at, *doc.get(at)?))
        }
    }
}

/// Where a collection's item list stands; an object's items are keys, an array's elements.
// In this order, where an item ended the walk's reach (an object's item, `After`) is one
// compare, and where a bracket may close (`FirstKey`, `After`, `FirstElement`) one range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// After a comma in an object: a key.
    Key,
    /// Just inside an object's opening bracket: a key or the closing bracket.
    FirstKey,
    /// After an item: a comma, a closing bracket, or (quirk) another collection.
    After,
    /// Just inside an array's opening bracket: an element or the closing bracket.
    FirstElement,
    /// After a comma in an array: an element.
    Element,
    /// After an object key and its colon (or for the document itself): the value.
    Value,
}

/// One step of a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part<'q> {
    /// A member's key, compared with the raw key byte for byte.
    Key(&'q [u8]),
    /// An array index.
    Index(u32),
}

/// Splits a query into its steps; `Some(None)` is a malformed step (the query matches nothing).
pub(crate) struct QueryParts<'q> {
    query: &'q [u8],
    pos: usize,
}

impl<'q> QueryParts<'q> {
    /// The steps of `query`, from its first.
    pub(crate) const fn new(query: &'q [u8]) -> Self {
        QueryParts { query, pos: 0 }
    }

    /// Goes on from `pos` (a position [`QueryParts::position`] gave).
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Where the next step starts.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.query.get(at).copied()
    }

    /// The next step: `None` after the last, `Some(None)` for a malformed one.
    pub(crate) fn next_part(&mut self) -> Option<Option<Part<'q>>> {
        let first = self.byte(self.pos)?;
        let part = if first == b'[' {
            self.index()
        } else {
            self.key()
        };
        if part.is_some() && self.byte(self.pos) == Some(b'.') {
            self.pos = self.pos.wrapping_add(1);
        }
        Some(part)
    }

    /// `[digits]`, the cursor on the `[`.
    fn index(&mut self) -> Option<Part<'q>> {
        let start = self.pos.wrapping_add(1);
        let mut at = start;
        let mut value: u32 = 0;
        while let Some(d @ b'0'..=b'9') = self.byte(at) {
            // Past `MAX_INDEX` the step is malformed, whatever follows: more digits only add.
            // `MAX_INDEX` ends in 9 after its tenth: any digit fits after a tenth of it or less.
            const _: () = assert!(MAX_INDEX % 10 == 9);
            if value > MAX_INDEX / 10 {
                return None;
            }
            value = value
                .wrapping_mul(10)
                .wrapping_add(u32::from(d.wrapping_sub(b'0')));
            at = at.wrapping_add(1);
        }
        if at == start || self.byte(at) != Some(b']') {
            return None;
        }
        self.pos = at.wrapping_add(1);
        Some(Part::Index(value))
    }

    /// A key: everything up to the next `.` or `[`, not empty, not ending the query on one.
    fn key(&mut self) -> Option<Part<'q>> {
        let rest = self.query.get(self.pos..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'.' || b == b'[')
            .unwrap_or(rest.len());
        if len == 0 || len.wrapping_add(1) == rest.len() {
            return None;
        }
        self.pos = self.pos.wrapping_add(len);
        Some(Part::Key(rest.get(..len)?))
    }
}

// The lexical layer: each function takes the position where its token starts and returns the
// position just after it, or `None` when there is no such token there.

/// Where the JSON whitespace at `at` ends.
fn skip_ws(doc: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = doc.get(at) {
        at = at.wrapping_add(1);
    }
    at
}

/// A number or literal.
// Out of line, for every number too: the walk's loop holds one call (16 B less flash than a
// whole-number path inlined beside it, for about 15 instructions more per number).
#[inline(never)]
fn other_scalar_end(doc: &[u8], at: usize) -> Option<usize> {
    // A literal's first four bytes, compared as one word; `false` has an `e` after them. Four
    // bytes that are no literal's start are a number's, or nothing valid.
    let four = doc
        .get(at..at.wrapping_add(4))
        .and_then(|w| w.first_chunk::<4>());
    let end = match four.map(|w| u32::from_le_bytes(*w)) {
        Some(TRUE | NULL) => at.wrapping_add(4),
        Some(FALS) => {
            let e = at.wrapping_add(4);
            (doc.get(e) == Some(&b'e')).then_some(e.wrapping_add(1))?
        }
        _ => return number_end(doc, at),
    };
    Some(end)
}

const TRUE: u32 = u32::from_le_bytes(*b"true");
const NULL: u32 = u32::from_le_bytes(*b"null");
const FALS: u32 = u32::from_le_bytes(*b"fals");

/// A number. The longest well-formed prefix is taken: in `1.` or `1e+` only `1` is the number,
/// and what follows is the caller's problem (an error everywhere it can appear).
fn number_end(doc: &[u8], at: usize) -> Option<usize> {
    let mut end = at;
    if doc.get(end) == Some(&b'-') {
        end = end.wrapping_add(1);
    }
    end = match doc.get(end)? {
        b'0' => end.wrapping_add(1),
        b'1'..=b'9' => digits_end(doc, end),
        _ => return None,
    };
    if doc.get(end) == Some(&b'.') {
        let fraction = end.wrapping_add(1);
        let digits = digits_end(doc, fraction);
        if digits > fraction {
            end = digits;
        }
    }
    if let Some(b'e' | b'E') = doc.get(end) {
        let mut exponent = end.wrapping_add(1);
        if let Some(b'+' | b'-') = doc.get(exponent) {
            exponent = exponent.wrapping_add(1);
        }
        let digits = digits_end(doc, exponent);
        if digits > exponent {
            end = digits;
        }
    }
    Some(end)
}

// Inlined: each of its three loops in `number_end` is smaller than a call (-4 B flash).
#[inline(always)]
fn digits_end(doc: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = doc.get(at) {
        at = at.wrapping_add(1);
    }
    at
}

/// A double-quoted string, `at` on its opening quote: where it ends, and what is between its
/// quotes, as written.
// Inlined for the common string, plain ASCII to the closing quote; the rest is out of line.
#[inline(always)]
fn string_end(doc: &[u8], at: usize) -> Option<(usize, &[u8])> {
    let body = at.wrapping_add(1);
    let text = doc.get(body..)?;
    let plain = plain_run(text);
    // The text's length: the closing quote ends it, after the plain run or later.
    let len = if text.get(plain) == Some(&b'"') {
        plain
    } else {
        string_rest(doc, body.wrapping_add(plain))?.wrapping_sub(body.wrapping_add(1))
    };
    Some((body.wrapping_add(len).wrapping_add(1), text.get(..len)?))
}

/// The rest of a string from `at`, where the plain ASCII stopped, a byte or escape at a time.
#[inline(never)]
fn string_rest(doc: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let lead = *doc.get(at)?;
        at = match lead {
            b'"' => return Some(at.wrapping_add(1)),
            b'\\' => escape_end(doc, at)?,
            0x00..=0x1f => return None,
            0x20..=0x7f => at.wrapping_add(1),
            _ => utf8_end(doc, at, lead)?,
        };
    }
}

/// Whole machine words of bytes at the start of `text` that a string holds as they are
/// (printable ASCII other than `"` and `\`), and the plain bytes of the first word that is not.
/// The borrows that can flag a byte wrongly only run towards later bytes, so the first flagged
/// byte is always a real one. What is left after the last whole word is the caller's.
#[inline(always)]
fn plain_run(text: &[u8]) -> usize {
    const WIDTH: usize = core::mem::size_of::<usize>();
    const ONES: usize = usize::from_ne_bytes([0x01; WIDTH]);
    const HIGH: usize = usize::from_ne_bytes([0x80; WIDTH]);
    const SPACE: usize = usize::from_ne_bytes([0x20; WIDTH]);
    const QUOTE: usize = usize::from_ne_bytes([b'"'; WIDTH]);
    const BACKSLASH: usize = usize::from_ne_bytes([b'\\'; WIDTH]);
    let mut rest = text;
    while let Some((word, tail)) = rest.split_first_chunk::<WIDTH>() {
        let x = usize::from_le_bytes(*word);
        let below = x.wrapping_sub(SPACE);
        let quote = (x ^ QUOTE).wrapping_sub(ONES);
        let backslash = (x ^ BACKSLASH).wrapping_sub(ONES);
        // A high bit from a byte >= 0x80 itself, or from a subtraction that went below zero.
        let special = (below | quote | backslash | x) & HIGH;
        if special != 0 {
            let done = text.len().wrapping_sub(rest.len());
            return done.wrapping_add(special.trailing_zeros().wrapping_shr(3) as usize);
        }
        rest = tail;
    }
    text.len().wrapping_sub(rest.len())
}

/// A backslash escape, `at` on the backslash.
fn escape_end(doc: &[u8], at: usize) -> Option<usize> {
    match *doc.get(at.wrapping_add(1))? {
        c if escaped(c) => Some(at.wrapping_add(2)),
        b'u' => {
            // One `\uXXXX`, or a high surrogate's and then a low one's: one call site, so
            // `hex_escape` is inlined.
            let mut end = at;
            let mut second = false;
            loop {
                let value = hex_escape(doc, end)?;
                end = end.wrapping_add(6);
                // A low surrogate comes second, and only there.
                if (value & 0xFC00 == 0xDC00) != second {
                    return None;
                }
                if value & 0xFC00 != 0xD800 {
                    return Some(end);
                }
                second = true;
            }
        }
        _ => None,
    }
}

/// Whether `\` and then `c` is a two-byte escape: `\" \\ \/ \b \f \n \r \t`, or (quirk) a raw
/// control byte other than NUL.
// A loop over the list: less flash than a match of its bytes, and `contains` is core's memchr
// (136 B more). `\/` is the common one.
#[allow(clippy::manual_contains)]
fn escaped(c: u8) -> bool {
    c.wrapping_sub(1) < 0x1f || b"/\"\\nrtbf".iter().any(|&e| e == c)
}

/// The non-zero value of the `\uXXXX` at `at`.
fn hex_escape(doc: &[u8], at: usize) -> Option<u32> {
    let Some([b'\\', b'u', digits @ ..]) = doc.get(at..at.wrapping_add(6)) else {
        return None;
    };
    let mut value: u32 = 0;
    for &d in digits {
        let mut digit = u32::from(d).wrapping_sub(u32::from(b'0'));
        if digit >= 10 {
            // A letter, case aside, is 10 and up; anything else is refused.
            digit = u32::from(d | 0x20).wrapping_sub(u32::from(b'a'));
            if digit >= 6 {
                return None;
            }
            digit = digit.wrapping_add(10);
        }
        value = value.wrapping_shl(4) | digit;
    }
    (value != 0).then_some(value)
}

/// One multi-byte UTF-8 character with lead byte `lead` (>= 0x80) at `at`: shortest form, at
/// most U+10FFFF, no surrogates.
fn utf8_end(doc: &[u8], at: usize, lead: u8) -> Option<usize> {
    // The lead's high ones count the bytes; leads C0, C1 and F5..F7 fail the value checks.
    let len = lead.leading_ones();
    if len.wrapping_sub(2) > 2 {
        return None;
    }
    let end = at.wrapping_add(len as usize);
    let mut value = u32::from(lead & 0x7F_u8.wrapping_shr(len));
    for &b in doc.get(at.wrapping_add(1)..end)? {
        if b & 0xC0 != 0x80 {
            return None;
        }
        value = value.wrapping_shl(6) | u32::from(b & 0x3F);
    }
    // Shortest form: the value needs more than 7, 11 or 16 bits for 2, 3 or 4 bytes.
    let shorter = 0x10_0B_07_u32.wrapping_shr(len.wrapping_sub(2).wrapping_mul(8)) & 0xFF;
    // Surrogates are D800..=DFFF, the values whose bits above the low 11 are 0x1B.
    let ok =
        value.wrapping_shr(shorter) != 0 && value <= 0x10_FFFF && value.wrapping_shr(11) != 0x1B;
    ok.then_some(end)
}

#[cfg(test)]
mod tests;
