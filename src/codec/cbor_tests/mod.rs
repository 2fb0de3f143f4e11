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

/// The decoded numbers and joined payload of a message the decoder must accept.
fn accepts(hex: &str) -> (i32, i32, i32, Vec<u8>) {
    let msg = h(hex);
    let block = decode_get_stream_response(&msg).unwrap_or_else(|e| panic!("{hex}: {e:?}"));
    let mut payload = vec![0u8; block.payload.len()];
    assert_eq!(block.payload.copy_to(&mut payload), Ok(payload.len()));
    (block.file_id, block.block_id, block.block_size, payload)
}

/// The error of a message the decoder must refuse.
fn refuses(hex: &str) -> CborError {
    decode_get_stream_response(&h(hex))
        .map(|_| ())
        .expect_err(hex)
}

/// A CBOR head of `major` type with argument `arg`, in its shortest form.
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

/// A CBOR integer, major type 0 or 1 by its sign.
fn cbor_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        cbor_head(out, 1, !v as u64);
    } else {
        cbor_head(out, 0, v as u64);
    }
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
            // The payload lies where the oracle found it: one slice, or the same chunks, which
            // the production payload holds up to the end of the message (a break after them).
            let (contiguous, chunked) = match expected.payload {
                oracle::StringData::Contiguous(data) => (Some(data.as_ptr_range()), None),
                oracle::StringData::Chunked { chunks, .. } => (None, Some(chunks)),
            };
            prop_assert_eq!(
                block.payload.as_slice().map(<[u8]>::as_ptr_range),
                contiguous
            );
            let msg_end = msg.as_ptr_range().end;
            prop_assert_eq!(
                block.payload.encoded_chunks().map(<[u8]>::as_ptr_range),
                chunked.map(|c| c.as_ptr()..msg_end)
            );
            if let (Some(chunks), Some(held)) = (chunked, block.payload.encoded_chunks()) {
                prop_assert_eq!(held.get(chunks.len()), Some(&0xff));
            }
            // And joins to the oracle's pieces.
            let expected_bytes = oracle::chunks(expected.payload).concat();
            prop_assert_eq!(block.payload.len(), expected_bytes.len());
            let mut joined = vec![0xA5u8; expected_bytes.len()];
            prop_assert_eq!(block.payload.copy_to(&mut joined), Ok(expected_bytes.len()));
            prop_assert_eq!(joined, expected_bytes);
        }
        (got, expected) => prop_assert_eq!(got.map(|_| ()), expected.map(|_| ())),
    }
    Ok(())
}

mod decode;
mod encode;
mod oracle;
mod properties;
mod skip;
