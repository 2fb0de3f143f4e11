//! Generators for the oracle's property tests: job documents, quirky JSON, signature keys and
//! byte edits.

use super::*;

/// Signature keys: the usual one, model keys, paths into the document, and malformed queries.
pub(super) const SIG_KEYS: [&[u8]; 18] = [
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

/// Whitespace as JSON allows it, or none.
pub(super) fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n\t", "\r\n  "])
}

/// What comes between two items: a comma as JSON wants, or (a coreJSON quirk when the next item
/// is a collection) nothing.
pub(super) fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        60 => prop::sample::select(vec![",", " , ", ",\n"]),
        1 => Just(""),
    ]
}

/// A key of the model as written, a look-alike (escaped, other case, with a dot, ending as it
/// does: the key tree finds a segment by its last four bytes), another level's key, or another.
pub(super) fn key_text(key: &'static str) -> BoxedStrategy<String> {
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
pub(super) fn scalar() -> BoxedStrategy<String> {
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
pub(super) fn object(members: Vec<(&'static str, BoxedStrategy<String>)>) -> BoxedStrategy<String> {
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
pub(super) fn or_other(value: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![15 => value, 1 => scalar()].boxed()
}

/// Job documents shaped like v2.0.0's model, with everything shuffled, doubled, left out or
/// broken now and then, so that every key of the model is met at its path and elsewhere.
pub(super) fn job_document() -> BoxedStrategy<String> {
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
pub(super) fn quirky_json() -> BoxedStrategy<String> {
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
pub(super) fn sig_key() -> BoxedStrategy<Vec<u8>> {
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
pub(super) enum Edit {
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

pub(super) fn edit() -> impl Strategy<Value = Edit> {
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

pub(super) fn apply(doc: &mut Vec<u8>, edit: &Edit) {
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
