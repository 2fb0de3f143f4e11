//! The job never picks the key: certificate names it gives, and signers the trust store lacks.

use super::*;

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
