//! The NAT matrix: two agents on every pair of sides (public, the nine RFC 4787 NATs, a
//! UDP-blocking firewall) connect through the path the NATs allow, on a simulated network
//! with a STUN server and a TURN server (UDP and TCP): without loss, and at 5% and 20%
//! random loss between the agents, 200 seeds each.
//!
//! `WREN_MATRIX_SEEDS` changes the number of seeds (default 200); `--nocapture` prints the
//! matrix as a markdown table.

mod sim;

use std::time::Duration;

use sim::{Outcome, Path, Side};
use wren_core::Transport;
use wren_ice::{CandidateType, FailureCause, GatherFailure};
use wren_netsim::{Filtering, Mapping};

/// The path the NATs allow, from RFC 4787's behaviours. A relay is always possible (the
/// TURN server is public and reachable over UDP, or over TCP through the firewall).
fn expected(a: Side, b: Side) -> Path {
    use Filtering::{AddressAndPortDependent as Apdf, EndpointIndependent as Eif};
    use Mapping::{AddressAndPortDependent as Apdm, EndpointIndependent as Eim};
    let (ma, fa, mb, fb) = match (a, b) {
        (Side::UdpBlocked, _) | (_, Side::UdpBlocked) => return Path::Relay,
        // A public agent's host candidate is reachable; the NATed peer's checks open the
        // way back (a response always comes from where the request went).
        (Side::Public, _) | (_, Side::Public) => return Path::Direct,
        (Side::Nat(ma, fa), Side::Nat(mb, fb)) => (ma, fa, mb, fb),
    };
    let direct = if ma == Eim && mb == Eim {
        // Both keep one public address for every destination, the one STUN taught: each
        // side's checks to the other's srflx open its own filter for the other's.
        true
    } else if ma == Eim || mb == Eim {
        // The EIM side's srflx is the right address, but the other side's checks come from
        // a mapping made for it, a port the EIM side never sent to: only an EIM side that
        // does not filter by port lets them in (and its answers then open the way back).
        let f_eim = if ma == Eim { fa } else { fb };
        f_eim != Apdf
    } else {
        // Both map per destination: the srflx the peer checks was made toward the STUN
        // server, so a check gets in only where filtering is endpoint-independent; the
        // answer and the triggered check come back from a new mapping of the other side,
        // which must pass the first side's filter (not port-dependent); and a side that maps
        // per port answers every new port from a new mapping, so with both APDM no response
        // ever comes from where its request went (RFC 8445 section 7.2.5.2.1).
        ((fa == Eif && fb != Apdf) || (fb == Eif && fa != Apdf)) && !(ma == Apdm && mb == Apdm)
    };
    if direct { Path::Direct } else { Path::Relay }
}

/// The simulated time within which every run must connect (the agents' connect timeout).
const LIMIT: Duration = Duration::from_secs(30);

fn seeds() -> u64 {
    std::env::var("WREN_MATRIX_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

fn scenarios() -> Vec<(Side, Side)> {
    let sides = Side::all();
    let mut v = Vec::new();
    for (i, &a) in sides.iter().enumerate() {
        for &b in &sides[i..] {
            v.push((a, b));
        }
    }
    v
}

/// One scenario over every seed.
struct Row {
    a: Side,
    b: Side,
    want: Path,
    /// Seed 0's outcome.
    first: Outcome,
    /// Runs that connected on the expected path, and on the relay when a direct path was
    /// possible.
    expected: u64,
    fell_back: u64,
    slowest: Duration,
}

/// Runs every scenario for every seed at `loss`. Every run must connect within [`LIMIT`]
/// and never on a direct path the NATs do not allow; the runs that took the relay where a
/// direct path was possible are counted, not failed (the caller bounds them).
fn matrix(loss: f64, seeds: u64) -> Vec<Row> {
    let mut misses = Vec::new();
    let mut rows = Vec::new();
    for (a, b) in scenarios() {
        let want = expected(a, b);
        let (mut expected_runs, mut fell_back, mut slowest, mut first) =
            (0, 0, Duration::ZERO, None);
        for seed in 0..seeds {
            let (o, _) = sim::world(seed, a, b, loss).run(LIMIT);
            match (o.path(), o.connected_after) {
                (Some(p), Some(t)) if p == want => {
                    expected_runs += 1;
                    slowest = slowest.max(t);
                }
                (Some(Path::Relay), Some(t)) => {
                    fell_back += 1;
                    slowest = slowest.max(t);
                }
                _ => misses.push(format!(
                    "{} / {} seed {seed} at loss {loss}: want {want:?}, got {o}{}",
                    a.short(),
                    b.short(),
                    o.failure
                        .as_ref()
                        .map(|f| format!("\n{f}"))
                        .unwrap_or_default()
                )),
            }
            first.get_or_insert(o);
        }
        if let Some(first) = first {
            rows.push(Row {
                a,
                b,
                want,
                first,
                expected: expected_runs,
                fell_back,
                slowest,
            });
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} runs did not connect as the NATs allow:\n{}",
        misses.len(),
        scenarios().len() as u64 * seeds,
        misses.join("\n")
    );
    print(loss, seeds, &rows);
    rows
}

fn print(loss: f64, seeds: u64, rows: &[Row]) {
    println!("\n### loss {:.0}%, {seeds} seeds\n", loss * 100.0);
    println!(
        "| A (controlling) | B (controlled) | expected | seed 0: A's selected pair | as expected | relay instead | slowest connect |"
    );
    println!("|---|---|---|---|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {:?} | {} | {} | {} | {:.2} s |",
            r.a.short(),
            r.b.short(),
            r.want,
            r.first.label(),
            r.expected,
            r.fell_back,
            r.slowest.as_secs_f64()
        );
    }
}

#[test]
fn every_pair_of_nats_connects_through_the_expected_path() {
    let seeds = seeds();
    for r in matrix(0.0, seeds) {
        assert_eq!(r.expected, seeds, "{} / {}", r.a.short(), r.b.short());
        // Without loss: direct paths within 1.2 s (the 1 s wait for host pairs that cannot
        // work across two NATs), relayed ones within 10.5 s (a better pair that the peer
        // reaches but cannot answer is waited for up to the 10 s cap, then the nomination's
        // round trip through the relay).
        let bound = match r.want {
            Path::Direct => Duration::from_millis(1200),
            Path::Relay => Duration::from_millis(10_500),
        };
        assert!(
            r.slowest <= bound,
            "{} / {} took {:?}",
            r.a.short(),
            r.b.short(),
            r.slowest
        );
    }
}

#[test]
fn the_matrix_holds_at_5_percent_loss() {
    let seeds = seeds();
    for r in matrix(0.05, seeds) {
        assert_eq!(r.expected, seeds, "{} / {}", r.a.short(), r.b.short());
    }
}

#[test]
fn the_matrix_holds_at_20_percent_loss() {
    let seeds = seeds();
    let rows = matrix(0.20, seeds);
    // At 20% loss a direct path's first checks can all be lost within the 3 s the agent
    // gives it once the relay works; it then nominates the relay (RFC 8445 forbids
    // nominating again). Bounded here: at most 3% of the seeds of any scenario.
    for r in &rows {
        assert!(
            r.fell_back * 100 <= seeds * 3,
            "{} / {}: {} of {seeds} runs took the relay",
            r.a.short(),
            r.b.short(),
            r.fell_back
        );
    }
    let direct: u64 = rows.iter().filter(|r| r.want == Path::Direct).count() as u64 * seeds;
    let fell: u64 = rows.iter().map(|r| r.fell_back).sum();
    println!("\nrelay instead of direct: {fell} of {direct} runs at 20% loss");
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = Side::Nat(Mapping::AddressDependent, Filtering::EndpointIndependent);
    let b = Side::Nat(
        Mapping::EndpointIndependent,
        Filtering::AddressAndPortDependent,
    );
    let run = |seed| sim::world(seed, a, b, 0.2).run(LIMIT).0;
    let (one, two, other) = (run(7), run(7), run(8));
    assert_eq!(one.trace_hash, two.trace_hash);
    assert_eq!(one.packets, two.packets);
    assert_eq!(one.connected_after, two.connected_after);
    assert_ne!(one.trace_hash, other.trace_hash);
}

#[test]
fn udp_blocked_connects_through_turn_over_tcp() {
    let (o, w) = sim::world(1, Side::UdpBlocked, Side::Public, 0.0).run(LIMIT);
    let a = o.a.expect("connected");
    assert_eq!(a.local.kind, CandidateType::Relayed);
    assert_eq!(
        a.local.relay,
        Some((sim::addr(sim::TURN), Transport::Tcp)),
        "the relayed candidate is the one allocated over TCP"
    );
    let agent = w.sim.machine::<wren_ice::Agent>(w.a);
    assert!(
        agent
            .local_candidates()
            .all(|c| c.kind != CandidateType::ServerReflexive),
        "no STUN answer gets through the firewall"
    );
}

#[test]
fn udp_blocked_without_turn_over_tcp_fails_naming_the_cause() {
    let (o, _) = sim::world_with(1, Side::UdpBlocked, Side::Public, 0.0, &[Transport::Udp])
        .run(Duration::from_secs(60));
    assert!(o.connected_after.is_none());
    let report = o.failure.expect("a failure report");
    assert_eq!(report.cause, FailureCause::AllPairsFailed);
    assert!(
        report.gather_failures.iter().any(|f| matches!(
            f,
            GatherFailure::NotAnswered { server, transport: Transport::Udp, .. }
                | GatherFailure::StunUnreachable { server, .. } if *server == sim::addr(sim::STUN)
        )),
        "{report}"
    );
    assert!(
        report.gather_failures.iter().any(|f| matches!(
            f,
            GatherFailure::NotAnswered { server, .. } | GatherFailure::Turn { server, .. }
                if *server == sim::addr(sim::TURN)
        )),
        "{report}"
    );
    assert!(report.pairs.iter().all(|p| p.failure.is_some()), "{report}");
    let text = report.to_string();
    assert!(text.contains("198.51.100.1:3478"), "{text}");
    assert!(text.contains("198.51.100.10:3478"), "{text}");
}
