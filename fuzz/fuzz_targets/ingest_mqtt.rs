//! Block ingest over MQTT: an agent downloading a job's file from a stream receives blocks the
//! fuzzer shapes (right or wrong file, index, declared and real length, chunked payloads, raw
//! bytes), interleaved with correct answers and request-timer expiries. The PAL checks every
//! write is inside the file and that the file closes only once every block was written.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::doc::Job;
use ota_fuzz::script::{self, Cursor};
use ota_fuzz::sys;
use ota_fuzz::world::{self, AppHabits, Setup, BLOCK};

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let size = 1 + u32::from(c.u16()) % (6 * BLOCK);
    let file_id = u32::from(c.byte() % 3);
    let app_buffers = c.byte() & 1 == 1;
    let mut step = 0u32;
    world::run(Setup {
        script: Box::new(move |d| {
            step += 1;
            match step {
                1 => {
                    let _ = d.signal(sys::OtaAgentEventStart);
                }
                2 => {
                    let _ = d.take_pending();
                    let doc = Job::mqtt("job-1", "s1", size, file_id).json();
                    let _ = d.send(sys::OtaAgentEventReceivedJobDocument, doc.as_bytes());
                }
                _ => {
                    if c.is_empty() {
                        return false;
                    }
                    match c.byte() % 8 {
                        0..=3 => script::block(d, &mut c),
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
                    }
                }
            }
            true
        }),
        faults: Vec::new(),
        platform_state: sys::OtaPalImageStateValid,
        habits: AppHabits::default(),
        app_buffers,
        queue_cap: 16,
    });
});
