//! The C shim's log entry points (src/ffi/shim.c), each taking a record of the shape whose
//! conversions its arguments match; [`ota_log!`] picks the entry.

use super::{IntNumNum, Nums, Plain, Record, StrNumStr, Strs, Text};
use core::ffi::{c_char, c_int, c_uint};

extern "C" {
    fn ota_rs_log_0(record: *const c_char);
    fn ota_rs_log_u(record: *const c_char, a: c_uint, b: c_uint, c: c_uint);
    fn ota_rs_log_duu(record: *const c_char, d: c_int, a: c_uint, b: c_uint);
    fn ota_rs_log_sus(
        record: *const c_char,
        len1: c_int,
        s1: *const c_char,
        a: c_uint,
        len2: c_int,
        s2: *const c_char,
    );
    fn ota_rs_log_sss(
        record: *const c_char,
        len1: c_int,
        s1: *const c_char,
        len2: c_int,
        s2: *const c_char,
        len3: c_int,
        s3: *const c_char,
    );
}

/// A `%.*s` slot's precision and pointer: printf reads no more than `cap` bytes, nor past the
/// end of a byte string, nor past the NUL of a C string.
fn text_arg(text: Text<'_>, cap: usize) -> (c_int, *const c_char) {
    let cap = c_int::try_from(cap).unwrap_or(0);
    match text {
        Text::Nul(s) => (cap, s.as_ptr()),
        // An empty slice's pointer addresses no array, so "" stands in for it.
        Text::Bytes([]) => (0, c"".as_ptr()),
        Text::Bytes(b) => (
            c_int::try_from(b.len()).map_or(cap, |len| len.min(cap)),
            b.as_ptr().cast(),
        ),
    }
}

/// Hands a record without arguments to the application's log macro.
pub fn log_0(record: &Record<Plain>) {
    // SAFETY: the record is a static NUL-terminated level letter and format whose conversions
    // Record::new checked to be none.
    unsafe { ota_rs_log_0(record.text().as_ptr()) }
}

/// Hands a record and up to three numbers to the application's log macro.
pub fn log_u(record: &Record<Nums>, a: c_uint, b: c_uint, c: c_uint) {
    // SAFETY: as for log_0, with at most three conversions, each %u, %x or %08x, which read the
    // unsigned ints passed in order; printf ignores those left over.
    unsafe { ota_rs_log_u(record.text().as_ptr(), a, b, c) }
}

/// Hands a record with a signed number and up to two unsigned ones to the application's log
/// macro.
pub fn log_duu(record: &Record<IntNumNum>, d: c_int, a: c_uint, b: c_uint) {
    // SAFETY: as for log_u, with the conversions a leading part of %d, then two of %u, %x or
    // %08x, reading the int and the unsigned ints passed in order.
    unsafe { ota_rs_log_duu(record.text().as_ptr(), d, a, b) }
}

/// Hands a record with a string, a number and a string (or the start of those) to the
/// application's log macro.
pub fn log_sus(record: &Record<StrNumStr>, s1: Text<'_>, a: c_uint, s2: Text<'_>) {
    let (len1, p1) = text_arg(s1, record.cap());
    let (len2, p2) = text_arg(s2, record.cap());
    // SAFETY: as for log_u, with the conversions a leading part of %.*s, a number, %.*s; each
    // string pointer is live for this call and readable for its precision or up to its NUL.
    unsafe { ota_rs_log_sus(record.text().as_ptr(), len1, p1, a, len2, p2) }
}

/// Hands a record and up to three strings to the application's log macro.
pub fn log_sss(record: &Record<Strs>, s1: Text<'_>, s2: Text<'_>, s3: Text<'_>) {
    let (len1, p1) = text_arg(s1, record.cap());
    let (len2, p2) = text_arg(s2, record.cap());
    let (len3, p3) = text_arg(s3, record.cap());
    // SAFETY: as for log_sus, with the conversions up to three %.*s.
    unsafe { ota_rs_log_sss(record.text().as_ptr(), len1, p1, len2, p2, len3, p3) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_slot_never_reaches_past_its_bytes_or_the_cap() {
        let (len, _) = text_arg(Text::Bytes(b"0123456789"), 4);
        assert_eq!(len, 4);
        let abc = b"abc";
        let (len, p) = text_arg(Text::Bytes(abc), 100);
        assert_eq!((len, p), (3, abc.as_ptr().cast()));
        // An empty slice gets a real "" to point at.
        let (len, p) = text_arg(Text::Bytes(&[]), 100);
        assert_eq!(len, 0);
        // SAFETY: text_arg returns a NUL-terminated static string for an empty slice.
        assert_eq!(unsafe { core::ffi::CStr::from_ptr(p) }, c"");
        // A C string stops printf at its NUL; the precision is the cap.
        let path = c"path";
        let (len, p) = text_arg(Text::Nul(path), 9);
        assert_eq!((len, p), (9, path.as_ptr()));
    }
}
