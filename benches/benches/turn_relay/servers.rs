//! Starting and stopping the three relays, one at a time, on loopback, pinned with
//! `taskset` when the machine has a second core. Every child is registered so that the
//! watchdog can kill it; every child is killed and reaped on drop.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Process ids of the children alive, for the watchdog.
static CHILDREN: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Kills (SIGKILL) every registered child; used by the watchdog before it exits.
pub(crate) fn kill_all() {
    if let Ok(pids) = CHILDREN.lock() {
        for &pid in pids.iter() {
            crate::sys::kill(pid, libc::SIGKILL);
        }
    }
}

/// The relays under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Coturn,
    Wren,
    Bare,
    /// The bare forwarder sending each run from one client as one UDP GSO datagram.
    BareGso,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Coturn => "coturn",
            Kind::Wren => "wren-relay",
            Kind::Bare => "bare forwarder",
            Kind::BareGso => "bare + GSO",
        }
    }

    /// Whether clients must do the TURN setup first.
    pub(crate) fn is_turn(self) -> bool {
        !matches!(self, Kind::Bare | Kind::BareGso)
    }
}

/// What every start needs.
pub(crate) struct Env {
    /// A scratch directory (coturn's user database, the logs).
    pub(crate) dir: PathBuf,
    pub(crate) wren_bin: PathBuf,
    /// `taskset -c <cpu>` for the relays, when pinning.
    pub(crate) relay_cpu: Option<usize>,
    /// coturn's `--relay-threads`.
    pub(crate) coturn_relay_threads: u32,
    /// The forwarder's self-stop, in seconds.
    pub(crate) forwarder_secs: u64,
}

/// A relay process.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

/// A loopback port free for both UDP and TCP right now.
pub(crate) fn free_port() -> u16 {
    for _ in 0..100 {
        let Ok(udp) = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)) else {
            continue;
        };
        let Ok(port) = udp.local_addr().map(|a| a.port()) else {
            continue;
        };
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

fn wait_tcp(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!("nothing listens on {addr} after {timeout:?}"))
}

/// coturn's flags: INTEROP.md's, loopback only, its own user database, no TLS, DTLS or CLI.
pub(crate) fn coturn_args(port: u16, dir: &Path, relay_threads: u32) -> Vec<String> {
    let path = |f: &str| dir.join(f).to_string_lossy().into_owned();
    vec![
        "-n".into(),
        "--listening-ip=127.0.0.1".into(),
        format!("--listening-port={port}"),
        "--relay-ip=127.0.0.1".into(),
        "--min-port=49200".into(),
        "--max-port=49799".into(),
        "--lt-cred-mech".into(),
        "--user=test:secret".into(),
        "--realm=example.org".into(),
        "--fingerprint".into(),
        "--no-tls".into(),
        "--no-dtls".into(),
        "--no-cli".into(),
        "--allow-loopback-peers".into(),
        "--log-file=stdout".into(),
        "--simple-log".into(),
        format!("--relay-threads={relay_threads}"),
        format!("--userdb={}", path("turndb")),
        format!("--pidfile={}", path("turnserver.pid")),
    ]
}

/// wren-relay's flags: the same job in the same words.
pub(crate) fn wren_args(port: u16) -> Vec<String> {
    [
        "-L",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--relay-ip",
        "127.0.0.1",
        "--min-port",
        "50000",
        "--max-port",
        "50999",
        "--realm",
        "example.org",
        "--lt-cred-mech",
        "--user",
        "test:secret",
        "--fingerprint",
        "--allow-loopback-peers",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

impl Server {
    /// Starts `kind` on a fresh loopback port and waits until it is ready. The bare
    /// forwarder sends what it gets to `sink_port`.
    pub(crate) fn start(
        kind: Kind,
        env: &Env,
        run: usize,
        sink_port: u16,
    ) -> Result<Server, String> {
        let port = free_port();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let log = env
            .dir
            .join(format!("{}-{run}.log", kind.name().replace(' ', "-")));
        let (program, args): (PathBuf, Vec<String>) = match kind {
            Kind::Coturn => (
                "turnserver".into(),
                coturn_args(port, &env.dir, env.coturn_relay_threads),
            ),
            Kind::Wren => (env.wren_bin.clone(), wren_args(port)),
            Kind::Bare | Kind::BareGso => (
                std::env::current_exe().map_err(|e| e.to_string())?,
                Vec::new(),
            ),
        };
        let mut cmd = match env.relay_cpu {
            Some(cpu) => {
                let mut c = Command::new("taskset");
                c.arg("-c").arg(cpu.to_string()).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        cmd.args(&args).stdin(Stdio::null());
        let logfile = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let logfile2 = logfile.try_clone().map_err(|e| e.to_string())?;
        if !kind.is_turn() {
            cmd.env("WREN_TURN_BENCH_ROLE", "forwarder")
                .env(
                    "WREN_FWD_GSO",
                    if kind == Kind::BareGso { "1" } else { "0" },
                )
                .env("WREN_FWD_PORT", port.to_string())
                .env("WREN_FWD_SINK", sink_port.to_string())
                .env("WREN_FWD_SECS", env.forwarder_secs.to_string())
                .stdout(Stdio::piped())
                .stderr(logfile2);
        } else {
            cmd.stdout(logfile).stderr(logfile2);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        if let Ok(mut c) = CHILDREN.lock() {
            c.push(child.id());
        }
        let ready = match kind {
            Kind::Bare | Kind::BareGso => {
                // The forwarder prints "ready" once its socket is bound.
                let mut line = String::new();
                let out = child.stdout.take().ok_or("no stdout")?;
                match BufReader::new(out).read_line(&mut line) {
                    Ok(_) if line.trim() == "ready" => Ok(()),
                    other => Err(format!("forwarder did not start: {other:?} {line:?}")),
                }
            }
            _ => wait_tcp(addr, Duration::from_secs(10)),
        };
        let server = Server { addr, child, log };
        ready.map(|()| server)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops it with SIGTERM (SIGKILL after 5 s) and returns what it logged.
    pub(crate) fn stop(mut self) -> String {
        crate::sys::kill(self.pid(), libc::SIGTERM);
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Ok(mut c) = CHILDREN.lock() {
            let pid = self.child.id();
            c.retain(|&p| p != pid);
        }
    }
}
