//! Two wren-signal nodes (the binary, twice) on one Redis (Debian's `redis-server`, started
//! here on a free loopback port): a master on node A and a viewer on node B talk; A stopped
//! gracefully (SIGTERM: GO_AWAY) or killed (SIGKILL), the master reconnects to B and they
//! talk again; Redis stopped and restarted, local delivery goes on and cross-node delivery
//! comes back. Every numbered message sent while both ends were connected is received
//! exactly once and in order.
#![allow(clippy::disallowed_methods)] // real processes and sockets: the real clock

use std::io::{BufRead, BufReader};
use std::net::TcpStream as StdTcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use wren_signal::auth::sigv4::uri_encode;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn log_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("cluster-{}-{name}.log", std::process::id()))
}

/// A `redis-server` on a loopback port, without persistence; killed on drop.
struct Redis {
    port: u16,
    child: Option<Child>,
    name: &'static str,
}

impl Redis {
    fn start(name: &'static str) -> Redis {
        let mut r = Redis {
            port: free_port(),
            child: None,
            name,
        };
        r.restart();
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, empty) on its port and waits until it answers.
    fn restart(&mut self) {
        let log = std::fs::File::create(log_path(self.name)).unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server (scripts/install-deps.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while StdTcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A wren-signal binary clustered on `redis`; killed on drop.
struct Node {
    addr: String,
    child: Child,
}

impl Node {
    fn start(redis: &Redis, id: &str) -> Node {
        let log = std::fs::File::create(log_path(id)).unwrap();
        // The cluster keys from the configuration file, the rest as flags.
        let conf = log_path(&format!("{id}.conf"));
        std::fs::write(
            &conf,
            format!("redis = \"{}\"\nnode-id = {id}\n", redis.url()),
        )
        .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wren-signal"))
            .arg("--config")
            .arg(&conf)
            .args(["--listen", "127.0.0.1:0", "--redis-ttl", "3"])
            // Long enough that a connection closed during a drain was closed by its
            // replacement on the other node, not by the end of the grace.
            .args(["--drain-grace", "60"])
            .args([
                "--sdp-per-second",
                "1000",
                "--candidates-per-second",
                "1000",
            ])
            .env("RUST_LOG", "wren_signal=debug")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("wren-signal: http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{line:?}"))
            .to_owned();
        Node { addr, child }
    }

    /// SIGTERM: the node drains.
    fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// SIGKILL.
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request; the status and the body.
async fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).await.unwrap();
    let status = resp[9..12].parse().unwrap();
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

async fn post(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, b) = http(addr, "POST", path, &body.to_string()).await;
    (status, serde_json::from_str(&b).unwrap_or(Value::Null))
}

/// The value of metric `name` on `addr`.
async fn metric(addr: &str, name: &str) -> u64 {
    let (_, body) = http(addr, "GET", "/metrics", "").await;
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {body}"))
        .parse()
        .unwrap()
}

async fn channel(addr: &str, name: &str) -> String {
    let (status, v) = post(
        addr,
        "/createSignalingChannel",
        &json!({"ChannelName": name}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v["ChannelARN"].as_str().unwrap().to_owned()
}

async fn connect(addr: &str, arn: &str, client: Option<&str>) -> Ws {
    let mut url = format!("ws://{addr}/?X-Amz-ChannelARN={}", uri_encode(arn));
    if let Some(c) = client {
        url.push_str(&format!("&X-Amz-ClientId={c}"));
    }
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next JSON event, or `None` when the socket closes.
async fn next_event(ws: &mut Ws) -> Option<Value> {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("an event or a close within 20 s");
        match m {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(&t).unwrap()),
            Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn next_json(ws: &mut Ws) -> Value {
    next_event(ws).await.expect("the socket stays open")
}

async fn send(ws: &mut Ws, action: &str, to: Option<&str>, text: &str, correlation: Option<&str>) {
    let mut v = json!({"action": action, "messagePayload": B64.encode(text)});
    if let Some(t) = to {
        v["recipientClientId"] = Value::String(t.to_owned());
    }
    if let Some(c) = correlation {
        v["correlationId"] = Value::String(c.to_owned());
    }
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

fn payload(v: &Value) -> String {
    let b = B64.decode(v["messagePayload"].as_str().unwrap()).unwrap();
    String::from_utf8(b).unwrap()
}

/// One end of a call: its socket and, as a viewer, its client id.
struct End {
    ws: Ws,
    /// Where its messages go (`Some(viewer id)` from the master; `None` from a viewer).
    to: Option<String>,
    name: &'static str,
}

/// Probes until a message from `from` reaches `to` (a STATUS_RESPONSE means not yet: the
/// other end's registration or Redis is not there yet, and that probe was not delivered);
/// probes are not numbered and the collectors skip them.
async fn reach(from: &mut End, to: &mut End) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for i in 0.. {
        assert!(
            Instant::now() < deadline,
            "{} never reached {}",
            from.name,
            to.name
        );
        let c = format!("probe-{i}");
        send(
            &mut from.ws,
            "ICE_CANDIDATE",
            from.to.as_deref(),
            &format!("probe:{i}"),
            Some(&c),
        )
        .await;
        // Either the sender hears a STATUS_RESPONSE for this probe, or the recipient gets it.
        tokio::select! {
            v = next_json(&mut from.ws) => {
                assert_eq!(v["messageType"], "STATUS_RESPONSE", "{v}");
                assert_eq!(v["statusResponse"]["correlationId"], c.as_str());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            v = next_json(&mut to.ws) => {
                assert!(payload(&v).starts_with("probe:"), "{v}");
                return;
            }
        }
    }
}

/// `from` sends messages `range` (an offer or answer first when `sdp`, then candidates) and
/// an end mark; `to` collects until the mark. Returns the numbers `to` got, in order.
async fn exchange(
    from: &mut End,
    to: &mut End,
    range: std::ops::Range<u32>,
    sdp: Option<&str>,
) -> Vec<u32> {
    for i in range.clone() {
        let action = match (sdp, i == range.start) {
            (Some(a), true) => a,
            _ => "ICE_CANDIDATE",
        };
        send(
            &mut from.ws,
            action,
            from.to.as_deref(),
            &format!("{}:{i}", from.name),
            None,
        )
        .await;
    }
    send(
        &mut from.ws,
        "ICE_CANDIDATE",
        from.to.as_deref(),
        "end",
        None,
    )
    .await;
    collect(to, from.name).await
}

/// The numbers of `sender`'s messages on `to`, until its end mark.
async fn collect(to: &mut End, sender: &str) -> Vec<u32> {
    let mut got = Vec::new();
    loop {
        let v = next_json(&mut to.ws).await;
        let p = payload(&v);
        if p == "end" {
            return got;
        }
        if p.starts_with("probe:") {
            continue;
        }
        let (who, n) = p.split_once(':').unwrap();
        assert_eq!(who, sender, "{v}");
        got.push(n.parse().unwrap());
    }
}

fn every_once(got: &[u32], range: std::ops::Range<u32>) {
    assert_eq!(
        got,
        range.collect::<Vec<_>>(),
        "each exactly once, in order"
    );
}

/// Redis, nodes A and B, a channel created on A (and described on B), the master on A and
/// the viewer on B, able to reach each other.
struct Call {
    redis: Redis,
    a: Node,
    b: Node,
    arn: String,
    master: End,
    viewer: End,
}

async fn call(name: &'static str) -> Call {
    let redis = Redis::start(name);
    let a = Node::start(&redis, &format!("{name}-a"));
    let b = Node::start(&redis, &format!("{name}-b"));
    let arn = channel(&a.addr, "door").await;
    // The control plane agrees across nodes.
    let (status, v) = post(
        &b.addr,
        "/describeSignalingChannel",
        &json!({"ChannelName": "door"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ChannelInfo"]["ChannelARN"], arn.as_str());
    let mut master = End {
        ws: connect(&a.addr, &arn, None).await,
        to: Some("viewer-1".into()),
        name: "master",
    };
    let mut viewer = End {
        ws: connect(&b.addr, &arn, Some("viewer-1")).await,
        to: None,
        name: "viewer",
    };
    reach(&mut viewer, &mut master).await;
    reach(&mut master, &mut viewer).await;
    Call {
        redis,
        a,
        b,
        arn,
        master,
        viewer,
    }
}

/// An offer, an answer and candidates both ways, numbered from `from`; each exactly once.
async fn talk(c: &mut Call, from: u32) {
    let (v, m) = (&mut c.viewer, &mut c.master);
    every_once(
        &exchange(v, m, from..from + 20, Some("SDP_OFFER")).await,
        from..from + 20,
    );
    every_once(
        &exchange(m, v, from..from + 20, Some("SDP_ANSWER")).await,
        from..from + 20,
    );
}

/// The master leaves A (its socket is in `old`) for B.
async fn move_master_to_b(c: &mut Call) -> Ws {
    let new = connect(&c.b.addr, &c.arn, None).await;
    std::mem::replace(&mut c.master.ws, new)
}

#[tokio::test]
async fn a_master_on_one_node_and_a_viewer_on_another_talk_exactly_once() {
    let mut c = call("talk").await;
    talk(&mut c, 0).await;
    // The first offer crossed as an SDP_OFFER from the viewer, named by B.
    let (v, m) = (&mut c.viewer, &mut c.master);
    send(&mut v.ws, "SDP_OFFER", None, "viewer:offer", None).await;
    let got = next_json(&mut m.ws).await;
    assert_eq!(got["messageType"], "SDP_OFFER");
    assert_eq!(got["senderClientId"], "viewer-1");
    // A master's message for a viewer connected nowhere: the same STATUS_RESPONSE as on
    // one node.
    send(&mut m.ws, "SDP_ANSWER", Some("nobody"), "x", Some("c-404")).await;
    let v = next_json(&mut m.ws).await;
    assert_eq!(v["messageType"], "STATUS_RESPONSE");
    assert_eq!(v["statusResponse"]["statusCode"], "404");
    assert_eq!(v["statusResponse"]["correlationId"], "c-404");
    assert!(metric(&c.a.addr, "wren_signal_cluster_messages_sent_total").await >= 20);
    assert!(metric(&c.b.addr, "wren_signal_cluster_messages_received_total").await >= 20);
    assert_eq!(metric(&c.b.addr, "wren_signal_cluster_up").await, 1);
    // Deleted on B, gone on A too, and its connections closed.
    let (status, _) = post(
        &c.b.addr,
        "/deleteSignalingChannel",
        &json!({"ChannelARN": c.arn}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post(
        &c.a.addr,
        "/describeSignalingChannel",
        &json!({"ChannelName": "door"}),
    )
    .await;
    assert_eq!(status, 404);
    loop {
        match next_event(&mut c.master.ws).await {
            None => break,
            Some(v) => assert_eq!(v["messageType"], "GO_AWAY", "{v}"),
        }
    }
}

#[tokio::test]
async fn a_node_stopped_gracefully_sends_go_away_and_the_master_talks_again_from_the_other() {
    let mut c = call("term").await;
    talk(&mut c, 0).await;
    c.a.terminate();
    let v = next_json(&mut c.master.ws).await;
    assert_eq!(v["messageType"], "GO_AWAY");
    let mut old = move_master_to_b(&mut c).await;
    // The newer registration on B replaces the one on A at once (A's drain grace is 60 s):
    // the old socket is told and closed.
    while let Some(v) = next_event(&mut old).await {
        assert_eq!(v["messageType"], "GO_AWAY", "{v}");
    }
    reach(&mut c.viewer, &mut c.master).await;
    reach(&mut c.master, &mut c.viewer).await;
    talk(&mut c, 20).await;
}

#[tokio::test]
async fn a_node_killed_is_survived_and_the_master_talks_again_from_the_other() {
    let mut c = call("kill").await;
    talk(&mut c, 0).await;
    c.a.kill();
    assert!(
        next_event(&mut c.master.ws).await.is_none(),
        "the socket closes"
    );
    // A's registration is still in Redis (its TTL is 3 s); B takes the master at once.
    let _old = move_master_to_b(&mut c).await;
    reach(&mut c.viewer, &mut c.master).await;
    reach(&mut c.master, &mut c.viewer).await;
    talk(&mut c, 20).await;
}

#[tokio::test]
async fn redis_stopped_keeps_local_delivery_and_cross_node_delivery_comes_back() {
    let mut c = call("redis").await;
    talk(&mut c, 0).await;
    // A second channel whose master and viewer are both on A.
    let local = channel(&c.a.addr, "porch").await;
    let mut lm = End {
        ws: connect(&c.a.addr, &local, None).await,
        to: Some("v".into()),
        name: "master",
    };
    let mut lv = End {
        ws: connect(&c.a.addr, &local, Some("v")).await,
        to: None,
        name: "viewer",
    };
    c.redis.stop();
    // Local delivery goes on.
    every_once(
        &exchange(&mut lv, &mut lm, 0..20, Some("SDP_OFFER")).await,
        0..20,
    );
    every_once(
        &exchange(&mut lm, &mut lv, 0..20, Some("SDP_ANSWER")).await,
        0..20,
    );
    // A message for the other node cannot go: the sender is told (503).
    send(
        &mut c.viewer.ws,
        "ICE_CANDIDATE",
        None,
        "lost",
        Some("c-503"),
    )
    .await;
    let v = next_json(&mut c.viewer.ws).await;
    assert_eq!(v["statusResponse"]["statusCode"], "503", "{v}");
    assert_eq!(v["statusResponse"]["correlationId"], "c-503");
    assert_eq!(metric(&c.b.addr, "wren_signal_cluster_up").await, 0);
    assert!(metric(&c.b.addr, "wren_signal_cluster_redis_errors_total").await > 0);
    // Redis comes back empty: the nodes register again and put the channel back.
    c.redis.restart();
    reach(&mut c.viewer, &mut c.master).await;
    reach(&mut c.master, &mut c.viewer).await;
    talk(&mut c, 20).await;
    let (status, v) = post(
        &c.b.addr,
        "/describeSignalingChannel",
        &json!({"ChannelARN": c.arn}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    // And still locally.
    every_once(&exchange(&mut lv, &mut lm, 20..30, None).await, 20..30);
}
