//! The lookups that tell sessions apart on shared sockets: the local socket a datagram
//! arrived at, the USERNAME's local ufrag for STUN (RFC 8445 section 7.3: the part before
//! the colon is the receiver's ufrag), and the path `(local socket, remote address,
//! transport)` for everything else (RFC 7983: media is not STUN).
//!
//! Both tables are hash maps keyed with a hash keyed from the server's seed, so that a peer
//! that picks its addresses or ufrags cannot aim at one bucket, and a run is repeatable.

use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;

use wren_core::{Datagram, Rng, Transport};

use super::config::LocalSocket;
use super::session::SessionId;

/// SipHash-1-3 (the standard library's) with a secret prefix drawn from the server's seed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeededState {
    k0: u64,
    k1: u64,
}

impl SeededState {
    pub(crate) fn new(rng: &mut Rng) -> SeededState {
        SeededState {
            k0: rng.next_u64(),
            k1: rng.next_u64(),
        }
    }
}

impl BuildHasher for SeededState {
    type Hasher = DefaultHasher;

    fn build_hasher(&self) -> DefaultHasher {
        let mut h = DefaultHasher::new();
        h.write_u64(self.k0);
        h.write_u64(self.k1);
        h
    }
}

/// Where a session's peer is: one of the server's sockets, a remote transport address and
/// the transport. The key of the route table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RouteKey {
    /// The index of the local socket in [`super::Config::sockets`].
    pub(crate) local: u16,
    /// UDP, or TCP for a passive ICE-TCP connection.
    pub(crate) transport: Transport,
    /// The peer's address.
    pub(crate) remote: SocketAddr,
}

/// The owner's sockets, found by the address a datagram arrived at.
#[derive(Debug, Clone)]
pub(crate) struct Locals {
    sockets: Vec<LocalSocket>,
}

impl Locals {
    pub(crate) fn new(sockets: Vec<LocalSocket>) -> Locals {
        Locals { sockets }
    }

    pub(crate) fn get(&self, i: u16) -> Option<&LocalSocket> {
        self.sockets.get(usize::from(i))
    }

    /// The socket `d` arrived at: its address exactly, else one bound to the unspecified
    /// address on the same port (a scan: a server has a few sockets).
    pub(crate) fn arrival(&self, d: &Datagram<'_>) -> Option<u16> {
        let same = |s: &LocalSocket| s.transport.is_stream() == d.proto.is_stream();
        let i = self
            .sockets
            .iter()
            .position(|s| same(s) && s.addr == d.destination)
            .or_else(|| {
                self.sockets.iter().position(|s| {
                    same(s)
                        && s.addr.ip().is_unspecified()
                        && s.addr.port() == d.destination.port()
                        && s.addr.is_ipv4() == d.destination.is_ipv4()
                })
            })?;
        u16::try_from(i).ok()
    }

    /// The route key of a datagram, when it arrived at one of the sockets.
    pub(crate) fn key(&self, d: &Datagram<'_>) -> Option<RouteKey> {
        let local = self.arrival(d)?;
        Some(RouteKey {
            local,
            transport: transport_class(d.proto),
            remote: d.source,
        })
    }
}

/// TLS is carried as TCP once decrypted: one class for the stream transports.
fn transport_class(t: Transport) -> Transport {
    if t.is_stream() {
        Transport::Tcp
    } else {
        Transport::Udp
    }
}

/// The two tables.
#[derive(Debug)]
pub(crate) struct Demux {
    ufrags: HashMap<Box<str>, SessionId, SeededState>,
    routes: HashMap<RouteKey, SessionId, SeededState>,
}

impl Demux {
    pub(crate) fn new(hash: SeededState) -> Demux {
        Demux {
            ufrags: HashMap::with_hasher(hash),
            routes: HashMap::with_hasher(hash),
        }
    }

    /// The session whose local ufrag is `ufrag`.
    pub(crate) fn by_ufrag(&self, ufrag: &str) -> Option<SessionId> {
        self.ufrags.get(ufrag).copied()
    }

    /// The session whose peer proved the path `key`.
    pub(crate) fn by_route(&self, key: &RouteKey) -> Option<SessionId> {
        self.routes.get(key).copied()
    }

    /// Whether `ufrag` is some session's.
    pub(crate) fn has_ufrag(&self, ufrag: &str) -> bool {
        self.ufrags.contains_key(ufrag)
    }

    pub(crate) fn add_ufrag(&mut self, ufrag: &str, id: SessionId) {
        self.ufrags.insert(ufrag.into(), id);
    }

    pub(crate) fn remove_ufrag(&mut self, ufrag: &str, id: SessionId) {
        if self.ufrags.get(ufrag) == Some(&id) {
            self.ufrags.remove(ufrag);
        }
    }

    /// Gives the path `key` to `id`; `Err` with its owner when another session has it.
    pub(crate) fn claim_route(&mut self, key: RouteKey, id: SessionId) -> Result<(), SessionId> {
        match self.routes.entry(key) {
            Entry::Occupied(e) if *e.get() != id => Err(*e.get()),
            Entry::Occupied(_) => Ok(()),
            Entry::Vacant(e) => {
                e.insert(id);
                Ok(())
            }
        }
    }

    /// Takes the path `key` from `id` (only if it is `id`'s).
    pub(crate) fn release_route(&mut self, key: &RouteKey, id: SessionId) {
        if self.routes.get(key) == Some(&id) {
            self.routes.remove(key);
        }
    }

    /// Paths routed.
    pub(crate) fn routes(&self) -> usize {
        self.routes.len()
    }
}

/// A check's USERNAME `receiver-ufrag:sender-ufrag` (RFC 8445 section 7.2.2) as `(local,
/// remote)`; `None` without a colon.
pub(crate) fn split_username(username: &str) -> Option<(&str, &str)> {
    username.split_once(':')
}
