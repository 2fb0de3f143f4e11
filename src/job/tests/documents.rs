//! Whole documents: invalid JSON, truncations, where file keys are searched, the signature key,
//! raw values and duplicates.

use super::*;

#[test]
fn nesting_deeper_than_32_is_invalid_json() {
    let deep = |n: usize| {
        let mut d = b"{\"execution\":".to_vec();
        d.extend_from_slice(&vec![b'['; n - 1]);
        d.extend_from_slice(&vec![b']'; n - 1]);
        d.push(b'}');
        d
    };
    assert!(find_values(&deep(32), SIG_KEY).is_ok());
    assert_eq!(find_values(&deep(33), SIG_KEY), Err(DocError::InvalidJson));
}

#[test]
fn invalid_utf8_is_invalid_json() {
    let mut doc = MQTT_JOB.to_vec();
    let at = doc.windows(6).position(|w| w == b"/certs").unwrap();
    doc[at + 1] = 0xC0;
    assert_eq!(find_values(&doc, SIG_KEY), Err(DocError::InvalidJson));
}

#[test]
fn an_invalid_document_is_refused_even_when_its_values_can_be_found() {
    // v2.0.0 took this (its first extracted value cleared the JSON error); we do not.
    let mut doc = MQTT_JOB.to_vec();
    doc.extend_from_slice(b"garbage");
    assert!(json::search(&doc, b"execution.jobId").is_some());
    assert_eq!(find_values(&doc, SIG_KEY), Err(DocError::InvalidJson));
    assert_eq!(find_values(b"", SIG_KEY), Err(DocError::InvalidJson));
}

#[test]
fn every_truncation_of_a_job_document_is_refused_without_panicking() {
    for doc in [MQTT_JOB, SELF_TEST_JOB, HTTP_JOB, NO_JOB] {
        for cut in 0..doc.len() {
            let part = &doc[..cut];
            // The last byte of HTTP_JOB is a closing bracket, so no proper prefix is valid.
            assert_eq!(
                find_values(part, SIG_KEY),
                Err(DocError::InvalidJson),
                "{cut}"
            );
        }
    }
}

#[test]
fn file_keys_are_searched_at_the_top_level_first_then_in_the_first_file_only() {
    let doc = br#"{"filepath":"/top","execution":{"jobId":"j","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filepath":"/first","filesize":1,"fileid":2},{"filepath":"/second","filesize":3,"fileid":4,"attr":5}]}}}}"#;
    let f = find_values(doc, SIG_KEY).unwrap();
    assert_eq!(text(&f, param::FILE_PATH), Some("/top"));
    assert_eq!(text(&f, param::FILE_SIZE), Some("1"));
    assert_eq!(text(&f, param::FILE_ID), Some("2"));
    assert_eq!(text(&f, param::ATTRIBUTES), None);
}

#[test]
fn file_keys_before_files_in_the_model_are_not_searched_in_it() {
    // Keys that precede `files` in the model are only looked for at their own path.
    let doc = br#"{"execution":{"jobDocument":{"afr_ota":{"files":[{"jobId":"j","protocols":["MQTT"],"filesize":1,"fileid":2}]}}}}"#;
    let f = find_values(doc, SIG_KEY).unwrap();
    assert_eq!(f.get(param::JOB_ID), None);
    assert_eq!(f.get(param::PROTOCOLS), None);
    assert_eq!(text(&f, param::FILE_SIZE), Some("1"));
}

#[test]
fn files_holds_a_file_only_as_an_array_starting_with_an_object() {
    // The last one is valid to coreJSON, and v2.0.0 found a file in it (see the module docs).
    for files in [
        "\"\"",
        "\"x\"",
        "5",
        "{}",
        r#"{"filesize":1,"fileid":2}"#,
        "[]",
        "[1,2]",
        r#"[[{"filesize":1,"fileid":2}]]"#,
        r#"5{"filesize":1,"fileid":2}"#,
    ] {
        let doc = format!(
            r#"{{"execution":{{"jobId":"j","jobDocument":{{"afr_ota":{{"protocols":["MQTT"],"files":{files}}}}}}}}}"#
        );
        let f = find_values(doc.as_bytes(), SIG_KEY).unwrap();
        assert!(f.get(param::FILES).is_some(), "{files}");
        assert_eq!(f.get(param::FILE_SIZE), None, "{files}");
        assert_eq!(
            f.missing(),
            (1 << param::FILE_SIZE) | (1 << param::FILE_ID),
            "{files}"
        );
    }
}

#[test]
fn the_signature_key_is_the_applications() {
    let doc = br#"{"execution":{"jobId":"j","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filesize":1,"fileid":2,"sig-sha256-rsa":"UlNB","sig-sha256-ecdsa":"RUM="}]}}}}"#;
    assert_eq!(
        text(
            &find_values(doc, b"sig-sha256-rsa").unwrap(),
            param::SIGNATURE
        ),
        Some("UlNB")
    );
    assert_eq!(
        text(
            &find_values(doc, b"sig-sha256-ecdsa").unwrap(),
            param::SIGNATURE
        ),
        Some("RUM=")
    );
    assert_eq!(find_values(doc, b"").unwrap().get(param::SIGNATURE), None);
    assert_eq!(
        find_values(doc, b"sig-none").unwrap().get(param::SIGNATURE),
        None
    );
}

#[test]
fn values_come_back_raw() {
    let doc = br#"{"execution":{"jobId":"a\"b\u00e9","jobDocument":{"afr_ota":{"protocols":[ "MQTT" ],"files":[{"filesize":1,"fileid":2}]}}}}"#;
    let f = find_values(doc, SIG_KEY).unwrap();
    assert_eq!(text(&f, param::JOB_ID), Some(r#"a\"b\u00e9"#));
    assert_eq!(text(&f, param::PROTOCOLS), Some(r#"[ "MQTT" ]"#));
}

#[test]
fn the_first_of_duplicate_keys_wins() {
    let doc = br#"{"execution":{"jobId":"first","jobId":"second","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filesize":1,"filesize":2,"fileid":2}]}}}}"#;
    let f = find_values(doc, SIG_KEY).unwrap();
    assert_eq!(text(&f, param::JOB_ID), Some("first"));
    assert_eq!(text(&f, param::FILE_SIZE), Some("1"));
}

proptest! {
    #[test]
    fn find_values_never_panics(doc in proptest::collection::vec(any::<u8>(), 0..300),
                                key in proptest::collection::vec(any::<u8>(), 0..20)) {
        let _ = find_values(&doc, &key);
    }

    #[test]
    fn find_values_never_panics_on_mutated_documents(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let mut doc = MQTT_JOB.to_vec();
        for (at, byte, op) in edits {
            let i = at.index(doc.len() + 1);
            match op {
                0 => doc.insert(i, byte),
                1 if i < doc.len() => { doc.remove(i); }
                _ if i < doc.len() => doc[i] = byte,
                _ => {}
            }
        }
        if let Ok(f) = find_values(&doc, SIG_KEY) {
            for (_, v) in f.iter() {
                if let Some(v) = v {
                    prop_assert!(doc.as_ptr_range().contains(&v.as_ptr()) || v.is_empty());
                    let _ = parse_u32(v);
                }
            }
        }
    }

    #[test]
    fn parse_u32_takes_every_u32_in_every_base(n: u32, spaces in " {0,3}", plus: bool) {
        let sign = if plus { "+" } else { "" };
        for text in [format!("{spaces}{sign}{n}"), format!("{spaces}{sign}0x{n:x}"), format!("{spaces}{sign}0X{n:X}"), format!("{spaces}{sign}0{n:o}")] {
            prop_assert_eq!(parse_u32(text.as_bytes()), Some(n), "{}", text);
        }
    }

    #[test]
    fn parse_u32_refuses_what_does_not_fit_or_is_negative(n in (u64::from(u32::MAX) + 1)..=u64::MAX, m in 1u32..) {
        prop_assert_eq!(parse_u32(n.to_string().as_bytes()), None);
        prop_assert_eq!(parse_u32(format!("0x{n:x}").as_bytes()), None);
        prop_assert_eq!(parse_u32(format!("-{m}").as_bytes()), None);
        prop_assert_eq!(parse_u32(format!("{m}x").as_bytes()), None);
    }
}

#[test]
fn eq_bytes_agrees_with_slice_equality_at_every_length_and_position() {
    let a: Vec<u8> = (0u8..13).collect();
    for len in 0..=a.len() {
        let x = &a[..len];
        assert!(super::eq_bytes(x, x));
        for at in 0..len {
            let mut y = x.to_vec();
            y[at] ^= 0x20;
            assert!(!super::eq_bytes(x, &y), "len {len}, differs at {at}");
        }
        if len > 0 {
            assert!(!super::eq_bytes(x, &x[..len - 1]));
            assert!(!super::eq_bytes(&x[..len - 1], x));
        }
    }
}

#[test]
fn a_scalar_document_is_valid_and_holds_no_value() {
    for doc in [&b"\"execution\""[..], b" 12 ", b"true", b"null", b"-1.5"] {
        let found = find_values(doc, SIG_KEY).unwrap();
        assert_eq!(
            found,
            Found::default(),
            "{:?}",
            String::from_utf8_lossy(doc)
        );
        // A signature key that is a single step finds nothing in a scalar either.
        assert_eq!(find_values(doc, b"[0]").unwrap(), Found::default());
    }
    assert_eq!(find_values(b"\"x\" 1", SIG_KEY), Err(DocError::InvalidJson));
}

#[test]
fn an_invalid_document_leaves_found_empty_even_after_values_were_seen() {
    let mut doc = MQTT_JOB.to_vec();
    doc.extend_from_slice(b" x");
    let mut found = Found::default();
    assert_eq!(
        find_values_into(&doc, SIG_KEY, &mut found),
        Err(DocError::InvalidJson)
    );
    assert_eq!(found, Found::default());
    assert_eq!(found, Found::EMPTY);
}
