//! The driver: builder, run loop, and the glue between the machine and the sockets.

use std::future::{Future, pending, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use wren_core::framing::Framing;
use wren_core::stream::WriteError;
use wren_core::{
    BindError, Datagram, Machine, SocketOptions, SocketRequest, SocketResult, Transmit, Transport,
};

use crate::error::{DriverError, is_transient};
use crate::net::{Io, Net, Sock};
use crate::stats::{Counters, StatsHandle, bump};
use crate::tcp::{Close, Conn, Step};
use crate::udp::{self, Udp};

/// The receive buffer: one, reused, large enough for any UDP datagram.
const RECV_BUFFER: usize = 64 * 1024;
/// The send buffer's starting capacity (it grows once to the largest transmit, then stays).
const SEND_BUFFER: usize = 2048;
/// The default bound on the bytes one TCP connection may hold, received or to be sent:
/// room for the largest STUN, ChannelData or RFC 4571 frame (65 559 bytes) and then some.
pub const DEFAULT_TCP_BUFFER_LIMIT: usize = 96 * 1024;
/// The default bound on the sockets a machine may have bound at once
/// ([`Driver::max_bound_sockets`]).
pub const DEFAULT_MAX_BOUND_SOCKETS: usize = 65_536;
/// Socket requests carried out per turn before the driver looks at its sockets again.
const SOCKET_REQUESTS_PER_TURN: usize = 1024;

/// The one place the adapter reads the clock (STYLE.md section 8): once per wake-up.
#[allow(clippy::disallowed_methods)]
fn clock() -> Instant {
    Instant::now()
}

/// Drives one [`Machine`] over tokio sockets: build it, add sockets, then [`Driver::run`].
///
/// ```no_run
/// # async fn f<M: wren_core::Machine>(machine: M, udp: tokio::net::UdpSocket,
/// #     tcp: tokio::net::TcpListener) -> std::io::Result<()> {
/// use wren_core::framing::Framing;
/// let driver = wren_tokio::Driver::new(machine)
///     .udp(udp)?
///     .tcp_listener(tcp)?
///     .framing(Framing::Rfc4571)
///     .tcp_buffer_limit(64 * 1024);
/// # Ok(()) }
/// ```
pub struct Driver<M: Machine> {
    machine: M,
    net: Net,
    framing: Framing,
    tcp_buffer_limit: usize,
    tcp_connect: bool,
    max_bound: usize,
    counters: Arc<Counters>,
}

impl<M: Machine> Driver<M> {
    /// A driver for `machine`, with no sockets yet, STUN/ChannelData framing, the default
    /// TCP buffer limit, and outgoing TCP connections allowed.
    #[must_use]
    pub fn new(machine: M) -> Self {
        Driver {
            machine,
            net: Net::default(),
            framing: Framing::default(),
            tcp_buffer_limit: DEFAULT_TCP_BUFFER_LIMIT,
            tcp_connect: true,
            max_bound: DEFAULT_MAX_BOUND_SOCKETS,
            counters: Arc::default(),
        }
    }

    /// Adds a UDP socket. What it receives has its local address as `destination`, so bind
    /// it to a specific address when the machine needs the real one (no `IP_PKTINFO` here).
    ///
    /// # Errors
    ///
    /// When the socket's local address cannot be read.
    pub fn udp(mut self, sock: UdpSocket) -> io::Result<Self> {
        let local = sock.local_addr()?;
        let i = self.net.udp.len();
        self.net.udp.push(Udp { sock, local });
        self.net.index.insert_listening(local, Sock::Listening(i));
        Ok(self)
    }

    /// Adds a TCP listener; every connection it accepts is read and framed.
    ///
    /// # Errors
    ///
    /// When the listener's local address cannot be read (it is checked to be a bound socket).
    pub fn tcp_listener(mut self, listener: TcpListener) -> io::Result<Self> {
        listener.local_addr()?;
        self.net.listeners.push(listener);
        Ok(self)
    }

    /// Adds a TCP connection the application opened itself.
    ///
    /// # Errors
    ///
    /// When the stream's addresses cannot be read (it is not connected).
    pub fn tcp_stream(mut self, stream: TcpStream) -> io::Result<Self> {
        let (remote, local) = (stream.peer_addr()?, stream.local_addr()?);
        self.net
            .conns
            .insert(remote, Conn::open(stream, remote, local));
        Ok(self)
    }

    /// How TCP streams are split into messages (default [`Framing::StunChannelData`]).
    /// With [`Framing::Rfc4571`] the driver also adds the two-byte prefix when sending.
    #[must_use]
    pub fn framing(mut self, framing: Framing) -> Self {
        self.framing = framing;
        self
    }

    /// The most bytes one TCP connection may hold, as a partial message read or as bytes
    /// waiting to be written; past it the connection is closed
    /// (default [`DEFAULT_TCP_BUFFER_LIMIT`]).
    #[must_use]
    pub fn tcp_buffer_limit(mut self, bytes: usize) -> Self {
        self.tcp_buffer_limit = bytes;
        self
    }

    /// Whether a TCP transmit to a destination with no connection opens one (default
    /// `true`). When `false`, such transmits are dropped and counted in
    /// [`crate::Stats::dropped_no_route`].
    #[must_use]
    pub fn tcp_connect(mut self, allow: bool) -> Self {
        self.tcp_connect = allow;
        self
    }

    /// The most sockets the machine may have bound at once through
    /// [`wren_core::SocketRequest::Bind`] (default [`DEFAULT_MAX_BOUND_SOCKETS`]); further
    /// binds fail with [`wren_core::BindError::Exhausted`] until some are closed. The
    /// process's descriptor limit (`ulimit -n`) must allow as many, or binds fail the same
    /// way earlier.
    #[must_use]
    pub fn max_bound_sockets(mut self, sockets: usize) -> Self {
        self.max_bound = sockets;
        self
    }

    /// A handle to read the driver's counters, before, while and after it runs.
    #[must_use]
    pub fn stats(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.counters))
    }

    /// Runs the machine until `shutdown` completes, then returns it.
    ///
    /// Each turn: drain `poll_transmit`, `poll_event` and `poll_socket_request` (binding
    /// and closing sockets for the machine), sleep until `poll_timeout`, a command or a
    /// socket, read the clock once, feed the machine. Events go to `events`
    /// (waiting when it is full; dropped and counted once its receiver is gone). When every
    /// command sender is dropped the driver goes on without commands: only `shutdown`
    /// stops it.
    ///
    /// # Errors
    ///
    /// [`DriverError::Recv`] when a UDP socket fails for good. Machine errors are logged and
    /// counted, never returned.
    pub async fn run<S: Future<Output = ()>>(
        mut self,
        mut commands: mpsc::Receiver<M::Command>,
        events: mpsc::Sender<M::Event>,
        shutdown: S,
    ) -> Result<M, DriverError> {
        let mut shutdown = pin!(shutdown);
        let mut rx = vec![0u8; RECV_BUFFER];
        let mut tx = Vec::with_capacity(SEND_BUFFER);
        let mut commands_open = true;
        let mut now = clock();
        loop {
            let more_requests = tokio::select! {
                biased;
                () = &mut shutdown => return Ok(self.machine),
                more = self.drain(now, &mut tx, &events) => more,
            };
            if more_requests {
                // Let the runtime run others, then carry out the rest.
                yield_once().await;
                now = clock();
                continue;
            }
            let deadline = self.machine.poll_timeout();
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(self.machine),
                () = sleep_until(deadline) => {
                    now = clock();
                    self.machine.handle_timeout(now);
                }
                cmd = commands.recv(), if commands_open => {
                    now = clock();
                    match cmd {
                        Some(cmd) => self.command(now, cmd),
                        None => commands_open = false,
                    }
                }
                io = poll_fn(|cx| self.net.poll_io(cx, &mut rx)) => {
                    now = clock();
                    self.input(now, io, &rx)?;
                }
            }
        }
    }

    /// Sends everything the machine has to send, hands out its events, and carries out its
    /// socket requests, until none of them has anything left (an answer to a bind may
    /// bring transmits). Returns `true` when it stopped at [`SOCKET_REQUESTS_PER_TURN`]
    /// requests.
    async fn drain(
        &mut self,
        now: Instant,
        tx: &mut Vec<u8>,
        events: &mpsc::Sender<M::Event>,
    ) -> bool {
        let mut requests = 0;
        loop {
            self.transmits(now, tx).await;
            while let Some(event) = self.machine.poll_event() {
                if events.send(event).await.is_err() {
                    bump(&self.counters.events_dropped, 1);
                }
            }
            if requests >= SOCKET_REQUESTS_PER_TURN {
                return true;
            }
            let before = requests;
            while requests < SOCKET_REQUESTS_PER_TURN {
                let Some(request) = self.machine.poll_socket_request() else {
                    break;
                };
                requests += 1;
                self.socket_request(now, request);
            }
            if requests == before {
                return false;
            }
        }
    }

    /// Sends everything the machine has to send.
    async fn transmits(&mut self, now: Instant, tx: &mut Vec<u8>) {
        loop {
            tx.clear();
            let Some(t) = self.machine.poll_transmit(now, tx) else {
                break;
            };
            match t.proto {
                Transport::Udp => match self.net.index.choose(&t).and_then(|s| self.net.udp(s)) {
                    Some(udp) => udp::send(udp, &t, tx, &self.counters).await,
                    None => self.no_route(&t, "no UDP socket for this source"),
                },
                Transport::Tcp => self.send_tcp(&t, tx),
                _ => {
                    tracing::debug!(proto = ?t.proto, to = %t.destination, "transport not supported, dropped");
                    bump(&self.counters.dropped_unsupported, 1);
                }
            }
        }
    }

    /// Binds or closes a socket for the machine; a bind is answered at once.
    fn socket_request(&mut self, now: Instant, request: SocketRequest) {
        let counters = Arc::clone(&self.counters);
        match request {
            SocketRequest::Bind {
                addr,
                transport,
                options,
            } => {
                let outcome = self.bind(addr, transport, options);
                match &outcome {
                    Ok(bound) => {
                        tracing::debug!(requested = %addr, %bound, "socket bound for the machine");
                        bump(&counters.sockets_bound, 1);
                    }
                    Err(error) => {
                        tracing::debug!(requested = %addr, ?transport, %error, "bind failed");
                        bump(&counters.bind_failures, 1);
                    }
                }
                let result = SocketResult::of_bind(addr, transport, outcome);
                self.machine.handle_socket_result(now, result);
            }
            SocketRequest::Close { addr, transport } => {
                let slot = match transport {
                    Transport::Udp => self.net.index.remove_requested(addr),
                    _ => None,
                };
                match slot {
                    Some(Sock::Bound(slot)) => {
                        self.net.bound.remove(slot);
                        tracing::debug!(%addr, "socket closed for the machine");
                        bump(&counters.sockets_closed, 1);
                    }
                    _ => {
                        tracing::debug!(%addr, ?transport, "close of a socket the machine did not bind, ignored");
                        bump(&counters.close_unknown, 1);
                    }
                }
            }
            other => {
                tracing::warn!(request = ?other, "socket request not supported, ignored");
                bump(&counters.dropped_unsupported, 1);
            }
        }
    }

    /// Binds a UDP socket for the machine and indexes it; returns its address.
    fn bind(
        &mut self,
        addr: SocketAddr,
        transport: Transport,
        options: SocketOptions,
    ) -> Result<SocketAddr, BindError> {
        if transport != Transport::Udp {
            return Err(BindError::Unsupported);
        }
        if self.net.index.requested() >= self.max_bound {
            return Err(BindError::Exhausted);
        }
        let (slot, local) = self.net.bound.bind(addr, options)?;
        if !self.net.index.insert_requested(local, Sock::Bound(slot)) {
            // Only with SO_REUSEADDR games: another of our sockets has this address.
            self.net.bound.remove(slot);
            return Err(BindError::AddrInUse);
        }
        Ok(local)
    }

    /// Queues a TCP message on the connection to its destination, opening one if allowed.
    fn send_tcp(&mut self, t: &Transmit, msg: &[u8]) {
        let slot = match self.net.conns.find(t.destination) {
            Some(slot) => slot,
            None if self.tcp_connect => {
                tracing::debug!(to = %t.destination, "opening a TCP connection for a transmit");
                self.net
                    .conns
                    .insert(t.destination, Conn::connecting(t.destination))
            }
            None => return self.no_route(t, "no TCP connection and connecting is off"),
        };
        let Some(conn) = self.net.conns.get_mut(slot) else {
            return;
        };
        match conn.queue(self.framing, msg, self.tcp_buffer_limit) {
            Ok(()) => bump(&self.counters.frames_out, 1),
            Err(WriteError::TooLong { .. }) => {
                tracing::debug!(to = %t.destination, len = msg.len(), "too long for RFC 4571, dropped");
                bump(&self.counters.dropped_unsupported, 1);
            }
            Err(WriteError::Overflow { .. }) => self.close(slot, Close::Overflow),
        }
    }

    fn no_route(&self, t: &Transmit, why: &'static str) {
        tracing::debug!(proto = ?t.proto, from = ?t.source, to = %t.destination, why, "transmit dropped");
        bump(&self.counters.dropped_no_route, 1);
    }

    fn command(&mut self, now: Instant, cmd: M::Command) {
        bump(&self.counters.commands, 1);
        if let Err(e) = self.machine.handle_command(now, cmd) {
            tracing::warn!(error = %e, "the machine refused a command");
            bump(&self.counters.machine_errors, 1);
        }
    }

    /// Feeds what a socket said to the machine.
    fn input(&mut self, now: Instant, io: Io, rx: &[u8]) -> Result<(), DriverError> {
        let Driver {
            machine,
            net,
            counters,
            ..
        } = self;
        match io {
            Io::Udp { sock, len, source } => {
                let Some(local) = net.udp(sock).map(|u| u.local) else {
                    return Ok(());
                };
                bump(&counters.datagrams_in, 1);
                let d = Datagram::udp(source, local, &rx[..len]);
                feed(machine, now, d);
            }
            Io::UdpError { sock, error } => {
                let Some(local) = net.udp(sock).map(|u| u.local) else {
                    return Ok(());
                };
                if is_transient(&error) {
                    tracing::debug!(%local, %error, "UDP receive error, ignored");
                    bump(&counters.io_errors, 1);
                } else {
                    return Err(DriverError::Recv {
                        local,
                        source: error,
                    });
                }
            }
            Io::Accepted { stream, remote } => match stream.local_addr() {
                Ok(local) => {
                    bump(&counters.tcp_accepted, 1);
                    net.conns.insert(remote, Conn::open(stream, remote, local));
                }
                Err(error) => tracing::debug!(%remote, %error, "accepted connection unusable"),
            },
            Io::AcceptError { error } => {
                tracing::debug!(%error, "accept failed");
                bump(&counters.io_errors, 1);
            }
            Io::Tcp {
                slot,
                step: Step::Connected,
            } => {
                bump(&counters.tcp_connected, 1);
                tracing::debug!(slot, "TCP connection established");
            }
            Io::Tcp {
                slot,
                step: Step::Data(len),
            } => {
                let (framing, limit) = (self.framing, self.tcp_buffer_limit);
                let Some(conn) = net.conns.get_mut(slot) else {
                    return Ok(());
                };
                let (remote, local) = (conn.remote, conn.local.unwrap_or(conn.remote));
                let fed = conn.reader.feed(&rx[..len], framing, limit, |msg| {
                    bump(&counters.frames_in, 1);
                    feed(machine, now, Datagram::tcp(remote, local, msg));
                });
                if let Err(why) = fed {
                    self.close(slot, why.into());
                }
            }
            Io::Tcp {
                slot,
                step: Step::Closed(why),
            } => self.close(slot, why),
        }
        Ok(())
    }

    /// Removes a connection and counts why.
    fn close(&mut self, slot: usize, why: Close) {
        let Some(conn) = self.net.conns.remove(slot) else {
            return;
        };
        let c = &self.counters;
        bump(&c.tcp_closed, 1);
        match &why {
            Close::Framing(_) => bump(&c.tcp_framing_errors, 1),
            Close::Overflow => bump(&c.tcp_overflows, 1),
            Close::Connect(_) => bump(&c.dropped_no_route, conn.queued),
            Close::Eof | Close::Io(_) => {}
        }
        tracing::debug!(remote = %conn.remote, reason = %why, "TCP connection closed");
    }
}

/// Hands one datagram to the machine.
fn feed<M: Machine>(machine: &mut M, now: Instant, d: Datagram<'_>) {
    machine.handle_datagram(now, d);
}

/// Returns `Pending` once (waking the task at once), then completes: lets the runtime run
/// other tasks without needing tokio's `rt` feature.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

/// Completes at `deadline`, or never.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => pending().await,
    }
}
