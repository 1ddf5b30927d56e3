//! RFC 4787 behaviours of the simulated NATs, seen by STUN clients and probes.

mod common;

use std::time::Duration;

use common::*;
use wren_core::Transport;
use wren_netsim::{DropReason, Filtering, HostConfig, Mapping, NatConfig, Sim};

/// A client behind a NAT with `mapping`, and STUN servers at 198.51.100.1:3478,
/// 198.51.100.1:3479 and 198.51.100.2:3478. Returns the mapped addresses from the three.
fn mapped_from_three(mapping: Mapping) -> [Option<std::net::SocketAddr>; 3] {
    let mut sim = Sim::new(1, t0());
    let nat = sim.add_nat(NatConfig::new(
        ip("203.0.113.1"),
        mapping,
        Filtering::AddressAndPortDependent,
    ));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s1 = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let s2 = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    stun_server(&mut sim, s1, &["198.51.100.1:3478", "198.51.100.1:3479"]);
    stun_server(&mut sim, s2, &["198.51.100.2:3478"]);
    let client = stun_client(&mut sim, home, "192.168.1.2:5000");
    let local = "192.168.1.2:5000";
    [
        mapped(&mut sim, client, local, "198.51.100.1:3478"),
        mapped(&mut sim, client, local, "198.51.100.1:3479"),
        mapped(&mut sim, client, local, "198.51.100.2:3478"),
    ]
}

#[test]
fn endpoint_independent_mapping_gives_one_address_to_every_server() {
    let [a, b, c] = mapped_from_three(Mapping::EndpointIndependent);
    let a = a.expect("a mapped address");
    assert_eq!(a.ip(), ip("203.0.113.1"));
    assert_eq!(Some(a), b);
    assert_eq!(Some(a), c);
}

#[test]
fn address_dependent_mapping_differs_per_server_ip_only() {
    let [a, b, c] = mapped_from_three(Mapping::AddressDependent);
    let a = a.expect("a mapped address");
    assert_eq!(Some(a), b, "same server IP, other port: same mapping");
    assert_ne!(Some(a), c, "other server IP: another mapping");
    assert_eq!(c.map(|c| c.ip()), Some(ip("203.0.113.1")));
}

#[test]
fn address_and_port_dependent_mapping_differs_per_server_address() {
    let [a, b, c] = mapped_from_three(Mapping::AddressAndPortDependent);
    let (a, b, c) = (a.expect("a"), b.expect("b"), c.expect("c"));
    assert_ne!(a, b);
    assert_ne!(a, c);
    assert_ne!(b, c);
}

/// A host behind a NAT with `filtering` that talked to 198.51.100.1:3478; a third party
/// at 198.51.100.2:4000 sends to its mapped address after the host sent to `also` (if
/// any). Whether the third party's packet arrived.
fn third_party_gets_through(filtering: Filtering, also: Option<&str>) -> bool {
    let mut sim = Sim::new(2, t0());
    let nat = sim.add_nat(NatConfig::new(
        ip("203.0.113.1"),
        Mapping::EndpointIndependent,
        filtering,
    ));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let c = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let inside = probe(&mut sim, home, "192.168.1.2:5000");
    let server = probe(&mut sim, s, "198.51.100.1:3478");
    let third = probe(&mut sim, c, "198.51.100.2:4000");
    send(
        &mut sim,
        inside,
        "192.168.1.2:5000",
        addr("198.51.100.1:3478"),
        b"hello",
    );
    if let Some(to) = also {
        send(&mut sim, inside, "192.168.1.2:5000", addr(to), b"knock");
    }
    sim.run_for(Duration::from_secs(1));
    let got = received(&mut sim, server);
    let mapped = got[0].0;
    assert_eq!(mapped.ip(), ip("203.0.113.1"));
    received(&mut sim, inside);
    send(&mut sim, third, "198.51.100.2:4000", mapped, b"unsolicited");
    sim.run_for(Duration::from_secs(1));
    let got = received(&mut sim, inside);
    let arrived = got.iter().any(|(src, dst, p)| {
        p == b"unsolicited" && *src == addr("198.51.100.2:4000") && *dst == addr("192.168.1.2:5000")
    });
    if !arrived {
        assert_eq!(sim.stats().dropped(DropReason::NatFiltered), 1);
    }
    arrived
}

#[test]
fn endpoint_independent_filtering_lets_anyone_in() {
    assert!(third_party_gets_through(
        Filtering::EndpointIndependent,
        None
    ));
}

#[test]
fn address_dependent_filtering_needs_a_packet_to_that_ip() {
    assert!(!third_party_gets_through(Filtering::AddressDependent, None));
    assert!(third_party_gets_through(
        Filtering::AddressDependent,
        Some("198.51.100.2:9999")
    ));
}

#[test]
fn address_and_port_dependent_filtering_needs_a_packet_to_that_ip_and_port() {
    let f = Filtering::AddressAndPortDependent;
    assert!(!third_party_gets_through(f, None));
    assert!(!third_party_gets_through(f, Some("198.51.100.2:9999")));
    assert!(third_party_gets_through(f, Some("198.51.100.2:4000")));
}

/// Two hosts behind one NAT; B's mapping is learned through a public probe, then A sends
/// to it. What B got.
fn hairpin(on: bool) -> (Sim, Vec<Got>, std::net::SocketAddr) {
    let mut sim = Sim::new(3, t0());
    let nat = sim.add_nat(NatConfig::full_cone(ip("203.0.113.1")).with_hairpin(on));
    let ha = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let hb = sim.add_host(HostConfig::behind(nat, ip("192.168.1.3")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let a = probe(&mut sim, ha, "192.168.1.2:5000");
    let b = probe(&mut sim, hb, "192.168.1.3:5000");
    let server = probe(&mut sim, s, "198.51.100.1:3478");
    send(
        &mut sim,
        a,
        "192.168.1.2:5000",
        addr("198.51.100.1:3478"),
        b"a",
    );
    send(
        &mut sim,
        b,
        "192.168.1.3:5000",
        addr("198.51.100.1:3478"),
        b"b",
    );
    sim.run_for(Duration::from_secs(1));
    let seen = received(&mut sim, server);
    let (a_mapped, b_mapped) = (seen[0].0, seen[1].0);
    send(&mut sim, a, "192.168.1.2:5000", b_mapped, b"hairpin");
    sim.run_for(Duration::from_secs(1));
    let got = received(&mut sim, b);
    (sim, got, a_mapped)
}

#[test]
fn hairpinning_loops_back_with_the_mapped_source_when_on() {
    let (_, got, a_mapped) = hairpin(true);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].0, a_mapped,
        "RFC 4787 REQ-9: the source is A's mapped address"
    );
    assert_eq!(got[0].1, addr("192.168.1.3:5000"));
}

#[test]
fn hairpinning_off_drops_the_packet() {
    let (sim, got, _) = hairpin(false);
    assert!(got.is_empty());
    assert_eq!(sim.stats().dropped(DropReason::HairpinOff), 1);
}

#[test]
fn hosts_behind_one_nat_reach_each_other_directly() {
    let mut sim = Sim::new(3, t0());
    let nat = sim.add_nat(NatConfig::symmetric(ip("203.0.113.1")));
    let ha = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let hb = sim.add_host(HostConfig::behind(nat, ip("192.168.1.3")));
    let a = probe(&mut sim, ha, "192.168.1.2:5000");
    let b = probe(&mut sim, hb, "192.168.1.3:5000");
    send(
        &mut sim,
        a,
        "192.168.1.2:5000",
        addr("192.168.1.3:5000"),
        b"lan",
    );
    sim.run_for(Duration::from_secs(1));
    assert_eq!(
        received(&mut sim, b),
        [(
            addr("192.168.1.2:5000"),
            addr("192.168.1.3:5000"),
            b"lan".to_vec()
        )]
    );
}

#[test]
fn a_mapping_expires_after_the_udp_timeout_without_outbound_traffic() {
    let mut sim = Sim::new(4, t0());
    let nat = sim
        .add_nat(NatConfig::full_cone(ip("203.0.113.1")).with_udp_timeout(Duration::from_secs(30)));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let inside = probe(&mut sim, home, "192.168.1.2:5000");
    let server = probe(&mut sim, s, "198.51.100.1:3478");
    send(
        &mut sim,
        inside,
        "192.168.1.2:5000",
        addr("198.51.100.1:3478"),
        b"1",
    );
    sim.run_for(Duration::from_secs(20));
    let first = received(&mut sim, server)[0].0;

    // Within the timeout inbound passes, and inbound does not refresh the mapping.
    send(&mut sim, server, "198.51.100.1:3478", first, b"in time");
    sim.run_for(Duration::from_secs(11));
    assert_eq!(received(&mut sim, inside).len(), 1);
    send(&mut sim, server, "198.51.100.1:3478", first, b"too late");
    sim.run_for(Duration::from_secs(1));
    assert!(received(&mut sim, inside).is_empty());
    assert_eq!(sim.stats().dropped(DropReason::NoMapping), 1);

    // A new outbound packet makes a new mapping, on another (random) port.
    send(
        &mut sim,
        inside,
        "192.168.1.2:5000",
        addr("198.51.100.1:3478"),
        b"2",
    );
    sim.run_for(Duration::from_secs(1));
    let second = received(&mut sim, server)[0].0;
    assert_eq!(second.ip(), first.ip());
    assert_ne!(second.port(), first.port());
}

#[test]
fn outbound_traffic_refreshes_a_mapping_and_port_preservation_keeps_the_port() {
    let mut sim = Sim::new(5, t0());
    let config = NatConfig::full_cone(ip("203.0.113.1"))
        .with_udp_timeout(Duration::from_secs(30))
        .with_port_preservation(true);
    let nat = sim.add_nat(config);
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let inside = probe(&mut sim, home, "192.168.1.2:5000");
    let server = probe(&mut sim, s, "198.51.100.1:3478");
    for _ in 0..4 {
        send(
            &mut sim,
            inside,
            "192.168.1.2:5000",
            addr("198.51.100.1:3478"),
            b"keepalive",
        );
        sim.run_for(Duration::from_secs(20));
    }
    let seen = received(&mut sim, server);
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|s| s.0 == addr("203.0.113.1:5000")));
    send(
        &mut sim,
        server,
        "198.51.100.1:3478",
        addr("203.0.113.1:5000"),
        b"back",
    );
    sim.run_for(Duration::from_secs(1));
    assert_eq!(
        received(&mut sim, inside).len(),
        1,
        "80 s after the first packet"
    );
}

#[test]
fn block_udp_drops_udp_both_ways_but_tcp_passes() {
    let mut sim = Sim::new(6, t0());
    let nat = sim.add_nat(NatConfig::full_cone(ip("203.0.113.1")).with_block_udp(true));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let inside = probe(&mut sim, home, "192.168.1.2:5000");
    let server = sim.add_machine(s, Probe::echoing());
    sim.listen(server, addr("198.51.100.1:3478"), Transport::Udp)
        .expect("free");
    sim.listen(server, addr("198.51.100.1:443"), Transport::Tcp)
        .expect("free");

    send(
        &mut sim,
        inside,
        "192.168.1.2:5000",
        addr("198.51.100.1:3478"),
        b"udp",
    );
    send(
        &mut sim,
        server,
        "198.51.100.1:3478",
        addr("203.0.113.1:5000"),
        b"udp in",
    );
    sim.run_for(Duration::from_secs(1));
    assert!(received(&mut sim, server).is_empty());
    assert!(received(&mut sim, inside).is_empty());
    assert_eq!(sim.stats().dropped(DropReason::UdpBlocked), 2);

    sim.with(inside, |p: &mut Probe, _| {
        p.send(Transport::Tcp, None, addr("198.51.100.1:443"), b"tcp")
    });
    sim.run_for(Duration::from_secs(1));
    let at_server = received(&mut sim, server);
    assert_eq!(at_server.len(), 1);
    assert_eq!(
        at_server[0].0.ip(),
        ip("203.0.113.1"),
        "the NAT mapped the connection"
    );
    let echoed = sim.events::<Probe>(inside);
    assert!(
        matches!(
            &echoed[..],
            [ProbeEvent::Received { proto: Transport::Tcp, source, payload, .. }]
                if *source == addr("198.51.100.1:443") && payload == b"tcp"
        ),
        "{echoed:?}"
    );
}

#[test]
fn tcp_to_a_nat_or_to_no_listener_is_dropped() {
    let mut sim = Sim::new(7, t0());
    let nat = sim.add_nat(NatConfig::full_cone(ip("203.0.113.1")));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let inside = sim.add_machine(home, Probe::default());
    sim.listen(inside, addr("192.168.1.2:443"), Transport::Tcp)
        .expect("free");
    let outside = sim.add_machine(s, Probe::default());
    sim.with(outside, |p: &mut Probe, _| {
        p.send(Transport::Tcp, None, addr("203.0.113.1:443"), b"in");
        p.send(Transport::Tcp, None, addr("198.51.100.1:9"), b"nobody");
    });
    sim.run_for(Duration::from_secs(1));
    assert!(received(&mut sim, inside).is_empty());
    assert_eq!(sim.stats().dropped(DropReason::NatFiltered), 1);
    assert_eq!(sim.stats().dropped(DropReason::NoListener), 1);
}
