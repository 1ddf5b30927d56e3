//! The TURN clients (RFC 8656), one per relayed candidate: which one a datagram from a
//! server belongs to, their timers and transmits drained together, and whether they have
//! all answered gathering. A part of the [`super::Agent`]; the agent makes candidates of
//! their allocations and sends its checks and data through them.

use std::net::SocketAddr;
use std::ops::Index;
use std::time::Instant;

use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_turn::client::Client as TurnClient;

use super::ids::{LocalId, RelayId, Table};

/// A TURN client for one relayed candidate.
#[derive(Debug)]
pub(crate) struct Relay {
    pub(crate) client: TurnClient,
    /// The TURN server's place in the configuration.
    pub(crate) server: usize,
    pub(crate) transport: Transport,
    /// The host socket it sends from (UDP), or `None` over TCP.
    pub(crate) socket: Option<SocketAddr>,
    /// Its relayed candidate, once allocated.
    pub(crate) local: Option<LocalId>,
    /// Gathering has its outcome (allocated, or failed).
    pub(crate) done: bool,
    pub(crate) family_v4: bool,
}

impl Relay {
    /// A client for the `server`-th TURN server, sending from `socket` (UDP) or over its
    /// own connection (`None`); `done` when its Allocate could not even start.
    pub(crate) fn new(
        client: TurnClient,
        server: usize,
        transport: Transport,
        socket: Option<SocketAddr>,
        family_v4: bool,
        done: bool,
    ) -> Relay {
        Relay {
            client,
            server,
            transport,
            socket,
            local: None,
            done,
            family_v4,
        }
    }
}

/// The TURN clients. Only their own methods change them: the agent reads a [`Relay`]
/// and drives its TURN client through [`Relays::client_mut`].
#[derive(Debug, Default)]
pub(crate) struct Relays {
    relays: Table<RelayId, Relay>,
}

impl Relays {
    /// Adds a client.
    pub(crate) fn push(&mut self, relay: Relay) -> RelayId {
        self.relays.push(relay)
    }

    /// The client ids, in the order they were added.
    pub(crate) fn ids(&self) -> impl Iterator<Item = RelayId> + use<> {
        self.relays.ids()
    }

    /// Whether a client to the `server`-th TURN server exists for this address family
    /// (over TCP, one connection per server and family serves every socket).
    pub(crate) fn has_client_for(&self, server: usize, v4: bool) -> bool {
        self.relays
            .iter()
            .any(|r| r.server == server && r.family_v4 == v4)
    }

    /// The client `d` came to: from its server, on its transport, to its socket.
    pub(crate) fn for_datagram(&self, d: &Datagram<'_>) -> Option<RelayId> {
        self.relays.position(|r| {
            r.client.server() == d.source
                && (r.transport == d.proto)
                && r.socket.is_none_or(|s| s == d.destination)
        })
    }

    /// The TURN client of `r`, to drive.
    pub(crate) fn client_mut(&mut self, r: RelayId) -> &mut TurnClient {
        &mut self.relays[r].client
    }

    /// `r` allocated relayed candidate `local`: gathering has its outcome.
    pub(crate) fn allocated(&mut self, r: RelayId, local: LocalId) {
        let relay = &mut self.relays[r];
        relay.done = true;
        relay.local = Some(local);
    }

    /// `r` answered gathering (its candidate follows with [`Relays::allocated`]) or
    /// failed; its relayed candidate, if it had one.
    pub(crate) fn settle(&mut self, r: RelayId) -> Option<LocalId> {
        let relay = &mut self.relays[r];
        relay.done = true;
        relay.local
    }

    /// Whether every client has its gathering outcome.
    pub(crate) fn settled(&self) -> bool {
        self.relays.iter().all(|r| r.done)
    }

    /// The servers (and transports) that have not answered gathering yet.
    pub(crate) fn silent(&self) -> impl Iterator<Item = (SocketAddr, Transport)> + '_ {
        self.relays
            .iter()
            .filter(|r| !r.done)
            .map(|r| (r.client.server(), r.transport))
    }

    /// Releases every allocation (close, failure).
    pub(crate) fn close(&mut self, now: Instant) {
        for r in &mut self.relays {
            r.client.close(now);
        }
    }

    /// Runs the clients' timers.
    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for r in &mut self.relays {
            r.client.handle_timeout(now);
        }
    }

    /// Runs the clients' timers after close: only deallocations are left, and what the
    /// clients report no longer matters.
    pub(crate) fn handle_timeout_closed(&mut self, now: Instant) {
        for r in &mut self.relays {
            r.client.handle_timeout(now);
            while r.client.poll_event().is_some() {}
        }
    }

    /// After close: the server's answer to a deallocation, to the client of that server
    /// and transport; what it reports no longer matters.
    pub(crate) fn handle_datagram_closed(&mut self, now: Instant, d: Datagram<'_>) {
        if let Some(r) = self
            .relays
            .iter_mut()
            .find(|r| r.client.server() == d.source && r.transport == d.proto)
        {
            r.client.handle_datagram(now, d);
            while r.client.poll_event().is_some() {}
        }
    }

    /// The first client's next datagram, from its host socket over UDP.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        for r in &mut self.relays {
            if let Some(mut t) = r.client.poll_transmit(now, buf) {
                if t.source.is_none() && t.proto == Transport::Udp {
                    t.source = r.socket;
                }
                return Some(t);
            }
        }
        None
    }

    /// The earliest of the clients' timers.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.relays
            .iter()
            .filter_map(|r| r.client.poll_timeout())
            .min()
    }
}

impl Index<RelayId> for Relays {
    type Output = Relay;
    fn index(&self, r: RelayId) -> &Relay {
        &self.relays[r]
    }
}

#[cfg(test)]
mod tests {
    use wren_turn::client::Config;

    use super::*;
    use crate::agent::ids::Id;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn relay(now: Instant, server: &str, transport: Transport, socket: Option<&str>) -> Relay {
        let mut config = Config::new(addr(server), transport, "user", "pass");
        config.local = socket.map(addr);
        config.rng_seed = Some([9; 32]);
        Relay::new(
            TurnClient::new(now, config),
            0,
            transport,
            socket.map(addr),
            true,
            false,
        )
    }

    #[test]
    fn a_datagram_goes_to_the_client_of_its_server_transport_and_socket() {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let now = Instant::now();
        let mut relays = Relays::default();
        let udp = relays.push(relay(
            now,
            "192.0.2.1:3478",
            Transport::Udp,
            Some("10.0.0.1:5000"),
        ));
        let tcp = relays.push(relay(now, "192.0.2.1:3478", Transport::Tcp, None));
        let from = |to: &str| Datagram::udp(addr("192.0.2.1:3478"), addr(to), &[]);
        assert_eq!(relays.for_datagram(&from("10.0.0.1:5000")), Some(udp));
        assert_eq!(
            relays.for_datagram(&from("10.0.0.1:5001")),
            None,
            "another socket"
        );
        let mut d = from("10.0.0.1:40000");
        d.proto = Transport::Tcp;
        assert_eq!(
            relays.for_datagram(&d),
            Some(tcp),
            "any connection of the stream"
        );
        assert!(relays.has_client_for(0, true) && !relays.has_client_for(0, false));

        assert!(!relays.settled());
        assert_eq!(relays.silent().count(), 2);
        assert_eq!(relays.settle(udp), None);
        assert_eq!(
            relays.silent().collect::<Vec<_>>(),
            [(addr("192.0.2.1:3478"), Transport::Tcp)]
        );
        relays.allocated(tcp, LocalId::from_index(3));
        assert!(relays.settled());
        assert_eq!(relays[tcp].local, Some(LocalId::from_index(3)));
        assert_eq!(relays.settle(tcp), Some(LocalId::from_index(3)));
        assert_eq!(relays.ids().collect::<Vec<_>>(), [udp, tcp]);
    }
}
