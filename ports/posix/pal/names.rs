//! What a job may name: plain certificate names and image paths inside the image folder.

use super::*;

/// A name a job may use for one folder entry: 1 to `max` bytes, not `.` or `..`, no path
/// separator (`/`, `\`), no control character. (NUL cannot occur: it ends the C string.)
pub(super) fn plain_name(name: &[u8], max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&b| b != b'/' && b != b'\\' && b >= 0x20 && b != 0x7f)
}

/// A job's `certfile`: one plain name of at most [`CERT_NAME_MAX`] bytes.
pub(super) fn plain_cert_name(name: &[u8]) -> bool {
    plain_name(name, CERT_NAME_MAX)
}

/// Why a job's `filepath` is refused before anything is opened: `EINVAL` for an absolute path,
/// an empty, `.` or `..` component, a `\` or a control character; `ENAMETOOLONG` when the path
/// or one component is too long.
pub(super) fn check_image_path(path: &[u8]) -> Result<(), u32> {
    if path.len() >= PATH_MAX_LEN {
        return Err(code(libc::ENAMETOOLONG));
    }
    for part in path.split(|&b| b == b'/') {
        if part.len() > NAME_MAX {
            return Err(code(libc::ENAMETOOLONG));
        }
        // An absolute path starts with an empty component.
        if !plain_name(part, NAME_MAX) {
            return Err(code(libc::EINVAL));
        }
    }
    Ok(())
}

/// One path component, NUL-terminated, for the `*at` calls.
pub(super) struct Name {
    buf: [u8; NAME_MAX + 1],
}

impl Name {
    pub(super) fn new(part: &[u8]) -> Result<Name, u32> {
        let mut name = Name {
            buf: [0; NAME_MAX + 1],
        };
        name.buf
            .get_mut(..part.len())
            .ok_or(code(libc::ENAMETOOLONG))?
            .copy_from_slice(part);
        Ok(name)
    }

    pub(super) fn as_c_str(&self) -> &CStr {
        CStr::from_bytes_until_nul(&self.buf).unwrap_or(c"")
    }
}

/// True for the names of the image state file, which a job must not overwrite or delete.
pub(super) fn is_state_file(name: &[u8]) -> bool {
    let state = STATE_FILE_NAME.as_bytes();
    name == state || name.strip_prefix(state) == Some(b".tmp")
}
