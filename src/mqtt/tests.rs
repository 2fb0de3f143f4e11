use super::stream::{REQUEST_LEAD, REQUEST_MIDDLE, REQUEST_TAIL};
use super::*;
use crate::codec::cbor;

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
    job_topic(&mut t, &thing[..], &job[..]);
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
    job_topic(&mut t, &thing[..], &longer[..MAX_JOB_ID + 1]);
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
    let size = cbor::encode_get_stream_request(&mut message, b"rdy", max, max, max, &bitmap, max);
    assert!(size.is_ok_and(|n| n <= REQUEST_CAP), "{size:?}");
    // One byte less than that encoding is refused, never overrun.
    let n = size.unwrap_or(0);
    let short =
        cbor::encode_get_stream_request(&mut message[..n - 1], b"rdy", max, max, max, &bitmap, max);
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

#[test]
fn a_thing_name_that_just_fits_the_client_token_is_whole() {
    for (len, kept) in [(61, 61), (62, 62), (63, 62)] {
        let thing = vec![b'x'; len];
        let mut t = Text::new();
        next_job_request(&mut t, &thing, 7);
        let body = t.as_bytes().unwrap();
        let token = &body[16..body.len() - 2];
        assert_eq!(token.len(), 2 + kept, "name of {len}");
    }
}
