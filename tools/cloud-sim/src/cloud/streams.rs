//! MQTT file delivery: GetStream and DescribeStream, in JSON or CBOR.

use super::*;

impl Cloud {
    pub(super) fn stream_rejected(
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
    pub(super) fn get_stream(
        &mut self,
        thing: &str,
        s: &str,
        payload: &[u8],
        format: Format,
    ) -> Vec<Out> {
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

    pub(super) fn describe_stream(
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
}
