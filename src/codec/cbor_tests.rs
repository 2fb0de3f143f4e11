//! Tests of `codec::cbor`. Golden bytes and accept/refuse verdicts marked "C:" were obtained by
//! running v2.0.0 `ota_cbor.c` with tinycbor 0.5.4 on the same inputs.

use super::cbor::{
    decode_get_stream_response, encode_get_stream_request, CborError, StreamBlock, MAX_SKIP_NESTING,
};
use proptest::prelude::*;

/// Hex (spaces allowed) to bytes.
fn h(hex: &str) -> Vec<u8> {
    let digits: Vec<u8> = hex.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn encode_vec(
    cap: usize,
    token: &[u8],
    ints: [i32; 4],
    bitmap: &[u8],
) -> (Result<usize, CborError>, Vec<u8>) {
    let mut out = vec![0xA5u8; cap];
    let [f, l, o, n] = ints;
    let res = encode_get_stream_request(&mut out, token, f, l, o, bitmap, n);
    (res, out)
}

fn encoded(token: &[u8], ints: [i32; 4], bitmap: &[u8]) -> Vec<u8> {
    let (res, mut out) = encode_vec(token.len() + bitmap.len() + 64, token, ints, bitmap);
    out.truncate(res.unwrap());
    out
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

#[test]
fn encodes_the_upstream_unit_test_vector() {
    // ota_cbor_utest.c: {"c":"ThisIsAClientToken","f":1,"l":4096,"o":0,"b":h'aaaaaaaa',"n":1}
    let bytes = encoded(b"ThisIsAClientToken", [1, 4096, 0, 1], &[0xaa; 4]);
    assert_eq!(
        bytes,
        h(
            "a6 6163 72 54686973497341436c69656e74546f6b656e 6166 01 616c 191000 616f 00
           6162 44 aaaaaaaa 616e 01"
        )
    );
}

#[test]
fn encodes_negative_and_boundary_integers_like_tinycbor() {
    // C: f=-1 l=-24 o=-25 n=i32::MIN, empty token and bitmap.
    assert_eq!(
        encoded(b"", [-1, -24, -25, i32::MIN], b""),
        h("a6 6163 60 6166 20 616c 37 616f 3818 6162 40 616e 3a7fffffff")
    );
    // C: f=23 l=24 o=255 n=256, bitmap h'00'.
    assert_eq!(
        encoded(b"ThisIsAClientToken", [23, 24, 255, 256], &[0]),
        h(
            "a6 6163 72 54686973497341436c69656e74546f6b656e 6166 17 616c 1818 616f 18ff
           6162 4100 616e 190100"
        )
    );
    // C: f=65535 l=65536 o=i32::MAX n=-257, 24-byte token.
    assert_eq!(
        encoded(
            b"abcdefghijklmnopqrstuvwx",
            [65535, 65536, i32::MAX, -257],
            b""
        ),
        h(
            "a6 6163 7818 6162636465666768696a6b6c6d6e6f707172737475767778 6166 19ffff
           616c 1a00010000 616f 1a7fffffff 6162 40 616e 390100"
        )
    );
}

#[test]
fn encodes_a_256_byte_bitmap_with_a_two_byte_length() {
    let bitmap: Vec<u8> = (0..=255).collect();
    let bytes = encoded(b"", [-256, -65536, -65537, 0], &bitmap);
    // C: ... "f": 38ff, "l": 39ffff, "o": 3a00010000, "b": 590100 <256 bytes>, "n": 00
    let mut expected = h("a6 6163 60 6166 38ff 616c 39ffff 616f 3a00010000 6162 590100");
    expected.extend(&bitmap);
    expected.extend(h("616e 00"));
    assert_eq!(bytes, expected);
}

#[test]
fn short_buffer_fails_and_holds_the_whole_pieces_that_fit() {
    // C: buffer contents after a failed encode of the upstream vector, by buffer size.
    let token = b"ThisIsAClientToken";
    let cases: [(usize, &str); 9] = [
        (0, ""),
        (1, "a6"),
        (4, "a6616372"),
        (5, "a6616372a5"),
        (21, "a6616372a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"),
        (22, "a661637254686973497341436c69656e74546f6b656e"),
        (23, "a661637254686973497341436c69656e74546f6b656e61"),
        (24, "a661637254686973497341436c69656e74546f6b656e6166"),
        (
            42,
            "a661637254686973497341436c69656e74546f6b656e616601616c191000616f00616244aaaaaaaa616e",
        ),
    ];
    for (cap, expected) in cases {
        let (res, out) = encode_vec(cap, token, [1, 4096, 0, 1], &[0xaa; 4]);
        assert_eq!(res, Err(CborError::BufferTooSmall), "cap {cap}");
        assert_eq!(out, h(expected), "cap {cap}");
    }
    assert_eq!(encode_vec(43, token, [1, 4096, 0, 1], &[0xaa; 4]).0, Ok(43));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_short_buffer_fails_leaving_a_prefix_of_the_full_encoding(
        token in proptest::collection::vec(1u8..=255, 0..40),
        bitmap in proptest::collection::vec(any::<u8>(), 0..40),
        ints in any::<[i32; 4]>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let full = encoded(&token, ints, &bitmap);
        let cap = cut.index(full.len());
        let (res, out) = encode_vec(cap, &token, ints, &bitmap);
        prop_assert_eq!(res, Err(CborError::BufferTooSmall));
        let written = out.iter().zip(&full).take_while(|(a, b)| a == b).count();
        prop_assert!(out[written..].iter().all(|&b| b == 0xA5) || written == cap);
        prop_assert_eq!(&out[..written], &full[..written]);
    }

    #[test]
    fn encoded_requests_match_a_reference_composition(
        token in proptest::collection::vec(1u8..=255, 0..300),
        bitmap in proptest::collection::vec(any::<u8>(), 0..300),
        ints in any::<[i32; 4]>(),
    ) {
        let mut expected = vec![0xa6, 0x61, b'c'];
        cbor_head(&mut expected, 3, token.len() as u64);
        expected.extend(&token);
        for (key, value) in [(b'f', ints[0]), (b'l', ints[1]), (b'o', ints[2])] {
            expected.extend([0x61, key]);
            cbor_int(&mut expected, value.into());
        }
        expected.extend([0x61, b'b']);
        cbor_head(&mut expected, 2, bitmap.len() as u64);
        expected.extend(&bitmap);
        expected.extend([0x61, b'n']);
        cbor_int(&mut expected, ints[3].into());
        prop_assert_eq!(encoded(&token, ints, &bitmap), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/// {"f":1,"i":2,"l":3,"p":h'0102'}
const CANONICAL: &str = "a4 6166 01 6169 02 616c 03 6170 42 0102";

fn accepts(hex: &str) -> (i32, i32, i32, Vec<u8>) {
    let msg = h(hex);
    let block = decode_get_stream_response(&msg).unwrap_or_else(|e| panic!("{hex}: {e:?}"));
    let mut payload = vec![0u8; block.payload.len()];
    assert_eq!(block.payload.copy_to(&mut payload), Ok(payload.len()));
    (block.file_id, block.block_id, block.block_size, payload)
}

fn refuses(hex: &str) -> CborError {
    decode_get_stream_response(&h(hex))
        .map(|_| ())
        .expect_err(hex)
}

fn one_two_three() -> (i32, i32, i32, Vec<u8>) {
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
    assert_eq!(
        block.payload.chunks().collect::<Vec<_>>(),
        vec![&[1u8, 2][..]]
    );
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
        ("a5", "6178 820102"),                       // text key, array value
        ("a5", "4166 07"),                           // byte-string "f" is not the key "f"
        ("a5", "01 02"),                             // integer key
        ("a5", "820102 a0"),                         // array key
        ("a5", "a1 6161 40 f6"),                     // map key
        ("a5", "6266 66 f5"),                        // "ff"
        ("a5", "60 f7"),                             // ""
        ("a5", "61ff 00"),                           // invalid UTF-8 is never checked
        ("a5", "617a a2 617b 9f01ff 4100 9f9fffff"), // nested definite and indefinite
        ("a5", "617a f820"),                         // simple value 32
        ("a5", "617a fb 0102030405060708"),          // double
        ("a5", "617a c1 c2 5f 4101 40 ff"),          // tagged chunked bytes
        ("a5", "617a 9f 0102 ff"),                   // indefinite array
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
    assert_eq!(
        block.payload.chunks().collect::<Vec<_>>(),
        vec![&[1u8][..], &[][..], &[2][..]]
    );
    let mut dest = [0u8; 2];
    assert_eq!(block.payload.copy_to(&mut dest), Ok(2));
    assert_eq!(dest, [1, 2]);
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
fn malformed_items_before_the_keys_are_refused() {
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    for (entry, error) in [
        ("617a 1c", CborError::IllegalNumber), // reserved additional information
        ("617a 1f", CborError::IllegalNumber), // indefinite-length integer
        ("617a df", CborError::IllegalNumber), // indefinite-length tag
        ("617a f810", CborError::IllegalSimpleType), // simple value below 32, two-byte form
        ("617a fc", CborError::UnknownType),   // reserved major-7 encoding
        ("617a ff", CborError::UnexpectedBreak), // break in a definite map
        ("617a bf 01 ff", CborError::UnexpectedBreak), // odd indefinite map
        ("617a 9f c0 ff", CborError::UnexpectedBreak), // tag then break
        ("617a 9f 01", CborError::UnexpectedEof), // unterminated array swallows the rest
    ] {
        assert_eq!(refuses(&format!("a5 {entry} {tail}")), error, "{entry}");
    }
    assert_eq!(refuses("bf 6166 ff"), CborError::UnexpectedBreak);
    assert_eq!(refuses("bf c0 ff"), CborError::UnexpectedBreak);
    assert_eq!(refuses("a4 6166 1c"), CborError::IllegalNumber);
}

#[test]
fn skipped_mixes_of_definite_and_indefinite_containers_keep_their_verdicts() {
    let tail = "6166 01 6169 02 616c 03 6170 42 0102";
    for value in [
        "bf 01 9f ff 02 a1 03 bf ff ff", // {1: [], 2: {3: {}}}
        "82 9f ff bf ff",                // [[], {}]
        "a1 bf ff 9f ff",                // {{}: []}
        "bf 9f 01 ff 02 ff",             // {[1]: 2}
        "9f 9f 9f ff ff 81 80 ff",       // [[[]], [[]]]
        "bf 5f 41 00 ff 7f ff ff",       // {chunked h'00': chunked ""}
    ] {
        assert_eq!(
            accepts(&format!("a5 617a {value} {tail}")),
            one_two_three(),
            "{value}"
        );
    }
    for (value, error) in [
        ("bf 01 ff", CborError::UnexpectedBreak), // break where a value is due
        ("bf bf ff ff", CborError::UnexpectedBreak), // the same after a container key
        ("9f 81 ff ff", CborError::UnexpectedBreak), // break in a definite array
        ("a1 9f ff ff", CborError::UnexpectedBreak), // break as a definite map's value
        ("82 bf ff", CborError::UnexpectedEof),   // the array swallows the tail
        ("9f bf 01 02 ff", CborError::UnexpectedEof), // unterminated array swallows the rest
    ] {
        assert_eq!(
            refuses(&format!("a5 617a {value} {tail}")),
            error,
            "{value}"
        );
    }
    for value in [
        "bf 01 ff",
        "9f 81 ff ff",
        "a1 9f ff ff",
        "bf 5f 41 00 ff 7f ff ff",
    ] {
        agrees_with_the_oracle(&h(&format!("a5 617a {value} {tail}"))).unwrap();
    }
    // Container keys are skipped with their values.
    assert_eq!(
        accepts(&format!("a5 bf 01 9f ff ff 00 {tail}")),
        one_two_three()
    );
    assert_eq!(
        refuses(&format!("a5 bf 01 ff 00 {tail}")),
        CborError::UnexpectedBreak
    );
}

/// {"x": <depth nested arrays around 0>, "f":1, "i":2, "l":3, "p":h''}
fn nested(depth: usize, indefinite: bool) -> Vec<u8> {
    let mut msg = h("a5 6178");
    msg.resize(msg.len() + depth, if indefinite { 0x9f } else { 0x81 });
    msg.push(0);
    if indefinite {
        msg.resize(msg.len() + depth, 0xff);
    }
    msg.extend(h("6166 01 6169 02 616c 03 6170 40"));
    msg
}

#[test]
fn nested_containers_up_to_the_limit_are_skipped() {
    for depth in [0, 1, 2, MAX_SKIP_NESTING - 1, MAX_SKIP_NESTING] {
        for indefinite in [false, true] {
            assert!(
                decode_get_stream_response(&nested(depth, indefinite)).is_ok(),
                "{depth}"
            );
        }
    }
}

#[test]
fn nesting_beyond_the_fixed_skip_stack_is_refused_unlike_tinycbor_recursion() {
    // C: tinycbor 0.5.4 recursion accepts up to 1024 levels (and refuses 1025) at the cost of a
    // C stack frame per level; this decoder refuses past MAX_SKIP_NESTING instead.
    for depth in [MAX_SKIP_NESTING + 1, 1024, 1025] {
        assert_eq!(
            decode_get_stream_response(&nested(depth, false)).map(|_| ()),
            Err(CborError::NestingTooDeep)
        );
    }
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

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn cbor_head(out: &mut Vec<u8>, major: u8, arg: u64) {
    let mt = major << 5;
    match arg {
        0..=23 => out.push(mt | arg as u8),
        24..=0xff => out.extend([mt | 24, arg as u8]),
        0x100..=0xffff => {
            out.push(mt | 25);
            out.extend((arg as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(mt | 26);
            out.extend((arg as u32).to_be_bytes());
        }
        _ => {
            out.push(mt | 27);
            out.extend(arg.to_be_bytes());
        }
    }
}

fn cbor_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        cbor_head(out, 1, !v as u64);
    } else {
        cbor_head(out, 0, v as u64);
    }
}

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

/// Asserts that the decoder and the oracle give the same verdict, values and payload pieces,
/// and that a contiguous payload is the same slice of the message.
fn agrees_with_the_oracle(msg: &[u8]) -> Result<(), TestCaseError> {
    match (decode_get_stream_response(msg), oracle::decode(msg)) {
        (Ok(block), Ok(expected)) => {
            prop_assert_eq!(
                (block.file_id, block.block_id, block.block_size),
                (expected.file_id, expected.block_id, expected.block_size)
            );
            let pieces: Vec<&[u8]> = block.payload.chunks().collect();
            let expected_pieces = oracle::chunks(expected.payload);
            prop_assert_eq!(&pieces, &expected_pieces);
            let contiguous = match expected.payload {
                oracle::StringData::Contiguous(data) => Some(data.as_ptr_range()),
                oracle::StringData::Chunked { .. } => None,
            };
            prop_assert_eq!(
                block.payload.as_slice().map(<[u8]>::as_ptr_range),
                contiguous
            );
            prop_assert_eq!(
                block.payload.len(),
                pieces.iter().map(|p| p.len()).sum::<usize>()
            );
        }
        (got, expected) => prop_assert_eq!(got.map(|_| ()), expected.map(|_| ())),
    }
    Ok(())
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
            let joined: usize = block.payload.chunks().map(<[u8]>::len).sum();
            prop_assert_eq!(joined, block.payload.len());
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

// ---------------------------------------------------------------------------------------------
// Oracle: the two-decoder general walk of 14610f1, kept verbatim as the reference for tinycbor's
// rules, so the single production decoder is compared against an independent implementation.
// ---------------------------------------------------------------------------------------------

#[allow(dead_code)]
mod oracle {
    use super::{CborError, MAX_SKIP_NESTING};

    const MAJOR_UNSIGNED: u8 = 0;
    const MAJOR_NEGATIVE: u8 = 1;
    const MAJOR_BYTES: u8 = 2;
    const MAJOR_TEXT: u8 = 3;
    const MAJOR_ARRAY: u8 = 4;
    const MAJOR_MAP: u8 = 5;
    const MAJOR_TAG: u8 = 6;
    const MAJOR_SIMPLE: u8 = 7;

    const INFO_ONE_BYTE: u8 = 24;
    const INFO_EIGHT_BYTES: u8 = 27;
    const INFO_INDEFINITE: u8 = 31;
    const BREAK: u8 = 0xff;

    #[derive(Clone, Copy, Debug)]
    struct Head {
        major: u8,
        info: u8,
        /// The argument (value, length or count); 0 for indefinite length.
        arg: u64,
    }

    impl Head {
        fn indefinite(self) -> bool {
            self.info == INFO_INDEFINITE
        }
    }

    /// Reads the argument that follows an initial byte with additional information `info` ≤ 27.
    fn read_arg(info: u8, rest: &[u8]) -> Result<(u64, &[u8]), CborError> {
        let width = match info {
            0..=23 => return Ok((u64::from(info), rest)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(CborError::IllegalNumber),
        };
        let (bytes, rest) = rest
            .split_at_checked(width)
            .ok_or(CborError::UnexpectedEof)?;
        let arg = bytes
            .iter()
            .fold(0u64, |acc, &b| acc.wrapping_shl(8) | u64::from(b));
        Ok((arg, rest))
    }

    /// Reads the head of the item at the start of `item`, checking what tinycbor checks when it
    /// first steps onto an item; returns the head and the bytes after it.
    fn read_head(item: &[u8]) -> Result<(Head, &[u8]), CborError> {
        let (&initial, rest) = item.split_first().ok_or(CborError::UnexpectedEof)?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        if info > INFO_EIGHT_BYTES {
            return match (info, major) {
                (INFO_INDEFINITE, MAJOR_BYTES | MAJOR_TEXT | MAJOR_ARRAY | MAJOR_MAP) => Ok((
                    Head {
                        major,
                        info,
                        arg: 0,
                    },
                    rest,
                )),
                (INFO_INDEFINITE, MAJOR_SIMPLE) => Err(CborError::UnexpectedBreak),
                (_, MAJOR_SIMPLE) => Err(CborError::UnknownType),
                _ => Err(CborError::IllegalNumber),
            };
        }
        let (arg, rest) = read_arg(info, rest)?;
        if major == MAJOR_SIMPLE && info == INFO_ONE_BYTE && arg < 32 {
            return Err(CborError::IllegalSimpleType);
        }
        Ok((Head { major, info, arg }, rest))
    }

    /// The contents of a byte or text string as they lie in the message.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum StringData<'a> {
        /// A definite-length string, or a chunked one with at most one non-empty chunk.
        Contiguous(&'a [u8]),
        /// The chunks of an indefinite-length string (between its initial byte and its break),
        /// already validated, and their joined length.
        Chunked { chunks: &'a [u8], len: usize },
    }

    /// Walks the string whose head was read, checking every chunk; returns its contents and the
    /// bytes after it.
    fn walk_string(head: Head, body: &[u8]) -> Result<(StringData<'_>, &[u8]), CborError> {
        if !head.indefinite() {
            let len = usize::try_from(head.arg).map_err(|_| CborError::DataTooLarge)?;
            let (data, rest) = body.split_at_checked(len).ok_or(CborError::UnexpectedEof)?;
            return Ok((StringData::Contiguous(data), rest));
        }
        let mut cur = body;
        let mut total = 0usize;
        let mut non_empty = 0usize;
        let mut only: &[u8] = &[];
        loop {
            let (&initial, after_initial) = cur.split_first().ok_or(CborError::UnexpectedEof)?;
            if initial == BREAK {
                let chunks_len = body.len().saturating_sub(cur.len());
                let data = if non_empty <= 1 {
                    StringData::Contiguous(only)
                } else {
                    StringData::Chunked {
                        chunks: body.get(..chunks_len).unwrap_or(&[]),
                        len: total,
                    }
                };
                return Ok((data, after_initial));
            }
            if initial >> 5 != head.major {
                return Err(CborError::ChunkTypeMismatch);
            }
            let (len, after_head) = read_arg(initial & 0x1f, after_initial)?;
            let len = usize::try_from(len).map_err(|_| CborError::DataTooLarge)?;
            let (data, rest) = after_head
                .split_at_checked(len)
                .ok_or(CborError::UnexpectedEof)?;
            total = total.checked_add(len).ok_or(CborError::DataTooLarge)?;
            if !data.is_empty() {
                non_empty = non_empty.saturating_add(1);
                only = data;
            }
            cur = rest;
        }
    }

    /// An open container while skipping.
    #[derive(Clone, Copy)]
    enum Frame {
        /// A definite-length container with this many items (keys and values) still to come.
        Counted(u32),
        IndefiniteArray,
        IndefiniteMap {
            at_value: bool,
        },
    }

    /// Number of items (keys and values counted separately) in a definite container, with
    /// tinycbor's limits.
    fn container_items(head: Head) -> Result<u32, CborError> {
        if head.major == MAJOR_MAP {
            if head.arg > u64::from(u32::MAX / 2) {
                return Err(CborError::DataTooLarge);
            }
            Ok((head.arg as u32).saturating_mul(2))
        } else {
            if head.arg >= u64::from(u32::MAX) {
                return Err(CborError::DataTooLarge);
            }
            Ok(head.arg as u32)
        }
    }

    /// Skips the complete item (tags, nested items, string chunks) at the start of `item`, checking
    /// it as tinycbor's `cbor_value_advance` does; returns the bytes after it.
    fn skip_item(item: &[u8]) -> Result<&[u8], CborError> {
        let mut stack = [Frame::IndefiniteArray; MAX_SKIP_NESTING];
        let mut depth = 0usize;
        let mut cur = item;
        let mut after_tag = false;
        loop {
            // `cur` starts an item of the innermost open container (or the item being skipped).
            let mut closed_by_break = false;
            if !after_tag && cur.first() == Some(&BREAK) {
                match depth.checked_sub(1).and_then(|top| stack.get(top)) {
                    Some(Frame::IndefiniteArray | Frame::IndefiniteMap { at_value: false }) => {
                        closed_by_break = true;
                    }
                    Some(Frame::IndefiniteMap { at_value: true }) => {
                        return Err(CborError::UnexpectedBreak);
                    }
                    // Not inside an indefinite container: `read_head` refuses the break.
                    Some(Frame::Counted(_)) | None => {}
                }
            }
            if closed_by_break {
                cur = cur.get(1..).unwrap_or(&[]);
                depth = depth.saturating_sub(1);
            } else {
                let (head, rest) = read_head(cur)?;
                match head.major {
                    MAJOR_TAG => {
                        // Tags are not items: the tagged item follows in the same position.
                        cur = rest;
                        after_tag = true;
                        continue;
                    }
                    MAJOR_BYTES | MAJOR_TEXT => cur = walk_string(head, rest)?.1,
                    MAJOR_ARRAY | MAJOR_MAP => {
                        if depth >= MAX_SKIP_NESTING {
                            return Err(CborError::NestingTooDeep);
                        }
                        cur = rest;
                        after_tag = false;
                        let frame = if head.indefinite() {
                            if head.major == MAJOR_MAP {
                                Frame::IndefiniteMap { at_value: false }
                            } else {
                                Frame::IndefiniteArray
                            }
                        } else {
                            let items = container_items(head)?;
                            // Every item takes at least one byte: a count beyond what is left
                            // can only fail, so fail now.
                            if usize::try_from(items).map_or(true, |n| n > cur.len()) {
                                return Err(CborError::UnexpectedEof);
                            }
                            Frame::Counted(items)
                        };
                        if !matches!(frame, Frame::Counted(0)) {
                            if let Some(slot) = stack.get_mut(depth) {
                                *slot = frame;
                            }
                            depth = depth.saturating_add(1);
                            continue;
                        }
                    }
                    // Integers, simple values and floats are all head.
                    _ => cur = rest,
                }
            }
            after_tag = false;
            // One item is complete: count it in the containers it closes.
            loop {
                let Some(top) = depth.checked_sub(1) else {
                    return Ok(cur);
                };
                match stack.get_mut(top) {
                    Some(Frame::Counted(left)) => {
                        *left = left.saturating_sub(1);
                        if *left != 0 {
                            break;
                        }
                        depth = top;
                    }
                    Some(Frame::IndefiniteMap { at_value }) => {
                        *at_value = !*at_value;
                        break;
                    }
                    Some(Frame::IndefiniteArray) | None => break,
                }
            }
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Key {
        FileId,
        BlockId,
        BlockSize,
        Payload,
    }

    impl Key {
        fn from_text(text: StringData<'_>) -> Option<Key> {
            let StringData::Contiguous(&[letter]) = text else {
                return None;
            };
            match letter {
                b'f' => Some(Key::FileId),
                b'i' => Some(Key::BlockId),
                b'l' => Some(Key::BlockSize),
                b'p' => Some(Key::Payload),
                _ => None,
            }
        }
    }

    /// The C `int` tinycbor's unchecked `cbor_value_get_int` produces: the low 32 bits of the
    /// argument, complemented for negative integers.
    fn c_int(head: Head) -> i32 {
        let low = head.arg as u32 as i32;
        if head.major == MAJOR_NEGATIVE {
            !low
        } else {
            low
        }
    }

    /// Where the walk through the top-level map stands.
    struct MapCursor<'a> {
        rest: &'a [u8],
        /// Items (keys and values) left in a definite map; `None` for an indefinite one.
        left: Option<u32>,
    }

    impl<'a> MapCursor<'a> {
        /// At a key position: is the map finished? Consumes an indefinite map's break.
        fn at_end(&mut self) -> bool {
            match self.left {
                Some(left) => left == 0,
                None => match self.rest.split_first() {
                    Some((&BREAK, after)) => {
                        self.rest = after;
                        self.left = Some(0);
                        true
                    }
                    _ => false,
                },
            }
        }

        /// One key or value has been consumed.
        fn count_item(&mut self) {
            if let Some(left) = self.left.as_mut() {
                *left = left.saturating_sub(1);
            }
        }

        /// After a value: tinycbor steps onto the next entry's key and reads its head.
        fn step_to_next_key(&mut self) -> Result<(), CborError> {
            self.count_item();
            if !self.at_end() {
                read_head(self.rest)?;
            }
            Ok(())
        }
    }

    /// What the oracle decodes: the production `StreamBlock` with the payload left as it lies.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) struct OracleBlock<'a> {
        pub file_id: i32,
        pub block_id: i32,
        pub block_size: i32,
        pub payload: StringData<'a>,
    }

    /// The payload's pieces in order, as the production `PayloadChunks` yields them.
    pub(super) fn chunks(data: StringData<'_>) -> Vec<&[u8]> {
        let mut encoded = match data {
            StringData::Contiguous(data) => return vec![data],
            StringData::Chunked { chunks, .. } => chunks,
        };
        let mut pieces = Vec::new();
        while let Some((&initial, rest)) = encoded.split_first() {
            let (len, rest) = read_arg(initial & 0x1f, rest).unwrap();
            let (data, rest) = rest.split_at(usize::try_from(len).unwrap());
            pieces.push(data);
            encoded = rest;
        }
        pieces
    }

    /// The whole of tinycbor's rules (see the module documentation).
    pub(super) fn decode(msg: &[u8]) -> Result<OracleBlock<'_>, CborError> {
        let (top, body) = read_head(msg)?;
        if top.major != MAJOR_MAP {
            return Err(CborError::NotAMap);
        }
        let mut map = MapCursor {
            rest: body,
            left: if top.indefinite() {
                None
            } else {
                Some(container_items(top)?)
            },
        };

        let mut file_id = None;
        let mut block_id = None;
        let mut block_size = None;
        let mut payload = None;

        loop {
            if map.at_end() {
                return Err(CborError::MissingKey);
            }

            // The key, past its tags.
            let mut key_item = map.rest;
            let (mut head, mut after) = read_head(key_item)?;
            while head.major == MAJOR_TAG {
                key_item = after;
                (head, after) = read_head(key_item)?;
            }
            let key = if head.major == MAJOR_TEXT {
                let (text, rest) = walk_string(head, after)?;
                map.rest = rest;
                Key::from_text(text)
            } else {
                map.rest = skip_item(key_item)?;
                None
            };

            // Step onto the value: tinycbor reads its head before anything else.
            map.count_item();
            if map.left.is_none() && map.rest.first() == Some(&BREAK) {
                return Err(CborError::UnexpectedBreak);
            }
            let (value, after_value) = read_head(map.rest)?;

            let wanted = match key {
                Some(Key::FileId) if file_id.is_none() => Some(Key::FileId),
                Some(Key::BlockId) if block_id.is_none() => Some(Key::BlockId),
                Some(Key::BlockSize) if block_size.is_none() => Some(Key::BlockSize),
                Some(Key::Payload) if payload.is_none() => Some(Key::Payload),
                _ => None,
            };
            match wanted {
                Some(key @ (Key::FileId | Key::BlockId | Key::BlockSize)) => {
                    if value.major != MAJOR_UNSIGNED && value.major != MAJOR_NEGATIVE {
                        return Err(CborError::WrongType);
                    }
                    let slot = match key {
                        Key::FileId => &mut file_id,
                        Key::BlockId => &mut block_id,
                        _ => &mut block_size,
                    };
                    *slot = Some(c_int(value));
                    map.rest = after_value;
                }
                Some(Key::Payload) => {
                    if value.major != MAJOR_BYTES {
                        return Err(CborError::WrongType);
                    }
                    let (data, rest) = walk_string(value, after_value)?;
                    payload = Some(data);
                    map.rest = rest;
                }
                None => map.rest = skip_item(map.rest)?,
            }

            if let (Some(file_id), Some(block_id), Some(block_size), Some(payload)) =
                (file_id, block_id, block_size, payload)
            {
                // tinycbor stops on an integer value, but finishing the payload string moves it
                // onto the next entry.
                if wanted == Some(Key::Payload) {
                    map.step_to_next_key()?;
                }
                return Ok(OracleBlock {
                    file_id,
                    block_id,
                    block_size,
                    payload,
                });
            }
            map.step_to_next_key()?;
        }
    }
}
