//! The Jobs MQTT API: DescribeJobExecution (`$next/get`, `<jobId>/get`) and
//! UpdateJobExecution, with the execution documents they answer with.

use super::*;

/// A Jobs API request's JSON object and its clientToken.
type Request = (Map<String, Value>, Option<String>);

impl Cloud {
    /// The `execution` object of DescribeJobExecution / notify-next, with the job document.
    pub(super) fn execution_doc(&mut self, ji: usize, thing: &str) -> Value {
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

    /// A Jobs API request: its JSON object (`{}` for an empty payload when `empty_ok`) and its
    /// clientToken, or the InvalidRequest rejection to send instead.
    fn request(
        &mut self,
        topic: &str,
        payload: &[u8],
        empty_ok: bool,
    ) -> Result<Request, Vec<Out>> {
        let req = match serde_json::from_slice::<Value>(payload) {
            Ok(Value::Object(m)) => m,
            _ if empty_ok && payload.is_empty() => Map::new(),
            _ => {
                return Err(vec![self.jobs_rejected(
                    topic,
                    "InvalidRequest",
                    "The request payload is not a JSON object.",
                    None,
                    None,
                )])
            }
        };
        let token = req
            .get("clientToken")
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok((req, token))
    }

    pub(super) fn jobs_rejected(
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

    /// `$next/get` or `<jobId>/get` (DescribeJobExecution).
    pub(super) fn describe_execution(
        &mut self,
        topic: &str,
        thing: &str,
        job: &str,
        payload: &[u8],
    ) -> Vec<Out> {
        // DescribeJobExecution may come without a payload; UpdateJobExecution may not.
        let (_, token) = match self.request(topic, payload, true) {
            Ok(r) => r,
            Err(rejected) => return rejected,
        };
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
    pub(super) fn update_execution(
        &mut self,
        topic: &str,
        thing: &str,
        job: &str,
        payload: &[u8],
    ) -> Vec<Out> {
        let (req, token) = match self.request(topic, payload, false) {
            Ok(r) => r,
            Err(rejected) => return rejected,
        };
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
}
