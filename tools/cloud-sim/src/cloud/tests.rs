use super::*;

fn def(id: &str, things: &[&str], protocols: &[&str]) -> JobDef {
    JobDef {
        job_id: id.into(),
        stream: format!("AFR_OTA-{id}"),
        file_id: 0,
        stream_version: 1,
        filepath: "fw.bin".into(),
        filesize: 10_000,
        certfile: "signer.pem".into(),
        protocols: protocols.iter().map(|s| s.to_string()).collect(),
        signature: "c2ln".into(),
        firmware: "/dev/null".into(),
        things: things.iter().map(|s| s.to_string()).collect(),
        in_progress_timeout_s: 0,
    }
}

fn cloud() -> Cloud {
    Cloud::new(Faults::none(), Default::default(), 1)
}

fn json_of(m: &Out) -> Value {
    serde_json::from_slice(&m.payload).unwrap()
}

#[test]
fn next_get_returns_the_queued_job_and_notify_next_announces_it() {
    let mut c = cloud();
    let n = c.add_job(def("j1", &["t"], &["MQTT"]), vec![7; 10_000]);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].topic, "$aws/things/t/jobs/notify-next");
    let r = c.handle("$aws/things/t/jobs/$next/get", br#"{"clientToken":"1:t"}"#);
    assert_eq!(r[0].topic, "$aws/things/t/jobs/$next/get/accepted");
    let v = json_of(&r[0]);
    assert_eq!(v["clientToken"], "1:t");
    assert_eq!(v["execution"]["jobId"], "j1");
    assert_eq!(v["execution"]["status"], "QUEUED");
    assert_eq!(
        v["execution"]["jobDocument"]["afr_ota"]["streamname"],
        "AFR_OTA-j1"
    );
    assert_eq!(
        v["execution"]["jobDocument"]["afr_ota"]["files"][0]["filesize"],
        10_000
    );
}

#[test]
fn terminal_update_is_rejected_and_next_job_is_notified() {
    let mut c = cloud();
    c.add_job(def("j1", &["t"], &["MQTT"]), vec![0; 10_000]);
    c.add_job(def("j2", &["t"], &["HTTP"]), vec![0; 10_000]);
    let r = c.handle(
        "$aws/things/t/jobs/j1/update",
        br#"{"status":"SUCCEEDED","statusDetails":{"reason":"accepted  v1.1.0"}}"#,
    );
    assert_eq!(r[0].topic, "$aws/things/t/jobs/j1/update/accepted");
    assert_eq!(r[1].topic, "$aws/things/t/jobs/notify-next");
    let next = json_of(&r[1]);
    assert_eq!(next["execution"]["jobId"], "j2");
    assert!(
        next["execution"]["jobDocument"]["afr_ota"]["files"][0]["update_data_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:1/")
    );
    let r = c.handle(
        "$aws/things/t/jobs/j1/update",
        br#"{"status":"IN_PROGRESS"}"#,
    );
    assert_eq!(r[0].topic, "$aws/things/t/jobs/j1/update/rejected");
    assert_eq!(json_of(&r[0])["code"], "InvalidStateTransition");
}

#[test]
fn describe_takes_an_empty_payload_and_update_does_not() {
    let mut c = cloud();
    c.add_job(def("j1", &["t"], &["MQTT"]), vec![0; 10_000]);
    let r = c.handle("$aws/things/t/jobs/$next/get", b"");
    assert_eq!(r[0].topic, "$aws/things/t/jobs/$next/get/accepted");
    assert_eq!(json_of(&r[0])["execution"]["jobId"], "j1");
    assert!(json_of(&r[0]).get("clientToken").is_none());
    for bad in [&b"[1]"[..], b"not json"] {
        let r = c.handle("$aws/things/t/jobs/$next/get", bad);
        assert_eq!(r[0].topic, "$aws/things/t/jobs/$next/get/rejected");
        assert_eq!(json_of(&r[0])["code"], "InvalidRequest");
    }
    for bad in [&b""[..], b"[1]"] {
        let r = c.handle("$aws/things/t/jobs/j1/update", bad);
        assert_eq!(r[0].topic, "$aws/things/t/jobs/j1/update/rejected");
        assert_eq!(json_of(&r[0])["code"], "InvalidRequest");
    }
}

#[test]
fn update_with_wrong_expected_version_or_bad_status_is_rejected() {
    let mut c = cloud();
    c.add_job(def("j1", &["t"], &["MQTT"]), vec![0; 10_000]);
    let r = c.handle(
        "$aws/things/t/jobs/j1/update",
        br#"{"status":"IN_PROGRESS","expectedVersion":7}"#,
    );
    assert_eq!(json_of(&r[0])["code"], "VersionMismatch");
    assert_eq!(json_of(&r[0])["executionState"]["versionNumber"], 1);
    let r = c.handle("$aws/things/t/jobs/j1/update", br#"{"status":"CANCELED"}"#);
    assert_eq!(json_of(&r[0])["code"], "InvalidRequest");
    let r = c.handle("$aws/things/t/jobs/nope/update", br#"{"status":"FAILED"}"#);
    assert_eq!(json_of(&r[0])["code"], "ResourceNotFound");
}

#[test]
fn cancel_ends_the_execution_and_announces_no_next_job() {
    let mut c = cloud();
    c.add_job(def("j1", &["t"], &["MQTT"]), vec![0; 10_000]);
    let r = c.cancel_job("j1");
    assert_eq!(r.len(), 1);
    assert!(json_of(&r[0]).get("execution").is_none());
    assert_eq!(c.jobs[0].execs["t"].status, "CANCELED");
}

#[test]
fn get_stream_serves_blocks_and_unknown_stream_is_rejected() {
    let mut c = cloud();
    c.add_job(
        def("j1", &["t"], &["MQTT"]),
        (0..10_000u32).map(|i| i as u8).collect(),
    );
    let mut req = Vec::new();
    let v = ciborium::Value::Map(vec![
        (
            ciborium::Value::Text("c".into()),
            ciborium::Value::Text("x".into()),
        ),
        (
            ciborium::Value::Text("f".into()),
            ciborium::Value::Integer(0.into()),
        ),
        (
            ciborium::Value::Text("l".into()),
            ciborium::Value::Integer(4096.into()),
        ),
        (
            ciborium::Value::Text("o".into()),
            ciborium::Value::Integer(0.into()),
        ),
        (
            ciborium::Value::Text("b".into()),
            ciborium::Value::Bytes(vec![0x07]),
        ),
        (
            ciborium::Value::Text("n".into()),
            ciborium::Value::Integer(4.into()),
        ),
    ]);
    ciborium::into_writer(&v, &mut req).unwrap();
    let r = c.handle("$aws/things/t/streams/AFR_OTA-j1/get/cbor", &req);
    assert_eq!(r.len(), 3);
    let last: ciborium::Value = ciborium::from_reader(&r[2].payload[..]).unwrap();
    let map = last.as_map().unwrap();
    let p = map
        .iter()
        .find(|(k, _)| k.as_text() == Some("p"))
        .unwrap()
        .1
        .as_bytes()
        .unwrap();
    assert_eq!(p.len(), 10_000 - 8192);
    let r = c.handle("$aws/things/t/streams/other/get/cbor", &req);
    assert_eq!(r[0].topic, "$aws/things/t/streams/other/rejected/cbor");
}
