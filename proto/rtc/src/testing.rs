//! Two peers wired back to back in memory, without a simulator: every socket bind is
//! granted at once and every datagram delivered at once, on a virtual clock. For the
//! crate's tests, the benchmarks and the fuzz targets that drive the data path by hand;
//! only with the `testing` feature (never in a normal build).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{Config, DtlsRole, Event, Peer, RemoteParameters};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_dtls::identity::Identity;

/// Two connected peers and where their sockets are.
pub struct Pair {
    pub now: Instant,
    pub peers: [Peer; 2],
    owners: HashMap<SocketAddr, usize>,
    next_port: u16,
    pub events: [Vec<Event>; 2],
}

impl Pair {
    /// Two peers (A controlling and DTLS client, B controlled and DTLS server) run until
    /// both are connected (SRTP keyed), starting at virtual time `now`; `None` if they do
    /// not within 10,000 steps (or a certificate cannot be made).
    #[must_use]
    pub fn connected(now: Instant, seed: u8) -> Option<Pair> {
        Pair::connected_with(now, seed, |_| {})
    }

    /// [`Pair::connected`] with both configurations changed by `configure` first.
    #[must_use]
    pub fn connected_with(now: Instant, seed: u8, configure: impl Fn(&mut Config)) -> Option<Pair> {
        let make = |ip: [u8; 4], ice, dtls, s: u8| -> Option<Peer> {
            let identity = Arc::new(Identity::generate().ok()?);
            let mut c = Config::new(ice, dtls, vec![IpAddr::from(ip)], identity);
            c.rng_seed = Some([s; 32]);
            configure(&mut c);
            Some(Peer::new(now, c))
        };
        let a = make(
            [10, 0, 0, 1],
            wren_ice::Role::Controlling,
            DtlsRole::Client,
            seed,
        )?;
        let b = make(
            [10, 0, 0, 2],
            wren_ice::Role::Controlled,
            DtlsRole::Server,
            seed.wrapping_add(1),
        )?;
        let mut pair = Pair {
            now,
            peers: [a, b],
            owners: HashMap::new(),
            next_port: 50_000,
            events: [Vec::new(), Vec::new()],
        };
        let remote = |p: &Peer| {
            let l = p.local_parameters();
            RemoteParameters {
                credentials: l.credentials,
                fingerprints: vec![l.fingerprint],
                dtls_role: l.dtls_role,
            }
        };
        let (ra, rb) = (remote(&pair.peers[0]), remote(&pair.peers[1]));
        pair.peers[0].set_remote(now, rb).ok()?;
        pair.peers[1].set_remote(now, ra).ok()?;
        for _ in 0..10_000 {
            pair.drain();
            let up = |e: &Vec<Event>| e.iter().any(|e| matches!(e, Event::Connected { .. }));
            if up(&pair.events[0]) && up(&pair.events[1]) {
                return Some(pair);
            }
            let next = pair.peers.iter().filter_map(Machine::poll_timeout).min();
            pair.now = next
                .unwrap_or(pair.now + Duration::from_millis(10))
                .max(pair.now);
            for p in &mut pair.peers {
                if p.poll_timeout().is_some_and(|t| t <= pair.now) {
                    p.handle_timeout(pair.now);
                }
            }
        }
        None
    }

    /// Delivers everything pending until nothing moves; trickles candidates.
    pub fn drain(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(req) = self.peers[i].poll_socket_request() {
                    moved = true;
                    if let SocketRequest::Bind {
                        addr, transport, ..
                    } = req
                    {
                        self.next_port += 1;
                        let bound = SocketAddr::new(addr.ip(), self.next_port);
                        self.owners.insert(bound, i);
                        self.peers[i].handle_socket_result(
                            now,
                            SocketResult::of_bind(addr, transport, Ok(bound)),
                        );
                    }
                }
                let mut buf = Vec::new();
                while let Some(t) = self.peers[i].poll_transmit(now, &mut buf) {
                    moved = true;
                    if let (Some(&j), Some(src)) = (self.owners.get(&t.destination), t.source) {
                        self.peers[j].handle_datagram(now, Datagram::udp(src, t.destination, &buf));
                    }
                    buf.clear();
                }
                while let Some(e) = self.peers[i].poll_event() {
                    moved = true;
                    if let Event::LocalCandidate(c) = &e {
                        let _ = self.peers[1 - i].add_remote_candidate(now, c.clone());
                    }
                    self.events[i].push(e);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Peer `i`'s socket address (its one host candidate's).
    #[must_use]
    pub fn address(&self, i: usize) -> Option<SocketAddr> {
        self.owners
            .iter()
            .find(|(_, owner)| **owner == i)
            .map(|(addr, _)| *addr)
    }

    /// Where a datagram written for `t` lands: the index of the peer owning it.
    pub fn owner(&self, addr: SocketAddr) -> Option<usize> {
        self.owners.get(&addr).copied()
    }
}
