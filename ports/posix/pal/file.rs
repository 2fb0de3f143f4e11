//! The receive file, confined to the image folder.

use super::*;

/// Opens the folder that holds the job's file and gives the file's own name in it.
///
/// Race-resistant: the image folder is opened once, then each folder on the job's path is
/// opened relative to the one before with `O_DIRECTORY | O_NOFOLLOW`, so a symlink anywhere on
/// the path fails (`ENOTDIR`) instead of being followed, even one swapped in while this runs;
/// the `..` and absolute paths that could climb out are refused before anything is opened.
pub(super) fn open_image_folder(path: &CStr) -> Result<(Fd, Name), u32> {
    let path = path.to_bytes();
    check_image_path(path)?;
    let Some(root) = Folder::Images.path() else {
        ota_log!(
            Error,
            "No image folder: call otaPal_PosixSetImageDir or set OTA_PAL_POSIX_IMAGE_DIR."
        );
        return Err(code(libc::EPERM));
    };
    let mut dir = Fd::open_dir(root.as_c_str().ok_or(code(libc::EINVAL))?)?;
    let mut parts = path.split(|&b| b == b'/').peekable();
    while let Some(part) = parts.next() {
        let name = Name::new(part)?;
        if parts.peek().is_none() {
            return Ok((dir, name));
        }
        dir = dir.open_at(name.as_c_str(), libc::O_RDONLY | libc::O_DIRECTORY)?;
    }
    Err(code(libc::EINVAL))
}

/// [`open_image_folder`], then the checks of the file's own name that creating and reopening
/// share: `EPERM` for a name of the image state file or of the resume record (in any folder),
/// or when the file's folder is the trust store.
pub(super) fn open_receive_folder(path: &CStr) -> Result<(Fd, Name), u32> {
    let (dir, name) = open_image_folder(path)?;
    let own = name.as_c_str().to_bytes();
    if is_state_file(own) || resume::is_resume_file(own) {
        return Err(code(libc::EPERM));
    }
    let trust = Folder::Trust.path();
    let trust = trust.as_ref().and_then(PathBuf::as_c_str).map(meta_of_path);
    if let Some(Ok(trust)) = trust {
        if dir.meta()?.id == trust.id {
            ota_log!(
                Error,
                "Refused: the receive file would be in the trust store."
            );
            return Err(code(libc::EPERM));
        }
    }
    Ok((dir, name))
}

/// Creates the job's receive file as a new, empty regular file inside the image folder.
///
/// An existing regular file of that name is unlinked first and a new one created with
/// `O_CREAT | O_EXCL`, so the stream is always a file this call made: never a symlink's target,
/// a FIFO or a device, and never shared with another name (a hard link elsewhere keeps its old
/// contents). Refused with `EPERM`: no image folder configured, the file's folder is the trust
/// store, or the name of the image state file or of the resume record; `ELOOP`: the name is a
/// symlink; `EISDIR`: a folder.
pub(super) fn create_image(path: &CStr) -> Result<Stream, u32> {
    let (dir, name) = open_receive_folder(path)?;
    let name = name.as_c_str();
    match dir.meta_at(name) {
        Ok(old) if old.kind == libc::S_IFLNK => return Err(code(libc::ELOOP)),
        Ok(old) if old.kind == libc::S_IFDIR => return Err(code(libc::EISDIR)),
        Ok(old) if !old.is_file() => return Err(code(libc::EPERM)),
        Ok(_) => dir.unlink_at(name)?,
        Err(e) if e == code(libc::ENOENT) => {}
        Err(e) => return Err(e),
    }
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL;
    let file = dir.open_at(name, flags)?;
    file.into_stream(c"w+b").inspect_err(|_| {
        let _ = dir.unlink_at(name);
    })
}

/// Deletes the receive file at the job's path, but only if that name in the image folder still
/// leads to `ours`, the file this PAL created; a path that leads nowhere, or to another file,
/// counts as removed with nothing deleted.
pub(super) fn remove_image(path: &CStr, ours: Identity) -> Result<(), u32> {
    let (dir, name) = match open_image_folder(path) {
        Ok(found) => found,
        Err(e) if e == code(libc::ENOENT) => return Ok(()),
        Err(e) => return Err(e),
    };
    let name = name.as_c_str();
    match dir.meta_at(name) {
        Ok(now) if now.id == ours => dir.unlink_at(name),
        Ok(_) => Ok(()),
        Err(e) if e == code(libc::ENOENT) => Ok(()),
        Err(e) => Err(e),
    }
}
