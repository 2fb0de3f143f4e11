//! Decoding

use super::*;

/// {"f":1,"i":2,"l":3,"p":h'0102'}
const CANONICAL: &str = "a4 6166 01 6169 02 616c 03 6170 42 0102";

pub(super) fn one_two_three() -> (i32, i32, i32, Vec<u8>) {
    (1, 2, 3, vec![1, 2])
}

#[test]
fn decodes_a_canonical_response_zero_copy() {
    let msg = h(CANONICAL);
    let block: StreamBlock<'_> = decode_get_stream_response(&msg).unwrap();
    assert_eq!((block.file_id, block.block_id, block.block_size), (1, 2, 3));
    let payload = block.payload.as_slice().unwrap();
    assert_eq!(payload, [1, 2]);
    assert!(msg.as_ptr_range().contains(&payload.as_ptr()));
    assert_eq!(block.payload.encoded_chunks(), None);
    let mut dest = [0u8; 3];
    assert_eq!(block.payload.copy_to(&mut dest), Ok(2));
    assert_eq!(dest, [1, 2, 0]);
}

#[test]
fn decodes_a_full_size_block() {
    let data: Vec<u8> = (0..4096u32).map(|i| (i % 255) as u8).collect();
    let mut msg = h("a4 6166 00 6169 19 0123 616c 19 1000 6170 59 1000");
    msg.extend(&data);
    let block = decode_get_stream_response(&msg).unwrap();
    assert_eq!(
        (block.file_id, block.block_id, block.block_size),
        (0, 0x123, 4096)
    );
    assert_eq!(block.payload.as_slice().unwrap(), &data[..]);
}

#[test]
fn keys_are_found_in_any_order() {
    let entries = ["6166 01", "6169 02", "616c 03", "6170 42 0102"];
    for a in 0..4 {
        for b in 0..4 {
            for c in 0..4 {
                for d in 0..4 {
                    let order = [a, b, c, d];
                    if (0..4).all(|k| order.contains(&k)) {
                        let hex: String = order.iter().map(|&k| entries[k]).collect();
                        assert_eq!(accepts(&format!("a4 {hex}")), one_two_three());
                    }
                }
            }
        }
    }
}

#[test]
fn indefinite_length_map_is_accepted() {
    assert_eq!(
        accepts("bf 6166 01 6169 02 616c 03 6170 42 0102 ff"),
        one_two_three()
    );
    // C: the break is never looked at when the last key found has an integer value.
    assert_eq!(
        accepts("bf 6170 42 0102 6169 02 616c 03 6166 01"),
        one_two_three()
    );
}

#[test]
fn the_entry_head_after_a_last_payload_is_checked() {
    // C: after the payload string tinycbor steps onto the next entry and reads its head.
    assert_eq!(
        refuses("bf 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses("a5 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses("a5 6166 01 6169 02 616c 03 6170 42 0102 1c"),
        CborError::IllegalNumber
    );
    assert_eq!(
        refuses("a5 6166 01 6169 02 616c 03 6170 42 0102 ff"),
        CborError::UnexpectedBreak
    );
    // ...but a map that ends right after it is fine, and so is anything after the map.
    assert_eq!(
        accepts("a4 6166 01 6169 02 616c 03 6170 42 0102 ffffff1c"),
        one_two_three()
    );
    assert_eq!(
        accepts("a5 6166 01 6169 02 616c 03 6170 42 0102 00"),
        one_two_three()
    );
}

#[test]
fn entries_beyond_the_last_key_found_are_never_read() {
    // C: map declared with 5 pairs, only 4 present, integer value last.
    assert_eq!(
        accepts("a5 6170 42 0102 6169 02 616c 03 6166 01"),
        one_two_three()
    );
    // C: i32::MAX pairs declared is within tinycbor's limit.
    assert_eq!(
        accepts("ba7fffffff 6170 42 0102 6169 02 616c 03 6166 01"),
        one_two_three()
    );
    assert_eq!(
        accepts("a5 6170 42 0102 6169 02 616c 03 6166 01 1c 1c 1c"),
        one_two_three()
    );
}

#[test]
fn a_map_shorter_than_the_keys_misses_them() {
    assert_eq!(
        refuses("a3 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::MissingKey
    );
    assert_eq!(refuses("a0"), CborError::MissingKey);
    assert_eq!(refuses("bf ff"), CborError::MissingKey);
}

#[test]
fn top_level_map_counts_beyond_tinycbor_limits_are_refused() {
    assert_eq!(
        refuses("ba80000000 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::DataTooLarge
    );
    assert_eq!(
        refuses("baffffffff 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::DataTooLarge
    );
    assert_eq!(
        refuses("bbffffffffffffffff 6166 01"),
        CborError::DataTooLarge
    );
    // Non-minimal count encodings are fine.
    assert_eq!(
        accepts("bb0000000000000004 6166 01 6169 02 616c 03 6170 42 0102"),
        one_two_three()
    );
}

#[test]
fn the_first_of_duplicate_keys_wins() {
    assert_eq!(
        accepts("a6 6166 01 6166 63 787878 6169 02 616c 03 6170 42 0102 6166 05"),
        one_two_three()
    );
    assert_eq!(
        refuses("a5 6166 63 787878 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::WrongType
    );
}

#[test]
fn unknown_keys_of_any_kind_are_skipped() {
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    for (count, entries) in [
        ("a5", "6178 820102"),                           // text key, array value
        ("a5", "4166 07"),                               // byte-string "f" is not the key "f"
        ("a5", "01 02"),                                 // integer key
        ("a5", "820102 a0"),                             // array key
        ("a5", "a1 6161 40 f6"),                         // map key
        ("a5", "6266 66 f5"),                            // "ff"
        ("a5", "60 f7"),                                 // ""
        ("a5", "61ff 00"),                               // invalid UTF-8 is never checked
        ("a5", "617a a2 617b 9f01ff 4100 9f9fffff"),     // nested definite and indefinite
        ("a5", "617a f820"),                             // simple value 32
        ("a5", "617a fb 0102030405060708"),              // double
        ("a5", "617a c1 c2 5f 4101 40 ff"),              // tagged chunked bytes
        ("a5", "617a 9f 0102 ff"),                       // indefinite array
        ("a5", "617a c0 82 c1 01 c2 c3 a1 c4 01 c5 02"), // tags inside a tagged container
        ("a5", "c6 82 01 02 c7 03"),                     // tagged non-text key and value
    ] {
        assert_eq!(
            accepts(&format!("{count} {entries} {tail}")),
            one_two_three(),
            "{entries}"
        );
    }
}

#[test]
fn tags_on_keys_are_ignored_and_tags_on_values_refused() {
    assert_eq!(
        accepts("a4 c0 6166 01 6169 02 616c 03 d8ff c1 6170 42 0102"),
        one_two_three()
    );
    assert_eq!(
        refuses("a4 6166 c0 01 6169 02 616c 03 6170 42 0102"),
        CborError::WrongType
    );
    assert_eq!(
        refuses("a4 6166 01 6169 02 616c 03 6170 c2 42 0102"),
        CborError::WrongType
    );
    assert_eq!(
        refuses("c0 a4 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::NotAMap
    );
}

#[test]
fn chunked_text_keys_are_compared_by_their_joined_contents() {
    assert_eq!(
        accepts("a4 7f6166ff 01 6169 02 616c 03 6170 42 0102"),
        one_two_three()
    );
    assert_eq!(
        accepts("a4 7f60616660ff 01 6169 02 616c 03 6170 42 0102"),
        one_two_three()
    );
    // "f" + "i" is the key "fi", not "f".
    assert_eq!(
        refuses("a4 7f61666169ff 01 6169 02 616c 03 6170 42 0102"),
        CborError::MissingKey
    );
}

#[test]
fn chunked_payload_is_joined() {
    let msg = h("a4 6166 01 6169 02 616c 03 6170 5f 4101 40 4102 ff");
    let block = decode_get_stream_response(&msg).unwrap();
    assert_eq!(block.payload.len(), 2);
    assert_eq!(block.payload.as_slice(), None);
    // The three chunks in place, from the first one on (the break included).
    assert_eq!(
        block.payload.encoded_chunks(),
        Some(&h("4101 40 4102 ff")[..])
    );
    let mut dest = [0u8; 2];
    assert_eq!(block.payload.copy_to(&mut dest), Ok(2));
    assert_eq!(dest, [1, 2]);
    // Bytes after the break are never read by the copy.
    let mut longer = msg.clone();
    longer.extend(h("4103 ff"));
    let block = decode_get_stream_response(&longer).unwrap();
    let mut dest = [0u8; 4];
    assert_eq!(block.payload.copy_to(&mut dest), Ok(2));
    assert_eq!(dest, [1, 2, 0, 0]);
    // A single non-empty chunk is still one slice of the message.
    let msg = h("a4 6166 01 6169 02 616c 03 6170 5f 40 420102 40 ff");
    let block = decode_get_stream_response(&msg).unwrap();
    assert_eq!(block.payload.as_slice(), Some(&[1u8, 2][..]));
}

#[test]
fn malformed_payload_chunks_are_refused() {
    let head = "a4 6166 01 6169 02 616c 03 6170";
    assert_eq!(
        refuses(&format!("{head} 5f 4101 6102 ff")),
        CborError::ChunkTypeMismatch
    );
    assert_eq!(
        refuses(&format!("{head} 5f 5f4101ff ff")),
        CborError::IllegalNumber
    );
    assert_eq!(
        refuses(&format!("{head} 5f 4101")),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses(&format!("{head} 5f 4501 ff")),
        CborError::UnexpectedEof
    );
    // A chunk's head: reserved additional information, a truncated argument; in the payload
    // and in a text key.
    for (bytes, text, error) in [
        ("5c", "7c", CborError::IllegalNumber),
        ("5e", "7e", CborError::IllegalNumber),
        ("58", "78", CborError::UnexpectedEof),
        ("5a0000", "7a0000", CborError::UnexpectedEof),
    ] {
        assert_eq!(refuses(&format!("{head} 5f {bytes}")), error, "{bytes}");
        assert_eq!(refuses(&format!("a5 7f {text}")), error, "{text}");
        agrees_with_the_oracle(&h(&format!("{head} 5f {bytes}"))).unwrap();
        agrees_with_the_oracle(&h(&format!("a5 7f {text}"))).unwrap();
    }
}

#[test]
fn integers_keep_the_low_32_bits_like_tinycbor_get_int() {
    let rest = "6169 02 616c 03 6170 42 0102";
    for (value, expected) in [
        ("1b0000000100000000", 0),
        ("1affffffff", -1),
        ("1a80000000", i32::MIN),
        ("3a7fffffff", i32::MIN),
        ("3a80000000", i32::MAX),
        ("3bffffffffffffffff", 0),
        ("1b00000001fffffffe", -2),
        ("1801", 1),
        ("190001", 1),
        ("1b0000000000000001", 1),
        ("37", -24),
        ("38ff", -256),
    ] {
        assert_eq!(
            accepts(&format!("a4 6166 {value} {rest}")).0,
            expected,
            "{value}"
        );
    }
}

#[test]
fn wrong_value_types_are_refused_for_each_key() {
    let wrong_for_int = [
        "6131",
        "4102",
        "fa3f800000",
        "f5",
        "f6",
        "f7",
        "8101",
        "a0",
        "c001",
        "5f40ff",
    ];
    for value in wrong_for_int {
        for (key, hex) in [
            ("f", format!("a4 6166 {value} 6169 02 616c 03 6170 42 0102")),
            ("i", format!("a4 6166 01 6169 {value} 616c 03 6170 42 0102")),
            ("l", format!("a4 6166 01 6169 02 616c {value} 6170 42 0102")),
        ] {
            assert_eq!(refuses(&hex), CborError::WrongType, "{key} = {value}");
        }
    }
    for value in [
        "02", "20", "620102", "7f6101ff", "820102", "a0", "f6", "c24100",
    ] {
        let hex = format!("a4 6166 01 6169 02 616c 03 6170 {value}");
        assert_eq!(refuses(&hex), CborError::WrongType, "p = {value}");
    }
}

#[test]
fn a_missing_key_is_refused() {
    assert_eq!(
        refuses("a3 6169 02 616c 03 6170 42 0102"),
        CborError::MissingKey
    );
    assert_eq!(
        refuses("a3 6166 01 616c 03 6170 42 0102"),
        CborError::MissingKey
    );
    assert_eq!(
        refuses("a3 6166 01 6169 02 6170 42 0102"),
        CborError::MissingKey
    );
    assert_eq!(refuses("a3 6166 01 6169 02 616c 03"), CborError::MissingKey);
}

#[test]
fn messages_that_are_not_a_map_are_refused() {
    assert_eq!(refuses(""), CborError::UnexpectedEof);
    assert_eq!(refuses("84 6166 01 6169 02"), CborError::NotAMap);
    assert_eq!(refuses("00"), CborError::NotAMap);
    assert_eq!(refuses("6161"), CborError::NotAMap);
    assert_eq!(
        refuses("d818 a4 6166 01 6169 02 616c 03 6170 42 0102"),
        CborError::NotAMap
    );
    assert_eq!(refuses("ff"), CborError::UnexpectedBreak);
    assert_eq!(refuses("b9 00"), CborError::UnexpectedEof);
}

#[test]
fn truncation_at_every_byte_is_refused() {
    let mut full = h("a4 6166 00 6169 19 0123 616c 19 1000 6170 59 0100");
    full.extend(0..=255u8);
    for msg in [
        h(CANONICAL),
        h("bf 6166 01 6169 02 616c 03 6170 5f 4101 4102 ff ff"),
        full,
    ] {
        assert!(decode_get_stream_response(&msg).is_ok());
        for cut in 0..msg.len() {
            assert!(
                decode_get_stream_response(&msg[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn huge_lengths_are_refused_without_reading_past_the_end() {
    let head = "a4 6166 01 6169 02 616c 03 6170";
    assert_eq!(
        refuses(&format!("{head} 5bffffffffffffffff")),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses(&format!("{head} 5affffffff 00")),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses(&format!("{head} 5f 5bffffffffffffffff ff")),
        CborError::UnexpectedEof
    );
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    assert_eq!(
        refuses(&format!("a5 617a 9bffffffffffffffff {tail}")),
        CborError::DataTooLarge
    );
    assert_eq!(
        refuses(&format!("a5 617a 9affffffff {tail}")),
        CborError::DataTooLarge
    );
    assert_eq!(
        refuses(&format!("a5 617a bb0000000080000000 {tail}")),
        CborError::DataTooLarge
    );
    assert_eq!(
        refuses(&format!("a5 617a 9a7fffffff {tail}")),
        CborError::UnexpectedEof
    );
    assert_eq!(
        refuses(&format!("a5 617a 7bffffffffffffffff {tail}")),
        CborError::UnexpectedEof
    );
    assert_eq!(refuses("a5 7bffffffffffffffff"), CborError::UnexpectedEof);
}

#[test]
fn payload_copy_follows_the_v2_buffer_rule() {
    let msg = h("a4 6166 01 6169 02 616c 03 6170 43 010203");
    let payload = decode_get_stream_response(&msg).unwrap().payload;
    let mut exact = [0xA5u8; 3];
    assert_eq!(payload.copy_to(&mut exact), Ok(3));
    assert_eq!(exact, [1, 2, 3]);
    let mut larger = [0xA5u8; 5];
    assert_eq!(payload.copy_to(&mut larger), Ok(3));
    assert_eq!(larger, [1, 2, 3, 0xA5, 0xA5], "no NUL is appended");
    let mut short = [0xA5u8; 2];
    assert_eq!(payload.copy_to(&mut short), Err(CborError::BufferTooSmall));
    assert_eq!(
        short,
        [0xA5, 0xA5],
        "nothing is written when it does not fit"
    );
    let empty = h("a4 6166 01 6169 02 616c 03 6170 40");
    assert_eq!(
        decode_get_stream_response(&empty)
            .unwrap()
            .payload
            .copy_to(&mut []),
        Ok(0)
    );
}
