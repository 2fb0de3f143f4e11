use super::*;
use proptest::prelude::*;

#[path = "corejson_cases.rs"]
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

#[test]
fn duplicate_keys_are_valid_and_search_takes_the_first() {
    let doc = br#"{"a":1,"a":2}"#;
    assert!(validate(doc));
    assert_eq!(found(doc, b"a"), Some("1"));
}

#[test]
fn search_returns_raw_values() {
    let doc = br#"{"s":"a\"b\u00e9","o":{"k":[1, 2]},"a":[true,false,null],"n":-1.5e3,"e":""}"#;
    assert_eq!(
        search(doc, b"s"),
        Some((&br#"a\"b\u00e9"#[..], ValueKind::String))
    );
    assert_eq!(
        search(doc, b"o"),
        Some((&br#"{"k":[1, 2]}"#[..], ValueKind::Object))
    );
    assert_eq!(
        search(doc, b"o.k"),
        Some((&b"[1, 2]"[..], ValueKind::Array))
    );
    assert_eq!(search(doc, b"o.k[1]"), Some((&b"2"[..], ValueKind::Number)));
    assert_eq!(search(doc, b"a[0]"), Some((&b"true"[..], ValueKind::True)));
    assert_eq!(
        search(doc, b"a[1]"),
        Some((&b"false"[..], ValueKind::False))
    );
    assert_eq!(search(doc, b"a[2]"), Some((&b"null"[..], ValueKind::Null)));
    assert_eq!(search(doc, b"a[3]"), None);
    assert_eq!(search(doc, b"n"), Some((&b"-1.5e3"[..], ValueKind::Number)));
    assert_eq!(search(doc, b"e"), Some((&b""[..], ValueKind::String)));
    assert_eq!(search(doc, b"missing"), None);
    // Search does not descend on its own: a key is looked for at one level only.
    assert_eq!(search(doc, b"k"), None);
}

#[test]
fn query_syntax_follows_corejson() {
    let doc = br#"{"a":{"b":[10,{"c":"x"}]},"k.x":1,"k":{"x":2},"q\"":3}"#;
    assert_eq!(found(doc, b"a.b[1].c"), Some("x"));
    assert_eq!(found(doc, b"a.b.[1].c"), Some("x")); // a '.' before an index is fine
    assert_eq!(found(doc, b"a.b[1]c"), Some("x")); // and after one, optional
    assert_eq!(found(doc, b"a.b[0]."), Some("10")); // one trailing '.' after an index is fine
    assert_eq!(found(doc, b"a.b[000]"), Some("10"));
    assert_eq!(found(doc, b"a.b[001].c"), Some("x"));
    assert_eq!(found(doc, b"k.x"), Some("2")); // a dot always separates
    assert_eq!(found(doc, br#"q\""#), Some("3")); // keys compare as written, escapes and all
    for bad in [
        &b""[..],
        b".",
        b".a",
        b"a.",
        b"a..b",
        b"a[",
        b"a.b[",
        b"a.b[0",
        b"a.b[]",
        b"a.b[-1]",
        b"a.b[ 0]",
        b"a.b[0x1]",
        b"a.b[0]..",
        b"a.b[2147483640]",
        b"a.b[99999999999]",
    ] {
        assert_eq!(search(doc, bad), None, "{:?}", String::from_utf8_lossy(bad));
    }
    // The biggest index a query can name.
    assert_eq!(search(doc, b"a.b[2147483639]"), None);
    assert_eq!(MAX_INDEX, 2_147_483_639);
}

#[test]
fn a_query_index_is_taken_up_to_max_index_whatever_its_digits() {
    fn index(query: &[u8]) -> Option<Option<Part<'_>>> {
        QueryParts::new(query).next_part()
    }
    for (query, value) in [
        (&b"[0]"[..], 0),
        (b"[268435455]", 268_435_455),
        (b"[268435456]", 268_435_456),
        (b"[2147483639]", MAX_INDEX),
        (b"[000000000002147483639]", MAX_INDEX),
        (b"[214748363]", 214_748_363),
        (b"[214748364]", 214_748_364),
        (b"[2147483630]", 2_147_483_630),
    ] {
        let value = Some(Some(Part::Index(value)));
        assert_eq!(index(query), value, "{:?}", String::from_utf8_lossy(query));
    }
    for query in [
        &b"[2147483640]"[..],
        b"[2684354559]",
        b"[4294967295]",
        b"[4294967296]",
        b"[99999999999999999999]",
        b"[2147483649]",
        b"[21474836390]",
        b"[2147483639",
        b"[2147483640",
    ] {
        assert_eq!(
            index(query),
            Some(None),
            "{:?}",
            String::from_utf8_lossy(query)
        );
    }
}

#[test]
fn search_sees_only_the_first_object_of_a_list_of_objects() {
    // What v2.0.0 searches after cutting the brackets off the `files` array.
    let entries = br#" {"filepath":"x","filesize":1} , {"filepath":"y","fileid":2} "#;
    assert!(!validate(entries));
    assert_eq!(found(entries, b"filepath"), Some("x"));
    assert_eq!(found(entries, b"filesize"), Some("1"));
    assert_eq!(found(entries, b"fileid"), None);
}

#[test]
fn search_reads_only_up_to_the_match() {
    assert_eq!(found(br#"{"a":1,"b":"#, b"a"), Some("1"));
    assert_eq!(found(br#"{"a":1,"b":2 garbage"#, b"b"), Some("2"));
    assert_eq!(found(br#"{"a":1.,"b":2}"#, b"a"), Some("1"));
    assert_eq!(found(br#"{"a":1.,"b":2}"#, b"b"), None);
    assert_eq!(found(br#"{"a":[1,"b":2}"#, b"b"), None);
    assert_eq!(search(b"", b"a"), None);
    assert_eq!(search(b"{}", b"a"), None);
    assert_eq!(found(b"[5]", b"[0]"), Some("5"));
    assert_eq!(found(b"  {\"a\" : \"v\" }", b"a"), Some("v"));
}

#[test]
fn every_prefix_of_a_document_is_safe_and_no_proper_prefix_is_valid() {
    let doc: &[u8] = b"{\"a\":[1,{\"b\":\"\\u00e9\\uD83D\\uDE00\"}],\"c\":\"\xc3\xa9\",\"d\":-1.5e3,\"e\":[true,false,null]}";
    assert!(validate(doc));
    for cut in 0..doc.len() {
        let part = &doc[..cut];
        assert!(!validate(part), "prefix of {cut} bytes");
        for q in [&b"a"[..], b"a[1].b", b"c", b"d", b"e[2]", b"[0]"] {
            if let Some((v, _)) = search(part, q) {
                assert!(part.as_ptr_range().contains(&v.as_ptr()) || v.is_empty());
            }
        }
    }
}

/// Generated JSON values: (text, is a collection).
fn json_value() -> impl Strategy<Value = Vec<u8>> {
    let string = proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z').prop_map(|c| c.to_string()),
            Just("\\n".to_string()),
            Just("\\\"".to_string()),
            Just("\\u00e9".to_string()),
            Just("\\uD83D\\uDE00".to_string()),
            Just("é".to_string()),
            Just("😀".to_string()),
        ],
        0..6,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()).into_bytes());
    let scalar = prop_oneof![
        string.clone(),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}").into_bytes()),
        Just(b"true".to_vec()),
        Just(b"false".to_vec()),
        Just(b"null".to_vec()),
    ];
    scalar.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(|items| {
                let mut out = b"[".to_vec();
                out.extend(items.join(&b" , "[..]));
                out.push(b']');
                out
            }),
            proptest::collection::vec((string.clone(), inner), 0..6).prop_map(|members| {
                let mut out = b"{".to_vec();
                let parts: Vec<Vec<u8>> = members
                    .into_iter()
                    .map(|(k, v)| [k, b"\n:\t".to_vec(), v].concat())
                    .collect();
                out.extend(parts.join(&b","[..]));
                out.push(b'}');
                out
            }),
        ]
    })
}

proptest! {
    #[test]
    fn never_panics_and_stays_inside_the_input(doc in proptest::collection::vec(any::<u8>(), 0..200),
                                               query in proptest::collection::vec(any::<u8>(), 0..12)) {
        let _ = validate(&doc);
        if let Some((v, _)) = search(&doc, &query) {
            let range = doc.as_ptr_range();
            prop_assert!(range.start <= v.as_ptr() && v.as_ptr_range().end <= range.end);
        }
    }

    #[test]
    fn never_panics_on_json_like_noise(doc in proptest::collection::vec(
        proptest::sample::select(b"{}[]\",:.\\ 0123456789-+eEtrufalsn\x00\x1f\x80\xc3\xa9".to_vec()), 0..120)) {
        let _ = validate(&doc);
        for q in [&b"a"[..], b"[0]", b"[1].a", b"a.b"] {
            let _ = search(&doc, q);
        }
    }

    #[test]
    fn generated_json_is_valid(value in json_value()) {
        prop_assert!(validate(&value), "{:?}", String::from_utf8_lossy(&value));
    }

    #[test]
    fn a_member_of_generated_json_is_found_as_written(value in json_value(), key in "[a-z_]{1,8}") {
        let doc = [b"{ \"".to_vec(), key.clone().into_bytes(), b"\" : ".to_vec(), value.clone(), b" }".to_vec()].concat();
        prop_assert!(validate(&doc));
        let (got, kind) = search(&doc, key.as_bytes()).unwrap();
        if kind == ValueKind::String {
            prop_assert_eq!(got, &value[1..value.len() - 1]);
        } else {
            prop_assert_eq!(got, &value[..]);
        }
    }

    #[test]
    fn no_proper_prefix_of_a_collection_is_valid(value in json_value()) {
        let doc = [b"[".to_vec(), value, b"]".to_vec()].concat();
        prop_assert!(validate(&doc));
        for cut in 0..doc.len() {
            prop_assert!(!validate(&doc[..cut]));
        }
    }
}

#[test]
fn the_one_pass_validator_agrees_with_the_oracle_on_the_recorded_sample() {
    for (doc, expected) in corejson_cases::VALIDATE {
        assert_eq!(
            oracle::validate(doc),
            *expected,
            "{:?}",
            String::from_utf8_lossy(doc)
        );
    }
}

/// The walk as a visitor sees it, for checking what it reports.
#[derive(Default)]
struct Record(Vec<(char, u32, usize, usize)>);

impl<'a> Visit<'a> for Record {
    fn key(&mut self, depth: u32, key: &'a [u8]) {
        self.0.push(('k', depth, key.len(), 0));
    }
    fn value(&mut self, depth: u32, element: bool, start: usize, text: Option<&[u8]>) {
        let kind = if element { 'e' } else { 'v' };
        self.0
            .push((kind, depth, start, text.map_or(0, <[u8]>::len)));
    }
    fn close(&mut self, depth: u32, end: usize) {
        self.0.push(('c', depth, end, 0));
    }
}

#[test]
fn the_walk_reports_only_what_a_search_can_reach() {
    let doc = br#"{"a":1,[2],"b":{"c":[3,4][5],"d":true}}"#;
    let mut seen = Record::default();
    assert!(walk(doc, &mut seen));
    // After the keyless `[2]`, nothing more of the top object, nor anything inside it.
    let keys: Vec<u32> = seen.0.iter().filter(|r| r.0 == 'k').map(|r| r.1).collect();
    assert_eq!(keys, [1]);
    let doc = br#"{"b":{"c":[3,4][5],"d":true},"e":0}"#;
    let mut seen = Record::default();
    assert!(walk(doc, &mut seen));
    let told: Vec<(char, u32)> = seen.0.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        told,
        [
            ('v', 0),
            ('k', 1),
            ('v', 1),
            ('k', 2),
            ('v', 2),
            ('e', 3),
            ('e', 3),
            ('c', 3),
            // `[5]` follows an item without a comma: neither it, its inside nor `d` is told.
            ('c', 3),
            ('c', 2),
            ('k', 1),
            ('v', 1),
            ('c', 1),
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn the_one_pass_validator_agrees_with_the_oracle_on_random_bytes(
        doc in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assert_eq!(validate(&doc), oracle::validate(&doc));
    }

    #[test]
    fn the_one_pass_validator_agrees_with_the_oracle_on_json_like_noise(doc in proptest::collection::vec(
        proptest::sample::select(b"{}[]\",:.\\ 0123456789-+eEtrufalsn\x00\x1f\x80\xc3\xa9".to_vec()), 0..80)) {
        prop_assert_eq!(validate(&doc), oracle::validate(&doc), "{:?}", String::from_utf8_lossy(&doc));
    }

    #[test]
    fn the_one_pass_validator_agrees_with_the_oracle_on_edited_json(
        value in json_value(), at in any::<prop::sample::Index>(),
        byte in proptest::sample::select(b"{}[]\",: \\0-1.eE\x00\x1f\x80\xc3\xff".to_vec()), op in 0u8..3) {
        let mut doc = value;
        let i = at.index(doc.len() + 1);
        match op {
            0 => doc.insert(i, byte),
            1 if i < doc.len() => { doc.remove(i); }
            _ if i < doc.len() => doc[i] = byte,
            _ => doc.truncate(i),
        }
        prop_assert_eq!(validate(&doc), oracle::validate(&doc), "{:?}", String::from_utf8_lossy(&doc));
    }
}

#[test]
fn a_scalar_document_is_told_as_one_value_at_depth_0() {
    for (doc, start, len) in [
        (&b" \"ab\" "[..], 1, 2),
        (b"\"a\\u00e9\"", 0, 7),
        (b"12", 0, 2),
        (b"\t-0.5e+3\n", 1, 7),
        (b"true", 0, 4),
        (b"null ", 0, 4),
    ] {
        let mut seen = Record::default();
        assert!(walk(doc, &mut seen), "{:?}", String::from_utf8_lossy(doc));
        assert_eq!(seen.0, [('v', 0, start, len)]);
    }
    for bad in [
        &b"\"ab\" 1"[..],
        b"1,2",
        b"1]",
        b"}",
        b",",
        b":",
        b"tru",
        b"\"a",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
}

#[test]
fn an_inner_bracket_closes_only_its_own_kind() {
    for ok in [
        &b"[[]]"[..],
        b"[{}]",
        b"{\"a\":[]}",
        b"{\"a\":{}}",
        b"[[],{},[{}]]",
    ] {
        assert!(validate(ok), "{:?}", String::from_utf8_lossy(ok));
    }
    for bad in [
        &b"[[}]"[..],
        b"[{]]",
        b"{\"a\":[}}",
        b"{\"a\":{]}",
        b"[[],{]]",
    ] {
        assert!(!validate(bad), "{:?}", String::from_utf8_lossy(bad));
    }
}
