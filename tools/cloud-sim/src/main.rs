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

/// A message held back by the delay fault, earliest first.
struct Delayed(Instant, Out);
impl PartialEq for Delayed {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Delayed {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.0.cmp(&self.0)
    }
}

enum Net {
    Connected,
    Lost(String),
    Message(String, Vec<u8>),
}

fn tls(args: &Args) -> Result<TlsConfiguration, String> {
    let read = |k: &str| -> Result<Vec<u8>, String> {
        let p = args.req(k)?;
        fs::read(p).map_err(|e| format!("cannot read --{k} {p:?}: {e}."))
    };
    Ok(TlsConfiguration::Simple {
        ca: read("ca")?,
        alpn: None,
        client_auth: Some((read("cert")?, read("key")?)),
    })
}

fn mqtt_options(args: &Args, client_id: &str) -> Result<MqttOptions, String> {
    let broker = args.req("broker")?;
    let (host, port) = broker
        .rsplit_once(':')
        .ok_or("--broker must be HOST:PORT.")?;
    let port: u16 = port
        .parse()
        .map_err(|_| "--broker port must be a number.".to_string())?;
    let mut o = MqttOptions::new(client_id, host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(256 * 1024, 256 * 1024);
    o.set_request_channel_capacity(200_000);
    o.set_inflight(1000);
    if args.opts.get("plain").map(String::as_str) != Some("1") {
        o.set_transport(Transport::tls_with_config(tls(args)?));
    }
    Ok(o)
}

/// The disconnect fault: a short connection with the thing's client ID makes the broker drop
/// the device's own connection (MQTT 3.1.1, section 3.1.4: a second CONNECT takes over the ID).
fn kick(args: &Args, thing: &str) {
    let Ok(opts) = mqtt_options(args, thing) else {
        return;
    };
    let (client, mut conn) = Client::new(opts, 10);
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        match conn.recv_timeout(Duration::from_millis(500)) {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => break,
            Ok(Err(_)) => break,
            _ => {}
        }
    }
    let _ = client.disconnect();
    let _ = conn.recv_timeout(Duration::from_millis(300));
}

fn serve(args: &Args) -> Result<u8, String> {
    let dir = state_dir(args)?;
    let mut faults = Faults::none();
    if let Some(f) = args.opts.get("faults") {
        faults.apply(f)?;
    }
    let run_for = Duration::from_secs(args.num("run-seconds", 600)?.clamp(1, 24 * 3600));
    let shared: http::SharedRef = Arc::new(Mutex::new(http::Shared {
        delay_ms: faults.http_delay_ms,
        ..Default::default()
    }));
    let http_port = http::start(
        u16::try_from(args.num("http-port", 0)?).map_err(|_| "--http-port is too large.")?,
        Arc::clone(&shared),
    )?;
    fs::write(dir.join("http-port"), http_port.to_string()).map_err(|e| e.to_string())?;
    let mut cloud = Cloud::new(faults, shared, http_port);

    let mut opts = mqtt_options(args, "cloud-sim")?;
    // A persistent session: across a reconnect the broker keeps the subscriptions and queues
    // the devices' messages instead of dropping them.
    opts.set_clean_session(false);
    let (client, mut connection) = Client::new(opts, 200_000);
    // A machine busy with 1,000 devices may take longer than rumqttc's 5 s to flush a write.
    let mut network = connection.eventloop.network_options();
    network.set_connection_timeout(30);
    connection.eventloop.set_network_options(network);
    let (tx, rx) = mpsc::channel::<Net>();
    // The network thread: the client's event loop; it reconnects by being polled again.
    thread::spawn(move || {
        for event in connection.iter() {
            let msg = match event {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    Net::Message(p.topic, p.payload.to_vec())
                }
                Ok(Event::Incoming(Packet::ConnAck(_))) => Net::Connected,
                Ok(_) => continue,
                Err(e) => {
                    let _ = tx.send(Net::Lost(e.to_string()));
                    thread::sleep(Duration::from_millis(300));
                    continue;
                }
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });

    println!(
        "cloud-sim: serving {} (HTTP on 127.0.0.1:{http_port}), state in {}",
        args.req("broker")?,
        dir.display()
    );
    let started = Instant::now();
    let mut delayed: BinaryHeap<Delayed> = BinaryHeap::new();
    let mut known_jobs: HashSet<String> = HashSet::new();
    let mut next_poll = Instant::now();
    let mut next_summary = Instant::now();
    let mut dirty = true;
    let mut connected = false;
    let mut told_unreachable = false;
    let send = |client: &Client, delayed: &mut BinaryHeap<Delayed>, msgs: Vec<Out>| {
        for m in msgs {
            if m.delay.is_zero() {
                let qos = if m.qos == 0 {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                };
                let _ = client.publish(m.topic, qos, false, m.payload);
            } else {
                delayed.push(Delayed(
                    Instant::now() + m.delay,
                    Out {
                        delay: Duration::ZERO,
                        ..m
                    },
                ));
            }
        }
    };

    // Bounded by --run-seconds (and a `stop` control command).
    while started.elapsed() < run_for {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(Net::Message(topic, payload)) => {
                let msgs = cloud.handle(&topic, &payload);
                send(&client, &mut delayed, msgs);
                dirty = true;
            }
            Ok(Net::Connected) => {
                connected = true;
                told_unreachable = false;
                println!("cloud-sim: connected to the broker");
                for f in [
                    "$aws/things/+/jobs/+/get",
                    "$aws/things/+/jobs/+/update",
                    "$aws/things/+/streams/+/get/+",
                    "$aws/things/+/streams/+/describe/+",
                ] {
                    let _ = client.subscribe(f, QoS::AtLeastOnce);
                }
            }
            Ok(Net::Lost(e)) => {
                if connected {
                    println!("cloud-sim: broker connection lost ({e}); reconnecting");
                } else if !told_unreachable {
                    eprintln!(
                        "cloud-sim: cannot connect to the broker at {} ({e}); still trying",
                        args.req("broker")?
                    );
                    told_unreachable = true;
                }
                connected = false;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err("the MQTT client stopped.".into())
            }
        }
        while delayed.peek().is_some_and(|d| d.0 <= Instant::now()) {
            if let Some(Delayed(_, m)) = delayed.pop() {
                send(&client, &mut delayed, vec![m]);
            }
        }
        if Instant::now() >= next_poll {
            next_poll = Instant::now() + Duration::from_millis(200);
            let msgs = poll_jobs(&dir, &mut cloud, &mut known_jobs);
            send(&client, &mut delayed, msgs);
            match poll_control(&dir, &mut cloud, args) {
                Ok(msgs) => send(&client, &mut delayed, msgs),
                Err(()) => break,
            }
            let msgs = cloud.check_timeouts();
            send(&client, &mut delayed, msgs);
            dirty = true; // HTTP traffic is counted elsewhere; refresh at the poll rate.
        }
        if dirty && Instant::now() >= next_summary {
            next_summary = Instant::now() + Duration::from_millis(250);
            dirty = false;
            let s = serde_json::to_vec_pretty(&cloud.summary()).unwrap_or_default();
            let _ = write_atomic(&dir.join("summary.json"), &s);
        }
    }
    let s = serde_json::to_vec_pretty(&cloud.summary()).unwrap_or_default();
    write_atomic(&dir.join("summary.json"), &s)?;
    let _ = client.disconnect();
    println!(
        "cloud-sim: stopped after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// New job files; a bad one is reported once and renamed aside.
fn poll_jobs(dir: &Path, cloud: &mut Cloud, known: &mut HashSet<String>) -> Vec<Out> {
    let mut msgs = Vec::new();
    let Ok(entries) = fs::read_dir(dir.join("jobs")) else {
        return msgs;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok());
    for path in paths {
        let name = path.to_string_lossy().to_string();
        if !known.insert(name) {
            continue;
        }
        let loaded = jobdef::load(&path).and_then(|def| {
            let data = fs::read(&def.firmware)
                .map_err(|e| format!("cannot read the firmware {:?}: {e}.", def.firmware))?;
            if data.len() as u64 != def.filesize {
                return Err(format!(
                    "the firmware {:?} changed size since the job was created.",
                    def.firmware
                ));
            }
            Ok((def, data))
        });
        match loaded {
            Ok((def, _)) if cloud.has_job(&def.job_id) => {
                println!("cloud-sim: job {} exists already; ignored", def.job_id)
            }
            Ok((def, data)) => {
                println!(
                    "cloud-sim: job {} queued for {} thing(s)",
                    def.job_id,
                    def.things.len()
                );
                msgs.extend(cloud.add_job(def, data));
            }
            Err(e) => {
                eprintln!("cloud-sim: {e}");
                let _ = fs::rename(&path, path.with_extension("refused"));
            }
        }
    }
    msgs
}

/// Runs control commands in the order they were written; Err(()) is `stop`.
fn poll_control(dir: &Path, cloud: &mut Cloud, args: &Args) -> Result<Vec<Out>, ()> {
    let mut msgs = Vec::new();
    let Ok(entries) = fs::read_dir(dir.join("control")) else {
        return Ok(msgs);
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
        .collect();
    paths.sort_by_key(|p| fs::metadata(p).and_then(|m| m.modified()).ok());
    for path in paths {
        let text = fs::read_to_string(&path).unwrap_or_default();
        let _ = fs::remove_file(&path);
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["cancel", job] => {
                println!("cloud-sim: canceling job {job}");
                msgs.extend(cloud.cancel_job(job));
            }
            ["faults", spec] => match cloud.faults.apply(spec) {
                Ok(()) => {
                    println!("cloud-sim: faults now {spec}");
                    if let Ok(mut s) = cloud.http.lock() {
                        s.delay_ms = cloud.faults.http_delay_ms;
                    }
                }
                Err(e) => eprintln!("cloud-sim: {e}"),
            },
            ["expire-urls"] => {
                println!("cloud-sim: every URL handed out so far expires now");
                http::expire_all(&cloud.http);
            }
            ["disconnect", thing] => {
                println!("cloud-sim: disconnecting {thing}");
                kick(args, thing);
            }
            ["stop"] => return Err(()),
            _ => eprintln!("cloud-sim: unknown control command {text:?}"),
        }
    }
    Ok(msgs)
}
