//! `cloud-sim serve`: the cloud's MQTT session (TLS, subscriptions, held-back messages) and
//! its polling of the job and control folders.

use super::*;

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

pub(crate) fn tls(args: &Args) -> Result<TlsConfiguration, String> {
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

pub(crate) fn mqtt_options(args: &Args, client_id: &str) -> Result<MqttOptions, String> {
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
pub(crate) fn kick(args: &Args, thing: &str) {
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

pub(crate) fn serve(args: &Args) -> Result<u8, String> {
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
pub(crate) fn poll_jobs(dir: &Path, cloud: &mut Cloud, known: &mut HashSet<String>) -> Vec<Out> {
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
pub(crate) fn poll_control(dir: &Path, cloud: &mut Cloud, args: &Args) -> Result<Vec<Out>, ()> {
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
