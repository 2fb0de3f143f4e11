//! Block ingest over HTTP: an agent downloading a job's file by range requests receives bodies the
//! fuzzer shapes (the range asked, one byte short or long, any length, any bytes), interleaved
//! with correct answers and request-timer expiries (which re-ask the range). The PAL checks every
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
                    let doc = Job::http("job-1", size).json();
                    let _ = d.send(sys::OtaAgentEventReceivedJobDocument, doc.as_bytes());
                }
                _ => {
                    if c.is_empty() {
                        return false;
                    }
                    match c.byte() % 8 {
                        0..=3 => script::body(d, &mut c),
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
