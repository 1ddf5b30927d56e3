//! A TURN allocation inside the simulation: wren-turn's server on a public host, its client
//! behind a symmetric NAT, relaying data to and from a peer, over UDP and over TCP.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use wren_core::Transport;
use wren_netsim::{HostConfig, NatConfig, NodeId, Sim};
use wren_turn::client::{Client as TurnClient, Config as TurnClientConfig, Event};
use wren_turn::server::{
    Config as ServerConfig, Event as TurnEvent, PeerPolicy, Server as TurnServer, UserSecret,
};

const SERVER: &str = "198.51.100.10:3478";
const PEER: &str = "198.51.100.20:7000";

struct World {
    sim: Sim,
    server: NodeId,
    client: NodeId,
    peer: NodeId,
}

fn world(seed: u64, transport: Transport) -> World {
    world_with(seed, transport, NatConfig::symmetric(ip("203.0.113.5")))
}

fn world_with(seed: u64, transport: Transport, nat: NatConfig) -> World {
    let mut sim = Sim::new(seed, t0());
    let nat = sim.add_nat(nat);
    let home = sim.add_host(HostConfig::behind(nat, ip("10.0.0.2")));
    let relay = sim.add_host(HostConfig::public(ip("198.51.100.10")));
    let far = sim.add_host(HostConfig::public(ip("198.51.100.20")));

    let config = ServerConfig {
        realm: "wren.test".into(),
        users: [("alice".to_owned(), UserSecret::Password("secret".into()))].into(),
        relay_ips: vec![ip("198.51.100.10")],
        rng_seed: Some(sim.fork_seed()),
        wall_clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        // The documentation ranges of this test are refused by default.
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().expect("a prefix")],
            ..Default::default()
        },
        ..Default::default()
    };
    let server = sim.add_machine(relay, TurnServer::new(sim.now(), config).expect("valid"));
    sim.listen(server, addr(SERVER), Transport::Udp)
        .expect("free");
    sim.listen(server, addr(SERVER), Transport::Tcp)
        .expect("free");

    let mut config = TurnClientConfig::new(addr(SERVER), transport, "alice", "secret");
    config.rng_seed = Some(sim.fork_seed());
    let client = sim.add_machine(home, TurnClient::new(sim.now(), config));
    let peer = sim.add_machine(far, Probe::echoing());
    sim.listen(peer, addr(PEER), Transport::Udp).expect("free");
    World {
        sim,
        server,
        client,
        peer,
    }
}

/// Allocates, sends to the echoing peer through the relay, and checks what comes back.
fn relay_round_trip(transport: Transport) -> u64 {
    let World {
        mut sim,
        server,
        client,
        peer,
    } = world(40, transport);
    sim.with(client, |c: &mut TurnClient, now| c.allocate(now))
        .expect("idle");
    let deadline = sim.now() + Duration::from_secs(5);
    assert!(sim.run_until_cond(deadline, |s| {
        s.machine::<TurnClient>(client).relayed().is_some()
    }));
    let relayed = sim
        .machine::<TurnClient>(client)
        .relayed()
        .expect("allocated");
    assert_eq!(relayed.ip(), ip("198.51.100.10"));
    let mapped = sim.machine::<TurnClient>(client).mapped().expect("mapped");
    assert_eq!(
        mapped.ip(),
        ip("203.0.113.5"),
        "the server saw the NAT's address"
    );
    assert!(
        sim.events::<TurnServer>(server)
            .iter()
            .any(|e| matches!(e, TurnEvent::Allocated { .. }))
    );

    for i in 0..3u8 {
        sim.with(client, |c: &mut TurnClient, now| {
            c.send(now, addr(PEER), &[i; 100])
        })
        .expect("open");
        sim.run_for(Duration::from_secs(1));
    }
    let at_peer = received(&mut sim, peer);
    assert_eq!(at_peer.len(), 3);
    assert!(
        at_peer.iter().all(|(src, _, _)| *src == relayed),
        "from the relayed address"
    );

    let back: Vec<Vec<u8>> = sim
        .events::<TurnClient>(client)
        .into_iter()
        .filter_map(|e| match e {
            Event::Data { peer, data } if peer == addr(PEER) => Some(data),
            _ => None,
        })
        .collect();
    assert_eq!(back, [vec![0; 100], vec![1; 100], vec![2; 100]]);
    sim.trace_hash()
}

#[test]
fn a_turn_client_behind_a_symmetric_nat_relays_over_udp() {
    let h = relay_round_trip(Transport::Udp);
    assert_eq!(h, relay_round_trip(Transport::Udp), "deterministic");
}

#[test]
fn a_turn_client_behind_a_symmetric_nat_relays_over_tcp() {
    let h = relay_round_trip(Transport::Tcp);
    assert_eq!(h, relay_round_trip(Transport::Tcp), "deterministic");
}

/// Allocates and idles for 20 minutes behind a symmetric NAT with `udp_timeout`; the
/// client's events.
fn idle(udp_timeout: Duration) -> Vec<Event> {
    let nat = NatConfig::symmetric(ip("203.0.113.5")).with_udp_timeout(udp_timeout);
    let World {
        mut sim, client, ..
    } = world_with(41, Transport::Udp, nat);
    sim.with(client, |c: &mut TurnClient, now| c.allocate(now))
        .expect("idle");
    sim.run_for(Duration::from_secs(1200));
    sim.events::<TurnClient>(client)
}

#[test]
fn an_idle_allocation_survives_refreshes_when_the_nat_keeps_the_mapping() {
    let events = idle(Duration::from_secs(900));
    assert!(
        events.iter().any(|e| matches!(e, Event::Refreshed { .. })),
        "{events:?}"
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::Closed { .. })),
        "{events:?}"
    );
}

#[test]
fn an_idle_allocation_is_lost_when_the_nat_mapping_expires_before_the_refresh() {
    // The mapping expires after 120 s; the Refresh at 540 s leaves from a new mapped
    // address, which the server does not know (RFC 8656 section 7.3: 437).
    let events = idle(Duration::from_secs(120));
    assert!(
        events.iter().any(|e| matches!(e, Event::Closed { .. })),
        "{events:?}"
    );
}
