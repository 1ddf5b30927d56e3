//! Sockets machines ask for: deterministic ephemeral ports, bind errors, close; and
//! transmits from addresses a machine does not hold.

mod common;

use std::time::Duration;

use common::*;
use wren_core::{BindError, SocketResult, Transport};
use wren_netsim::{DropReason, HostConfig, Sim};

fn results(sim: &mut Sim, node: wren_netsim::NodeId) -> Vec<SocketResult> {
    sim.events::<Probe>(node)
        .into_iter()
        .filter_map(|e| match e {
            ProbeEvent::Socket(r) => Some(r),
            ProbeEvent::Received { .. } => None,
        })
        .collect()
}

fn bound(r: &SocketResult) -> Option<std::net::SocketAddr> {
    match r {
        SocketResult::Bound { bound, .. } => Some(*bound),
        _ => None,
    }
}

#[test]
fn binds_get_deterministic_ephemeral_ports_and_typed_failures() {
    let run = || {
        let mut sim = Sim::new(30, t0());
        let h = sim.add_host(HostConfig::public(ip("198.51.100.1")));
        let node = sim.add_machine(h, Probe::default());
        sim.with(node, |p: &mut Probe, _| {
            p.bind(addr("198.51.100.1:0"), Transport::Udp);
            p.bind(addr("0.0.0.0:0"), Transport::Udp);
            p.bind(addr("198.51.100.1:0"), Transport::Tcp);
            p.bind(addr("198.51.100.9:0"), Transport::Udp);
            p.bind(addr("[::]:0"), Transport::Udp);
            p.bind(addr("198.51.100.1:49152"), Transport::Udp);
            p.bind(addr("198.51.100.1:7000"), Transport::Udp);
        });
        results(&mut sim, node)
    };
    let r = run();
    assert_eq!(r, run(), "deterministic");
    assert_eq!(bound(&r[0]), Some(addr("198.51.100.1:49152")));
    assert_eq!(
        bound(&r[1]),
        Some(addr("198.51.100.1:49153")),
        "unspecified binds the host's address"
    );
    assert_eq!(bound(&r[2]), Some(addr("198.51.100.1:49154")));
    let failed = |r: &SocketResult| match r {
        SocketResult::Failed { error, .. } => Some(*error),
        _ => None,
    };
    assert_eq!(
        failed(&r[3]),
        Some(BindError::AddrNotAvailable),
        "a foreign address"
    );
    assert_eq!(
        failed(&r[4]),
        Some(BindError::AddrNotAvailable),
        "another family"
    );
    assert_eq!(failed(&r[5]), Some(BindError::AddrInUse));
    assert_eq!(bound(&r[6]), Some(addr("198.51.100.1:7000")));
}

#[test]
fn close_releases_a_port_and_stops_delivery() {
    let mut sim = Sim::new(31, t0());
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = sim.add_machine(ha, Probe::default());
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    sim.with(a, |p: &mut Probe, _| {
        p.bind(addr("198.51.100.1:7000"), Transport::Udp)
    });
    send(
        &mut sim,
        b,
        "198.51.100.2:5000",
        addr("198.51.100.1:7000"),
        b"open",
    );
    sim.run_for(Duration::from_secs(1));
    assert_eq!(received(&mut sim, a).len(), 1);
    sim.with(a, |p: &mut Probe, _| {
        p.close(addr("198.51.100.1:7000"), Transport::Udp)
    });
    send(
        &mut sim,
        b,
        "198.51.100.2:5000",
        addr("198.51.100.1:7000"),
        b"closed",
    );
    sim.run_for(Duration::from_secs(1));
    assert!(received(&mut sim, a).is_empty());
    assert_eq!(sim.stats().dropped(DropReason::NoSocket), 1);
    sim.with(a, |p: &mut Probe, _| {
        p.bind(addr("198.51.100.1:7000"), Transport::Udp)
    });
    assert_eq!(
        bound(&results(&mut sim, a)[0]),
        Some(addr("198.51.100.1:7000")),
        "free again"
    );
}

#[test]
fn a_transmit_from_an_address_not_held_is_dropped_not_a_panic() {
    let mut sim = Sim::new(32, t0());
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = probe(&mut sim, ha, "198.51.100.1:5000");
    let other = probe(&mut sim, ha, "198.51.100.1:6000");
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    send(
        &mut sim,
        a,
        "198.51.100.1:6000",
        addr("198.51.100.2:5000"),
        b"not mine",
    );
    send(
        &mut sim,
        a,
        "10.0.0.1:5000",
        addr("198.51.100.2:5000"),
        b"not my host",
    );
    sim.with(a, |p: &mut Probe, _| {
        p.send(
            Transport::Udp,
            None,
            addr("198.51.100.2:5000"),
            b"default socket",
        )
    });
    sim.run_for(Duration::from_secs(1));
    assert_eq!(sim.stats().dropped(DropReason::NotOwned), 2);
    let got = received(&mut sim, b);
    assert_eq!(
        got,
        [(
            addr("198.51.100.1:5000"),
            addr("198.51.100.2:5000"),
            b"default socket".to_vec()
        )]
    );
    assert!(received(&mut sim, other).is_empty());
}

#[test]
fn a_machine_without_a_socket_gets_an_ephemeral_one_on_first_send() {
    let mut sim = Sim::new(33, t0());
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = sim.add_machine(ha, Probe::default());
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    sim.with(a, |p: &mut Probe, _| {
        p.send(Transport::Udp, None, addr("198.51.100.2:5000"), b"x")
    });
    sim.run_for(Duration::from_secs(1));
    assert_eq!(received(&mut sim, b)[0].0, addr("198.51.100.1:49152"));
    assert_eq!(
        sim.sockets(a),
        [(Transport::Udp, addr("198.51.100.1:49152"))]
    );
}
