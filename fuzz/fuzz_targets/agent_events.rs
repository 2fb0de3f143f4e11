//! Whole-agent event sequences: events in any order with any payload, application API calls,
//! timer expiries (stale ones too), cloud answers, and every interface call failing where the
//! fuzzer says. Input: a flags byte (platform state, application habits, the application's
//! buffers or the OS allocator, queue depth), the length L of the fault tape, the script, and L
//! bytes of fault tape at the end (one bit per interface call, 1 = fail). Invariants: src/world.rs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::script::{self, Cursor};
use ota_fuzz::world::{self, Setup};

fuzz_target!(|data: &[u8]| {
    let [flags, tape, rest @ ..] = data else {
        return;
    };
    let split = rest.len().saturating_sub(usize::from(*tape));
    let (ops, faults) = rest.split_at(split);
    let (platform_state, habits) = script::knob(*flags);
    let mut c = Cursor::new(ops);
    world::run(Setup {
        script: Box::new(move |d| script::agent_step(d, &mut c)),
        faults: faults.to_vec(),
        platform_state,
        habits,
        app_buffers: flags & 0x40 != 0,
        queue_cap: if flags & 0x80 != 0 { 2 } else { 16 },
        resume: None,
    });
});
