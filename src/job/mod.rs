//! The OTA job document: v2.0.0's document model, and the one pass that validates a document
//! and finds each of its values in the received bytes without copying them.
//!
//! [`find_values_into`] is v2.0.0's `parseJSONbyModel` up to the point where values are converted
//! and stored. v2.0.0 validated the document, then searched it from the top for each of the 21
//! model parameters (about 30 searches); here one pass over the document (`pass`, on
//! [`json::walk`]) validates it and finds the same values, with the same rules: what it returns
//! is, for every input, what those searches returned (the tests keep the searches as their
//! oracle, `json::oracle`, and compare the two on generated and edited documents). Converting
//! and storing ([`parse_u32`], base64, copies into the file context) is the agent's, in model
//! order, stopping at the first failure; the missing-required check ([`Found::missing_required`],
//! `DocParseErrMalformedDoc`) comes after that, as in v2.0.0.
//!
//! Differences from v2.0.0, all ABI-neutral:
//! - An invalid document is refused ([`DocError::InvalidJson`]). v2.0.0 recorded the error but
//!   kept searching, and the first stored parameter it extracted (normally `execution.jobId`)
//!   overwrote the error, so an invalid document whose values could still be found was taken as
//!   valid; only one where nothing stored was found before `files` failed.
//! - `files` is searched inside only when it is an array. v2.0.0 cut the first and last byte off
//!   whatever value it found: for a value under two bytes the length wrapped to about 4 GiB (the
//!   search happened to stop at the first byte that is not `{`), and a document holding
//!   `"files":5{"filesize":7,"fileid":0}`, which coreJSON calls valid, gave a 7-byte file.
//! - Numbers must fit in 32 bits and must not be negative ([`parse_u32`], upstream #407).

pub(crate) mod json;
mod pass;
pub(crate) use pass::eq_bytes;

/// How a parameter's value is used; numbered as v2.0.0's `ModelParamType_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Copied into a buffer of the file context, NUL-terminated.
    StringCopy = 0,
    /// Used in place (only `clientToken`, which nothing uses).
    StringInDoc = 1,
    /// An object; only its presence matters.
    Object = 2,
    /// An array; only `files`, kept for the nested search.
    Array = 3,
    /// An unsigned number, [`parse_u32`].
    UInt32 = 4,
    /// Base64, decoded into the signature buffer.
    SigBase64 = 5,
    /// Presence only: sets a flag (`self_test`).
    Ident = 6,
    /// The array's text copied as it is (`protocols`, e.g. `["MQTT","HTTP"]`).
    ArrayCopy = 7,
}

/// One parameter of the job document model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    /// The search query. Empty for the signature, whose key the application supplies
    /// (`OTA_JsonFileSignatureKey`) and the caller passes to [`find_values_into`].
    pub key: &'static [u8],
    /// A document without it is malformed.
    pub required: bool,
    /// How its value is used.
    pub kind: Kind,
    /// Whether v2.0.0 stores it in the file context (`OTA_DONT_STORE_PARAM` otherwise; `files`
    /// is not stored but kept for the nested search).
    pub stored: bool,
}

const fn p(key: &'static [u8], required: bool, kind: Kind, stored: bool) -> Param {
    Param {
        key,
        required,
        kind,
        stored,
    }
}

/// Number of parameters in the model.
pub const PARAM_COUNT: usize = 21;

/// The v2.0.0 job document model, in v2.0.0's order (which is also the order values are stored
/// and errors are reported in). Keys after `files` are also looked for in its first entry.
pub const MODEL: [Param; PARAM_COUNT] = [
    p(b"clientToken", false, Kind::StringInDoc, false),
    p(b"timestamp", false, Kind::UInt32, false),
    p(b"execution", true, Kind::Object, false),
    p(b"execution.jobId", true, Kind::StringCopy, true),
    p(b"execution.statusDetails", false, Kind::Object, false),
    p(
        b"execution.statusDetails.self_test",
        false,
        Kind::Ident,
        true,
    ),
    p(
        b"execution.statusDetails.updatedBy",
        false,
        Kind::UInt32,
        true,
    ),
    p(b"execution.jobDocument", true, Kind::Object, false),
    p(b"execution.jobDocument.afr_ota", true, Kind::Object, false),
    p(
        b"execution.jobDocument.afr_ota.streamname",
        false,
        Kind::StringCopy,
        true,
    ),
    p(
        b"execution.jobDocument.afr_ota.protocols",
        true,
        Kind::ArrayCopy,
        true,
    ),
    p(
        b"execution.jobDocument.afr_ota.files",
        true,
        Kind::Array,
        false,
    ),
    p(b"filepath", false, Kind::StringCopy, true),
    p(b"filesize", true, Kind::UInt32, true),
    p(b"fileid", true, Kind::UInt32, true),
    p(b"certfile", false, Kind::StringCopy, true),
    p(b"update_data_url", false, Kind::StringCopy, true),
    p(b"auth_scheme", false, Kind::StringCopy, true),
    p(b"", false, Kind::SigBase64, true),
    p(b"attr", false, Kind::UInt32, true),
    p(b"fileType", false, Kind::UInt32, true),
];

/// Indexes into [`MODEL`] and [`Found`].
pub(crate) mod param {
    /// `execution`
    pub const EXECUTION: usize = 2;
    /// `execution.jobId`
    pub const JOB_ID: usize = 3;
    /// `execution.statusDetails.self_test`
    pub const SELF_TEST: usize = 5;
    /// `execution.statusDetails.updatedBy`
    pub const UPDATED_BY: usize = 6;
    /// `execution.jobDocument.afr_ota.streamname`
    pub const STREAM_NAME: usize = 9;
    /// `execution.jobDocument.afr_ota.protocols`
    pub const PROTOCOLS: usize = 10;
    /// `execution.jobDocument.afr_ota.files`
    pub const FILES: usize = 11;
    /// `filepath`
    pub const FILE_PATH: usize = 12;
    /// `filesize`
    pub const FILE_SIZE: usize = 13;
    /// `fileid`
    pub const FILE_ID: usize = 14;
    /// `certfile`
    pub const CERT_FILE: usize = 15;
    /// `update_data_url`
    pub const UPDATE_DATA_URL: usize = 16;
    /// `auth_scheme`
    pub const AUTH_SCHEME: usize = 17;
    /// The application's signature key, e.g. `sig-sha256-ecdsa`.
    pub const SIGNATURE: usize = 18;
    /// `attr`
    pub const ATTRIBUTES: usize = 19;
    /// `fileType`
    pub const FILE_TYPE: usize = 20;
}

/// Bit `i` set for each required parameter `i`.
pub const REQUIRED_MASK: u32 = {
    let mut mask = 0u32;
    let mut bit = 1u32;
    let mut rest: &[Param] = &MODEL;
    while let [first, tail @ ..] = rest {
        if first.required {
            mask |= bit;
        }
        bit = bit.wrapping_shl(1);
        rest = tail;
    }
    mask
};

/// The `DocParseErr_t` errors a job document can produce in this library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocError {
    /// A value did not fit in memory from the OS interface (`DocParseErrOutOfMemory`).
    OutOfMemory,
    /// A value did not fit in the application's buffer (`DocParseErrUserBufferInsuffcient`).
    UserBufferInsufficient,
    /// The signature is not valid base64 or does not fit (`DocParseErrBase64Decode`).
    Base64Decode,
    /// A number is not an unsigned 32-bit number (`DocParseErrInvalidNumChar`).
    InvalidNumChar,
    /// The document is not valid JSON (`DocParseErr_InvalidJSONBuffer`).
    InvalidJson,
}

impl DocError {
    /// The `DocParseErr_t` value.
    pub const fn code(self) -> i32 {
        match self {
            DocError::OutOfMemory => 1,
            DocError::UserBufferInsufficient => 2,
            DocError::Base64Decode => 4,
            DocError::InvalidNumChar => 5,
            DocError::InvalidJson => 8,
        }
    }
}

/// The model's values as found in one document, each a slice of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found<'a> {
    values: [Option<&'a [u8]>; PARAM_COUNT],
    /// Bit `i` set for each parameter `i` found (v2.0.0's `paramsReceivedBitmap`).
    received: u32,
}

impl Found<'static> {
    /// No value found: what [`find_values_into`] starts from.
    pub const EMPTY: Self = Found {
        values: [None; PARAM_COUNT],
        received: 0,
    };
}

impl Default for Found<'_> {
    // The constant: one memclr where the derived default stores each value's pointer alone.
    fn default() -> Self {
        Found::EMPTY
    }
}

impl<'a> Found<'a> {
    /// The raw value of parameter `index` (see [`param`]): a string without its quotes and
    /// escapes undecoded, an object or array with its brackets, anything else as written.
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.values.get(index).copied().flatten()
    }

    /// Every parameter in model order, with its value if found.
    pub fn iter(&self) -> impl Iterator<Item = (usize, Option<&'a [u8]>)> + '_ {
        self.values.iter().copied().enumerate()
    }

    /// Bit `i` set for each required parameter `i` not found.
    pub fn missing(&self) -> u32 {
        REQUIRED_MASK & !self.received
    }

    /// Whether a required parameter is missing (v2.0.0's `DocParseErrMalformedDoc`).
    pub fn missing_required(&self) -> bool {
        self.missing() != 0
    }
}

/// Finds the model's values in the job document `doc`; `signature_key` is the application's
/// `OTA_JsonFileSignatureKey` (without its NUL).
///
/// Each parameter is looked for at its path from the document's top level; the ones after
/// `files` in the model also in the first entry of `files` when that is an array, where the top
/// level wins (`filepath` at the top level wins over one in `files`). In an object the first
/// member whose raw key (escapes undecoded) equals the key wins, and a search sees the members
/// of an object, or the elements of an array, only up to the first item that is not after a
/// comma or, in an object, not a `"key": value` pair (coreJSON's collection quirks).
///
/// The results go into the caller's `found`, which must come in empty (`Found::default()`) and
/// is left empty on error, so the agent keeps one copy of them on its stack instead of three.
pub fn find_values_into<'a>(
    doc: &'a [u8],
    signature_key: &[u8],
    found: &mut Found<'a>,
) -> Result<(), DocError> {
    debug_assert!(
        *found == Found::default(),
        "find_values_into needs an empty Found"
    );
    pass::run(doc, signature_key, found)
}

/// An unsigned 32-bit number as v2.0.0 reads one with `strtoul(text, &end, 0)` and a check that
/// `end` is the end of the value: optional leading C whitespace, an optional sign, `0x`/`0X` for
/// hex, a leading `0` for octal, else decimal, and nothing after the digits.
///
/// Refused where v2.0.0 accepted: empty text (v2.0.0 read it as 0); a negative number (strtoul
/// negates modulo 2^N, so `-1` became 0xFFFFFFFF; `-0` is still 0); and a value above
/// `u32::MAX` (v2.0.0 truncated it on 64-bit hosts and failed on 32-bit ones). A file size that
/// silently wraps is upstream #407.
pub fn parse_u32(text: &[u8]) -> Option<u32> {
    let mut rest = text;
    // C's isspace: space and \t \n \v \f \r.
    while let [b' ' | b'\t'..=b'\r', tail @ ..] = rest {
        rest = tail;
    }
    let (negative, rest) = match rest {
        [b'-', tail @ ..] => (true, tail),
        [b'+', tail @ ..] => (false, tail),
        _ => (false, rest),
    };
    // A leading 0 is octal, and `0x` hex; `0x` before a non-hex byte is octal 0 with text after
    // it, refused either way. Tested one byte after the other: less flash than one match.
    let (mut radix, mut digits) = (10, rest);
    if let [b'0', after @ ..] = rest {
        radix = 8;
        if let [b'x' | b'X', tail @ ..] = after {
            (radix, digits) = (16, tail);
        }
    }
    if digits.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &b in digits {
        // A letter is 10 and up, case aside; anything else is too big for any radix.
        let digit = match b {
            b'0'..=b'9' => b.wrapping_sub(b'0'),
            _ => (b | 0x20).wrapping_sub(b'a').saturating_add(10),
        };
        let digit = u32::from(digit);
        if digit >= radix {
            return None;
        }
        value = value.checked_mul(radix)?.checked_add(digit)?;
    }
    if negative && value != 0 {
        return None;
    }
    Some(value)
}

#[cfg(test)]
mod tests;
