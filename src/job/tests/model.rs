//! The v2.0.0 document model: what each job document yields, what is refused, and why.

use super::*;

#[test]
fn the_model_is_v2_0_0s() {
    assert_eq!(MODEL.len(), 21);
    let keys: Vec<&[u8]> = MODEL.iter().map(|p| p.key).collect();
    assert_eq!(
        keys,
        [
            &b"clientToken"[..],
            b"timestamp",
            b"execution",
            b"execution.jobId",
            b"execution.statusDetails",
            b"execution.statusDetails.self_test",
            b"execution.statusDetails.updatedBy",
            b"execution.jobDocument",
            b"execution.jobDocument.afr_ota",
            b"execution.jobDocument.afr_ota.streamname",
            b"execution.jobDocument.afr_ota.protocols",
            b"execution.jobDocument.afr_ota.files",
            b"filepath",
            b"filesize",
            b"fileid",
            b"certfile",
            b"update_data_url",
            b"auth_scheme",
            b"",
            b"attr",
            b"fileType",
        ]
    );
    let required: Vec<usize> = (0..21).filter(|&i| MODEL[i].required).collect();
    assert_eq!(
        required,
        [
            param::EXECUTION,
            param::JOB_ID,
            at(b"execution.jobDocument"),
            at(b"execution.jobDocument.afr_ota"),
            param::PROTOCOLS,
            param::FILES,
            param::FILE_SIZE,
            param::FILE_ID
        ]
    );
    assert_eq!(REQUIRED_MASK, 0b110_1101_1000_1100);
    let kinds: Vec<u8> = MODEL.iter().map(|p| p.kind as u8).collect();
    assert_eq!(
        kinds,
        [1, 4, 2, 0, 2, 6, 4, 2, 2, 0, 7, 3, 0, 4, 4, 0, 0, 0, 5, 4, 4]
    );
    let not_stored: Vec<usize> = (0..21).filter(|&i| !MODEL[i].stored).collect();
    assert_eq!(not_stored, [0, 1, 2, 4, 7, 8, 11]);
    assert_eq!(MODEL[param::SIGNATURE].kind, Kind::SigBase64);
}

#[test]
fn error_codes_are_doc_parse_err_t_values() {
    assert_eq!(DocError::OutOfMemory.code(), 1);
    assert_eq!(DocError::UserBufferInsufficient.code(), 2);
    assert_eq!(DocError::Base64Decode.code(), 4);
    assert_eq!(DocError::InvalidNumChar.code(), 5);
    assert_eq!(DocError::InvalidJson.code(), 8);
}

#[test]
fn an_mqtt_job_document_yields_every_value() {
    let f = find_values(MQTT_JOB, SIG_KEY).unwrap();
    assert_eq!(text(&f, at(b"clientToken")), Some("0:thing"));
    assert_eq!(text(&f, at(b"timestamp")), Some("1700000123"));
    assert!(text(&f, param::EXECUTION)
        .unwrap()
        .starts_with(r#"{"jobId":"AFR_OTA-fw-1_2""#));
    assert_eq!(text(&f, param::JOB_ID), Some("AFR_OTA-fw-1_2"));
    assert_eq!(text(&f, at(b"execution.statusDetails")), Some("{}"));
    assert_eq!(text(&f, param::SELF_TEST), None);
    assert_eq!(text(&f, param::UPDATED_BY), None);
    assert!(text(&f, at(b"execution.jobDocument"))
        .unwrap()
        .starts_with(r#"{"afr_ota":{"protocols""#));
    assert!(text(&f, at(b"execution.jobDocument.afr_ota"))
        .unwrap()
        .starts_with(r#"{"protocols":["MQTT"]"#));
    assert_eq!(
        text(&f, param::STREAM_NAME),
        Some("AFR_OTA-3c5e2a1b-77d1-4f5c-b9a0-1f0c2e6d8a4b")
    );
    assert_eq!(text(&f, param::PROTOCOLS), Some(r#"["MQTT"]"#));
    assert!(text(&f, param::FILES)
        .unwrap()
        .starts_with(r#"[{"filepath":"/device/x.bin""#));
    assert_eq!(text(&f, param::FILE_PATH), Some("/device/x.bin"));
    assert_eq!(text(&f, param::FILE_SIZE), Some("180568"));
    assert_eq!(text(&f, param::FILE_ID), Some("0"));
    assert_eq!(text(&f, param::CERT_FILE), Some("/certs/signer.pem"));
    assert_eq!(text(&f, param::UPDATE_DATA_URL), None);
    assert_eq!(text(&f, param::AUTH_SCHEME), None);
    assert_eq!(
        text(&f, param::SIGNATURE),
        Some("MEUCIQDx3Tl5+/wT9K9TYkc8tZ9YQ2G8y9vH4lV6m8qvPn3F6AIgE1z1Oe5sB0jWvX2p1QGfVt6J4n7uRr8lE3Xy0s9cP2M=")
    );
    assert_eq!(text(&f, param::ATTRIBUTES), None);
    assert_eq!(text(&f, param::FILE_TYPE), None);
    assert!(!f.missing_required());
    assert_eq!(f.received, 0x4_FF9F);
    assert_eq!(parse_u32(f.get(param::FILE_SIZE).unwrap()), Some(180_568));
    assert_eq!(parse_u32(f.get(param::FILE_ID).unwrap()), Some(0));
    // Values are slices of the document itself.
    let doc = MQTT_JOB.as_ptr_range();
    assert!(f
        .iter()
        .flat_map(|(_, v)| v)
        .all(|v| doc.contains(&v.as_ptr())));
    assert_eq!(
        f.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        (0..21).collect::<Vec<_>>()
    );
}

#[test]
fn a_self_test_document_carries_self_test_and_updated_by() {
    let f = find_values(SELF_TEST_JOB, SIG_KEY).unwrap();
    assert_eq!(text(&f, param::SELF_TEST), Some("ready"));
    assert_eq!(text(&f, param::UPDATED_BY), Some("0x10002"));
    assert_eq!(
        parse_u32(f.get(param::UPDATED_BY).unwrap()),
        Some(0x0001_0002)
    );
    assert_eq!(
        text(&f, at(b"execution.statusDetails")),
        Some(r#"{"self_test":"ready","updatedBy":"0x10002"}"#)
    );
    assert!(!f.missing_required());
}

#[test]
fn an_http_document_carries_the_url_and_auth_scheme() {
    let f = find_values(HTTP_JOB, SIG_KEY).unwrap();
    assert_eq!(text(&f, param::JOB_ID), Some("AFR_OTA-http"));
    assert_eq!(text(&f, param::STREAM_NAME), None);
    assert_eq!(text(&f, param::PROTOCOLS), Some(r#"["HTTP", "MQTT"]"#));
    assert_eq!(text(&f, param::FILE_PATH), Some("/device/y.bin"));
    assert_eq!(parse_u32(f.get(param::FILE_SIZE).unwrap()), Some(180_568));
    assert_eq!(parse_u32(f.get(param::FILE_ID).unwrap()), Some(1));
    assert_eq!(
        text(&f, param::UPDATE_DATA_URL),
        Some("https://bucket.s3.amazonaws.com/y.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12")
    );
    assert_eq!(text(&f, param::AUTH_SCHEME), Some("aws.s3.presigned"));
    assert_eq!(text(&f, param::SIGNATURE), Some("MEQCIB=="));
    assert_eq!(parse_u32(f.get(param::ATTRIBUTES).unwrap()), Some(3));
    assert_eq!(parse_u32(f.get(param::FILE_TYPE).unwrap()), Some(0));
    assert!(!f.missing_required());
}

#[test]
fn the_empty_get_next_reply_has_no_execution() {
    let f = find_values(NO_JOB, SIG_KEY).unwrap();
    assert_eq!(text(&f, at(b"clientToken")), Some("0:thing"));
    assert_eq!(text(&f, at(b"timestamp")), Some("1"));
    assert_eq!(f.get(param::EXECUTION), None);
    assert_eq!(f.received, 0b11);
    assert!(f.missing_required());
    assert_eq!(f.missing(), REQUIRED_MASK);
}

/// The document with the member `"key":` (its first occurrence) and its value removed.
fn without(doc: &[u8], key: &str) -> Vec<u8> {
    let s = std::str::from_utf8(doc).unwrap();
    let at = s.find(&format!("\"{key}\":")).unwrap();
    let value_start = at + key.len() + 3;
    // Search reads only up to its match, so it measures the value with the rest still attached.
    let probe = [&b"{\"k\":"[..], &doc[value_start..]].concat();
    let (value, kind) = json::search(&probe, b"k").unwrap();
    let quotes = if kind == ValueKind::String { 2 } else { 0 };
    let end = value_start + value.len() + quotes;
    let (start, end) = match (doc[at - 1], doc[end]) {
        (_, b',') => (at, end + 1),
        (b',', _) => (at - 1, end),
        _ => (at, end),
    };
    [&doc[..start], &doc[end..]].concat()
}

#[test]
fn each_missing_required_key_makes_the_document_malformed() {
    let cases = [
        ("execution", param::EXECUTION),
        ("jobId", param::JOB_ID),
        ("jobDocument", at(b"execution.jobDocument")),
        ("afr_ota", at(b"execution.jobDocument.afr_ota")),
        ("protocols", param::PROTOCOLS),
        ("files", param::FILES),
        ("filesize", param::FILE_SIZE),
        ("fileid", param::FILE_ID),
    ];
    for (key, index) in cases {
        let doc = without(MQTT_JOB, key);
        let f = find_values(&doc, SIG_KEY)
            .unwrap_or_else(|e| panic!("{key}: {e:?} {}", String::from_utf8_lossy(&doc)));
        assert_eq!(f.get(index), None, "{key}");
        assert!(f.missing_required(), "{key}");
        assert_ne!(f.missing() & (1 << index), 0, "{key}");
    }
    // Optional ones may go.
    for key in [
        "clientToken",
        "timestamp",
        "statusDetails",
        "streamname",
        "filepath",
        "certfile",
        "sig-sha256-ecdsa",
    ] {
        let doc = without(MQTT_JOB, key);
        let f = find_values(&doc, SIG_KEY).unwrap();
        assert!(!f.missing_required(), "{key}");
    }
}

#[test]
fn each_malformed_number_is_refused() {
    for key in ["filesize", "fileid", "attr", "fileType", "updatedBy"] {
        for bad in [
            "\"12a\"",
            "\"-1\"",
            "-1",
            "4294967296",
            "\"\"",
            "1.5",
            "1e3",
            "\"0x\"",
            "\"08\"",
            "\" 1 \"",
            "true",
            "null",
            "{}",
            "[1]",
        ] {
            let doc = format!(
                r#"{{"execution":{{"jobId":"j","statusDetails":{{"updatedBy":{u}}},"jobDocument":{{"afr_ota":{{"protocols":["MQTT"],"files":[{{"filesize":{s},"fileid":{i},"attr":{a},"fileType":{t}}}]}}}}}}}}"#,
                u = if key == "updatedBy" { bad } else { "1" },
                s = if key == "filesize" { bad } else { "1" },
                i = if key == "fileid" { bad } else { "1" },
                a = if key == "attr" { bad } else { "1" },
                t = if key == "fileType" { bad } else { "1" },
            );
            let f = find_values(doc.as_bytes(), SIG_KEY).unwrap();
            let index = MODEL
                .iter()
                .position(|p| p.key.ends_with(key.as_bytes()))
                .unwrap();
            let value = f.get(index).unwrap_or_else(|| panic!("{key}={bad}"));
            assert_eq!(parse_u32(value), None, "{key}={bad}");
        }
    }
}

#[test]
fn parse_u32_reads_numbers_as_strtoul_base_0_within_32_bits() {
    // (text, v2.0.0 on a 64-bit host: strtoul + cast + end check, ours). The middle column was
    // recorded from glibc; the differences are the deliberate refusals in `parse_u32`'s docs.
    let cases: &[(&[u8], Option<u32>, Option<u32>)] = &[
        (b"", Some(0), None),
        (b"0", Some(0), Some(0)),
        (b"00", Some(0), Some(0)),
        (b"-0", Some(0), Some(0)),
        (b"+0", Some(0), Some(0)),
        (b"1", Some(1), Some(1)),
        (b"-1", Some(4294967295), None),
        (b"+1", Some(1), Some(1)),
        (b" 1", Some(1), Some(1)),
        (b"\x09\x0a\x0b\x0c\x0d 1", Some(1), Some(1)),
        (b"1 ", None, None),
        (b"- 1", None, None),
        (b"0x", None, None),
        (b"0X", None, None),
        (b"0x1f", Some(31), Some(31)),
        (b"0X1F", Some(31), Some(31)),
        (b"0x1g", None, None),
        (b"0xg", None, None),
        (b"08", None, None),
        (b"017", Some(15), Some(15)),
        (b"0o17", None, None),
        (b"4294967295", Some(4294967295), Some(4294967295)),
        (b"4294967296", Some(0), None),
        (b"-4294967295", Some(1), None),
        (b"18446744073709551615", Some(4294967295), None),
        (b"18446744073709551616", None, None),
        (b"0xffffffff", Some(4294967295), Some(4294967295)),
        (b"0x100000000", Some(0), None),
        (b"037777777777", Some(4294967295), Some(4294967295)),
        (b"040000000000", Some(0), None),
        (b"1.5", None, None),
        (b"1e3", None, None),
        (b"12a", None, None),
        (b"a12", None, None),
        (b"0x10002", Some(65538), Some(65538)),
        (b"180568", Some(180568), Some(180568)),
        (b"--1", None, None),
        (b"+-1", None, None),
        (b"0x-1", None, None),
        (b" ", None, None),
        (b"+", None, None),
        (b"-", None, None),
        (b"0b1", None, None),
        (b"\x001", None, None),
        (b"1\x00", None, None),
        (b"00x1", None, None),
        (b"0x0x1", None, None),
        (b"  0x00000000ffffffff", Some(4294967295), Some(4294967295)),
        (b"-18446744073709551615", Some(1), None),
        (b"-0x0", Some(0), Some(0)),
    ];
    for (input, _upstream, ours) in cases {
        assert_eq!(
            parse_u32(input),
            *ours,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}
