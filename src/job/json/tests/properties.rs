//! Properties: every prefix of a document, generated documents against the oracle, the walk.

use super::*;

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
