//! The TURN server machine (RFC 8656, serving RFC 5766 clients too).
//!
//! [`Server`] answers Allocate, Refresh, CreatePermission and ChannelBind requests
//! (long-term credentials: static users or the TURN REST API secret), relays Send
//! indications and ChannelData to peers, and peers' datagrams back as Data indications or
//! ChannelData. It answers STUN Binding requests too, as coturn does.
//!
//! It owns no socket: for each relayed transport address it queues a
//! [`wren_core::SocketRequest::Bind`] and answers the Allocate once the driver reports the
//! socket bound ([`wren_core::Machine::handle_socket_result`]); when an allocation ends it
//! asks for the socket to be closed and the port returns to the pool. Datagrams from peers
//! arrive with `destination` = a relayed address; datagrams to peers leave with `source` =
//! the relayed address.
//!
//! Everything expires on the clock passed in: allocations (default 600 s, at most 3600 s),
//! permissions (300 s), channel bindings (600 s), nonces (600 s, at most 3600 s), EVEN-PORT
//! reservations (30 s). Refusals follow the RFC: 400, 401, 403 (peer address policy), 420,
//! 437, 438, 440, 441, 442, 443, 486, 508; none of them creates state.
//!
//! Hardened against hostile clients (issue 9), each part in its place:
//!
//! - nonces are bound to the client's 5-tuple and the realm, so a signed request replayed
//!   from elsewhere gets 438 (`auth.rs`, RFC 8656 section 21.2);
//! - a peer address is checked in every form it stands for (IPv4-mapped, IPv4-compatible,
//!   SIIT, NAT64, 6to4, Teredo: [`policy::Forms`]), and the relay's own listening addresses
//!   ([`Config::listening`]) are refused as peers, while relayed addresses stay reachable;
//! - permissions and channel bindings per allocation are capped ([`Config::max_permissions`],
//!   [`Config::max_channels`]; 508 past them) in tables with constant-time lookup
//!   (`permissions.rs`);
//! - `user_quota` counts REST usernames by their user part, and EVEN-PORT reservations count
//!   against the user and total quotas while held;
//! - a request of a method not served gets a bare 400, not a 401 challenge.
//!
//! Each refusal is counted in [`Stats`].

mod allocation;
mod auth;
mod config;
mod connections;
mod keys;
mod output;
mod permissions;
pub mod policy;
mod ports;
mod relay;
mod requests;
mod stats;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::demux::{TurnKind, classify_turn};
use wren_core::{Datagram, Deadlines, Machine, Rng, SocketRequest, SocketResult, Transmit};
use wren_stun::server::{self as stun, FingerprintPolicy};
use wren_stun::{Class, Key, Message, Method};

pub use allocation::{CHANNEL_LIFETIME, FiveTuple, PERMISSION_LIFETIME};
pub use auth::{AuthError, MAX_NONCE_LIFETIME, Refused, rest_password};
pub use config::{
    Config, ConfigError, DEFAULT_MAX_CHANNELS, DEFAULT_MAX_PERMISSIONS, ExternalIp, UserSecret,
};
pub use policy::{Forms, IpRange, PeerPolicy, Refusal};
pub use stats::Stats;

use allocation::Allocation;
use auth::Credentials;
use connections::{Connections, Heard};
use output::Output;
use ports::PortPool;
use requests::Pending;

/// Why an allocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// Its lifetime ran out.
    Expired,
    /// The client refreshed it with LIFETIME 0.
    Deallocated,
    /// Its TCP or TLS connection closed (RFC 8656 section 3.1: the allocation goes with
    /// it).
    ConnectionClosed,
}

/// What the server reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An allocation was created.
    Allocated {
        /// Its 5-tuple.
        five: FiveTuple,
        /// The authenticated user.
        user: String,
        /// The relayed addresses.
        relayed: Vec<SocketAddr>,
    },
    /// An allocation ended; its ports are back in the pool.
    Closed {
        /// Its 5-tuple.
        five: FiveTuple,
        /// Why.
        reason: CloseReason,
    },
    /// A signed request was refused (bad password, unknown user, expired REST username).
    AuthFailed {
        /// Who sent it.
        client: SocketAddr,
        /// Why.
        reason: Refused,
    },
}

/// A server timer, as [`Server::next_timer`] names it (for a driver's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// The allocation's lifetime runs out (RFC 8656 section 7: a Refresh extends it).
    Allocation(FiveTuple),
    /// A permission of the allocation, for this peer IP, expires (RFC 8656 section 9).
    Permission(FiveTuple, IpAddr),
    /// A channel binding of the allocation, by number, expires (RFC 8656 section 11).
    Channel(FiveTuple, u16),
    /// The port kept by an EVEN-PORT reservation returns to the pool (RFC 8656 section 7.2).
    Reservation(SocketAddr),
    /// A TCP or TLS connection that has not allocated is closed (coturn's
    /// `max-allocate-timeout`).
    Connection(FiveTuple),
}

/// A table slot as a timer key (a `u32`: a table never holds anywhere near 2^32 slots, and
/// small keys keep the timers' memory per allocation down).
fn slot_key(slot: usize) -> u32 {
    u32::try_from(slot).unwrap_or(u32::MAX)
}

/// Settings that stay as configured.
#[derive(Debug)]
struct Limits {
    default_lifetime: std::time::Duration,
    max_lifetime: std::time::Duration,
    reservation_lifetime: std::time::Duration,
    user_quota: u32,
    total_quota: u32,
    max_permissions: usize,
    max_channels: usize,
    /// The relay's own listening addresses, refused as peers.
    listening: Vec<SocketAddr>,
    max_bps: u64,
    software: Option<String>,
    fingerprint: bool,
    relay_ips: Vec<std::net::IpAddr>,
    external_ips: Vec<ExternalIp>,
}

impl Limits {
    /// The address to advertise for relayed address `relayed` (external-ip mapping).
    fn advertised(&self, relayed: SocketAddr) -> SocketAddr {
        let ip = relayed.ip();
        let mapped = self
            .external_ips
            .iter()
            .find(|e| e.private == Some(ip))
            .or_else(|| {
                self.external_ips
                    .iter()
                    .find(|e| e.private.is_none() && e.public.is_ipv4() == ip.is_ipv4())
            });
        mapped.map_or(relayed, |e| SocketAddr::new(e.public, relayed.port()))
    }
}

/// The hasher of the per-packet maps, keyed from the machine's generator.
type FastState = foldhash::fast::FixedState;

/// Allocations and their indexes.
#[derive(Debug)]
struct Table {
    slots: Vec<Option<Allocation>>,
    free: Vec<usize>,
    by_tuple: HashMap<FiveTuple, usize, FastState>,
    by_relayed: HashMap<keys::RelayedKey, usize, FastState>,
    /// Allocations per account (the name quotas count by, see `Allocation::account`).
    per_user: HashMap<String, u32>,
    /// One timer per allocation, by slot: the earliest of its lifetime, permissions and
    /// channel bindings. (A timer per permission and channel would name them directly, but
    /// measured 1,518 bytes per allocation in `tests/memory.rs` against 1,199 with this one;
    /// [`Server::next_timer`] names the deadline that is due instead.)
    timers: Deadlines<u32>,
}

impl Table {
    fn new(rng: &mut Rng) -> Table {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            by_tuple: HashMap::with_hasher(FastState::with_seed(rng.next_u64())),
            by_relayed: HashMap::with_hasher(FastState::with_seed(rng.next_u64())),
            per_user: HashMap::new(),
            timers: Deadlines::new(),
        }
    }

    fn get(&self, slot: usize) -> Option<&Allocation> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    fn get_mut(&mut self, slot: usize) -> Option<&mut Allocation> {
        self.slots.get_mut(slot).and_then(Option::as_mut)
    }

    fn insert(&mut self, a: Allocation) -> usize {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.by_tuple.insert(a.five, slot);
        for r in &a.relayed {
            self.by_relayed.insert(keys::RelayedKey(*r), slot);
        }
        *self.per_user.entry(a.account().to_owned()).or_insert(0) += 1;
        self.slots[slot] = Some(a);
        self.rearm(slot);
        slot
    }

    fn remove(&mut self, slot: usize) -> Option<Allocation> {
        let a = self.slots.get_mut(slot)?.take()?;
        self.timers.stop(&slot_key(slot));
        self.by_tuple.remove(&a.five);
        for r in &a.relayed {
            self.by_relayed.remove(&keys::RelayedKey(*r));
        }
        if let Some(n) = self.per_user.get_mut(a.account()) {
            *n -= 1;
            if *n == 0 {
                self.per_user.remove(a.account());
            }
        }
        self.free.push(slot);
        Some(a)
    }

    /// Re-arms the timer of `slot` after its lifetime, permissions or channels changed.
    fn rearm(&mut self, slot: usize) {
        if let Some(a) = self.slots.get(slot).and_then(Option::as_ref) {
            self.timers.set(slot_key(slot), a.next_deadline());
        }
    }

    /// Which deadline of the allocation in `slot` its timer stands for: the lifetime on a
    /// tie (it ends everything), then a permission, then a channel.
    fn name(&self, slot: usize) -> Option<Timer> {
        let a = self.get(slot)?;
        let five = a.five;
        let lifetime = std::iter::once((a.expires, 0, Timer::Allocation(five)));
        let permissions = a
            .permissions
            .iter()
            .map(|(ip, e)| (e, 1, Timer::Permission(five, ip)));
        let channels = a
            .channels
            .iter()
            .map(|c| (c.expires, 2, Timer::Channel(five, c.number)));
        lifetime
            .chain(permissions)
            .chain(channels)
            .min_by_key(|(at, rank, _)| (*at, *rank))
            .map(|(_, _, timer)| timer)
    }
}

/// The TURN server machine. See the module docs.
#[derive(Debug)]
pub struct Server {
    limits: Limits,
    creds: Credentials,
    policy: PeerPolicy,
    ports: PortPool,
    rng: Rng,
    table: Table,
    pending: Vec<Pending>,
    /// Relay addresses whose bind is in flight for an Allocate dropped with its
    /// connection: their port returns when the driver answers.
    orphaned: Vec<SocketAddr>,
    binding: stun::Server,
    out: Output,
    sockets: VecDeque<SocketRequest>,
    connections: Connections,
    events: VecDeque<Event>,
    stats: Stats,
    last_now: Instant,
}

/// Most events waiting to be polled.
const MAX_EVENTS: usize = 1024;

impl Server {
    /// A server with `config`; `now` anchors its clock (and `config.wall_clock` is the wall
    /// time at `now`).
    pub fn new(now: Instant, config: Config) -> Result<Server, ConfigError> {
        config.check()?;
        let mut rng = Rng::from_config(config.rng_seed);
        let mut users = HashMap::new();
        for (name, secret) in &config.users {
            let key = match secret {
                UserSecret::Key(k) => Key::from_bytes(k),
                UserSecret::Password(p) => Key::long_term(name, &config.realm, p)
                    .map_err(|_| ConfigError::Password(name.clone()))?,
            };
            users.insert(name.clone(), key);
        }
        let creds = Credentials {
            realm: config.realm.clone(),
            users,
            rest_secret: config.rest_secret.clone(),
            nonce_secret: rng.bytes(),
            nonce_lifetime: config.nonce_lifetime,
            anchor: now,
            wall: config.wall_clock,
        };
        let binding = stun::Server::new(stun::Config {
            software: config.software.clone(),
            fingerprint: if config.fingerprint {
                FingerprintPolicy::Always
            } else {
                FingerprintPolicy::Mirror
            },
            ..Default::default()
        })
        .unwrap_or_else(|_| unreachable!("a Binding server without users cannot fail"));
        let table = Table::new(&mut rng);
        Ok(Server {
            limits: Limits {
                default_lifetime: config.default_lifetime,
                max_lifetime: config.max_lifetime.max(config.default_lifetime),
                reservation_lifetime: config.reservation_lifetime,
                user_quota: config.user_quota,
                total_quota: config.total_quota,
                max_permissions: config.max_permissions,
                max_channels: config.max_channels,
                listening: config
                    .listening
                    .iter()
                    .map(|a| {
                        SocketAddr::new(
                            policy::Forms::of(a.ip()).iter().next().unwrap_or(a.ip()),
                            a.port(),
                        )
                    })
                    .collect(),
                max_bps: config.max_bps,
                software: config.software,
                fingerprint: config.fingerprint,
                relay_ips: config.relay_ips.clone(),
                external_ips: config.external_ips.clone(),
            },
            creds,
            policy: config.peer_policy,
            ports: PortPool::new(&config.relay_ips, config.min_port, config.max_port),
            rng,
            table,
            pending: Vec::new(),
            orphaned: Vec::new(),
            binding,
            out: Output::new(config.queue_capacity),
            sockets: VecDeque::new(),
            connections: Connections::new(config.max_allocate_timeout),
            events: VecDeque::new(),
            stats: Stats::default(),
            last_now: now,
        })
    }

    /// Counters, with the current numbers of allocations, permissions and channels.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.allocations = self.table.by_tuple.len() as u64;
        s.connections_waiting = self.connections.len() as u64;
        let live = self.table.slots.iter().flatten();
        s.permissions = live.clone().map(|a| a.permissions.len() as u64).sum();
        s.channels = live.map(|a| a.channels.len() as u64).sum();
        s
    }

    /// Counters of the Binding requests answered on the TURN port.
    #[must_use]
    pub fn binding_stats(&self) -> wren_stun::server::Stats {
        self.binding.stats()
    }

    /// Relay ports in use (allocations, pending allocations and reservations).
    #[must_use]
    pub fn ports_in_use(&self) -> usize {
        self.ports.taken_count()
    }

    /// The timer that fires next and when: what [`Machine::poll_timeout`] reports, with its
    /// name (for a driver's log).
    #[must_use]
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        let slot = self
            .table
            .timers
            .next()
            .and_then(|(at, slot)| Some((at, self.table.name(slot as usize)?)));
        let reservation = self
            .ports
            .next_timer()
            .map(|(at, addr)| (at, Timer::Reservation(addr)));
        let connection = self
            .connections
            .next()
            .map(|(at, five)| (at, Timer::Connection(five)));
        [slot, reservation, connection]
            .into_iter()
            .flatten()
            .min_by_key(|(at, _)| *at)
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }

    fn event(&mut self, e: Event) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(e);
        }
    }

    fn stun_from_client(&mut self, now: Instant, d: Datagram<'_>) {
        let Ok(msg) = Message::parse(d.payload) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
            self.stats.dropped_malformed += 1;
            return;
        }
        let five = FiveTuple {
            client: d.source,
            server: d.destination,
            transport: d.proto,
        };
        match (msg.class(), msg.method()) {
            (_, Method::BINDING) => {
                self.binding.handle_datagram(now, d);
                let mut buf = self.out.buffer();
                match self.binding.poll_transmit(now, &mut buf) {
                    Some(t) => {
                        if !self.out.push(t, buf) {
                            self.stats.dropped_queue_full += 1;
                        }
                    }
                    None => self.out.recycle(buf),
                }
            }
            (Class::Indication, Method::SEND) => self.send_indication(now, five, &msg),
            (Class::Request, _) => self.request(now, five, &msg),
            _ => self.stats.dropped_malformed += 1,
        }
    }

    /// Whether the relay may send to `peer`: the peer policy on every form of its address
    /// ([`PeerPolicy::check`]), then none of the relay's own listening addresses.
    fn peer_allowed(&self, peer: SocketAddr) -> Result<(), Refusal> {
        self.policy.check(peer.ip())?;
        if self.is_own_address(peer) {
            return Err(Refusal::OwnAddress);
        }
        Ok(())
    }

    /// Whether `peer`, in any of its forms, is one of the relay's listening addresses.
    fn is_own_address(&self, peer: SocketAddr) -> bool {
        !self.limits.listening.is_empty()
            && policy::Forms::of(peer.ip()).iter().any(|ip| {
                self.limits
                    .listening
                    .contains(&SocketAddr::new(ip, peer.port()))
            })
    }

    /// A datagram came on a stream connection: one without an allocation has
    /// [`Config::max_allocate_timeout`] to make one. Out of line: UDP, the packet path,
    /// never comes here.
    #[cold]
    #[inline(never)]
    fn stream_datagram(&mut self, now: Instant, d: &Datagram<'_>) {
        let five = FiveTuple {
            client: d.source,
            server: d.destination,
            transport: d.proto,
        };
        if !self.table.by_tuple.contains_key(&five) {
            self.stream_heard(now, five);
        }
    }

    /// Something arrived on stream 5-tuple `five`, which holds no allocation: it has
    /// [`Config::max_allocate_timeout`] to allocate.
    fn stream_heard(&mut self, now: Instant, five: FiveTuple) {
        if self.connections.heard(five, now) == Heard::Full {
            self.stats.connections_refused += 1;
            self.disconnect(five);
        }
    }

    /// Asks the driver to close `five`'s connection.
    fn disconnect(&mut self, five: FiveTuple) {
        self.sockets.push_back(SocketRequest::Disconnect {
            local: five.server,
            remote: five.client,
            transport: five.transport,
        });
    }

    /// The driver reports `five`'s connection gone: its allocation, or the Allocate still
    /// waiting for relay sockets, goes with it (RFC 8656 section 3.1). Nothing is ever sent
    /// to that 5-tuple again, so the relay never dials a client.
    fn connection_closed(&mut self, five: FiveTuple) {
        if !five.transport.is_stream() {
            return;
        }
        self.connections.gone(&five);
        if let Some(&slot) = self.table.by_tuple.get(&five) {
            self.delete(slot, CloseReason::ConnectionClosed);
        }
        self.abandon_pending(&five);
    }

    /// Removes an allocation, closes its sockets and returns its ports.
    fn delete(&mut self, slot: usize, reason: CloseReason) {
        let Some(a) = self.table.remove(slot) else {
            return;
        };
        for r in &a.relayed {
            self.ports.release(*r);
            self.sockets.push_back(SocketRequest::Close {
                addr: *r,
                transport: wren_core::Transport::Udp,
            });
        }
        match reason {
            CloseReason::Expired => self.stats.allocations_expired += 1,
            CloseReason::ConnectionClosed => self.stats.allocations_disconnected += 1,
            CloseReason::Deallocated => {}
        }
        if reason != CloseReason::ConnectionClosed {
            // The connection outlives its allocation: it has to allocate again in time.
            self.stream_heard(self.last_now, a.five);
        }
        self.event(Event::Closed {
            five: a.five,
            reason,
        });
    }
}

impl Machine for Server {
    type Event = Event;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let now = self.clamp(now);
        if let Some(&slot) = self.table.by_relayed.get(&keys::RelayedKey(d.destination)) {
            self.relay_from_peer(now, slot, d);
            return;
        }
        if d.proto.is_stream() {
            self.stream_datagram(now, &d);
        }
        match classify_turn(d.payload) {
            Some(TurnKind::Stun) => self.stun_from_client(now, d),
            Some(TurnKind::ChannelData) => self.channel_data_from_client(now, d),
            None => self.stats.dropped_malformed += 1,
        }
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        while let Some((_, key)) = self.table.timers.pop_expired(now) {
            let slot = key as usize;
            let Some(a) = self.table.get_mut(slot) else {
                continue;
            };
            if a.expires <= now {
                self.delete(slot, CloseReason::Expired);
            } else {
                // Re-armed after every deadline up to `now` is gone: it does not come back
                // in this loop.
                a.expire(now);
                self.table.rearm(slot);
            }
        }
        self.ports.expire(now);
        while let Some(five) = self.connections.pop_expired(now) {
            self.stats.connections_timed_out += 1;
            self.disconnect(five);
        }
    }

    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.out.pop_into(buf)
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let t = self.table.timers.next_deadline();
        [
            t,
            self.ports.next_deadline(),
            self.connections.next_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn describe_timer(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.next_timer() {
            Some((_, timer)) => write!(f, "{timer:?}"),
            None => Ok(()),
        }
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.sockets.pop_front()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        match result {
            SocketResult::Disconnected {
                local,
                remote,
                transport,
            } => self.connection_closed(FiveTuple {
                client: remote,
                server: local,
                transport,
            }),
            result => self.relayed_socket_answered(now, result),
        }
    }
}
