//! Log records, sent through the application's `LogError`/`LogWarn`/`LogInfo`/`LogDebug`.
//!
//! A record is a printf format in flash plus its arguments; the application's own printf-like
//! macro formats it, so no `core::fmt` is linked and no record buffer sits on the stack.
//! [`ota_log!`] builds the format from the same pieces that give the arguments, picks the C
//! shim entry point whose argument types fit them, and checks the format against those types at
//! compile time ([`Record::new`]). The build script asks the preprocessor which of the application's
//! macros are defined; a level whose macro is empty is a `false` constant here, so its records
//! compile to nothing and their arguments are never evaluated.

pub(crate) mod emit;

use core::ffi::{c_int, c_uint, CStr};
use core::marker::PhantomData;

include!(concat!(env!("OUT_DIR"), "/log_levels.rs"));

/// Longest text one record hands the application's macro: numbers count at their widest and
/// string arguments are cut to share what the record's own text leaves.
pub const MAX_RECORD: usize = 256;

/// The C type of one argument slot of a shim entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `unsigned int`, for a `%u`, `%x` or `%08x`.
    Num,
    /// `int`, for a `%d`.
    Int,
    /// `int` precision and `const char *`, for a `%.*s`.
    Str,
}

/// One entry point of src/ffi/shim.c, by the slots it passes after the format.
pub trait Shape {
    const SLOTS: &'static [Slot];
}

/// `ota_rs_log_0`: text only.
pub struct Plain;
/// `ota_rs_log_u`: up to three numbers.
pub struct Nums;
/// `ota_rs_log_duu`: a signed number, then up to two numbers.
pub struct IntNumNum;
/// `ota_rs_log_sus`: a string, a number, a string (any leading part of that).
pub struct StrNumStr;
/// `ota_rs_log_sss`: up to three strings.
pub struct Strs;

impl Shape for Plain {
    const SLOTS: &'static [Slot] = &[];
}
impl Shape for Nums {
    const SLOTS: &'static [Slot] = &[Slot::Num, Slot::Num, Slot::Num];
}
impl Shape for IntNumNum {
    const SLOTS: &'static [Slot] = &[Slot::Int, Slot::Num, Slot::Num];
}
impl Shape for StrNumStr {
    const SLOTS: &'static [Slot] = &[Slot::Str, Slot::Num, Slot::Str];
}
impl Shape for Strs {
    const SLOTS: &'static [Slot] = &[Slot::Str, Slot::Str, Slot::Str];
}

/// A record's format: a level letter (`E`, `W`, `I`, `D`, read by the shim), then a printf
/// format whose conversions are, in order, a leading part of `S::SLOTS`.
pub struct Record<S> {
    text: &'static CStr,
    cap: usize,
    shape: PhantomData<fn() -> S>,
}

/// What [`parse`] learns of a format.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    /// Printed bytes with every number at its widest and every string empty.
    fixed: usize,
    strings: usize,
}

/// Checks `body` (the format after the level letter, NUL included) against `slots`.
const fn parse(body: &[u8], slots: &[Slot]) -> Result<Parsed, &'static str> {
    let mut rest = body;
    let mut slots = slots;
    let mut fixed = 0usize;
    let mut strings = 0usize;
    loop {
        let (slot, width, tail) = match rest {
            [] | [0] => return Ok(Parsed { fixed, strings }),
            [b'%', b'u', tail @ ..] => (Slot::Num, 10, tail),
            [b'%', b'x', tail @ ..] | [b'%', b'0', b'8', b'x', tail @ ..] => (Slot::Num, 8, tail),
            [b'%', b'd', tail @ ..] => (Slot::Int, 11, tail),
            [b'%', b'.', b'*', b's', tail @ ..] => (Slot::Str, 0, tail),
            [b'%', ..] => return Err("a log record has a conversion other than %u, %x, %08x, %d, %.*s (or a '%' in its text)"),
            [_, tail @ ..] => {
                rest = tail;
                fixed = fixed.saturating_add(1);
                continue;
            }
        };
        let [want, more @ ..] = slots else {
            return Err("a log record has more arguments than its shim entry point passes");
        };
        if !matches!(
            (slot, *want),
            (Slot::Num, Slot::Num) | (Slot::Int, Slot::Int) | (Slot::Str, Slot::Str)
        ) {
            return Err("a log record's arguments are not in the order of its shim entry point");
        }
        if matches!(slot, Slot::Str) {
            strings = strings.saturating_add(1);
        }
        fixed = fixed.saturating_add(width);
        slots = more;
        rest = tail;
    }
}

impl<S: Shape> Record<S> {
    /// The record for `text`; used in a `const`, so a mismatch is a compile error.
    // Panics are the point: they run at compile time and name what is wrong with the record.
    #[allow(clippy::panic)]
    pub const fn new(text: &'static str) -> Self {
        let Ok(c) = CStr::from_bytes_with_nul(text.as_bytes()) else {
            panic!("a log record ends in its only NUL");
        };
        let Some((level, body)) = c.to_bytes_with_nul().split_first() else {
            panic!("a log record starts with its level letter");
        };
        if !matches!(*level, b'E' | b'W' | b'I' | b'D') {
            panic!("a log record starts with its level letter");
        }
        let parsed = match parse(body, S::SLOTS) {
            Ok(p) => p,
            Err(why) => panic!("{}", why),
        };
        let Some(room) = MAX_RECORD.checked_sub(parsed.fixed) else {
            panic!("a log record's text is longer than MAX_RECORD");
        };
        Record {
            text: c,
            cap: match room.checked_div(parsed.strings) {
                Some(share) => share,
                None => 0,
            },
            shape: PhantomData,
        }
    }

    /// The level letter and the format, NUL-terminated, for the shim.
    pub const fn text(&self) -> &'static CStr {
        self.text
    }

    /// Most bytes of any one string argument.
    pub const fn cap(&self) -> usize {
        self.cap
    }
}

/// A string argument (`s(..)` in [`ota_log!`]).
#[derive(Clone, Copy, Debug)]
pub enum Text<'a> {
    Bytes(&'a [u8]),
    Nul(&'a CStr),
}

impl Text<'_> {
    /// The argument of an unused string slot.
    pub const EMPTY: Text<'static> = Text::Nul(c"");
}

impl<'a> From<&'a [u8]> for Text<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Text::Bytes(bytes)
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(s: &'a str) -> Self {
        Text::Bytes(s.as_bytes())
    }
}

impl<'a> From<&'a CStr> for Text<'a> {
    fn from(s: &'a CStr) -> Self {
        Text::Nul(s)
    }
}

/// A number argument (`u(..)`, `x(..)`, `x08(..)` in [`ota_log!`]), as C's `unsigned int`.
pub trait Unsigned {
    fn to_c_uint(self) -> c_uint;
}

impl Unsigned for u8 {
    fn to_c_uint(self) -> c_uint {
        self.into()
    }
}

impl Unsigned for u16 {
    fn to_c_uint(self) -> c_uint {
        self.into()
    }
}

impl Unsigned for u32 {
    fn to_c_uint(self) -> c_uint {
        self
    }
}

impl Unsigned for usize {
    /// Saturates: a length past 4 GiB prints as 4294967295.
    fn to_c_uint(self) -> c_uint {
        c_uint::try_from(self).unwrap_or(c_uint::MAX)
    }
}

/// A signed number argument (`d(..)` in [`ota_log!`]), as C's `int`.
pub trait Signed {
    fn to_c_int(self) -> c_int;
}

impl Signed for i8 {
    fn to_c_int(self) -> c_int {
        self.into()
    }
}

impl Signed for i16 {
    fn to_c_int(self) -> c_int {
        self.into()
    }
}

impl Signed for i32 {
    fn to_c_int(self) -> c_int {
        self
    }
}

#[doc(hidden)]
pub fn num(v: impl Unsigned) -> c_uint {
    v.to_c_uint()
}

#[doc(hidden)]
pub fn int(v: impl Signed) -> c_int {
    v.to_c_int()
}

#[doc(hidden)]
pub fn text<'a>(v: impl Into<Text<'a>>) -> Text<'a> {
    v.into()
}

/// `ota_log!(Error, "Failed to start timer ", u(id), ": ", s(name))`: free when the
/// application's macro for that level is empty.
///
/// Pieces, separated by commas: string literals (no `%`), `u(n)` (`%u`), `x(n)` (`%x`),
/// `x08(n)` (`%08x`) for unsigned integers, `d(n)` (`%d`) for signed ones, `s(t)` (`%.*s`) for
/// a `&str`, `&[u8]` or `&CStr`. Arguments come in one of the orders the shim takes (or the
/// start of one): three unsigned numbers; a signed and two unsigned numbers; a string, an
/// unsigned number and a string; three strings.
#[macro_export]
macro_rules! ota_log {
    (Error, $($piece:tt)+) => { $crate::__ota_record!($crate::log::LOG_ERROR, ["E",] [] $($piece)+) };
    (Warn, $($piece:tt)+) => { $crate::__ota_record!($crate::log::LOG_WARN, ["W",] [] $($piece)+) };
    (Info, $($piece:tt)+) => { $crate::__ota_record!($crate::log::LOG_INFO, ["I",] [] $($piece)+) };
    (Debug, $($piece:tt)+) => { $crate::__ota_record!($crate::log::LOG_DEBUG, ["D",] [] $($piece)+) };
}

/// [`ota_log!`]'s work: the pieces become format literals and a list of typed arguments, then
/// the argument kinds pick the entry point.
#[doc(hidden)]
#[macro_export]
macro_rules! __ota_record {
    ($on:expr, [$($f:tt)*] [$($a:tt)*] $t:literal $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* $t,] [$($a)*] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] u($e:expr) $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* "%u",] [$($a)* n($e)] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] x($e:expr) $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* "%x",] [$($a)* n($e)] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] x08($e:expr) $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* "%08x",] [$($a)* n($e)] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] d($e:expr) $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* "%d",] [$($a)* i($e)] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] s($e:expr) $(, $($rest:tt)*)?) => {
        $crate::__ota_record!($on, [$($f)* "%.*s",] [$($a)* s($e)] $($($rest)*)?)
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*]) => {
        $crate::__ota_call!($on, concat!($($f)* "\0"), [$($a)*])
    };
    ($on:expr, [$($f:tt)*] [$($a:tt)*] $($bad:tt)+) => {
        compile_error!("an ota_log! piece is a string literal, u(..), x(..), x08(..), d(..) or s(..)")
    };
}

/// One rule per argument order the shim takes; unused trailing slots get zeros or "".
#[doc(hidden)]
#[macro_export]
macro_rules! __ota_call {
    (@ $on:expr, $fmt:expr, $shape:ident, $entry:ident($($arg:expr),*)) => {{
        const RECORD: $crate::log::Record<$crate::log::$shape> = $crate::log::Record::new($fmt);
        if $on {
            $crate::log::emit::$entry(&RECORD, $($arg),*);
        }
    }};
    ($on:expr, $fmt:expr, []) => {
        $crate::__ota_call!(@ $on, $fmt, Plain, log_0())
    };
    ($on:expr, $fmt:expr, [n($a:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, Nums, log_u($crate::log::num($a), 0, 0))
    };
    ($on:expr, $fmt:expr, [n($a:expr) n($b:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, Nums, log_u($crate::log::num($a), $crate::log::num($b), 0))
    };
    ($on:expr, $fmt:expr, [n($a:expr) n($b:expr) n($c:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, Nums,
            log_u($crate::log::num($a), $crate::log::num($b), $crate::log::num($c)))
    };
    ($on:expr, $fmt:expr, [i($a:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, IntNumNum, log_duu($crate::log::int($a), 0, 0))
    };
    ($on:expr, $fmt:expr, [i($a:expr) n($b:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, IntNumNum,
            log_duu($crate::log::int($a), $crate::log::num($b), 0))
    };
    ($on:expr, $fmt:expr, [i($a:expr) n($b:expr) n($c:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, IntNumNum,
            log_duu($crate::log::int($a), $crate::log::num($b), $crate::log::num($c)))
    };
    ($on:expr, $fmt:expr, [s($a:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, StrNumStr,
            log_sus($crate::log::text($a), 0, $crate::log::Text::EMPTY))
    };
    ($on:expr, $fmt:expr, [s($a:expr) n($b:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, StrNumStr,
            log_sus($crate::log::text($a), $crate::log::num($b), $crate::log::Text::EMPTY))
    };
    ($on:expr, $fmt:expr, [s($a:expr) n($b:expr) s($c:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, StrNumStr,
            log_sus($crate::log::text($a), $crate::log::num($b), $crate::log::text($c)))
    };
    ($on:expr, $fmt:expr, [s($a:expr) s($b:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, Strs,
            log_sss($crate::log::text($a), $crate::log::text($b), $crate::log::Text::EMPTY))
    };
    ($on:expr, $fmt:expr, [s($a:expr) s($b:expr) s($c:expr)]) => {
        $crate::__ota_call!(@ $on, $fmt, Strs,
            log_sss($crate::log::text($a), $crate::log::text($b), $crate::log::text($c)))
    };
    ($on:expr, $fmt:expr, [$($other:tt)*]) => {
        compile_error!("ota_log! arguments are u u u, d u u, s u s or s s s (or the start of one): reword the record")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(format: &str, slots: &[Slot]) -> Result<Parsed, &'static str> {
        parse(format.as_bytes(), slots)
    }

    #[test]
    fn numbers_count_at_their_widest_and_strings_as_nothing() {
        let slots = StrNumStr::SLOTS;
        assert_eq!(
            parsed("file %.*s: errno=%u, %.*s\0", slots),
            Ok(Parsed {
                fixed: "file : errno=, ".len() + 10,
                strings: 2
            })
        );
        assert_eq!(
            parsed("status 0x%08x, reason 0x%x\0", Nums::SLOTS),
            Ok(Parsed {
                fixed: "status 0x, reason 0x".len() + 16,
                strings: 0
            })
        );
    }

    #[test]
    fn format_that_disagrees_with_its_entry_point_is_refused() {
        assert!(parsed("%u %.*s\0", StrNumStr::SLOTS).is_err());
        assert!(parsed("%u %u %u %u\0", Nums::SLOTS).is_err());
        assert!(parsed("%.*s\0", Plain::SLOTS).is_err());
        assert!(parsed("%d\0", Nums::SLOTS).is_err());
        assert!(parsed("%s\0", Strs::SLOTS).is_err());
        assert!(parsed("100%\0", Plain::SLOTS).is_err());
        assert!(parsed("%lu\0", Nums::SLOTS).is_err());
    }

    #[test]
    fn fewer_arguments_than_slots_is_a_leading_part() {
        assert!(parsed("block %u\0", Nums::SLOTS).is_ok());
        assert!(parsed("file %.*s\0", StrNumStr::SLOTS).is_ok());
        assert!(parsed("no arguments\0", Strs::SLOTS).is_ok());
    }

    #[test]
    fn strings_share_what_the_text_leaves_of_max_record() {
        const R: Record<Strs> = Record::new("Ia=%.*s b=%.*s\0");
        assert_eq!(R.cap(), (MAX_RECORD - "a= b=".len()) / 2);
        assert_eq!(R.text().to_bytes(), b"Ia=%.*s b=%.*s");
        const P: Record<Plain> = Record::new("Eno strings\0");
        assert_eq!(P.cap(), 0);
    }

    #[test]
    fn numbers_convert_to_unsigned_int_saturating() {
        assert_eq!(num(7u8), 7);
        assert_eq!(num(0xffffu16), 0xffff);
        assert_eq!(num(u32::MAX), u32::MAX);
        assert_eq!(num(usize::MAX), c_uint::MAX);
    }
}
