//! Encoding

use super::*;

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
