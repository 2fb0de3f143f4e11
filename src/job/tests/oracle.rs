//! The one-pass parser against the search it replaced (`json::oracle`), value by value.

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
