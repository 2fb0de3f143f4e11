//! Block ingest over MQTT: an agent downloading a job's file from a stream receives blocks the
//! fuzzer shapes (right or wrong file, index, declared and real length, chunked payloads, raw
//! bytes), interleaved with correct answers and request-timer expiries. The PAL checks every
//! write is inside the file and that the file closes only once every block was written.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::doc::Job;
use ota_fuzz::script::{self, Cursor};
use ota_fuzz::world::BLOCK;

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let size = 1 + u32::from(c.u16()) % (6 * BLOCK);
    let file_id = u32::from(c.byte() % 3);
    script::download(
        c,
        Job::mqtt("job-1", "s1", size, file_id).json(),
        script::block,
    );
});
