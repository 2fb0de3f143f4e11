//! `OTA_*_strerror`: the name of each v2.0.0 status value, `"InvalidErrorCode"` otherwise.

use crate::sys;
use core::ffi::c_char;

/// The names given, each ended by a NUL, as one string: no table of pointers, and the lookup
/// below is not on any hot path.
macro_rules! names {
    ($($name:ident),+ $(,)?) => {
        concat!($(stringify!($name), "\0"),+)
    };
}

/// Each status type's names in value order; all of them form one string, [`NAMES`].
macro_rules! err_names {
    () => {
        names!(
            OtaErrNone,
            OtaErrUninitialized,
            OtaErrPanic,
            OtaErrInvalidArg,
            OtaErrAgentStopped,
            OtaErrSignalEventFailed,
            OtaErrRequestJobFailed,
            OtaErrInitFileTransferFailed,
            OtaErrRequestFileBlockFailed,
            OtaErrCleanupControlFailed,
            OtaErrCleanupDataFailed,
            OtaErrUpdateJobStatusFailed,
            OtaErrJobParserError,
            OtaErrInvalidDataProtocol,
            OtaErrMomentumAbort,
            OtaErrDowngradeNotAllowed,
            OtaErrSameFirmwareVersion,
            OtaErrImageStateMismatch,
            OtaErrNoActiveJob,
            OtaErrUserAbort,
            OtaErrFailedToEncodeCbor,
            OtaErrFailedToDecodeCbor,
            OtaErrActivateFailed
        )
    };
}
macro_rules! job_parse_names {
    () => {
        names!(
            OtaJobParseErrUnknown,
            OtaJobParseErrNone,
            OtaJobParseErrBusyWithExistingJob,
            OtaJobParseErrNullJob,
            OtaJobParseErrUpdateCurrentJob,
            OtaJobParseErrZeroFileSize,
            OtaJobParseErrNonConformingJobDoc,
            OtaJobParseErrBadModelInitParams,
            OtaJobParseErrNoContextAvailable,
            OtaJobParseErrNoActiveJobs
        )
    };
}
macro_rules! os_names {
    () => {
        names!(
            OtaOsSuccess,
            OtaOsEventQueueCreateFailed,
            OtaOsEventQueueSendFailed,
            OtaOsEventQueueReceiveFailed,
            OtaOsEventQueueDeleteFailed,
            OtaOsTimerCreateFailed,
            OtaOsTimerStartFailed,
            OtaOsTimerRestartFailed,
            OtaOsTimerStopFailed,
            OtaOsTimerDeleteFailed
        )
    };
}
macro_rules! pal_names {
    () => {
        names!(
            OtaPalSuccess,
            OtaPalUninitialized,
            OtaPalOutOfMemory,
            OtaPalNullFileContext,
            OtaPalSignatureCheckFailed,
            OtaPalRxFileCreateFailed,
            OtaPalRxFileTooLarge,
            OtaPalBootInfoCreateFailed,
            OtaPalBadSignerCert,
            OtaPalBadImageState,
            OtaPalAbortFailed,
            OtaPalRejectFailed,
            OtaPalCommitFailed,
            OtaPalActivateFailed,
            OtaPalFileAbort,
            OtaPalFileClose
        )
    };
}
macro_rules! mqtt_names {
    () => {
        names!(
            OtaMqttSuccess,
            OtaMqttPublishFailed,
            OtaMqttSubscribeFailed,
            OtaMqttUnsubscribeFailed
        )
    };
}
macro_rules! http_names {
    () => {
        names!(
            OtaHttpSuccess,
            OtaHttpInitFailed,
            OtaHttpDeinitFailed,
            OtaHttpRequestFailed
        )
    };
}

/// The name of a value that names no constant, as in v2.0.0.
macro_rules! invalid_name {
    () => {
        "InvalidErrorCode\0"
    };
}
const INVALID_NAME: &str = invalid_name!();

/// Every name, one status type after another, and last the name of no value, as in v2.0.0.
const NAMES: &str = concat!(
    err_names!(),
    job_parse_names!(),
    os_names!(),
    pal_names!(),
    mqtt_names!(),
    http_names!(),
    invalid_name!()
);

/// How many names a [`names!`] string holds.
const fn count(names: &str) -> u32 {
    let (mut rest, mut n) = (names.as_bytes(), 0u32);
    while let [b, tail @ ..] = rest {
        n = n.wrapping_add((*b == 0) as u32);
        rest = tail;
    }
    n
}

/// Where each type's names start in [`NAMES`], counted in names.
const JOB_PARSE: u32 = count(err_names!());
const OS: u32 = JOB_PARSE + count(job_parse_names!());
const PAL: u32 = OS + count(os_names!());
const MQTT: u32 = PAL + count(pal_names!());
const HTTP: u32 = MQTT + count(mqtt_names!());
const INVALID: u32 = HTTP + count(http_names!());

/// The name of a status whose success is 0 and whose failures run on from `first`, among the
/// `len` names from the `start`th on; values in between and past the last name no value. One
/// copy for the six types, each export only passes its constants.
#[inline(never)]
fn name(value: u32, first: u32, start: u32, len: u32) -> *const c_char {
    let index = match value {
        0 => 0,
        // No overflow: `first` is at least 1.
        v if v >= first => v.wrapping_sub(first).wrapping_add(1),
        _ => len,
    };
    let nth = if index < len {
        start.wrapping_add(index)
    } else {
        INVALID
    };
    // The first byte after the `nth` NUL (never missing: `nth` is at most INVALID's index; the
    // fallback is that name too).
    let mut left = nth;
    let at = NAMES.bytes().position(|b| {
        if left == 0 {
            return true;
        }
        // Cannot wrap: `left` is not 0.
        left = left.wrapping_sub(u32::from(b == 0));
        false
    });
    let at = at.unwrap_or(NAMES.len().wrapping_sub(INVALID_NAME.len()));
    NAMES.as_ptr().wrapping_add(at).cast::<c_char>()
}

/// Name of an `OtaErr_t` (its failures run on from 1).
#[no_mangle]
pub extern "C" fn OTA_Err_strerror(err: sys::OtaErr_t) -> *const c_char {
    name(u32::from(err), 1, 0, JOB_PARSE)
}

/// Name of an `OtaJobParseErr_t` (its values start at -1, so one up they run as `OtaErr_t`'s).
#[no_mangle]
pub extern "C" fn OTA_JobParse_strerror(err: sys::OtaJobParseErr_t) -> *const c_char {
    let value = i32::from(err).wrapping_add(1) as u32;
    name(value, 1, JOB_PARSE, OS - JOB_PARSE)
}

/// Name of an `OtaOsStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_OsStatus_strerror(status: sys::OtaOsStatus_t) -> *const c_char {
    let first = u32::from(sys::OtaOsEventQueueCreateFailed);
    name(u32::from(status), first, OS, PAL - OS)
}

/// Name of an `OtaPalMainStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_PalStatus_strerror(status: sys::OtaPalMainStatus_t) -> *const c_char {
    let first = u32::from(sys::OtaPalUninitialized);
    name(u32::from(status), first, PAL, MQTT - PAL)
}

/// Name of an `OtaMqttStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_MQTT_strerror(status: sys::OtaMqttStatus_t) -> *const c_char {
    let first = u32::from(sys::OtaMqttPublishFailed);
    name(u32::from(status), first, MQTT, HTTP - MQTT)
}

/// Name of an `OtaHttpStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_HTTP_strerror(status: sys::OtaHttpStatus_t) -> *const c_char {
    let first = u32::from(sys::OtaHttpInitFailed);
    name(u32::from(status), first, HTTP, INVALID - HTTP)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    fn s(p: *const c_char) -> &'static str {
        // SAFETY: every strerror returns a pointer to a static NUL-terminated literal.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    /// Each constant's value maps to its own name: the name strings are in value order.
    macro_rules! check_names {
        ($f:ident; $($name:ident),+) => {
            $(assert_eq!(s($f(sys::$name)), stringify!($name));)+
        };
    }

    #[test]
    fn every_error_value_has_its_constant_name() {
        check_names!(OTA_Err_strerror;
            OtaErrNone, OtaErrUninitialized, OtaErrPanic, OtaErrInvalidArg, OtaErrAgentStopped,
            OtaErrSignalEventFailed, OtaErrRequestJobFailed, OtaErrInitFileTransferFailed,
            OtaErrRequestFileBlockFailed, OtaErrCleanupControlFailed, OtaErrCleanupDataFailed,
            OtaErrUpdateJobStatusFailed, OtaErrJobParserError, OtaErrInvalidDataProtocol,
            OtaErrMomentumAbort, OtaErrDowngradeNotAllowed, OtaErrSameFirmwareVersion,
            OtaErrImageStateMismatch, OtaErrNoActiveJob, OtaErrUserAbort,
            OtaErrFailedToEncodeCbor, OtaErrFailedToDecodeCbor, OtaErrActivateFailed);
        check_names!(OTA_JobParse_strerror;
            OtaJobParseErrUnknown, OtaJobParseErrNone, OtaJobParseErrBusyWithExistingJob,
            OtaJobParseErrNullJob, OtaJobParseErrUpdateCurrentJob, OtaJobParseErrZeroFileSize,
            OtaJobParseErrNonConformingJobDoc, OtaJobParseErrBadModelInitParams,
            OtaJobParseErrNoContextAvailable, OtaJobParseErrNoActiveJobs);
        check_names!(OTA_OsStatus_strerror;
            OtaOsSuccess, OtaOsEventQueueCreateFailed, OtaOsEventQueueSendFailed,
            OtaOsEventQueueReceiveFailed, OtaOsEventQueueDeleteFailed, OtaOsTimerCreateFailed,
            OtaOsTimerStartFailed, OtaOsTimerRestartFailed, OtaOsTimerStopFailed,
            OtaOsTimerDeleteFailed);
        check_names!(OTA_PalStatus_strerror;
            OtaPalSuccess, OtaPalUninitialized, OtaPalOutOfMemory, OtaPalNullFileContext,
            OtaPalSignatureCheckFailed, OtaPalRxFileCreateFailed, OtaPalRxFileTooLarge,
            OtaPalBootInfoCreateFailed, OtaPalBadSignerCert, OtaPalBadImageState,
            OtaPalAbortFailed, OtaPalRejectFailed, OtaPalCommitFailed, OtaPalActivateFailed,
            OtaPalFileAbort, OtaPalFileClose);
        check_names!(OTA_MQTT_strerror;
            OtaMqttSuccess, OtaMqttPublishFailed, OtaMqttSubscribeFailed,
            OtaMqttUnsubscribeFailed);
        check_names!(OTA_HTTP_strerror;
            OtaHttpSuccess, OtaHttpInitFailed, OtaHttpDeinitFailed, OtaHttpRequestFailed);
    }

    #[test]
    fn values_between_success_and_the_first_failure_are_invalid_error_code() {
        assert_eq!(s(OTA_PalStatus_strerror(0xdf)), "InvalidErrorCode");
        assert_eq!(s(OTA_OsStatus_strerror(0x7f)), "InvalidErrorCode");
        assert_eq!(s(OTA_MQTT_strerror(0x9f)), "InvalidErrorCode");
        assert_eq!(s(OTA_HTTP_strerror(0xbf)), "InvalidErrorCode");
        assert_eq!(s(OTA_PalStatus_strerror(0xef)), "InvalidErrorCode");
        assert_eq!(s(OTA_Err_strerror(23)), "InvalidErrorCode");
        assert_eq!(s(OTA_JobParse_strerror(9)), "InvalidErrorCode");
        assert_eq!(s(OTA_JobParse_strerror(i32::MIN)), "InvalidErrorCode");
    }

    #[test]
    fn out_of_range_values_are_invalid_error_code() {
        assert_eq!(s(OTA_Err_strerror(9999)), "InvalidErrorCode");
        assert_eq!(s(OTA_JobParse_strerror(-7)), "InvalidErrorCode");
        assert_eq!(s(OTA_PalStatus_strerror(1)), "InvalidErrorCode");
        assert_eq!(s(OTA_OsStatus_strerror(0xffff_ffff)), "InvalidErrorCode");
        assert_eq!(s(OTA_MQTT_strerror(77)), "InvalidErrorCode");
        assert_eq!(s(OTA_HTTP_strerror(77)), "InvalidErrorCode");
    }
}
