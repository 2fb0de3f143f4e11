//! cloud-sim: a local stand-in for AWS IoT's OTA services on a real MQTT broker.
//!
//!   cloud-sim create-job --state DIR --job-id ID --firmware FILE --signing-key KEY.pem
//!                        --filepath PATH --certfile NAME --protocols MQTT|HTTP|MQTT,HTTP
//!                        --things a,b,dev-[1..20] [--file-id N] [--timeout-s S]
//!   cloud-sim serve --state DIR --broker HOST:PORT --ca CA.pem --cert C.pem --key K.pem
//!                   [--http-port N] [--faults k=v,...] [--run-seconds S]
//!   cloud-sim control --state DIR COMMAND...   (cancel JOB | faults k=v,... | expire-urls |
//!                                               disconnect THING | stop)
//!   cloud-sim wait --state DIR --job ID [--thing T] --status S[,S...] [--timeout S]
//!   cloud-sim summary --state DIR
//!   cloud-sim broker --port N --ca CA.pem --cert BROKER.pem --key BROKER.key [--run-seconds S]
//!
//! Jobs are files in DIR/jobs (create-job writes one; a running server picks it up), control
//! commands files in DIR/control, and DIR/summary.json the cloud's view of every execution.

mod broker;
mod cloud;
mod faults;
mod http;
mod jobdef;
mod serve;
mod stream;

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport};

use cloud::{Cloud, Out};
use faults::Faults;
use serve::serve;

/// Options as `--key value` pairs, plus the words that are not options.
struct Args {
    opts: HashMap<String, String>,
    words: Vec<String>,
}

impl Args {
    fn parse(args: &[String]) -> Self {
        let mut opts = HashMap::new();
        let mut words = Vec::new();
        let mut i = 0;
        while i < args.len() {
            if let Some(k) = args[i].strip_prefix("--") {
                opts.insert(k.to_string(), args.get(i + 1).cloned().unwrap_or_default());
                i += 2;
            } else {
                words.push(args[i].clone());
                i += 1;
            }
        }
        Args { opts, words }
    }

    fn req(&self, k: &str) -> Result<&str, String> {
        self.opts
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("--{k} is required."))
    }

    fn num(&self, k: &str, default: u64) -> Result<u64, String> {
        match self.opts.get(k) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{k} must be a whole number, not {v:?}.")),
        }
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = argv.split_first() else {
        eprintln!("cloud-sim: say create-job, serve, control, wait or summary (see the README).");
        return ExitCode::from(2);
    };
    let args = Args::parse(rest);
    let result = match cmd.as_str() {
        "create-job" => create_job(&args),
        "serve" => serve(&args),
        "control" => control(&args),
        "wait" => wait(&args),
        "summary" => summary(&args),
        "broker" => run_broker(&args),
        other => Err(format!(
            "unknown command {other:?}: say create-job, serve, control, wait or summary."
        )),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(m) => {
            eprintln!("cloud-sim: {m}");
            ExitCode::from(2)
        }
    }
}

fn state_dir(args: &Args) -> Result<PathBuf, String> {
    let dir = PathBuf::from(args.req("state")?);
    for sub in ["jobs", "control"] {
        fs::create_dir_all(dir.join(sub))
            .map_err(|e| format!("cannot create {:?}: {e}.", dir.join(sub)))?;
    }
    Ok(dir)
}

/// Writes through a temporary name, so a reader never sees half a file.
fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, data)
        .and_then(|_| fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {path:?}: {e}."))
}

/// The fallback broker, for machines without mosquitto.
fn run_broker(args: &Args) -> Result<u8, String> {
    let port =
        u16::try_from(args.num("port", 8883)?).map_err(|_| "--port is too large.".to_string())?;
    let run_for = Duration::from_secs(args.num("run-seconds", 600)?.clamp(1, 24 * 3600));
    broker::run(
        port,
        Path::new(args.req("ca")?),
        Path::new(args.req("cert")?),
        Path::new(args.req("key")?),
        run_for,
    )?;
    Ok(0)
}

fn create_job(args: &Args) -> Result<u8, String> {
    let dir = state_dir(args)?;
    let def = jobdef::create(&jobdef::CreateArgs {
        job_id: args.req("job-id")?,
        firmware: Path::new(args.req("firmware")?),
        signing_key: Path::new(args.req("signing-key")?),
        filepath: args.req("filepath")?,
        certfile: args.req("certfile")?,
        protocols: args
            .opts
            .get("protocols")
            .map(String::as_str)
            .unwrap_or("MQTT"),
        things: args.req("things")?,
        file_id: u32::try_from(args.num("file-id", 0)?)
            .map_err(|_| "--file-id is too large.".to_string())?,
        in_progress_timeout_s: args.num("timeout-s", 0)?,
    })?;
    let path = dir.join("jobs").join(format!("{}.json", def.job_id));
    if path.exists() {
        return Err(format!(
            "a job {:?} exists already; job IDs are unique.",
            def.job_id
        ));
    }
    let text = serde_json::to_string_pretty(&def).map_err(|e| e.to_string())?;
    write_atomic(&path, text.as_bytes())?;
    println!(
        "cloud-sim: job {} created: {} bytes, {} over {}, {} thing(s)",
        def.job_id,
        def.filesize,
        def.filepath,
        def.protocols.join("+"),
        def.things.len()
    );
    Ok(0)
}

fn control(args: &Args) -> Result<u8, String> {
    let dir = state_dir(args)?;
    if args.words.is_empty() {
        return Err("say which control command: cancel JOB, faults k=v, expire-urls, disconnect THING or stop.".into());
    }
    let name = format!(
        "{}-{}.cmd",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    );
    write_atomic(
        &dir.join("control").join(name),
        args.words.join(" ").as_bytes(),
    )?;
    Ok(0)
}

fn read_summary(dir: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&fs::read(dir.join("summary.json")).ok()?).ok()
}

fn summary(args: &Args) -> Result<u8, String> {
    let dir = PathBuf::from(args.req("state")?);
    let s = read_summary(&dir)
        .ok_or("no summary yet: is cloud-sim serve running on this state folder?")?;
    println!(
        "{}",
        serde_json::to_string_pretty(&s).map_err(|e| e.to_string())?
    );
    Ok(0)
}

/// Waits until the job's executions (or one thing's) are in one of the statuses.
fn wait(args: &Args) -> Result<u8, String> {
    let dir = PathBuf::from(args.req("state")?);
    let job = args.req("job")?;
    let thing = args.opts.get("thing");
    let wanted: HashSet<&str> = args.req("status")?.split(',').collect();
    let deadline = Instant::now() + Duration::from_secs(args.num("timeout", 60)?.min(3600));
    let mut last = String::new();
    // Bounded by the deadline; polls the summary the server rewrites.
    while Instant::now() < deadline {
        if let Some(s) = read_summary(&dir) {
            let j = s["jobs"]
                .as_array()
                .and_then(|a| a.iter().find(|j| j["jobId"] == job))
                .cloned();
            if let Some(j) = j {
                let statuses: Vec<(String, String)> = j["things"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(t, _)| thing.is_none_or(|w| w == *t))
                            .map(|(t, e)| {
                                (t.clone(), e["status"].as_str().unwrap_or("").to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if !statuses.is_empty()
                    && statuses.iter().all(|(_, st)| wanted.contains(st.as_str()))
                {
                    return Ok(0);
                }
                last = format!("{statuses:?}");
            }
        }
        thread::sleep(Duration::from_millis(200));
    }
    eprintln!("cloud-sim: job {job} did not reach {wanted:?} in time; last seen {last}");
    Ok(1)
}
