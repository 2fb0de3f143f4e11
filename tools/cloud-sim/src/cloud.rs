//! The simulated AWS IoT: job executions per thing (the Jobs MQTT API) and the streams of MQTT
//! file delivery. `handle` turns one incoming message into the messages AWS IoT would publish.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::seq::SliceRandom;
use serde_json::{json, Map, Value};

use crate::faults::Faults;
use crate::http;
use crate::jobdef::JobDef;
use crate::stream::{self, Format};

/// An outgoing message; `delay` holds it back (the delay fault).
pub struct Out {
    pub topic: String,
    pub qos: u8,
    pub payload: Vec<u8>,
    pub delay: Duration,
}

fn out(topic: String, qos: u8, payload: Vec<u8>) -> Out {
    Out {
        topic,
        qos,
        payload,
        delay: Duration::ZERO,
    }
}

pub fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// Statuses a device may set with UpdateJobExecution.
const DEVICE_STATUSES: [&str; 4] = ["IN_PROGRESS", "FAILED", "SUCCEEDED", "REJECTED"];

fn terminal(status: &str) -> bool {
    matches!(
        status,
        "SUCCEEDED" | "FAILED" | "REJECTED" | "CANCELED" | "TIMED_OUT" | "REMOVED"
    )
}

/// One thing's execution of one job.
#[derive(Default)]
pub struct Execution {
    pub status: String,
    pub details: Map<String, Value>,
    pub version: u64,
    pub queued_at: u64,
    pub started_at: Option<u64>,
    pub last_updated_at: u64,
    pub first_data: Option<Instant>,
    pub last_data: Option<Instant>,
    pub ended: Option<Instant>,
    pub blocks_sent: u64,
    pub blocks_dropped: u64,
    pub mqtt_bytes: u64,
    pub stream_requests: u64,
    pub updates_accepted: u64,
    pub updates_rejected: u64,
    pub docs_sent: u64,
    pub urls_issued: u64,
    pub history: Vec<String>,
}

pub struct Job {
    pub def: JobDef,
    pub data: Arc<Vec<u8>>,
    pub created: u64,
    pub execs: HashMap<String, Execution>,
}

pub struct Cloud {
    pub jobs: Vec<Job>,
    by_stream: HashMap<String, usize>,
    pub faults: Faults,
    pub http: http::SharedRef,
    pub http_port: u16,
    pub messages_in: u64,
    pub messages_out: u64,
    pub rejected_sent: u64,
    pub started: Instant,
}

/// `$aws/things/<thing>/<rest...>` split in its parts.
fn thing_topic(topic: &str) -> Option<(&str, Vec<&str>)> {
    let mut parts = topic.split('/');
    if parts.next()? != "$aws" || parts.next()? != "things" {
        return None;
    }
    let thing = parts.next()?;
    Some((thing, parts.collect()))
}

impl Cloud {
    pub fn new(faults: Faults, http: http::SharedRef, http_port: u16) -> Self {
        Cloud {
            jobs: Vec::new(),
            by_stream: HashMap::new(),
            faults,
            http,
            http_port,
            messages_in: 0,
            messages_out: 0,
            rejected_sent: 0,
            started: Instant::now(),
        }
    }

    pub fn has_job(&self, id: &str) -> bool {
        self.jobs.iter().any(|j| j.def.job_id == id)
    }

    /// The job executions the thing has not finished: IN_PROGRESS first, then QUEUED, each in
    /// the order the jobs were created (the order of AWS's `$next`).
    fn next_job(&self, thing: &str) -> Option<usize> {
        let pending = |status: &str| {
            self.jobs
                .iter()
                .position(|j| j.execs.get(thing).is_some_and(|e| e.status == status))
        };
        pending("IN_PROGRESS").or_else(|| pending("QUEUED"))
    }

    /// Adds a job; things whose next job it becomes hear of it on notify-next.
    pub fn add_job(&mut self, def: JobDef, data: Vec<u8>) -> Vec<Out> {
        let before: Vec<(String, Option<usize>)> = def
            .things
            .iter()
            .map(|t| (t.clone(), self.next_job(t)))
            .collect();
        let now = now_s();
        let execs = def
            .things
            .iter()
            .map(|t| {
                let e = Execution {
                    status: "QUEUED".into(),
                    version: 1,
                    queued_at: now,
                    last_updated_at: now,
                    history: vec!["QUEUED".into()],
                    ..Default::default()
                };
                (t.clone(), e)
            })
            .collect();
        self.by_stream.insert(def.stream.clone(), self.jobs.len());
        self.jobs.push(Job {
            def,
            data: Arc::new(data),
            created: now,
            execs,
        });
        self.notify_changes(before)
    }

    /// Ends a job's unfinished executions as CANCELED (a `cancel-job` of the console).
    pub fn cancel_job(&mut self, job_id: &str) -> Vec<Out> {
        let Some(ji) = self.jobs.iter().position(|j| j.def.job_id == job_id) else {
            return Vec::new();
        };
        let things: Vec<String> = self.jobs[ji].execs.keys().cloned().collect();
        let before: Vec<_> = things
            .iter()
            .map(|t| (t.clone(), self.next_job(t)))
            .collect();
        let now = now_s();
        for e in self.jobs[ji].execs.values_mut() {
            if !terminal(&e.status) {
                set_status(e, "CANCELED", now);
            }
        }
        self.notify_changes(before)
    }

    /// IN_PROGRESS executions past their job's time limit become TIMED_OUT.
    pub fn check_timeouts(&mut self) -> Vec<Out> {
        let now = now_s();
        let mut late = Vec::new();
        for job in &self.jobs {
            let limit = job.def.in_progress_timeout_s;
            if limit == 0 {
                continue;
            }
            for (t, e) in &job.execs {
                if e.status == "IN_PROGRESS" && e.started_at.is_some_and(|s| now >= s + limit) {
                    late.push((job.def.job_id.clone(), t.clone()));
                }
            }
        }
        let mut msgs = Vec::new();
        for (job_id, thing) in late {
            let before = vec![(thing.clone(), self.next_job(&thing))];
            if let Some(e) = self.exec_mut(&job_id, &thing) {
                set_status(e, "TIMED_OUT", now);
            }
            msgs.extend(self.notify_changes(before));
        }
        msgs
    }

    fn exec_mut(&mut self, job_id: &str, thing: &str) -> Option<&mut Execution> {
        self.jobs
            .iter_mut()
            .find(|j| j.def.job_id == job_id)
            .and_then(|j| j.execs.get_mut(thing))
    }

    /// notify-next for every thing whose next job differs from `before`.
    fn notify_changes(&mut self, before: Vec<(String, Option<usize>)>) -> Vec<Out> {
        let mut msgs = Vec::new();
        for (thing, was) in before {
            let next = self.next_job(&thing);
            if next != was {
                let mut doc = json!({ "timestamp": now_s() });
                if let Some(ji) = next {
                    doc["execution"] = self.execution_doc(ji, &thing);
                }
                msgs.push(out(
                    format!("$aws/things/{thing}/jobs/notify-next"),
                    1,
                    doc.to_string().into_bytes(),
                ));
            }
        }
        msgs
    }

    /// The `execution` object of DescribeJobExecution / notify-next, with the job document.
    fn execution_doc(&mut self, ji: usize, thing: &str) -> Value {
        let http_port = self.http_port;
        let ttl = self.faults.url_ttl_s;
        let job = &mut self.jobs[ji];
        let def = &job.def;
        let mut file = json!({
            "filepath": def.filepath,
            "filesize": def.filesize,
            "fileid": def.file_id,
            "certfile": def.certfile,
            "sig-sha256-ecdsa": def.signature,
        });
        let Some(exec) = job.execs.get_mut(thing) else {
            return Value::Null;
        };
        if def.protocols.iter().any(|p| p == "HTTP") {
            // As AWS does, a fresh pre-signed URL each time the document is handed out.
            file["update_data_url"] = http::issue(
                &self.http,
                http_port,
                &def.job_id,
                thing,
                Arc::clone(&job.data),
                ttl,
            )
            .into();
            file["auth_scheme"] = "aws.s3.presigned".into();
            exec.urls_issued += 1;
        }
        exec.docs_sent += 1;
        let mut afr_ota = json!({ "protocols": def.protocols, "files": [file] });
        if def.protocols.iter().any(|p| p == "MQTT") {
            afr_ota["streamname"] = def.stream.clone().into();
        }
        let mut e = json!({
            "jobId": def.job_id,
            "status": exec.status,
            "queuedAt": exec.queued_at,
            "lastUpdatedAt": exec.last_updated_at,
            "versionNumber": exec.version,
            "executionNumber": 1,
            "jobDocument": { "afr_ota": afr_ota },
        });
        if let Some(s) = exec.started_at {
            e["startedAt"] = s.into();
        }
        if !exec.details.is_empty() {
            e["statusDetails"] = Value::Object(exec.details.clone());
        }
        e
    }

    fn jobs_rejected(
        &mut self,
        topic: &str,
        code: &str,
        message: &str,
        token: Option<&str>,
        state: Option<Value>,
    ) -> Out {
        self.rejected_sent += 1;
        let mut doc = json!({ "code": code, "message": message, "timestamp": now_s() });
        if let Some(t) = token {
            doc["clientToken"] = t.into();
        }
        if let Some(s) = state {
            doc["executionState"] = s;
        }
        out(format!("{topic}/rejected"), 1, doc.to_string().into_bytes())
    }

    /// One message from a device.
    pub fn handle(&mut self, topic: &str, payload: &[u8]) -> Vec<Out> {
        self.messages_in += 1;
        let Some((thing, rest)) = thing_topic(topic) else {
            return Vec::new();
        };
        let thing = thing.to_string();
        let msgs = match rest.as_slice() {
            ["jobs", job, "get"] => self.describe_execution(topic, &thing, job, payload),
            ["jobs", job, "update"] => self.update_execution(topic, &thing, job, payload),
            ["streams", s, "get", f] => match *f {
                "cbor" => self.get_stream(&thing, s, payload, Format::Cbor),
                "json" => self.get_stream(&thing, s, payload, Format::Json),
                _ => Vec::new(),
            },
            ["streams", s, "describe", f] => match *f {
                "cbor" => self.describe_stream(&thing, s, payload, Format::Cbor),
                "json" => self.describe_stream(&thing, s, payload, Format::Json),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        self.messages_out += msgs.len() as u64;
        msgs
    }

    /// `$next/get` or `<jobId>/get` (DescribeJobExecution).
    fn describe_execution(
        &mut self,
        topic: &str,
        thing: &str,
        job: &str,
        payload: &[u8],
    ) -> Vec<Out> {
        let req: Value = if payload.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(payload) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return vec![self.jobs_rejected(
                        topic,
                        "InvalidRequest",
                        "The request payload is not a JSON object.",
                        None,
                        None,
                    )]
                }
            }
        };
        let token = req
            .get("clientToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        if token.as_ref().is_some_and(|t| t.len() > 64) {
            return vec![self.jobs_rejected(
                topic,
                "InvalidRequest",
                "clientToken is longer than 64 characters.",
                None,
                None,
            )];
        }
        let ji = if job == "$next" {
            self.next_job(thing)
        } else {
            match self
                .jobs
                .iter()
                .position(|j| j.def.job_id == job && j.execs.contains_key(thing))
            {
                Some(ji) => Some(ji),
                None => {
                    return vec![self.jobs_rejected(
                        topic,
                        "ResourceNotFound",
                        "Job execution not found.",
                        token.as_deref(),
                        None,
                    )]
                }
            }
        };
        let mut doc = json!({ "timestamp": now_s() });
        if let Some(t) = &token {
            doc["clientToken"] = t.clone().into();
        }
        if let Some(ji) = ji {
            doc["execution"] = self.execution_doc(ji, thing);
        }
        vec![out(
            format!("{topic}/accepted"),
            1,
            doc.to_string().into_bytes(),
        )]
    }

    /// `<jobId>/update` (UpdateJobExecution).
    fn update_execution(
        &mut self,
        topic: &str,
        thing: &str,
        job: &str,
        payload: &[u8],
    ) -> Vec<Out> {
        let req = match serde_json::from_slice::<Value>(payload) {
            Ok(Value::Object(m)) => m,
            _ => {
                return vec![self.jobs_rejected(
                    topic,
                    "InvalidRequest",
                    "The request payload is not a JSON object.",
                    None,
                    None,
                )]
            }
        };
        let token = req
            .get("clientToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        let tok = token.as_deref();
        let Some(status) = req
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return vec![self.jobs_rejected(
                topic,
                "InvalidRequest",
                "status is required.",
                tok,
                None,
            )];
        };
        if !DEVICE_STATUSES.contains(&status.as_str()) {
            let m =
                format!("status {status} is not one of IN_PROGRESS, FAILED, SUCCEEDED, REJECTED.");
            return vec![self.jobs_rejected(topic, "InvalidRequest", &m, tok, None)];
        }
        let details = match req.get("statusDetails") {
            None => None,
            Some(Value::Object(d)) => {
                let ok = d.iter().all(|(k, v)| {
                    !k.is_empty()
                        && k.len() <= 128
                        && k.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b":_-".contains(&b))
                        && v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 1024)
                });
                if !ok {
                    return vec![self.jobs_rejected(topic, "InvalidRequest", "statusDetails must map [a-zA-Z0-9:_-]+ keys to strings of 1-1024 characters.", tok, None)];
                }
                Some(d.clone())
            }
            Some(_) => {
                return vec![self.jobs_rejected(
                    topic,
                    "InvalidRequest",
                    "statusDetails must be an object.",
                    tok,
                    None,
                )]
            }
        };
        let expected = req.get("expectedVersion").and_then(Value::as_u64);
        let before = vec![(thing.to_string(), self.next_job(thing))];
        let Some(ji) = self
            .jobs
            .iter()
            .position(|j| j.def.job_id == job && j.execs.contains_key(thing))
        else {
            return vec![self.jobs_rejected(
                topic,
                "ResourceNotFound",
                "Job execution not found.",
                tok,
                None,
            )];
        };
        let exec = self.jobs[ji]
            .execs
            .get_mut(thing)
            .expect("position found it");
        let state = json!({ "status": exec.status, "statusDetails": exec.details, "versionNumber": exec.version });
        if let Some(v) = expected {
            if v != exec.version {
                exec.updates_rejected += 1;
                return vec![self.jobs_rejected(
                    topic,
                    "VersionMismatch",
                    "The expected version does not match the job execution's version.",
                    tok,
                    Some(state),
                )];
            }
        }
        if terminal(&exec.status) {
            exec.updates_rejected += 1;
            let m = format!("Job execution is already {}.", exec.status);
            return vec![self.jobs_rejected(topic, "InvalidStateTransition", &m, tok, Some(state))];
        }
        let now = now_s();
        if status != exec.status {
            set_status(exec, &status, now);
        } else {
            exec.version += 1;
            exec.last_updated_at = now;
        }
        if let Some(d) = details {
            exec.details = d;
        }
        exec.updates_accepted += 1;
        let mut accepted = json!({
            "executionState": { "status": exec.status, "statusDetails": exec.details, "versionNumber": exec.version },
            "timestamp": now,
        });
        if let Some(t) = tok {
            accepted["clientToken"] = t.into();
        }
        let mut msgs = vec![out(
            format!("{topic}/accepted"),
            1,
            accepted.to_string().into_bytes(),
        )];
        msgs.extend(self.notify_changes(before));
        msgs
    }

    fn stream_rejected(
        &mut self,
        thing: &str,
        s: &str,
        format: Format,
        code: &str,
        m: &str,
        token: Option<&str>,
    ) -> Vec<Out> {
        self.rejected_sent += 1;
        let topic = format!(
            "$aws/things/{thing}/streams/{s}/rejected/{}",
            format.suffix()
        );
        vec![out(topic, 0, stream::encode_error(format, code, m, token))]
    }

    /// GetStream: the blocks asked for, through the fault knobs.
    fn get_stream(&mut self, thing: &str, s: &str, payload: &[u8], format: Format) -> Vec<Out> {
        let req = match stream::parse_get(payload, format) {
            Ok(r) => r,
            Err((code, m)) => return self.stream_rejected(thing, s, format, code, &m, None),
        };
        let token = req.client_token.clone();
        let Some(&ji) = self.by_stream.get(s) else {
            return self.stream_rejected(
                thing,
                s,
                format,
                "ResourceNotFound",
                "The stream does not exist.",
                token.as_deref(),
            );
        };
        let (file_id, version, size) = {
            let d = &self.jobs[ji].def;
            (
                u64::from(d.file_id),
                u64::from(d.stream_version),
                d.filesize,
            )
        };
        if req.file_id != file_id {
            return self.stream_rejected(
                thing,
                s,
                format,
                "ResourceNotFound",
                "The stream has no file with this ID.",
                token.as_deref(),
            );
        }
        if req.stream_version.is_some_and(|v| v != version) {
            return self.stream_rejected(
                thing,
                s,
                format,
                "VersionMismatch",
                "The stream version does not match.",
                token.as_deref(),
            );
        }
        let total = size.div_ceil(req.block_size);
        if req.block_offset >= total {
            return self.stream_rejected(
                thing,
                s,
                format,
                "InvalidRequest",
                "The block offset is past the end of the file.",
                token.as_deref(),
            );
        }
        let mut blocks = stream::wanted_blocks(&req, total);
        let faults = self.faults.clone();
        if faults.reorder {
            blocks.shuffle(&mut rand::thread_rng());
        }
        let data = Arc::clone(&self.jobs[ji].data);
        let job_id = self.jobs[ji].def.job_id.clone();
        let topic = format!("$aws/things/{thing}/streams/{s}/data/{}", format.suffix());
        let mut msgs = Vec::new();
        let (mut sent, mut dropped, mut bytes) = (0u64, 0u64, 0u64);
        for block in blocks {
            if Faults::chance(faults.drop) {
                dropped += 1;
                continue;
            }
            let start = (block * req.block_size) as usize;
            let end = ((block + 1) * req.block_size).min(size) as usize;
            let mut chunk = data[start..end].to_vec();
            if Faults::chance(faults.corrupt) && !chunk.is_empty() {
                let i = start % chunk.len();
                chunk[i] ^= 0x5a;
            }
            let copies = if Faults::chance(faults.duplicate) {
                2
            } else {
                1
            };
            for _ in 0..copies {
                let mut m = out(
                    topic.clone(),
                    0,
                    stream::encode_block(format, file_id, block, &chunk),
                );
                m.delay = Duration::from_millis(faults.delay_ms);
                msgs.push(m);
                sent += 1;
                bytes += chunk.len() as u64;
            }
        }
        let now = Instant::now();
        if let Some(e) = self.jobs[ji].execs.get_mut(thing) {
            e.stream_requests += 1;
            e.blocks_sent += sent;
            e.blocks_dropped += dropped;
            e.mqtt_bytes += bytes;
            e.first_data.get_or_insert(now);
            e.last_data = Some(now);
        }
        msgs.extend(self.maybe_cancel(&job_id));
        msgs
    }

    /// The cancel-mid-download knob: fires once the job has sent its number of blocks.
    pub fn maybe_cancel(&mut self, job_id: &str) -> Vec<Out> {
        let Some((cancel_job, after)) = self.faults.cancel_after.clone() else {
            return Vec::new();
        };
        if cancel_job != job_id {
            return Vec::new();
        }
        let block_size = 4096u64;
        let sent: u64 = self
            .jobs
            .iter()
            .filter(|j| j.def.job_id == job_id)
            .flat_map(|j| j.execs.iter())
            .map(|(t, e)| e.blocks_sent + self.http_bytes(job_id, t) / block_size)
            .sum();
        if sent < after {
            return Vec::new();
        }
        self.faults.cancel_after = None;
        self.cancel_job(job_id)
    }

    pub fn http_bytes(&self, job_id: &str, thing: &str) -> u64 {
        self.http
            .lock()
            .ok()
            .and_then(|s| {
                s.served
                    .get(&(job_id.to_string(), thing.to_string()))
                    .copied()
            })
            .unwrap_or(0)
    }

    /// HTTP answers with data for the job's file to the thing (one per range request).
    pub fn http_answers(&self, job_id: &str, thing: &str) -> u64 {
        self.http
            .lock()
            .ok()
            .and_then(|s| {
                s.answers
                    .get(&(job_id.to_string(), thing.to_string()))
                    .copied()
            })
            .unwrap_or(0)
    }

    fn describe_stream(
        &mut self,
        thing: &str,
        s: &str,
        payload: &[u8],
        format: Format,
    ) -> Vec<Out> {
        let token = match stream::parse_describe(payload, format) {
            Ok(t) => t,
            Err(code) => {
                return self.stream_rejected(
                    thing,
                    s,
                    format,
                    code,
                    "the request cannot be decoded",
                    None,
                )
            }
        };
        let Some(&ji) = self.by_stream.get(s) else {
            return self.stream_rejected(
                thing,
                s,
                format,
                "ResourceNotFound",
                "The stream does not exist.",
                token.as_deref(),
            );
        };
        let d = &self.jobs[ji].def;
        let body = stream::encode_description(
            format,
            token.as_deref(),
            u64::from(d.stream_version),
            &format!("OTA update {}", d.job_id),
            u64::from(d.file_id),
            d.filesize,
        );
        let topic = format!(
            "$aws/things/{thing}/streams/{s}/description/{}",
            format.suffix()
        );
        vec![out(topic, 0, body)]
    }

    /// The JSON summary: every job, every thing's execution, and the traffic.
    pub fn summary(&self) -> Value {
        let jobs: Vec<Value> = self
            .jobs
            .iter()
            .map(|j| {
                let things: Map<String, Value> =
                    j.execs
                        .iter()
                        .map(|(t, e)| {
                            let http_times = self.http.lock().ok().and_then(|s| {
                                s.times.get(&(j.def.job_id.clone(), t.clone())).copied()
                            });
                            let first = match (e.first_data, http_times) {
                                (Some(a), Some((b, _))) => Some(a.min(b)),
                                (a, b) => a.or(b.map(|x| x.0)),
                            };
                            // Last block out, not the end of the job: reboot and self test excluded.
                            let last = e.last_data.max(http_times.map(|x| x.1));
                            let download_s = match (first, last) {
                                (Some(a), Some(b)) if b >= a => Some((b - a).as_secs_f64()),
                                _ => None,
                            };
                            let v = json!({
                                "status": e.status,
                                "statusDetails": e.details,
                                "versionNumber": e.version,
                                "history": e.history,
                                "queuedAt": e.queued_at,
                                "startedAt": e.started_at,
                                "lastUpdatedAt": e.last_updated_at,
                                "jobDocumentsSent": e.docs_sent,
                                "getStreamRequests": e.stream_requests,
                                "blocksSent": e.blocks_sent,
                                "blocksDroppedByFault": e.blocks_dropped,
                                "mqttBytes": e.mqtt_bytes,
                                "httpBytes": self.http_bytes(&j.def.job_id, t),
                                "httpRanges": self.http_answers(&j.def.job_id, t),
                                "urlsIssued": e.urls_issued,
                                "updatesAccepted": e.updates_accepted,
                                "updatesRejected": e.updates_rejected,
                                "downloadSeconds": download_s,
                            });
                            (t.clone(), v)
                        })
                        .collect();
                json!({
                    "jobId": j.def.job_id,
                    "streamName": j.def.stream,
                    "protocols": j.def.protocols,
                    "fileSize": j.def.filesize,
                    "createdAt": j.created,
                    "things": things,
                })
            })
            .collect();
        let expired = self.http.lock().map(|s| s.expired_refusals).unwrap_or(0);
        json!({
            "jobs": jobs,
            "uptimeSeconds": self.started.elapsed().as_secs_f64(),
            "messagesIn": self.messages_in,
            "messagesOut": self.messages_out,
            "rejectedSent": self.rejected_sent,
            "httpExpiredRefusals": expired,
        })
    }
}

fn set_status(e: &mut Execution, status: &str, now: u64) {
    if status == "IN_PROGRESS" && e.started_at.is_none() {
        e.started_at = Some(now);
    }
    if terminal(status) {
        e.ended = Some(Instant::now());
    }
    e.status = status.into();
    e.version += 1;
    e.last_updated_at = now;
    e.history.push(status.into());
}

#[cfg(test)]
mod tests {
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
}
