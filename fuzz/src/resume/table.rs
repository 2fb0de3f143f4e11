//! The application's resume table: save, load, erase, reopen and flush, each checked.

use super::*;

pub(super) extern "C" fn r_save(p: *const u8, n: u32) -> bool {
    assert!(!p.is_null(), "resume.save from NULL");
    // SAFETY: the agent passes `n` readable bytes.
    let bytes = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
    with(|w| {
        let _ = registered(w, "resume.save");
        let rec = record::decode(&bytes)
            .unwrap_or_else(|| panic!("resume.save of bytes that are no record: {bytes:02x?}"));
        let file = w.created.as_ref().expect("resume.save with no file open");
        let path_crc = record::crc32(&file.path);
        let (size, file_id, stream) = (file.size, file.file_id, file.stream.clone());
        let r = resume(w);
        let want = Rec {
            job: r.open_job.clone(),
            stream,
            file_size: size,
            block_size: BLOCK,
            file_id,
            path_crc,
            bitmap: Vec::new(),
        };
        check_names(&rec, &want, "resume.save");
        let flash = r.flash.as_ref().expect("a file on flash");
        for i in 0..blocks(size) {
            let durable = flash.get(i as usize) == Some(&Blk::Durable);
            let inherited = r.inherited.get(i as usize) == Some(&true);
            assert!(
                rec.needed(i) || durable || inherited,
                "resume.save counts block {i} as received, but it is {:?} on flash",
                flash.get(i as usize)
            );
        }
        let fail = w.faults.take("resume.save");
        let r = resume(w);
        if !fail {
            r.store = Some(bytes);
            r.owes_erase = true;
            r.saves += 1;
        }
        !fail
    })
}

pub(super) extern "C" fn r_load(p: *mut u8, size: u32) -> u32 {
    assert!(!p.is_null(), "resume.load into NULL");
    with(|w| {
        let trace = w.faults.trace;
        let r = registered(w, "resume.load");
        r.loaded = None;
        if trace {
            eprintln!(
                "  resume.load ({:?} bytes stored)",
                r.store.as_ref().map(Vec::len)
            );
        }
        let fits = r
            .store
            .as_ref()
            .is_some_and(|s| !s.is_empty() && s.len() <= size as usize);
        let Some(stored) = r.store.as_ref() else {
            return 0;
        };
        let n = stored.len().min(size as usize);
        if stored.len() > size as usize && !r.lying_load {
            return 0;
        }
        // SAFETY: the agent gives `size` writable bytes; n <= size.
        unsafe { std::ptr::copy_nonoverlapping(stored.as_ptr(), p, n) };
        if fits {
            r.loaded = Some(stored.clone());
            // Loaded is stored: erased if it is not this job's, or when this job ends.
            r.owes_erase = true;
        }

        stored.len() as u32
    })
}

pub(super) extern "C" fn r_erase() -> bool {
    with(|w| {
        let r = registered(w, "resume.erase");
        r.owes_erase = false;
        if w.faults.take("resume.erase") {
            return false;
        }
        let r = resume(w);
        r.store = None;
        true
    })
}

pub(super) extern "C" fn r_reopen(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = world::context(ctx, "resume.reopenFile");
    let now = of_context(c);
    let file = world::created_from(c);
    with(|w| {
        assert!(
            w.created.is_none(),
            "resume.reopenFile with a file already open"
        );
        let r = registered(w, "resume.reopenFile");
        let loaded = r
            .loaded
            .clone()
            .expect("resume.reopenFile without a record loaded");
        assert!(
            r.store.as_ref() == Some(&loaded),
            "resume.reopenFile: the loaded bytes are not the stored record"
        );
        let rec = record::decode(&loaded).unwrap_or_else(|| {
            panic!("resume.reopenFile after loading bytes that are no record: {loaded:02x?}")
        });
        check_names(&rec, &now, "resume.reopenFile");
        let fail = w.faults.take("resume.reopenFile");
        let r = resume(w);
        let n = blocks(file.size) as usize;
        let Some(flash) = r.flash.as_mut().filter(|_| !fail) else {
            return world::pal_err(sys::OtaPalRxFileCreateFailed);
        };
        flash.resize(n, Blk::Absent);
        r.inherited = (0..n as u32).map(|i| !rec.needed(i)).collect();
        r.open_job = now.job.clone();
        r.last = Some(now);
        r.reopens += 1;
        w.written = vec![false; n];
        w.created = Some(file);
        c.pFile = world::file_handle();
        world::pal_ok()
    })
}

pub(super) extern "C" fn r_flush(ctx: *mut sys::OtaFileContext_t) -> sys::OtaPalStatus_t {
    let c = world::context(ctx, "resume.flushFile");
    assert!(
        c.pFile == world::file_handle(),
        "resume.flushFile of a file the PAL did not open"
    );
    with(|w| {
        let _ = registered(w, "resume.flushFile");
        assert!(w.created.is_some(), "resume.flushFile with no file open");
        if w.faults.take("resume.flushFile") {
            return world::pal_err(sys::OtaPalFileClose);
        }
        if let Some(flash) = resume(w).flash.as_mut() {
            for b in flash.iter_mut().filter(|b| **b == Blk::Volatile) {
                *b = Blk::Durable;
            }
        }
        world::pal_ok()
    })
}
