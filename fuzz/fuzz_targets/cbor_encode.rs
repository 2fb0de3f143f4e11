//! `OTA_CBOR_Encode_GetStreamRequestMessage` against an independent encoder: it succeeds
//! exactly when the buffer holds the shortest-form encoding, writes exactly it, and reports
//! its length; a failure leaves the length untouched and writes nothing past the buffer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::cbor;
use ota_fuzz::script::Cursor;
use ota_fuzz::sys;

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let int = |c: &mut Cursor| -> i32 {
        match c.byte() % 4 {
            0 => i32::from(c.byte()),
            1 => i32::from(c.u16()),
            _ => c.u32() as i32,
        }
    };
    let (file_id, block_size, offset) = (int(&mut c), int(&mut c), int(&mut c));
    let n = int(&mut c);
    let token_len = usize::from(c.byte() % 40);
    let mut token: Vec<u8> = c.take(token_len).into_iter().map(|b| b.max(1)).collect();
    let bitmap_len = usize::from(c.byte());
    let mut bitmap = c.take(bitmap_len);
    let want = cbor::request(&token, file_id, block_size, offset, &bitmap, n);
    let room = match c.byte() % 4 {
        0 => want.len(),
        1 => want.len().saturating_sub(1),
        2 => want.len() + 1,
        _ => usize::from(c.byte()),
    };
    let mut out = vec![0u8; room];
    let mut size = usize::MAX;
    token.push(0);
    // SAFETY: the buffer is writable for `room` bytes, the token NUL-terminated, the bitmap
    // readable for its length, the size writable.
    let ok = unsafe {
        sys::OTA_CBOR_Encode_GetStreamRequestMessage(
            out.as_mut_ptr(),
            out.len(),
            &mut size,
            token.as_ptr().cast(),
            file_id,
            block_size,
            offset,
            bitmap.as_mut_ptr(),
            bitmap.len(),
            n,
        )
    };
    assert_eq!(
        ok,
        room >= want.len(),
        "success with room {room} for {} bytes",
        want.len()
    );
    if ok {
        assert_eq!(size, want.len(), "encoded size");
        assert_eq!(&out[..size], &want[..], "encoding differs from v2.0.0's");
    } else {
        assert_eq!(size, usize::MAX, "size written by a failed encode");
    }
});
