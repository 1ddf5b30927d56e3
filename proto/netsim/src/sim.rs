//! The simulator: topology, machines, the virtual clock and the run loop.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{BindError, Machine, Rng, SocketRequest, SocketResult, Transmit, Transport};

use crate::bottleneck::{Direction, QueueDelay, QueueState};
use crate::error::TopologyError;
use crate::host::{Host, HostConfig};
use crate::ids::{HostId, NatId, NodeId};
use crate::link::LinkConfig;
use crate::nat::{Nat, NatConfig};
use crate::node::{Node, Slot};
use crate::queue::{Hop, Queue};
use crate::tcp::Connections;
use crate::trace::{DropReason, Kind, Record, Stats, Trace};

/// Events kept per node before more are dropped (and counted in
/// [`Stats::events_dropped`]); see [`Sim::set_event_capacity`].
pub const DEFAULT_EVENT_CAPACITY: usize = 65_536;

/// `handle_timeout` calls in a row that may leave a machine's deadline in the past before
/// the simulator pushes it 1 ms ahead.
const MAX_SPINS: u32 = 16;

/// Transmits taken from one machine in one drain before the rest wait for the next.
const MAX_DRAIN: usize = 100_000;

/// What an address on the public internet belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attach {
    Host(HostId),
    Nat(NatId),
}

/// The generators of the simulation, one stream per use so that one kind of draw does
/// not shift another.
#[derive(Debug)]
pub(crate) struct Rngs {
    /// Link impairments.
    pub(crate) link: Rng,
    /// Forked into each NAT.
    nat: Rng,
    /// Seeds handed to tests for their machines.
    user: Rng,
}

/// Scratch buffers reused across packets.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// The buffer machines write transmits into.
    buf: Vec<u8>,
    /// Payload vectors of delivered packets, for the next packets in flight.
    pool: Vec<Vec<u8>>,
}

/// A deterministic simulated network driving [`Machine`]s on a virtual clock.
///
/// - **Machines** ([`Sim::add_machine`]) of any type run on hosts. They hold sockets:
///   fixed ones from [`Sim::listen`], and those they ask for with
///   [`wren_core::SocketRequest::Bind`] (port 0 gives the host's next free ephemeral port,
///   49152 up; a foreign address gives [`wren_core::BindError::AddrNotAvailable`], a taken
///   port [`wren_core::BindError::AddrInUse`]). A socket bound to the unspecified address
///   binds the host's address. A UDP transmit without a source leaves from the machine's
///   first UDP socket of the destination's family, or from a new ephemeral one.
/// - **UDP** goes sender's link, sender's NAT (translation), internet, destination NAT
///   (filtering and translation), destination link, socket.
/// - **TCP** is reliable ordered delivery of already-framed messages on connections
///   opened by the first message (see the `tcp` module docs for what is not modelled).
/// - **Trace**: every send, duplicate, connection, delivery and drop (with a
///   [`DropReason`]) is folded into an FNV-1a hash and counted in [`Stats`].
/// - **Run loop** ([`Sim::step`]): the earliest of the packets in flight and the machines'
///   deadlines happens next (packets first on a tie, then in the order they were queued,
///   then machines in creation order). After a machine is fed, the simulator drains its
///   transmits, events (kept per node, see [`Sim::events`]) and socket requests.
///   [`Sim::with`] runs a command on a machine and drains it.
///
/// See the crate docs for an example.
#[derive(Debug)]
pub struct Sim {
    pub(crate) now: Instant,
    pub(crate) rngs: Rngs,
    pub(crate) hosts: Vec<Host>,
    pub(crate) nats: Vec<Nat>,
    /// Public addresses: public hosts and NATs.
    pub(crate) public: BTreeMap<IpAddr, Attach>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) queue: Queue,
    pub(crate) tcp: Connections,
    pub(crate) trace: Trace,
    scratch: Scratch,
    event_capacity: usize,
}

impl Sim {
    /// An empty network whose clock starts at `start`; every random choice comes from
    /// `seed`.
    #[must_use]
    pub fn new(seed: u64, start: Instant) -> Sim {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..16].copy_from_slice(b"netsim\0\0");
        let mut root = Rng::from_seed(bytes);
        Sim {
            now: start,
            rngs: Rngs {
                link: root.fork(),
                nat: root.fork(),
                user: root.fork(),
            },
            hosts: Vec::new(),
            nats: Vec::new(),
            public: BTreeMap::new(),
            nodes: Vec::new(),
            queue: Queue::default(),
            tcp: Connections::default(),
            trace: Trace::new(start),
            scratch: Scratch::default(),
            event_capacity: DEFAULT_EVENT_CAPACITY,
        }
    }

    /// The virtual time.
    #[must_use]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// A 32-byte seed for a machine's generator, drawn from the simulation's seed (on a
    /// stream of its own, so taking seeds does not change the network's choices).
    pub fn fork_seed(&mut self) -> [u8; 32] {
        self.rngs.user.bytes()
    }

    /// How many events each node keeps before dropping more (default
    /// [`DEFAULT_EVENT_CAPACITY`]); applies to machines added later.
    pub fn set_event_capacity(&mut self, capacity: usize) {
        self.event_capacity = capacity;
    }

    /// Keeps the trace as lines ([`Sim::trace_lines`]) from now on (`true`), or stops and
    /// forgets them. The hash is kept either way.
    pub fn record_trace(&mut self, on: bool) {
        self.trace.set_recording(on);
    }

    /// The FNV-1a hash of every trace record so far: time, kind, transport, addresses,
    /// length and bytes. Same seed and same inputs give the same hash.
    #[must_use]
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    /// The trace lines recorded since [`Sim::record_trace`] was turned on.
    #[must_use]
    pub fn trace_lines(&self) -> &[String] {
        self.trace.lines()
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.trace.stats
    }

    /// Packets in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }

    // ---- topology ----

    /// Adds a NAT; panics when its public address is taken (see [`Sim::try_add_nat`]).
    ///
    /// # Panics
    ///
    /// When another host or NAT holds `config.public_ip`.
    pub fn add_nat(&mut self, config: NatConfig) -> NatId {
        match self.try_add_nat(config) {
            Ok(id) => id,
            Err(e) => panic!("add_nat: {e}"),
        }
    }

    /// Adds a NAT at `config.public_ip` on the public internet.
    pub fn try_add_nat(&mut self, config: NatConfig) -> Result<NatId, TopologyError> {
        if self.public.contains_key(&config.public_ip) {
            return Err(TopologyError::AddressTaken(config.public_ip));
        }
        let id = NatId(u32::try_from(self.nats.len()).unwrap_or(u32::MAX));
        let rng = self.rngs.nat.fork();
        self.nats.push(Nat::new(config, rng));
        self.public.insert(config.public_ip, Attach::Nat(id));
        Ok(id)
    }

    /// Adds a host; panics on a taken address or an unknown NAT (see
    /// [`Sim::try_add_host`]).
    ///
    /// # Panics
    ///
    /// When the address is taken in its address space or the NAT does not exist.
    pub fn add_host(&mut self, config: HostConfig) -> HostId {
        match self.try_add_host(config) {
            Ok(id) => id,
            Err(e) => panic!("add_host: {e}"),
        }
    }

    /// Adds a host on the public internet or behind a NAT.
    pub fn try_add_host(&mut self, config: HostConfig) -> Result<HostId, TopologyError> {
        let id = HostId(u32::try_from(self.hosts.len()).unwrap_or(u32::MAX));
        match config.nat {
            None => {
                if self.public.contains_key(&config.ip) {
                    return Err(TopologyError::AddressTaken(config.ip));
                }
                self.public.insert(config.ip, Attach::Host(id));
            }
            Some(nat) => {
                let n = self
                    .nats
                    .get_mut(nat.index())
                    .ok_or(TopologyError::NoSuchNat(nat))?;
                if n.private.contains_key(&config.ip) {
                    return Err(TopologyError::AddressTaken(config.ip));
                }
                n.private.insert(config.ip, id);
            }
        }
        self.hosts.push(Host::new(config));
        Ok(id)
    }

    /// The address of `host`.
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    #[must_use]
    pub fn host_ip(&self, host: HostId) -> IpAddr {
        self.hosts[host.index()].ip()
    }

    /// The access link of `host` as configured now.
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    #[must_use]
    pub fn link(&self, host: HostId) -> LinkConfig {
        self.hosts[host.index()].config.link
    }

    /// Changes `host`'s access link from now on (both directions). Packets already
    /// queued stay queued and drain at the new rate: the one being serialized finishes as
    /// scheduled, the next ones take the new rate (all leave at once if the rate is
    /// removed). A smaller queue bound drops nothing already queued; arrivals are dropped
    /// until the queue is below it. Delay, jitter and loss apply to packets entering the
    /// link (and, for a rate-limited link, leaving its queue) from now on.
    ///
    /// # Errors
    ///
    /// [`TopologyError::NoSuchHost`] when `host` is not of this simulation.
    pub fn set_link(&mut self, host: HostId, link: LinkConfig) -> Result<(), TopologyError> {
        let h = self
            .hosts
            .get_mut(host.index())
            .ok_or(TopologyError::NoSuchHost(host))?;
        h.config.link = link;
        Ok(())
    }

    /// What `host`'s link holds in `direction` now (all zero when it has no rate and
    /// nothing queued).
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    #[must_use]
    pub fn link_queue(&self, host: HostId, direction: Direction) -> QueueState {
        let h = &self.hosts[host.index()];
        h.queues[direction.index()].state(self.now, h.config.link.rate_bps)
    }

    /// Records, from now on (`true`) or not, the wait of each packet in `host`'s link
    /// queues (both directions), for [`Sim::take_queue_delays`].
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    pub fn record_queue_delays(&mut self, host: HostId, on: bool) {
        for q in &mut self.hosts[host.index()].queues {
            q.recording = on;
        }
    }

    /// Takes the waits recorded on `host`'s link in `direction`, oldest first.
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    pub fn take_queue_delays(&mut self, host: HostId, direction: Direction) -> Vec<QueueDelay> {
        self.hosts[host.index()].queues[direction.index()].take_delays()
    }

    /// The public address of `nat`.
    ///
    /// # Panics
    ///
    /// When `nat` is not of this simulation.
    #[must_use]
    pub fn nat_ip(&self, nat: NatId) -> IpAddr {
        self.nats[nat.index()].config.public_ip
    }

    /// The host `node` runs on.
    ///
    /// # Panics
    ///
    /// When `node` is not of this simulation.
    #[must_use]
    pub fn node_host(&self, node: NodeId) -> HostId {
        self.nodes[node.index()].host
    }

    /// The sockets `node` holds (listening sockets, binds it asked for, and the local
    /// ends of the TCP connections it opened), in the order they were bound.
    ///
    /// # Panics
    ///
    /// When `node` is not of this simulation.
    #[must_use]
    pub fn sockets(&self, node: NodeId) -> &[(Transport, SocketAddr)] {
        &self.nodes[node.index()].sockets
    }

    // ---- machines ----

    /// Places `machine` on `host` and drains it (so what it queued at construction goes
    /// out now).
    ///
    /// # Panics
    ///
    /// When `host` is not of this simulation.
    pub fn add_machine<M>(&mut self, host: HostId, machine: M) -> NodeId
    where
        M: Machine + 'static,
        M::Event: 'static,
    {
        assert!(host.index() < self.hosts.len(), "add_machine: no such host");
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node {
            host,
            machine: Box::new(Slot::new(machine, self.event_capacity)),
            sockets: Vec::new(),
            timeout: None,
            spins: 0,
        });
        self.drain(id);
        id
    }

    /// Opens a socket for `node` at `addr` (the host's address or the unspecified one;
    /// port 0 picks an ephemeral port): a UDP socket, or a TCP listener for
    /// [`Transport::Tcp`]. Returns the bound address.
    ///
    /// # Panics
    ///
    /// When `node` is not of this simulation.
    pub fn listen(
        &mut self,
        node: NodeId,
        addr: SocketAddr,
        transport: Transport,
    ) -> Result<SocketAddr, BindError> {
        let n = &mut self.nodes[node.index()];
        let bound = self.hosts[n.host.index()].bind(node, addr, transport)?;
        n.sockets.push((transport, bound));
        Ok(bound)
    }

    /// The machine of `node`, if it is an `M`.
    #[must_use]
    pub fn try_machine<M: Machine + 'static>(&self, node: NodeId) -> Option<&M>
    where
        M::Event: 'static,
    {
        let n = self.nodes.get(node.index())?;
        n.machine
            .as_any()
            .downcast_ref::<Slot<M>>()
            .map(|s| &s.machine)
    }

    /// The machine of `node`.
    ///
    /// # Panics
    ///
    /// When `node` is not an `M` of this simulation.
    #[must_use]
    pub fn machine<M: Machine + 'static>(&self, node: NodeId) -> &M
    where
        M::Event: 'static,
    {
        match self.try_machine(node) {
            Some(m) => m,
            None => panic!("{node:?} is not a {}", std::any::type_name::<M>()),
        }
    }

    /// The machine of `node`, mutably. Output it queues now is drained at the next
    /// [`Sim::step`]; use [`Sim::with`] to have it drained at once.
    ///
    /// # Panics
    ///
    /// When `node` is not an `M` of this simulation.
    #[must_use]
    pub fn machine_mut<M: Machine + 'static>(&mut self, node: NodeId) -> &mut M
    where
        M::Event: 'static,
    {
        match self.slot_mut::<M>(node) {
            Some(s) => &mut s.machine,
            None => panic!("{node:?} is not a {}", std::any::type_name::<M>()),
        }
    }

    fn slot_mut<M: Machine + 'static>(&mut self, node: NodeId) -> Option<&mut Slot<M>>
    where
        M::Event: 'static,
    {
        self.nodes
            .get_mut(node.index())?
            .machine
            .as_any_mut()
            .downcast_mut::<Slot<M>>()
    }

    /// Runs `f` on the machine of `node` with the virtual time, then drains the machine
    /// (transmits, events, socket requests), so commands take effect at once. `None`
    /// when `node` is not an `M`.
    pub fn try_with<M, R>(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut M, Instant) -> R,
    ) -> Option<R>
    where
        M: Machine + 'static,
        M::Event: 'static,
    {
        let now = self.now;
        let r = f(&mut self.slot_mut::<M>(node)?.machine, now);
        self.drain(node);
        Some(r)
    }

    /// [`Sim::try_with`] for a node known to be an `M`.
    ///
    /// # Panics
    ///
    /// When `node` is not an `M` of this simulation.
    pub fn with<M, R>(&mut self, node: NodeId, f: impl FnOnce(&mut M, Instant) -> R) -> R
    where
        M: Machine + 'static,
        M::Event: 'static,
    {
        match self.try_with(node, f) {
            Some(r) => r,
            None => panic!("{node:?} is not a {}", std::any::type_name::<M>()),
        }
    }

    /// Takes every event `node`'s machine reported so far, oldest first (empty when the
    /// node is not an `M`).
    pub fn events<M: Machine + 'static>(&mut self, node: NodeId) -> Vec<M::Event>
    where
        M::Event: 'static,
    {
        self.slot_mut::<M>(node)
            .map(|s| s.events.drain(..).collect())
            .unwrap_or_default()
    }

    /// Takes the oldest event `node`'s machine reported.
    pub fn poll_event<M: Machine + 'static>(&mut self, node: NodeId) -> Option<M::Event>
    where
        M::Event: 'static,
    {
        self.slot_mut::<M>(node)?.events.pop_front()
    }

    // ---- running ----

    /// When the next thing happens: a packet arrives somewhere or a machine's deadline.
    #[must_use]
    pub fn next_time(&self) -> Option<Instant> {
        let timer = self.next_timer().map(|(t, _)| t);
        [self.queue.next_at(), timer].into_iter().flatten().min()
    }

    /// The earliest machine deadline, the lowest node first on a tie.
    fn next_timer(&self) -> Option<(Instant, usize)> {
        let mut best: Option<(Instant, usize)> = None;
        for (i, n) in self.nodes.iter().enumerate() {
            if let Some(t) = n.timeout
                && best.is_none_or(|(b, _)| t < b)
            {
                best = Some((t, i));
            }
        }
        best
    }

    /// Processes the next thing (a hop of a packet in flight or a machine's deadline,
    /// whichever is earliest; packets first on a tie, then in the order they were
    /// queued, then machines by creation order) and advances the clock to it. `false`
    /// when nothing is left to do.
    pub fn step(&mut self) -> bool {
        let flight = self.queue.next_at();
        let timer = self.next_timer();
        match (flight, timer) {
            (None, None) => false,
            (Some(f), Some((t, i))) if t < f => {
                self.fire(i, t);
                true
            }
            (None, Some((t, i))) => {
                self.fire(i, t);
                true
            }
            (Some(_), _) => {
                if let Some((at, hop)) = self.queue.pop() {
                    self.now = self.now.max(at);
                    self.hop(hop);
                }
                true
            }
        }
    }

    /// Runs everything due up to `deadline`, then sets the clock to it (when later).
    pub fn run_until(&mut self, deadline: Instant) {
        while self.next_time().is_some_and(|t| t <= deadline) {
            self.step();
        }
        self.now = self.now.max(deadline);
    }

    /// Runs for `d` of virtual time.
    pub fn run_for(&mut self, d: Duration) {
        let deadline = self.now + d;
        self.run_until(deadline);
    }

    /// Runs until `cond` holds (checked before the first step and after each) or until
    /// `deadline`, when the clock is set to it. Returns whether `cond` held.
    pub fn run_until_cond(
        &mut self,
        deadline: Instant,
        mut cond: impl FnMut(&mut Sim) -> bool,
    ) -> bool {
        if cond(self) {
            return true;
        }
        while self.next_time().is_some_and(|t| t <= deadline) {
            self.step();
            if cond(self) {
                return true;
            }
        }
        self.now = self.now.max(deadline);
        cond(self)
    }

    /// Calls the deadline of node `i` that came at `t`.
    fn fire(&mut self, i: usize, t: Instant) {
        self.now = self.now.max(t);
        let now = self.now;
        self.nodes[i].machine.handle_timeout(now);
        let id = NodeId(u32::try_from(i).unwrap_or(u32::MAX));
        self.drain(id);
        let n = &mut self.nodes[i];
        if n.timeout.is_some_and(|t| t <= now) {
            n.spins += 1;
            if n.spins >= MAX_SPINS {
                n.spins = 0;
                n.timeout = Some(now + Duration::from_millis(1));
                self.trace.stats.stuck_timeouts += 1;
            }
        } else {
            n.spins = 0;
        }
    }

    fn hop(&mut self, hop: Hop) {
        match hop {
            Hop::Network {
                from,
                src,
                dst,
                payload,
            } => self.route_udp(from, src, dst, payload),
            Hop::Deliver {
                host,
                src,
                dst,
                payload,
            } => self.deliver_udp(host, src, dst, payload),
            Hop::Serviced { host, direction } => self.serviced(host, direction),
            Hop::Stream {
                conn,
                from,
                proto,
                payload,
            } => self.deliver_stream(conn, from, proto, payload),
        }
    }

    /// Drains `node`'s machine: transmits (sent), events (queued), socket requests
    /// (carried out and answered), until it has nothing more; then reads its deadline.
    pub(crate) fn drain(&mut self, node: NodeId) {
        let i = node.index();
        let mut taken = 0usize;
        loop {
            let mut progressed = false;
            while taken < MAX_DRAIN {
                let mut buf = std::mem::take(&mut self.scratch.buf);
                buf.clear();
                let t = self.nodes[i].machine.poll_transmit(self.now, &mut buf);
                if let Some(t) = t {
                    taken += 1;
                    progressed = true;
                    self.transmit(node, t, &buf);
                }
                self.scratch.buf = buf;
                if t.is_none() {
                    break;
                }
            }
            self.trace.stats.events_dropped += self.nodes[i].machine.stash_events();
            while let Some(req) = self.nodes[i].machine.poll_socket_request() {
                progressed = true;
                self.socket_request(node, req);
            }
            if !progressed || taken >= MAX_DRAIN {
                break;
            }
        }
        self.nodes[i].timeout = self.nodes[i].machine.poll_timeout();
    }

    fn socket_request(&mut self, node: NodeId, req: SocketRequest) {
        match req {
            SocketRequest::Bind {
                addr, transport, ..
            } => {
                let outcome = self.listen(node, addr, transport);
                let result = SocketResult::of_bind(addr, transport, outcome);
                let now = self.now;
                self.nodes[node.index()]
                    .machine
                    .handle_socket_result(now, result);
            }
            SocketRequest::Close { addr, transport } => self.close(node, addr, transport),
            _ => {}
        }
    }

    /// Closes `node`'s socket at `addr` (and the TCP connections it opened from it).
    fn close(&mut self, node: NodeId, addr: SocketAddr, transport: Transport) {
        let n = &mut self.nodes[node.index()];
        let host = &mut self.hosts[n.host.index()];
        let ip = host.ip();
        if (addr.ip() == ip || addr.ip().is_unspecified()) && host.release(node, addr, transport) {
            let bound = SocketAddr::new(ip, addr.port());
            n.sockets.retain(|&(t, a)| {
                !(a == bound && crate::host::port_space(t) == crate::host::port_space(transport))
            });
            if transport.is_stream() {
                self.close_connections(node, bound);
            }
        }
    }

    /// Sends what a machine handed out.
    fn transmit(&mut self, node: NodeId, t: Transmit, payload: &[u8]) {
        match t.proto {
            Transport::Udp => {
                for range in t.segments(payload.len()) {
                    self.send_udp(node, &t, &payload[range]);
                }
            }
            Transport::Tcp | Transport::Tls => self.send_stream(node, &t, payload),
            other => {
                let src = t.source.unwrap_or_else(|| unspecified(t.destination));
                self.drop_packet(other, src, t.destination, payload, DropReason::Unsupported);
            }
        }
    }

    /// A vector holding `payload`, reusing one of a delivered packet.
    pub(crate) fn packet(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut v = self.scratch.pool.pop().unwrap_or_default();
        v.clear();
        v.extend_from_slice(payload);
        v
    }

    /// Gives a delivered packet's vector back for reuse.
    pub(crate) fn recycle(&mut self, v: Vec<u8>) {
        if self.scratch.pool.len() < 256 {
            self.scratch.pool.push(v);
        }
    }

    pub(crate) fn record(
        &mut self,
        kind: Kind,
        proto: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
    ) {
        let r = Record {
            proto,
            src,
            dst,
            payload,
        };
        self.trace.record(self.now, kind, &r);
    }

    pub(crate) fn drop_packet(
        &mut self,
        proto: Transport,
        src: SocketAddr,
        dst: SocketAddr,
        payload: &[u8],
        reason: DropReason,
    ) {
        self.record(Kind::Drop(reason), proto, src, dst, payload);
    }
}

/// The unspecified address of `a`'s family, port 0 (for records of unknown sources).
pub(crate) fn unspecified(a: SocketAddr) -> SocketAddr {
    if a.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    }
}
