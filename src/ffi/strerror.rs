//! `OTA_*_strerror`: the name of each v2.0.0 status value, `"InvalidErrorCode"` otherwise.

use crate::sys;
use core::ffi::c_char;

/// Maps a status value to the NUL-terminated name of the matching constant.
macro_rules! name_of {
    ($value:expr; $($name:ident),+ $(,)?) => {{
        let name: &'static str = match $value {
            $(sys::$name => concat!(stringify!($name), "\0"),)+
            _ => "InvalidErrorCode\0",
        };
        name.as_ptr().cast::<c_char>()
    }};
}

/// Name of an `OtaErr_t`.
#[no_mangle]
pub extern "C" fn OTA_Err_strerror(err: sys::OtaErr_t) -> *const c_char {
    name_of!(err;
        OtaErrNone, OtaErrUninitialized, OtaErrPanic, OtaErrInvalidArg, OtaErrAgentStopped,
        OtaErrSignalEventFailed, OtaErrRequestJobFailed, OtaErrInitFileTransferFailed,
        OtaErrRequestFileBlockFailed, OtaErrCleanupControlFailed, OtaErrCleanupDataFailed,
        OtaErrUpdateJobStatusFailed, OtaErrJobParserError, OtaErrInvalidDataProtocol,
        OtaErrMomentumAbort, OtaErrDowngradeNotAllowed, OtaErrSameFirmwareVersion,
        OtaErrImageStateMismatch, OtaErrNoActiveJob, OtaErrUserAbort, OtaErrFailedToEncodeCbor,
        OtaErrFailedToDecodeCbor, OtaErrActivateFailed)
}

/// Name of an `OtaJobParseErr_t`.
#[no_mangle]
pub extern "C" fn OTA_JobParse_strerror(err: sys::OtaJobParseErr_t) -> *const c_char {
    name_of!(err;
        OtaJobParseErrUnknown, OtaJobParseErrNone, OtaJobParseErrBusyWithExistingJob,
        OtaJobParseErrNullJob, OtaJobParseErrUpdateCurrentJob, OtaJobParseErrZeroFileSize,
        OtaJobParseErrNonConformingJobDoc, OtaJobParseErrBadModelInitParams,
        OtaJobParseErrNoContextAvailable, OtaJobParseErrNoActiveJobs)
}

/// Name of an `OtaOsStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_OsStatus_strerror(status: sys::OtaOsStatus_t) -> *const c_char {
    name_of!(status;
        OtaOsSuccess, OtaOsEventQueueCreateFailed, OtaOsEventQueueSendFailed,
        OtaOsEventQueueReceiveFailed, OtaOsEventQueueDeleteFailed, OtaOsTimerCreateFailed,
        OtaOsTimerStartFailed, OtaOsTimerRestartFailed, OtaOsTimerStopFailed,
        OtaOsTimerDeleteFailed)
}

/// Name of an `OtaPalMainStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_PalStatus_strerror(status: sys::OtaPalMainStatus_t) -> *const c_char {
    name_of!(status;
        OtaPalSuccess, OtaPalUninitialized, OtaPalOutOfMemory, OtaPalNullFileContext,
        OtaPalSignatureCheckFailed, OtaPalRxFileCreateFailed, OtaPalRxFileTooLarge,
        OtaPalBootInfoCreateFailed, OtaPalBadSignerCert, OtaPalBadImageState,
        OtaPalAbortFailed, OtaPalRejectFailed, OtaPalCommitFailed, OtaPalActivateFailed,
        OtaPalFileAbort, OtaPalFileClose)
}

/// Name of an `OtaMqttStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_MQTT_strerror(status: sys::OtaMqttStatus_t) -> *const c_char {
    name_of!(status;
        OtaMqttSuccess, OtaMqttPublishFailed, OtaMqttSubscribeFailed, OtaMqttUnsubscribeFailed)
}

/// Name of an `OtaHttpStatus_t`.
#[no_mangle]
pub extern "C" fn OTA_HTTP_strerror(status: sys::OtaHttpStatus_t) -> *const c_char {
    name_of!(status; OtaHttpSuccess, OtaHttpInitFailed, OtaHttpDeinitFailed, OtaHttpRequestFailed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    fn s(p: *const c_char) -> &'static str {
        // SAFETY: every strerror returns a pointer to a static NUL-terminated literal.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap()
    }

    #[test]
    fn every_error_value_has_its_constant_name() {
        assert_eq!(s(OTA_Err_strerror(sys::OtaErrNone)), "OtaErrNone");
        assert_eq!(
            s(OTA_Err_strerror(sys::OtaErrActivateFailed)),
            "OtaErrActivateFailed"
        );
        assert_eq!(
            s(OTA_JobParse_strerror(sys::OtaJobParseErrUnknown)),
            "OtaJobParseErrUnknown"
        );
        assert_eq!(
            s(OTA_PalStatus_strerror(sys::OtaPalFileClose)),
            "OtaPalFileClose"
        );
        assert_eq!(
            s(OTA_OsStatus_strerror(sys::OtaOsTimerDeleteFailed)),
            "OtaOsTimerDeleteFailed"
        );
        assert_eq!(
            s(OTA_MQTT_strerror(sys::OtaMqttUnsubscribeFailed)),
            "OtaMqttUnsubscribeFailed"
        );
        assert_eq!(
            s(OTA_HTTP_strerror(sys::OtaHttpRequestFailed)),
            "OtaHttpRequestFailed"
        );
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
