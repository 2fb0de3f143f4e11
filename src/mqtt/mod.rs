//! The MQTT planes: the control plane (AWS IoT Jobs topics: next-job request, notify-next,
//! job status updates) and the stream data plane (CBOR GetStream requests, data topic).
//!
//! Topics and payloads are v2.0.0's byte for byte, except where v2.0.0 was plainly wrong and
//! upstream later fixed it without an API change: 0 rendered as "" (#475), progress as
//! received/received (#209), and a client token longer than AWS's 64 bytes (#468).
//!
//! `jobs` is the control plane, `stream` the data plane; this file holds the topics and the MQTT
//! calls both make.

mod jobs;
mod stream;
#[cfg(test)]
mod tests;
pub(crate) mod text;

pub use jobs::*;
pub use stream::*;

use crate::config;
use crate::sys::{self, iface};
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
const NEXT_GET: &[u8] = prefix(NEXT_ACCEPTED, b"/jobs/$next/get");
const JOBS: &[u8] = prefix(NEXT_ACCEPTED, b"/jobs/");
const UPDATE: &[u8] = b"/update";
const STREAMS: &[u8] = b"/streams/";
const DATA: &[u8] = b"/data/cbor";
const GET: &[u8] = b"/get/cbor";

/// `part`, as the start of `whole`: a topic that begins another shares its bytes in flash, where
/// a literal of its own is a copy (-24 B, measured). At compile time, so a wrong `part` fails the
/// build.
const fn prefix(whole: &'static [u8], part: &[u8]) -> &'static [u8] {
    let (head, _) = whole.split_at(part.len());
    let (mut a, mut b) = (head, part);
    while let ([x, a_rest @ ..], [y, b_rest @ ..]) = (a, b) {
        assert!(*x == *y, "not a prefix");
        (a, b) = (a_rest, b_rest);
    }
    head
}

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
/// Of one capacity, which the MQTT calls then know: an unsized `t` cost them two checks and a
/// register (measured).
fn thing_topic<'t>(
    t: &'t mut Text<THING_TOPIC_CAP>,
    thing: &(impl Bytes + ?Sized),
    middle: &[u8],
) -> &'t mut TextBuf<[MaybeUninit<u8>]> {
    t.clear();
    write_thing(t, thing, middle);
    t
}

/// `$aws/things/<thing>/jobs/<job>/update`, into `t`: the thing's part, then the job's pushes
/// at the one caller.
#[inline(always)]
fn job_topic(
    t: &mut TextBuf<[MaybeUninit<u8>]>,
    thing: &(impl Bytes + ?Sized),
    job: &(impl Bytes + ?Sized),
) {
    write_thing(t, thing, JOBS);
    job.read(|b| t.push(b));
    t.push(UPDATE);
}

/// `$aws/things/<thing><middle>`, appended: the start of every control-plane topic.
fn write_thing(t: &mut TextBuf<[MaybeUninit<u8>]>, thing: &(impl Bytes + ?Sized), middle: &[u8]) {
    t.push(THINGS);
    thing.read(|b| t.push(b).push(middle));
}

/// A stream's topic, built into a buffer of the caller's frame (one copy on the stack). Inlined,
/// with pushes of its own rather than thing_topic's: out of line, a stream request costs ~70
/// instructions and the firmware 20-30 B more (measured).
#[inline(always)]
fn stream_topic(t: &mut Text<STREAM_TOPIC_CAP>, thing: &[u8], stream: &[u8], suffix: &[u8]) {
    t.push(THINGS)
        .push(thing)
        .push(STREAMS)
        .push(stream)
        .push(suffix);
}

/// Runs one MQTT interface call on a finished topic; false (and an error log naming the
/// topic) when it fails or the topic did not fit.
fn mqtt_call(
    t: &mut TextBuf<[MaybeUninit<u8>]>,
    action: &str,
    call: impl FnOnce(iface::Topic<'_>) -> sys::OtaMqttStatus_t,
) -> bool {
    let Some(topic) = t.topic() else {
        ota_log!(Error, "Failed to ", s(action), ": the topic does not fit");
        return false;
    };
    let status = call(topic);
    if status != sys::OtaMqttSuccess {
        let topic = topic.text();
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
