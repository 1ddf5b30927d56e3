//! The NAT matrix: two agents on every pair of sides (public, the nine RFC 4787 NATs, a
//! UDP-blocking firewall) connect through the path the NATs allow, on a simulated network
//! with a STUN server and a TURN server (UDP and TCP), without loss and at 5% and 20% loss
//! on every agent's access link, for 200 seeds each.
//!
//! `WREN_MATRIX_SEEDS` changes the number of seeds (default 200); `--nocapture` prints the
//! matrix as a table.

mod sim;

use std::time::Duration;

use sim::{Outcome, Path, Side};
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

/// The simulated time within which every scenario must connect.
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

/// Runs every scenario for every seed at `loss`; returns the slowest connection per
/// scenario, and fails listing every scenario and seed that missed.
fn matrix(loss: f64, seeds: u64) -> Vec<((Side, Side), Outcome, Duration)> {
    let mut misses = Vec::new();
    let mut rows = Vec::new();
    for (a, b) in scenarios() {
        let want = expected(a, b);
        let mut slowest = Duration::ZERO;
        let mut first = None;
        for seed in 0..seeds {
            let (o, _) = sim::world(seed, a, b, loss).run(LIMIT);
            match (o.path(), o.connected_after) {
                (Some(p), Some(t)) if p == want => slowest = slowest.max(t),
                _ => misses.push(format!(
                    "{} / {} seed {seed} at {loss}: want {want:?}, got {o}{}",
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
        if let Some(o) = first {
            rows.push(((a, b), o, slowest));
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} runs missed:\n{}",
        misses.len(),
        scenarios().len() as u64 * seeds,
        misses.join("\n")
    );
    rows
}

fn print(loss: f64, rows: &[((Side, Side), Outcome, Duration)]) {
    println!(
        "\nloss {loss}: A (controlling) | B (controlled) | path | A's selected pair (seed 0) | slowest connect"
    );
    for ((a, b), o, slowest) in rows {
        println!(
            "| {} | {} | {:?} | {} | {:.2} s |",
            a.short(),
            b.short(),
            o.path().unwrap_or(Path::Relay),
            o.label(),
            slowest.as_secs_f64()
        );
    }
}

#[test]
fn every_pair_of_nats_connects_through_the_expected_path() {
    let rows = matrix(0.0, seeds());
    print(0.0, &rows);
}

#[test]
fn the_matrix_holds_at_5_percent_loss() {
    let rows = matrix(0.05, seeds());
    print(0.05, &rows);
}

#[test]
fn the_matrix_holds_at_20_percent_loss() {
    let rows = matrix(0.20, seeds());
    print(0.20, &rows);
}
