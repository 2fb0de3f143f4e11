//! The job never picks the place: file paths it gives, the image folder and the PAL's own files.

use super::*;

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
