//! The key search: raw values, coreJSON's query syntax and where a search stops.

use super::*;

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
