//! Receiving files: out-of-order and duplicate blocks, abort, create and close, image state.

use super::*;

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
            .args([
                "--exact",
                "pal_posix::tests::files::child_reports_image_state",
            ])
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
