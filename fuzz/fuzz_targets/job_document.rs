//! The job-document parser through the agent: the input is the document the cloud sends on
//! `$next/get/accepted`, to an agent that asked for its next job, once on a platform running a
//! valid image and once on one in self test. The cloud then answers what the document made the
//! agent ask for, and after it a clean job must complete (see src/world.rs for the invariants).
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_fuzz::sys;
use ota_fuzz::world::{self, AppHabits, Setup};

fuzz_target!(|data: &[u8]| {
    for state in [
        sys::OtaPalImageStateValid,
        sys::OtaPalImageStatePendingCommit,
    ] {
        let doc = data.to_vec();
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
                        let _ = d.send(sys::OtaAgentEventReceivedJobDocument, &doc);
                    }
                    3..=6 => {
                        let _ = d.answer();
                    }
                    _ => return false,
                }
                true
            }),
            faults: Vec::new(),
            platform_state: state,
            habits: AppHabits {
                activate: false,
                self_test: 1,
            },
            app_buffers: false,
            queue_cap: 16,
            resume: None,
        });
    }
});
