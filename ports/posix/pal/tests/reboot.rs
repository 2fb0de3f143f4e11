//! Resume across reboot (resume.rs): reopen, flush and the resume record.

use super::*;

use super::super::resume::{
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
