//! The PAL: a small flash that checks every write, close and image-state change.

use super::*;

// ---- PAL ------------------------------------------------------------------------------------

/// The PAL's file handle: any address the agent can compare.
pub(super) static mut FILE_HANDLE: u8 = 0;

pub(crate) fn file_handle() -> *mut sys::FILE {
    // Only the address is taken, never a reference.
    addr_of_mut!(FILE_HANDLE).cast()
}

pub(crate) fn pal_ok() -> sys::OtaPalStatus_t {
    sys::OtaPalSuccess as sys::OtaPalStatus_t
}

/// OTA_PAL_COMBINE_ERR(e, 0): the main status sits in the top bits.
pub(crate) fn pal_err(e: u32) -> sys::OtaPalStatus_t {
    (e << sys::OTA_PAL_SUB_BITS) as sys::OtaPalStatus_t
}

pub(crate) fn c_text(p: *const u8) -> Vec<u8> {
    if p.is_null() {
        Vec::new()
    } else {
        // SAFETY: the file context's text fields are NUL-terminated (v2.0.0's document model).
        unsafe { CStr::from_ptr(p.cast()) }.to_bytes().to_vec()
    }
}

pub(crate) fn context<'a>(
    ctx: *mut sys::OtaFileContext_t,
    what: &str,
) -> &'a mut sys::OtaFileContext_t {
    assert!(!ctx.is_null(), "{what} with a NULL file context");
    // SAFETY: the agent passes its file context, valid for the call.
    unsafe { &mut *ctx }
}

pub(crate) fn created_from(c: &sys::OtaFileContext_t) -> Created {
    Created {
        path: c_text(c.pFilePath),
        cert: c_text(c.pCertFilepath),
        stream: c_text(c.pStreamName),
        size: c.fileSize,
        file_id: c.serverFileID,
    }
}

pub(super) extern "C" fn pal_create(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.createFile");
    let file = created_from(c);
    with(|w| {
        if w.faults.take("pal_create") || file.size > FLASH_MAX || file.size == 0 {
            return pal_err(sys::OtaPalRxFileCreateFailed);
        }
        w.written = vec![false; file.size.div_ceil(BLOCK) as usize];
        w.created = Some(file);
        resume::created(w, c);
        c.pFile = file_handle();
        pal_ok()
    })
}

pub(super) extern "C" fn pal_write(
    ctx: *mut sys::OtaFileContext_t,
    offset: u32,
    data: *mut u8,
    size: u32,
) -> i16 {
    let c = context(ctx, "pal.writeBlock");
    assert!(
        c.pFile == file_handle(),
        "pal.writeBlock to a file the PAL did not open"
    );
    assert!(!data.is_null(), "pal.writeBlock from NULL");
    // SAFETY: the agent passes `size` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(data, size as usize) };
    with(|w| {
        let file = w.created.as_ref().expect("a created file");
        assert!(
            offset.is_multiple_of(BLOCK)
                && size > 0
                && size <= BLOCK
                && u64::from(offset) + u64::from(size) <= u64::from(file.size),
            "pal.writeBlock of {size} bytes at {offset} into a {}-byte file",
            file.size
        );
        let _ = bytes.iter().fold(0u8, |a, &b| a ^ b);
        if w.faults.take("pal_write") {
            return if w.faults.take("pal_write") {
                -1
            } else {
                (size - 1) as i16
            };
        }
        w.written[(offset / BLOCK) as usize] = true;
        resume::wrote(w, (offset / BLOCK) as usize);
        size as i16
    })
}

pub(super) extern "C" fn pal_close(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.closeFile");
    assert!(
        c.pFile == file_handle(),
        "pal.closeFile of a file the PAL did not open"
    );
    let now = created_from(c);
    with(|w| {
        let file = w.created.take().expect("a created file");
        assert_eq!(
            now, file,
            "pal.closeFile sees another file than pal.createFile made"
        );
        let whole = resume::close(w);
        if !whole || w.faults.take("pal_close") {
            pal_err(sys::OtaPalSignatureCheckFailed)
        } else {
            pal_ok()
        }
    })
}

pub(super) extern "C" fn pal_abort(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = context(ctx, "pal.abort");
    with(|w| {
        if !c.pFile.is_null() {
            assert!(
                c.pFile == file_handle(),
                "pal.abort of a file the PAL did not open"
            );
            w.created = None;
        }
        resume::aborted(w);
        c.pFile = null_mut();
        if w.faults.take("pal_abort") {
            pal_err(sys::OtaPalFileAbort)
        } else {
            pal_ok()
        }
    })
}

pub(super) extern "C" fn pal_activate(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.activate");
    with(|w| {
        if w.faults.take("pal_activate") {
            pal_err(sys::OtaPalActivateFailed)
        } else {
            // The device reboots into the new image, which then waits for its self test.
            w.rebooting = true;
            w.platform_state = sys::OtaPalImageStatePendingCommit;
            pal_ok()
        }
    })
}

pub(super) extern "C" fn pal_reset(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.reset");
    with(|w| {
        if w.faults.take("pal_reset") {
            // A reset that returns has failed; the agent carries on.
            pal_err(sys::OtaPalActivateFailed)
        } else {
            // The device reboots at the next idle point (the agent is stopped and started).
            w.rebooting = true;
            pal_ok()
        }
    })
}

pub(super) extern "C" fn pal_set_state(
    ctx: *mut sys::OtaFileContext_t,
    state: sys::OtaImageState_t,
) -> sys::OtaPalStatus_t {
    let _ = context(ctx, "pal.setPlatformImageState");
    assert!(
        (sys::OtaImageStateUnknown..=sys::OtaImageStateAborted).contains(&state),
        "image state {state}"
    );
    with(|w| {
        if w.faults.take("pal_set_state") {
            pal_err(sys::OtaPalBadImageState)
        } else {
            pal_ok()
        }
    })
}

pub(super) extern "C" fn pal_get_state(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalImageState_t {
    let _ = context(ctx, "pal.getPlatformImageState");
    with(|w| {
        if w.faults.take("pal_get_state") {
            sys::OtaPalImageStateInvalid
        } else {
            w.platform_state
        }
    })
}
