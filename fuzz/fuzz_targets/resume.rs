//! Resume across reboot (include/ota_ext.h) against a hostile stored record: the whole agent
//! as in agent_events, with the application's resume table registered over an in-memory store
//! that the script replaces with any bytes, forges (valid CRC, lying fields or bitmap), or
//! mutates (flip, cut, extend, overwrite; the CRC fixed or not), reboots of the device (a power
//! cut: flash and store survive, unflushed blocks do not; then a job document), and changes of
//! the registration (NULL, incomplete tables, another save interval). Input: a flags byte as
//! agent_events', the length L of the fault tape, a resume byte (bits 0-2 saveEveryBlocks, 3 a
//! flushFile hook, 4 a load that reports records too large for the buffer, 5 no registration
//! before the first start), a record-buffer size selector, the script, and L bytes of fault
//! tape (reopenFile, flushFile, save and erase fail where it says too). Invariants:
//! src/resume.rs and src/world.rs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::resume::{self, BUFFER_SIZES};
use ota_fuzz::script::{self, Cursor};
use ota_fuzz::world::{self, Setup};

fuzz_target!(|data: &[u8]| {
    let [flags, tape, knobs, buffer, rest @ ..] = data else {
        return;
    };
    let split = rest.len().saturating_sub(usize::from(*tape));
    let (ops, faults) = rest.split_at(split);
    let (platform_state, habits) = script::knob(*flags);
    let mut c = Cursor::new(ops);
    world::run(Setup {
        script: Box::new(move |d| script::resume_step(d, &mut c)),
        faults: faults.to_vec(),
        platform_state,
        habits,
        app_buffers: flags & 0x40 != 0,
        queue_cap: if flags & 0x80 != 0 { 2 } else { 16 },
        resume: Some(resume::Config {
            every: u32::from(knobs & 7),
            buffer_size: BUFFER_SIZES[usize::from(buffer % BUFFER_SIZES.len() as u8)],
            flush_hook: knobs & 8 != 0,
            lying_load: knobs & 16 != 0,
            register_at_boot: knobs & 32 == 0,
        }),
    });
});
