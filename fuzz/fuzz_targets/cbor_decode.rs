//! `OTA_CBOR_Decode_GetStreamResponseMessage` on any bytes, into an exactly sized payload buffer
//! (AddressSanitizer catches a write past it). Whatever it accepts, it must accept again in
//! canonical form with the same values; outputs are written only on success.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::{cbor, sys};

/// Decodes `msg` with a payload buffer of `cap` bytes (or a NULL payload pointer).
fn decode(msg: &[u8], cap: usize, null_payload: bool) -> Option<(i32, i32, i32, Vec<u8>)> {
    let mut payload = vec![0u8; cap];
    let mut p = if null_payload {
        std::ptr::null_mut()
    } else {
        payload.as_mut_ptr()
    };
    let (mut f, mut i, mut l, mut size) = (-7, -7, -7, cap);
    // SAFETY: the message is readable for its length; the out-parameters are writable; `p` is
    // NULL or writable for `size` bytes.
    let ok = unsafe {
        sys::OTA_CBOR_Decode_GetStreamResponseMessage(
            msg.as_ptr(),
            msg.len(),
            &mut f,
            &mut i,
            &mut l,
            &mut p,
            &mut size,
        )
    };
    if !ok {
        assert_eq!(
            (f, i, l, size),
            (-7, -7, -7, cap),
            "outputs written by a failed decode"
        );
        return None;
    }
    assert!(
        size <= cap,
        "payload of {size} bytes reported for a {cap}-byte buffer"
    );
    payload.truncate(size);
    Some((f, i, l, payload))
}

fuzz_target!(|data: &[u8]| {
    let Some((&shape, msg)) = data.split_first() else {
        return;
    };
    let cap = match shape & 3 {
        0 | 1 => 4096,
        2 => msg.len(),
        _ => usize::from(shape >> 2),
    };
    let null_payload = shape & 0x80 != 0 && shape & 3 == 0;
    let Some((f, i, l, payload)) = decode(msg, cap, null_payload) else {
        return;
    };
    if null_payload {
        return;
    }
    let canonical = cbor::block(f.into(), i.into(), l.into(), &payload, 1);
    let again = decode(&canonical, payload.len(), false);
    assert_eq!(
        again,
        Some((f, i, l, payload)),
        "canonical form of an accepted block refused or changed"
    );
});
