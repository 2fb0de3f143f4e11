//! The control plane: AWS IoT Jobs topics (next-job request, notify-next, job status updates).

use super::text::Text;
use super::{
    job_topic, publish, subscribe, thing_topic, unsubscribe, Bytes, JOB_TOPIC_CAP,
    MAX_CLIENT_TOKEN, NEXT_ACCEPTED, NEXT_GET, NOTIFY_NEXT, STATUS_CAP,
};
use crate::sys::{self, OtaErr_t};

/// Asks for the next pending job: (re)subscribes to `$next/get/accepted` and `notify-next`,
/// then publishes `{"clientToken":"<counter>:<thing>"}` on `$next/get` (all QoS 1).
/// `counter` numbers the client tokens; like v2.0.0 it advances once both subscriptions are in
/// place, whether or not the publish then succeeds.
pub fn request_job(thing: &(impl Bytes + ?Sized), counter: &mut u32) -> Result<(), OtaErr_t> {
    let mut t = Text::new();
    if !subscribe(thing_topic(&mut t, thing, NEXT_ACCEPTED), 1)
        || !subscribe(thing_topic(&mut t, thing, NOTIFY_NEXT), 1)
    {
        return Err(sys::OtaErrRequestJobFailed);
    }
    let mut payload = Text::new();
    thing.read(|name| next_job_request(&mut payload, name, *counter));
    *counter = counter.wrapping_add(1);
    match payload.as_bytes() {
        Some(p) if publish(thing_topic(&mut t, thing, NEXT_GET), p, 1) => Ok(()),
        _ => Err(sys::OtaErrRequestJobFailed),
    }
}

/// `{"clientToken":"<counter>:<thing>"}` into the caller's buffer, the thing name cut so the
/// token stays within 64 bytes (upstream #468).
pub fn next_job_request(t: &mut Text<{ MAX_CLIENT_TOKEN + 24 }>, thing: &[u8], counter: u32) {
    const OPEN: &[u8] = b"{\"clientToken\":\"";
    t.push(OPEN).push_decimal(counter).push(b":");
    // Where the token must end; its room left is from the text so far (OPEN, digits, colon).
    const TOKEN_END: usize = OPEN.len() + MAX_CLIENT_TOKEN;
    let room = TOKEN_END.saturating_sub(t.written());
    // A name shorter than the room is whole.
    t.push(thing.get(..room).unwrap_or(thing)).push(b"\"}");
}

/// Unsubscribes the job topics (`notify-next`, then `$next/get/accepted`).
pub fn cleanup_control(thing: &(impl Bytes + ?Sized)) -> Result<(), OtaErr_t> {
    let mut t = Text::new();
    if unsubscribe(thing_topic(&mut t, thing, NOTIFY_NEXT), 0)
        && unsubscribe(thing_topic(&mut t, thing, NEXT_ACCEPTED), 0)
    {
        Ok(())
    } else {
        Err(sys::OtaErrCleanupControlFailed)
    }
}

/// What a job status update says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// IN_PROGRESS `"receive":"R/N"` (QoS 0).
    Receiving { received: u32, total: u32 },
    /// IN_PROGRESS `"self_test":"<reason>","updatedBy":"0x<version>"`.
    SelfTest { reason: Reason, version: u32 },
    /// FAILED `"reason":"0x<reason>: 0x<sub>"`.
    FailedWithValue { reason: u32, sub_reason: u32 },
    /// SUCCEEDED `"reason":"accepted  v<major>.<minor>.<build>"`.
    Succeeded { version: u32 },
    /// FAILED `"reason":"<rejected|aborted>: 0x<sub>"`.
    Failed { reason: Reason, sub_reason: u32 },
}

/// v2.0.0's text of a job reason a status carries (JobReasonSigCheckPassed,
/// JobReasonSelfTestActive, JobReasonRejected, JobReasonAborted), NUL-padded to 8 bytes. Text,
/// not the reason's code: a lookup by code cost the firmware its tables. One pointer, not a
/// slice, so a status stays three words and the frames that hold one do not grow.
pub type Reason = &'static [u8; 8];
pub const REASON_READY: Reason = b"ready\0\0\0";
pub const REASON_ACTIVE: Reason = b"active\0\0";
pub const REASON_REJECTED: Reason = b"rejected";
pub const REASON_ABORTED: Reason = b"aborted\0";
/// No reason: the templates without one, and FailedWithValue, whose reason is a number.
const NO_REASON: Reason = &[0; 8];

/// Placeholders in a status template (bytes no template text uses): the next number in decimal,
/// the next as `0x` and eight hex digits (every hex number has that lead), the reason's text
/// (with none, the next number in hex: the two FAILED messages share a template, -12 B), and
/// the `statusDetails` opening.
const END: u8 = 0;
const DEC: u8 = 1;
const HEX: u8 = 2;
const REASON: u8 = 3;
const DETAILS: u8 = 4;

/// Every status template, each ended by [`END`], in one string: a variant names its template by
/// where it starts, a byte, where a slice of its own cost two words and a load (-8 B, measured).
/// Each holds the message's closing `"}}`: three bytes apiece beat a push of its own (-12 B).
const TEMPLATES: &[u8] = b"IN_PROGRESS\x04receive\":\"\x01/\x01\"}}\0\
    IN_PROGRESS\x04self_test\":\"\x03\",\"updatedBy\":\"\x02\"}}\0\
    FAILED\x04reason\":\"\x03: \x02\"}}\0\
    SUCCEEDED\x04reason\":\"accepted  v\x01.\x01.\x01\"}}\0";
const RECEIVING: usize = template(0);
const SELF_TEST: usize = template(1);
const FAILED: usize = template(2);
const SUCCEEDED: usize = template(3);

/// Where the `n`th template of [`TEMPLATES`] starts (at compile time: past the last fails the
/// build).
const fn template(n: usize) -> usize {
    let (mut rest, mut at, mut seen) = (TEMPLATES, 0usize, 0);
    while seen < n {
        let Some((&b, tail)) = rest.split_first() else {
            break;
        };
        seen = seen.wrapping_add((b == END) as usize);
        at = at.wrapping_add(1);
        rest = tail;
    }
    assert!(seen == n, "no such template");
    at
}

/// The status message payload, byte for byte as v2.0.0 builds it (with the fixes above), into
/// the caller's buffer: `{"status":"` + the variant's template filled in (it ends with `"}}`),
/// one routine for the five messages.
pub fn status_payload(t: &mut Text<STATUS_CAP>, status: Status) {
    let (start, reason, numbers): (usize, Reason, [u32; 3]) = match status {
        Status::Receiving { received, total } => (RECEIVING, NO_REASON, [received, total, 0]),
        Status::SelfTest { reason, version } => (SELF_TEST, reason, [version, 0, 0]),
        Status::FailedWithValue { reason, sub_reason } => {
            (FAILED, NO_REASON, [reason, sub_reason, 0])
        }
        Status::Succeeded { version } => (
            SUCCEEDED,
            NO_REASON,
            [version >> 24, (version >> 16) & 0xff, version & 0xffff],
        ),
        Status::Failed { reason, sub_reason } => (FAILED, reason, [sub_reason, 0, 0]),
    };
    t.push(b"{\"status\":\"");
    let mut numbers = numbers;
    let mut rest = TEMPLATES.get(start..).unwrap_or(&[]);
    while let Some(at) = rest.iter().position(|&b| b <= DETAILS) {
        let (text, tail) = rest.split_at(at);
        t.push(text);
        let (&mark, tail) = tail.split_first().unwrap_or((&END, &[]));
        rest = tail;
        match mark {
            END => break,
            DEC | HEX | REASON => {
                if mark == REASON {
                    let len = reason.iter().position(|&b| b == 0).unwrap_or(reason.len());
                    if len > 0 {
                        t.push(reason.get(..len).unwrap_or(&[]));
                        continue;
                    }
                }
                if mark != DEC {
                    t.push(b"0x");
                }
                // Shifted, not indexed, so the numbers stay in registers.
                let [first, second, third] = numbers;
                numbers = [second, third, 0];
                t.push_number(first, mark != DEC)
            }
            _ => t.push(b"\",\"statusDetails\":{\""),
        };
    }
}

/// Publishes a job status update on `$aws/things/<thing>/jobs/<job>/update`; never for an empty
/// job ID (v2.0.0 could publish on `jobs//update` after a job had ended).
pub fn update_job_status(
    thing: &(impl Bytes + ?Sized),
    job: &(impl Bytes + ?Sized),
    status: Status,
) -> Result<(), OtaErr_t> {
    if job.read(|j| j.is_empty()) {
        ota_log!(Warn, "No job status update: no job is active");
        return Err(sys::OtaErrUpdateJobStatusFailed);
    }
    let qos = if matches!(status, Status::Receiving { .. }) {
        0
    } else {
        1
    };
    let mut t = Text::<JOB_TOPIC_CAP>::new();
    job_topic(&mut t, thing, job);
    let mut payload = Text::new();
    status_payload(&mut payload, status);
    match payload.as_bytes() {
        Some(p) if publish(&mut t, p, qos) => Ok(()),
        _ => Err(sys::OtaErrUpdateJobStatusFailed),
    }
}
