//! Block ingest over HTTP: an agent downloading a job's file by range requests receives bodies the
//! fuzzer shapes (the range asked, one byte short or long, any length, any bytes), interleaved
//! with correct answers and request-timer expiries (which re-ask the range). The PAL checks every
//! write is inside the file and that the file closes only once every block was written.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::doc::Job;
use ota_fuzz::script::{self, Cursor};
use ota_fuzz::world::BLOCK;

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let size = 1 + u32::from(c.u16()) % (6 * BLOCK);
    script::download(c, Job::http("job-1", size).json(), script::body);
});
