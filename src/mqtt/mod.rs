//! The MQTT planes: the control plane (AWS IoT Jobs topics: next-job request, notify-next,
//! job status updates) and the stream data plane (CBOR GetStream requests, data topic).
//!
//! Topics and payloads are v2.0.0's byte for byte, except where v2.0.0 was plainly wrong and
//! upstream later fixed it without an API change: 0 rendered as "" (#475), progress as
//! received/received (#209), and a client token longer than AWS's 64 bytes (#468).

pub(crate) mod text;

use crate::codec::cbor;
use crate::config;
use crate::sys::{self, iface, OtaErr_t};
use core::mem::MaybeUninit;
use text::{Text, TextBuf};

const THINGS: &[u8] = b"$aws/things/";

/// Longest stream ID AWS allows (CreateStream); longer names are refused, never overflowed (U3).
pub const MAX_STREAM_NAME: usize = 128;
/// Longest job ID the agent keeps (v2.0.0's OTA_JOB_ID_MAX_SIZE without the NUL).
pub const MAX_JOB_ID: usize = sys::OTA_JOB_ID_MAX_SIZE as usize - 1;
/// AWS's limit on clientToken (Jobs and streams APIs).
pub const MAX_CLIENT_TOKEN: usize = 64;

const NEXT_ACCEPTED: &[u8] = b"/jobs/$next/get/accepted";
const NOTIFY_NEXT: &[u8] = b"/jobs/notify-next";
const NEXT_GET: &[u8] = b"/jobs/$next/get";
const JOBS: &[u8] = b"/jobs/";
const UPDATE: &[u8] = b"/update";
const STREAMS: &[u8] = b"/streams/";
const DATA: &[u8] = b"/data/cbor";
const GET: &[u8] = b"/get/cbor";

/// Each topic is sized for its kind: its fixed parts (the longest of them), the longest names it
/// holds and its NUL, so no frame carries room it can never use.
const THING: usize = config::MAX_THINGNAME_LEN as usize;
const THING_TOPIC_CAP: usize = THINGS.len() + NEXT_ACCEPTED.len() + THING + 1;
const JOB_TOPIC_CAP: usize = THINGS.len() + JOBS.len() + UPDATE.len() + THING + MAX_JOB_ID + 1;
const STREAM_TOPIC_CAP: usize =
    THINGS.len() + STREAMS.len() + DATA.len() + THING + MAX_STREAM_NAME + 1;
const _: () =
    assert!(NEXT_ACCEPTED.len() >= NOTIFY_NEXT.len() && NEXT_ACCEPTED.len() >= NEXT_GET.len());
const _: () = assert!(DATA.len() >= GET.len());
/// v2.0.0's status message buffer (OTA_STATUS_MSG_MAX_SIZE).
const STATUS_CAP: usize = 128;

/// The GetStream request's largest CBOR encoding: six keys, "rdy", four 32-bit numbers and the
/// bitmap (v2.0.0 reserved 3 × the bitmap size on the stack for it).
const REQUEST_CAP: usize = 48 + sys::OTA_MAX_BLOCK_BITMAP_SIZE as usize;

/// Bytes that live in the agent's state (thing name, job ID, stream name, bitmap), lent for the
/// time it takes to copy them into a topic or message, so nothing is copied twice on the stack.
/// `read` must only give the bytes to `f`; `f` only builds text and never calls out.
pub trait Bytes {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R;
}

impl Bytes for [u8] {
    fn read<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }
}

/// `$aws/things/<thing><middle>`, into `t` (emptied first): one buffer serves a request's topics.
fn thing_topic<'t>(
    t: &'t mut Text<THING_TOPIC_CAP>,
    thing: &(impl Bytes + ?Sized),
    middle: &[u8],
) -> &'t mut TextBuf<[MaybeUninit<u8>]> {
    t.clear();
    write_topic(t, thing, middle, None::<&[u8]>, b"");
    t
}

/// A stream's topic, built into a buffer of the caller's frame (one copy on the stack). Inlined,
/// with pushes of its own rather than write_topic's: out of line, a stream request costs ~70
/// instructions and the firmware 20-30 B more (measured).
#[inline(always)]
fn stream_topic(t: &mut Text<STREAM_TOPIC_CAP>, thing: &[u8], stream: &[u8], suffix: &[u8]) {
    t.push(THINGS)
        .push(thing)
        .push(STREAMS)
        .push(stream)
        .push(suffix);
}

fn write_topic<B: Bytes + ?Sized>(
    t: &mut TextBuf<[MaybeUninit<u8>]>,
    thing: &(impl Bytes + ?Sized),
    middle: &[u8],
    name: Option<&B>,
    suffix: &[u8],
) {
    t.push(THINGS);
    thing.read(|b| t.push(b).push(middle));
    if let Some(name) = name {
        name.read(|b| t.push(b));
    }
    t.push(suffix);
}

/// Runs one MQTT interface call on a NUL-terminated topic; false (and an error log naming the
/// topic) when it fails or the topic did not fit.
fn mqtt_call(
    t: &mut TextBuf<[MaybeUninit<u8>]>,
    action: &str,
    call: impl FnOnce(&[u8]) -> sys::OtaMqttStatus_t,
) -> bool {
    let Some(bytes) = t.with_nul() else {
        ota_log!(Error, "Failed to ", s(action), ": the topic does not fit");
        return false;
    };
    let status = call(bytes);
    if status != sys::OtaMqttSuccess {
        let topic = bytes.split_last().map_or(&[][..], |(_, text)| text);
        ota_log!(
            Error,
            "Failed to ",
            s(action),
            " MQTT topic: OtaMqttStatus_t=",
            u(status),
            ", topic=",
            s(topic)
        );
    }
    status == sys::OtaMqttSuccess
}

// Inlined: a call of its own costs more than the one argument it adds at each call site.
#[inline(always)]
fn subscribe(t: &mut TextBuf<[MaybeUninit<u8>]>, qos: u8) -> bool {
    subscription(t, qos, false)
}

// Inlined, as `subscribe`.
#[inline(always)]
fn unsubscribe(t: &mut TextBuf<[MaybeUninit<u8>]>, qos: u8) -> bool {
    subscription(t, qos, true)
}

/// Subscribes or (`off`) unsubscribes: one copy of the call and its failure log for both.
#[inline(never)]
fn subscription(t: &mut TextBuf<[MaybeUninit<u8>]>, qos: u8, off: bool) -> bool {
    let action = if off {
        "unsubscribe from"
    } else {
        "subscribe to"
    };
    mqtt_call(t, action, |topic| iface::mqtt_subscription(topic, qos, off))
}

fn publish(t: &mut TextBuf<[MaybeUninit<u8>]>, payload: &[u8], qos: u8) -> bool {
    mqtt_call(t, "publish to", |topic| {
        iface::mqtt_publish(topic, payload, qos)
    })
}

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
    // What the token holds so far: the digits and the colon.
    let room = MAX_CLIENT_TOKEN.saturating_sub(t.written().saturating_sub(OPEN.len()));
    t.push(thing.get(..room.min(thing.len())).unwrap_or(thing))
        .push(b"\"}");
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
/// No reason (the templates without one).
const NO_REASON: Reason = &[0; 8];

/// Placeholders in a status template (bytes no template text uses): the next number in decimal,
/// the next in eight hex digits, the reason's text, and the `statusDetails` opening.
const DEC: u8 = 1;
const HEX: u8 = 2;
const REASON: u8 = 3;
const DETAILS: u8 = 4;

/// The status message payload, byte for byte as v2.0.0 builds it (with the fixes above), into
/// the caller's buffer: `{"status":"` + the variant's template filled in + `"}}`, one routine
/// for the five messages.
pub fn status_payload(t: &mut Text<STATUS_CAP>, status: Status) {
    let (template, reason, numbers): (&[u8], Reason, [u32; 3]) = match status {
        Status::Receiving { received, total } => (
            b"IN_PROGRESS\x04receive\":\"\x01/\x01",
            NO_REASON,
            [received, total, 0],
        ),
        Status::SelfTest { reason, version } => (
            b"IN_PROGRESS\x04self_test\":\"\x03\",\"updatedBy\":\"0x\x02",
            reason,
            [version, 0, 0],
        ),
        Status::FailedWithValue { reason, sub_reason } => (
            b"FAILED\x04reason\":\"0x\x02: 0x\x02",
            NO_REASON,
            [reason, sub_reason, 0],
        ),
        Status::Succeeded { version } => (
            b"SUCCEEDED\x04reason\":\"accepted  v\x01.\x01.\x01",
            NO_REASON,
            [version >> 24, (version >> 16) & 0xff, version & 0xffff],
        ),
        Status::Failed { reason, sub_reason } => (
            b"FAILED\x04reason\":\"\x03: 0x\x02",
            reason,
            [sub_reason, 0, 0],
        ),
    };
    t.push(b"{\"status\":\"");
    let mut numbers = numbers;
    let mut rest = template;
    while let Some(at) = rest.iter().position(|&b| b <= DETAILS) {
        let (text, tail) = rest.split_at(at);
        t.push(text);
        let (&mark, tail) = tail.split_first().unwrap_or((&0, &[]));
        rest = tail;
        match mark {
            DEC | HEX => {
                // Shifted, not indexed, so the numbers stay in registers.
                let [first, second, third] = numbers;
                numbers = [second, third, 0];
                t.push_number(first, mark == HEX)
            }
            REASON => {
                let len = reason.iter().position(|&b| b == 0).unwrap_or(reason.len());
                t.push(reason.get(..len).unwrap_or(&[]))
            }
            _ => t.push(b"\",\"statusDetails\":{\""),
        };
    }
    t.push(rest).push(b"\"}}");
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
    write_topic(&mut t, thing, JOBS, Some(job), UPDATE);
    let mut payload = Text::new();
    status_payload(&mut payload, status);
    match payload.as_bytes() {
        Some(p) if publish(&mut t, p, qos) => Ok(()),
        _ => Err(sys::OtaErrUpdateJobStatusFailed),
    }
}

/// The thing name and the stream name, lent together.
pub trait StreamParts {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8]) -> R) -> R;
}

/// The stream's data topic, from one look at the names; false when the stream name is not one
/// AWS could have made: at most MAX_STREAM_NAME bytes (U3). Out of line, so the look's frame is
/// not under the subscription and its cleanup.
#[inline(never)]
fn data_topic(t: &mut Text<STREAM_TOPIC_CAP>, parts: &impl StreamParts) -> bool {
    parts.read(|thing, stream| {
        stream_topic(t, thing, stream, DATA);
        stream.len() <= MAX_STREAM_NAME
    })
}

/// Subscribes to the stream's data topic (QoS 0).
pub fn init_stream(parts: &impl StreamParts) -> Result<(), OtaErr_t> {
    let mut t = Text::new();
    if data_topic(&mut t, parts) && subscribe(&mut t, 0) {
        Ok(())
    } else {
        Err(sys::OtaErrInitFileTransferFailed)
    }
}

/// The thing name, stream name and block bitmap one stream request is built from, lent
/// together (`None`: there is no bitmap to ask from).
pub trait RequestParts {
    fn read<R>(&self, f: impl FnOnce(&[u8], &[u8], &[u8]) -> R) -> Option<R>;
}

/// The pieces of every GetStream request this client sends that do not change: token "rdy",
/// a block size of FILE_BLOCK_SIZE, offset 0 and MAX_NUM_BLOCKS_REQUEST blocks.
const REQUEST_LEAD: cbor::Fixed<9> = cbor::Fixed::new().map(6).text(b'c', b"rdy").key(b'f');
const REQUEST_MIDDLE: cbor::Fixed<16> = cbor::Fixed::new()
    .int(b'l', config::FILE_BLOCK_SIZE as i32)
    .int(b'o', 0)
    .key(b'b');
const REQUEST_TAIL: cbor::Fixed<7> =
    cbor::Fixed::new().int(b'n', config::MAX_NUM_BLOCKS_REQUEST as i32);

/// Publishes a CBOR GetStream request for the blocks still set in the bitmap (QoS 0). The
/// message and topic are built in one `read`; the publish runs after it.
pub fn request_blocks(parts: &impl RequestParts, file_id: u32) -> Result<(), OtaErr_t> {
    let mut message = [MaybeUninit::uninit(); REQUEST_CAP];
    let mut t = Text::new();
    let encoded = parts
        .read(|thing, stream, bitmap| {
            if stream.len() > MAX_STREAM_NAME {
                return Err(sys::OtaErrRequestFileBlockFailed);
            }
            let encoded = cbor::encode_fixed_request(
                &mut message,
                &REQUEST_LEAD,
                file_id as i32,
                &REQUEST_MIDDLE,
                bitmap,
                &REQUEST_TAIL,
            )
            .ok_or(sys::OtaErrFailedToEncodeCbor)?;
            stream_topic(&mut t, thing, stream, GET);
            Ok(encoded)
        })
        .unwrap_or(Err(sys::OtaErrRequestFileBlockFailed))?;
    if publish(&mut t, encoded, 0) {
        Ok(())
    } else {
        Err(sys::OtaErrRequestFileBlockFailed)
    }
}

/// Unsubscribes the stream's data topic.
pub fn cleanup_stream(parts: &impl StreamParts) -> Result<(), OtaErr_t> {
    // A name too long for AWS was never subscribed (init_stream refuses it).
    let mut t = Text::new();
    if data_topic(&mut t, parts) && unsubscribe(&mut t, 1) {
        Ok(())
    } else {
        Err(sys::OtaErrCleanupDataFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload_of(status: Status) -> Text<STATUS_CAP> {
        let mut t = Text::new();
        status_payload(&mut t, status);
        t
    }

    fn s(t: &Text<STATUS_CAP>) -> &str {
        core::str::from_utf8(t.as_bytes().unwrap()).unwrap()
    }

    #[test]
    fn the_longest_names_fit_every_topic() {
        let thing = [b't'; config::MAX_THINGNAME_LEN as usize];
        let job = [b'j'; MAX_JOB_ID];
        let stream = [b's'; MAX_STREAM_NAME];
        let mut topic = Text::new();
        for middle in [NEXT_ACCEPTED, NOTIFY_NEXT, NEXT_GET] {
            assert!(thing_topic(&mut topic, &thing[..], middle)
                .as_bytes()
                .is_some());
        }
        let mut t = Text::<JOB_TOPIC_CAP>::new();
        write_topic(&mut t, &thing[..], JOBS, Some(&job[..]), UPDATE);
        assert!(t.as_bytes().is_some());
        for suffix in [DATA, GET] {
            let mut t = Text::new();
            stream_topic(&mut t, &thing[..], &stream[..], suffix);
            assert!(t.as_bytes().is_some());
        }
        // One byte more than the longest names does not fit, and is reported, never cut.
        let longer = [b's'; MAX_STREAM_NAME + 1];
        let mut t = Text::new();
        stream_topic(&mut t, &thing[..], &longer[..], DATA);
        assert!(t.as_bytes().is_none());
        let mut t = Text::<JOB_TOPIC_CAP>::new();
        write_topic(
            &mut t,
            &thing[..],
            JOBS,
            Some(&longer[..MAX_JOB_ID + 1]),
            UPDATE,
        );
        assert!(t.as_bytes().is_none());
        assert!(
            thing_topic(&mut topic, &[b't'; THING + 1][..], NEXT_ACCEPTED)
                .as_bytes()
                .is_none()
        );
    }

    #[test]
    fn the_largest_stream_request_fits_its_buffer() {
        let mut message = [0u8; REQUEST_CAP];
        let bitmap = [0xff; sys::OTA_MAX_BLOCK_BITMAP_SIZE as usize];
        let max = i32::MAX;
        let size =
            cbor::encode_get_stream_request(&mut message, b"rdy", max, max, max, &bitmap, max);
        assert!(size.is_ok_and(|n| n <= REQUEST_CAP), "{size:?}");
        // One byte less than that encoding is refused, never overrun.
        let n = size.unwrap_or(0);
        let short = cbor::encode_get_stream_request(
            &mut message[..n - 1],
            b"rdy",
            max,
            max,
            max,
            &bitmap,
            max,
        );
        assert!(short.is_err());
    }

    #[test]
    fn the_fixed_request_is_the_generic_encoding_with_the_same_verdict() {
        let ids = [
            0,
            1,
            23,
            24,
            255,
            256,
            65535,
            65536,
            i32::MAX,
            -1,
            -24,
            -25,
            -256,
            -257,
        ];
        for file_id in ids.into_iter().chain([-65536, -65537, i32::MIN]) {
            for len in [0, 1, 23, 24, 64, 127, 128, 129, 140, 200, 255, 256, 300] {
                let bitmap: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut generic = [0u8; REQUEST_CAP];
                let expected = cbor::encode_get_stream_request(
                    &mut generic,
                    b"rdy",
                    file_id,
                    config::FILE_BLOCK_SIZE as i32,
                    0,
                    &bitmap,
                    config::MAX_NUM_BLOCKS_REQUEST as i32,
                )
                .ok()
                .map(|n| generic[..n].to_vec());
                let mut message = [MaybeUninit::uninit(); REQUEST_CAP];
                let fixed = cbor::encode_fixed_request(
                    &mut message,
                    &REQUEST_LEAD,
                    file_id,
                    &REQUEST_MIDDLE,
                    &bitmap,
                    &REQUEST_TAIL,
                )
                .map(<[u8]>::to_vec);
                assert_eq!(fixed, expected, "file {file_id}, bitmap {len}");
            }
        }
    }

    #[test]
    fn receive_progress_reports_received_over_total_issue_209() {
        let t = payload_of(Status::Receiving {
            received: 64,
            total: 200,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"IN_PROGRESS","statusDetails":{"receive":"64/200"}}"#
        );
    }

    #[test]
    fn self_test_ready_carries_the_running_version_in_hex() {
        let t = payload_of(Status::SelfTest {
            reason: REASON_READY,
            version: 0x0100_0001,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"IN_PROGRESS","statusDetails":{"self_test":"ready","updatedBy":"0x01000001"}}"#
        );
    }

    #[test]
    fn succeeded_prints_zero_components_as_zero_issue_475() {
        let t = payload_of(Status::Succeeded {
            version: 0x0100_0003,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.0.3"}}"#
        );
    }

    #[test]
    fn failures_render_reason_and_sub_reason_like_v2() {
        let t = payload_of(Status::Failed {
            reason: REASON_REJECTED,
            sub_reason: 0xf,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"FAILED","statusDetails":{"reason":"rejected: 0x0000000f"}}"#
        );
        let t = payload_of(Status::Failed {
            reason: REASON_ABORTED,
            sub_reason: 0x13,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"FAILED","statusDetails":{"reason":"aborted: 0x00000013"}}"#
        );
        let t = payload_of(Status::FailedWithValue {
            reason: 0xe300_0000,
            sub_reason: 0xffff_fffe,
        });
        assert_eq!(
            s(&t),
            r#"{"status":"FAILED","statusDetails":{"reason":"0xe3000000: 0xfffffffe"}}"#
        );
    }

    #[test]
    fn first_client_token_is_zero_not_empty_issue_475() {
        let mut t = Text::new();
        next_job_request(&mut t, b"thing", 0);
        assert_eq!(t.as_bytes().unwrap(), br#"{"clientToken":"0:thing"}"#);
    }

    #[test]
    fn client_token_never_exceeds_64_bytes_issue_468() {
        let thing = [b'x'; 128];
        let mut t = Text::new();
        next_job_request(&mut t, &thing, 4_000_000_000);
        let body = t.as_bytes().unwrap();
        let token = &body[16..body.len() - 2];
        assert_eq!(token.len(), MAX_CLIENT_TOKEN);
        assert!(token.starts_with(b"4000000000:xxx"));
    }
}
