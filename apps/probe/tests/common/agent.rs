//! Two `wren-probe agent` processes joined stdout to stdin (the signalling), in network
//! namespaces or not, killed and reaped on drop; and the `connected` line read back.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wren_ice::{Candidate, CandidateType};

/// One `wren-probe agent`, killed and reaped on drop; its output is collected.
pub struct Agent {
    pub name: &'static str,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Agent {
    /// Starts `wren-probe agent ARGS`, inside network namespace `netns` when given (through
    /// `ip netns exec`). Its stdin and stdout are for [`join`].
    pub fn start(name: &'static str, netns: Option<&str>, args: &[&str]) -> Agent {
        let probe = env!("CARGO_BIN_EXE_wren-probe");
        let mut command = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, probe]);
                c
            }
            None => Command::new(probe),
        };
        let mut child = command
            .arg("agent")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wren-probe agent");
        let stderr = Arc::new(Mutex::new(String::new()));
        let err = child.stderr.take().expect("piped stderr");
        let log = Arc::clone(&stderr);
        std::thread::spawn(move || collect(err, &log, None));
        Agent {
            name,
            child,
            stdout: Arc::new(Mutex::new(String::new())),
            stderr,
        }
    }

    /// What it printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().expect("lock").clone()
    }

    /// Its stdout and stderr, labelled.
    pub fn log(&self) -> String {
        format!(
            "--- {} stdout:\n{}--- {} stderr:\n{}",
            self.name,
            self.stdout(),
            self.name,
            self.stderr.lock().expect("lock")
        )
    }

    /// The selected pair it printed last (a pair whose remote was first learned
    /// peer-reflexive is printed again once the peer's candidate is signalled).
    pub fn connected(&self) -> Option<Selected> {
        self.stdout()
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("connected "))
            .map(Selected::parse)
    }

    /// Its candidates of `kind`.
    pub fn candidates(&self, kind: CandidateType) -> Vec<Candidate> {
        self.stdout()
            .lines()
            .filter(|l| l.starts_with("candidate:"))
            .map(|l| l.parse::<Candidate>().expect("a candidate line"))
            .filter(|c| c.kind == kind)
            .collect()
    }

    /// Whether a `data` line holds `text` (`": ping "`: some ping of the peer's).
    pub fn got_data(&self, text: &str) -> bool {
        self.stdout()
            .lines()
            .any(|l| l.starts_with("data ") && l.contains(text))
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies `from` line by line into `log` and, while it takes them, into `to`.
fn collect(from: impl Read, log: &Mutex<String>, mut to: Option<ChildStdin>) {
    for line in BufReader::new(from).lines().map_while(Result::ok) {
        {
            let mut l = log.lock().expect("lock");
            l.push_str(&line);
            l.push('\n');
        }
        if let Some(stdin) = &mut to {
            if writeln!(stdin, "{line}").is_err() {
                to = None; // the peer is gone; keep reading
            }
        }
    }
}

/// Joins each agent's stdout to the other's stdin, line by line.
pub fn join(a: &mut Agent, b: &mut Agent) {
    let (a_out, b_out) = (
        a.child.stdout.take().expect("piped"),
        b.child.stdout.take().expect("piped"),
    );
    let (a_in, b_in) = (
        a.child.stdin.take().expect("piped"),
        b.child.stdin.take().expect("piped"),
    );
    let (a_log, b_log) = (Arc::clone(&a.stdout), Arc::clone(&b.stdout));
    std::thread::spawn(move || collect(a_out, &a_log, Some(b_in)));
    std::thread::spawn(move || collect(b_out, &b_log, Some(a_in)));
}

/// Waits for both agents to exit, at most `limit`; panics with their output (and
/// `context()`) past it.
pub fn wait_both(
    a: &mut Agent,
    b: &mut Agent,
    limit: Duration,
    context: impl Fn() -> String,
) -> (ExitStatus, ExitStatus) {
    let deadline = Instant::now() + limit;
    let (mut a_status, mut b_status) = (None, None);
    loop {
        if a_status.is_none() {
            a_status = a.child.try_wait().expect("wait for an agent");
        }
        if b_status.is_none() {
            b_status = b.child.try_wait().expect("wait for an agent");
        }
        if let (Some(x), Some(y)) = (a_status, b_status) {
            return (x, y);
        }
        assert!(
            Instant::now() < deadline,
            "the agents did not finish in {limit:?}\n{}\n{}\n{}",
            a.log(),
            b.log(),
            context()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One side of a selected pair as the agent prints it: `TYPE udp ADDRESS ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub kind: String,
    pub addr: SocketAddr,
}

/// `LOCAL -> REMOTE (rtt N ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub local: End,
    pub remote: End,
}

impl Selected {
    fn parse(line: &str) -> Selected {
        let end = |s: &str| {
            let mut t = s.split_whitespace();
            let kind = t.next().expect("a type").to_owned();
            assert_eq!(t.next(), Some("udp"), "{line:?}");
            let addr = t
                .next()
                .and_then(|a| a.parse().ok())
                .unwrap_or_else(|| panic!("an address in {line:?}"));
            End { kind, addr }
        };
        let (local, remote) = line.split_once(" -> ").expect("LOCAL -> REMOTE");
        Selected {
            local: end(local),
            remote: end(remote),
        }
    }

    /// Whether one side is a relayed candidate.
    pub fn relayed(&self) -> bool {
        self.local.kind == "relay" || self.remote.kind == "relay"
    }
}

impl std::fmt::Display for Selected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} -> {} {}",
            self.local.kind, self.local.addr, self.remote.kind, self.remote.addr
        )
    }
}
