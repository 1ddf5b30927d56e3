//! Optional `perf stat` counters of the relay process during a load: CPU cycles and
//! instructions (all threads, user and kernel), system calls and context switches.
//!
//! On a virtual machine the vCPU may be descheduled by the host while a task is running,
//! and that time still counts as the task's CPU time; cycles and instructions only count
//! while the vCPU really runs. So cycles per packet is the cost measure that the host's
//! other tenants disturb least, and cycles / CPU time (the "GHz" of a sample) shows how
//! much of a sample's CPU time the vCPU actually ran.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The events counted.
const EVENTS: &str = "cycles,instructions,raw_syscalls:sys_enter,context-switches";

/// Counter totals of one load (None: not counted or not supported here).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub(crate) cycles: Option<f64>,
    pub(crate) instructions: Option<f64>,
    pub(crate) syscalls: Option<f64>,
    pub(crate) context_switches: Option<f64>,
}

/// Whether `perf stat` can count cycles and system calls here.
pub(crate) fn available(dir: &Path) -> bool {
    let out = dir.join("perf-probe.csv");
    let ok = Command::new("perf")
        .args(["stat", "-x", ",", "-o"])
        .arg(&out)
        .args(["-e", EVENTS, "--", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let counts = parse(&std::fs::read_to_string(&out).unwrap_or_default());
    ok && counts.cycles.is_some() && counts.syscalls.is_some()
}

/// A `perf stat` attached to a process.
pub(crate) struct Perf {
    child: Child,
    out: PathBuf,
}

impl Perf {
    /// Attaches to every thread of `pid`; gives perf 200 ms to set up.
    pub(crate) fn start(pid: u32, out: PathBuf) -> Option<Perf> {
        let child = Command::new("perf")
            .args(["stat", "-x", ",", "-o"])
            .arg(&out)
            .args(["-e", EVENTS, "-p", &pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        std::thread::sleep(Duration::from_millis(200));
        Some(Perf { child, out })
    }

    /// Stops counting (SIGINT, as Ctrl-C) and reads the totals.
    pub(crate) fn stop(mut self) -> Counts {
        crate::sys::kill(self.child.id(), libc::SIGINT);
        let end = Instant::now() + Duration::from_secs(3);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        parse(&std::fs::read_to_string(&self.out).unwrap_or_default())
    }
}

/// Reads `perf stat -x ,` output: `value,unit,event,...` per line.
fn parse(text: &str) -> Counts {
    let mut c = Counts::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(',').collect();
        let (Some(v), Some(event)) = (f.first(), f.get(2)) else {
            continue;
        };
        let Ok(v) = v.trim().parse::<f64>() else {
            continue;
        };
        let slot = match event.trim() {
            e if e.starts_with("cycles") => &mut c.cycles,
            e if e.starts_with("instructions") => &mut c.instructions,
            e if e.starts_with("raw_syscalls:sys_enter") => &mut c.syscalls,
            e if e.starts_with("context-switches") => &mut c.context_switches,
            _ => continue,
        };
        *slot = Some(v);
    }
    c
}
