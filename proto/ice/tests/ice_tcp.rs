//! ICE-TCP (RFC 6544) on the simulated network: behind a firewall that drops all UDP and
//! with no TURN server, an agent's active TCP candidate reaches a public peer's passive one.

mod sim;

use std::time::Duration;

use sim::Side;
use wren_core::Transport;
use wren_ice::{Agent, CandidateType, ConnectionState, Event, GatheringState, Role, TcpType};
use wren_netsim::{HostConfig, NatConfig, Sim};

#[test]
fn an_active_tcp_candidate_connects_to_a_passive_one_when_udp_is_blocked() {
    let _ = Side::Public;
    let start = sim::t0();
    let mut sim = Sim::new(3, start);
    let fw = sim.add_nat(NatConfig::full_cone(sim::ip("203.0.113.1")).with_block_udp(true));
    let host_a = sim.add_host(HostConfig::behind(fw, sim::ip("10.0.1.2")));
    let host_b = sim.add_host(HostConfig::public(sim::ip("198.51.100.102")));
    let agent = |sim: &mut Sim, role, ip: &str| {
        let mut c = wren_ice::agent::Config::new(role, vec![sim::ip(ip)]);
        c.tcp = true;
        c.rng_seed = Some(sim.fork_seed());
        Agent::new(sim.now(), c)
    };
    let a = agent(&mut sim, Role::Controlling, "10.0.1.2");
    let b = agent(&mut sim, Role::Controlled, "198.51.100.102");
    let a = sim.add_machine(host_a, a);
    let b = sim.add_machine(host_b, b);
    let ca = sim.machine::<Agent>(a).local_credentials().clone();
    let cb = sim.machine::<Agent>(b).local_credentials().clone();
    sim.with(a, |ag: &mut Agent, now| ag.set_remote_credentials(now, cb))
        .expect("valid");
    sim.with(b, |ag: &mut Agent, now| ag.set_remote_credentials(now, ca))
        .expect("valid");

    let mut lines = [Vec::new(), Vec::new()];
    let deadline = start + Duration::from_secs(30);
    let connected = sim.run_until_cond(deadline, |sim| {
        for (i, me, other) in [(0, a, b), (1, b, a)] {
            for e in sim.events::<Agent>(me) {
                match e {
                    Event::LocalCandidate(c) => {
                        lines[i].push(c.to_string());
                        let _ =
                            sim.with(other, |ag: &mut Agent, now| ag.add_remote_candidate(now, c));
                    }
                    Event::GatheringState(GatheringState::Complete) => {
                        sim.with(other, |ag: &mut Agent, now| {
                            ag.end_of_remote_candidates(now)
                        });
                    }
                    _ => {}
                }
            }
        }
        [a, b]
            .iter()
            .all(|&n| sim.machine::<Agent>(n).connection_state() == ConnectionState::Connected)
    });
    assert!(connected, "{:?}", sim.machine::<Agent>(a).pairs());
    // Both sides announced RFC 6544 candidates: active on port 9, passive on its socket.
    for l in &lines {
        assert!(
            l.iter()
                .any(|c| c.contains(" tcp ") && c.contains(" 9 typ host tcptype active")),
            "{l:?}"
        );
        assert!(
            l.iter()
                .any(|c| c.contains(" tcp ") && c.contains("tcptype passive")),
            "{l:?}"
        );
    }
    let pa = sim.machine::<Agent>(a).selected_pair().expect("selected");
    let pb = sim.machine::<Agent>(b).selected_pair().expect("selected");
    assert_eq!(pa.local.transport, Transport::Tcp);
    assert_eq!(pa.local.tcp_type, Some(TcpType::Active));
    assert_eq!(pa.remote.tcp_type, Some(TcpType::Passive));
    assert_eq!(pa.remote.addr.port(), pb.local.addr.port());
    assert_eq!(pb.local.tcp_type, Some(TcpType::Passive));
    assert_eq!(
        pb.remote.kind,
        CandidateType::PeerReflexive,
        "the connection's source port"
    );
    assert!(sim.stats().tcp_connections >= 1);
}
