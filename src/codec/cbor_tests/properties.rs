//! Properties

use super::*;

/// Applies the edits in turn: overwrite, insert or remove one byte at an index of the message.
fn mutate(msg: &mut Vec<u8>, edits: Vec<(prop::sample::Index, u8, u8)>) {
    for (at, byte, kind) in edits {
        let at = at.index(msg.len());
        match kind {
            0 => msg[at] = byte,
            1 => msg.insert(at, byte),
            _ => {
                msg.remove(at);
            }
        }
    }
}

/// A response with the four keys in the given order plus unknown entries in between.
fn response(
    f: i32,
    i: i32,
    l: i32,
    payload: &[u8],
    order: &[usize],
    extras: &[(u8, i64)],
    indefinite: bool,
) -> Vec<u8> {
    let mut entries: Vec<Vec<u8>> = Vec::new();
    for &k in order {
        let mut e = Vec::new();
        match k {
            0..=2 => {
                e.extend([0x61, b"fil"[k]]);
                cbor_int(&mut e, [f, i, l][k].into());
            }
            _ => {
                e.extend([0x61, b'p']);
                cbor_head(&mut e, 2, payload.len() as u64);
                e.extend(payload);
            }
        }
        entries.push(e);
    }
    for (n, &(letter, value)) in extras.iter().enumerate() {
        let mut e = vec![0x62, b'x', letter];
        cbor_int(&mut e, value);
        entries.insert(n % (entries.len() + 1), e);
    }
    let mut msg = Vec::new();
    if indefinite {
        msg.push(0xbf);
    } else {
        cbor_head(&mut msg, 5, entries.len() as u64);
    }
    entries.iter().for_each(|e| msg.extend(e));
    if indefinite {
        msg.push(0xff);
    }
    msg
}

/// Keys that exercise the rules: the four plain ones, tagged and chunked ones, near misses,
/// non-text keys and malformed heads.
const KEYS: [&str; 18] = [
    "6166",
    "6169",
    "616c",
    "6170",
    "c0 6166",
    "d8ff c1 6170",
    "7f 6169 ff",
    "7f 60 616c 60 ff",
    "7f 6166 6169 ff",
    "4166",
    "01",
    "6178",
    "820102",
    "a0",
    "ff",
    "1c",
    "7f 4166 ff",
    "6266 66",
];

/// Values of every kind the rules tell apart, well-formed or not.
const VALUES: [&str; 20] = [
    "01",
    "1a ffffffff",
    "3b ffffffffffffffff",
    "19 1000",
    "42 0102",
    "5f 4101 40 4102 ff",
    "5f 40 420102 ff",
    "c0 01",
    "f6",
    "9f 01 ff",
    "a1 6161 40",
    "5f 4101 6102 ff",
    "1c",
    "ff",
    "f810",
    "bf 01 ff",
    "81 81 00",
    "",
    "60",
    "fb 0102030405060708",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn decode_agrees_with_the_oracle_on_composed_maps(
        entries in proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..8),
        count_delta in -1i64..=1,
        indefinite in any::<bool>(),
        terminate in any::<bool>(),
        tail in proptest::collection::vec(any::<u8>(), 0..3),
    ) {
        let mut msg = Vec::new();
        if indefinite {
            msg.push(0xbf);
        } else {
            cbor_head(&mut msg, 5, (entries.len() as i64 + count_delta).max(0) as u64);
        }
        for (key, value) in entries {
            msg.extend(h(KEYS[key]));
            msg.extend(h(VALUES[value]));
        }
        if terminate {
            msg.push(0xff);
        }
        msg.extend(tail);
        agrees_with_the_oracle(&msg)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decode_round_trips_any_key_order_and_extra_entries(
        f in any::<i32>(), i in any::<i32>(), l in any::<i32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..600),
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        extras in proptest::collection::vec((any::<u8>(), any::<i64>()), 0..4),
        indefinite in any::<bool>(),
    ) {
        let msg = response(f, i, l, &payload, &order, &extras, indefinite);
        let block = decode_get_stream_response(&msg).unwrap();
        prop_assert_eq!((block.file_id, block.block_id, block.block_size), (f, i, l));
        let slice = block.payload.as_slice().unwrap();
        prop_assert_eq!(slice, &payload[..]);
        let range = msg.as_ptr_range();
        prop_assert!(range.start <= slice.as_ptr() && slice.as_ptr_range().end <= range.end);
    }

    #[test]
    fn decode_agrees_with_the_oracle_on_mutated_responses(
        f in any::<i32>(), i in any::<i32>(), l in any::<i32>(),
        payload in proptest::collection::vec(any::<u8>(), 0..40),
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        extras in proptest::collection::vec((any::<u8>(), any::<i64>()), 0..3),
        indefinite in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4),
    ) {
        let mut msg = response(f, i, l, &payload, &order, &extras, indefinite);
        mutate(&mut msg, edits);
        agrees_with_the_oracle(&msg)?;
    }

    #[test]
    fn decode_agrees_with_the_oracle_on_arbitrary_bytes(
        msg in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        agrees_with_the_oracle(&msg)?;
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(msg in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(block) = decode_get_stream_response(&msg) {
            prop_assert!(block.payload.len() <= msg.len());
            let mut joined = vec![0u8; block.payload.len()];
            prop_assert_eq!(block.payload.copy_to(&mut joined), Ok(joined.len()));
        }
    }

    #[test]
    fn decode_never_panics_on_mutated_responses(
        payload in proptest::collection::vec(any::<u8>(), 0..64),
        order in Just(vec![0usize, 1, 2, 3]).prop_shuffle(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut msg = response(7, 8, 9, &payload, &order, &[(b'q', -5)], false);
        mutate(&mut msg, edits);
        if let Ok(block) = decode_get_stream_response(&msg) {
            let mut dest = vec![0u8; block.payload.len()];
            prop_assert_eq!(block.payload.copy_to(&mut dest), Ok(dest.len()));
        }
    }
}

/// Integers of every head width (no argument byte, 1, 2, 4, 8) and of both signs.
fn any_width_int() -> impl Strategy<Value = i64> {
    prop_oneof![
        0i64..24,
        24i64..256,
        256i64..65536,
        65536i64..=i64::from(u32::MAX),
        any::<i64>(),
        -24i64..0,
        -256i64..-24,
        -65536i64..-256,
    ]
}

/// The response AWS IoT sends, with its entries in the given order (AWS: 0 to 4): the echoed
/// client token `c` (a text string, or an integer when `token_int` is set), then `f`, `l`, `i`
/// and `p`.
fn aws_response(
    token: &[u8],
    token_int: Option<i64>,
    [f, l, i]: [i64; 3],
    payload: &[u8],
    order: &[usize],
) -> Vec<u8> {
    let mut msg = Vec::new();
    cbor_head(&mut msg, 5, order.len() as u64);
    for &k in order {
        msg.extend([0x61, b"cflip"[k]]);
        match k {
            0 => match token_int {
                Some(v) => cbor_int(&mut msg, v),
                None => {
                    cbor_head(&mut msg, 3, token.len() as u64);
                    msg.extend(token);
                }
            },
            1..=3 => cbor_int(&mut msg, [f, l, i][k - 1]),
            _ => {
                cbor_head(&mut msg, 2, payload.len() as u64);
                msg.extend(payload);
            }
        }
    }
    msg
}

/// The value tinycbor's `cbor_value_get_int` gives an integer: its low 32 bits.
fn low32(v: i64) -> i32 {
    if v < 0 {
        !(!v as u64 as u32 as i32)
    } else {
        v as u64 as u32 as i32
    }
}

#[test]
fn the_aws_response_with_its_client_token_decodes_zero_copy() {
    let mut msg = h("a5 6163 63726479 6166 00 616c 19 1000 6169 18 2a 6170 59 1000");
    let start = msg.len();
    msg.extend(std::iter::repeat(0x5a).take(4096));
    let block = decode_get_stream_response(&msg).unwrap();
    assert_eq!(
        (block.file_id, block.block_id, block.block_size),
        (0, 42, 4096)
    );
    assert_eq!(
        block.payload.as_slice().map(<[u8]>::as_ptr),
        Some(msg[start..].as_ptr())
    );
    assert_eq!(block.payload.len(), 4096);
}

#[test]
fn skipped_entries_before_a_last_payload_keep_tinycbor_verdicts() {
    // Unknown keys with an integer, a long text, a duplicate key, then `p` last.
    assert_eq!(accepts("a6 6163 01 6166 01 6178 78 18 000102030405060708090a0b0c0d0e0f1011121314151617 6169 02 616c 03 6170 43 010203"), (1, 2, 3, vec![1, 2, 3]));
    assert_eq!(
        accepts("a5 6166 01 6166 63 616263 6169 02 616c 03 6170 41 07"),
        (1, 2, 3, vec![7])
    );
    // A text value that runs past the message, a wanted key with text, a malformed head after
    // a payload that is not the map's last entry.
    assert_eq!(
        refuses("a5 6163 78 40 00 6166 01 6169 02 616c 03 6170 41 07"),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses("a5 6163 60 6166 61 66 6169 02 616c 03 6170 41 07"),
        CborError::WrongType
    );
    assert_eq!(
        refuses("a6 6163 60 6166 01 6169 02 616c 03 6170 41 07 1c"),
        CborError::IllegalNumber
    );
    // `p` with an integer before the last entry, whatever that entry holds: a byte string
    // under another key, a duplicate `p` or `f`, or nothing more when `p` is not last.
    for last in ["6178 41 07", "6170 41 07", "6166 41 07", "6163 01"] {
        let hex = format!("a5 6166 01 6170 05 6169 02 616c 03 {last}");
        assert_eq!(refuses(&hex), CborError::WrongType, "{hex}");
    }
    assert_eq!(
        refuses("a4 6170 05 6166 01 6169 02 616c 03"),
        CborError::WrongType
    );
    // `p` with a text value before the end, and a duplicate `i` with a byte string last.
    assert_eq!(
        refuses("a5 6166 01 6170 61 07 6169 02 616c 03 6170 41 07"),
        CborError::WrongType
    );
    assert_eq!(
        accepts("a5 6166 01 6169 02 616c 03 6170 41 07 6169 41 07"),
        (1, 2, 3, vec![7])
    );
}

/// `msg` decodes to the low 32 bits of `[f, l, i]` and to `payload` in one piece, as the oracle
/// decodes it.
fn decodes_to(msg: &[u8], ints: [i64; 3], payload: &[u8]) -> Result<(), TestCaseError> {
    let block = decode_get_stream_response(msg).unwrap();
    let [f, l, i] = ints.map(low32);
    prop_assert_eq!((block.file_id, block.block_id, block.block_size), (f, i, l));
    prop_assert_eq!(block.payload.as_slice(), Some(payload));
    agrees_with_the_oracle(msg)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn aws_shaped_responses_decode_to_their_low_32_bits(
        token in proptest::collection::vec(any::<u8>(), 0..40),
        token_int in proptest::option::of(any_width_int()),
        ints in [any_width_int(), any_width_int(), any_width_int()],
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let msg = aws_response(&token, token_int, ints, &payload, &[0, 1, 2, 3, 4]);
        decodes_to(&msg, ints, &payload)?;
    }

    #[test]
    fn decode_agrees_with_the_oracle_on_aws_responses_in_any_order(
        token in proptest::collection::vec(any::<u8>(), 0..30),
        token_int in proptest::option::of(any_width_int()),
        ints in [any_width_int(), any_width_int(), any_width_int()],
        payload in proptest::collection::vec(any::<u8>(), 0..40),
        order in Just(vec![0usize, 1, 2, 3, 4]).prop_shuffle(),
        count in 0usize..=5,
    ) {
        // Keeping only the first `count` entries also leaves out keys and shortens the map.
        let msg = aws_response(&token, token_int, ints, &payload, &order[..count]);
        agrees_with_the_oracle(&msg)?;
    }

    #[test]
    fn responses_in_the_test_order_decode_to_their_low_32_bits(
        ints in [any_width_int(), any_width_int(), any_width_int()],
        payload in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        // {"f","i","l","p"}: the order of v2.0.0's tests and of every simulator here.
        let msg = aws_response(b"", None, ints, &payload, &[1, 3, 2, 4]);
        decodes_to(&msg, ints, &payload)?;
    }

    #[test]
    fn decode_agrees_with_the_oracle_on_mutated_test_order_responses(
        ints in [any_width_int(), any_width_int(), any_width_int()],
        payload in proptest::collection::vec(any::<u8>(), 0..40),
        truncate in any::<prop::sample::Index>(),
        cut in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4),
    ) {
        let mut msg = aws_response(b"", None, ints, &payload, &[1, 3, 2, 4]);
        mutate(&mut msg, edits);
        if cut {
            msg.truncate(truncate.index(msg.len() + 1));
        }
        agrees_with_the_oracle(&msg)?;
    }

    #[test]
    fn decode_agrees_with_the_oracle_on_mutated_aws_responses(
        token in proptest::collection::vec(any::<u8>(), 0..8),
        token_int in proptest::option::of(any_width_int()),
        ints in [any_width_int(), any_width_int(), any_width_int()],
        payload in proptest::collection::vec(any::<u8>(), 0..40),
        truncate in any::<prop::sample::Index>(),
        cut in any::<bool>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..4),
    ) {
        let mut msg = aws_response(&token, token_int, ints, &payload, &[0, 1, 2, 3, 4]);
        mutate(&mut msg, edits);
        if cut {
            msg.truncate(truncate.index(msg.len() + 1));
        }
        agrees_with_the_oracle(&msg)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Skipped values made of container, tag, break and small-item bytes: nesting of every kind,
    /// breaks in and out of place, counts that run short, up to and past the skip stack's depth.
    #[test]
    fn decode_agrees_with_the_oracle_on_skipped_nests(
        value in proptest::collection::vec(
            proptest::sample::select(vec![
                0x80u8, 0x81, 0x82, 0x83, 0x9f, 0xa0, 0xa1, 0xa2, 0xbf, 0xc0, 0xc1, 0xd8, 0xff,
                0x00, 0x01, 0x17, 0x40, 0x41, 0x5f, 0x60, 0x61, 0x7f, 0xf6, 0xf8, 0x1c,
            ]),
            0..40,
        ),
        tail_first in any::<bool>(),
    ) {
        let tail = h("6166 01 6169 02 616c 03 6170 42 0102");
        let mut msg = h("bf 617a");
        if tail_first {
            msg.splice(1..1, tail.iter().copied());
        }
        msg.extend(&value);
        msg.extend(&tail);
        msg.push(0xff);
        agrees_with_the_oracle(&msg)?;
    }
}
