//! Headless Chromium and headless Firefox ESR call the `echo` example's server (its
//! `examples/echo/` modules, run here in-process on wren-tokio): each browser offers (WHIP's
//! `POST /`) or answers (`POST /offer`, then `PATCH` of its answer), over host candidates
//! and again forced through wren-relay (`iceTransportPolicy: "relay"`). One page does it all
//! (`tests/echo_browsers/page.html`): it sends 1,000 binary messages of 1-64 KiB on an
//! ordered data channel and checks that every one comes back intact and in order, then
//! reads getStats for its own video decoded (`framesDecoded`) and audio received
//! (`packetsReceived`) coming back, and for the selected pair's candidate types.
//!
//! Chromium runs on the host and everything is on 127.0.0.1. Firefox runs in a network
//! namespace the test makes (`wren_browser::Netns`), with the page's server on its
//! 127.0.0.1, and the echo server, its calls' sockets and the relay on
//! [`Netns::DEFAULT_ADDRESS`]: Firefox gathers only on its default address (INTEROP.md,
//! "Firefox"). wren-relay is built with the cargo that runs the tests and started here
//! with a static user (`--lt-cred-mech --user`) on a free port, and killed afterwards.
//!
//! The cases run one at a time (a lock): each is a browser and up to 64 MB of data
//! channel traffic, and parallel browsers on a small machine would only slow each other.
//! Run with `--nocapture` to see the figures each case prints; set
//! `WREN_ECHO_RELAY_LOG=<file>` to keep the relay's debug log, and `WREN_BROWSER_STDERR=1`
//! to see the browser's stderr (wren-browser).
#![allow(clippy::disallowed_methods)] // real browsers and a real relay: the real clock

#[path = "../examples/echo/mod.rs"]
mod echo;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use wren_browser::{Kind, Netns, Page};
use wren_dtls::identity::Identity;

/// Messages each page sends and expects back.
const COUNT: u64 = 1000;
/// The relay's static user.
const USER: &str = "echo";
const PASSWORD: &str = "north";

/// One case at a time (see the module docs).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Who offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The browser offers (WHIP's POST /).
    BrowserOffers,
    /// We offer (POST /offer), the browser answers (PATCH).
    BrowserAnswers,
}

/// Which candidates the browser may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    /// Host candidates.
    Host,
    /// Relayed candidates only, through wren-relay.
    Relay,
}

#[test]
fn chromium_offers_on_host_candidates_and_gets_its_media_and_messages_back() {
    call(Kind::Chromium, Role::BrowserOffers, Via::Host);
}

#[test]
fn chromium_answers_on_host_candidates_and_gets_its_media_and_messages_back() {
    call(Kind::Chromium, Role::BrowserAnswers, Via::Host);
}

#[test]
fn chromium_offers_through_wren_relay_and_gets_its_media_and_messages_back() {
    call(Kind::Chromium, Role::BrowserOffers, Via::Relay);
}

#[test]
fn chromium_answers_through_wren_relay_and_gets_its_media_and_messages_back() {
    call(Kind::Chromium, Role::BrowserAnswers, Via::Relay);
}

#[test]
fn firefox_offers_on_host_candidates_and_gets_its_media_and_messages_back() {
    call(Kind::Firefox, Role::BrowserOffers, Via::Host);
}

#[test]
fn firefox_answers_on_host_candidates_and_gets_its_media_and_messages_back() {
    call(Kind::Firefox, Role::BrowserAnswers, Via::Host);
}

#[test]
fn firefox_offers_through_wren_relay_and_gets_its_media_and_messages_back() {
    call(Kind::Firefox, Role::BrowserOffers, Via::Relay);
}

#[test]
fn firefox_answers_through_wren_relay_and_gets_its_media_and_messages_back() {
    call(Kind::Firefox, Role::BrowserAnswers, Via::Relay);
}

/// What the page reports.
#[derive(Debug, Default)]
struct Report {
    received: u64,
    intact: u64,
    first_bad: i64,
    bytes_sent: u64,
    frames_decoded: u64,
    video_packets: u64,
    audio_packets: u64,
    local: String,
    remote: String,
    data_seconds: f64,
}

fn call(kind: Kind, role: Role, via: Via) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    // Dropped last: after the browser, the relay and the server (declared first).
    let ns = (kind == Kind::Firefox).then(|| Arc::new(Netns::new()));
    let ip = match ns {
        Some(_) => IpAddr::V4(Netns::DEFAULT_ADDRESS),
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    let server = EchoServer::start(ns.clone(), ip);
    let relay = (via == Via::Relay).then(|| Relay::start(ns.as_deref(), ip));
    let config = match &relay {
        Some(relay) => format!(
            r#"{{iceServers: [{{urls: ['turn:{}?transport=udp'], username: '{USER}', credential: '{PASSWORD}'}}], iceTransportPolicy: 'relay'}}"#,
            relay.addr
        ),
        None => "{}".to_owned(),
    };
    let html = include_str!("echo_browsers/page.html")
        .replace("@ECHO@", &format!("http://{}/", server.addr))
        .replace(
            "@ROLE@",
            match role {
                Role::BrowserOffers => "offer",
                Role::BrowserAnswers => "answer",
            },
        )
        .replace("@CONFIG@", &config)
        .replace("@COUNT@", &COUNT.to_string());
    let page = match &ns {
        Some(ns) => Page::serve_in(ns, html),
        None => Page::serve(html),
    };
    let started = Instant::now();
    let browser = match &ns {
        Some(ns) => kind.start_in(ns, page.url()),
        None => kind.start_with_args(
            page.url(),
            &[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
            ],
        ),
    };
    let text = page
        .report(Duration::from_secs(240))
        .unwrap_or_else(|| panic!("{} never reported", kind.version()));
    let seconds = started.elapsed().as_secs_f64();
    drop(browser);
    server.stop();
    drop(relay);
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(
        v.get("error").is_none() && v.get("timeout").is_none(),
        "{}: {v}",
        kind.version()
    );
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    let r = Report {
        received: n("received"),
        intact: n("intact"),
        first_bad: v["firstBad"].as_i64().unwrap_or(-1),
        bytes_sent: n("bytesSent"),
        frames_decoded: n("framesDecoded"),
        video_packets: n("videoPackets"),
        audio_packets: n("audioPackets"),
        local: v["local"].as_str().unwrap_or("").to_owned(),
        remote: v["remote"].as_str().unwrap_or("").to_owned(),
        data_seconds: v["dataSeconds"].as_f64().unwrap_or(0.0),
    };
    println!(
        "{} {role:?} {via:?}: {} of {COUNT} messages back intact and in order ({} bytes each \
         way, {:.1} s from page start), video frames decoded {}, video packets {}, audio \
         packets {}, selected pair {} -> {}, {seconds:.1} s in all",
        kind.version(),
        r.intact,
        r.bytes_sent,
        r.data_seconds,
        r.frames_decoded,
        r.video_packets,
        r.audio_packets,
        r.local,
        r.remote,
    );
    assert_eq!(r.received, COUNT, "{r:?}");
    assert_eq!(
        r.intact, COUNT,
        "first message out of order or damaged: {r:?}"
    );
    assert_eq!(r.first_bad, -1, "{r:?}");
    assert!(r.frames_decoded > 0, "no video decoded: {r:?}");
    assert!(r.audio_packets > 0, "no audio received: {r:?}");
    if via == Via::Relay {
        assert_eq!(r.local, "relay", "the browser's selected candidate: {r:?}");
    }
}

/// The echo example's server, on a runtime of its own (in the namespace, when there is
/// one), stopped by [`EchoServer::stop`].
struct EchoServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    fn start(ns: Option<Arc<Netns>>, ip: IpAddr) -> EchoServer {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serve = move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(SocketAddr::new(ip, 0))
                    .await
                    .expect("bind the echo server's HTTP port");
                addr_tx
                    .send(listener.local_addr().expect("its address"))
                    .expect("the test waits for the address");
                let identity = Identity::generate().expect("a certificate");
                let calls = echo::calls::Calls::new(ip, echo::Echo::new(Arc::new(identity)));
                echo::serve(listener, calls, async {
                    let _ = stopped.await;
                })
                .await
                .expect("the echo server runs");
            });
        };
        let thread = std::thread::spawn(move || match ns {
            Some(ns) => ns.run(serve),
            None => serve(),
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the echo server listens");
        EchoServer {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Stops it (its runtime, and with it every call) and waits until it has stopped.
    fn stop(mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            t.join().expect("the echo server's thread");
        }
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// wren-relay on `ip`, killed when dropped.
struct Relay {
    addr: SocketAddr,
    child: Child,
}

impl Relay {
    fn start(ns: Option<&Netns>, ip: IpAddr) -> Relay {
        let port = match ns {
            Some(ns) => ns.run(|| free_port(ip)),
            None => free_port(ip),
        };
        // Relay ports: in a namespace of its own nothing else binds; on the host a range
        // per process, and the relay tries another port of it when one is taken.
        let min = match ns {
            Some(_) => 50_000,
            None => 40_000 + u16::try_from(std::process::id() % 100).unwrap_or(0) * 100,
        };
        let args: Vec<String> = [
            "-L",
            &ip.to_string(),
            "-p",
            &port.to_string(),
            "--relay-ip",
            &ip.to_string(),
            "--min-port",
            &min.to_string(),
            "--max-port",
            &(min + 99).to_string(),
            "--realm",
            "example.org",
            "--lt-cred-mech",
            "--user",
            &format!("{USER}:{PASSWORD}"),
            // Our peer is on 127.0.0.1 (Chromium) or the namespace's 10.255.255.1
            // (Firefox): loopback and private peers are refused by default.
            "--allow-loopback-peers",
            "--allowed-peer-ip",
            &ip.to_string(),
            "-v",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let binary = relay_binary();
        let mut cmd = match ns {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                // `ip netns exec` becomes the relay: killing it kills the relay.
                cmd.args(["netns", "exec", ns.name()]).arg(&binary);
                cmd
            }
            None => Command::new(&binary),
        };
        let child = cmd
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(match std::env::var_os("WREN_ECHO_RELAY_LOG") {
                Some(f) => Stdio::from(std::fs::File::create(f).expect("the relay's log")),
                None => Stdio::null(),
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary:?}: {e}"));
        let addr = SocketAddr::new(ip, port);
        let relay = Relay { addr, child };
        let listening = || wait_tcp(addr, Duration::from_secs(10));
        let up = match ns {
            Some(ns) => ns.run(listening),
            None => listening(),
        };
        assert!(up, "wren-relay does not listen on {addr}");
        relay
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port of `ip` free for both UDP and TCP right now.
fn free_port(ip: IpAddr) -> u16 {
    for _ in 0..100 {
        let udp = UdpSocket::bind(SocketAddr::new(ip, 0)).expect("bind UDP");
        let port = udp.local_addr().expect("its address").port();
        if TcpListener::bind(SocketAddr::new(ip, port)).is_ok() {
            return port;
        }
    }
    panic!("no port of {ip} free for both UDP and TCP");
}

/// Whether something accepts TCP connections on `addr` within `timeout`.
fn wait_tcp(addr: SocketAddr, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The wren-relay binary, built once per test binary with the cargo that runs the tests,
/// into the same target directory (as apps/probe's tests do).
fn relay_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            // target/<profile>/deps/<test> -> target/<profile>
            let exe = std::env::current_exe().expect("the test's path");
            let profile_dir = exe
                .parent()
                .and_then(Path::parent)
                .expect("target/<profile>/deps");
            let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build.current_dir(&workspace).args([
                "build",
                "-q",
                "-p",
                "wren-relay",
                "--bin",
                "wren-relay",
            ]);
            if profile_dir.file_name().is_some_and(|p| p == "release") {
                build.arg("--release");
            }
            // The variables cargo set for this test are not the build's: CARGO_MANIFEST_DIR
            // alone makes build scripts run again.
            for (key, _) in std::env::vars_os() {
                let key = key.to_string_lossy();
                let per_test = [
                    "CARGO_MANIFEST_",
                    "CARGO_PKG_",
                    "CARGO_BIN_",
                    "CARGO_CRATE_",
                ]
                .iter()
                .any(|p| key.starts_with(p))
                    || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"]
                        .contains(&key.as_ref());
                if per_test {
                    build.env_remove(key.as_ref());
                }
            }
            if let Some(target) = profile_dir.parent() {
                build.arg("--target-dir").arg(target);
            }
            let status = build.status().expect("run cargo build -p wren-relay");
            assert!(status.success(), "cargo build -p wren-relay failed");
            let bin = profile_dir.join("wren-relay");
            assert!(bin.exists(), "no wren-relay at {bin:?}");
            bin
        })
        .clone()
}
