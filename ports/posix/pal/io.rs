//! libc for the POSIX PAL: errno, C strings, stdio streams, file descriptors and paths.

use super::*;

/// This thread's `errno` as a PAL sub-code.
pub(super) fn errno() -> u32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: returns the address of this thread's errno, valid for the thread's lifetime.
    let value: c_int = unsafe { *libc::__errno_location() };
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    // SAFETY: as above (these systems name the function `__error`).
    let value: c_int = unsafe { *libc::__error() };
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )))]
    let value: c_int = 0;
    u32::try_from(value).unwrap_or(0) & sys::OTA_PAL_ERR_MASK
}

/// `errno`, or `fallback` when the failed call left it at 0 (a short `fwrite` may).
pub(super) fn errno_or(fallback: c_int) -> u32 {
    match errno() {
        0 => u32::try_from(fallback).unwrap_or(0),
        e => e,
    }
}

/// The NUL-terminated string the agent keeps at `ptr`: within `max` bytes when the application
/// gave the buffer (`max` is its size), else an allocated string of any length.
///
/// # Safety
/// `ptr` is NULL, or points to `max` readable bytes (`max` > 0), or to a NUL-terminated string.
pub(super) unsafe fn context_string<'a>(ptr: *const u8, max: u16) -> Option<&'a CStr> {
    if ptr.is_null() {
        return None;
    }
    if max == 0 {
        // SAFETY: the caller promises a NUL-terminated string at `ptr`.
        return Some(unsafe { CStr::from_ptr(ptr.cast::<c_char>()) });
    }
    // SAFETY: the caller promises `max` readable bytes at `ptr`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, usize::from(max)) };
    CStr::from_bytes_until_nul(bytes).ok()
}

/// A C stdio stream, closed when dropped.
pub(super) struct Stream(NonNull<libc::FILE>);

impl Stream {
    pub(super) fn open(path: &CStr, mode: &CStr) -> Result<Stream, u32> {
        // SAFETY: both arguments are NUL-terminated strings that outlive the call.
        let fp = unsafe { libc::fopen(path.as_ptr(), mode.as_ptr()) };
        NonNull::new(fp).map(Stream).ok_or_else(errno)
    }

    /// Takes over the stream a file context holds (`None` for NULL).
    ///
    /// # Safety
    /// `fp` is NULL or a stream from `fopen` that nothing else closes while this value lives,
    /// unless it is wrapped in `ManuallyDrop` (a borrow).
    pub(super) unsafe fn adopt(fp: *mut sys::FILE) -> Option<Stream> {
        NonNull::new(fp.cast::<libc::FILE>()).map(Stream)
    }

    /// The identity and type of the open file.
    pub(super) fn meta(&self) -> Result<Meta, u32> {
        // SAFETY: an open stream; fileno only reads its descriptor.
        let fd = ManuallyDrop::new(Fd(unsafe { libc::fileno(self.0.as_ptr()) }));
        fd.meta()
    }

    /// Hands the stream back to C, still open.
    pub(super) fn into_raw(self) -> *mut sys::FILE {
        let this = ManuallyDrop::new(self);
        this.0.as_ptr().cast::<sys::FILE>()
    }

    pub(super) fn seek(&mut self, offset: u64) -> Result<(), u32> {
        let offset = libc::off_t::try_from(offset).map_err(|_| errno_or(libc::EOVERFLOW))?;
        // SAFETY: an open stream; fseeko accepts any offset and reports failure.
        match unsafe { libc::fseeko(self.0.as_ptr(), offset, libc::SEEK_SET) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }

    pub(super) fn write_all(&mut self, data: &[u8]) -> Result<(), u32> {
        // SAFETY: `data` is readable for its length; the stream is open.
        let n = unsafe { libc::fwrite(data.as_ptr().cast(), 1, data.len(), self.0.as_ptr()) };
        if n == data.len() {
            Ok(())
        } else {
            Err(errno_or(libc::EIO))
        }
    }

    /// Fills as much of `buf` as the stream has left; fewer bytes only at end of file.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> Result<usize, u32> {
        // SAFETY: `buf` is writable for its length; the stream is open.
        let n = unsafe { libc::fread(buf.as_mut_ptr().cast(), 1, buf.len(), self.0.as_ptr()) };
        // SAFETY: an open stream.
        if n < buf.len() && unsafe { libc::ferror(self.0.as_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        Ok(n.min(buf.len()))
    }

    /// Pushes buffered data to the file and the file to the disk.
    pub(super) fn sync(&mut self) -> Result<(), u32> {
        // SAFETY: an open stream.
        if unsafe { libc::fflush(self.0.as_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: an open stream has a valid descriptor, which fsync only flushes.
        if unsafe { libc::fsync(libc::fileno(self.0.as_ptr())) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        Ok(())
    }

    pub(super) fn close(self) -> Result<(), u32> {
        let fp = self.into_raw().cast::<libc::FILE>();
        // SAFETY: an open stream, closed once (into_raw disarmed the drop).
        match unsafe { libc::fclose(fp) } {
            0 => Ok(()),
            _ => Err(errno_or(libc::EIO)),
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: an open stream, closed once; nothing to report on this path.
        let _ = unsafe { libc::fclose(self.0.as_ptr()) };
    }
}

/// Removes a file; one that is already gone counts as removed.
pub(super) fn remove_file(path: &CStr) -> Result<(), u32> {
    // SAFETY: a NUL-terminated path that outlives the call.
    if unsafe { libc::unlink(path.as_ptr()) } == 0 {
        return Ok(());
    }
    match errno() {
        e if e == u32::try_from(libc::ENOENT).unwrap_or(0) => Ok(()),
        e => Err(e),
    }
}

pub(super) fn rename_file(from: &CStr, to: &CStr) -> Result<(), u32> {
    // SAFETY: NUL-terminated paths that outlive the call.
    match unsafe { libc::rename(from.as_ptr(), to.as_ptr()) } {
        0 => Ok(()),
        _ => Err(errno_or(libc::EIO)),
    }
}

/// An `errno` constant as a PAL sub-code.
pub(super) fn code(e: c_int) -> u32 {
    u32::try_from(e).unwrap_or(0) & sys::OTA_PAL_ERR_MASK
}

/// Which file a name leads to: two names of one file have the same identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Identity {
    dev: libc::dev_t,
    ino: libc::ino_t,
}

/// What this PAL needs of a `struct stat`.
#[derive(Clone, Copy)]
pub(super) struct Meta {
    pub(super) id: Identity,
    pub(super) kind: libc::mode_t,
    /// Names the file has (`st_nlink`).
    pub(super) links: u64,
    /// Size in bytes (`st_size`; 0 if negative).
    pub(super) size: u64,
}

impl Meta {
    pub(super) fn of(st: &libc::stat) -> Meta {
        Meta {
            id: Identity {
                dev: st.st_dev,
                ino: st.st_ino,
            },
            kind: st.st_mode & libc::S_IFMT,
            links: u64::from(st.st_nlink),
            size: u64::try_from(st.st_size).unwrap_or(0),
        }
    }

    pub(super) fn is_file(self) -> bool {
        self.kind == libc::S_IFREG
    }
}

/// `stat` of the path the device configured (symlinks followed: the path is the device's).
pub(super) fn meta_of_path(path: &CStr) -> Result<Meta, u32> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: a NUL-terminated path and room for one `struct stat`.
    if unsafe { libc::stat(path.as_ptr(), st.as_mut_ptr()) } != 0 {
        return Err(errno_or(libc::EIO));
    }
    // SAFETY: stat returned 0, so it filled `st`.
    Ok(Meta::of(unsafe { st.assume_init_ref() }))
}

/// An open file descriptor, closed when dropped.
pub(super) struct Fd(pub(super) c_int);

impl Fd {
    pub(super) fn checked(fd: c_int) -> Result<Fd, u32> {
        if fd < 0 {
            Err(errno_or(libc::EIO))
        } else {
            Ok(Fd(fd))
        }
    }

    /// Opens a folder the device configured, following symlinks on its path.
    pub(super) fn open_dir(path: &CStr) -> Result<Fd, u32> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: a NUL-terminated path that outlives the call; no mode without O_CREAT.
        Fd::checked(unsafe { libc::open(path.as_ptr(), flags) })
    }

    /// Opens `name` in this folder with `flags`, never through a symlink: `name` has no `/`
    /// (see [`plain_name`]) and `O_NOFOLLOW` refuses a symlink as the last component.
    pub(super) fn open_at(&self, name: &CStr, flags: c_int) -> Result<Fd, u32> {
        let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let mode: libc::c_uint = 0o666;
        // SAFETY: an open descriptor and a NUL-terminated name; the mode is read with O_CREAT.
        Fd::checked(unsafe { libc::openat(self.0, name.as_ptr(), flags, mode) })
    }

    pub(super) fn meta(&self) -> Result<Meta, u32> {
        let mut st = MaybeUninit::<libc::stat>::uninit();
        // SAFETY: an open descriptor and room for one `struct stat`.
        if unsafe { libc::fstat(self.0, st.as_mut_ptr()) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: fstat returned 0, so it filled `st`.
        Ok(Meta::of(unsafe { st.assume_init_ref() }))
    }

    /// `stat` of the entry `name` in this folder itself (a symlink is reported as one).
    pub(super) fn meta_at(&self, name: &CStr) -> Result<Meta, u32> {
        let mut st = MaybeUninit::<libc::stat>::uninit();
        let flags = libc::AT_SYMLINK_NOFOLLOW;
        // SAFETY: an open descriptor, a NUL-terminated name and room for one `struct stat`.
        if unsafe { libc::fstatat(self.0, name.as_ptr(), st.as_mut_ptr(), flags) } != 0 {
            return Err(errno_or(libc::EIO));
        }
        // SAFETY: fstatat returned 0, so it filled `st`.
        Ok(Meta::of(unsafe { st.assume_init_ref() }))
    }

    /// Removes the entry `name` of this folder (never what a symlink points to); an entry that
    /// is already gone counts as removed.
    pub(super) fn unlink_at(&self, name: &CStr) -> Result<(), u32> {
        // SAFETY: an open descriptor and a NUL-terminated name.
        if unsafe { libc::unlinkat(self.0, name.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        match errno() {
            e if e == code(libc::ENOENT) => Ok(()),
            e => Err(e),
        }
    }

    /// Fills as much of `buf` as the file has; fewer bytes only at end of file.
    pub(super) fn read(&self, buf: &mut [u8]) -> Result<usize, u32> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            // SAFETY: an open descriptor; `rest` is writable for its length.
            let n = unsafe { libc::read(self.0, rest.as_mut_ptr().cast(), rest.len()) };
            match usize::try_from(n) {
                Ok(0) => break,
                Ok(n) => done = done.saturating_add(n).min(buf.len()),
                Err(_) if errno() == code(libc::EINTR) => {}
                Err(_) => return Err(errno_or(libc::EIO)),
            }
        }
        Ok(done)
    }

    /// A stdio stream on this descriptor (`fdopen`), which then owns it.
    pub(super) fn into_stream(self, mode: &CStr) -> Result<Stream, u32> {
        // SAFETY: an open descriptor and a NUL-terminated mode; on success the stream owns the
        // descriptor, so this value must not close it (ManuallyDrop below).
        let fp = unsafe { libc::fdopen(self.0, mode.as_ptr()) };
        let stream = NonNull::new(fp)
            .map(Stream)
            .ok_or_else(|| errno_or(libc::ENOMEM))?;
        let _ = ManuallyDrop::new(self);
        Ok(stream)
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: an open descriptor, closed once; nothing to report on this path.
        let _ = unsafe { libc::close(self.0) };
    }
}
