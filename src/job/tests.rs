use super::json::ValueKind;
use super::*;
use proptest::prelude::*;

/// The model index of `key`, for the parameters the agent never names.
fn at(key: &[u8]) -> usize {
    MODEL.iter().position(|p| p.key == key).unwrap()
}

/// [`find_values_into`] with a fresh [`Found`].
fn find_values<'a>(doc: &'a [u8], signature_key: &[u8]) -> Result<Found<'a>, DocError> {
    let mut found = Found::default();
    find_values_into(doc, signature_key, &mut found).map(|()| found)
}

const SIG_KEY: &[u8] = b"sig-sha256-ecdsa";

/// A job document as AWS IoT Jobs sends it on `$next/get/accepted` for an MQTT OTA job.
const MQTT_JOB: &[u8] = br#"{"clientToken":"0:thing","timestamp":1700000123,"execution":{"jobId":"AFR_OTA-fw-1_2","statusDetails":{},"queuedAt":1700000000,"lastUpdatedAt":1700000001,"versionNumber":1,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-3c5e2a1b-77d1-4f5c-b9a0-1f0c2e6d8a4b","files":[{"filepath":"/device/x.bin","filesize":180568,"fileid":0,"certfile":"/certs/signer.pem","sig-sha256-ecdsa":"MEUCIQDx3Tl5+/wT9K9TYkc8tZ9YQ2G8y9vH4lV6m8qvPn3F6AIgE1z1Oe5sB0jWvX2p1QGfVt6J4n7uRr8lE3Xy0s9cP2M="}]}}}}"#;

/// After the reboot into the new image: the service still holds the job, now with the status
/// details the device reported (`self_test`, and `updatedBy` as 0xMMmmBBBB).
const SELF_TEST_JOB: &[u8] = br#"{"clientToken":"1:thing","timestamp":1700000456,"execution":{"jobId":"AFR_OTA-fw-1_2","statusDetails":{"self_test":"ready","updatedBy":"0x10002"},"queuedAt":1700000000,"lastUpdatedAt":1700000400,"versionNumber":2,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-s","files":[{"filepath":"/device/x.bin","filesize":180568,"fileid":0,"certfile":"/certs/signer.pem","sig-sha256-ecdsa":"MEUCIQD="}]}}}}"#;

/// An HTTP job: a pre-signed S3 URL instead of (or besides) a stream.
const HTTP_JOB: &[u8] = br#"{
  "clientToken": "2:thing",
  "timestamp": 1700000789,
  "execution": {
    "jobId": "AFR_OTA-http",
    "statusDetails": {},
    "jobDocument": {
      "afr_ota": {
        "protocols": ["HTTP", "MQTT"],
        "files": [
          {
            "filepath": "/device/y.bin",
            "filesize": "0x2C158",
            "fileid": 1,
            "certfile": "/certs/signer.pem",
            "update_data_url": "https://bucket.s3.amazonaws.com/y.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=ab12",
            "auth_scheme": "aws.s3.presigned",
            "sig-sha256-ecdsa": "MEQCIB==",
            "attr": 3,
            "fileType": 0
          }
        ]
      }
    }
  }
}"#;

/// `$next/get/accepted` when the thing has no pending job (#487).
const NO_JOB: &[u8] = br#"{"clientToken":"0:thing","timestamp":1}"#;

fn text<'a>(found: &Found<'a>, index: usize) -> Option<&'a str> {
    found.get(index).map(|v| std::str::from_utf8(v).unwrap())
}

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

// ---------------------------------------------------------------------------------------------
// The one-pass parser against the search it replaced (`json::oracle`), value by value.

/// The bench's document (bench/ingest_bench.c): 515 bytes for a 2 MiB file.
const BENCH_JOB: &[u8] = br#"{"clientToken":"0:bench-thing","timestamp":1700000000,"execution":{"jobId":"AFR_OTA-bench-job-1","status":"QUEUED","queuedAt":1699999990,"lastUpdatedAt":1699999990,"versionNumber":1,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"AFR_OTA-bench-stream","files":[{"filepath":"/ota/firmware.bin","filesize":2097152,"fileid":0,"certfile":"/ota/signer.crt","sig-sha256-ecdsa":"MEQCIHbAtj0b8m5nqSwqN8y8wS2v0b1dJmRmvQ3KpB4hq7uDAiAf0Zp6b1Qx2wZqv5oU3rK0yTt8mH9cL2aE7dG4sN1jWg=="}]}}}}"#;

const JOBS: [&[u8]; 5] = [MQTT_JOB, SELF_TEST_JOB, HTTP_JOB, NO_JOB, BENCH_JOB];

/// Each value as (offset in the document, length): equal text found elsewhere is a difference.
fn located(doc: &[u8], found: &Found<'_>) -> Vec<Option<(usize, usize)>> {
    found
        .iter()
        .map(|(_, v)| v.map(|v| (v.as_ptr() as usize - doc.as_ptr() as usize, v.len())))
        .collect()
}

/// Whether the one-pass parser returns exactly what the oracle returns for `doc`.
fn check_same(doc: &[u8], key: &[u8]) -> Result<(), String> {
    let (mut ours, mut old) = (Found::default(), Found::default());
    let ours_result = find_values_into(doc, key, &mut ours);
    let old_result = json::oracle::find_values_into(doc, key, &mut old);
    let what = || {
        format!(
            "{:?} / key {:?}",
            String::from_utf8_lossy(doc),
            String::from_utf8_lossy(key)
        )
    };
    if ours_result != old_result {
        return Err(format!(
            "result {ours_result:?}, oracle {old_result:?}: {}",
            what()
        ));
    }
    if located(doc, &ours) != located(doc, &old) || ours.received != old.received {
        return Err(format!(
            "values {:?} (received {:#x}), oracle {:?} (received {:#x}): {}",
            located(doc, &ours),
            ours.received,
            located(doc, &old),
            old.received,
            what()
        ));
    }
    Ok(())
}

fn assert_same(doc: &[u8], key: &[u8]) {
    if let Err(e) = check_same(doc, key) {
        panic!("{e}");
    }
}

/// Signature keys: the usual one, model keys, paths into the document, and malformed queries.
const SIG_KEYS: [&[u8]; 18] = [
    b"sig-sha256-ecdsa",
    b"",
    b"filepath",
    b"execution",
    b"execution.jobId",
    b"execution.jobDocument.afr_ota.files[0].filepath",
    b"execution.jobDocument.afr_ota.files",
    b"execution.jobDocument.afr_ota.files[1].fileid",
    b"[1][0]",
    b"execution.jobDocument.afr_ota.protocols[0]",
    b"[0]",
    b"[1]",
    b"[0].filepath",
    b"protocols[0]",
    b"a.",
    b"x[",
    b"files[00001]",
    b"clientToken.",
];

#[test]
fn numbers_whole_or_not_are_taken_as_the_oracle_takes_them() {
    // Whole numbers skip the general number scanner; what may follow one decides.
    let numbers = [
        "7", "12", "0", "01", "10", "1.", "1.5", "1e", "1e5", "12E+3", "3e-", "9.0e1", "-1", "4x",
        "5 ", "6,", "2]", "8}", "1.e2",
    ];
    for number in numbers {
        for doc in [
            format!(r#"{{"timestamp":{number},"execution":{{"jobId":"j"}}}}"#),
            format!(
                r#"{{"execution":{{"jobId":"j","jobDocument":{{"afr_ota":{{"files":[{{"filesize":{number},"fileid":1}}]}}}}}}}}"#
            ),
            format!(r#"{{"a":[{number},{number}],"sig-sha256-ecdsa":{number}}}"#),
        ] {
            for key in SIG_KEYS {
                assert_same(doc.as_bytes(), key);
            }
        }
    }
}

#[test]
fn the_one_pass_parser_agrees_with_the_oracle_on_every_test_document() {
    let hand: &[&[u8]] = &[
        br#"{"filepath":"/top","execution":{"jobId":"j","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filepath":"/first","filesize":1,"fileid":2},{"filepath":"/second","filesize":3,"fileid":4,"attr":5}]}}}}"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":[{"jobId":"j","protocols":["MQTT"],"filesize":1,"fileid":2}]}}}}"#,
        br#"{"execution":{"jobId":"j","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filesize":1,"fileid":2,"sig-sha256-rsa":"UlNB","sig-sha256-ecdsa":"RUM="}]}}}}"#,
        br#"{"execution":{"jobId":"a\"b\u00e9","jobDocument":{"afr_ota":{"protocols":[ "MQTT" ],"files":[{"filesize":1,"fileid":2}]}}}}"#,
        br#"{"execution":{"jobId":"first","jobId":"second","jobDocument":{"afr_ota":{"protocols":["MQTT"],"files":[{"filesize":1,"filesize":2,"fileid":2}]}}}}"#,
        // Quirks that end a search's walk: a keyless collection, a missing comma.
        br#"{"clientToken":"c",[1],"execution":{"jobId":"j"}}"#,
        br#"{"clientToken":{}{},"execution":{"jobId":"j"}}"#,
        br#"{"execution":{"jobId":"j",{},"statusDetails":{}},"filepath":"p"}"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":[{"filesize":1}{"fileid":2}],"streamname":"s"}}},"fileid":3}"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":[[{"filesize":1}],{"fileid":2}]}}},"sig-sha256-ecdsa":"t"}"#,
        // Top-level values win over the first file's, wherever they are.
        br#"{"fileid":9,"execution":{"jobDocument":{"afr_ota":{"files":[{"fileid":1,"filesize":{"a":[1,2]},"attr":[3]}]}}},"filesize":[7],"attr":1}"#,
        // A second `execution` or `files` is not looked into.
        br#"{"execution":"x","execution":{"jobId":"j"}}"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":5,"files":[{"fileid":1}]}}}}"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":[],"files":[{"fileid":1}]}}}}"#,
        br#"[{"execution":{"jobId":"j"}},{"filepath":"p"}]"#,
        // An element after a missing comma is out of an index's reach.
        br#"[[0][1],[2]]"#,
        br#"[{"fileid":0},[[1]]{"fileid":2}]"#,
        br#"{"execution":{"jobDocument":{"afr_ota":{"files":[{"fileid":1}{"fileid":2}]}}}}"#,
        br#""execution""#,
        br#"{"a":1]"#,
        b"{\"execution\" : { \"jobId\" :\"j\" ,\n\"statusDetails\":{ \"self_test\" : true } } , \"timestamp\" : -1.5e3 }",
    ];
    for doc in JOBS.iter().chain(hand) {
        for key in SIG_KEYS {
            assert_same(doc, key);
        }
    }
}

#[test]
fn the_one_pass_parser_agrees_with_the_oracle_on_every_one_byte_edit_of_the_job_documents() {
    // Each position: deleted, cut there, or replaced by a byte that JSON treats specially.
    let bytes = b"\"{}[],: \\0x\x80";
    for doc in [MQTT_JOB, SELF_TEST_JOB, NO_JOB] {
        for at in 0..doc.len() {
            assert_same(&doc[..at], SIG_KEY);
            assert_same(&[&doc[..at], &doc[at + 1..]].concat(), SIG_KEY);
            for &b in bytes {
                let mut edited = doc.to_vec();
                edited[at] = b;
                assert_same(&edited, SIG_KEY);
            }
        }
    }
}

/// Whitespace as JSON allows it, or none.
fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n\t", "\r\n  "])
}

/// What comes between two items: a comma as JSON wants, or (a coreJSON quirk when the next item
/// is a collection) nothing.
fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        60 => prop::sample::select(vec![",", " , ", ",\n"]),
        1 => Just(""),
    ]
}

/// A key of the model as written, a look-alike (escaped, other case, with a dot, ending as it
/// does: the key tree finds a segment by its last four bytes), another level's key, or another.
fn key_text(key: &'static str) -> BoxedStrategy<String> {
    let segments: Vec<String> = MODEL
        .iter()
        .filter(|p| !p.key.is_empty())
        .map(|p| {
            let key = std::str::from_utf8(p.key).unwrap();
            format!("\"{}\"", key.rsplit('.').next().unwrap())
        })
        .collect();
    prop_oneof![
        20 => Just(format!("\"{key}\"")),
        1 => Just(format!("\"{}\"", key.to_uppercase())),
        1 => Just(format!("\"\\u00{:02x}{}\"", key.as_bytes()[0], &key[1..])),
        1 => Just(format!("\"{key}.x\"")),
        1 => Just(format!("\"x{}\"", &key[1..])),
        1 => Just(format!("\"x{key}\"")),
        1 => Just(format!("\"{}\"", &key[1..])),
        1 => prop::sample::select(segments),
        1 => prop::sample::select(vec!["\"x\"", "\"\"", "\"sig-sha256-ecdsa\"", "\"files\""]).prop_map(str::to_string),
    ]
    .boxed()
}

/// Scalars and small collections for values nothing descends into.
fn scalar() -> BoxedStrategy<String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"v\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\u00e9\u{e9}\"",
            "0",
            "-1.5e3",
            "180568",
            "\"0x10\"",
            "true",
            "false",
            "null",
            "[]",
            "{}",
            "[\"MQTT\",\"HTTP\"]",
            "{\"a\":[1,{}]}",
            "[[1]{}]",
        ])
        .prop_map(str::to_string),
        any::<u32>().prop_map(|n| n.to_string()),
    ]
    .boxed()
}

/// An object of `members` (each a value strategy under a key) in any order, some left out,
/// some twice, now and then with a keyless collection or a missing comma.
fn object(members: Vec<(&'static str, BoxedStrategy<String>)>) -> BoxedStrategy<String> {
    let n = members.len();
    let texts: Vec<BoxedStrategy<String>> = members
        .into_iter()
        .map(|(key, value)| {
            prop_oneof![
                30 => (key_text(key), ws(), ws(), value).prop_map(|(k, a, b, v)| format!("{k}{a}:{b}{v}")),
                1 => prop::sample::select(vec!["[1]", "{}", "{\"x\":1}"]).prop_map(str::to_string),
            ]
            .boxed()
        })
        .collect();
    let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
    let kept = proptest::collection::vec(prop::bool::weighted(0.85), n);
    let twice = proptest::collection::vec(0..n, 0..3);
    let gaps = proptest::collection::vec((separator(), ws()), n + 3);
    (texts, order, kept, twice, gaps, ws())
        .prop_map(|(texts, order, kept, twice, gaps, end)| {
            let picks = order.into_iter().filter(|&i| kept[i]).chain(twice);
            let mut out = String::from("{");
            for (k, (i, (sep, space))) in picks.zip(gaps).enumerate() {
                if k > 0 {
                    out.push_str(sep);
                }
                out.push_str(space);
                out.push_str(&texts[i]);
            }
            out.push_str(end);
            out.push('}');
            out
        })
        .boxed()
}

/// A value where the model expects an object or array: usually that, sometimes anything.
fn or_other(value: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![15 => value, 1 => scalar()].boxed()
}

/// Job documents shaped like v2.0.0's model, with everything shuffled, doubled, left out or
/// broken now and then, so that every key of the model is met at its path and elsewhere.
fn job_document() -> BoxedStrategy<String> {
    let file_keys = [
        "filepath",
        "filesize",
        "fileid",
        "certfile",
        "update_data_url",
        "auth_scheme",
        "sig-sha256-ecdsa",
        "attr",
        "fileType",
    ];
    let file = object(file_keys.iter().map(|&k| (k, scalar())).collect());
    let files = or_other(
        (
            proptest::collection::vec((prop_oneof![4 => file, 1 => scalar()], separator()), 0..3),
            ws(),
        )
            .prop_map(|(items, end)| {
                let mut out = String::from("[");
                for (k, (item, sep)) in items.into_iter().enumerate() {
                    if k > 0 {
                        out.push_str(sep);
                    }
                    out.push_str(&item);
                }
                out.push_str(end);
                out.push(']');
                out
            })
            .boxed(),
    );
    let afr_ota = or_other(object(vec![
        ("streamname", scalar()),
        ("protocols", scalar()),
        ("files", files),
        ("x", scalar()),
    ]));
    let job_document = or_other(object(vec![("afr_ota", afr_ota), ("x", scalar())]));
    let status = or_other(object(vec![
        ("self_test", scalar()),
        ("updatedBy", scalar()),
        ("x", scalar()),
    ]));
    let execution = or_other(object(vec![
        ("jobId", scalar()),
        ("statusDetails", status),
        ("jobDocument", job_document),
        ("x", scalar()),
        ("status", scalar()),
    ]));
    let mut top: Vec<(&'static str, BoxedStrategy<String>)> = vec![
        ("clientToken", scalar()),
        ("timestamp", scalar()),
        ("execution", execution.clone()),
        ("execution", execution),
    ];
    top.extend(file_keys.iter().map(|&k| (k, scalar())));
    let doc = object(top);
    prop_oneof![
        8 => doc.clone(),
        1 => (doc.clone(), separator(), doc.clone()).prop_map(|(a, sep, b)| format!("[{a}{sep}{b}]")),
        1 => doc.prop_map(|d| format!(" \n{d}\t")),
    ]
    .boxed()
}

/// Any JSON with coreJSON's quirks, keys from a small set, for queries made of the same keys.
fn quirky_json() -> BoxedStrategy<String> {
    let leaf = prop::sample::select(vec!["1", "\"s\"", "true", "null", "[]", "{}"])
        .prop_map(str::to_string);
    leaf.prop_recursive(5, 48, 5, |inner| {
        let key = prop::sample::select(vec!["\"a\"", "\"b\"", "\"a\\u0062\""]);
        let item = prop_oneof![
            8 => (key, inner.clone()).prop_map(|(k, v)| format!("{k}:{v}")),
            1 => prop::sample::select(vec!["[1]", "{}"]).prop_map(str::to_string),
        ];
        let join = |items: Vec<(String, &str)>| {
            items
                .into_iter()
                .enumerate()
                .map(|(k, (item, sep))| if k == 0 { item } else { format!("{sep}{item}") })
                .collect::<String>()
        };
        prop_oneof![
            proptest::collection::vec((inner, separator()), 0..5)
                .prop_map(move |items| format!("[{}]", join(items))),
            proptest::collection::vec((item, separator()), 0..5)
                .prop_map(move |items| format!("{{{}}}", join(items))),
        ]
    })
    .boxed()
}

/// Signature keys: the table above, or a query put together from steps.
fn sig_key() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(SIG_KEYS.to_vec()).prop_map(<[u8]>::to_vec),
        1 => proptest::collection::vec(
            prop::sample::select(vec![
                "execution", "jobDocument", "afr_ota", "files", "filepath", "x", ".", "[0]", "[1]",
                "[", "]", "sig-sha256-ecdsa",
            ]),
            0..6,
        )
        .prop_map(|steps| steps.concat().into_bytes()),
    ]
    .boxed()
}

/// One edit of a document: its bytes, or whole tokens where JSON has them.
#[derive(Clone, Debug)]
enum Edit {
    Replace(prop::sample::Index, u8),
    Delete(prop::sample::Index),
    Insert(prop::sample::Index, &'static str),
    /// A copy of the bytes between two positions, put at a third (duplicated keys and members).
    Copy(
        prop::sample::Index,
        prop::sample::Index,
        prop::sample::Index,
    ),
    /// The text between two positions put inside `[` and `]` (deeper nesting).
    Wrap(prop::sample::Index, prop::sample::Index),
    Cut(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let tokens = prop::sample::select(vec![
        " ",
        "\n",
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        "[1]",
        "{}",
        "\"",
        "\\",
        "\\u00e9",
        "\\uD83D\\uDE00",
        "\u{e9}",
        "0",
        "-0.5e+3",
        "01",
        "1.",
        "true",
        "\"x\":1,",
        ",\"x\":1",
        "\"fileid\":7,",
        ",\"filepath\":\"p\"",
        "\"sig-sha256-ecdsa\":\"s\",",
        ",\"execution\":{}",
        "\"files\":[{}],",
    ]);
    prop_oneof![
        3 => (any::<prop::sample::Index>(), prop::sample::select(b"\"{}[],: \\0-1x\x00\x1f\x80\xff".to_vec()))
            .prop_map(|(at, b)| Edit::Replace(at, b)),
        2 => any::<prop::sample::Index>().prop_map(Edit::Delete),
        4 => (any::<prop::sample::Index>(), tokens).prop_map(|(at, t)| Edit::Insert(at, t)),
        2 => any::<(prop::sample::Index, prop::sample::Index, prop::sample::Index)>()
            .prop_map(|(a, b, c)| Edit::Copy(a, b, c)),
        1 => any::<(prop::sample::Index, prop::sample::Index)>().prop_map(|(a, b)| Edit::Wrap(a, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Cut),
    ]
}

fn apply(doc: &mut Vec<u8>, edit: &Edit) {
    let len = doc.len();
    match edit {
        Edit::Replace(at, b) if len > 0 => doc[at.index(len)] = *b,
        Edit::Delete(at) if len > 0 => {
            doc.remove(at.index(len));
        }
        Edit::Insert(at, text) => {
            let at = at.index(len + 1);
            doc.splice(at..at, text.bytes());
        }
        Edit::Copy(a, b, to) => {
            let (a, b) = (a.index(len + 1), b.index(len + 1));
            let piece = doc[a.min(b)..a.max(b)].to_vec();
            let to = to.index(len + 1);
            doc.splice(to..to, piece);
        }
        Edit::Wrap(a, b) => {
            let (a, b) = (a.index(len + 1), b.index(len + 1));
            doc.insert(a.max(b), b']');
            doc.insert(a.min(b), b'[');
        }
        Edit::Cut(at) => doc.truncate(at.index(len + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_generated_job_documents(
        doc in job_document(), key in sig_key()) {
        prop_assert!(check_same(doc.as_bytes(), &key).is_ok(), "{}", check_same(doc.as_bytes(), &key).unwrap_err());
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_edited_job_documents(
        which in 0..JOBS.len(), edits in proptest::collection::vec(edit(), 1..6), key in sig_key()) {
        let mut doc = JOBS[which].to_vec();
        for e in &edits {
            apply(&mut doc, e);
        }
        prop_assert!(check_same(&doc, &key).is_ok(), "{}", check_same(&doc, &key).unwrap_err());
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_edited_generated_documents(
        doc in job_document(), edits in proptest::collection::vec(edit(), 1..4), key in sig_key()) {
        let mut doc = doc.into_bytes();
        for e in &edits {
            apply(&mut doc, e);
        }
        prop_assert!(check_same(&doc, &key).is_ok(), "{}", check_same(&doc, &key).unwrap_err());
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_any_query_into_quirky_json(
        doc in quirky_json(),
        key in proptest::collection::vec(prop::sample::select(vec!["a", "b", "a\\u0062", ".", "[0]", "[1]", "[2]"]), 1..5)
            .prop_map(|steps| steps.concat().into_bytes())) {
        prop_assert!(check_same(doc.as_bytes(), &key).is_ok(), "{}", check_same(doc.as_bytes(), &key).unwrap_err());
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_json_like_noise(
        doc in proptest::collection::vec(prop::sample::select(vec![
            &b"{"[..], b"}", b"[", b"]", b",", b":", b" ", b"1", b"\"a\"", b"\"execution\"",
            b"\"jobDocument\"", b"\"afr_ota\"", b"\"files\"", b"\"filepath\"", b"\"fileid\"",
            b"\"sig-sha256-ecdsa\"", b"\"jobId\"", b"true",
        ]), 0..48).prop_map(|t| t.concat()),
        key in sig_key()) {
        prop_assert!(check_same(&doc, &key).is_ok(), "{}", check_same(&doc, &key).unwrap_err());
    }

    #[test]
    fn the_one_pass_parser_agrees_with_the_oracle_on_random_bytes(
        doc in proptest::collection::vec(any::<u8>(), 0..64),
        key in proptest::collection::vec(any::<u8>(), 0..8)) {
        prop_assert!(check_same(&doc, &key).is_ok(), "{}", check_same(&doc, &key).unwrap_err());
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
