//! The markdown report: the best round of each relay and load, the ratios, the goals, the
//! system-call counters, and every round for the record.

use std::fmt::Write as _;
use std::time::Duration;

use crate::servers::{self, Kind};
use crate::{PAYLOAD, Sample, Settings};

/// Loss at or under which a rate counts as sustained.
const SUSTAINED_LOSS: f64 = 0.01;

/// What the report says about the machine and the programs.
pub(crate) struct Machine {
    pub(crate) date: String,
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) kernel: String,
    pub(crate) pinning: String,
    pub(crate) coturn_version: String,
    pub(crate) wren_rev: String,
    pub(crate) elapsed: Duration,
}

/// Packets per second, in thousands.
pub(crate) fn pps(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{:.0}k", x / 1000.0)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_nan() || b.is_nan() || b == 0.0 {
        "-".into()
    } else {
        format!("{:.2}x", a / b)
    }
}

fn num(x: f64, decimals: usize) -> String {
    if x.is_nan() {
        "-".into()
    } else {
        format!("{x:.decimals$}")
    }
}

/// The cache-line round trips before / after a load; `far` when not both near.
fn c2c(s: &Sample) -> String {
    format!(
        "{}/{}{}",
        num(s.c2c.0, 0),
        num(s.c2c.1, 0),
        if s.near { "" } else { " far" }
    )
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The cost measure used to break ties: cycles per packet when perf counted, else CPU time.
fn cost(s: &Sample) -> f64 {
    let c = s.per_packet(|p| p.cycles);
    if c.is_nan() { s.cpu_per_mpkt() } else { c }
}

/// The best round of `kind` under the load labelled `label`: among the rounds in which the
/// two CPUs stayed near each other (all rounds if none did), the most relayed, and among
/// rounds within 0.5% of that, the cheapest.
fn best<'a>(samples: &'a [Sample], kind: Kind, label: &str) -> Option<&'a Sample> {
    let all = samples
        .iter()
        .filter(|s| s.kind == kind && s.phase.label() == label);
    let mut rounds: Vec<&Sample> = all.clone().filter(|s| s.near).collect();
    if rounds.is_empty() {
        rounds = all.collect();
    }
    let top = rounds
        .iter()
        .map(|s| s.relayed_pps())
        .fold(f64::NAN, f64::max);
    rounds
        .into_iter()
        .filter(|s| s.relayed_pps() >= top * 0.995)
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
}

/// The range of CPU s/Mpkt over the rounds of `kind` and `label`.
fn cpu_range(samples: &[Sample], kind: Kind, label: &str) -> String {
    let v: Vec<f64> = samples
        .iter()
        .filter(|s| s.kind == kind && s.phase.label() == label)
        .map(Sample::cpu_per_mpkt)
        .collect();
    let lo = v.iter().copied().fold(f64::NAN, f64::min);
    let hi = v.iter().copied().fold(f64::NAN, f64::max);
    if v.len() < 2 {
        num(lo, 3)
    } else {
        format!("{lo:.3}-{hi:.3}")
    }
}

/// The best rounds, per relay, of every load.
fn bests<'a>(samples: &'a [Sample], set: &Settings, kind: Kind) -> Vec<&'a Sample> {
    set.phases
        .iter()
        .filter_map(|p| best(samples, kind, &p.label()))
        .collect()
}

/// The highest relayed rate at or under [`SUSTAINED_LOSS`] over the best rounds.
fn sustained<'a>(samples: &'a [Sample], set: &Settings, kind: Kind) -> Option<&'a Sample> {
    bests(samples, set, kind)
        .into_iter()
        .filter(|s| s.loss() <= SUSTAINED_LOSS)
        .max_by(|a, b| a.relayed_pps().total_cmp(&b.relayed_pps()))
}

/// The highest relayed rate at any loss over the best rounds.
fn saturated<'a>(samples: &'a [Sample], set: &Settings, kind: Kind) -> Option<&'a Sample> {
    bests(samples, set, kind)
        .into_iter()
        .max_by(|a, b| a.relayed_pps().total_cmp(&b.relayed_pps()))
}

fn header(md: &mut String, set: &Settings, m: &Machine) {
    let _ = writeln!(md, "## TURN relay throughput ({})\n", m.date);
    let _ = writeln!(
        md,
        "Machine: {} CPUs ({}), Linux {}; {}.\n",
        m.cpus, m.cpu_model, m.kernel, m.pinning
    );
    let _ = writeln!(
        md,
        "Load: {} clients on 127.0.0.1, each with its own allocation and channel 0x4000 bound to one sink peer on 127.0.0.1 (real TURN setup: Allocate answered 401, Allocate with long-term credentials, ChannelBind); ChannelData with {PAYLOAD}-byte payloads ({}-byte datagrams), clients in turn, `/N` = N datagrams per client per `sendmmsg` (so runs of N from one client reach the relay back to back); {:.1} s per load, paced to the offered rate or unpaced (`max`). The sink counts what arrives and answers nothing. For each of {} rounds, each load, each relay in turn: the relay is started fresh and alone, loaded, stopped. Before each load the bench waits (up to {:.0} s) until a cache line crosses between CPU 0 and CPU 1 in under {:.0} ns (see c2c below). Every row below is the best round (most relayed, then fewest cycles per packet) among the rounds whose round trips before and after the load were both under {:.0} ns, or among all rounds (marked `far`) if none was; CPU s/Mpkt shows the range over all rounds.\n",
        set.clients,
        PAYLOAD + 4,
        set.secs,
        set.rounds,
        set.wait_near,
        set.near_ns,
        set.near_ns,
    );
    let coturn = servers::coturn_args(0, std::path::Path::new("$TMP"), set.coturn_threads)
        .join(" ")
        .replace("--listening-port=0", "--listening-port=PORT");
    let wren = servers::wren_args(0).join(" ").replace("-p 0", "-p PORT");
    let _ = writeln!(
        md,
        "Relays:\n\n- coturn {}: `turnserver {coturn}`\n- wren-relay {}: `wren-relay {wren}`\n- bare forwarder (this bench, libc): one socket, `recvmmsg` of up to 32, the ChannelData header checked and cut, one `sendmmsg` of the payloads to the sink; no TURN state, no per-allocation sockets.\n",
        m.coturn_version, m.wren_rev
    );
    let _ = writeln!(
        md,
        "Columns: offered = datagrams the generator's `sendmmsg` took, per second; relayed = datagrams at the sink per second; loss = 1 - relayed/offered; relay CPU = utime+stime of the relay process, all threads, over the load's wall time; CPU s/Mpkt = relay CPU seconds per million relayed packets; cycles, instr, syscalls /pkt = `perf stat -p` of the relay (all threads, user and kernel) per relayed packet; GHz = cycles per relay CPU second (well under the vCPU's clock means the host took the vCPU away during that load, which inflates CPU time but not cycles); dropped in / at sink = `drops` of the relay's listening-port sockets / the sink's socket in /proc/net/udp (receive buffer full); c2c ns = round trip of a cache line between CPU 0 and CPU 1 just before / after the load: about 90 ns when the host has put the two vCPUs on one last-level cache, 3x to 8x that when not, and every packet crosses between them twice, so rows with long round trips cost more cycles per packet.\n"
    );
}

pub(crate) fn markdown(
    samples: &[Sample],
    set: &Settings,
    m: &Machine,
    notes: &[String],
) -> String {
    let mut md = String::new();
    header(&mut md, set, m);
    let kinds: Vec<Kind> = [Kind::Coturn, Kind::Wren, Kind::Bare, Kind::BareGso]
        .into_iter()
        .filter(|k| samples.iter().any(|s| s.kind == *k))
        .collect();

    let _ = writeln!(
        md,
        "| relay | load | offered pps | relayed pps | loss | relay CPU | CPU s/Mpkt | cycles/pkt | instr/pkt | syscalls/pkt | GHz | dropped in | dropped at sink | c2c ns |"
    );
    let _ = writeln!(
        md,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for p in &set.phases {
        let l = p.label();
        for &k in &kinds {
            let Some(s) = best(samples, k, &l) else {
                continue;
            };
            let _ = writeln!(
                md,
                "| {} | {l} | {} | {} | {} | {:.0}% | {} | {} | {} | {} | {} | {} | {} | {} |",
                k.name(),
                pps(s.offered_pps()),
                pps(s.relayed_pps()),
                pct(s.loss()),
                s.relay_cpu / s.secs * 100.0,
                cpu_range(samples, k, &l),
                num(s.per_packet(|p| p.cycles), 0),
                num(s.per_packet(|p| p.instructions), 0),
                num(s.per_packet(|p| p.syscalls), 3),
                num(s.ghz(), 2),
                s.relay_drops,
                s.sink_drops,
                c2c(s),
            );
        }
    }

    let _ = writeln!(
        md,
        "\n### Ratios per load (best rounds; `(far)`: at least one of the three had no round with the CPUs near, so the ratios mix machine states)\n"
    );
    let _ = writeln!(
        md,
        "| load | wren/coturn relayed | loss wren / coturn | coturn/wren cycles per pkt | coturn/wren CPU per pkt | wren/bare relayed | loss wren / bare | wren/bare cycles per pkt |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let relayed = |s: Option<&Sample>| s.map_or(f64::NAN, Sample::relayed_pps);
    let cycles = |s: Option<&Sample>| s.map_or(f64::NAN, |s| s.per_packet(|p| p.cycles));
    let cpu = |s: Option<&Sample>| s.map_or(f64::NAN, Sample::cpu_per_mpkt);
    let loss = |s: Option<&Sample>| s.map_or("-".into(), |s| pct(s.loss()));
    for p in &set.phases {
        let l = p.label();
        let (w, c, b) = (
            best(samples, Kind::Wren, &l),
            best(samples, Kind::Coturn, &l),
            best(samples, Kind::Bare, &l),
        );
        let far = [w, c, b].iter().flatten().any(|s| !s.near);
        let _ = writeln!(
            md,
            "| {l}{} | {} | {} / {} | {} | {} | {} | {} / {} | {} |",
            if far { " (far)" } else { "" },
            ratio(relayed(w), relayed(c)),
            loss(w),
            loss(c),
            ratio(cycles(c), cycles(w)),
            ratio(cpu(c), cpu(w)),
            ratio(relayed(w), relayed(b)),
            loss(w),
            loss(b),
            ratio(cycles(w), cycles(b)),
        );
    }

    let _ = writeln!(md, "\n### Summary\n");
    for &k in &kinds {
        let min_cycles = samples
            .iter()
            .filter(|s| s.kind == k)
            .map(|s| s.per_packet(|p| p.cycles))
            .fold(f64::NAN, f64::min);
        let min_cpu = samples
            .iter()
            .filter(|s| s.kind == k)
            .map(Sample::cpu_per_mpkt)
            .fold(f64::NAN, f64::min);
        let sus = sustained(samples, set, k).map_or("none".into(), |s| {
            format!(
                "**{}** pps (load {}, loss {})",
                pps(s.relayed_pps()),
                s.phase.label(),
                pct(s.loss())
            )
        });
        let sat = saturated(samples, set, k).map_or("-".into(), |s| {
            format!(
                "{} pps (load {}, loss {})",
                pps(s.relayed_pps()),
                s.phase.label(),
                pct(s.loss())
            )
        });
        let _ = writeln!(
            md,
            "- {}: highest relayed rate at <= {:.0}% loss {sus}; highest at any loss {sat}; fewest {} cycles and {} CPU s per relayed packet-million (one core: about {} pps)",
            k.name(),
            SUSTAINED_LOSS * 100.0,
            num(min_cycles, 0),
            num(min_cpu, 3),
            pps(1e6 / min_cpu),
        );
    }
    let rate = |k| sustained(samples, set, k).map_or(f64::NAN, Sample::relayed_pps);
    let sat_rate = |k| saturated(samples, set, k).map_or(f64::NAN, Sample::relayed_pps);
    let verdict = |x: f64, goal: f64| {
        if x.is_nan() {
            "not measured"
        } else if x >= goal {
            "met"
        } else {
            "NOT met"
        }
    };
    let (wc, wb) = (
        rate(Kind::Wren) / rate(Kind::Coturn),
        rate(Kind::Wren) / rate(Kind::Bare),
    );
    let _ = writeln!(
        md,
        "- **wren/coturn**, highest rate at <= {:.0}% loss: **{}** (goal >= 1.5x: {}); highest rate at any loss: {}",
        SUSTAINED_LOSS * 100.0,
        ratio(rate(Kind::Wren), rate(Kind::Coturn)),
        verdict(wc, 1.5),
        ratio(sat_rate(Kind::Wren), sat_rate(Kind::Coturn)),
    );
    let _ = writeln!(
        md,
        "- **wren/bare forwarder**, highest rate at <= {:.0}% loss: **{}** (goal >= 0.8x: {}); highest rate at any loss: {}",
        SUSTAINED_LOSS * 100.0,
        ratio(rate(Kind::Wren), rate(Kind::Bare)),
        verdict(wb, 0.8),
        ratio(sat_rate(Kind::Wren), sat_rate(Kind::Bare)),
    );

    // Instructions per packet hardly move from round to round (cycles do, with the host).
    if let Some(p) = set.phases.iter().find(|p| p.rate.is_none()) {
        let l = p.label();
        let instr = |k| best(samples, k, &l).map_or(f64::NAN, |s| s.per_packet(|p| p.instructions));
        let (c, w, b) = (instr(Kind::Coturn), instr(Kind::Wren), instr(Kind::Bare));
        if !w.is_nan() {
            let _ = writeln!(
                md,
                "- Work per relayed packet at `{l}` (instructions, user + kernel; steady across rounds where cycles are not): coturn {}, wren-relay {}, bare {}; coturn/wren {}, wren/bare {}",
                num(c, 0),
                num(w, 0),
                num(b, 0),
                ratio(c, w),
                ratio(w, b),
            );
        }
    }

    let counted: Vec<&Sample> = set
        .phases
        .iter()
        .flat_map(|p| [Kind::Wren, Kind::Bare, Kind::BareGso].map(|k| best(samples, k, &p.label())))
        .flatten()
        .filter(|s| s.stats.is_some())
        .collect();
    if !counted.is_empty() {
        let _ = writeln!(
            md,
            "\n### Batching (best rounds; wren-relay: wren-mio's Stats logged at SIGTERM, setup included; bare: its own counters)\n"
        );
        let _ = writeln!(
            md,
            "| relay | load | datagrams in | per recvmmsg | datagrams out | per sendmmsg | recvmmsg+sendmmsg per packet | all syscalls per packet (perf) | context switches per 1000 packets |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
        for s in counted {
            let st = s.stats.unwrap_or_default();
            let div = |a: u64, b: u64| {
                if b == 0 {
                    f64::NAN
                } else {
                    a as f64 / b as f64
                }
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                s.kind.name(),
                s.phase.label(),
                st.datagrams_in,
                num(div(st.datagrams_in, st.batches_in), 1),
                st.datagrams_out,
                num(div(st.datagrams_out, st.batches_out), 1),
                num(div(st.batches_in + st.batches_out, st.datagrams_out), 3),
                num(s.per_packet(|p| p.syscalls), 3),
                num(s.per_packet(|p| p.context_switches) * 1000.0, 1),
            );
        }
    }

    let _ = writeln!(md, "\n### Every round\n");
    let _ = writeln!(
        md,
        "| relay | load | offered | relayed | loss | relay CPU | CPU s/Mpkt | cycles/pkt | instr/pkt | IPC | GHz | c2c ns |"
    );
    let _ = writeln!(
        md,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for s in samples {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.0}% | {} | {} | {} | {} | {} | {} |",
            s.kind.name(),
            s.phase.label(),
            pps(s.offered_pps()),
            pps(s.relayed_pps()),
            pct(s.loss()),
            s.relay_cpu / s.secs * 100.0,
            num(s.cpu_per_mpkt(), 3),
            num(s.per_packet(|p| p.cycles), 0),
            num(s.per_packet(|p| p.instructions), 0),
            num(
                s.per_packet(|p| p.instructions) / s.per_packet(|p| p.cycles),
                2
            ),
            num(s.ghz(), 2),
            c2c(s),
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(md, "\nNotes:\n");
        for n in notes {
            let _ = writeln!(md, "- {n}");
        }
    }
    let _ = writeln!(
        md,
        "\nCommand: `cargo build --release -p wren-relay && cargo bench -p wren-benches --bench turn_relay` ({:.0} s).",
        m.elapsed.as_secs_f64()
    );
    md
}
