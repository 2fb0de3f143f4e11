//! The device's configuration: image folder, trust store folder, certificates given at start-up.

use super::*;

/// One certificate the application gave: its name and its P-256 key.
#[derive(Clone, Copy)]
pub(super) struct TrustedCert {
    name: [u8; CERT_NAME_MAX],
    len: usize,
    key: VerifyingKey,
}

impl TrustedCert {
    pub(super) fn name(&self) -> &[u8] {
        self.name.get(..self.len).unwrap_or(&[])
    }
}

/// What the application set; `None` folders fall back to the environment.
pub(super) struct Config {
    image_dir: Option<PathBuf>,
    trust_dir: Option<PathBuf>,
    pub(super) certs: [Option<TrustedCert>; TRUSTED_CERTS_MAX],
}

pub(super) struct Shared {
    mutex: UnsafeCell<libc::pthread_mutex_t>,
    config: UnsafeCell<Config>,
}

// SAFETY: `config` is reached only through a `ConfigGuard`, which exists only while the current
// thread holds `mutex`; a pthread mutex is made to be shared between threads.
unsafe impl Sync for Shared {}

pub(super) const NO_CERT: Option<TrustedCert> = None;

pub(super) static SHARED: Shared = Shared {
    mutex: UnsafeCell::new(libc::PTHREAD_MUTEX_INITIALIZER),
    config: UnsafeCell::new(Config {
        image_dir: None,
        trust_dir: None,
        certs: [NO_CERT; TRUSTED_CERTS_MAX],
    }),
};

/// Proof that this thread holds `SHARED.mutex`; unlocks when dropped. Values are copied out
/// under it and used after it is gone: nothing slow or foreign runs while it is held.
pub(super) struct ConfigGuard {
    _private: (),
}

pub(super) fn lock_config() -> Option<ConfigGuard> {
    // SAFETY: a statically initialised mutex that lives forever.
    match unsafe { libc::pthread_mutex_lock(SHARED.mutex.get()) } {
        0 => Some(ConfigGuard { _private: () }),
        _ => None,
    }
}

impl ConfigGuard {
    pub(super) fn config(&mut self) -> &mut Config {
        // SAFETY: the guard proves this thread holds the mutex, and `&mut self` keeps this the
        // only reference for as long as it lives.
        unsafe { &mut *SHARED.config.get() }
    }
}

impl Drop for ConfigGuard {
    fn drop(&mut self) {
        // SAFETY: this thread locked the mutex when it made the guard.
        let _ = unsafe { libc::pthread_mutex_unlock(SHARED.mutex.get()) };
    }
}

/// The two folders the device configures.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Folder {
    Images,
    Trust,
}

impl Folder {
    pub(super) fn env(self) -> &'static CStr {
        match self {
            Folder::Images => IMAGE_DIR_ENV,
            Folder::Trust => TRUST_DIR_ENV,
        }
    }

    pub(super) fn slot(self, config: &mut Config) -> &mut Option<PathBuf> {
        match self {
            Folder::Images => &mut config.image_dir,
            Folder::Trust => &mut config.trust_dir,
        }
    }

    /// The folder's path: the one the application set, else the environment variable's (read
    /// at each use), else none.
    pub(super) fn path(self) -> Option<PathBuf> {
        let set = *self.slot(lock_config()?.config());
        if set.is_some() {
            return set;
        }
        // SAFETY: getenv returns NULL or a NUL-terminated string owned by the environment, which
        // is copied out before anything else runs in this thread.
        let dir = unsafe { libc::getenv(self.env().as_ptr()) };
        if dir.is_null() {
            return None;
        }
        // SAFETY: non-NULL, so a NUL-terminated string (above).
        let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
        if dir.is_empty() {
            return None;
        }
        PathBuf::from_bytes(dir)
    }

    /// Sets (a path) or resets (NULL) the folder, once it opens as a folder.
    ///
    /// # Safety
    /// `dir` is NULL or a NUL-terminated string.
    pub(super) unsafe fn set(self, dir: *const c_char) -> Result<(), u32> {
        let path = if dir.is_null() {
            None
        } else {
            // SAFETY: non-NULL, so NUL-terminated (the caller's contract).
            let dir = unsafe { CStr::from_ptr(dir) }.to_bytes();
            if dir.is_empty() {
                return Err(code(libc::EINVAL));
            }
            let path = PathBuf::from_bytes(dir).ok_or(code(libc::ENAMETOOLONG))?;
            let c_path = path.as_c_str().ok_or(code(libc::EINVAL))?;
            // Opened now so that a wrong folder shows at start-up, not at the first job.
            Fd::open_dir(c_path)?;
            Some(path)
        };
        let mut guard = lock_config().ok_or(code(libc::EAGAIN))?;
        *self.slot(guard.config()) = path;
        Ok(())
    }
}

/// The key of the certificate the application gave under `name`.
pub(super) fn given_certificate(name: &[u8]) -> Option<VerifyingKey> {
    let mut guard = lock_config()?;
    let certs = &guard.config().certs;
    certs
        .iter()
        .flatten()
        .find(|c| c.name() == name)
        .map(|c| c.key)
}

/// Adds (or replaces, by name) a certificate given by the application.
pub(super) fn add_certificate(name: &[u8], key: VerifyingKey) -> Result<(), u32> {
    let mut cert = TrustedCert {
        name: [0; CERT_NAME_MAX],
        len: name.len(),
        key,
    };
    cert.name
        .get_mut(..name.len())
        .ok_or(code(libc::ENAMETOOLONG))?
        .copy_from_slice(name);
    let mut guard = lock_config().ok_or(code(libc::EAGAIN))?;
    let certs = &mut guard.config().certs;
    let same = certs
        .iter()
        .position(|c| c.is_some_and(|c| c.name() == name));
    let slot = same.or_else(|| certs.iter().position(Option::is_none));
    let slot = slot
        .and_then(|i| certs.get_mut(i))
        .ok_or(code(libc::ENOSPC))?;
    *slot = Some(cert);
    Ok(())
}
