//! The data planes: MQTT (Jobs and stream topics, into the cloud) and HTTP (ranges).

use super::*;

// ---- MQTT -----------------------------------------------------------------------------------

pub(super) fn topic(p: *const c_char, len: u16) -> Vec<u8> {
    assert!(!p.is_null(), "MQTT call with a NULL topic");
    // SAFETY: the agent passes `len` bytes of topic text followed by a NUL (v2.0.0 does).
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), usize::from(len) + 1) };
    assert_eq!(
        bytes[usize::from(len)],
        0,
        "topic is not NUL-terminated at its length"
    );
    let text = &bytes[..usize::from(len)];
    assert!(!text.contains(&0), "topic holds a NUL before its length");
    text.to_vec()
}

/// A subscribe or unsubscribe: the topic checked, then the script's fault or success.
fn subscription(
    p: *const c_char,
    len: u16,
    call: &str,
    failed: sys::OtaMqttStatus_t,
) -> sys::OtaMqttStatus_t {
    let _ = topic(p, len);
    with(|w| {
        if w.faults.take(call) {
            failed
        } else {
            sys::OtaMqttSuccess
        }
    })
}

pub(super) extern "C" fn mq_subscribe(
    p: *const c_char,
    len: u16,
    _qos: u8,
) -> sys::OtaMqttStatus_t {
    subscription(p, len, "mq_subscribe", sys::OtaMqttSubscribeFailed)
}

pub(super) extern "C" fn mq_unsubscribe(
    p: *const c_char,
    len: u16,
    _qos: u8,
) -> sys::OtaMqttStatus_t {
    subscription(p, len, "mq_unsubscribe", sys::OtaMqttUnsubscribeFailed)
}

pub(super) extern "C" fn mq_publish(
    p: *const c_char,
    len: u16,
    msg: *const c_char,
    msg_len: u32,
    _qos: u8,
) -> sys::OtaMqttStatus_t {
    let t = topic(p, len);
    assert!(
        !msg.is_null() || msg_len == 0,
        "publish of {msg_len} bytes from NULL"
    );
    let body = if msg.is_null() {
        Vec::new()
    } else {
        // SAFETY: the agent passes `msg_len` readable bytes.
        unsafe { std::slice::from_raw_parts(msg.cast::<u8>(), msg_len as usize) }.to_vec()
    };
    let prefix = b"$aws/things/dev1/";
    assert!(
        t.starts_with(prefix),
        "publish on a foreign topic {:?}",
        String::from_utf8_lossy(&t)
    );
    let rest = &t[prefix.len()..];
    let pending = if rest == b"jobs/$next/get" {
        Some(Pending::JobDocument)
    } else if let Some(name) = rest
        .strip_prefix(b"streams/")
        .and_then(|r| r.strip_suffix(b"/get/cbor"))
    {
        let req = cbor::parse_request(&body)
            .unwrap_or_else(|| panic!("GetStream request is not v2.0.0's encoding: {body:02x?}"));
        Some(Pending::Stream {
            stream: name.to_vec(),
            req,
        })
    } else {
        assert!(
            rest.starts_with(b"jobs/") && rest.ends_with(b"/update"),
            "publish on {:?}",
            String::from_utf8_lossy(&t)
        );
        assert!(
            body.iter().all(|&b| (0x20..0x7f).contains(&b)),
            "status update is not printable JSON text"
        );
        None
    };
    with(|w| {
        let label = if w.faults.trace {
            format!("mq_publish {}", String::from_utf8_lossy(&t))
        } else {
            String::new()
        };
        if w.faults.take(&label) {
            return sys::OtaMqttPublishFailed;
        }
        if let Some(p) = pending {
            if let Pending::Stream { stream, req } = &p {
                if w.created.is_some() {
                    resume::check_request(w, &req.bitmap);
                }
                w.last_stream = Some((stream.clone(), req.clone()));
            }
            w.pending.push_back(p);
        }
        sys::OtaMqttSuccess
    })
}

// ---- HTTP -----------------------------------------------------------------------------------

pub(super) extern "C" fn http_init(url: *mut c_char) -> sys::OtaHttpStatus_t {
    assert!(!url.is_null(), "http.init with a NULL URL");
    // SAFETY: the agent passes a NUL-terminated URL.
    let _ = unsafe { CStr::from_ptr(url) }.to_bytes().len();
    with(|w| {
        if w.faults.take("http_init") {
            sys::OtaHttpInitFailed
        } else {
            sys::OtaHttpSuccess
        }
    })
}

pub(super) extern "C" fn http_request(start: u32, end: u32) -> sys::OtaHttpStatus_t {
    with(|w| {
        let size = w.created.as_ref().map(|c| c.size);
        let size = size.unwrap_or_else(|| panic!("http.request {start}-{end} with no file open"));
        assert!(
            start <= end && end < size && start.is_multiple_of(BLOCK) && end - start < BLOCK,
            "http.request {start}-{end} of a {size}-byte file"
        );
        resume::check_range(w, start);
        if w.faults.take("http_request") {
            return sys::OtaHttpRequestFailed;
        }
        w.last_range = Some((start, end));
        w.pending.push_back(Pending::Range { start, end });
        sys::OtaHttpSuccess
    })
}

pub(super) extern "C" fn http_deinit() -> sys::OtaHttpStatus_t {
    with(|w| {
        if w.faults.take("http_deinit") {
            sys::OtaHttpDeinitFailed
        } else {
            sys::OtaHttpSuccess
        }
    })
}
