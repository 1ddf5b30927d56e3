//! wren-netsim: a deterministic simulated network that drives any [`wren_core::Machine`].
//!
//! The simulator is the run loop: [`Sim::step`] takes the earliest thing due (a packet in
//! flight or a machine's deadline), feeds it to the machine (`handle_datagram` or
//! `handle_timeout`) and drains what the machine sends, reports and asks for;
//! [`Sim::run_for`] steps until a virtual time. A STUN client behind a port-restricted cone
//! NAT learns its mapped address:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use wren_core::Transport;
//! use wren_netsim::{HostConfig, NatConfig, Sim};
//! use wren_stun::client::{self as stun, Client};
//! use wren_stun::server::{self as binding, Server};
//!
//! let start = Instant::now();
//! let mut sim = Sim::new(7, start);
//! let nat = sim.add_nat(NatConfig::port_restricted_cone("203.0.113.1".parse().unwrap()));
//! let alice = sim.add_host(HostConfig::behind(nat, "192.168.1.2".parse().unwrap()));
//! let public = sim.add_host(HostConfig::public("198.51.100.1".parse().unwrap()));
//!
//! let server = sim.add_machine(public, Server::new(binding::Config::default()).unwrap());
//! sim.listen(server, "198.51.100.1:3478".parse().unwrap(), Transport::Udp).unwrap();
//!
//! let config = stun::Config { rng_seed: Some(sim.fork_seed()), ..stun::Config::default() };
//! let client = sim.add_machine(alice, Client::new(start, config));
//! sim.listen(client, "192.168.1.2:5000".parse().unwrap(), Transport::Udp).unwrap();
//! sim.with(client, |c: &mut Client, now| {
//!     c.binding(now, Transport::Udp, None, "198.51.100.1:3478".parse().unwrap()).unwrap();
//! });
//! sim.run_for(Duration::from_secs(1));
//!
//! let mapped = sim.events::<Client>(client).into_iter().find_map(|e| match e {
//!     stun::Event::Success { mapped, .. } => mapped,
//!     _ => None,
//! });
//! assert_eq!(mapped.map(|m| m.ip()), Some("203.0.113.1".parse().unwrap()));
//! assert_eq!(sim.stats().delivered, 2);
//! ```
//!
//! It reads no clock and no global random generator: the caller passes a start `Instant`
//! and a seed, virtual time jumps from one event to the next, and the same seed with the
//! same inputs gives the same trace byte for byte ([`Sim::trace_hash`],
//! [`Sim::trace_lines`]). It opens no socket and spawns nothing.
//!
//! The model, each part documented where it is configured: hosts with one address and an
//! access link ([`HostConfig`], [`LinkConfig`]), NATs with RFC 4787's behaviours
//! ([`NatConfig`]), machines and their sockets ([`Sim::add_machine`], [`Sim::listen`]), the
//! path of a packet and the order of ties ([`Sim`]), and the trace ([`Stats`],
//! [`DropReason`]). A link can be a bottleneck: a rate and a drop-tail queue per
//! direction ([`LinkConfig::with_bottleneck`]), changed while the simulation runs
//! ([`Sim::set_link`]) and observed ([`Sim::link_queue`], [`Sim::record_queue_delays`]).
//! Not modelled: nested NATs, hosts with several addresses, a bottleneck inside the
//! internet (only access links have one), ICMP, IP fragmentation, TCP handshakes, resets,
//! windows and congestion (TCP bypasses the queues).
#![forbid(unsafe_code)]

mod bottleneck;
mod error;
mod host;
mod ids;
mod link;
mod nat;
mod node;
mod queue;
mod route;
mod sim;
mod tcp;
mod trace;

pub use bottleneck::{Direction, QueueDelay, QueueState};
pub use error::TopologyError;
pub use host::HostConfig;
pub use ids::{HostId, NatId, NodeId};
pub use link::{LinkConfig, V4_HEADER, V6_HEADER};
pub use nat::{Filtering, Mapping, NatConfig};
pub use sim::{DEFAULT_EVENT_CAPACITY, Sim};
pub use trace::{DropReason, Stats};
