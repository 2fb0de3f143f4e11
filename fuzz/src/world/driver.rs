//! The cloud and the driver: what a script step may do, and the steps around a script.

use super::*;

// ---- the cloud and the driver ---------------------------------------------------------------

/// What a script step may do.
pub struct Driver;

impl Driver {
    /// Hands the agent `payload` in a pool buffer; false when refused (the buffer comes back).
    pub fn send(&mut self, event: sys::OtaEvent_t, payload: &[u8]) -> bool {
        let data = with(|w| {
            if event == sys::OtaAgentEventReceivedJobDocument {
                w.last_doc = payload.to_vec();
            }
            let i = w.lent.iter().position(|&l| !l)?;
            w.lent[i] = true;
            let buf = &mut *w.pool[i];
            let n = payload.len().min(buf.data.len());
            buf.data[..n].copy_from_slice(&payload[..n]);
            buf.dataLength = n as u32;
            buf.bufferUsed = true;
            Some((i, buf as *mut sys::OtaEventData_t))
        });
        let Some((i, ptr)) = data else { return false };
        let msg = sys::OtaEventMsg_t {
            pEventData: ptr,
            eventId: event,
        };
        // SAFETY: the message and its buffer stay valid until OtaJobEventProcessed.
        let ok = unsafe { sys::OTA_SignalEvent(&msg) };
        if !ok {
            with(|w| w.lent[i] = false);
        }
        ok
    }

    /// Signals an event without payload.
    pub fn signal(&mut self, event: sys::OtaEvent_t) -> bool {
        let msg = sys::OtaEventMsg_t {
            pEventData: null_mut(),
            eventId: event,
        };
        // SAFETY: a valid message without payload.
        unsafe { sys::OTA_SignalEvent(&msg) }
    }

    /// The oldest request the agent made.
    pub fn peek_pending(&self) -> Option<Pending> {
        with(|w| w.pending.front().cloned())
    }

    /// Takes the oldest request the agent made, to answer it another way.
    pub fn take_pending(&mut self) -> Option<Pending> {
        with(|w| w.pending.pop_front())
    }

    /// The created file's size, if a file is open.
    pub fn file_size(&self) -> Option<u32> {
        with(|w| w.created.as_ref().map(|c| c.size))
    }

    /// Answers the oldest request the agent made; false when there is none.
    pub fn answer(&mut self) -> bool {
        let Some(p) = with(|w| w.pending.pop_front()) else {
            return false;
        };
        match p {
            Pending::JobDocument => {
                let _ = self.send(
                    sys::OtaAgentEventReceivedJobDocument,
                    clean_job().as_bytes(),
                );
            }
            Pending::Stream { req, .. } => self.serve_stream(&req),
            Pending::Range { start, end } => {
                let body = image(start, end - start + 1);
                let _ = self.send(sys::OtaAgentEventReceivedFileBlock, &body);
            }
        }
        true
    }

    /// Sends the blocks a GetStream request asks for (bitmap from offset, at most n).
    pub fn serve_stream(&mut self, req: &cbor::Request) {
        let Some(size) = self.file_size() else { return };
        let blocks = size.div_ceil(BLOCK);
        let mut sent = 0;
        for (byte, bits) in req.bitmap.iter().enumerate() {
            for bit in 0..8 {
                let index = req.offset as u32 + (byte as u32) * 8 + bit;
                if bits & (1 << bit) == 0 || index >= blocks || sent >= req.blocks.max(0) {
                    continue;
                }
                let start = index * BLOCK;
                let len = (size - start).min(BLOCK);
                let msg = cbor::block(
                    req.file_id.into(),
                    index.into(),
                    len.into(),
                    &image(start, len),
                    1,
                );
                if !self.send(sys::OtaAgentEventReceivedFileBlock, &msg) {
                    return;
                }
                sent += 1;
            }
        }
    }
}

/// Byte `i` of every test image.
pub fn image(start: u32, len: u32) -> Vec<u8> {
    (0..len)
        .map(|k| start.wrapping_add(k))
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// The job the cloud hands out after the script: MQTT, two blocks.
pub fn clean_job() -> String {
    Job::mqtt("clean-job", "clean-stream", BLOCK + 100, 1).json()
}

/// One step of the world, run when the agent waits on an empty queue.
pub(super) fn idle_step() {
    let (phase, held) = with(|w| {
        w.steps += 1;
        (w.phase, w.lent.iter().filter(|&&l| l).count())
    });
    assert_eq!(
        held, 0,
        "{held} event buffers held while the agent waits with an empty queue"
    );
    let state = checked_state();
    if with(|w| w.faults.trace) {
        eprintln!("step {phase:?} state {state}");
    }
    let mut d = Driver;
    if with(|w| w.rebooting) {
        // The reboot: the agent goes down with the device and starts again after it.
        let _ = api::shutdown(0);
        return;
    }
    match phase {
        Phase::Script if boot_step(&mut d) => {}
        Phase::Script => {
            if !script_step() {
                begin_clean(&mut d);
            }
        }
        Phase::Clean => clean_step(&mut d),
        Phase::Stop => {
            with(|w| w.phase = Phase::Done);
            let _ = api::shutdown(0);
        }
        Phase::Done => panic!(
            "the agent did not stop after OTA_Shutdown (state {})",
            checked_state()
        ),
    }
}

/// Runs the script's next step; false once it is over.
pub(super) fn script_step() -> bool {
    // The script is taken out of the world while it runs: its calls come back into the world.
    let mut script = with(|w| std::mem::replace(&mut w.script, Box::new(|_| false)));
    let more = script(&mut Driver);
    with(|w| w.script = script);
    more
}

/// After a script's reboot: the application starts the agent, the cloud sends the job
/// document the script chose. False when there is nothing left to do.
pub(super) fn boot_step(d: &mut Driver) -> bool {
    let Some(step) = with(|w| w.boot.pop_front()) else {
        return false;
    };
    match step {
        BootStep::Start => {
            let _ = d.signal(sys::OtaAgentEventStart);
        }
        BootStep::Doc(doc) => {
            let _ = d.take_pending();
            let _ = d.send(sys::OtaAgentEventReceivedJobDocument, &doc);
        }
    }
    true
}

/// The script reboots the device (a power cut: the agent is shut down, the flash and the
/// stored record survive, unflushed blocks do not); after it, the agent is started and `doc`
/// (None: the last job document sent) arrives.
pub fn reboot(doc: Option<Vec<u8>>, send_doc: bool) {
    with(|w| {
        w.rebooting = true;
        w.boot.clear();
        w.boot.push_back(BootStep::Start);
        if send_doc {
            let doc = doc.unwrap_or_else(|| w.last_doc.clone());
            w.boot.push_back(BootStep::Doc(doc));
        }
    });
}

pub(super) fn begin_clean(d: &mut Driver) {
    with(|w| {
        w.boot.clear();
        w.phase = Phase::Clean;
        w.faults.enabled = false;
        w.platform_state = sys::OtaPalImageStateValid;
        w.habits = AppHabits::default();
        w.pending.clear();
        w.clean_steps = 0;
        w.clean_activations = w.activations;
    });
    // The application gives up on whatever the script left half done, then asks for a job.
    let _ = api::set_image_state(sys::OtaImageStateAborted);
    let _ = d;
}

pub(super) fn clean_step(d: &mut Driver) {
    let (steps, done) = with(|w| {
        w.clean_steps += 1;
        (w.clean_steps, w.activations > w.clean_activations)
    });
    if done {
        with(|w| w.phase = Phase::Stop);
        return;
    }
    assert!(
        steps <= CLEAN_BUDGET,
        "the agent did not complete a clean job in {CLEAN_BUDGET} steps (state {})",
        checked_state()
    );
    if d.answer() {
        return;
    }
    match checked_state() {
        sys::OtaAgentStateReady => {
            let _ = d.signal(sys::OtaAgentEventStart);
        }
        sys::OtaAgentStateSuspended => {
            let _ = api::resume();
        }
        _ => {
            if !fire_timer(sys::OtaRequestTimer) {
                let _ = api::check_for_update();
            }
        }
    }
}
