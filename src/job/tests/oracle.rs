//! The one-pass parser against the search it replaced (`json::oracle`), value by value.

use super::generators::*;
use super::*;

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
