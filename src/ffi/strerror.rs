//! `OTA_*_strerror`: the name of each v2.0.0 status value, `"InvalidErrorCode"` otherwise.

use crate::sys;
use core::ffi::c_char;

/// Returned for a value that names no constant, as in v2.0.0.
const INVALID: &str = "InvalidErrorCode\0";

/// The names of one status type in value order, each ended by a NUL, as one string: no table of
/// pointers, and the lookup below is not on any hot path.
macro_rules! names {
    ($($name:ident),+ $(,)?) => {
        concat!($(stringify!($name), "\0"),+)
    };
}

/// The `index`th name of `names` (see [`names!`]), or [`INVALID`] past the last.
fn nth(names: &'static str, index: u32) -> *const c_char {
    let mut rest = names.as_bytes();
    for _ in 0..index {
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            break;
        };
        rest = rest.get(end.saturating_add(1)..).unwrap_or(&[]);
    }
    let name = if rest.is_empty() {
        INVALID.as_bytes()
    } else {
        rest
    };
    name.as_ptr().cast::<c_char>()
}

/// The name of a status whose success is 0 and whose failures run on from `first`; values in
/// between index past every name. One copy for the four interface status types.
#[inline(never)]
fn status_name(names: &'static str, value: u32, first: u32) -> *const c_char {
    let index = match value {
        0 => 0,
        v if v >= first => v.wrapping_sub(first).saturating_add(1),
        _ => u32::MAX,
    };
    nth(names, index)
}

/// Name of an `OtaErr_t`.
#[no_mangle]
pub extern "C" fn OTA_Err_strerror(err: sys::OtaErr_t) -> *const c_char {
    let names = names!(
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
    );
    nth(names, u32::from(err))
}

/// Name of an `OtaJobParseErr_t` (its values start at -1).
#[no_mangle]
pub extern "C" fn OTA_JobParse_strerror(err: sys::OtaJobParseErr_t) -> *const c_char {
    let names = names!(
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
    );
    nth(names, i32::from(err).wrapping_add(1) as u32)
}

/// Name of an `OtaOsStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_OsStatus_strerror(status: sys::OtaOsStatus_t) -> *const c_char {
    let names = names!(
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
    );
    let first = u32::from(sys::OtaOsEventQueueCreateFailed);
    status_name(names, u32::from(status), first)
}

/// Name of an `OtaPalMainStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_PalStatus_strerror(status: sys::OtaPalMainStatus_t) -> *const c_char {
    let names = names!(
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
    );
    let first = u32::from(sys::OtaPalUninitialized);
    status_name(names, u32::from(status), first)
}

/// Name of an `OtaMqttStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_MQTT_strerror(status: sys::OtaMqttStatus_t) -> *const c_char {
    let names = names!(
        OtaMqttSuccess,
        OtaMqttPublishFailed,
        OtaMqttSubscribeFailed,
        OtaMqttUnsubscribeFailed
    );
    let first = u32::from(sys::OtaMqttPublishFailed);
    status_name(names, u32::from(status), first)
}

/// Name of an `OtaHttpStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_HTTP_strerror(status: sys::OtaHttpStatus_t) -> *const c_char {
    let names = names!(
        OtaHttpSuccess,
        OtaHttpInitFailed,
        OtaHttpDeinitFailed,
        OtaHttpRequestFailed
    );
    let first = u32::from(sys::OtaHttpInitFailed);
    status_name(names, u32::from(status), first)
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
