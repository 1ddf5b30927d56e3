//! The run loop: TCP order and reliability under a bad link, a machine stuck in the past,
//! and run_until_cond.

mod common;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use common::*;
use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_netsim::{HostConfig, LinkConfig, NatConfig, Sim};

#[test]
fn tcp_messages_arrive_all_and_in_order_over_a_lossy_jittery_link() {
    let mut sim = Sim::new(50, t0());
    let bad = LinkConfig::default()
        .with_loss(0.3)
        .with_jitter(Duration::from_millis(30))
        .with_duplicate(0.1);
    let nat = sim.add_nat(NatConfig::symmetric(ip("203.0.113.1")));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")).with_link(bad));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let client = sim.add_machine(home, Probe::default());
    let server = sim.add_machine(s, Probe::echoing());
    sim.listen(server, addr("198.51.100.1:443"), Transport::Tcp)
        .expect("free");
    for i in 0..200u32 {
        sim.with(client, |p: &mut Probe, _| {
            p.send(
                Transport::Tcp,
                None,
                addr("198.51.100.1:443"),
                &i.to_be_bytes(),
            )
        });
        sim.run_for(Duration::from_millis(1));
    }
    sim.run_for(Duration::from_secs(1));
    let at_server = received(&mut sim, server);
    let order: Vec<u32> = at_server
        .iter()
        .map(|(_, _, p)| u32::from_be_bytes(p[..4].try_into().expect("4 bytes")))
        .collect();
    assert_eq!(order, (0..200).collect::<Vec<_>>());
    assert!(
        at_server.iter().all(|(src, _, _)| src == &at_server[0].0),
        "one connection"
    );
    assert_eq!(
        received(&mut sim, client).len(),
        200,
        "the echoes came back on it"
    );
    assert_eq!(sim.stats().tcp_connections, 1);
}

#[test]
fn an_idle_tcp_connection_through_a_nat_breaks_after_the_tcp_timeout() {
    let mut sim = Sim::new(51, t0());
    let nat = sim
        .add_nat(NatConfig::full_cone(ip("203.0.113.1")).with_tcp_timeout(Duration::from_secs(60)));
    let home = sim.add_host(HostConfig::behind(nat, ip("192.168.1.2")));
    let s = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let client = sim.add_machine(home, Probe::default());
    let server = sim.add_machine(s, Probe::default());
    sim.listen(server, addr("198.51.100.1:443"), Transport::Tcp)
        .expect("free");
    sim.with(client, |p: &mut Probe, _| {
        p.send(Transport::Tcp, None, addr("198.51.100.1:443"), b"1")
    });
    sim.run_for(Duration::from_secs(1));
    let first = received(&mut sim, server)[0].0;
    sim.run_for(Duration::from_secs(120));
    sim.with(server, |p: &mut Probe, _| {
        p.send(
            Transport::Tcp,
            Some(addr("198.51.100.1:443")),
            first,
            b"late",
        )
    });
    sim.run_for(Duration::from_secs(1));
    assert!(received(&mut sim, client).is_empty());
    assert_eq!(sim.stats().dropped(wren_netsim::DropReason::NoMapping), 1);
}

/// A machine whose deadline never moves past its first value.
struct Stuck {
    at: Instant,
    calls: u64,
}

impl Machine for Stuck {
    type Event = Infallible;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, _: Instant, _: Datagram<'_>) {}
    fn handle_command(&mut self, _: Instant, c: Infallible) -> Result<(), Infallible> {
        match c {}
    }
    fn handle_timeout(&mut self, _: Instant) {
        self.calls += 1;
    }
    fn poll_transmit(&mut self, _: Instant, _: &mut Vec<u8>) -> Option<Transmit> {
        None
    }
    fn poll_event(&mut self) -> Option<Infallible> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Some(self.at)
    }
}

#[test]
fn a_machine_stuck_in_the_past_does_not_hang_the_simulation() {
    let start = t0();
    let mut sim = Sim::new(52, start);
    let h = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let node = sim.add_machine(
        h,
        Stuck {
            at: start,
            calls: 0,
        },
    );
    sim.run_for(Duration::from_millis(100));
    let calls = sim.machine::<Stuck>(node).calls;
    assert!(calls > 0 && calls < 10_000, "{calls} calls");
    assert!(sim.stats().stuck_timeouts > 0);
    assert_eq!(sim.now(), start + Duration::from_millis(100));
}

#[test]
fn run_until_cond_stops_when_the_condition_holds() {
    let start = t0();
    let mut sim = Sim::new(53, start);
    let ha = sim.add_host(HostConfig::public(ip("198.51.100.1")));
    let hb = sim.add_host(HostConfig::public(ip("198.51.100.2")));
    let a = probe(&mut sim, ha, "198.51.100.1:5000");
    let b = probe(&mut sim, hb, "198.51.100.2:5000");
    send(
        &mut sim,
        a,
        "198.51.100.1:5000",
        addr("198.51.100.2:5000"),
        b"x",
    );
    let done = sim.run_until_cond(start + Duration::from_secs(5), |s| s.stats().delivered == 1);
    assert!(done);
    assert_eq!(
        sim.now(),
        start + Duration::from_millis(10),
        "two 5 ms links"
    );
    assert_eq!(received(&mut sim, b).len(), 1);
    let never = sim.run_until_cond(start + Duration::from_secs(5), |s| s.stats().delivered == 2);
    assert!(!never);
    assert_eq!(sim.now(), start + Duration::from_secs(5));
}
