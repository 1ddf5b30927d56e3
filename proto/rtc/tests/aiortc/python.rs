//! aiortc in a Python virtual environment of the test's own, and `peer.py` run in it as a
//! child process that signals with JSON lines on its stdin and stdout.
//!
//! The environment is made once under the target directory (`CARGO_TARGET_TMPDIR`) with
//! `python3 -m venv` and `pip install aiortc==1.16.0` from PyPI, as wren-signal's tests
//! install npm packages; later runs find its marker and reuse it. The tests of one process
//! wait for the first one's install; tests in parallel processes (nextest) may all find it
//! missing: each builds its own beside it and renames it into place, and whoever renames
//! first wins (a venv keeps working when moved, as long as it is run through `bin/python`,
//! which is how it is run here).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The aiortc release the tests run against (the one shared/INTEROP.md saw work).
const AIORTC: &str = "aiortc==1.16.0";
/// Written into the environment once pip has installed aiortc.
const MARKER: &str = "wren-installed";

/// The environment's Python, with aiortc installed. The tests of one process wait for
/// the first one's install.
fn python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let venv = root.join("aiortc-1.16.0");
            if !venv.join(MARKER).exists() {
                install(&root, &venv);
            }
            venv.join("bin/python")
        })
        .clone()
}

fn install(root: &Path, venv: &Path) {
    std::fs::create_dir_all(root).expect("create CARGO_TARGET_TMPDIR");
    let building = root.join(format!("aiortc-1.16.0.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            out.status.success(),
            "{what} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&building),
        "python3 -m venv (scripts/install-deps.sh installs python3-venv)",
    );
    run(
        Command::new(building.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            AIORTC,
        ]),
        "pip install aiortc",
    );
    std::fs::write(building.join(MARKER), AIORTC).expect("write the venv's marker");
    if std::fs::rename(&building, venv).is_err() {
        // Another test process finished first; its environment is as good as ours.
        let _ = std::fs::remove_dir_all(&building);
        assert!(venv.join(MARKER).exists(), "no aiortc venv at {venv:?}");
    }
}

/// Which side of the offer/answer exchange aiortc takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// aiortc offers, we answer.
    Offerer,
    /// We offer, aiortc answers.
    Answerer,
}

/// What `peer.py` is asked to do.
pub(crate) struct Script {
    pub(crate) role: Role,
    /// Messages it sends on every open channel (and expects on each).
    pub(crate) messages: usize,
    /// The id of the channel both sides create with `negotiated`.
    pub(crate) negotiated_id: u16,
    /// Whether it sends audio and video and counts the frames it decodes.
    pub(crate) media: bool,
}

/// `peer.py` running; killed when dropped.
pub(crate) struct Aiortc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    /// Its stderr, for failure messages.
    stderr: PathBuf,
    /// Its stderr's directory, removed when dropped.
    dir: PathBuf,
}

impl Aiortc {
    /// Starts `peer.py` (installing aiortc first if needed).
    pub(crate) fn start(script: &Script) -> Aiortc {
        let python = python();
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wren-aiortc-{}-{}",
            std::process::id(),
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create the test's temp dir");
        let stderr = dir.join("stderr.txt");
        let mut cmd = Command::new(python);
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aiortc/peer.py"))
            .arg("--role")
            .arg(match script.role {
                Role::Offerer => "offerer",
                Role::Answerer => "answerer",
            })
            .arg("--messages")
            .arg(script.messages.to_string())
            .arg("--negotiated-id")
            .arg(script.negotiated_id.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("create stderr.txt"));
        if script.media {
            cmd.arg("--media");
        }
        let mut child = cmd.spawn().expect("start peer.py");
        let stdout = child.stdout.take().expect("peer.py's stdout is piped");
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                // A line that is not JSON fails the test as an error of peer.py's.
                let value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    serde_json::json!({"event": "error", "error": format!("not JSON ({e}): {line}")})
                });
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Aiortc {
            child,
            stdin,
            lines,
            stderr,
            dir,
        }
    }

    /// Writes one line to its stdin.
    pub(crate) fn send(&mut self, value: &Value) {
        let stdin = self.stdin.as_mut().expect("peer.py's stdin is open");
        writeln!(stdin, "{value}").expect("write to peer.py");
        stdin.flush().expect("flush peer.py's stdin");
    }

    /// Its next line, if one came.
    pub(crate) fn try_next(&self) -> Option<Value> {
        self.lines.try_recv().ok()
    }

    /// Its next line, waiting up to `timeout`; `None` on timeout or when it ended.
    pub(crate) fn next(&self, timeout: Duration) -> Option<Value> {
        self.lines.recv_timeout(timeout).ok()
    }

    /// What it wrote to stderr so far.
    pub(crate) fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Tells it to finish and returns its summary line.
    pub(crate) fn finish(&mut self, timeout: Duration) -> Value {
        self.send(&serde_json::json!({"type": "finish"}));
        let end = Instant::now() + timeout;
        while let Some(v) = self.next(end.saturating_duration_since(Instant::now())) {
            if v["event"] == "summary" {
                return v;
            }
        }
        panic!("peer.py wrote no summary:\n{}", self.stderr());
    }
}

impl Drop for Aiortc {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
