//! A received job document: parse it, store its values in the file context the way v2.0.0's
//! document model does, decide what the job is (new, same as the active one, self test, none)
//! and start it.

mod parse;
mod start;

use super::ingest::blocks_in;
use super::state::{image_state, release_file, set_text, until_nul, Outcome, AGENT, FILE};
use super::verdict::platform_in_self_test;
use crate::job;
use crate::mqtt;
use crate::sys;
use crate::sys::fctx::{self, Text};
use parse::{parse, report_unusable, Parsed};
use start::{create_file, no_file, self_test_job, start_file};

/// Largest file a bitmap buffer of `capacity` bytes (0: allocated) can track, and never more
/// than a GetStream request can carry (#476, #503, #504).
fn max_blocks(capacity: u16) -> u32 {
    // Branch-free: 0 wraps to the top and is cut to the most, as any other size is (-8 B).
    const _: () = assert!(sys::OTA_MAX_BLOCK_BITMAP_SIZE >= 1);
    let bytes = u32::from(capacity)
        .wrapping_sub(1)
        .min(sys::OTA_MAX_BLOCK_BITMAP_SIZE - 1)
        .wrapping_add(1);
    bytes.saturating_mul(8)
}

/// Why a job's values cannot be downloaded.
#[derive(Clone, Copy)]
enum Problem {
    ZeroSize,
    /// The stream name's length.
    LongStream(usize),
    /// The file's blocks, and the most the bitmap can track.
    TooManyBlocks(u32, u32),
}

impl Problem {
    /// Logs the problem (outside the lock) and names it for the job's status.
    fn log(self) -> sys::OtaJobParseErr_t {
        match self {
            Problem::ZeroSize => sys::OtaJobParseErrZeroFileSize,
            Problem::LongStream(len) => {
                // Longer than any AWS stream ID; v2.0.0 overflowed its topic buffers with it (U3).
                ota_log!(
                    Error,
                    "The stream name has ",
                    u(len),
                    " characters, more than AWS allows"
                );
                sys::OtaJobParseErrNonConformingJobDoc
            }
            Problem::TooManyBlocks(blocks, max) => {
                ota_log!(
                    Error,
                    "The file has ",
                    u(blocks),
                    " blocks, more than the bitmap can track (",
                    u(max),
                    ")"
                );
                sys::OtaJobParseErrNonConformingJobDoc
            }
        }
    }
}

/// The file context and agent as a job document left them.
struct Look {
    problem: Option<Problem>,
    size: u32,
    file_id: u32,
    self_test: bool,
    updated_by: u32,
    same_job: bool,
    self_test_begun: bool,
}

/// Handles one job document (v2.0.0's processJobHandler, before the buffer is handed back).
pub(super) fn process(doc: &[u8]) -> Outcome {
    let id = match parse(doc) {
        Parsed::NoJob => {
            ota_log!(Info, "No pending OTA job");
            return Outcome::Stay;
        }
        Parsed::Malformed(id) => {
            if let Some(id) = id {
                report_unusable(&id, sys::OtaJobParseErrNonConformingJobDoc);
            }
            release_file();
            return no_file();
        }
        Parsed::Job(id) => id,
    };
    // One look at the document's values and the agent: when the values fit, the job becomes the
    // active one in the same lock.
    let look = AGENT.with2(&FILE, |a, f| {
        let stream_len = fctx::text(f, Text::StreamName).len();
        let problem = if f.fileSize == 0 {
            Some(Problem::ZeroSize)
        } else if stream_len > mqtt::MAX_STREAM_NAME {
            Some(Problem::LongStream(stream_len))
        } else if blocks_in(f.fileSize) > max_blocks(f.blockBitmapMaxSize) {
            Some(Problem::TooManyBlocks(
                blocks_in(f.fileSize),
                max_blocks(f.blockBitmapMaxSize),
            ))
        } else {
            None
        };
        let mut look = Look {
            problem,
            size: f.fileSize,
            file_id: f.serverFileID,
            self_test: f.isInSelfTest,
            updated_by: f.updaterVersion,
            same_job: false,
            self_test_begun: a.self_test_begun,
        };
        if look.problem.is_none() {
            look.same_job = a.has_job() && job::eq_bytes(until_nul(&a.active_job), id.as_bytes());
            if !look.same_job {
                set_text(&mut a.active_job, id.as_bytes());
            }
            a.server_file_id = look.file_id;
            // The flag belongs to this document only; v2.0.0 left it set for later jobs (#153).
            f.isInSelfTest = false;
        }
        look
    });
    if let Some(problem) = look.problem {
        report_unusable(&id, problem.log());
        release_file();
        return no_file();
    }
    let Look {
        size,
        file_id,
        self_test,
        updated_by,
        same_job,
        self_test_begun,
        ..
    } = look;
    if self_test {
        self_test_job(file_id, updated_by);
        // Nothing is downloaded for this document; v2.0.0 closed the file context here too.
        release_file();
        return no_file();
    }
    if same_job && image_state() == sys::OtaImageStateTesting {
        // The job under self test again (OTA_CheckForUpdate or OTA_Resume meanwhile): starting a
        // download here would reset the device. A StartSelfTest that an application's event got
        // ahead of (a job request or a suspend in CreatingFile) was dropped: begin it now, or
        // the self-test timer rolls the good image back.
        if !self_test_begun {
            return no_file();
        }
        ota_log!(
            Info,
            "Job document for the job under self test received; ignored"
        );
        return Outcome::Stay;
    }
    if same_job {
        // Same job again (resume, or a refreshed pre-signed URL): the new values are in place
        // and the download continues with the bitmap it has.
        ota_log!(
            Info,
            "Job document for the active job received; continuing it"
        );
        return start_file();
    }
    if platform_in_self_test() || create_file(size) {
        start_file()
    } else {
        no_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_capacity_limits_the_blocks_and_zero_means_allocated() {
        let most = sys::OTA_MAX_BLOCK_BITMAP_SIZE;
        assert_eq!(max_blocks(0), most * 8);
        assert_eq!(max_blocks(1), 8);
        assert_eq!(max_blocks(2), 16);
        for cap in [most - 1, most, most + 1] {
            let cap16 = u16::try_from(cap).unwrap();
            assert_eq!(max_blocks(cap16), cap.min(most) * 8);
        }
        assert_eq!(max_blocks(u16::MAX), most * 8);
    }
}
