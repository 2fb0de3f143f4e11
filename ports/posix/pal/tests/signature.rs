//! Signature checks: good, tampered, wrong signer, malformed certificates and signatures,
//! and keys, certificates and signatures made by openssl.

use super::*;

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
