use super::*;
use proptest::prelude::*;

mod corejson_cases;

/// Whether `doc` is exactly one JSON value with optional whitespace around it: [`walk`] with a
/// visitor that wants nothing.
fn validate(doc: &[u8]) -> bool {
    walk(doc, &mut Unseen)
}

struct Unseen;

impl Visit<'_> for Unseen {
    fn key(&mut self, _: u32, _: &[u8]) {}
    fn value(&mut self, _: u32, _: bool, _: usize, _: Option<&[u8]>) {}
    fn close(&mut self, _: u32, _: usize) {}
}

/// Offset, length and kind of a search result, for comparing with coreJSON's output.
fn located(doc: &[u8], query: &[u8]) -> Option<(usize, usize, u8)> {
    search(doc, query).map(|(v, k)| {
        (
            v.as_ptr() as usize - doc.as_ptr() as usize,
            v.len(),
            k as u8,
        )
    })
}

/// The text of the value at `query`.
fn found<'a>(doc: &'a [u8], query: &[u8]) -> Option<&'a str> {
    search(doc, query).map(|(v, _)| std::str::from_utf8(v).unwrap())
}

fn nested(depth: usize) -> Vec<u8> {
    let mut d = vec![b'['; depth];
    d.extend_from_slice(&vec![b']'; depth]);
    d
}

#[test]
fn validate_agrees_with_corejson_on_the_recorded_sample() {
    for (doc, expected) in corejson_cases::VALIDATE {
        assert_eq!(
            validate(doc),
            *expected,
            "{:?}",
            String::from_utf8_lossy(doc)
        );
    }
}

#[test]
fn search_agrees_with_corejson_on_the_recorded_sample() {
    for (doc, query, expected) in corejson_cases::SEARCH {
        assert_eq!(
            located(doc, query),
            *expected,
            "{:?} / {:?}",
            String::from_utf8_lossy(doc),
            String::from_utf8_lossy(query)
        );
    }
}

#[test]
fn a_document_is_one_value_of_any_kind_within_json_whitespace() {
    for ok in [
        &b"{}"[..],
        b"[]",
        b"\"x\"",
        b"12",
        b"-0.5e+3",
        b"true",
        b"false",
        b"null",
        b" \t\r\n{} \t\r\n",
    ] {
        assert!(validate(ok), "{:?}", String::from_utf8_lossy(ok));
    }
    for bad in [
        &b""[..],
        b" ",
        b"{} x",
        b"{}{}",
        b"1 2",
        b"\x0b{}",
        b"{}\x0c",
        b"{}\x00",
        b"\x00{}",
        b"{",
        b"\"x",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn nesting_is_limited_to_32_levels() {
    assert!(validate(&nested(32)));
    assert!(!validate(&nested(33)));
    let mut objects = b"{\"a\":".repeat(33);
    objects.push(b'1');
    objects.extend_from_slice(&[b'}'; 33]);
    assert!(!validate(&objects));
    assert!(validate(&objects[5..objects.len() - 1]));
    // Far deeper input is refused just as cheaply: no recursion, no stack growth.
    assert!(!validate(&nested(100_000)));
}

mod properties;
mod search;
mod tokens;
