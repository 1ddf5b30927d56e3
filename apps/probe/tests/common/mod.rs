//! The probe's test harness: start coturn and wren-relay on free loopback ports (killed
//! and reaped on drop), run `wren-probe`, and read its lines back.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

pub mod agent;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use wren_ice::Candidate;

/// A fresh temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("wren-probe-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }

    pub fn path(&self, file: &str) -> String {
        self.0.join(file).to_string_lossy().into_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A server process, killed and reaped on drop; its output is collected.
pub struct Server {
    child: Child,
    output: Arc<Mutex<String>>,
    _dir: Option<TempDir>,
}

impl Server {
    pub fn start(program: &Path, args: &[String], dir: Option<TempDir>) -> Server {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program:?} ({e}); run scripts/install-deps.sh first")
            });
        let output = Arc::new(Mutex::new(String::new()));
        collect(&output, child.stdout.take().expect("piped stdout"));
        collect(&output, child.stderr.take().expect("piped stderr"));
        Server {
            child,
            output,
            _dir: dir,
        }
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
pub fn wait_tcp(port: u16) {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("nothing listens on {addr} after 10 s");
}

/// A range of relay ports of its own for each server a test binary starts.
pub fn relay_ports() -> (u16, u16) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    // Each test binary is its own process: spread by process id too.
    let k = NEXT.fetch_add(1, Ordering::Relaxed) + u64::from(std::process::id() % 40) * 8;
    let min = 40000 + u16::try_from(k % 320).expect("small") * 60;
    (min, min + 59)
}

/// The user every server knows.
pub const USER: &str = "test";
/// Its password.
pub const PASSWORD: &str = "secret";

/// coturn's turnserver on 127.0.0.1:`port` (UDP and TCP), relaying on 127.0.0.1 in
/// `ports`, with the user `test:secret`.
pub fn coturn(port: u16, ports: (u16, u16)) -> Server {
    let dir = TempDir::new("coturn");
    let args: Vec<String> = vec![
        "-n".into(),
        "--listening-ip=127.0.0.1".into(),
        format!("--listening-port={port}"),
        "--relay-ip=127.0.0.1".into(),
        format!("--min-port={}", ports.0),
        format!("--max-port={}", ports.1),
        "--lt-cred-mech".into(),
        format!("--user={USER}:{PASSWORD}"),
        "--realm=example.org".into(),
        "--fingerprint".into(),
        "--no-tls".into(),
        "--no-dtls".into(),
        "--no-cli".into(),
        "--log-file=stdout".into(),
        "--simple-log".into(),
        format!("--userdb={}", dir.path("turndb")),
        format!("--pidfile={}", dir.path("turnserver.pid")),
    ];
    let server = Server::start(Path::new("turnserver"), &args, Some(dir));
    wait_tcp(port);
    server
}

/// wren-relay on 127.0.0.1:`port` (UDP and TCP), relaying on 127.0.0.1 in `ports`, with
/// the user `test:secret`, and `extra` options.
pub fn wren_relay(port: u16, ports: (u16, u16), extra: &[String]) -> Server {
    let mut args: Vec<String> = vec![
        "-L".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
        "--relay-ip".into(),
        "127.0.0.1".into(),
        "--min-port".into(),
        ports.0.to_string(),
        "--max-port".into(),
        ports.1.to_string(),
        "--realm".into(),
        "example.org".into(),
        "--lt-cred-mech".into(),
        "--user".into(),
        format!("{USER}:{PASSWORD}"),
    ];
    args.extend(extra.iter().cloned());
    let server = Server::start(&relay_binary(), &args, None);
    wait_tcp(port);
    server
}

/// The wren-relay binary, built once per test binary with the cargo that runs the tests,
/// into the same target directory.
pub fn relay_binary() -> PathBuf {
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
            // alone makes ring's build script run again, and everything above it rebuild.
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

/// What one run of wren-probe printed.
#[derive(Debug)]
pub struct Probe {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Probe {
    /// The candidates printed for `server`, parsed back.
    pub fn candidates(&self, server: &str) -> Vec<Candidate> {
        self.stdout
            .lines()
            .filter_map(|l| {
                let mut parts = l.splitn(3, "  ");
                let (s, ms, c) = (parts.next()?, parts.next()?, parts.next()?);
                if s != server {
                    return None;
                }
                assert!(ms.ends_with(" ms"), "no time in {l:?}");
                Some(
                    c.parse::<Candidate>()
                        .unwrap_or_else(|e| panic!("{c:?} does not parse back: {e}")),
                )
            })
            .collect()
    }

    /// The failure line of `server`, if any.
    pub fn failure(&self, server: &str) -> Option<&str> {
        let prefix = format!("{server}  failed after ");
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|rest| rest.split_once(": ").map_or(rest, |(_, why)| why))
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout:\n{}--- stderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `wren-probe` with `args` (bounded by 60 s).
pub fn probe(args: &[&str]) -> Probe {
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_wren-probe"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run wren-probe");
    let p = Probe {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    eprintln!("wren-probe {args:?} took {:?}:\n{p}", started.elapsed());
    p
}
