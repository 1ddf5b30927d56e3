//! wren-netsim: a deterministic simulated network that drives any [`wren_core::Machine`].
//!
//! It reads no clock and no global random generator: the caller passes a start
//! [`std::time::Instant`] and a seed, virtual time jumps from one event to the next, and
//! the same seed with the same inputs gives the same trace byte for byte
//! ([`Sim::trace_hash`], [`Sim::trace_lines`]). It opens no socket and spawns nothing.
//!
//! # The model
//!
//! - **Hosts** ([`Sim::add_host`], [`HostConfig`]) have one address, on the public
//!   internet or on the private side of a NAT, and an access link ([`LinkConfig`]: delay,
//!   jitter, loss, duplication, reordering, MTU) crossed by every packet leaving or entering
//!   the host.
//! - **NATs** ([`Sim::add_nat`], [`NatConfig`]) have the behaviours of RFC 4787: mapping
//!   (section 4.1: endpoint-independent, address-dependent, address-and-port-dependent),
//!   filtering (section 5), binding timeouts refreshed by outbound packets only (section
//!   4.3), port preservation (section 4.2.1) and hairpinning with the mapped source
//!   (section 6, REQ-9); also a firewall that blocks UDP. Hosts behind one NAT reach each
//!   other directly by their private addresses.
//! - **Machines** ([`Sim::add_machine`]) of any type run on hosts. They hold sockets:
//!   fixed ones from [`Sim::listen`], and those they ask for with
//!   [`wren_core::SocketRequest::Bind`] (port 0 gives the host's next free ephemeral port,
//!   49152 up; a foreign address gives [`wren_core::BindError::AddrNotAvailable`], a taken
//!   port [`wren_core::BindError::AddrInUse`]). A socket bound to the unspecified address
//!   binds the host's address. A UDP transmit without a source leaves from the machine's
//!   first UDP socket of the destination's family, or from a new ephemeral one.
//! - **UDP** goes sender's link, sender's NAT (translation), internet, destination NAT
//!   (filtering and translation), destination link, socket.
//! - **TCP** is reliable ordered delivery of already-framed messages on connections
//!   opened by the first message (see the `tcp` module docs for what is not modelled).
//! - **Trace**: every send, duplicate, connection, delivery and drop (with a
//!   [`DropReason`]) is folded into an FNV-1a hash and counted in [`Stats`].
//!
//! The run loop is [`Sim::step`]: the earliest of the packets in flight and the
//! machines' deadlines happens next (packets first on a tie, then in the order they were
//! queued, then machines in creation order). After a machine is fed, the simulator
//! drains its transmits, events (kept per node, see [`Sim::events`]) and socket requests.
//! [`Sim::with`] runs a command on a machine and drains it.
//!
//! Not modelled: nested NATs, hosts with several addresses, bandwidth and queueing, ICMP,
//! IP fragmentation, TCP handshakes, resets and windows.
//!
//! # Example
//!
//! A STUN client behind a port-restricted cone NAT learns its mapped address:
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
#![forbid(unsafe_code)]

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

pub use error::TopologyError;
pub use host::HostConfig;
pub use ids::{HostId, NatId, NodeId};
pub use link::{LinkConfig, V4_HEADER, V6_HEADER};
pub use nat::{Filtering, Mapping, NatConfig};
pub use sim::{DEFAULT_EVENT_CAPACITY, Sim};
pub use trace::{DropReason, Stats};
