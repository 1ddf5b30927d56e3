//! Helpers shared by the integration tests: a probe machine, addresses, STUN helpers.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{
    Datagram, Machine, SocketOptions, SocketRequest, SocketResult, Transmit, Transport,
};
use wren_netsim::{HostId, NodeId, Sim};
use wren_stun::client::{Client, Config as ClientConfig, Event as ClientEvent};
use wren_stun::server::{Config as ServerConfig, Server as BindingServer};

pub fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("an IP address")
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
pub fn t0() -> Instant {
    Instant::now()
}

/// What a [`Probe`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeEvent {
    Received {
        proto: Transport,
        source: SocketAddr,
        destination: SocketAddr,
        payload: Vec<u8>,
    },
    Socket(SocketResult),
}

/// A machine that sends what it is told to, reports what it gets, optionally echoes it,
/// and binds and closes sockets on command.
#[derive(Debug, Default)]
pub struct Probe {
    out: VecDeque<(Transmit, Vec<u8>)>,
    events: VecDeque<ProbeEvent>,
    requests: VecDeque<SocketRequest>,
    pub echo: bool,
}

impl Probe {
    pub fn echoing() -> Probe {
        Probe {
            echo: true,
            ..Probe::default()
        }
    }

    pub fn send(
        &mut self,
        proto: Transport,
        from: Option<SocketAddr>,
        to: SocketAddr,
        data: &[u8],
    ) {
        self.out
            .push_back((Transmit::new(proto, from, to), data.to_vec()));
    }

    pub fn bind(&mut self, addr: SocketAddr, transport: Transport) {
        self.requests.push_back(SocketRequest::Bind {
            addr,
            transport,
            options: SocketOptions::default(),
        });
    }

    pub fn close(&mut self, addr: SocketAddr, transport: Transport) {
        self.requests
            .push_back(SocketRequest::Close { addr, transport });
    }
}

impl Machine for Probe {
    type Event = ProbeEvent;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, _now: Instant, d: Datagram<'_>) {
        if self.echo {
            self.out
                .push_back((Transmit::reply_to(&d), d.payload.to_vec()));
        }
        self.events.push_back(ProbeEvent::Received {
            proto: d.proto,
            source: d.source,
            destination: d.destination,
            payload: d.payload.to_vec(),
        });
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let (t, data) = self.out.pop_front()?;
        buf.extend_from_slice(&data);
        Some(t)
    }

    fn poll_event(&mut self) -> Option<ProbeEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.requests.pop_front()
    }

    fn handle_socket_result(&mut self, _now: Instant, r: SocketResult) {
        self.events.push_back(ProbeEvent::Socket(r));
    }
}

/// Adds a probe on `host` listening on `at` (UDP).
pub fn probe(sim: &mut Sim, host: HostId, at: &str) -> NodeId {
    let node = sim.add_machine(host, Probe::default());
    sim.listen(node, addr(at), Transport::Udp).expect("free");
    node
}

/// Sends `data` from a probe.
pub fn send(sim: &mut Sim, node: NodeId, from: &str, to: SocketAddr, data: &[u8]) {
    sim.with(node, |p: &mut Probe, _| {
        p.send(Transport::Udp, Some(addr(from)), to, data)
    });
}

/// One datagram a probe received: source, destination, payload.
pub type Got = (SocketAddr, SocketAddr, Vec<u8>);

/// What a probe received, oldest first.
pub fn received(sim: &mut Sim, node: NodeId) -> Vec<Got> {
    sim.events::<Probe>(node)
        .into_iter()
        .filter_map(|e| match e {
            ProbeEvent::Received {
                source,
                destination,
                payload,
                ..
            } => Some((source, destination, payload)),
            ProbeEvent::Socket(_) => None,
        })
        .collect()
}

/// A STUN Binding server on `host`, listening on each of `at` (UDP).
pub fn stun_server(sim: &mut Sim, host: HostId, at: &[&str]) -> NodeId {
    let server = BindingServer::new(ServerConfig::default()).expect("no users");
    let node = sim.add_machine(host, server);
    for a in at {
        sim.listen(node, addr(a), Transport::Udp).expect("free");
    }
    node
}

/// A STUN client on `host` with a socket at `local`.
pub fn stun_client(sim: &mut Sim, host: HostId, local: &str) -> NodeId {
    let config = ClientConfig {
        rng_seed: Some(sim.fork_seed()),
        ..ClientConfig::default()
    };
    let node = sim.add_machine(host, Client::new(sim.now(), config));
    sim.listen(node, addr(local), Transport::Udp).expect("free");
    node
}

/// Runs a Binding transaction from `local` to `server`; the mapped address it reports.
pub fn mapped(sim: &mut Sim, client: NodeId, local: &str, server: &str) -> Option<SocketAddr> {
    let server = addr(server);
    sim.with(client, |c: &mut Client, now| {
        c.binding(now, Transport::Udp, Some(addr(local)), server)
    })
    .expect("room for a transaction");
    sim.run_for(Duration::from_secs(2));
    sim.events::<Client>(client)
        .into_iter()
        .find_map(|e| match e {
            ClientEvent::Success { from, mapped, .. } if from == server => mapped,
            _ => None,
        })
}
