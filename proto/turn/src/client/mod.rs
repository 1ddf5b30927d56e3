//! A TURN client (RFC 8656 sections 7 to 12, RFC 5766 servers included) as a sans-IO
//! machine: [`Client`].
//!
//! The client keeps one allocation on one server:
//!
//! - [`Client::allocate`] sends Allocate (REQUESTED-TRANSPORT UDP, LIFETIME, and
//!   REQUESTED-ADDRESS-FAMILY when configured) through a [`wren_stun::client::Client`] with
//!   [`Auth::LongTerm`], so the 401 challenge, the 438 (Stale Nonce) retry, the nonce cookie
//!   and the password algorithms are the STUN client's, not redone here. A 300 (Try
//!   Alternate) is followed by the STUN client too; the TURN client then talks to the
//!   alternate for everything after ([`Event::Redirected`], [`Client::server`]).
//!   Success gives [`Event::Allocated`] with XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS and
//!   LIFETIME.
//! - The allocation is refreshed before it expires (section 8): at `lifetime - margin`
//!   after the previous Allocate or Refresh was started ([`Config::refresh_margin`],
//!   default 60 s; a lifetime under twice the margin is refreshed at its half), counted
//!   from when the request was *started*, so the client's notion of expiry is never later
//!   than the server's.
//! - Permissions (section 9) are kept for the peer IP addresses the application wants
//!   ([`Client::add_permission`], or implicitly by sending or binding a channel), one
//!   CreatePermission each, refreshed 300 s - margin after each success was started, until
//!   [`Client::remove_permission`].
//! - Channels (section 12) are bound by [`Client::bind_channel`], or **automatically
//!   the first time data is sent to a peer** when [`Config::auto_channel`] is on
//!   (the default), and refreshed 600 s - margin after each success was started. A channel
//!   needs a permission, so binding one also adds a permission for the peer's address.
//! - Data to a peer ([`Client::send`], [`Client::send_into`]) waits (bounded) until
//!   the peer's permission is installed, then leaves as ChannelData when a channel is bound
//!   (padded to four bytes over TCP, section 12.5), as a Send indication (XOR-PEER-ADDRESS,
//!   DATA, DONT-FRAGMENT when configured) otherwise. Data indications and ChannelData from
//!   the server become [`Event::Data`]; a Data indication from a peer without a
//!   permission, ChannelData on an unknown channel, or anything not from the server is
//!   counted and dropped (section 11.6).
//! - [`Client::close`] deallocates (Refresh with LIFETIME 0), then [`Event::Closed`]
//!   with [`CloseReason::Requested`].
//!
//! Every failure is a [`TurnFailure`]: an allocation-level one (the Allocate or a Refresh
//! failed, a 437 to anything, the lifetime ran out) ends the client with
//! [`Event::Closed`] and [`CloseReason::Failed`]; a per-peer one is
//! [`Event::PermissionFailed`] or [`Event::ChannelFailed`] and the allocation goes on.
//!
//! # Sending without allocating
//!
//! [`Client::send`] copies the data into a bounded queue whose buffers are reused, and
//! [`Client::poll_transmit`] writes the framing and the data into the caller's buffer:
//! in steady state nothing is allocated. [`Client::send_into`] skips the queue when the
//! peer is ready and nothing waits for it: it writes the ChannelData or Send indication
//! straight into the caller's buffer and returns the [`Transmit`].
//!
//! The run loop is the one of every Wren machine; the crate docs show it for this client.

mod peers;
mod types;

#[cfg(test)]
mod tests;

pub use types::{
    CHANNEL_LIFETIME, CloseReason, Command, Config, Error, Event, MAX_DATA_LEN,
    PERMISSION_LIFETIME, Request, Stats, TurnFailure,
};

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::demux::{TurnKind, classify_turn};
use wren_core::{Datagram, Machine, Rng, TimerKind, TimerTable, Transmit};
use wren_stun::attr::{
    self, DontFragment, Lifetime, RequestedAddressFamily, RequestedTransport, XorPeerAddress,
    XorRelayedAddress,
};
use wren_stun::client::{self as stun, Auth};
use wren_stun::{Class, Message, MessageType, MessageWriter, Method, TransactionId};

use crate::ChannelNumber;
use crate::wire::ChannelData;
use peers::{Channel, Outgoing, Peers, Permission, Refresh};

/// The allocation's timers (a fixed set); per-peer refreshes live in [`Peers::refresh`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AllocationTimer {
    /// Time to send a Refresh.
    Refresh,
    /// The allocation's lifetime runs out.
    Expiry,
}

impl TimerKind for AllocationTimer {
    const ALL: &'static [AllocationTimer] = &[AllocationTimer::Refresh, AllocationTimer::Expiry];
    fn index(self) -> usize {
        self as usize
    }
}

/// A client timer, as [`Client::next_timer`] names it (for a driver's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timer {
    /// A request's retransmission or timeout (the STUN transaction carrying it).
    Request(stun::Timer),
    /// Time to refresh the allocation (RFC 8656 section 7.3).
    Refresh,
    /// The allocation's lifetime runs out.
    Expiry,
    /// Time to refresh the permission for this peer IP (RFC 8656 section 9).
    PermissionRefresh(IpAddr),
    /// Time to refresh the channel binding to this peer (RFC 8656 section 11).
    ChannelRefresh(SocketAddr),
}

/// What a request in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Allocate,
    Refresh,
    Deallocate,
    Permission(IpAddr),
    Channel(SocketAddr, ChannelNumber),
}

impl PendingKind {
    fn request(self) -> Request {
        match self {
            PendingKind::Allocate => Request::Allocate,
            PendingKind::Refresh => Request::Refresh,
            PendingKind::Deallocate => Request::Deallocate,
            PendingKind::Permission(_) => Request::CreatePermission,
            PendingKind::Channel(..) => Request::ChannelBind,
        }
    }

    fn method(self) -> Method {
        match self {
            PendingKind::Allocate => Method::ALLOCATE,
            PendingKind::Refresh | PendingKind::Deallocate => Method::REFRESH,
            PendingKind::Permission(_) => Method::CREATE_PERMISSION,
            PendingKind::Channel(..) => Method::CHANNEL_BIND,
        }
    }

    fn peer_ip(self) -> Option<IpAddr> {
        match self {
            PendingKind::Permission(ip) => Some(ip),
            PendingKind::Channel(peer, _) => Some(peer.ip()),
            _ => None,
        }
    }
}

/// A request in flight.
#[derive(Debug, Clone, Copy)]
struct Pending {
    kind: PendingKind,
    /// When it was started: lifetimes granted are counted from here.
    started: Instant,
}

/// What the server granted.
#[derive(Debug, Clone, Copy)]
struct Allocation {
    relayed: SocketAddr,
    mapped: Option<SocketAddr>,
    lifetime: Duration,
    /// A Refresh is in flight.
    refreshing: bool,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// [`Client::allocate`] not called yet.
    Idle,
    /// The Allocate is in flight; `close_after` when the application closed meanwhile.
    Allocating {
        close_after: bool,
    },
    Allocated(Allocation),
    /// The deallocating Refresh is in flight.
    Closing,
    Closed,
}

/// The TURN client machine. See the module docs.
#[derive(Debug)]
pub struct Client {
    config: Config,
    /// The server now (the configured one, or the alternate it redirected to).
    server: SocketAddr,
    /// Runs the requests: retransmissions, long-term credentials, ALTERNATE-SERVER.
    stun: stun::Client,
    /// For the transaction IDs of Send indications.
    rng: Rng,
    state: State,
    pending: HashMap<TransactionId, Pending>,
    peers: Peers,
    outgoing: Outgoing,
    timers: TimerTable<AllocationTimer, 2>,
    events: VecDeque<Event>,
    stats: Stats,
    last_now: Instant,
}

/// When to refresh something granted for `lifetime`: `margin` before it ends, or at half
/// of it when the lifetime is shorter than twice the margin.
fn refresh_after(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin).max(lifetime / 2)
}

impl Client {
    /// A client for `config`; `now` anchors its clock. Nothing is sent before
    /// [`Client::allocate`].
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Client {
        let mut rng = Rng::from_config(config.rng_seed);
        let max_transactions = config
            .max_permissions
            .saturating_add(config.max_channels)
            .saturating_add(8);
        let stun = stun::Client::new(
            now,
            stun::Config {
                rto: config.rto,
                software: config.software.clone(),
                fingerprint: config.fingerprint,
                max_transactions,
                // Drained after every call, so it never holds more than the transactions.
                max_events: max_transactions.saturating_mul(2),
                rng_seed: Some(rng.bytes()),
                ..stun::Config::default()
            },
        );
        Client {
            server: config.server,
            stun,
            rng,
            state: State::Idle,
            pending: HashMap::new(),
            peers: Peers::default(),
            outgoing: Outgoing::new(config.max_queued),
            timers: TimerTable::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            last_now: now,
            config,
        }
    }

    /// The timer that fires next and when: what [`Machine::poll_timeout`] reports, with its
    /// name (for a driver's log).
    #[must_use]
    pub fn next_timer(&self) -> Option<(Instant, Timer)> {
        let stun = self
            .stun
            .next_timer()
            .map(|(at, t)| (at, Timer::Request(t)));
        match self.state {
            State::Closed => None,
            State::Allocated(_) => {
                let allocation = self.timers.next().map(|(at, t)| match t {
                    AllocationTimer::Refresh => (at, Timer::Refresh),
                    AllocationTimer::Expiry => (at, Timer::Expiry),
                });
                let peer = self.peers.refresh.next().map(|(at, r)| match r {
                    Refresh::Permission(ip) => (at, Timer::PermissionRefresh(ip)),
                    Refresh::Channel(peer) => (at, Timer::ChannelRefresh(peer)),
                });
                [stun, allocation, peer]
                    .into_iter()
                    .flatten()
                    .min_by_key(|(at, _)| *at)
            }
            _ => stun,
        }
    }

    /// The server the client talks to: the configured one, or the alternate an
    /// ALTERNATE-SERVER sent it to.
    #[must_use]
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The relayed transport address, once allocated.
    #[must_use]
    pub fn relayed(&self) -> Option<SocketAddr> {
        match self.state {
            State::Allocated(a) => Some(a.relayed),
            _ => None,
        }
    }

    /// The mapped (server-reflexive) address the server reported, once allocated.
    #[must_use]
    pub fn mapped(&self) -> Option<SocketAddr> {
        match self.state {
            State::Allocated(a) => a.mapped,
            _ => None,
        }
    }

    /// The lifetime the server granted last, once allocated.
    #[must_use]
    pub fn lifetime(&self) -> Option<Duration> {
        match self.state {
            State::Allocated(a) => Some(a.lifetime),
            _ => None,
        }
    }

    /// Whether the client is closed (after [`Event::Closed`] was queued).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether a permission for `ip` is installed.
    #[must_use]
    pub fn has_permission(&self, ip: IpAddr) -> bool {
        self.peers
            .permissions
            .get(&ip)
            .is_some_and(|p| p.installed_until.is_some())
    }

    /// The channel bound to `peer`, if one is.
    #[must_use]
    pub fn channel(&self, peer: SocketAddr) -> Option<ChannelNumber> {
        self.peers
            .channels
            .get(&peer)
            .filter(|c| c.is_bound())
            .map(|c| c.number)
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        Stats {
            stun: self.stun.stats(),
            ..self.stats
        }
    }

    /// Sends the Allocate request.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyAllocating`] when called before, [`Error::Closed`] after
    /// [`Client::close`].
    pub fn allocate(&mut self, now: Instant) -> Result<(), Error> {
        let now = self.clamp(now);
        match self.state {
            State::Idle => {}
            State::Closing | State::Closed | State::Allocating { close_after: true } => {
                return Err(Error::Closed);
            }
            State::Allocating { .. } | State::Allocated(_) => {
                return Err(Error::AlreadyAllocating);
            }
        }
        self.start(now, PendingKind::Allocate)?;
        self.state = State::Allocating { close_after: false };
        Ok(())
    }

    /// Asks for a permission for peers at `ip`, kept (refreshed) until
    /// [`Client::remove_permission`]. Before the allocation exists it is requested as
    /// soon as it does. [`Event::PermissionCreated`] or [`Event::PermissionFailed`] follows.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyPermissions`], [`Error::Closed`].
    pub fn add_permission(&mut self, now: Instant, ip: IpAddr) -> Result<(), Error> {
        let now = self.clamp(now);
        self.check_open()?;
        self.want_permission(now, ip)
    }

    /// Stops keeping the permission for `ip` (it expires at the server within 300 s), the
    /// channels to peers at `ip`, and drops the data waiting for them.
    ///
    /// # Errors
    ///
    /// [`Error::Closed`].
    pub fn remove_permission(&mut self, now: Instant, ip: IpAddr) -> Result<(), Error> {
        self.clamp(now);
        self.check_open()?;
        if let Some(p) = self.peers.remove_permission(ip) {
            self.cancel(p.in_flight);
        }
        for id in self.peers.remove_channels_of(ip) {
            self.cancel(Some(id));
        }
        self.stats.dropped_no_permission += self.outgoing.drop_ip(ip) as u64;
        Ok(())
    }

    /// Binds a channel to `peer` (and asks for a permission for its address), kept
    /// (refreshed) until the permission is removed. [`Event::ChannelBound`] or
    /// [`Event::ChannelFailed`] follows. A channel that failed is tried again.
    ///
    /// # Errors
    ///
    /// [`Error::TooManyChannels`], [`Error::TooManyPermissions`],
    /// [`Error::Closed`].
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<(), Error> {
        let now = self.clamp(now);
        self.check_open()?;
        self.want_channel(now, peer)
    }

    /// Queues `data` for `peer`; [`Client::poll_transmit`] sends it once the peer's
    /// permission is installed, as ChannelData when a channel is bound, as a Send
    /// indication otherwise. A new peer gets a permission and (with
    /// [`Config::auto_channel`]) a channel. When
    /// [`Config::max_queued`] datagrams wait already, the data is dropped and
    /// counted.
    ///
    /// # Errors
    ///
    /// [`Error::TooLong`], [`Error::TooManyPermissions`], [`Error::Closed`].
    pub fn send(&mut self, now: Instant, peer: SocketAddr, data: &[u8]) -> Result<(), Error> {
        let now = self.clamp(now);
        self.check_send(data)?;
        self.want_peer(now, peer)?;
        self.enqueue(peer, data);
        Ok(())
    }

    /// As [`Client::send`], but when the peer is ready and nothing waits for it, writes
    /// the message straight into `buf` (appending, allocating nothing when `buf` has room)
    /// and returns where it goes; otherwise queues it and returns `None`, and it comes out
    /// of [`Client::poll_transmit`].
    ///
    /// # Errors
    ///
    /// As [`Client::send`].
    pub fn send_into(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, Error> {
        let now = self.clamp(now);
        self.check_send(data)?;
        self.want_peer(now, peer)?;
        if matches!(self.state, State::Allocated(_))
            && self.peers.ready(peer)
            && !self.outgoing.has(peer)
        {
            return Ok(self.write_data(peer, data, buf));
        }
        self.enqueue(peer, data);
        Ok(None)
    }

    /// The one-lookup half of [`Client::send_into`], for a peer whose channel is bound
    /// and for whom nothing waits: writes the ChannelData message carrying `data` (padded
    /// to four bytes over TCP, RFC 8656 section 12.5) into `buf` and returns where it goes.
    /// `None`, with nothing written, in every other case: call [`Client::send_into`],
    /// which takes them all. The data path of a relayed ICE pair calls this per packet.
    pub fn send_channel_into(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
        buf: &mut Vec<u8>,
    ) -> Option<Transmit> {
        self.clamp(now);
        if !matches!(self.state, State::Allocated(_)) || data.len() > MAX_DATA_LEN {
            return None;
        }
        let number = self
            .peers
            .channels
            .get(&peer)
            .filter(|c| c.is_bound())?
            .number;
        if self.outgoing.has(peer) {
            return None;
        }
        let start = buf.len();
        let pad = self.config.transport.is_stream();
        if ChannelData::write(buf, number, data, pad).is_err() {
            buf.truncate(start);
            return None;
        }
        self.stats.channel_data_sent += 1;
        Some(Transmit::new(
            self.config.transport,
            self.config.local,
            self.server,
        ))
    }

    /// The peer and payload of relayed data from the server, borrowed from `d` without a
    /// copy: the data of a ChannelData message on a bound channel (RFC 8656 section 12.6),
    /// or the DATA attribute of a Data indication from a peer with a permission (section
    /// 11.6). Counted as received. `None` for anything else (a response, garbage, data for
    /// an unknown channel or peer): give it to [`Machine::handle_datagram`], which handles
    /// or counts it. This is the receive half of the data path: the bytes never enter the
    /// event queue.
    #[must_use]
    pub fn peer_data<'a>(&mut self, d: &Datagram<'a>) -> Option<(SocketAddr, &'a [u8])> {
        if d.source != self.server || !matches!(self.state, State::Allocated(_)) {
            return None;
        }
        let payload: &'a [u8] = d.payload;
        let (peer, data) = match classify_turn(payload)? {
            TurnKind::ChannelData => {
                let cd = ChannelData::parse(payload).ok()?;
                (*self.peers.by_number.get(&cd.channel.get())?, cd.data)
            }
            TurnKind::Stun => {
                let msg = Message::parse(payload).ok()?;
                if msg.class() != Class::Indication || msg.method() != Method::DATA {
                    return None;
                }
                if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
                    return None;
                }
                let (Ok(Some(XorPeerAddress(peer))), Ok(Some(attr::Data(data)))) =
                    (msg.get::<XorPeerAddress>(), msg.get::<attr::Data<'a>>())
                else {
                    return None;
                };
                if !self.peers.permissions.contains_key(&peer.ip()) {
                    return None;
                }
                (peer, data)
            }
        };
        self.stats.data_received += 1;
        Some((peer, data))
    }

    /// Deallocates (a Refresh with LIFETIME 0) and ends with [`Event::Closed`]
    /// ([`CloseReason::Requested`]) when the server answers or the request times out. Data
    /// waiting is dropped; permissions and channels are forgotten. Closing a client that is
    /// closing or closed does nothing. While the Allocate is in flight, its outcome is
    /// awaited and a granted allocation deallocated at once.
    pub fn close(&mut self, now: Instant) {
        let now = self.clamp(now);
        match self.state {
            State::Idle => self.finish(CloseReason::Requested),
            State::Allocating { .. } => {
                self.forget_peers();
                self.state = State::Allocating { close_after: true };
            }
            State::Allocated(_) => self.deallocate(now),
            State::Closing | State::Closed => {}
        }
    }

    // -----------------------------------------------------------------------------------
    // Requests.

    /// Starts a request of `kind` through the STUN client.
    fn start(&mut self, now: Instant, kind: PendingKind) -> Result<TransactionId, Error> {
        let auth = Auth::LongTerm {
            username: self.config.username.clone(),
            password: self.config.password.clone(),
        };
        let (lifetime, family) = (self.config.lifetime, self.config.address_family);
        let id = self.stun.request(
            now,
            self.config.transport,
            self.config.local,
            self.server,
            kind.method(),
            auth,
            |w| {
                match kind {
                    PendingKind::Allocate => {
                        w.add(&RequestedTransport::UDP)?;
                        w.add(&Lifetime(lifetime))?;
                        if let Some(f) = family {
                            w.add(&RequestedAddressFamily(f))?;
                        }
                    }
                    PendingKind::Refresh => w.add(&Lifetime(lifetime))?,
                    PendingKind::Deallocate => w.add(&Lifetime(Duration::ZERO))?,
                    PendingKind::Permission(ip) => {
                        w.add(&XorPeerAddress(SocketAddr::new(ip, 0)))?
                    }
                    PendingKind::Channel(peer, number) => {
                        w.add(&attr::ChannelNumber(number.get()))?;
                        w.add(&XorPeerAddress(peer))?;
                    }
                }
                Ok(())
            },
        )?;
        self.pending.insert(id, Pending { kind, started: now });
        Ok(id)
    }

    /// Forgets a request in flight.
    fn cancel(&mut self, id: Option<TransactionId>) {
        if let Some(id) = id {
            self.stun.cancel(id);
            self.pending.remove(&id);
        }
    }

    /// Sends CreatePermission for `ip` (a first one or a refresh).
    fn request_permission(&mut self, now: Instant, ip: IpAddr) {
        let Some(p) = self.peers.permissions.get_mut(&ip) else {
            return;
        };
        if p.in_flight.is_some() {
            return;
        }
        self.peers.refresh.stop(&Refresh::Permission(ip));
        match self.start(now, PendingKind::Permission(ip)) {
            Ok(id) => {
                if let Some(p) = self.peers.permissions.get_mut(&ip) {
                    p.in_flight = Some(id);
                }
            }
            Err(_) => self.permission_failed(ip, TurnFailure::TooManyRequests),
        }
    }

    /// Sends ChannelBind for `peer` (a first one or a refresh).
    fn request_channel(&mut self, now: Instant, peer: SocketAddr) {
        let Some(c) = self.peers.channels.get_mut(&peer) else {
            return;
        };
        if c.in_flight.is_some() || c.failed {
            return;
        }
        let number = c.number;
        self.peers.refresh.stop(&Refresh::Channel(peer));
        self.peers.by_number.insert(number.get(), peer);
        match self.start(now, PendingKind::Channel(peer, number)) {
            Ok(id) => {
                if let Some(c) = self.peers.channels.get_mut(&peer) {
                    c.in_flight = Some(id);
                }
            }
            Err(_) => self.channel_failed(peer, TurnFailure::TooManyRequests),
        }
    }

    /// Sends the Refresh with LIFETIME 0 and forgets everything else.
    fn deallocate(&mut self, now: Instant) {
        self.cancel_all();
        self.forget_peers();
        self.timers = TimerTable::new();
        self.state = State::Closing;
        if self.start(now, PendingKind::Deallocate).is_err() {
            self.finish(CloseReason::Requested);
        }
    }

    /// Requests the permissions and channels wanted before the allocation existed.
    fn request_wanted(&mut self, now: Instant) {
        let mut ips: Vec<IpAddr> = self.peers.permissions.keys().copied().collect();
        ips.sort_unstable();
        for ip in ips {
            self.request_permission(now, ip);
        }
        let mut peers: Vec<SocketAddr> = self.peers.channels.keys().copied().collect();
        peers.sort_unstable();
        for peer in peers {
            self.request_channel(now, peer);
        }
    }

    // -----------------------------------------------------------------------------------
    // Outcomes.

    fn process_stun_events(&mut self, now: Instant) {
        while let Some(e) = self.stun.poll_event() {
            self.handle_stun_event(now, e);
        }
    }

    fn handle_stun_event(&mut self, now: Instant, e: stun::Event) {
        match e {
            stun::Event::Redirected { id, from, to } => {
                let allocating = matches!(self.state, State::Allocating { .. });
                let is_allocate = self
                    .pending
                    .get(&id)
                    .is_some_and(|p| p.kind == PendingKind::Allocate);
                if allocating && is_allocate {
                    tracing::debug!(%from, %to, "TURN server redirected the Allocate");
                    self.server = to;
                    self.push_event(Event::Redirected { from, to });
                }
            }
            stun::Event::Success {
                id,
                mapped,
                response,
                ..
            } => {
                if let Some(p) = self.pending.remove(&id) {
                    self.transaction_succeeded(now, id, p, mapped, &response);
                }
            }
            stun::Event::ErrorResponse {
                id, code, reason, ..
            } => {
                if let Some(p) = self.pending.remove(&id) {
                    let failure = TurnFailure::from_code(code, &reason, p.kind.peer_ip());
                    self.transaction_failed(now, id, p, failure);
                }
            }
            stun::Event::Failed { id, reason, .. } => {
                if let Some(p) = self.pending.remove(&id) {
                    let failure = TurnFailure::from_transaction(reason, p.kind.request());
                    self.transaction_failed(now, id, p, failure);
                }
            }
            _ => {}
        }
    }

    fn transaction_succeeded(
        &mut self,
        now: Instant,
        id: TransactionId,
        p: Pending,
        mapped: Option<SocketAddr>,
        response: &[u8],
    ) {
        let margin = self.config.refresh_margin;
        let granted = |request| -> Result<Option<Duration>, TurnFailure> {
            let msg =
                Message::parse(response).map_err(|_| TurnFailure::MalformedResponse { request })?;
            Ok(msg.get::<Lifetime>().ok().flatten().map(|l| l.0))
        };
        match p.kind {
            PendingKind::Allocate => {
                let State::Allocating { close_after } = self.state else {
                    return;
                };
                let relayed = Message::parse(response)
                    .ok()
                    .and_then(|m| m.get::<XorRelayedAddress>().ok().flatten());
                let lifetime = granted(Request::Allocate)
                    .map(|l| l.unwrap_or(self.config.lifetime))
                    .ok()
                    .filter(|l| !l.is_zero());
                let (Some(XorRelayedAddress(relayed)), Some(lifetime)) = (relayed, lifetime) else {
                    let request = Request::Allocate;
                    self.finish(CloseReason::Failed(TurnFailure::MalformedResponse {
                        request,
                    }));
                    return;
                };
                self.state = State::Allocated(Allocation {
                    relayed,
                    mapped,
                    lifetime,
                    refreshing: false,
                });
                self.schedule_refresh(p.started, lifetime);
                self.push_event(Event::Allocated {
                    relayed,
                    mapped,
                    lifetime,
                });
                if close_after {
                    self.deallocate(now);
                } else {
                    self.request_wanted(now);
                }
            }
            PendingKind::Refresh => {
                let lifetime = granted(Request::Refresh).map(|l| l.unwrap_or(self.config.lifetime));
                let State::Allocated(a) = &mut self.state else {
                    return;
                };
                a.refreshing = false;
                match lifetime {
                    Ok(l) if !l.is_zero() => {
                        a.lifetime = l;
                        self.schedule_refresh(p.started, l);
                        self.push_event(Event::Refreshed { lifetime: l });
                    }
                    // A Refresh granted no time: the server ended the allocation.
                    Ok(_) => self.finish(CloseReason::Failed(TurnFailure::Expired)),
                    Err(f) => self.finish(CloseReason::Failed(f)),
                }
            }
            PendingKind::Deallocate => self.finish(CloseReason::Requested),
            PendingKind::Permission(ip) => {
                let Some(perm) = self.peers.permissions.get_mut(&ip) else {
                    return;
                };
                if perm.in_flight != Some(id) {
                    return;
                }
                let first = perm.installed_until.is_none();
                perm.in_flight = None;
                perm.installed_until = Some(p.started + PERMISSION_LIFETIME);
                let refresh_at = p.started + refresh_after(PERMISSION_LIFETIME, margin);
                self.peers.refresh.set(Refresh::Permission(ip), refresh_at);
                if first {
                    self.push_event(Event::PermissionCreated { peer: ip });
                }
            }
            PendingKind::Channel(peer, number) => {
                let Some(c) = self.peers.channels.get_mut(&peer) else {
                    return;
                };
                if c.in_flight != Some(id) {
                    return;
                }
                let first = c.bound_until.is_none();
                c.in_flight = None;
                c.bound_until = Some(p.started + CHANNEL_LIFETIME);
                let refresh_at = p.started + refresh_after(CHANNEL_LIFETIME, margin);
                self.peers.refresh.set(Refresh::Channel(peer), refresh_at);
                if first {
                    self.push_event(Event::ChannelBound {
                        peer,
                        channel: number,
                    });
                }
            }
        }
    }

    fn transaction_failed(
        &mut self,
        _now: Instant,
        id: TransactionId,
        p: Pending,
        failure: TurnFailure,
    ) {
        tracing::debug!(request = ?p.kind, ?failure, "TURN request failed");
        match p.kind {
            PendingKind::Allocate => {
                if let State::Allocating { close_after } = self.state {
                    self.finish(if close_after {
                        CloseReason::Requested
                    } else {
                        CloseReason::Failed(failure)
                    });
                }
            }
            PendingKind::Refresh => {
                if matches!(self.state, State::Allocated(_)) {
                    self.finish(CloseReason::Failed(failure));
                }
            }
            PendingKind::Deallocate => self.finish(CloseReason::Requested),
            PendingKind::Permission(_) | PendingKind::Channel(..)
                if failure == TurnFailure::AllocationMismatch =>
            {
                // The server has no allocation for us any more.
                self.finish(CloseReason::Failed(failure));
            }
            PendingKind::Permission(ip) => {
                if self
                    .peers
                    .permissions
                    .get(&ip)
                    .is_some_and(|perm| perm.in_flight == Some(id))
                {
                    self.permission_failed(ip, failure);
                }
            }
            PendingKind::Channel(peer, _) => {
                if self
                    .peers
                    .channels
                    .get(&peer)
                    .is_some_and(|c| c.in_flight == Some(id))
                {
                    self.channel_failed(peer, failure);
                }
            }
        }
    }

    fn permission_failed(&mut self, ip: IpAddr, reason: TurnFailure) {
        self.peers.remove_permission(ip);
        self.stats.dropped_no_permission += self.outgoing.drop_ip(ip) as u64;
        self.push_event(Event::PermissionFailed { peer: ip, reason });
    }

    fn channel_failed(&mut self, peer: SocketAddr, reason: TurnFailure) {
        if let Some(c) = self.peers.channels.get_mut(&peer) {
            c.failed = true;
            c.in_flight = None;
            c.bound_until = None;
            self.peers.by_number.remove(&c.number.get());
        }
        self.peers.refresh.stop(&Refresh::Channel(peer));
        self.push_event(Event::ChannelFailed { peer, reason });
    }

    fn schedule_refresh(&mut self, started: Instant, lifetime: Duration) {
        let margin = self.config.refresh_margin;
        self.timers.set(
            AllocationTimer::Refresh,
            started + refresh_after(lifetime, margin),
        );
        self.timers.set(AllocationTimer::Expiry, started + lifetime);
    }

    /// Ends the client: forgets every request, peer and datagram, queues [`Event::Closed`].
    fn finish(&mut self, reason: CloseReason) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.cancel_all();
        self.forget_peers();
        self.timers = TimerTable::new();
        self.state = State::Closed;
        // Closed is the last event and is never dropped, even past `max_events`.
        self.events.push_back(Event::Closed { reason });
    }

    fn cancel_all(&mut self) {
        for (id, _) in self.pending.drain() {
            self.stun.cancel(id);
        }
    }

    fn forget_peers(&mut self) {
        self.peers.clear();
        self.stats.dropped_no_permission += self.outgoing.clear() as u64;
    }

    // -----------------------------------------------------------------------------------
    // Peers and data.

    fn check_open(&self) -> Result<(), Error> {
        match self.state {
            State::Closing | State::Closed | State::Allocating { close_after: true } => {
                Err(Error::Closed)
            }
            _ => Ok(()),
        }
    }

    fn check_send(&self, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        if data.len() > MAX_DATA_LEN {
            return Err(Error::TooLong(data.len()));
        }
        Ok(())
    }

    fn want_permission(&mut self, now: Instant, ip: IpAddr) -> Result<(), Error> {
        if self.peers.permissions.contains_key(&ip) {
            return Ok(());
        }
        if self.peers.permissions.len() >= self.config.max_permissions {
            return Err(Error::TooManyPermissions(self.peers.permissions.len()));
        }
        self.peers.permissions.insert(ip, Permission::default());
        if matches!(self.state, State::Allocated(_)) {
            self.request_permission(now, ip);
        }
        Ok(())
    }

    fn want_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<(), Error> {
        match self.peers.channels.get(&peer) {
            Some(c) if !c.failed => return Ok(()),
            Some(_) => {
                self.peers.remove_channel(peer);
            }
            None => {}
        }
        if self.peers.channels.len() >= self.config.max_channels {
            return Err(Error::TooManyChannels(self.peers.channels.len()));
        }
        self.want_permission(now, peer.ip())?;
        let Some(number) = self.peers.free_number() else {
            return Err(Error::TooManyChannels(self.peers.channels.len()));
        };
        self.peers.channels.insert(
            peer,
            Channel {
                number,
                bound_until: None,
                in_flight: None,
                failed: false,
            },
        );
        if matches!(self.state, State::Allocated(_)) {
            self.request_channel(now, peer);
        }
        Ok(())
    }

    /// Makes sure data to `peer` will get a permission (and a channel, when automatic).
    fn want_peer(&mut self, now: Instant, peer: SocketAddr) -> Result<(), Error> {
        self.want_permission(now, peer.ip())?;
        if self.config.auto_channel
            && !self.peers.channels.contains_key(&peer)
            && self.peers.channels.len() < self.config.max_channels
        {
            // Out of channel numbers is not an error here: the data goes as indications.
            let _ = self.want_channel(now, peer);
        }
        Ok(())
    }

    fn enqueue(&mut self, peer: SocketAddr, data: &[u8]) {
        if !self.outgoing.push(peer, data) {
            self.stats.dropped_queue_full += 1;
        }
    }

    /// Appends the ChannelData or Send indication carrying `data` to `peer` to `buf`.
    fn write_data(&mut self, peer: SocketAddr, data: &[u8], buf: &mut Vec<u8>) -> Option<Transmit> {
        let start = buf.len();
        let written = match self.peers.channels.get(&peer).filter(|c| c.is_bound()) {
            Some(c) => {
                let pad = self.config.transport.is_stream();
                let ok = ChannelData::write(buf, c.number, data, pad).is_ok();
                self.stats.channel_data_sent += u64::from(ok);
                ok
            }
            None => {
                let ok = self.write_indication(peer, data, buf).is_ok();
                self.stats.indications_sent += u64::from(ok);
                ok
            }
        };
        if !written {
            buf.truncate(start);
            self.stats.dropped_queue_full += 1;
            return None;
        }
        Some(Transmit::new(
            self.config.transport,
            self.config.local,
            self.server,
        ))
    }

    fn write_indication(
        &mut self,
        peer: SocketAddr,
        data: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<(), wren_stun::Error> {
        let tid = TransactionId::random(&mut self.rng);
        let typ = MessageType::new(Class::Indication, Method::SEND);
        let mut w = MessageWriter::new(buf, typ, tid);
        w.add(&XorPeerAddress(peer))?;
        w.add(&attr::Data(data))?;
        if self.config.dont_fragment {
            w.add(&DontFragment)?;
        }
        if self.config.fingerprint {
            w.add_fingerprint()?;
        }
        w.finish();
        Ok(())
    }

    fn handle_stun(&mut self, now: Instant, d: Datagram<'_>) {
        let Ok(msg) = Message::parse(d.payload) else {
            self.stats.malformed += 1;
            return;
        };
        match msg.class() {
            Class::SuccessResponse | Class::ErrorResponse => self.stun.handle_datagram(now, d),
            Class::Indication if msg.method() == Method::DATA => {
                self.handle_data_indication(d.source, &msg)
            }
            _ => self.stats.unexpected += 1,
        }
    }

    fn handle_data_indication(&mut self, source: SocketAddr, msg: &Message<'_>) {
        if source != self.server || !matches!(self.state, State::Allocated(_)) {
            self.stats.unexpected += 1;
            return;
        }
        if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
            self.stats.malformed += 1;
            return;
        }
        let (Ok(Some(XorPeerAddress(peer))), Ok(Some(attr::Data(data)))) =
            (msg.get::<XorPeerAddress>(), msg.get::<attr::Data<'_>>())
        else {
            self.stats.malformed += 1;
            return;
        };
        if !self.peers.permissions.contains_key(&peer.ip()) {
            self.stats.unexpected += 1;
            return;
        }
        self.deliver(peer, data);
    }

    fn handle_channel_data(&mut self, d: Datagram<'_>) {
        if d.source != self.server || !matches!(self.state, State::Allocated(_)) {
            self.stats.unexpected += 1;
            return;
        }
        let Ok(cd) = ChannelData::parse(d.payload) else {
            self.stats.malformed += 1;
            return;
        };
        let Some(&peer) = self.peers.by_number.get(&cd.channel.get()) else {
            self.stats.unexpected += 1;
            return;
        };
        self.deliver(peer, cd.data);
    }

    fn deliver(&mut self, peer: SocketAddr, data: &[u8]) {
        self.stats.data_received += 1;
        self.push_event(Event::Data {
            peer,
            data: data.to_vec(),
        });
    }

    fn push_event(&mut self, e: Event) {
        if self.events.len() >= self.config.max_events {
            self.stats.events_dropped += 1;
        } else {
            self.events.push_back(e);
        }
    }

    fn clamp(&mut self, now: Instant) -> Instant {
        self.last_now = self.last_now.max(now);
        self.last_now
    }
}

impl Machine for Client {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let now = self.clamp(now);
        if matches!(self.state, State::Closed) {
            self.stats.unexpected += 1;
            return;
        }
        match classify_turn(d.payload) {
            Some(TurnKind::Stun) => self.handle_stun(now, d),
            Some(TurnKind::ChannelData) => self.handle_channel_data(d),
            None => self.stats.malformed += 1,
        }
        self.process_stun_events(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::Allocate => self.allocate(now),
            Command::AddPermission(ip) => self.add_permission(now, ip),
            Command::RemovePermission(ip) => self.remove_permission(now, ip),
            Command::BindChannel(peer) => self.bind_channel(now, peer),
            Command::Send { peer, data } => self.send(now, peer, &data),
            Command::Close => {
                self.close(now);
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        let now = self.clamp(now);
        if matches!(self.state, State::Closed) {
            return;
        }
        self.stun.handle_timeout(now);
        self.process_stun_events(now);
        let State::Allocated(a) = self.state else {
            return;
        };
        if self.timers.take_expired(AllocationTimer::Expiry, now) {
            self.finish(CloseReason::Failed(TurnFailure::Expired));
            return;
        }
        if self.timers.take_expired(AllocationTimer::Refresh, now) && !a.refreshing {
            match self.start(now, PendingKind::Refresh) {
                Ok(_) => {
                    if let State::Allocated(a) = &mut self.state {
                        a.refreshing = true;
                    }
                }
                Err(_) => {
                    self.finish(CloseReason::Failed(TurnFailure::TooManyRequests));
                    return;
                }
            }
        }
        let (ips, peers) = self.peers.take_due(now);
        for ip in ips {
            self.request_permission(now, ip);
        }
        for peer in peers {
            self.request_channel(now, peer);
        }
        self.process_stun_events(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let now = self.clamp(now);
        if let Some(t) = self.stun.poll_transmit(now, buf) {
            return Some(t);
        }
        if !matches!(self.state, State::Allocated(_)) {
            return None;
        }
        loop {
            let peers = &self.peers;
            let (peer, data) = self.outgoing.take(|p| peers.ready(p))?;
            let t = self.write_data(peer, &data, buf);
            self.outgoing.recycle(data);
            if t.is_some() {
                return t;
            }
        }
    }

    fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let stun = self.stun.poll_timeout();
        match self.state {
            State::Closed => None,
            State::Allocated(_) => [
                stun,
                self.timers.next_deadline(),
                self.peers.refresh.next_deadline(),
            ]
            .into_iter()
            .flatten()
            .min(),
            _ => stun,
        }
    }

    fn describe_timer(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.next_timer() {
            Some((_, timer)) => write!(f, "{timer:?}"),
            None => Ok(()),
        }
    }

    /// STUN and ChannelData from the server.
    fn accepts(&self, dgram: &Datagram<'_>) -> bool {
        dgram.source == self.server && classify_turn(dgram.payload).is_some()
    }
}
