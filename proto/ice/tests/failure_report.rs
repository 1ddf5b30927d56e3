//! When ICE fails, the report names the cause: TURN credentials refused, the peer's error
//! responses, the relay's refusals, checks that timed out.

mod sim;

use std::time::Duration;

use sim::Side;
use wren_core::Transport;
use wren_ice::{Credentials, FailureCause, GatherFailure, PairFailure};
use wren_netsim::{Filtering, Mapping};
use wren_turn::client::TurnFailure;

const SYMMETRIC: Side = Side::Nat(
    Mapping::AddressAndPortDependent,
    Filtering::AddressAndPortDependent,
);

#[test]
fn refused_turn_credentials_are_named_in_the_report() {
    // Two symmetric NATs: only a relay could connect them, and A's password is wrong.
    let world = sim::world_tweaked(1, SYMMETRIC, SYMMETRIC, 0.0, &[Transport::Udp], |c, i| {
        if i == 0 {
            for t in &mut c.turn_servers {
                t.password = "wrong".into();
            }
        }
    });
    let (o, _) = world.run(Duration::from_secs(60));
    // B's relay still works: A connects through B's relayed candidate.
    let a = o.a.expect("connected through B's relay");
    assert_eq!(a.remote.kind, wren_ice::CandidateType::Relayed);
    assert_ne!(a.local.kind, wren_ice::CandidateType::Relayed);
    // Without B's relay the call fails, and A's report says why it had no relayed
    // candidate.
    let world = sim::world_tweaked(1, SYMMETRIC, SYMMETRIC, 0.0, &[Transport::Udp], |c, i| {
        if i == 0 {
            for t in &mut c.turn_servers {
                t.password = "wrong".into();
            }
        } else {
            c.turn_servers.clear();
        }
    });
    let (o, _) = world.run(Duration::from_secs(60));
    assert!(o.connected_after.is_none());
    let report = o.failure.expect("a report");
    assert_eq!(report.cause, FailureCause::AllPairsFailed);
    assert!(
        report.gather_failures.iter().any(|f| matches!(
            f,
            GatherFailure::Turn { failure: TurnFailure::Unauthorized, server, .. }
                if *server == sim::addr(sim::TURN)
        )),
        "{report}"
    );
    let text = report.to_string();
    assert!(text.contains("refused the credentials (401)"), "{text}");
    // Every pair failed for a named reason: timeouts (the NATs drop what they do not
    // expect) and responses from an address the request did not go to.
    assert!(report.pairs.iter().all(|p| p.failure.is_some()), "{report}");
}

#[test]
fn a_peer_that_cannot_authenticate_our_checks_is_named_in_the_report() {
    // A has B's ufrag but a wrong password: B answers every check 401, unsigned.
    let mut world = sim::world(1, Side::Public, Side::Public, 0.0);
    let (a, b) = (world.a, world.b);
    let ufrag = world
        .sim
        .machine::<wren_ice::Agent>(b)
        .local_credentials()
        .ufrag
        .clone();
    world
        .sim
        .with(a, |ag: &mut wren_ice::Agent, now| {
            ag.set_remote_credentials(
                now,
                Credentials {
                    ufrag,
                    pwd: "not-the-peers-password-at-all".into(),
                },
            )
        })
        .expect("valid credentials");
    let (o, _) = world.run(Duration::from_secs(60));
    assert!(o.connected_after.is_none());
    let report = o.failure.expect("a report");
    assert_eq!(report.cause, FailureCause::AllPairsFailed, "{report}");
    assert!(
        report.pairs.iter().any(|p| matches!(
            &p.failure,
            Some(PairFailure::Unauthenticated { code: 401, .. })
        )),
        "{report}"
    );
    assert!(report.to_string().contains("ICE credentials do not match"));
}

#[test]
fn the_relay_refusing_a_private_peer_is_named_in_the_report() {
    // Any run through the relay tries the peer's private host address from the relayed
    // candidate; the TURN server refuses it (403), and the pair says so.
    let (o, w) = sim::world(1, SYMMETRIC, SYMMETRIC, 0.0).run(Duration::from_secs(30));
    assert!(o.connected_after.is_some());
    let pairs = w.sim.machine::<wren_ice::Agent>(w.a).pairs();
    assert!(
        pairs.iter().any(|p| matches!(
            &p.failure,
            Some(PairFailure::RelayRefused(TurnFailure::Forbidden { peer: Some(ip) }))
                if *ip == sim::ip("10.0.2.2")
        )),
        "{pairs:?}"
    );
}
