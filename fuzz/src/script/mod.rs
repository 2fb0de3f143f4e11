//! Turns fuzzer bytes into the steps of a script: events, cloud messages, timer expiries and
//! application API calls. Every step reads what it needs from a cursor; a cursor that runs dry
//! reads zeros, so every input is a valid script.

use crate::cbor;
use crate::doc::{self, Job};
use crate::sys;
use crate::world::{self, api, Driver, BLOCK};

mod resume_ops;

pub use resume_ops::resume_step;

/// Reads the script's bytes front to back.
pub struct Cursor {
    data: Vec<u8>,
    at: usize,
}

impl Cursor {
    pub fn new(data: &[u8]) -> Cursor {
        Cursor {
            data: data.to_vec(),
            at: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.data.len()
    }

    pub fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// Up to `n` bytes (fewer when the input ends).
    pub fn take(&mut self, n: usize) -> Vec<u8> {
        let start = self.at.min(self.data.len());
        let end = start.saturating_add(n).min(self.data.len());
        self.at = start.saturating_add(n);
        self.data[start..end].to_vec()
    }
}

/// File sizes worth trying: block edges, tiny, empty, beyond the PAL, beyond any bitmap.
const SIZES: [u32; 12] = [
    1,
    100,
    4095,
    4096,
    4097,
    8192,
    8292,
    3 * 4096 + 1,
    16 * 4096,
    0,
    300_000,
    u32::MAX,
];

/// A job document built from the cursor: ids that collide, sizes on block edges, numbers AWS
/// cannot send, fields left out.
pub fn job(c: &mut Cursor) -> Job {
    let flags = c.byte();
    let drop = c.byte();
    let id = format!("job-{}", c.byte() % 4);
    let size = match c.byte() as usize {
        n if n < SIZES.len() * 16 => SIZES[n % SIZES.len()].to_string(),
        n if n < 250 => c.u32().to_string(),
        _ => "12x".into(),
    };
    let file_id = match c.byte() % 10 {
        0..=2 => "0".into(),
        3 | 4 => "1".into(),
        5 => "255".into(),
        6 => "256".into(),
        7 => "2147483648".into(),
        8 => "-1".into(),
        _ => c.byte().to_string(),
    };
    let mut j = match flags & 3 {
        0 | 1 => Job::mqtt(&id, if flags & 4 == 0 { "s1" } else { "s2" }, 0, 0),
        2 => Job::http(&id, 0),
        _ => {
            let mut j = Job::mqtt(&id, "s1", 0, 0);
            j.protocols = Some(
                if flags & 4 == 0 {
                    "[\"MQTT\",\"HTTP\"]"
                } else {
                    "[\"HTTP\",\"MQTT\"]"
                }
                .into(),
            );
            j.url = Some("https://bucket.example/fw.bin".into());
            j.auth_scheme = Some("aws.s3.presigned".into());
            j
        }
    };
    j.file_size = Some(size);
    j.file_id = Some(file_id);
    if flags & 8 != 0 {
        j.self_test = Some(if flags & 16 == 0 { "ready" } else { "active" }.into());
    }
    if flags & 32 != 0 {
        j.updated_by = Some(if flags & 64 == 0 {
            "65538".into()
        } else {
            c.u32().to_string()
        });
    }
    if flags & 128 != 0 {
        j.signature = Some("!!not base64!!".into());
    }
    let fields: [&mut Option<String>; 8] = [
        &mut j.file_path,
        &mut j.file_size,
        &mut j.file_id,
        &mut j.cert_file,
        &mut j.signature,
        &mut j.stream,
        &mut j.url,
        &mut j.job_id,
    ];
    for (bit, field) in fields.into_iter().enumerate() {
        if drop & (1 << bit) != 0 {
            *field = None;
        }
    }
    j
}

/// A stream data block: right or wrong file, index, declared length and payload length.
pub fn block(d: &mut Driver, c: &mut Cursor) {
    let shape = c.byte();
    let size = d.file_size().unwrap_or(BLOCK * 2);
    let blocks = size.div_ceil(BLOCK).max(1);
    let (stream_file, asked) = match world::last_stream() {
        Some(req) => (i64::from(req.file_id), Some(req)),
        None => (0, None),
    };
    let file_id = match shape & 3 {
        0 | 1 => stream_file,
        2 => i64::from(c.byte() % 4),
        _ => i64::from(c.u32() as i32),
    };
    let index = match (shape >> 2) & 3 {
        0 | 1 => {
            // A block the last request asked for.
            let first = asked.map_or(0, |r| r.offset.max(0) as u32);
            i64::from((first + u32::from(c.byte() % 4)).min(blocks - 1))
        }
        2 => i64::from(u32::from(c.byte()) % (blocks + 2)),
        _ => i64::from(c.u32() as i32),
    };
    let exact = usize::try_from(index)
        .ok()
        .map(|i| (i as u32).saturating_mul(BLOCK))
        .filter(|&start| start < size)
        .map_or(BLOCK, |start| (size - start).min(BLOCK));
    let len = match (shape >> 4) & 3 {
        0 | 1 => exact,
        2 => exact
            .saturating_add(u32::from(c.byte() % 3))
            .saturating_sub(1),
        _ => u32::from(c.u16()) % (BLOCK + 64),
    } as usize;
    let payload = if shape & 64 == 0 {
        world::image((index.max(0) as u32).saturating_mul(BLOCK), len as u32)
    } else {
        let mut p = c.take(len);
        p.resize(len, 0x5a);
        p
    };
    let declared = if c.byte() < 240 {
        len as i64
    } else {
        i64::from(c.u16())
    };
    let chunks = if shape & 128 == 0 {
        1
    } else {
        usize::from(c.byte() % 4) + 1
    };
    let msg = cbor::block(file_id, index, declared, &payload, chunks);
    let _ = d.send(sys::OtaAgentEventReceivedFileBlock, &msg);
}

/// An HTTP body for the last range asked, or of another length, or of bytes from the input.
pub fn body(d: &mut Driver, c: &mut Cursor) {
    let shape = c.byte();
    let (start, end) = world::last_range().unwrap_or((0, BLOCK - 1));
    let exact = end - start + 1;
    let len = match shape & 3 {
        0 | 1 => exact,
        2 => exact
            .saturating_add(u32::from(c.byte() % 3))
            .saturating_sub(1),
        _ => u32::from(c.u16()) % (BLOCK + 300),
    };
    let payload = if shape & 4 == 0 {
        world::image(start, len)
    } else {
        let mut p = c.take(len as usize);
        p.resize(len as usize, 0xa5);
        p
    };
    let _ = d.send(sys::OtaAgentEventReceivedFileBlock, &payload);
}

/// Application habits and platform state from one byte.
pub fn knob(b: u8) -> (sys::OtaPalImageState_t, world::AppHabits) {
    let state = match b & 3 {
        0 => sys::OtaPalImageStateValid,
        1 => sys::OtaPalImageStatePendingCommit,
        2 => sys::OtaPalImageStateInvalid,
        _ => sys::OtaPalImageStateUnknown,
    };
    (
        state,
        world::AppHabits {
            activate: b & 4 != 0,
            self_test: (b >> 3) % 3,
        },
    )
}

/// One step of the whole-agent script; false once the script is over (having done nothing).
pub fn agent_step(d: &mut Driver, c: &mut Cursor) -> bool {
    if c.is_empty() {
        return false;
    }
    let code = c.byte();
    agent_op(d, c, code % 21);
    true
}

/// Agent step `op` (0..21) of [`agent_step`].
fn agent_op(d: &mut Driver, c: &mut Cursor, op: u8) {
    match op {
        0 => {
            let _ = d.signal(sys::OtaAgentEventStart);
        }
        1 => {
            let _ = api::check_for_update();
        }
        2 => {
            let text = job(c).json();
            let _ = d.send(sys::OtaAgentEventReceivedJobDocument, text.as_bytes());
        }
        3 => {
            let n = usize::from(c.u16()) % 1500;
            let text = c.take(n);
            let _ = d.send(sys::OtaAgentEventReceivedJobDocument, &text);
        }
        4 | 5 => {
            let _ = d.answer();
        }
        6 => block(d, c),
        7 => {
            let n = usize::from(c.u16()) % (BLOCK as usize + 64);
            let bytes = c.take(n);
            let _ = d.send(sys::OtaAgentEventReceivedFileBlock, &bytes);
        }
        8 => body(d, c),
        9 => {
            let _ = world::fire_timer(sys::OtaRequestTimer);
        }
        10 => {
            let _ = world::fire_timer(sys::OtaSelfTestTimer);
        }
        11 => world::fire_stale_timer(if c.byte() & 1 == 0 {
            sys::OtaRequestTimer
        } else {
            sys::OtaSelfTestTimer
        }),
        12 => {
            let _ = api::suspend();
        }
        13 => {
            let _ = api::resume();
        }
        14 => {
            let state = u32::from(c.byte() % 6) as sys::OtaImageState_t;
            let _ = api::set_image_state(state);
        }
        15 => {
            let _ = api::activate();
        }
        16 => {
            let _ = api::shutdown(u32::from(c.byte() % 3));
        }
        17 => {
            let b = c.byte();
            let event = u32::from(b % 14) as sys::OtaEvent_t;
            // Only the two payload events lend a buffer (v2.0.0 hands back no other).
            let payload = event == sys::OtaAgentEventReceivedJobDocument
                || event == sys::OtaAgentEventReceivedFileBlock;
            if b & 0x80 == 0 || !payload {
                let _ = d.signal(event);
            } else {
                let n = usize::from(c.byte());
                let bytes = c.take(n);
                let _ = d.send(event, &bytes);
            }
        }
        18 => {
            let (state, habits) = knob(c.byte());
            world::set_habits(state, habits);
        }
        19 => {
            let stats = api::statistics();
            assert!(
                stats.otaPacketsQueued <= stats.otaPacketsReceived,
                "more blocks queued than received"
            );
            let _ = world::checked_state();
        }
        _ => {
            // A document that repeats the last stream request's job: the cloud resends.
            let _ = d.send(
                sys::OtaAgentEventReceivedJobDocument,
                doc::Job::mqtt("job-0", "s1", BLOCK + 1, 0)
                    .json()
                    .as_bytes(),
            );
        }
    }
}

/// One download the fuzzer shapes: start, the job document `doc`, then from `c` a mix of
/// `shaped` answers (three in eight), correct answers, request-timer expiries and raw payloads.
pub fn download(mut c: Cursor, doc: String, shaped: fn(&mut Driver, &mut Cursor)) {
    let app_buffers = c.byte() & 1 == 1;
    let mut step = 0u32;
    world::run(world::Setup {
        script: Box::new(move |d| {
            step += 1;
            match step {
                1 => {
                    let _ = d.signal(sys::OtaAgentEventStart);
                }
                2 => {
                    let _ = d.take_pending();
                    let _ = d.send(sys::OtaAgentEventReceivedJobDocument, doc.as_bytes());
                }
                _ if c.is_empty() => return false,
                _ => match c.byte() % 8 {
                    0..=3 => shaped(d, &mut c),
                    4 | 5 => {
                        let _ = d.answer();
                    }
                    6 => {
                        let _ = world::fire_timer(sys::OtaRequestTimer);
                    }
                    _ => {
                        let n = usize::from(c.u16()) % (BLOCK as usize + 64);
                        let bytes = c.take(n);
                        let _ = d.send(sys::OtaAgentEventReceivedFileBlock, &bytes);
                    }
                },
            }
            true
        }),
        faults: Vec::new(),
        platform_state: sys::OtaPalImageStateValid,
        habits: world::AppHabits::default(),
        app_buffers,
        queue_cap: 16,
        resume: None,
    });
}
