//! wren-signal under load: `CHANNELS` channels (default 1,000), each with a master and
//! `VIEWERS` viewers (default 9): 10,000 WebSocket clients on 127.0.0.1 against the release
//! binary. Every viewer sends its master an offer and `CANDIDATES` candidates; every master
//! answers each viewer with an answer and as many candidates. The run checks that every
//! message arrives exactly once and in order per sender, and reports the delivery latency
//! (p50, p99, max; the messages are offered at `RATE` a second, default 20,000), the
//! server's memory per connection (RSS growth over the connections) and
//! its CPU time per message delivered.
//!
//! ```sh
//! cargo build --release -p wren-signal && cargo bench -p wren-benches --bench signal_load
//! ```
//!
//! Settings: `WREN_SIGNAL_LOAD_CHANNELS`, `WREN_SIGNAL_LOAD_VIEWERS`,
//! `WREN_SIGNAL_LOAD_CANDIDATES`, `WREN_SIGNAL_LOAD_RATE`; `WREN_SIGNAL_BIN` names another binary. The report is
//! printed and written to `<target>/signal_load.md`. The rate limits are raised for the run
//! (a master answers nine viewers at once); everything else is the default configuration.
#![allow(clippy::disallowed_methods)] // a load run: real sockets and the real clock

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{Mutex, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn proc_status(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User plus system CPU time of `pid`, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = s.rsplit_once(") ").map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn post(addr: &str, path: &str, body: &Value) -> Value {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to wren-signal");
    let body = body.to_string();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What one receiver saw: per sender, the next sequence number expected; and problems.
#[derive(Default)]
struct Seen {
    next: HashMap<String, u64>,
    out_of_order: u64,
    received: u64,
    latencies_us: Vec<u64>,
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

/// Offers the messages at `rate` a second (checked every 50), so that the latency measured
/// is delivery's, not the queue of a burst larger than the machine's capacity.
struct Pacer {
    start: Instant,
    sent: u64,
    rate: f64,
}

impl Pacer {
    async fn sent_one(&mut self) {
        self.sent += 1;
        if self.sent.is_multiple_of(50) {
            let due = self.start + Duration::from_secs_f64(self.sent as f64 / self.rate);
            tokio::time::sleep_until(due.into()).await;
        }
    }
}

fn payload(from: &str, seq: u64, start: Instant) -> String {
    let t = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    base64::engine::general_purpose::STANDARD
        .encode(json!({"f": from, "s": seq, "t": t}).to_string())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let channels = env("WREN_SIGNAL_LOAD_CHANNELS", 1000);
    let viewers = env("WREN_SIGNAL_LOAD_VIEWERS", 9);
    let candidates = env("WREN_SIGNAL_LOAD_CANDIDATES", 5) as u64;
    let target = wren_benches::criterion_report::target_dir();
    let bin = std::env::var("WREN_SIGNAL_BIN")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| target.join("release/wren-signal"));
    assert!(
        bin.exists(),
        "{} missing: cargo build --release -p wren-signal",
        bin.display()
    );
    let mut child = Command::new(&bin)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--sdp-per-second",
            "1000",
            "--candidates-per-second",
            "1000",
            "--max-viewers",
            &viewers.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wren-signal");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let server = Server(child);
    let pid = server.0.id();
    let addr = line
        .trim()
        .strip_prefix("wren-signal: http://")
        .and_then(|s| s.strip_suffix('/'))
        .expect("the URL line")
        .to_owned();
    eprintln!("signal_load: {channels} channels x (1 master + {viewers} viewers) on {addr}");
    let arns: Vec<String> = (0..channels)
        .map(|i| {
            post(
                &addr,
                "/createSignalingChannel",
                &json!({"ChannelName": format!("load-{i}")}),
            )["ChannelARN"]
                .as_str()
                .expect("a channel")
                .to_owned()
        })
        .collect();
    let rss_before = proc_status(pid, "VmRSS:");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rate = env("WREN_SIGNAL_LOAD_RATE", 20_000) as u64;
    let report = rt.block_on(run(addr, arns, viewers, candidates, rate, pid, rss_before));
    drop(server);
    println!("{report}");
    let _ = std::fs::write(target.join("signal_load.md"), &report);
}

async fn run(
    addr: String,
    arns: Vec<String>,
    viewers: usize,
    candidates: u64,
    rate: u64,
    pid: u32,
    rss_before: u64,
) -> String {
    let start = Instant::now();
    let connect_limit = Arc::new(Semaphore::new(256));
    let mut sinks: HashMap<(usize, usize), Sink> = HashMap::new();
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<()>();
    let conns = arns.len() * (viewers + 1);
    let t_connect = Instant::now();
    let mut joins = Vec::new();
    for (c, arn) in arns.iter().enumerate() {
        for v in 0..=viewers {
            let mut url = format!("ws://{addr}/?X-Amz-ChannelARN={}", enc(arn));
            if v > 0 {
                url.push_str(&format!("&X-Amz-ClientId=v{v}"));
            }
            let limit = connect_limit.clone();
            joins.push(tokio::spawn(async move {
                let _p = limit.acquire().await;
                let (ws, _) = tokio_tungstenite::connect_async(url)
                    .await
                    .expect("connect");
                ((c, v), ws)
            }));
        }
    }
    {
        let mut s = seen.lock().await;
        s.resize_with(conns, Seen::default);
    }
    let expect_master = viewers as u64 * (1 + candidates);
    let expect_viewer = 1 + candidates;
    for j in joins {
        let ((c, v), ws) = j.await.unwrap();
        let (sink, mut stream) = ws.split();
        sinks.insert((c, v), sink);
        let seen = seen.clone();
        let done = done_tx.clone();
        let index = c * (viewers + 1) + v;
        let expect = if v == 0 { expect_master } else { expect_viewer };
        tokio::spawn(async move {
            let mut got = 0u64;
            while let Some(Ok(m)) = stream.next().await {
                let Message::Text(t) = m else { continue };
                let m: Value = serde_json::from_str(&t).unwrap();
                let Some(p) = m["messagePayload"].as_str() else {
                    continue;
                };
                let body: Value = serde_json::from_slice(
                    &base64::engine::general_purpose::STANDARD.decode(p).unwrap(),
                )
                .unwrap();
                let now = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
                let from = body["f"].as_str().unwrap().to_owned();
                let seq = body["s"].as_u64().unwrap();
                let sent = body["t"].as_u64().unwrap();
                let mut s = seen.lock().await;
                let r = &mut s[index];
                let next = r.next.entry(from).or_insert(0);
                if seq != *next {
                    r.out_of_order += 1;
                }
                *next = seq + 1;
                r.received += 1;
                r.latencies_us.push(now.saturating_sub(sent));
                got += 1;
                drop(s);
                if got == expect {
                    let _ = done.send(());
                }
            }
        });
    }
    let connect_secs = t_connect.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_connected = proc_status(pid, "VmRSS:");
    let cpu_before = cpu_seconds(pid);
    let t_msgs = Instant::now();
    let mut pacer = Pacer {
        start: t_msgs,
        sent: 0,
        rate: rate as f64,
    };
    // Viewers: an offer, then candidates, to the master.
    for c in 0..arns.len() {
        for v in 1..=viewers {
            let me = format!("c{c}v{v}");
            let sink = sinks.get_mut(&(c, v)).unwrap();
            for seq in 0..=candidates {
                let action = if seq == 0 {
                    "SDP_OFFER"
                } else {
                    "ICE_CANDIDATE"
                };
                let m = json!({"action": action, "messagePayload": payload(&me, seq, start)});
                sink.send(Message::Text(m.to_string().into()))
                    .await
                    .unwrap();
                pacer.sent_one().await;
            }
        }
    }
    // Masters: an answer, then candidates, to each viewer.
    for c in 0..arns.len() {
        let me = format!("c{c}m");
        for v in 1..=viewers {
            let sink = sinks.get_mut(&(c, 0)).unwrap();
            for k in 0..=candidates {
                let action = if k == 0 {
                    "SDP_ANSWER"
                } else {
                    "ICE_CANDIDATE"
                };
                let seq = k;
                let m = json!({"action": action, "recipientClientId": format!("v{v}"),
                               "messagePayload": payload(&me, seq, start)});
                sink.send(Message::Text(m.to_string().into()))
                    .await
                    .unwrap();
                pacer.sent_one().await;
            }
        }
    }
    let mut finished = 0;
    let deadline = tokio::time::sleep(Duration::from_secs(120));
    tokio::pin!(deadline);
    while finished < conns {
        tokio::select! {
            Some(()) = done_rx.recv() => finished += 1,
            () = &mut deadline => break,
        }
    }
    let msg_secs = t_msgs.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid) - cpu_before;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s = seen.lock().await;
    let sent = arns.len() as u64 * viewers as u64 * (1 + candidates) * 2;
    let received: u64 = s.iter().map(|r| r.received).sum();
    let out_of_order: u64 = s.iter().map(|r| r.out_of_order).sum();
    let mut lat: Vec<u64> = s
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let per_conn_kib = (rss_connected.saturating_sub(rss_before)) as f64 / conns as f64;
    format!(
        "## wren-signal under load\n\n\
         | what | value |\n| --- | --- |\n\
         | connections | {conns} ({} channels x (1 master + {viewers} viewers)), connected in {connect_secs:.2} s |\n\
         | messages sent | {sent} |\n\
         | messages delivered | {received} ({}) |\n\
         | out of order or duplicated | {out_of_order} |\n\
         | clients done | {finished} of {conns} in {msg_secs:.2} s (offered at {rate} messages/s) |\n\
         | delivery latency | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms |\n\
         | server memory per connection | {per_conn_kib:.1} KiB (RSS {rss_before} KiB -> {rss_connected} KiB) |\n\
         | server CPU per message | {:.1} us ({cpu:.2} s for {received}) |\n",
        arns.len(),
        if received == sent {
            "all, once each"
        } else {
            "MISSING SOME"
        },
        pct(0.5) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0,
        lat.last().copied().unwrap_or(0) as f64 / 1000.0,
        cpu * 1e6 / received.max(1) as f64,
    )
}
