//! The agent's C API (`ota.h`): check and convert arguments, call `crate::agent`.

use crate::agent;
use crate::sys;
use core::ffi::c_void;

/// `OTA_Init`: start the agent with the application's buffers, interfaces and thing name.
///
/// # Safety
/// `pOtaBuffer` is NULL or a valid `OtaAppBuffer_t` whose buffers stay valid while the agent
/// runs; `pOtaInterfaces` stays valid and readable until `OTA_Shutdown` completes;
/// `pThingName` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn OTA_Init(
    pOtaBuffer: *mut sys::OtaAppBuffer_t,
    pOtaInterfaces: *mut sys::OtaInterfaces_t,
    pThingName: *const u8,
    OtaAppCallback: sys::OtaAppCallback_t,
) -> sys::OtaErr_t {
    // SAFETY: per the contract, a non-NULL buffer description is a valid OtaAppBuffer_t.
    let buffers = unsafe { pOtaBuffer.as_ref() };
    let thing = if pThingName.is_null() {
        None
    } else {
        // SAFETY: per the contract, a non-NULL thing name is NUL-terminated.
        Some(unsafe { super::until_nul(pThingName) })
    };
    agent::init(buffers, pOtaInterfaces, thing, OtaAppCallback)
}

/// `OTA_Shutdown`: signal the agent to stop and wait up to `ticksToWait` polls.
#[no_mangle]
pub extern "C" fn OTA_Shutdown(ticksToWait: u32) -> sys::OtaState_t {
    agent::shutdown(ticksToWait)
}

/// `OTA_GetState`.
#[no_mangle]
pub extern "C" fn OTA_GetState() -> sys::OtaState_t {
    agent::state()
}

/// `OTA_ActivateNewImage`: ask the PAL to boot the new image.
#[no_mangle]
pub extern "C" fn OTA_ActivateNewImage() -> sys::OtaErr_t {
    agent::activate_new_image()
}

/// `OTA_SetImageState`: accept, reject or abort the image under test.
#[no_mangle]
pub extern "C" fn OTA_SetImageState(state: sys::OtaImageState_t) -> sys::OtaErr_t {
    agent::set_image_state(state)
}

/// `OTA_GetImageState`.
#[no_mangle]
pub extern "C" fn OTA_GetImageState() -> sys::OtaImageState_t {
    agent::image_state()
}

/// `OTA_CheckForUpdate`: ask the service for the next job.
#[no_mangle]
pub extern "C" fn OTA_CheckForUpdate() -> sys::OtaErr_t {
    agent::check_for_update()
}

/// `OTA_Suspend`.
#[no_mangle]
pub extern "C" fn OTA_Suspend() -> sys::OtaErr_t {
    agent::suspend()
}

/// `OTA_Resume`.
#[no_mangle]
pub extern "C" fn OTA_Resume() -> sys::OtaErr_t {
    agent::resume()
}

/// `OTA_EventProcessingTask`: the agent task's body; returns when the agent stops.
#[no_mangle]
pub extern "C" fn OTA_EventProcessingTask(pUnused: *mut c_void) {
    let _ = pUnused;
    agent::event_processing_task();
}

/// `OTA_SignalEvent`: queue an event for the agent task.
///
/// # Safety
/// `pEventMsg` is NULL or a valid `OtaEventMsg_t`; its `pEventData`, if any, stays valid until
/// the agent reports `OtaJobEventProcessed` for it.
#[no_mangle]
pub unsafe extern "C" fn OTA_SignalEvent(pEventMsg: *const sys::OtaEventMsg_t) -> bool {
    // SAFETY: per the contract, a non-NULL message is a valid OtaEventMsg_t.
    match unsafe { pEventMsg.as_ref() } {
        Some(msg) => agent::signal_event(msg),
        None => false,
    }
}

/// `OTA_GetStatistics`.
///
/// # Safety
/// `pStatistics` is NULL or valid for writing one `OtaAgentStatistics_t`.
#[no_mangle]
pub unsafe extern "C" fn OTA_GetStatistics(
    pStatistics: *mut sys::OtaAgentStatistics_t,
) -> sys::OtaErr_t {
    // SAFETY: per the contract, a non-NULL pointer is writable.
    match unsafe { pStatistics.as_mut() } {
        Some(out) => {
            *out = agent::statistics();
            sys::OtaErrNone
        }
        None => sys::OtaErrInvalidArg,
    }
}
