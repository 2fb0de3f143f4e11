//! Tests of the POSIX PAL with real keys: every key is made at test time, every certificate is
//! self-signed for it here, and every image is signed here, so no path is "always valid". Each
//! test that touches the PAL's configuration or image state takes [`pal`] first; files live in
//! folders of their own under `std::env::temp_dir()`.

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

/// A failed check: the status, the image state Aborted, the received file gone.
fn assert_rejected(signed: &Signed, job: &mut Job, expected: sys::OtaPalMainStatus) {
    assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
    job.receive(&signed.data, 0..blocks(signed.data.len()));
    assert_eq!(job.close(), status(expected, 0));
    assert!(!signed.image.exists(), "a rejected image is deleted");
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);
}

#[test]
fn good_signature_passes_and_leaves_the_image_pending_commit() {
    let _pal = pal();
    let signed = Signed::new("good", 3 * BLOCK + 100);
    let mut job = signed.job();
    job.receive(&signed.data, 0..4);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
    assert_eq!(pal_state(), sys::OtaPalImageStatePendingCommit);
}

#[test]
fn tampered_byte_fails_signature_check_and_deletes_the_file() {
    let _pal = pal();
    let mut signed = Signed::new("tampered", 2 * BLOCK);
    let mut job = signed.job();
    signed.data[BLOCK + 17] ^= 0x01;
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);
}

#[test]
fn missing_last_byte_fails_signature_check() {
    let _pal = pal();
    let mut signed = Signed::new("truncated", BLOCK + 1);
    let mut job = signed.job();
    signed.data.pop();
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);
}

#[test]
fn certificate_of_another_key_fails_signature_check() {
    let _pal = pal();
    let signed = Signed::new("other-key", 1000);
    let other = signed.device.trust.join("other.pem");
    fs::write(&other, self_signed_pem(&new_key())).unwrap();
    let mut job = signed.job_with_cert("other.pem");
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);
}

#[test]
fn missing_certificate_is_a_bad_signer_cert() {
    let _pal = pal();
    let signed = Signed::new("no-cert", 1000);
    let mut job = signed.job_with_cert("absent.pem");
    assert_rejected(&signed, &mut job, sys::OtaPalBadSignerCert);
}

#[test]
fn unreadable_certificate_path_is_a_bad_signer_cert() {
    let _pal = pal();
    let signed = Signed::new("cert-dir", 1000);
    // A folder opens on Linux but is not a regular file.
    fs::create_dir(signed.device.trust.join("folder.pem")).unwrap();
    let mut job = signed.job_with_cert("folder.pem");
    assert_rejected(&signed, &mut job, sys::OtaPalBadSignerCert);
    let mut job = signed.job();
    job.ctx.pCertFilepath = ptr::null_mut();
    assert_rejected(&signed, &mut job, sys::OtaPalBadSignerCert);
}

#[test]
fn garbage_certificates_are_bad_signer_certs() {
    let _pal = pal();
    let signed = Signed::new("garbage-cert", 1000);
    let good = self_signed_pem(&signed.key);
    let body_start = good.find('\n').unwrap() + 1;
    let mut flipped = good.clone().into_bytes();
    // A base64 character of the signed part changed: still PEM, no longer this certificate.
    flipped[body_start + 200] = if flipped[body_start + 200] == b'A' {
        b'B'
    } else {
        b'A'
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("text", b"not a certificate at all\n".to_vec()),
        ("binary", payload(700)),
        ("der-not-pem", signed.data.clone()),
        ("bad-base64", good.replace("MI", "**").into_bytes()),
        (
            "key-label",
            good.replace("CERTIFICATE", "PUBLIC KEY").into_bytes(),
        ),
        (
            "no-end",
            good.replace("-----END CERTIFICATE-----", "").into_bytes(),
        ),
        (
            "not-x509",
            b"-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n".to_vec(),
        ),
        ("truncated", {
            let lines: Vec<&str> = good.lines().collect();
            let mut short = lines[..lines.len() - 3].join("\n");
            short.push_str("\n-----END CERTIFICATE-----\n");
            short.into_bytes()
        }),
        ("oversized", {
            let mut big = vec![b'#'; CERT_PEM_MAX];
            big.extend_from_slice(good.as_bytes());
            big
        }),
    ];
    for (name, contents) in cases {
        let path = signed.device.trust.join(format!("{name}.pem"));
        fs::write(&path, &contents).unwrap();
        let mut job = signed.job_with_cert(&format!("{name}.pem"));
        assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
        job.receive(&signed.data, 0..1);
        assert_eq!(
            job.close(),
            status(sys::OtaPalBadSignerCert, 0),
            "certificate case {name}"
        );
        assert!(!signed.image.exists(), "{name}");
        assert_eq!(pal_state(), sys::OtaPalImageStateInvalid, "{name}");
    }
    // The flipped certificate still decodes to some key (or none); either way no match.
    let path = signed.device.trust.join("flipped.pem");
    fs::write(&path, &flipped).unwrap();
    let mut job = signed.job_with_cert("flipped.pem");
    job.receive(&signed.data, 0..1);
    assert_ne!(job.close(), 0);
    assert!(!signed.image.exists());
}

#[test]
fn certificate_without_a_p256_key_is_a_bad_signer_cert() {
    let _pal = pal();
    let signed = Signed::new("not-p256", 1000);
    let mut p384_point = vec![0x04];
    p384_point.extend_from_slice(&payload(96));
    let subjects = [
        (
            "p384",
            spki(&[OID_EC_PUBLIC_KEY, OID_SECP384R1], &p384_point),
        ),
        ("ed25519", spki(&[OID_ED25519], &payload(32))),
        (
            "p256-off-curve",
            spki(&[OID_EC_PUBLIC_KEY, OID_PRIME256V1], &[4u8; 65]),
        ),
        ("p256-no-curve", spki(&[OID_EC_PUBLIC_KEY], &[4u8; 65])),
    ];
    for (name, spki) in subjects {
        // Issued by the image's own signing key, so only the subject key is wrong.
        let path = signed.device.trust.join(format!("{name}.pem"));
        fs::write(&path, certificate_pem(&signed.key, spki)).unwrap();
        let mut job = signed.job_with_cert(&format!("{name}.pem"));
        job.receive(&signed.data, 0..1);
        assert_eq!(job.close(), status(sys::OtaPalBadSignerCert, 0), "{name}");
        assert!(!signed.image.exists(), "{name}");
    }
}

#[test]
fn certificate_with_text_around_it_and_crlf_lines_is_accepted() {
    let _pal = pal();
    let signed = Signed::new("cert-text", 5000);
    let pem = self_signed_pem(&signed.key);
    let variants = [
        format!("Certificate:\n    Data: (as openssl x509 -text prints)\n{pem}trailing words\n"),
        pem.replace('\n', "\r\n"),
        format!("{pem}{}", self_signed_pem(&new_key())),
    ];
    for (i, text) in variants.iter().enumerate() {
        fs::write(&signed.cert, text).unwrap();
        let mut job = signed.job();
        job.receive(&signed.data, [1, 0]);
        assert_eq!(job.close(), 0, "variant {i}");
    }
}

#[test]
fn empty_null_and_oversized_signatures_fail_signature_check() {
    let _pal = pal();
    let signed = Signed::new("no-sig", 1000);
    let mut job = signed.job_with_signature(&[]);
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);

    let mut job = signed.job();
    job.ctx.pSignature = ptr::null_mut();
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);

    let mut job = signed.job();
    job.sig.size = 257;
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);
}

#[test]
fn malformed_der_signatures_fail_signature_check() {
    let _pal = pal();
    let signed = Signed::new("bad-der", 1000);
    let good = sign(&signed.key, &signed.data);
    let raw: Signature = signed.key.sign(&signed.data);
    let mut trailing = good.clone();
    trailing.push(0);
    let mut bad_tag = good.clone();
    bad_tag[0] = 0x31;
    let mut long_len = good.clone();
    long_len[1] = long_len[1].wrapping_add(1);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("raw-r-s", raw.to_bytes().to_vec()),
        ("truncated", good[..good.len() - 1].to_vec()),
        ("trailing-byte", trailing),
        ("set-tag", bad_tag),
        ("length", long_len),
        ("random", payload(72)),
        ("zeros", vec![0; 8]),
        (
            "zero-r-s",
            vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00],
        ),
    ];
    for (name, der) in cases {
        let mut job = signed.job_with_signature(&der);
        assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
        job.receive(&signed.data, 0..1);
        assert_eq!(
            job.close(),
            status(sys::OtaPalSignatureCheckFailed, 0),
            "{name}"
        );
        assert!(!signed.image.exists(), "{name}");
        assert_eq!(pal_state(), sys::OtaPalImageStateInvalid, "{name}");
    }
}

#[test]
fn high_s_signature_verifies_as_with_openssl() {
    let _pal = pal();
    let signed = Signed::new("high-s", 2000);
    let sig: Signature = signed.key.sign(&signed.data);
    let (r, s) = sig.split_scalars();
    let flipped = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    let mut job = signed.job_with_signature(flipped.to_der().as_bytes());
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
}

#[test]
fn large_file_written_out_of_order_verifies() {
    let _pal = pal();
    let signed = Signed::new("large", 5 * 1024 * 1024 + 1234);
    let n = blocks(signed.data.len());
    // A stride coprime with n visits every block once, far from in order, last block early.
    let order: Vec<usize> = (0..n).map(|i| (i * 7919 + n - 1) % n).collect();
    assert_eq!(order[0], n - 1);
    let mut job = signed.job();
    job.receive(&signed.data, order);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
    assert_eq!(pal_state(), sys::OtaPalImageStatePendingCommit);
}

#[test]
fn duplicate_and_overlapping_blocks_keep_the_last_write() {
    let _pal = pal();
    let signed = Signed::new("duplicates", 3 * BLOCK);
    let mut job = signed.job();
    assert_eq!(job.create(), 0);
    assert_eq!(job.write(BLOCK, &[0xee; BLOCK]), BLOCK as i16);
    for index in [2, 1, 0, 1] {
        let block = &signed.data[index * BLOCK..(index + 1) * BLOCK];
        assert_eq!(job.write(index * BLOCK, block), BLOCK as i16);
    }
    assert_eq!(job.close(), 0);
}

#[test]
fn write_block_reports_bytes_written_or_minus_one() {
    let _pal = pal();
    let _device = Device::new("write");
    let mut job = Job::new("image.bin", "c.pem", &[]);
    // No file open yet.
    assert_eq!(job.write(0, b"abc"), -1);
    assert_eq!(job.create(), 0);
    assert_eq!(job.write(10, b"abc"), 3);
    assert_eq!(job.write(0, b""), 0);
    let null = unsafe { otaPal_WriteBlock(job.ctx(), 0, ptr::null_mut(), 4) };
    assert_eq!(null, -1);
    let no_ctx = unsafe { otaPal_WriteBlock(ptr::null_mut(), 0, b"x".as_ptr() as *mut u8, 1) };
    assert_eq!(no_ctx, -1);
    // A block of 32 KiB or more still reads as written, never as a negative error.
    assert_eq!(job.write(0, &vec![7u8; 40000]), i16::MAX);
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
}

#[test]
fn abort_closes_and_removes_the_partial_file() {
    let _pal = pal();
    let signed = Signed::new("abort", 3 * BLOCK);
    let mut job = signed.job();
    job.receive(&signed.data, [2, 0]);
    assert!(signed.image.exists());
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert!(job.ctx.pFile.is_null());
    assert!(!signed.image.exists());
    // Again, with nothing open: success, nothing touched.
    fs::write(&signed.image, b"someone else's file").unwrap();
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert!(signed.image.exists());
    assert_eq!(
        unsafe { otaPal_Abort(ptr::null_mut()) },
        status(sys::OtaPalFileAbort, 0)
    );
}

#[test]
fn abort_after_the_file_vanished_still_succeeds() {
    let _pal = pal();
    let signed = Signed::new("abort-gone", 100);
    let mut job = signed.job();
    job.receive(&signed.data, [0]);
    fs::remove_file(&signed.image).unwrap();
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
}

#[test]
fn create_fails_cleanly_for_bad_paths() {
    let _pal = pal();
    let device = Device::new("create");
    let enoent = u32::try_from(libc::ENOENT).unwrap();
    let eisdir = u32::try_from(libc::EISDIR).unwrap();
    let failed = |sub| status(sys::OtaPalRxFileCreateFailed, sub);

    let mut job = Job::new("no/such/folder/image.bin", "c.pem", &[]);
    assert_eq!(job.create(), failed(enoent));
    assert!(job.ctx.pFile.is_null());

    fs::create_dir(device.images.join("folder")).unwrap();
    let mut job = Job::new("folder", "c.pem", &[]);
    assert_eq!(job.create(), failed(eisdir));
    assert!(device.images.join("folder").is_dir());

    let mut job = Job::new("", "c.pem", &[]);
    assert_eq!(job.create(), failed(0));

    job.ctx.pFilePath = ptr::null_mut();
    assert_eq!(job.create(), failed(0));

    assert_eq!(
        unsafe { otaPal_CreateFileForRx(ptr::null_mut()) },
        failed(0)
    );

    // An application-given path buffer with no NUL inside it.
    let mut unterminated = *b"image.bin";
    job.ctx.pFilePath = unterminated.as_mut_ptr();
    job.ctx.filePathMaxSize = unterminated.len() as u16;
    assert_eq!(job.create(), failed(0));

    // A path buffer the application gave, NUL inside: created.
    let mut path = b"buffered.bin\0".to_vec();
    path.resize(path.len() + 20, b'x');
    job.ctx.pFilePath = path.as_mut_ptr();
    job.ctx.filePathMaxSize = path.len() as u16;
    assert_eq!(job.create(), 0);
    assert!(device.images.join("buffered.bin").exists());
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert!(!device.images.join("buffered.bin").exists());
}

#[test]
fn create_truncates_an_existing_file() {
    let _pal = pal();
    let signed = Signed::new("truncate", 100);
    fs::write(&signed.image, vec![1u8; 10_000]).unwrap();
    let mut job = signed.job();
    job.receive(&signed.data, [0]);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
}

#[test]
fn close_file_without_a_context_or_an_open_file() {
    let _pal = pal();
    assert_eq!(
        unsafe { otaPal_CloseFile(ptr::null_mut()) },
        status(sys::OtaPalFileClose, 0)
    );
    let signed = Signed::new("close-no-file", 100);
    fs::write(&signed.image, &signed.data).unwrap();
    let mut job = signed.job();
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    assert!(
        signed.image.exists(),
        "a file this PAL did not open is left alone"
    );
}

#[test]
fn image_state_is_recorded_per_the_sdk_mapping() {
    let _pal = pal();
    let path = state_dir().join(STATE_FILE_NAME);
    let _ = fs::remove_file(&path);
    assert_eq!(
        pal_state(),
        sys::OtaPalImageStateValid,
        "no state file: factory image"
    );
    for (set, expected) in [
        (
            sys::OtaImageStateTesting,
            sys::OtaPalImageStatePendingCommit,
        ),
        (sys::OtaImageStateAccepted, sys::OtaPalImageStateValid),
        (sys::OtaImageStateRejected, sys::OtaPalImageStateInvalid),
        (sys::OtaImageStateAborted, sys::OtaPalImageStateInvalid),
    ] {
        assert_eq!(set_state(set), 0);
        // The SDK's file format: the C enum's bytes.
        assert_eq!(fs::read(&path).unwrap(), set.to_ne_bytes());
        assert_eq!(pal_state(), expected);
    }
    for bad in [
        sys::OtaImageStateUnknown,
        sys::OtaLastImageState + 1,
        u32::MAX,
    ] {
        assert_eq!(set_state(bad), status(sys::OtaPalBadImageState, 0));
        assert_eq!(
            fs::read(&path).unwrap(),
            sys::OtaImageStateAborted.to_ne_bytes()
        );
    }
    // A file the SDK's PAL wrote reads the same; a short or junk file is Invalid.
    fs::write(&path, sys::OtaImageStateAccepted.to_ne_bytes()).unwrap();
    assert_eq!(pal_state(), sys::OtaPalImageStateValid);
    fs::write(&path, [1u8, 0]).unwrap();
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);
    fs::write(&path, 77u32.to_ne_bytes()).unwrap();
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);
    assert!(!state_dir().join("PlatformImageState.txt.tmp").exists());
}

#[test]
fn image_state_file_location_follows_the_environment() {
    let _pal = pal();
    let other = scratch("state-env");
    let restore = std::env::var_os("OTA_PAL_POSIX_STATE_DIR");

    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", format!("{}/", other.display()));
    assert_eq!(set_state(sys::OtaImageStateTesting), 0);
    assert!(other.join(STATE_FILE_NAME).exists());

    // A folder that does not exist: the error and errno come back, nothing is recorded.
    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", other.join("missing"));
    let enoent = u32::try_from(libc::ENOENT).unwrap();
    assert_eq!(
        set_state(sys::OtaImageStateAccepted),
        status(sys::OtaPalBadImageState, enoent)
    );
    assert_eq!(pal_state(), sys::OtaPalImageStateValid, "no file there");

    // A path too long to name: refused, and the state reads Invalid.
    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", "d/".repeat(300));
    assert_eq!(
        set_state(sys::OtaImageStateAccepted),
        status(sys::OtaPalBadImageState, 0)
    );
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);

    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", restore.unwrap());
    assert_eq!(
        fs::read(other.join(STATE_FILE_NAME)).unwrap(),
        sys::OtaImageStateTesting.to_ne_bytes()
    );
}

/// Run only as the child of `image_state_survives_a_process_restart`.
#[test]
#[ignore = "run by image_state_survives_a_process_restart in a new process"]
fn child_reports_image_state() {
    let expected: u32 = std::env::var("OTA_PAL_TEST_EXPECT")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(pal_state(), expected);
    assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
}

#[test]
fn image_state_survives_a_process_restart() {
    let _pal = pal();
    let dir = scratch("restart");
    let signed = Signed::new("restart-image", 3000);
    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", &*dir);
    let mut job = signed.job();
    job.receive(&signed.data, [0]);
    let closed = job.close();
    std::env::set_var("OTA_PAL_POSIX_STATE_DIR", state_dir());
    assert_eq!(closed, 0);

    // A new process (this test binary again) sees the verified image pending commit and
    // accepts it; the process after that sees it valid.
    for expected in [
        sys::OtaPalImageStatePendingCommit,
        sys::OtaPalImageStateValid,
    ] {
        let out = process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "pal_posix::tests::child_reports_image_state"])
            .args(["--ignored", "--test-threads=1"])
            .env("OTA_PAL_POSIX_STATE_DIR", &*dir)
            .env("OTA_PAL_TEST_EXPECT", expected.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "child failed: {stdout}");
        assert!(stdout.contains("1 passed"), "child ran no test: {stdout}");
    }
}

#[test]
fn activate_and_reset_return_success_and_change_nothing() {
    let _pal = pal();
    assert_eq!(set_state(sys::OtaImageStateTesting), 0);
    assert_eq!(otaPal_ActivateNewImage(ptr::null_mut()), 0);
    assert_eq!(otaPal_ResetDevice(ptr::null_mut()), 0);
    assert_eq!(pal_state(), sys::OtaPalImageStatePendingCommit);
}

#[test]
fn pal_provides_the_sdk_signature_key_name() {
    assert_eq!(signature_key_name(), c"sig-sha256-ecdsa");
    assert_eq!(
        crate::sys::shim::json_file_signature_key(),
        Some(&b"sig-sha256-ecdsa"[..])
    );
}

#[test]
fn combine_matches_the_c_macros() {
    assert_eq!(combine(sys::OtaPalBadSignerCert, 0), 0xe7 << 24);
    assert_eq!(
        combine(sys::OtaPalFileClose, 0x01ff_ffff),
        (0xee << 24) | 0xff_ffff
    );
    assert_eq!(
        main_of(combine(sys::OtaPalSignatureCheckFailed, 5)),
        sys::OtaPalSignatureCheckFailed
    );
}

#[test]
fn certificate_walk_finds_the_subject_key() {
    let key = new_key();
    let pem = self_signed_pem(&key);
    let found = signer_key_from_pem(pem.as_bytes()).unwrap();
    assert_eq!(&found, key.verifying_key());
    assert!(certificate_block(b"-----BEGIN CERTIFICATE-----").is_none());
    assert!(subject_public_key_info(&[0x30, 0x00]).is_err());
    assert!(subject_public_key_info(&[]).is_err());
}

#[test]
fn digest_streams_in_chunks() {
    let data = payload(3 * HASH_CHUNK + 5);
    let mut at = 0;
    let digest = digest_of(|buf| {
        let n = buf.len().min(data.len() - at);
        buf[..n].copy_from_slice(&data[at..at + n]);
        at += n;
        Ok(n)
    })
    .unwrap();
    assert_eq!(digest, <[u8; 32]>::from(Sha256::digest(&data)));
    assert_eq!(digest_of(|_| Err(5)), Err(5));
}

fn openssl(dir: &Path, args: &[&str]) -> Option<process::Output> {
    let out = process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out)
}

/// Cross-check with OpenSSL where its command line is installed: it reads the certificates
/// these tests write, and this PAL accepts a key, certificate and signature it made.
#[test]
fn openssl_made_keys_certificates_and_signatures_agree() {
    let _pal = pal();
    let signed = Signed::new("openssl", 10_000);
    let dir = signed.device.dir.to_path_buf();
    if openssl(&dir, &["version"]).is_none() {
        eprintln!("openssl not installed: cross-check skipped");
        return;
    }
    // Our hand-written certificate is X.509 to OpenSSL, with our key in it.
    let pubkey = openssl(
        &dir,
        &["x509", "-in", "trust/signer.pem", "-noout", "-pubkey"],
    )
    .unwrap();
    let pubkey_pem = String::from_utf8(pubkey.stdout).unwrap();
    let mut buf = [0u8; 256];
    let (label, spki_der) = pem_rfc7468::decode(pubkey_pem.as_bytes(), &mut buf).unwrap();
    assert_eq!(label, "PUBLIC KEY");
    assert_eq!(spki_der, p256_spki(&signed.key));

    // OpenSSL's own key, certificate (v3, with extensions) and DER signature.
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=ota-rs openssl signer",
            "-days",
            "1",
            "-keyout",
            "ossl-key.pem",
            "-out",
            "trust/ossl-cert.pem",
        ],
    )
    .unwrap();
    fs::write(dir.join("data.bin"), &signed.data).unwrap();
    openssl(
        &dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            "ossl-key.pem",
            "-out",
            "sig.der",
            "data.bin",
        ],
    )
    .unwrap();
    let sig_der = fs::read(dir.join("sig.der")).unwrap();
    let mut job = Job::new("image.bin", "ossl-cert.pem", &sig_der);
    job.receive(&signed.data, [2, 1, 0]);
    assert_eq!(job.close(), 0);
    let mut tampered = signed.data.clone();
    tampered[9999] ^= 0x80;
    let mut job = Job::new("image.bin", "ossl-cert.pem", &sig_der);
    job.receive(&tampered, [0, 1, 2]);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    // And our signature does not pass with OpenSSL's certificate.
    let mut job = Job::new(
        "image.bin",
        "ossl-cert.pem",
        &sign(&signed.key, &signed.data),
    );
    job.receive(&signed.data, [0, 1, 2]);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
}

// ---------------------------------------------------------------------------------------------
// The job picks neither the key nor the place: trust store and image folder

fn sub(e: libc::c_int) -> u32 {
    u32::try_from(e).unwrap()
}

fn create_failed(e: libc::c_int) -> sys::OtaPalStatus_t {
    status(sys::OtaPalRxFileCreateFailed, sub(e))
}

fn bad_signer_cert() -> sys::OtaPalStatus_t {
    status(sys::OtaPalBadSignerCert, 0)
}

/// Someone who can create jobs but holds no trusted key: their own key, certificate, and an
/// image that starts with that certificate, signed by them.
struct Attacker {
    key: SigningKey,
    pem: String,
    image: Vec<u8>,
}

impl Attacker {
    fn new() -> Attacker {
        let key = new_key();
        let pem = self_signed_pem(&key);
        let mut image = pem.clone().into_bytes();
        image.extend_from_slice(&payload(3 * BLOCK));
        Attacker { key, pem, image }
    }

    fn signature(&self) -> Vec<u8> {
        sign(&self.key, &self.image)
    }
}

#[test]
fn certfile_naming_the_image_itself_is_refused() {
    let _pal = pal();
    let signed = Signed::new("self-cert", 1000);
    let images = &signed.device.images;
    let trust = &signed.device.trust;
    let evil = Attacker::new();
    let n = blocks(evil.image.len());

    // The attack as reported: filepath "fw.bin", certfile "fw.bin".
    let mut job = Job::new("fw.bin", "fw.bin", &evil.signature());
    assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
    job.receive(&evil.image, 0..n);
    assert_eq!(job.close(), bad_signer_cert());
    assert!(
        !images.join("fw.bin").exists(),
        "the refused image is deleted"
    );
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);

    // The image hard-linked into the trust store under that name while it downloads: the
    // certificate file is the image itself, refused.
    let mut job = Job::new("fw.bin", "fw.bin", &evil.signature());
    job.receive(&evil.image, 0..n);
    fs::hard_link(images.join("fw.bin"), trust.join("fw.bin")).unwrap();
    assert_eq!(job.close(), bad_signer_cert());
    fs::remove_file(trust.join("fw.bin")).unwrap();

    // A symlink in the trust store to the image: certificates are never read through one.
    symlink(images.join("fw.bin"), trust.join("fw.bin")).unwrap();
    let mut job = Job::new("fw.bin", "fw.bin", &evil.signature());
    job.receive(&evil.image, 0..n);
    assert_eq!(job.close(), bad_signer_cert());
    fs::remove_file(trust.join("fw.bin")).unwrap();

    // Image folder and trust store the same folder: no job may write there at all.
    assert_eq!(set_trust_store(Some(images)), 0);
    let mut job = Job::new("fw.bin", "fw.bin", &evil.signature());
    assert_eq!(job.create(), create_failed(libc::EPERM));
    assert!(job.ctx.pFile.is_null());
    assert!(!images.join("fw.bin").exists());

    // The trusted signer's own name still only verifies the trusted signer's images.
    assert_eq!(set_trust_store(Some(trust)), 0);
    let mut job = Job::new("fw.bin", "signer.pem", &evil.signature());
    job.receive(&evil.image, 0..n);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
}

#[test]
fn certfile_with_dot_dot_is_refused() {
    let _pal = pal();
    let signed = Signed::new("cert-dotdot", 1000);
    let evil = Attacker::new();
    fs::write(signed.device.outside.join("evil.pem"), &evil.pem).unwrap();
    fs::create_dir(signed.device.trust.join("sub")).unwrap();
    for name in [
        "../images/fw.bin",
        "../outside/evil.pem",
        "..",
        "sub/../../outside/evil.pem",
    ] {
        let mut job = Job::new("fw.bin", name, &evil.signature());
        job.receive(&evil.image, 0..1);
        assert_eq!(job.close(), bad_signer_cert(), "{name}");
    }
    // Even a path that leads back to a trusted certificate is not a name.
    for name in ["../trust/signer.pem", "sub/../signer.pem", "./signer.pem"] {
        let mut job = signed.job_with_cert(name);
        job.receive(&signed.data, 0..1);
        assert_eq!(job.close(), bad_signer_cert(), "{name}");
        assert!(!signed.image.exists());
    }
}

#[test]
fn absolute_certfile_is_refused() {
    let _pal = pal();
    let signed = Signed::new("cert-absolute", 1000);
    let evil = Attacker::new();
    let evil_cert = signed.device.outside.join("evil.pem");
    fs::write(&evil_cert, &evil.pem).unwrap();
    let evil_cert = evil_cert.to_str().unwrap();
    let mut job = Job::new("fw.bin", evil_cert, &evil.signature());
    job.receive(&evil.image, 0..1);
    assert_eq!(job.close(), bad_signer_cert());
    // The trusted certificate's own absolute path: still a path, refused.
    let mut job = signed.job_with_cert(signed.cert.to_str().unwrap());
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), bad_signer_cert());
}

#[test]
fn certfile_names_are_plain_and_bounded() {
    let _pal = pal();
    let signed = Signed::new("cert-names", 1000);
    let pem = self_signed_pem(&signed.key);
    let longest = "c".repeat(CERT_NAME_MAX);
    let too_long = "c".repeat(CERT_NAME_MAX + 1);
    for name in [&longest, &too_long] {
        fs::write(signed.device.trust.join(name), &pem).unwrap();
    }
    fs::write(signed.device.trust.join("back\\slash"), &pem).unwrap();
    fs::write(signed.device.trust.join("tab\tname"), &pem).unwrap();
    for name in [
        "",
        ".",
        "/",
        "a/b",
        "back\\slash",
        "tab\tname",
        "del\x7f",
        &too_long,
    ] {
        let mut job = signed.job_with_cert(name);
        job.receive(&signed.data, 0..1);
        assert_eq!(job.close(), bad_signer_cert(), "{name:?}");
    }
    let mut job = signed.job_with_cert(&longest);
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
    // Non-ASCII names are plain names too.
    fs::write(signed.device.trust.join("signer-é.pem"), &pem).unwrap();
    let mut job = signed.job_with_cert("signer-é.pem");
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
}

#[test]
fn valid_signature_by_an_untrusted_key_is_refused() {
    let _pal = pal();
    let signed = Signed::new("untrusted", 1000);
    let evil = Attacker::new();
    // Their certificate is on the device, just not in the trust store.
    fs::write(signed.device.images.join("evil.pem"), &evil.pem).unwrap();
    fs::write(signed.device.outside.join("evil.pem"), &evil.pem).unwrap();
    let mut job = Job::new("fw.bin", "evil.pem", &evil.signature());
    job.receive(&evil.image, 0..blocks(evil.image.len()));
    assert_eq!(job.close(), bad_signer_cert());
    let mut job = Job::new("fw.bin", "signer.pem", &evil.signature());
    job.receive(&evil.image, 0..blocks(evil.image.len()));
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    assert!(!signed.device.images.join("fw.bin").exists());
}

#[test]
fn good_signature_with_a_trusted_certificate_and_flipped_byte() {
    let _pal = pal();
    let mut signed = Signed::new("trusted", 2 * BLOCK + 1);
    let mut job = signed.job();
    job.receive(&signed.data, [2, 0, 1]);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
    let mut job = signed.job();
    signed.data[7] ^= 0x20;
    assert_rejected(&signed, &mut job, sys::OtaPalSignatureCheckFailed);
}

#[test]
fn filepath_with_dot_dot_is_refused() {
    let _pal = pal();
    let device = Device::new("path-dotdot");
    let victim = device.victim();
    fs::create_dir(device.images.join("sub")).unwrap();
    for path in [
        "../outside/victim.bin",
        "sub/../../outside/victim.bin",
        "..",
        "sub/..",
        "./victim.bin",
        "sub//x",
        "x/",
        "..\\outside\\victim.bin",
        "line\nbreak",
    ] {
        let mut job = Job::new(path, "signer.pem", &[]);
        assert_eq!(job.create(), create_failed(libc::EINVAL), "{path:?}");
        assert!(job.ctx.pFile.is_null());
        assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
        assert_intact(&victim);
    }
    let long = "d/".repeat(PATH_MAX_LEN / 2) + "x";
    let component = "n".repeat(NAME_MAX + 1);
    for path in [long.as_str(), component.as_str()] {
        let mut job = Job::new(path, "signer.pem", &[]);
        assert_eq!(job.create(), create_failed(libc::ENAMETOOLONG));
    }
    assert_eq!(
        fs::read_dir(&device.images).unwrap().count(),
        1,
        "only sub/"
    );
}

#[test]
fn absolute_filepath_is_refused() {
    let _pal = pal();
    let device = Device::new("path-absolute");
    let victim = device.victim();
    let inside = device.images.join("image.bin");
    for path in [
        victim.to_str().unwrap(),
        inside.to_str().unwrap(),
        "/",
        "//x",
    ] {
        let mut job = Job::new(path, "signer.pem", &[]);
        assert_eq!(job.create(), create_failed(libc::EINVAL), "{path}");
        assert!(job.ctx.pFile.is_null());
        assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    }
    assert_intact(&victim);
    assert!(!inside.exists());
}

#[test]
fn filepath_through_a_symlink_out_of_the_image_folder_is_refused() {
    let _pal = pal();
    let device = Device::new("path-symlink");
    let victim = device.victim();
    let images = &device.images;
    symlink(&device.outside, images.join("out")).unwrap();
    symlink(&victim, images.join("link.bin")).unwrap();
    symlink(device.outside.join("new.bin"), images.join("dangling.bin")).unwrap();
    fs::create_dir(images.join("sub")).unwrap();
    symlink("../../outside", images.join("sub/up")).unwrap();
    let cases = [
        // A symlinked folder on the way: O_DIRECTORY | O_NOFOLLOW (Linux says ENOTDIR).
        ("out/victim.bin", libc::ENOTDIR),
        ("sub/up/victim.bin", libc::ENOTDIR),
        ("out/new.bin", libc::ENOTDIR),
        // The file's own name a symlink, to a file or to nothing yet.
        ("link.bin", libc::ELOOP),
        ("dangling.bin", libc::ELOOP),
    ];
    for (path, errno) in cases {
        let mut job = Job::new(path, "signer.pem", &[]);
        assert_eq!(job.create(), create_failed(errno), "{path}");
        assert!(job.ctx.pFile.is_null());
        assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
        assert_intact(&victim);
        assert!(!device.outside.join("new.bin").exists(), "{path}");
    }
    // The links themselves are left alone too.
    assert!(fs::symlink_metadata(images.join("link.bin")).is_ok());
    // The configured folder's own path is the device's: a symlink there is followed.
    symlink(images, device.dir.join("images-link")).unwrap();
    assert_eq!(set_image_dir(Some(&device.dir.join("images-link"))), 0);
    let mut job = Job::new("fresh.bin", "signer.pem", &[]);
    assert_eq!(job.create(), 0);
    assert!(images.join("fresh.bin").exists());
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert!(!images.join("fresh.bin").exists());
}

#[test]
fn abort_after_a_refused_create_deletes_nothing() {
    let _pal = pal();
    let device = Device::new("abort-refused");
    let victim = device.victim();
    let key = new_key();
    fs::write(device.trust.join("signer.pem"), self_signed_pem(&key)).unwrap();
    let kept = device.images.join("kept.bin");
    fs::write(&kept, b"precious").unwrap();
    symlink(&victim, device.images.join("link.bin")).unwrap();
    let absolute = victim.to_str().unwrap().to_owned();
    let kept_absolute = kept.to_str().unwrap().to_owned();
    for path in [
        absolute.as_str(),
        kept_absolute.as_str(),
        "../outside/victim.bin",
        "link.bin",
        "link.bin/x",
        STATE_FILE_NAME,
    ] {
        let mut job = Job::new(path, "signer.pem", &sign(&key, b"x"));
        assert_ne!(job.create(), 0, "{path}");
        assert!(job.ctx.pFile.is_null());
        assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
        // Closing what was never opened fails the check and deletes nothing either.
        assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
        assert_intact(&victim);
        assert_intact(&kept);
    }
}

#[test]
fn abort_deletes_only_the_file_it_created() {
    let _pal = pal();
    let device = Device::new("abort-own");
    let victim = device.victim();
    let image = device.images.join("fw.bin");

    // The file was moved away and another put in its place: neither is deleted.
    let mut job = Job::new("fw.bin", "signer.pem", &[]);
    assert_eq!(job.create(), 0);
    assert_eq!(job.write(0, b"partial"), 7);
    fs::rename(&image, device.images.join("moved.bin")).unwrap();
    fs::write(&image, b"someone else's").unwrap();
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert_eq!(fs::read(&image).unwrap(), b"someone else's");
    assert!(device.images.join("moved.bin").exists());

    // The context's path changed under the PAL to one outside: refused, nothing deleted.
    let mut job = Job::new("fw.bin", "signer.pem", &[]);
    assert_eq!(job.create(), 0);
    let outside = c_path(&victim);
    job.ctx.pFilePath = outside.as_ptr() as *mut u8;
    assert_eq!(
        unsafe { otaPal_Abort(job.ctx()) },
        status(sys::OtaPalFileAbort, sub(libc::EINVAL))
    );
    assert!(job.ctx.pFile.is_null());
    assert_intact(&victim);
}

#[test]
fn image_is_never_written_into_the_trust_store() {
    let _pal = pal();
    let signed = Signed::new("into-trust", 1000);
    let certs = signed.device.images.join("certs");
    fs::create_dir(&certs).unwrap();
    fs::write(certs.join("signer.pem"), self_signed_pem(&signed.key)).unwrap();
    assert_eq!(set_trust_store(Some(&certs)), 0);
    let mut job = Job::new("certs/signer.pem", "signer.pem", &[]);
    assert_eq!(job.create(), create_failed(libc::EPERM));
    assert!(fs::read_to_string(certs.join("signer.pem"))
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    // Beside it in the image folder is fine, and verifies with the certificate in it.
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
}

#[test]
fn image_cannot_replace_the_image_state_file() {
    let _pal = pal();
    let device = Device::new("state-name");
    fs::create_dir(device.images.join("sub")).unwrap();
    for path in [
        "PlatformImageState.txt",
        "PlatformImageState.txt.tmp",
        "sub/PlatformImageState.txt",
    ] {
        let mut job = Job::new(path, "signer.pem", &[]);
        assert_eq!(job.create(), create_failed(libc::EPERM), "{path}");
    }
    // Even when the image folder is where the state file lives.
    assert_eq!(set_state(sys::OtaImageStateTesting), 0);
    assert_eq!(set_image_dir(Some(&state_dir())), 0);
    let mut job = Job::new(STATE_FILE_NAME, "signer.pem", &[]);
    assert_eq!(job.create(), create_failed(libc::EPERM));
    assert_eq!(pal_state(), sys::OtaPalImageStatePendingCommit);
}

#[test]
fn create_makes_a_new_file_never_a_fifo_or_a_hard_link() {
    let _pal = pal();
    let signed = Signed::new("new-file", 1000);
    let images = &signed.device.images;
    // An installed copy hard-linked to the download's name keeps its contents.
    let installed = signed.device.outside.join("installed.bin");
    fs::write(&installed, b"v1 image").unwrap();
    fs::hard_link(&installed, &signed.image).unwrap();
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&installed).unwrap(), b"v1 image");
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);

    // A FIFO is refused at once rather than opened (which could block the agent).
    let fifo = c_path(&images.join("pipe"));
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let mut job = Job::new("pipe", "signer.pem", &[]);
    assert_eq!(job.create(), create_failed(libc::EPERM));
    let fifo = c_path(&signed.device.trust.join("pipe.pem"));
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let mut job = signed.job_with_cert("pipe.pem");
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), bad_signer_cert());
}

#[test]
fn subfolders_of_the_image_folder_may_be_named() {
    let _pal = pal();
    let signed = Signed::new("subfolder", 2 * BLOCK);
    fs::create_dir_all(signed.device.images.join("a/b")).unwrap();
    let sig = sign(&signed.key, &signed.data);
    let mut job = Job::new("a/b/fw.bin", "signer.pem", &sig);
    job.receive(&signed.data, [1, 0]);
    assert_eq!(job.close(), 0);
    let image = signed.device.images.join("a/b/fw.bin");
    assert_eq!(fs::read(&image).unwrap(), signed.data);
    // And a failure deletes it there.
    let mut job = Job::new("a/b/fw.bin", "signer.pem", &sig[..sig.len() - 1]);
    job.receive(&signed.data, [0, 1]);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    assert!(!image.exists());
}

#[test]
fn a_nul_ends_the_names_the_pal_reads() {
    let _pal = pal();
    let signed = Signed::new("nul", 1000);
    let victim = signed.device.victim();
    let mut job = signed.job();
    let mut path = b"image.bin\0../outside/victim.bin\0".to_vec();
    let mut cert = b"signer.pem\0/../../outside/evil.pem\0".to_vec();
    job.ctx.pFilePath = path.as_mut_ptr();
    job.ctx.filePathMaxSize = path.len() as u16;
    job.ctx.pCertFilepath = cert.as_mut_ptr();
    job.ctx.certFilePathMaxSize = cert.len() as u16;
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
    assert_intact(&victim);
}

#[test]
fn nothing_configured_refuses_every_file_and_certificate() {
    let _pal = pal();
    let name = format!("ota-rs-pal-unconfigured-{}.bin", process::id());
    let mut job = Job::new(&name, "signer.pem", &[]);
    assert_eq!(job.create(), create_failed(libc::EPERM));
    assert!(
        !Path::new(&name).exists(),
        "nothing in the working directory"
    );

    // An image folder but no trust store: every certificate name is refused.
    let device = Device::new("unconfigured");
    let key = new_key();
    fs::write(device.trust.join("signer.pem"), self_signed_pem(&key)).unwrap();
    assert_eq!(set_trust_store(None), 0);
    let data = payload(100);
    let mut job = Job::new("image.bin", "signer.pem", &sign(&key, &data));
    job.receive(&data, [0]);
    assert_eq!(job.close(), bad_signer_cert());
    assert!(!device.images.join("image.bin").exists());
}

#[test]
fn folders_come_from_the_environment_unless_set() {
    let _pal = pal();
    let signed = Signed::new("env-folders", 1000);
    assert_eq!(set_image_dir(None), 0);
    assert_eq!(set_trust_store(None), 0);
    std::env::set_var("OTA_PAL_POSIX_IMAGE_DIR", &signed.device.images);
    std::env::set_var("OTA_PAL_POSIX_TRUST_DIR", &signed.device.trust);
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
    assert!(signed.image.exists());

    // A folder set by a call wins over the environment; NULL goes back to it.
    let other = signed.device.dir.join("other");
    fs::create_dir(&other).unwrap();
    assert_eq!(set_image_dir(Some(&other)), 0);
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);
    assert!(other.join("image.bin").exists());
    assert_eq!(set_image_dir(None), 0);
    let mut job = Job::new("env.bin", "signer.pem", &[]);
    assert_eq!(job.create(), 0);
    assert!(signed.device.images.join("env.bin").exists());
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);

    // Empty variables are unset ones.
    std::env::set_var("OTA_PAL_POSIX_IMAGE_DIR", "");
    std::env::set_var("OTA_PAL_POSIX_TRUST_DIR", "");
    let mut job = Job::new("env.bin", "signer.pem", &[]);
    assert_eq!(job.create(), create_failed(libc::EPERM));
}

#[test]
fn setting_a_folder_reports_what_is_wrong_and_keeps_the_old_one() {
    let _pal = pal();
    let device = Device::new("set-folders");
    let file = device.dir.join("file");
    fs::write(&file, b"x").unwrap();
    let missing = device.dir.join("missing");
    assert_eq!(set_image_dir(Some(&missing)), create_failed(libc::ENOENT));
    assert_eq!(set_image_dir(Some(&file)), create_failed(libc::ENOTDIR));
    assert_eq!(
        set_image_dir(Some(Path::new(""))),
        create_failed(libc::EINVAL)
    );
    let long = "d/".repeat(PATH_MAX_LEN / 2);
    assert_eq!(
        set_image_dir(Some(Path::new(&long))),
        create_failed(libc::ENAMETOOLONG)
    );
    let bad_trust = |e| status(sys::OtaPalBadSignerCert, sub(e));
    assert_eq!(set_trust_store(Some(&missing)), bad_trust(libc::ENOENT));
    assert_eq!(set_trust_store(Some(&file)), bad_trust(libc::ENOTDIR));
    assert_eq!(
        set_trust_store(Some(Path::new(&long))),
        bad_trust(libc::ENAMETOOLONG)
    );
    // Still the folders set before.
    let mut job = Job::new("image.bin", "signer.pem", &[]);
    assert_eq!(job.create(), 0);
    assert!(device.images.join("image.bin").exists());
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
}

#[test]
fn certificates_given_at_start_up_are_trusted_by_name() {
    let _pal = pal();
    let signed = Signed::new("given", 1000);
    let pem = self_signed_pem(&signed.key);
    // The trust store holds another key under the same name: the given one is used first.
    fs::write(&signed.cert, self_signed_pem(&new_key())).unwrap();
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    assert_eq!(add_certificate("signer.pem", pem.as_bytes()), 0);
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);

    // Without any trust store folder too.
    assert_eq!(set_trust_store(None), 0);
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), 0);

    let refused = status(sys::OtaPalBadSignerCert, sub(libc::EINVAL));
    assert_eq!(add_certificate("../signer.pem", pem.as_bytes()), refused);
    assert_eq!(add_certificate("", pem.as_bytes()), refused);
    assert_eq!(add_certificate("junk.pem", b"not a certificate"), refused);
    let name = CString::new("x.pem").unwrap();
    let null_pem = unsafe { otaPal_PosixAddTrustedCertificate(name.as_ptr(), ptr::null(), 1) };
    assert_eq!(null_pem, refused);
    let null_name =
        unsafe { otaPal_PosixAddTrustedCertificate(ptr::null(), pem.as_ptr(), pem.len()) };
    assert_eq!(null_name, refused);

    // Room for TRUSTED_CERTS_MAX names; the same name again replaces its key.
    for i in 1..TRUSTED_CERTS_MAX {
        let other = self_signed_pem(&new_key());
        assert_eq!(
            add_certificate(&format!("other-{i}.pem"), other.as_bytes()),
            0
        );
    }
    let full = status(sys::OtaPalBadSignerCert, sub(libc::ENOSPC));
    assert_eq!(add_certificate("one-more.pem", pem.as_bytes()), full);
    let replacement = new_key();
    let replacement_pem = self_signed_pem(&replacement);
    assert_eq!(add_certificate("signer.pem", replacement_pem.as_bytes()), 0);
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));

    otaPal_PosixClearTrustedCertificates();
    let mut job = signed.job();
    job.receive(&signed.data, 0..1);
    assert_eq!(job.close(), bad_signer_cert());
}

#[test]
fn name_rules_accept_plain_names_only() {
    assert!(plain_cert_name(b"signer.pem"));
    assert!(plain_cert_name(b"..pem"));
    assert!(!plain_cert_name(b"a/b"));
    assert!(!plain_cert_name(&[b'c'; CERT_NAME_MAX + 1]));
    assert_eq!(check_image_path(b"a/b/c.bin"), Ok(()));
    assert_eq!(check_image_path(b"/a"), Err(sub(libc::EINVAL)));
    assert_eq!(check_image_path(b"a/../b"), Err(sub(libc::EINVAL)));
    assert_eq!(check_image_path(b""), Err(sub(libc::EINVAL)));
    assert!(is_state_file(b"PlatformImageState.txt"));
    assert!(is_state_file(b"PlatformImageState.txt.tmp"));
    assert!(!is_state_file(b"PlatformImageState.txt.old"));
}

// ---------------------------------------------------------------------------------------------
// Resume across reboot (resume.rs)

use super::resume::{
    is_resume_file, otaPal_FlushFile, otaPal_PosixResumeErase, otaPal_PosixResumeLoad,
    otaPal_PosixResumeSave, otaPal_ReopenFileForRx, RESUME_FILE_NAME,
};

impl Job {
    fn reopen(&mut self) -> sys::OtaPalStatus_t {
        unsafe { otaPal_ReopenFileForRx(self.ctx()) }
    }

    fn flush(&mut self) -> sys::OtaPalStatus_t {
        unsafe { otaPal_FlushFile(self.ctx()) }
    }

    /// What a power cut leaves: the stream gone, the file as last flushed, nothing deleted.
    fn crash(&mut self) {
        assert_eq!(self.flush(), 0);
        assert_eq!(unsafe { libc::fclose(self.ctx.pFile.cast()) }, 0);
        self.ctx.pFile = ptr::null_mut();
    }
}

fn resume_save(record: &[u8]) -> bool {
    let size = u32::try_from(record.len()).unwrap();
    unsafe { otaPal_PosixResumeSave(record.as_ptr(), size) }
}

/// The stored record, loaded into a buffer of `room` bytes (`None` when load returns 0).
fn resume_load(room: usize) -> Option<Vec<u8>> {
    let mut buf = vec![0xa5u8; room];
    let size = u32::try_from(room).unwrap();
    let n = unsafe { otaPal_PosixResumeLoad(buf.as_mut_ptr(), size) } as usize;
    assert!(n <= room);
    (n > 0).then(|| buf[..n].to_vec())
}

fn record_path(device: &Device) -> StdPathBuf {
    device.images.join(RESUME_FILE_NAME)
}

fn record_tmp_path(device: &Device) -> StdPathBuf {
    device.images.join(format!("{RESUME_FILE_NAME}.tmp"))
}

#[test]
fn reopen_keeps_the_blocks_and_close_verifies_the_whole_file() {
    let _pal = pal();
    let signed = Signed::new("reopen", 4 * BLOCK + 100);
    let size = u32::try_from(signed.data.len()).unwrap();
    let data = &signed.data;
    let block = |i: usize| &data[i * BLOCK..data.len().min((i + 1) * BLOCK)];

    // Blocks 0 and 4 arrive, then the device loses power.
    let mut job = signed.job();
    job.ctx.fileSize = size;
    job.receive(data, [4, 0]);
    job.crash();
    let before = fs::read(&signed.image).unwrap();
    assert_eq!(before.len(), data.len());

    // After the reboot: a new context for the same job reopens the file, nothing truncated.
    let mut job = signed.job();
    job.ctx.fileSize = size;
    assert_eq!(job.reopen(), 0);
    assert!(!job.ctx.pFile.is_null());
    assert_eq!(fs::read(&signed.image).unwrap(), before);
    for i in [2, 1, 3] {
        assert_eq!(job.write(i * BLOCK, block(i)), block(i).len() as i16);
    }
    assert_eq!(set_state(sys::OtaImageStateAccepted), 0);
    assert_eq!(job.close(), 0);
    assert_eq!(&fs::read(&signed.image).unwrap(), data);
    assert_eq!(pal_state(), sys::OtaPalImageStatePendingCommit);

    // A block lost across the reboot (never rewritten) fails the whole-file check.
    let mut job = signed.job();
    job.ctx.fileSize = size;
    job.receive(data, [0, 1, 2, 4]);
    job.crash();
    let mut job = signed.job();
    job.ctx.fileSize = size;
    assert_eq!(job.reopen(), 0);
    assert_eq!(job.close(), status(sys::OtaPalSignatureCheckFailed, 0));
    assert!(
        !signed.image.exists(),
        "a rejected reopened image is deleted"
    );
    assert_eq!(pal_state(), sys::OtaPalImageStateInvalid);
}

#[test]
fn reopen_of_a_missing_file_fails_and_creates_nothing() {
    let _pal = pal();
    let signed = Signed::new("reopen-missing", 100);
    let mut job = signed.job();
    job.ctx.fileSize = 100;
    assert_eq!(job.reopen(), create_failed(libc::ENOENT));
    assert!(job.ctx.pFile.is_null());
    assert!(!signed.image.exists());
    let mut job = Job::new("no/such/folder/fw.bin", "signer.pem", &[]);
    assert_eq!(job.reopen(), create_failed(libc::ENOENT));

    // NULL context, NULL or empty path: sub-code 0, as create.
    let failed = status(sys::OtaPalRxFileCreateFailed, 0);
    assert_eq!(unsafe { otaPal_ReopenFileForRx(ptr::null_mut()) }, failed);
    let mut job = Job::new("", "signer.pem", &[]);
    assert_eq!(job.reopen(), failed);
    job.ctx.pFilePath = ptr::null_mut();
    assert_eq!(job.reopen(), failed);

    // Nothing configured: refused like create.
    reset_config();
    fs::write(&signed.image, b"partial").unwrap();
    let mut job = signed.job();
    job.ctx.fileSize = 100;
    assert_eq!(job.reopen(), create_failed(libc::EPERM));
    assert_eq!(fs::read(&signed.image).unwrap(), b"partial");
}

#[test]
fn reopen_refuses_what_create_refuses_and_more() {
    let _pal = pal();
    let device = Device::new("reopen-refuse");
    let victim = device.victim();
    let images = &device.images;
    let reopen = |path: &str, size: u32| {
        let mut job = Job::new(path, "signer.pem", &[]);
        job.ctx.fileSize = size;
        let got = job.reopen();
        assert!(job.ctx.pFile.is_null(), "{path}: no stream on failure");
        got
    };

    // A symlink as the file, or on the way to it.
    symlink(&victim, images.join("link.bin")).unwrap();
    assert_eq!(reopen("link.bin", 100), create_failed(libc::ELOOP));
    symlink(&device.outside, images.join("out")).unwrap();
    let e = reopen("out/victim.bin", 100);
    assert!(
        e == create_failed(libc::ENOTDIR) || e == create_failed(libc::ELOOP),
        "{e:#x}"
    );

    // A file with a second name elsewhere (the installed copy) is never written through.
    let installed = device.outside.join("installed.bin");
    fs::write(&installed, b"v1 image").unwrap();
    fs::hard_link(&installed, images.join("fw.bin")).unwrap();
    assert_eq!(reopen("fw.bin", 100), create_failed(libc::EMLINK));

    // Larger than the job's file.
    fs::write(images.join("big.bin"), vec![1u8; 101]).unwrap();
    assert_eq!(reopen("big.bin", 100), create_failed(libc::EFBIG));
    // Exactly the job's size is fine (and abort then deletes it, as the PAL opened it).
    assert_eq!(reopen_ok_then_abort("big.bin", 101), 0);
    assert!(!images.join("big.bin").exists());

    // Outside the image folder.
    assert_eq!(
        reopen("../outside/victim.bin", 100),
        create_failed(libc::EINVAL)
    );
    let absolute = victim.to_str().unwrap().to_owned();
    assert_eq!(reopen(&absolute, 100), create_failed(libc::EINVAL));

    // A folder, a FIFO (refused at once, never opened to hang), the state file's name.
    fs::create_dir(images.join("dir")).unwrap();
    assert_eq!(reopen("dir", 100), create_failed(libc::EISDIR));
    let fifo = c_path(&images.join("pipe"));
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    assert_eq!(reopen("pipe", 100), create_failed(libc::EPERM));
    fs::write(images.join(STATE_FILE_NAME), b"x").unwrap();
    assert_eq!(reopen(STATE_FILE_NAME, 100), create_failed(libc::EPERM));

    // The trust store.
    fs::write(device.trust.join("signer.pem"), b"cert").unwrap();
    assert_eq!(set_image_dir(Some(&device.dir)), 0);
    assert_eq!(reopen("trust/signer.pem", 100), create_failed(libc::EPERM));

    assert_intact(&victim);
    assert_eq!(fs::read(&installed).unwrap(), b"v1 image");
    assert_eq!(fs::read(device.trust.join("signer.pem")).unwrap(), b"cert");
}

/// Reopens `path` (expected to succeed), then aborts; the status of the reopen.
fn reopen_ok_then_abort(path: &str, size: u32) -> sys::OtaPalStatus_t {
    let mut job = Job::new(path, "signer.pem", &[]);
    job.ctx.fileSize = size;
    let got = job.reopen();
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    got
}

#[test]
fn neither_create_nor_reopen_may_name_the_resume_record() {
    let _pal = pal();
    let device = Device::new("record-name");
    fs::create_dir(device.images.join("sub")).unwrap();
    assert!(resume_save(b"the record"));
    fs::write(record_tmp_path(&device), b"stray").unwrap();
    fs::write(device.images.join("sub").join(RESUME_FILE_NAME), b"sub").unwrap();
    for path in [
        "ota_resume.rec",
        "ota_resume.rec.tmp",
        "sub/ota_resume.rec",
        "sub/ota_resume.rec.tmp",
    ] {
        let mut job = Job::new(path, "signer.pem", &[]);
        job.ctx.fileSize = 1 << 20;
        assert_eq!(job.create(), create_failed(libc::EPERM), "create {path}");
        assert_eq!(job.reopen(), create_failed(libc::EPERM), "reopen {path}");
        assert!(job.ctx.pFile.is_null());
    }
    assert_eq!(fs::read(record_path(&device)).unwrap(), b"the record");
    assert_eq!(fs::read(record_tmp_path(&device)).unwrap(), b"stray");
    assert!(is_resume_file(b"ota_resume.rec"));
    assert!(is_resume_file(b"ota_resume.rec.tmp"));
    assert!(!is_resume_file(b"ota_resume.rec.old"));
    assert!(!is_resume_file(b"ota_resume.re"));
}

#[test]
fn abort_after_reopen_deletes_the_file() {
    let _pal = pal();
    let signed = Signed::new("reopen-abort", 2 * BLOCK);
    let mut job = signed.job();
    job.ctx.fileSize = 2 * BLOCK as u32;
    job.receive(&signed.data, [0]);
    job.crash();
    assert!(signed.image.exists());

    let mut job = signed.job();
    job.ctx.fileSize = 2 * BLOCK as u32;
    assert_eq!(job.reopen(), 0);
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert!(job.ctx.pFile.is_null());
    assert!(!signed.image.exists());

    // A reopened file replaced by another one since: the other one is kept.
    fs::write(&signed.image, b"partial").unwrap();
    let mut job = signed.job();
    job.ctx.fileSize = 2 * BLOCK as u32;
    assert_eq!(job.reopen(), 0);
    fs::remove_file(&signed.image).unwrap();
    fs::write(&signed.image, b"someone else's").unwrap();
    assert_eq!(unsafe { otaPal_Abort(job.ctx()) }, 0);
    assert_eq!(fs::read(&signed.image).unwrap(), b"someone else's");
}

#[test]
fn flush_makes_written_blocks_reach_the_file() {
    let _pal = pal();
    let signed = Signed::new("flush", 1000);
    let mut job = signed.job();
    assert_eq!(job.create(), 0);
    assert_eq!(job.write(0, &signed.data[..300]), 300);
    assert_eq!(job.flush(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), &signed.data[..300]);
    assert_eq!(job.write(300, &signed.data[300..]), 700);
    assert_eq!(job.flush(), 0);
    assert_eq!(fs::read(&signed.image).unwrap(), signed.data);
    assert!(!job.ctx.pFile.is_null(), "flush keeps the stream open");
    assert_eq!(job.close(), 0);

    let null = status(sys::OtaPalNullFileContext, 0);
    assert_eq!(job.flush(), null, "no open file");
    assert_eq!(unsafe { otaPal_FlushFile(ptr::null_mut()) }, null);
}

#[test]
fn resume_record_round_trip() {
    let _pal = pal();
    let device = Device::new("record");
    assert_eq!(resume_load(256), None, "no record yet");
    let first: Vec<u8> = (0..200u8).collect();
    assert!(resume_save(&first));
    assert_eq!(fs::read(record_path(&device)).unwrap(), first);
    assert!(!record_tmp_path(&device).exists());
    assert_eq!(resume_load(256), Some(first.clone()));
    assert_eq!(
        resume_load(200),
        Some(first),
        "exactly the record's size fits"
    );

    // A shorter record replaces it whole.
    assert!(resume_save(b"OTAR short"));
    assert_eq!(resume_load(256).as_deref(), Some(&b"OTAR short"[..]));

    assert!(otaPal_PosixResumeErase());
    assert!(!record_path(&device).exists());
    assert_eq!(resume_load(256), None);
    assert!(otaPal_PosixResumeErase(), "erasing no record succeeds");
}

#[test]
fn resume_record_is_replaced_atomically() {
    let _pal = pal();
    let device = Device::new("record-atomic");
    assert!(resume_save(b"old record"));

    // A save cut short by a crash leaves only a .tmp: it is not the record.
    fs::write(record_tmp_path(&device), b"half a new rec").unwrap();
    assert_eq!(resume_load(256).as_deref(), Some(&b"old record"[..]));
    fs::remove_file(record_path(&device)).unwrap();
    assert_eq!(resume_load(256), None, "a stray .tmp alone is no record");

    // The next save replaces the stray .tmp and renames a new file over the record.
    assert!(resume_save(b"old record"));
    // Taken while this file is live: a removed file's inode number may be handed out again.
    let old_inode = fs::metadata(record_path(&device)).unwrap();
    assert!(resume_save(b"new record"));
    assert!(!record_tmp_path(&device).exists());
    assert_eq!(resume_load(256).as_deref(), Some(&b"new record"[..]));
    use std::os::unix::fs::MetadataExt;
    let new_inode = fs::metadata(record_path(&device)).unwrap();
    assert_ne!(
        (old_inode.dev(), old_inode.ino()),
        (new_inode.dev(), new_inode.ino()),
        "a new file, not the old one rewritten in place"
    );

    // A stray .tmp that is a symlink is removed, never written through.
    let victim = device.victim();
    symlink(&victim, record_tmp_path(&device)).unwrap();
    assert!(resume_save(b"third"));
    assert_intact(&victim);
    assert_eq!(resume_load(256).as_deref(), Some(&b"third"[..]));

    // A failed save keeps the previous record: here the record's name is taken by a folder
    // after the record is gone, so the rename fails and the .tmp is cleaned up.
    fs::remove_file(record_path(&device)).unwrap();
    fs::create_dir(record_path(&device)).unwrap();
    fs::write(record_path(&device).join("x"), b"x").unwrap();
    assert!(!resume_save(b"fourth"));
    assert!(!record_tmp_path(&device).exists());
    assert_eq!(resume_load(256), None, "a folder is no record");
    fs::remove_dir_all(record_path(&device)).unwrap();

    // Erase removes a stray .tmp too.
    assert!(resume_save(b"fifth"));
    fs::write(record_tmp_path(&device), b"stray").unwrap();
    assert!(otaPal_PosixResumeErase());
    assert!(!record_path(&device).exists());
    assert!(!record_tmp_path(&device).exists());
}

#[test]
fn resume_load_refuses_what_does_not_fit_or_is_no_file() {
    let _pal = pal();
    let device = Device::new("record-load");
    let record = payload(150);
    assert!(resume_save(&record));
    assert_eq!(resume_load(149), None, "a buffer one byte short");
    assert_eq!(resume_load(1), None);
    assert_eq!(resume_load(150), Some(record.clone()));
    assert_eq!(unsafe { otaPal_PosixResumeLoad(ptr::null_mut(), 150) }, 0);
    let mut buf = [0u8; 1];
    assert_eq!(unsafe { otaPal_PosixResumeLoad(buf.as_mut_ptr(), 0) }, 0);

    // Empty, a symlink (not followed), a FIFO (not opened to hang): no record.
    fs::write(record_path(&device), b"").unwrap();
    assert_eq!(resume_load(256), None);
    fs::remove_file(record_path(&device)).unwrap();
    let elsewhere = device.outside.join("rec");
    fs::write(&elsewhere, &record).unwrap();
    symlink(&elsewhere, record_path(&device)).unwrap();
    assert_eq!(resume_load(256), None);
    fs::remove_file(record_path(&device)).unwrap();
    let fifo = c_path(&record_path(&device));
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    assert_eq!(resume_load(256), None);
    assert!(otaPal_PosixResumeErase(), "erase removes the FIFO too");
    assert!(!record_path(&device).exists());
}

#[test]
fn resume_record_needs_an_image_folder() {
    let _pal = pal();
    let device = Device::new("record-nofolder");
    assert!(resume_save(b"kept"));
    reset_config();
    assert!(!resume_save(b"nowhere"), "no image folder: not saved");
    assert_eq!(resume_load(256), None);
    assert!(otaPal_PosixResumeErase(), "no folder holds no record");

    // Bad arguments: false, and the record stays.
    assert_eq!(set_image_dir(Some(&device.images)), 0);
    assert!(!unsafe { otaPal_PosixResumeSave(ptr::null(), 4) });
    assert!(!resume_save(b""));
    assert_eq!(resume_load(256).as_deref(), Some(&b"kept"[..]));

    // The image folder may come from the environment, as for images.
    reset_config();
    std::env::set_var("OTA_PAL_POSIX_IMAGE_DIR", &device.images);
    assert_eq!(resume_load(256).as_deref(), Some(&b"kept"[..]));
    std::env::remove_var("OTA_PAL_POSIX_IMAGE_DIR");
}
