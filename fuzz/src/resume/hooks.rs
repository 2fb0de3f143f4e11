//! The world's PAL and cloud as resume sees them: what each event means for the record.

use super::*;

/// pal.createFile succeeded: a new, empty file.
pub fn created(w: &mut World, c: &sys::OtaFileContext_t) {
    let now = of_context(c);
    if let Some(r) = w.resume.as_mut() {
        let n = blocks(c.fileSize) as usize;
        r.flash = Some(vec![Blk::Absent; n]);
        r.inherited = vec![false; n];
        r.open_job = now.job.clone();
        r.last = Some(now);
    }
}

/// pal.writeBlock of block `i` succeeded.
pub fn wrote(w: &mut World, i: usize) {
    let flush_hook = w
        .resume
        .as_ref()
        .is_some_and(|r| r.table.flushFile.is_some());
    if let Some(r) = w.resume.as_mut() {
        assert!(
            !r.inherited.get(i).copied().unwrap_or(false),
            "pal.writeBlock of block {i}, which the reopened record counted as received"
        );
        if let Some(b) = r.flash.as_mut().and_then(|f| f.get_mut(i)) {
            *b = if flush_hook {
                Blk::Volatile
            } else {
                Blk::Durable
            };
        }
    }
}

/// Whether pal.closeFile may close: every block the agent thinks it has (written now or
/// inherited) was written; then whether the file on flash is whole (else the signature check
/// fails, as a real PAL's would over a forged record's holes).
pub fn close(w: &mut World) -> bool {
    let written = &w.written;
    match w.resume.as_mut() {
        None => {
            assert!(
                written.iter().all(|&b| b),
                "pal.closeFile before every block was written"
            );
            true
        }
        Some(r) => {
            for (i, &b) in written.iter().enumerate() {
                assert!(
                    b || r.inherited.get(i) == Some(&true),
                    "pal.closeFile before block {i} was written"
                );
            }
            let whole = r
                .flash
                .as_ref()
                .is_some_and(|f| f.iter().all(|&b| b != Blk::Absent));
            if whole {
                if let Some(f) = r.flash.as_mut() {
                    f.fill(Blk::Durable);
                }
            }
            r.inherited.clear();
            whole
        }
    }
}

/// A job ended (`what`): the record the agent saved or loaded for it must be erased.
pub fn job_ended(w: &mut World, what: &str) {
    let rebooting = w.rebooting;
    if let Some(r) = w.resume.as_mut() {
        if r.shutdown_asked || rebooting {
            return;
        }
        assert!(
            !r.owes_erase || r.store.is_none(),
            "{what}: the job ended, and the resume record it saved or loaded was never erased \
             (stored: {:02x?})",
            r.store
        );
    }
}

/// pal.abort closed the file.
pub fn aborted(w: &mut World) {
    job_ended(w, "pal.abort");
    if let Some(r) = w.resume.as_mut() {
        r.inherited.clear();
    }
}

/// A GetStream request with `bitmap` (offset 0) for the open file.
pub fn check_request(w: &World, bitmap: &[u8]) {
    let Some(r) = w.resume.as_ref() else { return };
    for (i, &got) in r.inherited.iter().enumerate() {
        let asked = bitmap.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0);
        assert!(
            !(got && asked),
            "GetStream asks for block {i}, which the reopened record counted as received"
        );
    }
}

/// An HTTP range request from byte `start`.
pub fn check_range(w: &World, start: u32) {
    let Some(r) = w.resume.as_ref() else { return };
    let i = (start / BLOCK) as usize;
    assert!(
        r.inherited.get(i) != Some(&true),
        "HTTP range asks for block {i}, which the reopened record counted as received"
    );
}

/// The device lost power: unflushed blocks are gone, the agent remembers nothing.
pub fn power_cut(w: &mut World) {
    if let Some(r) = w.resume.as_mut() {
        if let Some(f) = r.flash.as_mut() {
            for b in f.iter_mut().filter(|b| **b == Blk::Volatile) {
                *b = Blk::Absent;
            }
        }
        r.owes_erase = false;
        r.loaded = None;
        r.inherited.clear();
    }
}

/// A Shutdown event was queued. The agent queues one itself in the block states only after a
/// momentum abort that reported the job FAILED, whose record must go (the finding
/// resume/keeps-record-of-momentum-aborted-job); elsewhere (the job request or the transfer
/// start giving up) the job goes on after a restart, and its record may stay.
pub fn agent_shuts_down(w: &mut World) {
    // One the application sends (OTA_SignalEvent in an idle step) is its shutdown.
    let by_application = w.in_idle_step;
    if let Some(r) = w.resume.as_mut() {
        // SAFETY: OTA_GetState has no preconditions.
        let state = unsafe { sys::OTA_GetState() };
        if by_application
            || (state != sys::OtaAgentStateRequestingFileBlock
                && state != sys::OtaAgentStateWaitingForFileBlock)
        {
            r.shutdown_asked = true;
            r.agent_kept = true;
        }
    }
}

/// The agent stopped.
pub fn stopped(w: &mut World) {
    if let Some(r) = w.resume.as_mut() {
        // The record a shutdown the agent queued itself kept is not owed by the next job.
        if std::mem::take(&mut r.agent_kept) {
            r.owes_erase = false;
        }
        r.shutdown_asked = false;
    }
}
