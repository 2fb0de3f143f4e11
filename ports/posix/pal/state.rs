//! The image state file, which outlives the process so a restart finds an image pending commit.

use super::*;

/// A NUL-terminated path built on the stack.
#[derive(Clone, Copy)]
pub(super) struct PathBuf {
    buf: [u8; PATH_MAX_LEN],
    len: usize,
}

impl PathBuf {
    pub(super) const fn new() -> PathBuf {
        PathBuf {
            buf: [0; PATH_MAX_LEN],
            len: 0,
        }
    }

    /// `bytes` as a path; `None` when they do not fit with their NUL.
    pub(super) fn from_bytes(bytes: &[u8]) -> Option<PathBuf> {
        let mut path = PathBuf::new();
        path.push(bytes)?;
        Some(path)
    }

    pub(super) fn push(&mut self, part: &[u8]) -> Option<()> {
        let end = self.len.checked_add(part.len())?;
        // Keep a byte for the NUL.
        self.buf.get_mut(self.len..end)?.copy_from_slice(part);
        *self.buf.get_mut(end)? = 0;
        self.len = end;
        Some(())
    }

    pub(super) fn as_c_str(&self) -> Option<&CStr> {
        CStr::from_bytes_with_nul(self.buf.get(..=self.len)?).ok()
    }
}

/// `$OTA_PAL_POSIX_STATE_DIR/PlatformImageState.txt` plus `suffix`, or the name alone (the
/// working directory) when the variable is unset or empty; `None` when it does not fit.
pub(super) fn state_path(suffix: &[u8]) -> Option<PathBuf> {
    let mut path = PathBuf::new();
    // SAFETY: getenv returns NULL or a NUL-terminated string owned by the environment, which
    // is copied out before anything else runs in this thread.
    let dir = unsafe { libc::getenv(STATE_DIR_ENV.as_ptr()) };
    if !dir.is_null() {
        // SAFETY: non-NULL, so a NUL-terminated string (above).
        let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
        if !dir.is_empty() {
            path.push(dir)?;
            if !dir.ends_with(b"/") {
                path.push(b"/")?;
            }
        }
    }
    path.push(STATE_FILE_NAME.as_bytes())?;
    path.push(suffix)?;
    Some(path)
}

/// Records `state` durably: written to a temporary file, synced, then renamed over the state
/// file, so a crash leaves the old state or the new one, never a torn file.
pub(super) fn write_state(state: sys::OtaImageState_t) -> Result<(), u32> {
    let (Some(tmp), Some(path)) = (state_path(b".tmp"), state_path(b"")) else {
        ota_log!(
            Error,
            "Image state file path is longer than ",
            u(PATH_MAX_LEN),
            " bytes"
        );
        return Err(0);
    };
    let (Some(tmp), Some(path)) = (tmp.as_c_str(), path.as_c_str()) else {
        return Err(0);
    };
    let written = Stream::open(tmp, c"wb").and_then(|mut file| {
        file.write_all(&state.to_ne_bytes())?;
        file.sync()?;
        file.close()
    });
    let result = written.and_then(|()| rename_file(tmp, path));
    if let Err(e) = result {
        ota_log!(
            Error,
            "Unable to write image state file ",
            s(path),
            ": errno=",
            u(e)
        );
        let _ = remove_file(tmp);
    }
    result
}

/// The state recorded by [`write_state`], as the agent asks for it.
pub(super) fn read_state() -> sys::OtaPalImageState_t {
    let Some(path) = state_path(b"") else {
        ota_log!(
            Error,
            "Image state file path is longer than ",
            u(PATH_MAX_LEN),
            " bytes"
        );
        return sys::OtaPalImageStateInvalid;
    };
    let Some(path) = path.as_c_str() else {
        return sys::OtaPalImageStateInvalid;
    };
    let mut file = match Stream::open(path, c"rb") {
        Ok(file) => file,
        // Never written: the image running is the factory image.
        Err(e) if e == u32::try_from(libc::ENOENT).unwrap_or(0) => {
            return sys::OtaPalImageStateValid
        }
        Err(e) => {
            ota_log!(
                Error,
                "Unable to open image state file ",
                s(path),
                ": errno=",
                u(e)
            );
            return sys::OtaPalImageStateInvalid;
        }
    };
    let mut bytes = [0u8; core::mem::size_of::<sys::OtaImageState_t>()];
    let read = file.read(&mut bytes);
    let closed = file.close();
    match (read, closed) {
        (Ok(n), Ok(())) if n == bytes.len() => {
            pal_state_of(sys::OtaImageState_t::from_ne_bytes(bytes))
        }
        _ => {
            ota_log!(Error, "Failed to read image state file ", s(path));
            sys::OtaPalImageStateInvalid
        }
    }
}

/// What the platform reports for the last state the agent set.
pub(super) fn pal_state_of(state: sys::OtaImageState_t) -> sys::OtaPalImageState_t {
    match state {
        sys::OtaImageStateTesting => sys::OtaPalImageStatePendingCommit,
        sys::OtaImageStateAccepted => sys::OtaPalImageStateValid,
        _ => sys::OtaPalImageStateInvalid,
    }
}
