//! TURN relay throughput: coturn, wren-relay and a bare recvmmsg+sendmmsg forwarder under the
//! same load, in one run, on loopback. Not a criterion benchmark: a plain program
//! (`harness = false`) that prints a markdown report and writes it to
//! `target/turn_relay_bench.md`. See benches/README.md.
//!
//! ```sh
//! cargo build --release -p wren-relay          # this bench builds nothing itself
//! cargo bench -p wren-benches --bench turn_relay
//! ```
//!
//! For each round, each load (an offered rate and a burst size) and each relay in turn
//! (coturn, wren-relay, the bare forwarder: back to back, so that they meet the same machine),
//! it starts the relay alone on 127.0.0.1, sets up K clients with real TURN (Allocate with
//! the 401 challenge, then ChannelBind to the sink peer), sends 200-byte ChannelData from all
//! of them for T seconds, counts what reaches the sink, and stops the relay. The relay's CPU
//! time is read from /proc/PID/stat (utime + stime, all threads) before and after, and
//! `perf stat` counts its cycles, instructions and system calls when perf works. With two
//! cores or more, the generator and the sink run on CPU 0 and the relay on CPU 1
//! (`taskset`). Each relay and load keeps its best round among those in which the two
//! CPUs shared a cache.
//!
//! Settings (environment): `WREN_TURN_BENCH_CLIENTS` (50), `WREN_TURN_BENCH_SECS` (1.5),
//! `WREN_TURN_BENCH_ROUNDS` (3), `WREN_TURN_BENCH_RATES` (`400k,600k,700k,800k,max,max/1`:
//! offered packets per second or `max`, optionally `/burst`), `WREN_TURN_BENCH_BURST` (8:
//! datagrams per client per `sendmmsg`), `WREN_TURN_BENCH_RELAYS` (`coturn,wren,bare`; also
//! `bare-gso`), `WREN_TURN_BENCH_COTURN_THREADS` (1), `WREN_TURN_BENCH_PERF` (1; 0 turns
//! perf off), `WREN_TURN_BENCH_NEAR_NS` (150) and `WREN_TURN_BENCH_WAIT_NEAR` (2 s): before
//! each load, wait that long at most for a cache line to cross between the two CPUs in
//! under that many ns (see `sys::cache_line_round_trip`), `WREN_RELAY_BIN` (default
//! `target/release/wren-relay`).

#![allow(unsafe_code)] // libc: sendmmsg, recvmmsg, sched_setaffinity, setsockopt, kill, signal
#![allow(missing_docs, unreachable_pub)] // a bench binary: nothing here is public API

mod forwarder;
mod load;
mod perf;
mod procfs;
mod report;
mod servers;
mod sys;
mod turn;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use servers::{Env, Kind, Server};

/// ChannelData payload bytes (the datagram is 4 more).
const PAYLOAD: usize = 200;
/// The channel every client binds (each client has its own allocation).
const CHANNEL: u16 = 0x4000;
/// The whole run is killed after this long, whatever happens.
const WATCHDOG: Duration = Duration::from_secs(300);

/// One load: an offered rate (None: as fast as the generator can) and a burst size.
#[derive(Debug, Clone, Copy)]
struct Phase {
    rate: Option<u64>,
    burst: usize,
}

impl Phase {
    fn label(&self) -> String {
        let r = match self.rate {
            Some(r) if r % 1000 == 0 => format!("{}k", r / 1000),
            Some(r) => r.to_string(),
            None => "max".into(),
        };
        format!("{r} /{}", self.burst)
    }
}

struct Settings {
    clients: usize,
    secs: f64,
    rounds: usize,
    phases: Vec<Phase>,
    relays: Vec<Kind>,
    coturn_threads: u32,
    perf: bool,
    /// A cache-line round trip under this (ns) means the two CPUs share a cache.
    near_ns: f64,
    /// How long to wait, before each load, for the CPUs to be near each other (s).
    wait_near: f64,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_parse<T: std::str::FromStr + PartialOrd>(
    name: &str,
    default: &str,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, String> {
    let v = env_or(name, default);
    v.trim()
        .parse()
        .ok()
        .filter(|x| range.contains(x))
        .ok_or_else(|| format!("{name}={v:?} is not valid"))
}

fn parse_rate(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let (num, mult) = match s.strip_suffix('k') {
        Some(n) => (n, 1000),
        None => match s.strip_suffix('m') {
            Some(n) => (n, 1_000_000),
            None => (s.as_str(), 1),
        },
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let clients = env_parse("WREN_TURN_BENCH_CLIENTS", "50", 1..=1000)?;
        let secs = env_parse("WREN_TURN_BENCH_SECS", "1.5", 0.5..=30.0)?;
        let rounds = env_parse("WREN_TURN_BENCH_ROUNDS", "3", 1..=10)?;
        let burst = env_parse("WREN_TURN_BENCH_BURST", "8", 1..=64)?;
        let coturn_threads = env_parse("WREN_TURN_BENCH_COTURN_THREADS", "1", 0..=64)?;
        let perf = env_parse("WREN_TURN_BENCH_PERF", "1", 0..=1)? == 1;
        let near_ns = env_parse("WREN_TURN_BENCH_NEAR_NS", "150", 1.0..=100_000.0)?;
        let wait_near = env_parse("WREN_TURN_BENCH_WAIT_NEAR", "2", 0.0..=30.0)?;
        let bad = |name: &str, v: &str| format!("{name}: {v:?} is not valid");
        let rates = env_or("WREN_TURN_BENCH_RATES", "400k,600k,700k,800k,max,max/1");
        let mut phases = Vec::new();
        for item in rates.split(',') {
            let (r, b) = match item.split_once('/') {
                Some((r, b)) => (r, b.trim().parse().ok().filter(|b| (1..=64).contains(b))),
                None => (item, Some(burst)),
            };
            let burst = b.ok_or_else(|| bad("WREN_TURN_BENCH_RATES", item))?;
            let rate = if r.trim() == "max" {
                None
            } else {
                Some(parse_rate(r).ok_or_else(|| bad("WREN_TURN_BENCH_RATES", item))?)
            };
            phases.push(Phase { rate, burst });
        }
        let mut relays = Vec::new();
        for r in env_or("WREN_TURN_BENCH_RELAYS", "coturn,wren,bare").split(',') {
            relays.push(match r.trim() {
                "coturn" => Kind::Coturn,
                "wren" | "wren-relay" => Kind::Wren,
                "bare" => Kind::Bare,
                "bare-gso" => Kind::BareGso,
                _ => return Err(bad("WREN_TURN_BENCH_RELAYS", r)),
            });
        }
        Ok(Settings {
            clients,
            secs,
            rounds,
            phases,
            relays,
            coturn_threads,
            perf,
            near_ns,
            wait_near,
        })
    }
}

/// wren-mio's driver counters, from the Stats wren-relay logs when it stops (the bare
/// forwarder prints the same words).
#[derive(Debug, Clone, Copy, Default)]
struct DriverStats {
    datagrams_in: u64,
    datagrams_out: u64,
    batches_in: u64,
    batches_out: u64,
}

fn stat_field(line: &str, name: &str) -> Option<u64> {
    let at = line.find(&format!("{name}: "))? + name.len() + 2;
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn driver_stats(log: &str) -> Option<DriverStats> {
    let line = log.lines().rev().find(|l| l.contains("stopped"))?;
    Some(DriverStats {
        datagrams_in: stat_field(line, "datagrams_in")?,
        datagrams_out: stat_field(line, "datagrams_out")?,
        batches_in: stat_field(line, "batches_in")?,
        batches_out: stat_field(line, "batches_out")?,
    })
}

/// One relay under one load, in one round.
struct Sample {
    kind: Kind,
    phase: Phase,
    sent: u64,
    received: u64,
    secs: f64,
    /// Relay CPU seconds (utime + stime, all threads) during the load and the drain.
    relay_cpu: f64,
    relay_drops: u64,
    sink_drops: u64,
    perf: Option<perf::Counts>,
    stats: Option<DriverStats>,
    /// Cache-line round trip between the generator's and the relay's CPU, in ns, just
    /// before and just after the load.
    c2c: (f64, f64),
    /// Both round trips were under `near_ns`: the two CPUs shared a cache throughout (as
    /// far as two probes can tell).
    near: bool,
}

impl Sample {
    fn offered_pps(&self) -> f64 {
        self.sent as f64 / self.secs
    }
    fn relayed_pps(&self) -> f64 {
        self.received as f64 / self.secs
    }
    fn loss(&self) -> f64 {
        if self.sent == 0 {
            return 1.0;
        }
        (1.0 - self.received as f64 / self.sent as f64).max(0.0)
    }
    /// Relay CPU seconds per million relayed packets.
    fn cpu_per_mpkt(&self) -> f64 {
        if self.received == 0 {
            return f64::NAN;
        }
        self.relay_cpu / self.received as f64 * 1e6
    }
    /// A perf counter per relayed packet.
    fn per_packet(&self, f: impl Fn(&perf::Counts) -> Option<f64>) -> f64 {
        match self.perf.as_ref().and_then(f) {
            Some(v) if self.received > 0 => v / self.received as f64,
            _ => f64::NAN,
        }
    }
    /// Cycles per CPU second: how fast the vCPU really ran during the relay's CPU time.
    fn ghz(&self) -> f64 {
        match self.perf.and_then(|p| p.cycles) {
            Some(c) if self.relay_cpu > 0.0 => c / self.relay_cpu / 1e9,
            _ => f64::NAN,
        }
    }
}

fn run_one(
    kind: Kind,
    phase: Phase,
    env: &Env,
    set: &Settings,
    sink: &mut load::Sink,
    n: usize,
) -> Result<Sample, String> {
    let server = Server::start(kind, env, n, sink.addr().port())?;
    let pid = server.pid();
    let socks = match load::clients(kind, server.addr, sink.addr(), set.clients) {
        Ok(s) => s,
        Err(e) => {
            let log = server.stop();
            return Err(format!(
                "{} setup failed: {e}\n--- its log:\n{log}",
                kind.name()
            ));
        }
    };
    let perf = if set.perf {
        perf::Perf::start(pid, env.dir.join(format!("perf-{n}.csv")))
    } else {
        std::thread::sleep(Duration::from_millis(100));
        None
    };
    sink.drain_until_quiet();
    let probe = || env.relay_cpu.map_or(f64::NAN, sys::cache_line_round_trip);
    // Wait (bounded) until the host has the two vCPUs near each other, so that the relays
    // are compared in the same machine state as far as possible.
    let waited = Instant::now();
    let mut c2c0 = probe();
    while c2c0 >= set.near_ns && waited.elapsed().as_secs_f64() < set.wait_near {
        std::thread::sleep(Duration::from_millis(50));
        c2c0 = probe();
    }
    let cpu0 = procfs::cpu_seconds(pid);
    let relay_drops0 = procfs::udp_drops(server.addr.port());
    let sink_drops0 = procfs::udp_drops(sink.addr().port());
    let recv0 = sink.received;
    let (sent, secs) = load::drive(&socks, sink, phase, set.secs);
    sink.drain_until_quiet();
    let cpu1 = procfs::cpu_seconds(pid);
    let counts = perf.map(perf::Perf::stop);
    let c2c1 = probe();
    let relay_drops = procfs::udp_drops(server.addr.port()) - relay_drops0;
    let sink_drops = procfs::udp_drops(sink.addr().port()) - sink_drops0;
    drop(socks);
    let log = server.stop();
    Ok(Sample {
        kind,
        phase,
        sent,
        received: sink.received - recv0,
        secs,
        relay_cpu: cpu0.zip(cpu1).map_or(f64::NAN, |(a, b)| b - a),
        relay_drops,
        sink_drops,
        perf: counts,
        stats: driver_stats(&log),
        c2c: (c2c0, c2c1),
        near: c2c0 < set.near_ns && c2c1 < set.near_ns,
    })
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The newest modification time of a `.rs` file under `dir`.
fn newest_source(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = 0;
    while let Some(d) = stack.pop() {
        seen += 1;
        if seen > 10_000 {
            break;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs")
                && let Ok(t) = e.metadata().and_then(|m| m.modified())
            {
                newest = newest.max(Some(t));
            }
        }
    }
    newest
}

fn main() {
    if std::env::var("WREN_TURN_BENCH_ROLE").as_deref() == Ok("forwarder") {
        forwarder::main();
        return;
    }
    // `cargo bench` passes --bench (and maybe a filter); this program takes no arguments.
    let set = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("turn_relay: {e}");
            std::process::exit(2);
        }
    };
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().expect("workspace root").to_path_buf();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let wren_bin = std::env::var_os("WREN_RELAY_BIN")
        .map_or_else(|| target.join("release/wren-relay"), PathBuf::from);
    if set.relays.contains(&Kind::Wren) && !wren_bin.exists() {
        eprintln!(
            "turn_relay: {} not found; run `cargo build --release -p wren-relay` first",
            wren_bin.display()
        );
        std::process::exit(2);
    }
    if set.relays.contains(&Kind::Coturn)
        && Command::new("turnserver").arg("--help").output().is_err()
    {
        eprintln!("turn_relay: turnserver not found; `apt-get install -y coturn`");
        std::process::exit(2);
    }
    let mut notes = Vec::new();
    if set.relays.contains(&Kind::Wren) {
        let built = std::fs::metadata(&wren_bin).and_then(|m| m.modified()).ok();
        let newest = ["apps/relay/src", "proto", "io-mio/src"]
            .iter()
            .filter_map(|d| newest_source(&root.join(d)))
            .max();
        if let (Some(b), Some(n)) = (built, newest)
            && n > b
        {
            let msg = "the wren-relay binary is older than its sources; rebuild with `cargo build --release -p wren-relay`";
            eprintln!("turn_relay: warning: {msg}");
            notes.push(format!("Warning: {msg}."));
        }
    }

    // Pinning: generator and sink on CPU 0, the relay under test on CPU 1. Done before any
    // thread is spawned, so that all of this process stays on CPU 0.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let taskset = Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let relay_cpu = (cpus >= 2 && taskset && sys::pin_to_cpu(0).is_ok()).then_some(1);
    let pinning = match relay_cpu {
        Some(c) => format!(
            "generator and sink pinned to CPU 0 (sched_setaffinity), the relay under test to CPU {c} (`taskset -c {c}`)"
        ),
        None => {
            "no pinning (fewer than 2 CPUs or no taskset): generator, sink and relay share the CPUs"
                .into()
        }
    };
    std::thread::spawn(|| {
        std::thread::sleep(WATCHDOG);
        eprintln!("turn_relay: still running after {WATCHDOG:?}; killing the relays and exiting");
        servers::kill_all();
        std::process::exit(3);
    });

    let dir = std::env::temp_dir().join(format!("wren-turn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    let perf_on = set.perf && perf::available(&dir);
    let set = Settings {
        perf: perf_on,
        ..set
    };
    let env = Env {
        dir: dir.clone(),
        wren_bin,
        relay_cpu,
        coturn_relay_threads: set.coturn_threads,
        forwarder_secs: set.secs.ceil() as u64 + 30,
    };
    let mut sink = load::Sink::new();

    let total = set.rounds * set.relays.len() * set.phases.len();
    eprintln!(
        "turn_relay: {} rounds x {} loads x {} relays x {:.1} s, {} clients; {pinning}; perf {}",
        set.rounds,
        set.phases.len(),
        set.relays.len(),
        set.secs,
        set.clients,
        if set.perf { "on" } else { "off" }
    );
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut n = 0;
    for round in 1..=set.rounds {
        for &phase in &set.phases {
            for &kind in &set.relays {
                n += 1;
                eprint!(
                    "[{n}/{total}] round {round} {:<9} {:<14} ",
                    phase.label(),
                    kind.name()
                );
                match run_one(kind, phase, &env, &set, &mut sink, n) {
                    Ok(s) => {
                        eprintln!(
                            "offered {:>5}  relayed {:>5}  loss {:6.2}%  relay CPU {:3.0}%  {:.3} s/Mpkt  {:.0} cycles/pkt  c2c {:.0}/{:.0} ns",
                            report::pps(s.offered_pps()),
                            report::pps(s.relayed_pps()),
                            s.loss() * 100.0,
                            s.relay_cpu / s.secs * 100.0,
                            s.cpu_per_mpkt(),
                            s.per_packet(|p| p.cycles),
                            s.c2c.0,
                            s.c2c.1,
                        );
                        samples.push(s);
                    }
                    Err(e) => {
                        eprintln!("FAILED\n{e}");
                        notes.push(format!(
                            "{} at {} (round {round}) failed: {}",
                            kind.name(),
                            phase.label(),
                            e.lines().next().unwrap_or("")
                        ));
                    }
                }
            }
        }
    }

    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let dirty = !git(&[
        "status",
        "--porcelain",
        "--",
        "apps/relay",
        "proto",
        "io-mio",
    ])
    .is_empty();
    let machine = report::Machine {
        date: first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        cpus,
        cpu_model: std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| {
                c.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".into()),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
        pinning,
        coturn_version: first_line("turnserver", &["--version"]),
        wren_rev: format!(
            "{}{}",
            git(&["rev-parse", "--short", "HEAD"]),
            if dirty { " + uncommitted changes" } else { "" }
        ),
        elapsed: started.elapsed(),
    };
    let md = report::markdown(&samples, &set, &machine, &notes);
    println!("\n{md}");
    let out = target.join("turn_relay_bench.md");
    match std::fs::write(&out, &md) {
        Ok(()) => eprintln!("turn_relay: written to {}", out.display()),
        Err(e) => eprintln!("turn_relay: cannot write {}: {e}", out.display()),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
