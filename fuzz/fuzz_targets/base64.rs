//! `base64Decode` against a model of v2.0.0's rules (src/codec/base64.rs documents them):
//! the same status, the same bytes written, the result length only on success.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::sys;

/// v2.0.0's statuses.
const OK: u32 = 0;
const SYMBOL: u32 = 1;
const ORDER: u32 = 2;
const SIZE: u32 = 3;
const ROOM: u32 = 5;
const PADDING_BITS: u32 = 6;
const PADDING: u32 = 7;

fn digit(b: u8) -> Option<u32> {
    match b {
        b'A'..=b'Z' => Some(u32::from(b - b'A')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// The status and the bytes decoded before it was reached.
fn model(src: &[u8], room: usize) -> (u32, Vec<u8>) {
    let mut out = Vec::new();
    if src.len() < 2 {
        return (SIZE, out);
    }
    let (mut space, mut pads, mut acc, mut n) = (false, 0, 0u32, 0);
    for &b in src {
        match b {
            b'\n' | b'\r' => {}
            b' ' => space = true,
            b'=' => {
                if space {
                    return (ORDER, out);
                }
                pads += 1;
                if pads > 2 {
                    return (PADDING, out);
                }
            }
            _ => {
                let Some(v) = digit(b) else {
                    return (SYMBOL, out);
                };
                if space || pads > 0 {
                    return (ORDER, out);
                }
                acc = (acc << 6) | v;
                n += 1;
                if n == 4 {
                    if out.len() + 3 > room {
                        return (ROOM, out);
                    }
                    out.extend_from_slice(&acc.to_be_bytes()[1..]);
                    acc = 0;
                    n = 0;
                }
            }
        }
    }
    match n {
        0 => (OK, out),
        1 => (SIZE, out),
        2 => {
            if out.len() + 1 > room {
                return (ROOM, out);
            }
            if acc & 0xf != 0 {
                return (PADDING_BITS, out);
            }
            out.push((acc >> 4) as u8);
            (OK, out)
        }
        _ => {
            if out.len() + 2 > room {
                return (ROOM, out);
            }
            if acc & 0x3 != 0 {
                return (PADDING_BITS, out);
            }
            out.extend_from_slice(&((acc >> 2) as u16).to_be_bytes());
            (OK, out)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&room, src)) = data.split_first() else {
        return;
    };
    // Room for all of it, or a destination that may be too small.
    let room = if room & 0x80 == 0 {
        src.len()
    } else {
        usize::from(room & 0x7f)
    };
    let mut dest = vec![0xeeu8; room];
    let mut written = usize::MAX;
    // SAFETY: every pointer is valid for the length passed with it.
    let status = unsafe {
        sys::base64Decode(
            dest.as_mut_ptr(),
            dest.len(),
            &mut written,
            src.as_ptr(),
            src.len(),
        )
    };
    let (want, bytes) = model(src, room);
    assert_eq!(status as u32, want, "status for {src:?} with room {room}");
    if want == OK {
        assert_eq!(written, bytes.len(), "result length");
    } else {
        assert_eq!(written, usize::MAX, "result length written on failure");
    }
    assert_eq!(&dest[..bytes.len()], &bytes[..], "decoded bytes");
});
