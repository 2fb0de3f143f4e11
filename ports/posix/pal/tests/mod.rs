//! Tests of the POSIX PAL with real keys: every key is made at test time, every certificate is
//! self-signed for it here, and every image is signed here, so no path is "always valid". Each
//! test that touches the PAL's configuration or image state takes [`pal`] first; files live in
//! folders of their own under `std::env::temp_dir()`.

use super::trust::*;
use super::*;
use std::collections::hash_map::RandomState;
use std::ffi::CString;
use std::hash::{BuildHasher, Hasher};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf as StdPathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};
use std::{fs, process};

use p256::ecdsa::signature::Signer;
use p256::ecdsa::SigningKey;

const BLOCK: usize = 4096;

/// The PAL keeps its configuration and image state in process-wide places, so its tests take
/// turns.
static SERIAL: Mutex<()> = Mutex::new(());
static STATE_DIR: Once = Once::new();
static NEXT_SCRATCH: AtomicUsize = AtomicUsize::new(0);

const ROOT_PREFIX: &str = "ota-rs-pal-posix-";

/// This test process's folder; nothing else writes in it.
fn test_root() -> StdPathBuf {
    std::env::temp_dir().join(format!("{ROOT_PREFIX}{}", process::id()))
}

fn state_dir() -> StdPathBuf {
    test_root().join("state")
}

/// Folders of earlier test processes that have exited.
fn remove_stale_roots() {
    for old in fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = old.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(ROOT_PREFIX)) else {
            continue;
        };
        let Ok(pid) = pid.parse::<libc::pid_t>() else {
            continue;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        if !alive {
            let _ = fs::remove_dir_all(old.path());
        }
    }
}

/// The PAL with nothing configured: no folder set, no certificate given, no environment.
fn reset_config() {
    std::env::remove_var("OTA_PAL_POSIX_IMAGE_DIR");
    std::env::remove_var("OTA_PAL_POSIX_TRUST_DIR");
    assert_eq!(set_image_dir(None), 0);
    assert_eq!(set_trust_store(None), 0);
    otaPal_PosixClearTrustedCertificates();
}

/// Takes the PAL for one test: its state file in this process's folder, nothing configured.
fn pal() -> MutexGuard<'static, ()> {
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    STATE_DIR.call_once(|| {
        remove_stale_roots();
        fs::create_dir_all(state_dir()).unwrap();
        std::env::set_var("OTA_PAL_POSIX_STATE_DIR", state_dir());
    });
    reset_config();
    guard
}

/// A fresh folder for one test's files, removed when the test ends.
struct Scratch(StdPathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let n = NEXT_SCRATCH.fetch_add(1, Ordering::Relaxed);
    let dir = test_root().join(format!("{name}-{n}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_encoded_bytes()).unwrap()
}

fn set_image_dir(dir: Option<&Path>) -> sys::OtaPalStatus_t {
    let dir = dir.map(c_path);
    unsafe { otaPal_PosixSetImageDir(dir.as_ref().map_or(ptr::null(), |d| d.as_ptr())) }
}

fn set_trust_store(dir: Option<&Path>) -> sys::OtaPalStatus_t {
    let dir = dir.map(c_path);
    unsafe { otaPal_PosixSetTrustStore(dir.as_ref().map_or(ptr::null(), |d| d.as_ptr())) }
}

fn add_certificate(name: &str, pem: &[u8]) -> sys::OtaPalStatus_t {
    let name = CString::new(name).unwrap();
    unsafe { otaPal_PosixAddTrustedCertificate(name.as_ptr(), pem.as_ptr(), pem.len()) }
}

/// A device's folders: `images` (configured image folder), `trust` (configured trust store)
/// and `outside`, which no job may reach.
struct Device {
    dir: Scratch,
    images: StdPathBuf,
    trust: StdPathBuf,
    outside: StdPathBuf,
}

impl Device {
    fn new(name: &str) -> Device {
        let dir = scratch(name);
        let device = Device {
            images: dir.join("images"),
            trust: dir.join("trust"),
            outside: dir.join("outside"),
            dir,
        };
        for folder in [&device.images, &device.trust, &device.outside] {
            fs::create_dir(folder).unwrap();
        }
        assert_eq!(set_image_dir(Some(&device.images)), 0);
        assert_eq!(set_trust_store(Some(&device.trust)), 0);
        device
    }

    /// A file outside the device's folders that must survive every refused job.
    fn victim(&self) -> StdPathBuf {
        let victim = self.outside.join("victim.bin");
        fs::write(&victim, b"precious").unwrap();
        victim
    }
}

fn assert_intact(victim: &Path) {
    assert_eq!(
        fs::read(victim).unwrap(),
        b"precious",
        "{}",
        victim.display()
    );
}

/// A new P-256 key from OS randomness (std seeds `RandomState` from it).
fn new_key() -> SigningKey {
    loop {
        let mut seed = Sha256::new();
        for _ in 0..4 {
            seed.update(RandomState::new().build_hasher().finish().to_ne_bytes());
        }
        if let Ok(key) = SigningKey::from_slice(&seed.finalize()) {
            return key;
        }
    }
}

// A few DER encoders, enough to write X.509 certificates by hand (RFC 5280, section 4.1), so
// the tests need no certificate crate (whose alloc and std would reach the library's build).

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    der(0x30, &parts.concat())
}

fn bit_string(bytes: &[u8]) -> Vec<u8> {
    der(0x03, &[&[0u8][..], bytes].concat())
}

const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_PRIME256V1: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_SECP384R1: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
const OID_ECDSA_WITH_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_COMMON_NAME: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x03];

fn spki(algorithm: &[&[u8]], key: &[u8]) -> Vec<u8> {
    sequence(&[&sequence(algorithm), &bit_string(key)])
}

fn p256_spki(key: &SigningKey) -> Vec<u8> {
    let point = key.verifying_key().to_encoded_point(false);
    spki(&[OID_EC_PUBLIC_KEY, OID_PRIME256V1], point.as_bytes())
}

/// A v3 certificate for the SubjectPublicKeyInfo `subject`, signed by `issuer`
/// (ecdsa-with-SHA256), as PEM.
fn certificate_pem(issuer: &SigningKey, subject: Vec<u8>) -> String {
    let name = sequence(&[&der(
        0x31,
        &sequence(&[OID_COMMON_NAME, &der(0x0c, b"ota-rs PAL test signer")]),
    )]);
    let algorithm = sequence(&[OID_ECDSA_WITH_SHA256]);
    let validity = sequence(&[&der(0x17, b"250101000000Z"), &der(0x17, b"491231235959Z")]);
    let tbs = sequence(&[
        &der(0xa0, &der(0x02, &[2])),
        &der(0x02, &[0x01, 0x23, 0x45]),
        &algorithm,
        &name,
        &validity,
        &name,
        &subject,
    ]);
    let signature: Signature = issuer.sign(&tbs);
    let cert = sequence(&[&tbs, &algorithm, &bit_string(signature.to_der().as_bytes())]);
    let mut pem = vec![0u8; 4096];
    let len = pem_rfc7468::encode("CERTIFICATE", pem_rfc7468::LineEnding::LF, &cert, &mut pem)
        .unwrap()
        .len();
    pem.truncate(len);
    String::from_utf8(pem).unwrap()
}

fn self_signed_pem(key: &SigningKey) -> String {
    certificate_pem(key, p256_spki(key))
}

fn sign(key: &SigningKey, data: &[u8]) -> Vec<u8> {
    let sig: Signature = key.sign(data);
    sig.to_der().as_bytes().to_vec()
}

fn sig256(der: &[u8]) -> sys::Sig256_t {
    let mut sig = sys::Sig256_t {
        size: u16::try_from(der.len()).unwrap(),
        ..Default::default()
    };
    sig.data[..der.len()].copy_from_slice(der);
    sig
}

fn payload(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// One download as the agent drives it: the file path, certificate name and signature a job
/// would carry, as the agent hands them to the PAL.
struct Job {
    image: CString,
    cert: CString,
    sig: sys::Sig256_t,
    ctx: sys::OtaFileContext_t,
}

impl Job {
    fn new(image: &str, cert: &str, sig_der: &[u8]) -> Box<Job> {
        Job::with(image.as_bytes(), cert.as_bytes(), sig_der)
    }

    fn with(image: &[u8], cert: &[u8], sig_der: &[u8]) -> Box<Job> {
        let mut job = Box::new(Job {
            image: CString::new(image).unwrap(),
            cert: CString::new(cert).unwrap(),
            sig: sig256(sig_der),
            ctx: sys::OtaFileContext_t::default(),
        });
        job.ctx.pFilePath = job.image.as_ptr() as *mut u8;
        job.ctx.pCertFilepath = job.cert.as_ptr() as *mut u8;
        job.ctx.pSignature = &mut job.sig;
        job
    }

    fn ctx(&mut self) -> *mut sys::OtaFileContext_t {
        &mut self.ctx
    }

    fn create(&mut self) -> sys::OtaPalStatus_t {
        unsafe { otaPal_CreateFileForRx(self.ctx()) }
    }

    fn write(&mut self, offset: usize, data: &[u8]) -> i16 {
        let mut copy = data.to_vec();
        unsafe {
            otaPal_WriteBlock(
                self.ctx(),
                u32::try_from(offset).unwrap(),
                copy.as_mut_ptr(),
                u32::try_from(copy.len()).unwrap(),
            )
        }
    }

    /// Writes `data` in blocks, in the order given by block index.
    fn receive(&mut self, data: &[u8], order: impl IntoIterator<Item = usize>) {
        assert_eq!(self.create(), 0);
        for index in order {
            let start = index * BLOCK;
            let block = &data[start..data.len().min(start + BLOCK)];
            assert_eq!(self.write(start, block), block.len() as i16);
        }
    }

    fn close(&mut self) -> sys::OtaPalStatus_t {
        let status = unsafe { otaPal_CloseFile(self.ctx()) };
        assert!(
            self.ctx.pFile.is_null(),
            "CloseFile leaves no stream behind"
        );
        status
    }
}

fn blocks(len: usize) -> usize {
    len.div_ceil(BLOCK)
}

fn pal_state() -> sys::OtaPalImageState_t {
    otaPal_GetPlatformImageState(ptr::null_mut())
}

fn set_state(state: sys::OtaImageState_t) -> sys::OtaPalStatus_t {
    otaPal_SetPlatformImageState(ptr::null_mut(), state)
}

/// Signs `data` with a new key, puts its certificate in the device's trust store as
/// `signer.pem`, and runs a whole download into `images/image.bin`.
struct Signed {
    device: Device,
    key: SigningKey,
    data: Vec<u8>,
    cert: StdPathBuf,
    image: StdPathBuf,
}

impl Signed {
    fn new(name: &str, len: usize) -> Signed {
        let device = Device::new(name);
        let key = new_key();
        let cert = device.trust.join("signer.pem");
        fs::write(&cert, self_signed_pem(&key)).unwrap();
        Signed {
            image: device.images.join("image.bin"),
            data: payload(len),
            device,
            key,
            cert,
        }
    }

    fn job(&self) -> Box<Job> {
        Job::new("image.bin", "signer.pem", &sign(&self.key, &self.data))
    }

    fn job_with_cert(&self, cert: &str) -> Box<Job> {
        Job::new("image.bin", cert, &sign(&self.key, &self.data))
    }

    fn job_with_signature(&self, sig_der: &[u8]) -> Box<Job> {
        Job::new("image.bin", "signer.pem", sig_der)
    }
}

fn status(main: sys::OtaPalMainStatus, sub: u32) -> sys::OtaPalStatus_t {
    (main << 24) | sub
}

/// What a close with no usable signer certificate returns.
fn bad_signer_cert() -> sys::OtaPalStatus_t {
    status(sys::OtaPalBadSignerCert, 0)
}

/// An errno as the PAL's sub-status.
fn sub(e: libc::c_int) -> u32 {
    u32::try_from(e).unwrap()
}

/// What a refused create (or reopen) returns for `e`.
fn create_failed(e: libc::c_int) -> sys::OtaPalStatus_t {
    status(sys::OtaPalRxFileCreateFailed, sub(e))
}

/// A failed check: the status, the image state Aborted, the received file gone.
fn assert_rejected(signed: &Signed, job: &mut Job, expected: sys::OtaPalMainStatus) {
    assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
    job.receive(&signed.data, 0..blocks(signed.data.len()));
    assert_eq!(job.close(), status(expected, 0));
    assert!(!signed.image.exists(), "a rejected image is deleted");
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);
}

mod files;
mod image_folder;
mod reboot;
mod signature;
mod trust_store;
