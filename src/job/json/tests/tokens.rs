//! Tokens: numbers, UTF-8, strings and escapes, literals and collections, as coreJSON reads them.

use super::*;

#[test]
fn numbers_follow_the_json_grammar() {
    for ok in [
        "0",
        "-0",
        "12",
        "1.5",
        "1e5",
        "1E+5",
        "1e-5",
        "-12.5e+3",
        "0.0",
        "123456789012345678901234567890",
    ] {
        assert!(validate(ok.as_bytes()), "{ok}");
    }
    for bad in [
        "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "1.e3", "0x10", "- 1", "1.5.3", "00",
    ] {
        assert!(!validate(bad.as_bytes()), "{bad}");
    }
}

/// Whether all of `text` is a JSON number, by the grammar read part by part.
fn is_number(text: &[u8]) -> bool {
    fn digits(t: &[u8]) -> usize {
        t.iter().take_while(|b| b.is_ascii_digit()).count()
    }
    let mut t = text.strip_prefix(b"-").unwrap_or(text);
    let int = digits(t);
    if int == 0 || (t[0] == b'0' && int > 1) {
        return false;
    }
    t = &t[int..];
    if let Some(f) = t.strip_prefix(b".") {
        let n = digits(f);
        if n == 0 {
            return false;
        }
        t = &f[n..];
    }
    if let [b'e' | b'E', e @ ..] = t {
        let e = e.strip_prefix(b"+").or(e.strip_prefix(b"-")).unwrap_or(e);
        let n = digits(e);
        if n == 0 {
            return false;
        }
        t = &e[n..];
    }
    t.is_empty()
}

#[test]
fn a_number_is_the_longest_well_formed_prefix_of_every_short_text() {
    // Every text of up to 6 bytes over the bytes a number is made of, and one that is not.
    let alphabet = b"019.eE+-x";
    let mut text = Vec::new();
    for len in 0..=6u32 {
        for mut n in 0..alphabet.len().pow(len) {
            text.clear();
            for _ in 0..len {
                text.push(alphabet[n % alphabet.len()]);
                n /= alphabet.len();
            }
            let want = (1..=text.len()).rev().find(|&l| is_number(&text[..l]));
            assert_eq!(
                number_end(&text, 0),
                want,
                "{:?}",
                String::from_utf8_lossy(&text)
            );
            // From an offset, with bytes before it.
            let mut shifted = b"1".to_vec();
            shifted.extend_from_slice(&text);
            assert_eq!(number_end(&shifted, 1), want.map(|l| l + 1));
        }
    }
}

#[test]
fn every_multi_byte_sequence_is_taken_exactly_when_it_is_utf8() {
    // Every lead byte, and continuations at and around each range edge the rules have.
    let next = [
        0x00, 0x41, 0x7F, 0x80, 0x81, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF4, 0xFF,
    ];
    for lead in 0x80..=0xFFu8 {
        for &b in &next {
            for &c in &next {
                for &d in &next {
                    let bytes = [lead, b, c, d];
                    for len in 1..=4 {
                        let chars = &bytes[..len];
                        // Only bytes a string holds as they are: printable ASCII, or >= 0x80.
                        if chars.iter().any(|&x| x < 0x20 || x == b'"' || x == b'\\') {
                            continue;
                        }
                        let mut doc = vec![b'"'];
                        doc.extend_from_slice(chars);
                        doc.push(b'"');
                        let utf8 = std::str::from_utf8(chars).is_ok();
                        assert_eq!(validate(&doc), utf8, "{chars:x?}");
                    }
                }
            }
        }
    }
}

#[test]
fn strings_must_be_valid_utf8_without_raw_control_bytes() {
    for ok in [
        &b"\"\xc3\xa9\""[..],
        b"\"\xf0\x9f\x98\x80\"",
        b"\"\xed\x9f\xbf\"",
        b"\"\xf4\x8f\xbf\xbf\"",
        b"\"\x7f\"",
    ] {
        assert!(validate(ok), "{ok:x?}");
    }
    for bad in [
        &b"\"\x80\""[..],        // continuation byte alone
        b"\"\xc0\x80\"",         // overlong NUL
        b"\"\xc1\xbf\"",         // overlong
        b"\"\xe0\x9f\xbf\"",     // overlong 3-byte
        b"\"\xf0\x8f\xbf\xbf\"", // overlong 4-byte
        b"\"\xed\xa0\x80\"",     // UTF-16 surrogate
        b"\"\xf4\x90\x80\x80\"", // above U+10FFFF
        b"\"\xf5\x80\x80\x80\"", // lead byte never valid
        b"\"\xe2\x82\"",         // truncated sequence
        b"\"\xff\"",
        b"\"\x00\"",
        b"\"\x01\"",
        b"\"\x1f\"",
        b"\"a\nb\"",
    ] {
        assert!(!validate(bad), "{bad:x?}");
    }
}

#[test]
fn escapes_follow_corejson() {
    for ok in [
        &br#""\" \\ \/ \b \f \n \r \t""#[..],
        br#""\u00e9\u00E9""#,
        br#""\uD83D\uDE00""#,
        br#""\uDBFF\uDFFF\uD7FF\uE000\uFFFF""#,
        br#""\uD800\uDC00\uD800\uDC00x""#,
        br#""\uABCD\uabcd\uF0f9\u0a0A""#,
        br#""\u0001""#,
    ] {
        assert!(validate(ok), "{:?}", String::from_utf8_lossy(ok));
    }
    // Quirk kept from coreJSON: a backslash before a raw control byte is an escape.
    assert!(validate(b"\"\\\x01\""));
    assert!(validate(b"\"\\\x1f\""));
    for bad in [
        &br#""\u0000""#[..], // NUL refused even escaped
        br#""\uDC00""#,      // low surrogate first
        br#""\uD800""#,      // high surrogate alone
        br#""\uD800\u0041""#,
        br#""\uD800\uD800""#,
        br#""\uD800\u0000""#,
        br#""\uD800\uDC0""#,
        br#""\uD800\n""#,
        br#""\uD800x""#,
        br#""\uDFFF\uD800""#,
        br#""\uD83D\uDE00\uDE00""#,
        br#""\u12""#,
        br#""\uXYZW""#,
        // A byte just outside each range of hex digits, in each place.
        br#""\u/000""#,
        br#""\u0:00""#,
        br#""\u00@0""#,
        br#""\u000G""#,
        br#""\u`000""#,
        br#""\u0g00""#,
        b"\"\\u00\xc100\"",
        br#""\x""#,
        br#""\'""#,
        b"\"\\\x00\"",
        b"\"\\\x7f\"",
        b"\"\\\x80\"",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn a_backslash_takes_exactly_the_escapes_and_raw_control_bytes_other_than_nul() {
    for c in 0..=u8::MAX {
        let doc = [b'"', b'\\', c, b'"'];
        let expected = matches!(
            c,
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | 0x01..=0x1f
        );
        assert_eq!(validate(&doc), expected, "byte {c:#04x}");
        // In a key, in a value and in an array, with the plain-ASCII fast path before it.
        let doc = [
            &br#"{"aaaaaaaa\"#[..],
            &[c],
            br#"":["bbbbbbbb\"#,
            &[c],
            br#""]}"#,
        ]
        .concat();
        assert_eq!(validate(&doc), expected, "byte {c:#04x}");
    }
}

#[test]
fn a_literal_is_taken_only_whole_and_spelt_right() {
    for doc in [
        &b"true"[..],
        b"false",
        b"null",
        b"[true,false,null]",
        b"{\"a\":false}",
    ] {
        assert!(validate(doc), "{:?}", String::from_utf8_lossy(doc));
    }
    for word in [&b"true"[..], b"false", b"null"] {
        // Every proper prefix, and every one-byte change, is refused.
        for len in 0..word.len() {
            assert!(!validate(&word[..len]));
            if len > 0 {
                assert!(!validate(&[b"[", &word[..len], b"]"].concat()));
            }
            for c in [b'x', b'e', b'E', word[0], 0] {
                if c == word[len] {
                    continue;
                }
                let mut bad = word.to_vec();
                bad[len] = c;
                assert!(!validate(&bad), "{:?}", String::from_utf8_lossy(&bad));
                assert!(!validate(&[b"[", &bad[..], b"]"].concat()));
            }
        }
        // Anything glued after it is refused too.
        assert!(!validate(&[word, b"e"].concat()));
        assert!(!validate(&[b"[", word, b"x]"].concat()));
    }
    assert!(!validate(b"[nul"));
    assert!(!validate(b"[fals"));
    // Four bytes read as one word: a literal's start that ends short, or a number before one.
    for bad in [
        &b"[fals]"[..],
        b"[falsx]",
        b"fals ",
        b"tru",
        b"[1tru]",
        b"-nul",
        b"Null",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
    assert!(validate(b"[false, true,null ,1e5]"));
}

#[test]
fn collection_quirks_of_corejson_are_kept() {
    // The outermost closing bracket is not checked against the opening one...
    assert!(validate(b"{\"a\":1]"));
    assert!(validate(b"[}"));
    // ...but inner ones are.
    assert!(!validate(b"{\"a\":[1}}"));
    // A collection may follow another item without a comma.
    assert!(validate(b"[[1][2]]"));
    assert!(validate(b"[1{}]"));
    assert!(validate(b"{\"a\":{}{}}"));
    // Objects may hold collections without a key.
    assert!(validate(b"{{}}"));
    assert!(validate(b"{\"a\":1,[2]}"));
    // Everything else is strict.
    for bad in [
        &b"[1,]"[..],
        b"[,1]",
        b"[1 2]",
        b"[{}1]",
        b"{\"a\":1,}",
        b"{\"a\"}",
        b"{\"a\" 1}",
        b"{1:2}",
        b"{\"a\":{}\"b\":1}",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
}
