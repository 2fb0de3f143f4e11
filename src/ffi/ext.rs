//! The extensions' C API (`ota_ext.h`, not part of v2.0.0).

use crate::resume;
use crate::sys;

/// `OTA_EXT_SetResume`: register the application's resume table, or NULL to unregister.
///
/// # Safety
/// `pResume` is NULL or a valid `OtaResumeInterface_t` that, with its record buffer, stays
/// valid and unchanged while it is registered.
#[no_mangle]
pub unsafe extern "C" fn OTA_EXT_SetResume(
    pResume: *const sys::OtaResumeInterface_t,
) -> sys::OtaErr_t {
    // SAFETY: per the contract, a non-NULL pointer is a valid OtaResumeInterface_t.
    if let Some(t) = unsafe { pResume.as_ref() } {
        let complete = t.save.is_some()
            && t.load.is_some()
            && t.erase.is_some()
            && t.reopenFile.is_some()
            && !t.pRecordBuffer.is_null()
            && t.recordBufferSize >= sys::OTA_EXT_RESUME_RECORD_FIXED_SIZE;
        if !complete {
            return sys::OtaErrInvalidArg;
        }
    }
    resume::register(pResume);
    sys::OtaErrNone
}
