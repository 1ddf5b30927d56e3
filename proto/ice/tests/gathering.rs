//! Gathering on the simulated network: what each server gives, and when it is complete.

mod sim;

use std::time::Duration;

use sim::Side;
use wren_core::Transport;
use wren_ice::{Agent, CandidateType, Event, GatheringState, StunServer};
use wren_netsim::{Filtering, Mapping};

#[test]
fn one_server_as_both_stun_and_turn_completes_gathering_at_once() {
    // The usual coturn setup: stun: and turn: the same address.
    let nat = Side::Nat(Mapping::EndpointIndependent, Filtering::AddressDependent);
    let mut w = sim::world_tweaked(1, nat, Side::Public, 0.0, &[Transport::Udp], |c, _| {
        c.stun_servers = vec![StunServer {
            addr: sim::addr(sim::TURN),
        }];
    });
    let a = w.a;
    let start = w.start;
    let mut complete = None;
    let mut kinds = Vec::new();
    let mut failures = Vec::new();
    w.sim.run_until_cond(start + Duration::from_secs(15), |s| {
        for e in s.events::<Agent>(a) {
            match e {
                Event::LocalCandidate(c) => kinds.push(c.kind),
                Event::GatheringState(GatheringState::Complete) => complete = Some(s.now()),
                Event::GatherFailed(f) => failures.push(f),
                _ => {}
            }
        }
        complete.is_some()
    });
    let took = complete.expect("gathering completes") - start;
    assert!(took < Duration::from_millis(200), "took {took:?}");
    assert!(failures.is_empty(), "{failures:?}");
    assert!(kinds.contains(&CandidateType::Host));
    assert!(kinds.contains(&CandidateType::ServerReflexive));
    assert!(kinds.contains(&CandidateType::Relayed));
    // The STUN answer and the allocation's mapped address are one srflx, announced once.
    let srflx = kinds
        .iter()
        .filter(|k| **k == CandidateType::ServerReflexive)
        .count();
    assert_eq!(srflx, 1, "{kinds:?}");
}
