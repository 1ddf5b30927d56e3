//! The driver: builder, run loop, and the glue between the machine and the sockets.

use std::future::{Future, pending, poll_fn};
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use wren_core::framing::Framing;
use wren_core::stream::WriteError;
use wren_core::{Datagram, Machine, Transmit, Transport};

use crate::error::{DriverError, is_transient};
use crate::net::{Io, Net};
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
        self.net.udp.push(Udp { sock, local });
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

    /// A handle to read the driver's counters, before, while and after it runs.
    #[must_use]
    pub fn stats(&self) -> StatsHandle {
        StatsHandle(Arc::clone(&self.counters))
    }

    /// Runs the machine until `shutdown` completes, then returns it.
    ///
    /// Each turn: drain `poll_transmit` and `poll_event`, sleep until `poll_timeout`, a
    /// command or a socket, read the clock once, feed the machine. Events go to `events`
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
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(self.machine),
                () = self.drain(now, &mut tx, &events) => {}
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

    /// Sends everything the machine has to send and hands out its events.
    async fn drain(&mut self, now: Instant, tx: &mut Vec<u8>, events: &mpsc::Sender<M::Event>) {
        loop {
            tx.clear();
            let Some(t) = self.machine.poll_transmit(now, tx) else {
                break;
            };
            match t.proto {
                Transport::Udp => match t.choose_socket(self.net.udp.iter().map(|u| u.local)) {
                    Some(i) => udp::send(&self.net.udp[i], &t, tx, &self.counters).await,
                    None => self.no_route(&t, "no UDP socket for this source"),
                },
                Transport::Tcp => self.send_tcp(&t, tx),
                _ => {
                    tracing::debug!(proto = ?t.proto, to = %t.destination, "transport not supported, dropped");
                    bump(&self.counters.dropped_unsupported, 1);
                }
            }
        }
        while let Some(event) = self.machine.poll_event() {
            if events.send(event).await.is_err() {
                bump(&self.counters.events_dropped, 1);
            }
        }
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
                bump(&counters.datagrams_in, 1);
                let d = Datagram::udp(source, net.udp[sock].local, &rx[..len]);
                feed(machine, counters, now, d);
            }
            Io::UdpError { sock, error } if is_transient(&error) => {
                tracing::debug!(local = %net.udp[sock].local, %error, "UDP receive error, ignored");
                bump(&counters.io_errors, 1);
            }
            Io::UdpError { sock, error } => {
                return Err(DriverError::Recv {
                    local: net.udp[sock].local,
                    source: error,
                });
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
                    feed(machine, counters, now, Datagram::tcp(remote, local, msg));
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

/// Hands one datagram to the machine; an `Err` is logged and counted, and the loop goes on.
fn feed<M: Machine>(machine: &mut M, counters: &Counters, now: Instant, d: Datagram<'_>) {
    if let Err(e) = machine.handle_datagram(now, d) {
        tracing::warn!(error = %e, from = %d.source, "the machine returned an error for a datagram");
        bump(&counters.machine_errors, 1);
    }
}

/// Completes at `deadline`, or never.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => pending().await,
    }
}
