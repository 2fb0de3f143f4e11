//! The HTTP file server: firmware files behind pre-signed-style URLs that expire, with Range
//! requests (RFC 7233, one range per request as OTA devices send).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rand::Rng;
use tiny_http::{Header, Response, Server, StatusCode};

/// What a URL gives access to, and until when.
pub struct Grant {
    pub job_id: String,
    pub thing: String,
    pub data: Arc<Vec<u8>>,
    pub expires: Instant,
}

#[derive(Default)]
pub struct Shared {
    pub grants: HashMap<String, Grant>,
    /// Bytes served per (job, thing).
    pub served: HashMap<(String, String), u64>,
    /// Answers with data (206 ranges and whole files) per (job, thing).
    pub answers: HashMap<(String, String), u64>,
    /// First and last answer with data per (job, thing), for the download time.
    pub times: HashMap<(String, String), (Instant, Instant)>,
    /// Requests refused because their URL had expired.
    pub expired_refusals: u64,
    pub delay_ms: u64,
}

pub type SharedRef = Arc<Mutex<Shared>>;

/// Issues a new URL for `thing`'s copy of the job's file, valid for `ttl_s` seconds.
pub fn issue(
    shared: &SharedRef,
    port: u16,
    job_id: &str,
    thing: &str,
    data: Arc<Vec<u8>>,
    ttl_s: u64,
) -> String {
    let token: String = (0..32)
        .map(|_| char::from(b"0123456789abcdef"[rand::thread_rng().gen_range(0..16)]))
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    if let Ok(mut s) = shared.lock() {
        s.grants.insert(
            token.clone(),
            Grant {
                job_id: job_id.into(),
                thing: thing.into(),
                data,
                expires: Instant::now() + Duration::from_secs(ttl_s),
            },
        );
    }
    // The query keys of an S3 SigV4 pre-signed URL; the signature is the lookup token here.
    format!(
        "http://127.0.0.1:{port}/ota/{job_id}/firmware.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={now}&X-Amz-Expires={ttl_s}&X-Amz-Signature={token}"
    )
}

/// Makes every URL handed out so far expire now.
pub fn expire_all(shared: &SharedRef) {
    if let Ok(mut s) = shared.lock() {
        let now = Instant::now();
        for g in s.grants.values_mut() {
            g.expires = now;
        }
    }
}

/// Parses `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `len` bytes.
pub fn parse_range(value: &str, len: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (len.saturating_sub(n), len - 1)
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            len - 1
        } else {
            b.parse::<u64>().ok()?.min(len - 1)
        };
        (start, end)
    };
    (start <= end && start < len).then_some((start, end))
}

fn s3_error(status: u16, code: &str, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>\n");
    Response::from_data(body.into_bytes())
        .with_status_code(StatusCode(status))
        .with_header(Header::from_bytes("Content-Type", "application/xml").expect("static header"))
}

fn token_of(url: &str) -> Option<&str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("X-Amz-Signature="))
}

/// Serves on 127.0.0.1:`port` from its own threads until the process ends.
pub fn start(port: u16, shared: SharedRef) -> Result<u16, String> {
    let server = Server::http(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen for HTTP on 127.0.0.1:{port}: {e}."))?;
    let port = server
        .server_addr()
        .to_ip()
        .map(|a| a.port())
        .unwrap_or(port);
    let server = Arc::new(server);
    // A few workers, so a delayed answer does not hold up the other devices.
    for _ in 0..4 {
        let server = Arc::clone(&server);
        let shared = Arc::clone(&shared);
        thread::spawn(move || {
            for request in server.incoming_requests() {
                serve_one(request, &shared);
            }
        });
    }
    Ok(port)
}

fn serve_one(request: tiny_http::Request, shared: &SharedRef) {
    let range = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Range"))
        .map(|h| h.value.as_str().to_string());
    let token = token_of(request.url()).map(str::to_string);
    let (grant, delay) = {
        let Ok(mut s) = shared.lock() else { return };
        let delay = s.delay_ms;
        let found = token.as_deref().and_then(|t| s.grants.get(t)).map(|g| {
            (
                g.job_id.clone(),
                g.thing.clone(),
                Arc::clone(&g.data),
                g.expires > Instant::now(),
            )
        });
        if let Some((_, _, _, false)) = found {
            s.expired_refusals += 1;
        }
        (found, delay)
    };
    if delay > 0 {
        thread::sleep(Duration::from_millis(delay));
    }
    let response = match grant {
        None => s3_error(403, "AccessDenied", "Access Denied"),
        Some((_, _, _, false)) => s3_error(403, "AccessDenied", "Request has expired"),
        Some((job, thing, data, true)) => {
            let len = data.len() as u64;
            match range.as_deref().map(|r| parse_range(r, len)) {
                Some(None) => s3_error(
                    416,
                    "InvalidRange",
                    "The requested range is not satisfiable",
                ),
                Some(Some((a, b))) => {
                    count(shared, &job, &thing, b - a + 1);
                    Response::from_data(data[a as usize..=b as usize].to_vec())
                        .with_status_code(StatusCode(206))
                        .with_header(
                            Header::from_bytes("Content-Range", format!("bytes {a}-{b}/{len}"))
                                .expect("ascii header"),
                        )
                }
                None => {
                    count(shared, &job, &thing, len);
                    Response::from_data(data.to_vec())
                }
            }
        }
    };
    let _ = request.respond(response);
}

fn count(shared: &SharedRef, job: &str, thing: &str, n: u64) {
    if let Ok(mut s) = shared.lock() {
        let key = (job.to_string(), thing.to_string());
        *s.served.entry(key.clone()).or_default() += n;
        *s.answers.entry(key.clone()).or_default() += 1;
        let now = Instant::now();
        s.times
            .entry(key)
            .and_modify(|t| t.1 = now)
            .or_insert((now, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_and_unsatisfiable_ones_refused() {
        assert_eq!(parse_range("bytes=0-4095", 10_000), Some((0, 4095)));
        assert_eq!(parse_range("bytes=8192-12287", 10_000), Some((8192, 9999)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=5-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn answers_and_bytes_are_counted_per_job_and_thing() {
        let shared: SharedRef = Arc::default();
        count(&shared, "j1", "t", 4096);
        count(&shared, "j1", "t", 100);
        count(&shared, "j2", "t", 4096);
        let s = shared.lock().unwrap();
        let key = ("j1".to_string(), "t".to_string());
        assert_eq!(s.served[&key], 4196);
        assert_eq!(s.answers[&key], 2);
        assert_eq!(s.answers[&("j2".to_string(), "t".to_string())], 1);
    }
}
