//! Log records, sent through the application's `LogError`/`LogWarn`/`LogInfo`/`LogDebug`.
//!
//! build.rs asks the preprocessor which of those macros the application defined; a level whose
//! macro is empty is a `false` constant here, so its records are never formatted.

use core::fmt;

include!(concat!(env!("OUT_DIR"), "/log_levels.rs"));

/// Levels as numbered by the C shim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

/// Longest record passed to the application; longer ones are cut (as a snprintf would).
pub const MAX_RECORD: usize = 256;

struct Record {
    buf: [u8; MAX_RECORD],
    len: usize,
}

impl fmt::Write for Record {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = MAX_RECORD.saturating_sub(self.len);
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len.saturating_add(take)),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len = self.len.saturating_add(take);
        }
        Ok(())
    }
}

/// Formats a record on the stack and hands it to the C shim.
#[cold]
pub fn emit(level: Level, args: fmt::Arguments<'_>) {
    let mut record = Record {
        buf: [0; MAX_RECORD],
        len: 0,
    };
    let _ = fmt::write(&mut record, args);
    crate::sys::shim::log(level as u32, record.buf.get(..record.len).unwrap_or(&[]));
}

/// `ota_log!(Error, "fmt", args...)`: free when the application's macro for that level is empty.
#[macro_export]
macro_rules! ota_log {
    (Error, $($arg:tt)+) => { $crate::ota_log!(@ $crate::log::LOG_ERROR, Error, $($arg)+) };
    (Warn, $($arg:tt)+) => { $crate::ota_log!(@ $crate::log::LOG_WARN, Warn, $($arg)+) };
    (Info, $($arg:tt)+) => { $crate::ota_log!(@ $crate::log::LOG_INFO, Info, $($arg)+) };
    (Debug, $($arg:tt)+) => { $crate::ota_log!(@ $crate::log::LOG_DEBUG, Debug, $($arg)+) };
    (@ $on:expr, $level:ident, $($arg:tt)+) => {
        if $on {
            $crate::log::emit($crate::log::Level::$level, format_args!($($arg)+));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn record_is_cut_at_capacity_without_panicking() {
        let mut r = Record {
            buf: [0; MAX_RECORD],
            len: 0,
        };
        for _ in 0..100 {
            let _ = r.write_str("0123456789");
        }
        assert_eq!(r.len, MAX_RECORD);
        assert!(r.buf.iter().all(|b| b.is_ascii_digit()));
    }
}
