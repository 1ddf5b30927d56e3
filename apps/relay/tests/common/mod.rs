//! Helpers of the interop tests: start third-party peers and our relay on loopback, and
//! stop them (killed and reaped on drop, whatever the test's outcome).

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset; `pub` reads best here

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A child process that is killed and reaped when dropped; its stdout and stderr are
/// collected in the background.
pub struct Peer {
    name: String,
    child: std::process::Child,
    output: Arc<Mutex<String>>,
    _dir: Option<tempdir::Dir>,
}

mod tempdir {
    use std::path::{Path, PathBuf};

    /// A fresh directory removed on drop.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "wren-{tag}-{}-{}",
                std::process::id(),
                super::unique()
            ));
            std::fs::create_dir_all(&path).expect("create a temporary directory");
            Dir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn collect(output: &Arc<Mutex<String>>, stream: impl Read + Send + 'static) {
    let output = Arc::clone(output);
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            let mut o = output.lock().expect("output lock");
            o.push_str(&line);
            o.push('\n');
        }
    });
}

impl Peer {
    /// Starts `program` with `args`.
    pub fn start(name: &str, program: &str, args: &[String]) -> Peer {
        Peer::start_in(name, program, args, None)
    }

    fn start_in(name: &str, program: &str, args: &[String], dir: Option<tempdir::Dir>) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} ({e}); run scripts/install-deps.sh first")
            });
        let output = Arc::new(Mutex::new(String::new()));
        collect(&output, child.stdout.take().expect("piped stdout"));
        collect(&output, child.stderr.take().expect("piped stderr"));
        Peer {
            name: name.to_owned(),
            child,
            output,
            _dir: dir,
        }
    }

    /// Everything the process printed so far.
    pub fn output(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }

    /// Waits until the output contains `needle`, or panics after `timeout` with the output.
    pub fn wait_for_output(&self, needle: &str, timeout: Duration) {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.output().contains(needle) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "{} did not print {needle:?} within {timeout:?}; it printed:\n{}",
            self.name,
            self.output()
        );
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` and waits (bounded) for the process to exit; returns its status.
    pub fn signal_and_wait(
        &mut self,
        signal: &str,
        timeout: Duration,
    ) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args([format!("-{signal}"), self.child.id().to_string()])
            .status();
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free for both UDP and TCP right now.
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on loopback");
        let port = udp.local_addr().expect("local address").port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_tcp(addr: SocketAddr, timeout: Duration) {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on {addr} after {timeout:?}");
}

/// Starts wren-relay on 127.0.0.1:`port` (UDP and TCP) with `extra` arguments, verbose,
/// and waits until it listens.
pub fn relay(port: u16, extra: &[&str]) -> Peer {
    let mut args = vec![
        "-L".to_owned(),
        "127.0.0.1".to_owned(),
        "-p".to_owned(),
        port.to_string(),
        "-v".to_owned(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let relay = Peer::start("wren-relay", env!("CARGO_BIN_EXE_wren-relay"), &args);
    wait_tcp(
        SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_secs(10),
    );
    relay
}

/// Starts coturn's turnserver on 127.0.0.1:`port` (UDP and TCP), with its own database,
/// and waits until it listens.
pub fn coturn(port: u16) -> Peer {
    let dir = tempdir::Dir::new("coturn");
    let path = |f: &str| -> String { dir.path().join(f).to_string_lossy().into_owned() };
    let args: Vec<String> = [
        "-n",
        "--listening-ip=127.0.0.1",
        &format!("--listening-port={port}"),
        "--relay-ip=127.0.0.1",
        "--min-port=49200",
        "--max-port=49300",
        "--lt-cred-mech",
        "--user=test:secret",
        "--realm=example.org",
        "--fingerprint",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--allow-loopback-peers",
        "--log-file=stdout",
        "--simple-log",
        &format!("--userdb={}", path("turndb")),
        &format!("--pidfile={}", path("turnserver.pid")),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let peer = Peer::start_in("turnserver", "turnserver", &args, Some(dir));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    wait_tcp(addr, Duration::from_secs(10));
    // coturn opens its UDP listeners after its TCP one, one per relay thread on the same
    // port (SO_REUSEPORT, which spreads clients by their address): a test's first UDP
    // request sent before the one it lands on serves was lost or late, and retransmitted
    // (one more transmission than a test counts). Several clients answered in a row make
    // it likely that every listener serves.
    for _ in 0..8 {
        wait_udp_stun(addr, Duration::from_secs(10));
    }
    peer
}

/// Waits until something answers a STUN Binding request (RFC 8489 section 3, no
/// attributes) sent over UDP to `addr` from a fresh socket.
pub fn wait_udp_stun(addr: SocketAddr, timeout: Duration) {
    let sock = UdpSocket::bind("127.0.0.1:0").expect("bind UDP on loopback");
    sock.set_read_timeout(Some(Duration::from_millis(50)))
        .expect("read timeout");
    let mut request = [0u8; 20];
    request[..4].copy_from_slice(&[0x00, 0x01, 0x00, 0x00]); // Binding request, length 0
    request[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes()); // magic cookie
    request[8..].copy_from_slice(b"wren-ready-?"); // transaction id
    let mut buf = [0u8; 1500];
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        let _ = sock.send_to(&request, addr);
        if let Ok((n, from)) = sock.recv_from(&mut buf) {
            if from == addr && n >= 20 && buf[8..20] == request[8..] {
                return;
            }
        }
    }
    panic!("nothing answers STUN over UDP on {addr} after {timeout:?}");
}

/// Runs a command to completion (bounded), returning its combined output.
pub fn run(program: &str, args: &[&str], timeout: Duration) -> (Option<i32>, String) {
    let peer = Peer::start(
        program,
        program,
        &args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
    );
    let mut peer = peer;
    let end = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = peer.child.try_wait() {
            // Let the reader threads catch the last lines.
            std::thread::sleep(Duration::from_millis(50));
            return (status.code(), peer.output());
        }
        if Instant::now() >= end {
            return (None, peer.output());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The directory of this crate (for test data).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
