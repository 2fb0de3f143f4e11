//! A small MQTT 3.1.1 broker for machines without mosquitto: TLS 1.2/1.3 on 127.0.0.1 with
//! required client certificates from the test CA, QoS 0 delivery, `+`/`#` filters, client-ID
//! takeover. The wire codec is rumqttc's; the routing is ours. (rumqttd, the embedded broker
//! crate, refuses every `$`-prefixed filter, so it cannot carry AWS's `$aws/...` topics.)
//! rustls refuses an IP address as TLS server name (SNI, RFC 6066 section 3), which libmosquitto
//! sends when told to connect to 127.0.0.1: devices connect to `localhost` here.

use std::collections::HashMap;
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    self, ConnAck, ConnectReturnCode, Packet, PingResp, PubAck, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{Error as CodecError, QoS};
use rumqttc::tokio_rustls::rustls;

const MAX_PACKET: usize = 512 * 1024;
/// How long a connection thread waits for input before it looks at its outgoing queue.
const POLL: Duration = Duration::from_millis(10);

enum ToClient {
    Data(Arc<Vec<u8>>),
    Kick,
}

type Subscriber = (u64, Sender<ToClient>);

#[derive(Default)]
struct Router {
    clients: HashMap<String, Subscriber>,
    /// Filters without wildcards, looked up by topic: a fleet's devices have only these.
    exact: HashMap<String, Vec<Subscriber>>,
    /// Filters with `+` or `#`, matched one by one (the simulator's few).
    wild: Vec<(String, Subscriber)>,
    next_id: u64,
}

impl Router {
    fn subscribe(&mut self, filter: &str, who: &Subscriber) {
        if filter.contains(['+', '#']) {
            if !self.wild.iter().any(|(f, s)| f == filter && s.0 == who.0) {
                self.wild.push((filter.to_string(), who.clone()));
            }
        } else {
            let list = self.exact.entry(filter.to_string()).or_default();
            if !list.iter().any(|s| s.0 == who.0) {
                list.push(who.clone());
            }
        }
    }

    fn unsubscribe(&mut self, filter: &str, id: u64) {
        self.wild.retain(|(f, s)| !(f == filter && s.0 == id));
        if let Some(list) = self.exact.get_mut(filter) {
            list.retain(|s| s.0 != id);
            if list.is_empty() {
                self.exact.remove(filter);
            }
        }
    }

    fn forget(&mut self, id: u64) {
        self.wild.retain(|(_, s)| s.0 != id);
        self.exact.retain(|_, list| {
            list.retain(|s| s.0 != id);
            !list.is_empty()
        });
    }

    fn route(&self, topic: &str, data: &Arc<Vec<u8>>) {
        let exact = self.exact.get(topic).into_iter().flatten();
        let wild = self
            .wild
            .iter()
            .filter(|(f, _)| matches(f, topic))
            .map(|(_, s)| s);
        for (_, to) in exact.chain(wild) {
            let _ = to.send(ToClient::Data(Arc::clone(data)));
        }
    }
}

/// MQTT topic matching; `+` and `#` at the first level never match a `$` topic (section 4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

fn tls_config(ca: &Path, cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    let read = |p: &Path| fs::read(p).map_err(|e| format!("cannot read {p:?}: {e}."));
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut &read(ca)?[..]) {
        roots
            .add(c.map_err(|e| format!("bad CA certificate {ca:?}: {e}."))?)
            .map_err(|e| format!("bad CA certificate {ca:?}: {e}."))?;
    }
    let chain: Vec<_> = rustls_pemfile::certs(&mut &read(cert)?[..])
        .collect::<Result<_, _>>()
        .map_err(|e| format!("bad broker certificate {cert:?}: {e}."))?;
    let key = rustls_pemfile::private_key(&mut &read(key)?[..])
        .map_err(|e| format!("bad broker key {key:?}: {e}."))?
        .ok_or_else(|| format!("no private key in {key:?}."))?;
    let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| format!("cannot use the CA for client certificates: {e}."))?;
    let config = rustls::ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("the broker certificate and key do not fit: {e}."))?;
    Ok(Arc::new(config))
}

/// Serves until `run_for` has passed.
pub fn run(port: u16, ca: &Path, cert: &Path, key: &Path, run_for: Duration) -> Result<(), String> {
    let config = tls_config(ca, cert, key)?;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}."))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    println!("cloud-sim broker: MQTT over TLS on 127.0.0.1:{port}, client certificates required");
    let router = Arc::new(Mutex::new(Router::default()));
    let started = Instant::now();
    // Bounded by run_for; polls so that it notices the end without a connection arriving.
    while started.elapsed() < run_for {
        match listener.accept() {
            Ok((tcp, _)) => {
                let (config, router) = (Arc::clone(&config), Arc::clone(&router));
                thread::spawn(move || serve(tcp, config, router));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("accept failed: {e}.")),
        }
    }
    Ok(())
}

fn encode(f: impl FnOnce(&mut BytesMut) -> Result<usize, CodecError>) -> Vec<u8> {
    let mut b = BytesMut::new();
    let _ = f(&mut b);
    b.to_vec()
}

fn serve(tcp: TcpStream, config: Arc<rustls::ServerConfig>, router: Arc<Mutex<Router>>) {
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_read_timeout(Some(POLL));
    let Ok(conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let (tx, rx): (Sender<ToClient>, Receiver<ToClient>) = mpsc::channel();
    let mut me: Option<(String, u64)> = None;
    let mut input = BytesMut::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    let mut keep_alive = Duration::from_secs(60);
    let mut last_input = Instant::now();
    // Ends when the client goes, misbehaves, is taken over, or is silent past 1.5 keep-alives.
    'conn: loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                input.extend_from_slice(&chunk[..n]);
                last_input = Instant::now();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        loop {
            let packet = match v4::read(&mut input, MAX_PACKET) {
                Ok(p) => p,
                Err(CodecError::InsufficientBytes(_)) => break,
                Err(_) => break 'conn,
            };
            let reply = match packet {
                Packet::Connect(c) => {
                    keep_alive = Duration::from_secs(u64::from(c.keep_alive.max(5)));
                    let mut r = router.lock().expect("router lock");
                    r.next_id += 1;
                    let id = r.next_id;
                    if let Some((_, old)) = r.clients.insert(c.client_id.clone(), (id, tx.clone()))
                    {
                        let _ = old.send(ToClient::Kick);
                    }
                    println!("connected {}", c.client_id);
                    me = Some((c.client_id, id));
                    Some(encode(|b| {
                        ConnAck::new(ConnectReturnCode::Success, false).write(b)
                    }))
                }
                _ if me.is_none() => break 'conn,
                Packet::Publish(p) => {
                    let data = Arc::new(encode(|b| {
                        Publish::new(p.topic.clone(), QoS::AtMostOnce, p.payload.to_vec()).write(b)
                    }));
                    router.lock().expect("router lock").route(&p.topic, &data);
                    (p.qos != QoS::AtMostOnce).then(|| encode(|b| PubAck::new(p.pkid).write(b)))
                }
                Packet::Subscribe(s) => {
                    let who = (me.as_ref().map(|m| m.1).unwrap_or(0), tx.clone());
                    let mut r = router.lock().expect("router lock");
                    for f in &s.filters {
                        r.subscribe(&f.path, &who);
                    }
                    let codes = s
                        .filters
                        .iter()
                        .map(|_| SubscribeReasonCode::Success(QoS::AtMostOnce))
                        .collect();
                    Some(encode(|b| SubAck::new(s.pkid, codes).write(b)))
                }
                Packet::Unsubscribe(u) => {
                    let id = me.as_ref().map(|m| m.1).unwrap_or(0);
                    let mut r = router.lock().expect("router lock");
                    for t in &u.topics {
                        r.unsubscribe(t, id);
                    }
                    Some(encode(|b| UnsubAck::new(u.pkid).write(b)))
                }
                Packet::PingReq => Some(encode(|b| PingResp.write(b))),
                Packet::Disconnect => break 'conn,
                _ => None,
            };
            if let Some(bytes) = reply {
                if stream.write_all(&bytes).is_err() {
                    break 'conn;
                }
            }
        }
        loop {
            match rx.try_recv() {
                Ok(ToClient::Data(d)) => {
                    if stream.write_all(&d).is_err() {
                        break 'conn;
                    }
                }
                Ok(ToClient::Kick) => break 'conn,
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => break,
            }
        }
        if last_input.elapsed() > keep_alive + keep_alive / 2 {
            break;
        }
    }
    if let Some((client, id)) = me {
        let mut r = router.lock().expect("router lock");
        r.forget(id);
        if r.clients.get(&client).is_some_and(|(i, _)| *i == id) {
            r.clients.remove(&client);
        }
    }
    let _ = stream.sock.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn filters_match_as_mqtt_says() {
        assert!(matches(
            "$aws/things/+/jobs/+/update",
            "$aws/things/t/jobs/j/update"
        ));
        assert!(matches(
            "$aws/things/t/streams/s/data/cbor",
            "$aws/things/t/streams/s/data/cbor"
        ));
        assert!(matches("a/#", "a/b/c"));
        assert!(!matches("#", "$aws/x"));
        assert!(!matches("+/things", "$aws/things"));
        assert!(!matches("a/+", "a/b/c"));
    }
}
