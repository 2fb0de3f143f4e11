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

mod jobs_api;
mod streams;
#[cfg(test)]
mod tests;

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
