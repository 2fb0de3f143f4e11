//! Tests of `codec::base64`. Expected statuses and partial outputs of the tricky cases were
//! obtained by running the v2.0.0 C `base64Decode` on the same inputs.

use super::base64::{decode, Base64Error};
use crate::ffi::codec::base64Decode;
use proptest::prelude::*;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Straightforward RFC 4648 encoder, written for the tests only.
fn encode(data: &[u8], pad: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for group in data.chunks(3) {
        let mut bits = 0u32;
        for (i, &b) in group.iter().enumerate() {
            bits |= u32::from(b) << (16 - 8 * i);
        }
        let digits = group.len() + 1;
        for k in 0..4 {
            if k < digits {
                out.push(ALPHABET[((bits >> (18 - 6 * k)) & 63) as usize]);
            } else if pad {
                out.push(b'=');
            }
        }
    }
    out
}

/// Decodes into a buffer of `cap` bytes pre-filled with 0xA5; returns the result and buffer.
fn run(src: &[u8], cap: usize) -> (Result<usize, Base64Error>, Vec<u8>) {
    let mut dest = vec![0xA5u8; cap];
    let res = decode(&mut dest, src);
    (res, dest)
}

fn ok(src: &[u8]) -> Vec<u8> {
    let (res, dest) = run(src, 64);
    let n = res.unwrap_or_else(|e| panic!("{:?} refused with {e:?}", String::from_utf8_lossy(src)));
    dest[..n].to_vec()
}

fn err(src: &[u8]) -> Base64Error {
    run(src, 64).0.expect_err("accepted")
}

#[test]
fn each_refusal_reports_the_number_v2_base64_status_t_gives_it() {
    // (input, room, Base64Status_t of ota_base64_private.h v2.0.0), the numbers as literals.
    let cases: [(&[u8], usize, u32); 6] = [
        (b"Zm9v!", 64, 1), // Base64InvalidSymbol
        (b"Zm 9v", 64, 2), // Base64InvalidSymbolOrdering
        (b"Z", 64, 3),     // Base64InvalidInputSize
        (b"Zm9v", 2, 5),   // Base64InvalidBufferSize
        (b"Zh==", 64, 6),  // Base64NonZeroPadding
        (b"Zg===", 64, 7), // Base64InvalidPaddingSymbol
    ];
    for (input, room, status) in cases {
        let code = run(input, room).0.map_err(Base64Error::code);
        assert_eq!(code, Err(status), "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn the_c_entry_point_decodes_with_status_0_and_refuses_null_with_4() {
    let mut dest = [0u8; 8];
    let mut len = 0usize;
    // SAFETY: each pointer is valid for the length passed with it.
    let status =
        unsafe { base64Decode(dest.as_mut_ptr(), dest.len(), &mut len, b"TWFu".as_ptr(), 4) };
    assert_eq!((status, len, &dest[..3]), (0, 3, &b"Man"[..]));
    // SAFETY: as above; the NULL destination is what is under test.
    let status = unsafe { base64Decode(core::ptr::null_mut(), 8, &mut len, b"TWFu".as_ptr(), 4) };
    assert_eq!(status, 4);
}

#[test]
fn decodes_rfc4648_vectors_padded_and_unpadded() {
    for (plain, padded) in [
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(ok(padded.as_bytes()), plain.as_bytes());
        assert_eq!(
            ok(padded.trim_end_matches('=').as_bytes()),
            plain.as_bytes()
        );
    }
}

#[test]
fn padding_count_is_not_compared_with_data_length() {
    assert_eq!(ok(b"Zg="), b"f");
    assert_eq!(ok(b"Zm8=="), b"fo");
    assert_eq!(ok(b"Zm9v=="), b"foo");
}

#[test]
fn line_feed_and_carriage_return_are_ignored_anywhere() {
    assert_eq!(ok(b"Z\nm\r9\r\nv"), b"foo");
    assert_eq!(ok(b"Zg\n=\r=\n"), b"f");
    assert_eq!(ok(b"\r\nZm9vYmFy\r\n"), b"foobar");
}

#[test]
fn spaces_are_accepted_only_at_the_end() {
    assert_eq!(ok(b"Zm9v  "), b"foo");
    assert_eq!(ok(b"Zg==  "), b"f");
    assert_eq!(ok(b"Zg==\n \r"), b"f");
    assert_eq!(err(b" Zm9v"), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Z g"), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Zg ="), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Zg= ="), Base64Error::InvalidSymbolOrdering);
}

#[test]
fn data_after_padding_is_misordered() {
    assert_eq!(err(b"Zg==Zg=="), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Zg=g"), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Zh= g"), Base64Error::InvalidSymbolOrdering);
}

#[test]
fn a_third_padding_symbol_is_refused() {
    assert_eq!(err(b"Zg==="), Base64Error::InvalidPaddingSymbol);
    assert_eq!(err(b"==="), Base64Error::InvalidPaddingSymbol);
    // The padding error comes from the symbol loop, before the unused bits are looked at.
    assert_eq!(err(b"Zh==="), Base64Error::InvalidPaddingSymbol);
}

#[test]
fn bytes_outside_the_alphabet_are_invalid_symbols() {
    for bad in [b'\t', b'-', b'_', b'.', b'*', 0u8, 0x7f, 0x80, 0xff] {
        assert_eq!(
            err(&[b'Z', b'g', bad]),
            Base64Error::InvalidSymbol,
            "{bad:#x}"
        );
        assert_eq!(
            err(&[bad, b'Z', b'g']),
            Base64Error::InvalidSymbol,
            "{bad:#x}"
        );
    }
}

#[test]
fn inputs_shorter_than_two_bytes_are_invalid_input_size() {
    for src in [&b""[..], b"Z", b"=", b" ", b"\n", b"\t"] {
        assert_eq!(err(src), Base64Error::InvalidInputSize, "{src:?}");
    }
}

#[test]
fn one_leftover_digit_is_invalid_input_size() {
    assert_eq!(err(b"Z="), Base64Error::InvalidInputSize);
    assert_eq!(err(b"Zm9vY"), Base64Error::InvalidInputSize);
    assert_eq!(err(b"Zm9vY=="), Base64Error::InvalidInputSize);
}

#[test]
fn formatting_only_input_decodes_to_nothing() {
    for src in [&b"=="[..], b"  ", b"\r\n", b"\n==", b"== "] {
        assert_eq!(run(src, 0).0, Ok(0), "{src:?}");
    }
}

#[test]
fn nonzero_unused_bits_are_refused() {
    assert_eq!(err(b"Zh=="), Base64Error::NonZeroPadding);
    assert_eq!(err(b"Zh"), Base64Error::NonZeroPadding);
    assert_eq!(err(b"Zm9="), Base64Error::NonZeroPadding);
    assert_eq!(err(b"Zm9vZm9="), Base64Error::NonZeroPadding);
}

#[test]
fn the_first_offending_symbol_decides_the_status() {
    assert_eq!(err(b"Zg\t"), Base64Error::InvalidSymbol);
    assert_eq!(err(b"Zg==\t"), Base64Error::InvalidSymbol);
    assert_eq!(err(b"Z g\t"), Base64Error::InvalidSymbolOrdering);
    assert_eq!(err(b"Zh\t"), Base64Error::InvalidSymbol);
    assert_eq!(err(b"Z\t="), Base64Error::InvalidSymbol);
}

#[test]
fn exactly_sized_destination_is_enough() {
    assert_eq!(run(b"Zm9vYmFy", 6).0, Ok(6));
    assert_eq!(run(b"Zm9vYg==", 4).0, Ok(4));
    assert_eq!(run(b"Zm9vYmE", 5).0, Ok(5));
}

#[test]
fn destination_is_checked_group_by_group_and_keeps_earlier_groups() {
    let (res, dest) = run(b"Zm9vYmFy", 4);
    assert_eq!(res, Err(Base64Error::InvalidBufferSize));
    assert_eq!(dest, b"foo\xA5");
    let (res, dest) = run(b"Zm9vYg", 4);
    assert_eq!(res, Ok(4));
    assert_eq!(dest, b"foob");
    let (res, dest) = run(b"Zm9vYmE=", 4);
    assert_eq!(res, Err(Base64Error::InvalidBufferSize));
    assert_eq!(dest, b"foo\xA5");
}

#[test]
fn destination_room_is_checked_before_unused_bits() {
    assert_eq!(run(b"Zh==", 0).0, Err(Base64Error::InvalidBufferSize));
    let (res, dest) = run(b"Zm9vZh==", 3);
    assert_eq!(res, Err(Base64Error::InvalidBufferSize));
    assert_eq!(dest, b"foo");
}

#[test]
fn a_tail_of_one_or_two_bytes_goes_after_the_groups_in_order_and_needs_room_for_all() {
    let (res, dest) = run(b"Zm9vYmE", 6);
    assert_eq!(res, Ok(5));
    assert_eq!(dest, b"fooba\xA5");
    let (res, dest) = run(b"Zm9vYg", 5);
    assert_eq!(res, Ok(4));
    assert_eq!(dest, b"foob\xA5");
    let (res, dest) = run(b"Zm9vYmE", 4);
    assert_eq!(res, Err(Base64Error::InvalidBufferSize));
    assert_eq!(dest, b"foo\xA5");
    assert_eq!(run(b"YmE", 1).0, Err(Base64Error::InvalidBufferSize));
}

#[test]
fn a_full_group_is_stored_before_later_symbols_are_read() {
    // The fourth digit completes the group (and its size check) before the bad symbol.
    assert_eq!(run(b"Zm9v!", 0).0, Err(Base64Error::InvalidBufferSize));
    assert_eq!(run(b"Zm9vYmFy!", 3).0, Err(Base64Error::InvalidBufferSize));
    let (res, dest) = run(b"Zm9v!", 8);
    assert_eq!(res, Err(Base64Error::InvalidSymbol));
    assert_eq!(&dest[..4], b"foo\xA5");
}

/// Symbol-at-a-time model of the v2.0.0 rules (no fast path), for the property tests.
fn model(dest: &mut [u8], src: &[u8]) -> Result<usize, Base64Error> {
    if src.len() < 2 {
        return Err(Base64Error::InvalidInputSize);
    }
    let (mut acc, mut n, mut out, mut pads, mut space) = (0u32, 0, 0usize, 0, false);
    for &c in src {
        match c {
            b'\n' | b'\r' => {}
            b' ' => space = true,
            b'=' if space => return Err(Base64Error::InvalidSymbolOrdering),
            b'=' => {
                pads += 1;
                if pads > 2 {
                    return Err(Base64Error::InvalidPaddingSymbol);
                }
            }
            _ => {
                let v = ALPHABET
                    .iter()
                    .position(|&a| a == c)
                    .ok_or(Base64Error::InvalidSymbol)?;
                if space || pads > 0 {
                    return Err(Base64Error::InvalidSymbolOrdering);
                }
                acc = acc << 6 | v as u32;
                n += 1;
                if n == 4 {
                    if dest.len() < out + 3 {
                        return Err(Base64Error::InvalidBufferSize);
                    }
                    dest[out..out + 3].copy_from_slice(&acc.to_be_bytes()[1..]);
                    out += 3;
                    acc = 0;
                    n = 0;
                }
            }
        }
    }
    match n {
        0 => Ok(out),
        1 => Err(Base64Error::InvalidInputSize),
        _ => {
            let (bytes, unused) = if n == 2 { (1, 4) } else { (2, 2) };
            if dest.len() < out + bytes {
                return Err(Base64Error::InvalidBufferSize);
            }
            if acc & ((1 << unused) - 1) != 0 {
                return Err(Base64Error::NonZeroPadding);
            }
            let v = acc >> unused;
            dest[out..out + bytes].copy_from_slice(&v.to_be_bytes()[4 - bytes..]);
            Ok(out + bytes)
        }
    }
}

#[test]
fn every_byte_in_every_place_of_a_whole_group_agrees_with_the_model() {
    // The whole-group fast path classifies by the alphabet's runs: their edges and gaps.
    for byte in 0..=255u8 {
        for place in 0..4 {
            let mut src = *b"QUJDQUJD";
            src[place] = byte;
            for cap in [3, 6] {
                let (mut fast, mut slow) = (vec![0xA5u8; cap], vec![0xA5u8; cap]);
                assert_eq!(
                    decode(&mut fast, &src),
                    model(&mut slow, &src),
                    "{byte:#x} at {place}"
                );
                assert_eq!(fast, slow, "{byte:#x} at {place}");
            }
        }
    }
}

#[test]
fn every_byte_after_a_space_or_padding_agrees_with_the_model() {
    // After them a digit is told from a non-digit by the digit value's own bit.
    for byte in 0..=255u8 {
        for lead in [&b"QUJD "[..], b"QUI=", b"QQ==", b"QUJD  ", b"QUI= "] {
            let mut src = lead.to_vec();
            src.push(byte);
            let (mut fast, mut slow) = (vec![0xA5u8; 6], vec![0xA5u8; 6]);
            assert_eq!(
                decode(&mut fast, &src),
                model(&mut slow, &src),
                "{byte:#x} after {lead:?}"
            );
            assert_eq!(fast, slow, "{byte:#x} after {lead:?}");
        }
    }
}

fn symbol_soup() -> impl Strategy<Value = Vec<u8>> {
    let symbol = prop_oneof![
        8 => proptest::sample::select(ALPHABET.to_vec()),
        1 => proptest::sample::select(vec![b'=', b' ', b'\n', b'\r']),
        1 => any::<u8>(),
    ];
    proptest::collection::vec(symbol, 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trips_the_reference_encoder(data in proptest::collection::vec(any::<u8>(), 0..96), pad in any::<bool>()) {
        let encoded = encode(&data, pad);
        let mut dest = vec![0u8; data.len()];
        if encoded.len() < 2 {
            prop_assert_eq!(decode(&mut dest, &encoded), Err(Base64Error::InvalidInputSize));
        } else {
            prop_assert_eq!(decode(&mut dest, &encoded), Ok(data.len()));
            prop_assert_eq!(dest, data);
        }
    }

    #[test]
    fn line_breaks_inserted_anywhere_change_nothing(
        data in proptest::collection::vec(any::<u8>(), 1..48),
        breaks in proptest::collection::vec((any::<prop::sample::Index>(), prop::bool::ANY), 0..6),
    ) {
        let mut encoded = encode(&data, true);
        for (at, crlf) in breaks {
            let at = at.index(encoded.len() + 1);
            encoded.insert(at, if crlf { b'\r' } else { b'\n' });
        }
        let mut dest = vec![0u8; data.len()];
        prop_assert_eq!(decode(&mut dest, &encoded), Ok(data.len()));
        prop_assert_eq!(dest, data);
    }

    #[test]
    fn agrees_with_the_symbol_at_a_time_model(src in symbol_soup(), cap in 0usize..40) {
        let mut fast = vec![0xA5u8; cap];
        let mut slow = vec![0xA5u8; cap];
        prop_assert_eq!(decode(&mut fast, &src), model(&mut slow, &src));
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn never_panics_and_reports_at_most_the_destination(src in proptest::collection::vec(any::<u8>(), 0..64), cap in 0usize..64) {
        let mut dest = vec![0u8; cap];
        if let Ok(n) = decode(&mut dest, &src) {
            prop_assert!(n <= cap);
        }
    }
}
