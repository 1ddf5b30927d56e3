//! The driver: builder, run loop, and the glue between the machine and the sockets.

use std::future::{Future, pending, poll_fn};
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TryRecvError;
use wren_core::framing::Framing;
use wren_core::stream::WriteError;
use wren_core::{Datagram, Machine, Transmit};
use wren_io::{
    ConnLimits, Counter, Counters, Disposition, Drain, DriverError, Route, Sockets, StatsHandle,
    Step, TurnLimits, disposition, report_disconnected,
};

use crate::net::{Io, Net, Sock};
use crate::tcp::{self, Close, Conn};
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
    limits: TurnLimits,
    sockets: Sockets<Sock>,
}

impl<M: Machine> Driver<M> {
    /// A driver for `machine`, with no sockets yet, STUN/ChannelData framing, the default
    /// TCP buffer limit, and outgoing TCP connections allowed.
    #[must_use]
    pub fn new(machine: M) -> Self {
        let counters = Arc::<Counters>::default();
        Driver {
            machine,
            net: Net::new(Arc::clone(&counters)),
            framing: Framing::default(),
            tcp_buffer_limit: DEFAULT_TCP_BUFFER_LIMIT,
            tcp_connect: true,
            limits: TurnLimits::default(),
            sockets: Sockets::new(counters),
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
        self.sockets.insert_listening(local, Sock::Listening(i));
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
        self.net.backoffs.push(wren_io::Backoff::default());
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

    /// The bounds on the TCP connections the listeners accept (default
    /// [`ConnLimits::default`]): caps in total and per source IP address, descriptors in
    /// reserve, and the first-message deadline, as in `wren-mio` (which also bounds TLS
    /// handshakes and the bytes buffered over all connections; here there is no TLS, and
    /// each connection has its own [`Driver::tcp_buffer_limit`]).
    #[must_use]
    pub fn conn_limits(mut self, limits: ConnLimits) -> Self {
        self.net.limits = limits;
        self
    }

    /// The most sockets the machine may have bound at once through
    /// [`wren_core::SocketRequest::Bind`] (default [`crate::DEFAULT_MAX_BOUND_SOCKETS`]); further
    /// binds fail with [`wren_core::BindError::Exhausted`] until some are closed. The
    /// process's descriptor limit (`ulimit -n`) must allow as many, or binds fail the same
    /// way earlier.
    #[must_use]
    pub fn max_bound_sockets(mut self, sockets: usize) -> Self {
        self.sockets.set_max_bound(sockets);
        self
    }

    /// How much of the machine's output one turn takes, and how many commands it feeds,
    /// before the driver looks at its sockets again (default [`TurnLimits::default`]).
    #[must_use]
    pub fn turn_limits(mut self, limits: TurnLimits) -> Self {
        self.limits = limits;
        self
    }

    /// A handle to read the driver's counters, before, while and after it runs.
    #[must_use]
    pub fn stats(&self) -> StatsHandle {
        StatsHandle::new(Arc::clone(self.sockets.counters()))
    }

    /// Runs the machine until `shutdown` completes, then returns it.
    ///
    /// Each turn: drain `poll_transmit`, `poll_event` and `poll_socket_request` (binding
    /// and closing sockets for the machine) within the [`TurnLimits`] ([`wren_io::Drain`]),
    /// sleep until `poll_timeout`, a command or a socket, read the clock once, feed the
    /// machine (a socket's input, or the commands waiting). Events go to `events`
    /// (waiting when it is full; dropped and counted once its receiver is gone). When every
    /// command sender is dropped the driver goes on without commands: only `shutdown`
    /// stops it.
    ///
    /// # Errors
    ///
    /// [`DriverError::Recv`] when a UDP socket fails for good. Commands the machine refuses
    /// are logged and counted, never returned.
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
            let more = tokio::select! {
                biased;
                () = &mut shutdown => return Ok(self.machine),
                more = self.drain(now, &mut tx, &events) => more,
            };
            let deadline = self.machine.poll_timeout();
            let ours = self.net.next_deadline();
            let wake = [deadline, ours].into_iter().flatten().min();
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(self.machine),
                () = sleep_until(wake) => {
                    now = clock();
                    self.net.expire(now);
                    if self.machine.poll_timeout().is_some_and(|t| t <= now) {
                        tracing::trace!(timer = %wren_core::TimerName(&self.machine), "timeout");
                        self.machine.handle_timeout(now);
                    }
                }
                cmd = commands.recv(), if commands_open => {
                    now = clock();
                    match cmd {
                        Some(cmd) => commands_open = self.commands(now, cmd, &mut commands),
                        None => commands_open = false,
                    }
                }
                io = poll_fn(|cx| self.net.poll_io(cx, &mut rx)) => {
                    now = clock();
                    self.input(now, io, &rx)?;
                }
                // A limit stopped the drain: after one look at everything above (and at the
                // runtime's other tasks), drain again without waiting.
                () = yield_once(), if more => now = clock(),
            }
        }
    }

    /// Sends everything the machine has to send, hands out its events, and carries out its
    /// socket requests ([`Drain`]). Returns `true` when a [`TurnLimits`] limit stopped it.
    async fn drain(
        &mut self,
        now: Instant,
        tx: &mut Vec<u8>,
        events: &mpsc::Sender<M::Event>,
    ) -> bool {
        let mut drain = Drain::new(self.limits);
        loop {
            for gone in self.net.gone.drain(..) {
                report_disconnected(&mut self.machine, now, gone, self.sockets.counters());
            }
            match drain.next(&mut self.machine, now, Some(tx)) {
                Step::Transmit(t) => match self.sockets.route(&t) {
                    Route::Udp(s) => match self.net.udp(s) {
                        Some(udp) => udp::send(udp, &t, tx, self.counters()).await,
                        None => self.sockets.no_route(&t, "its socket is closed"),
                    },
                    Route::Stream => self.send_tcp(&t, tx),
                    Route::Dropped => {}
                },
                Step::Flush => {}
                Step::Event(event) => {
                    if events.send(event).await.is_err() {
                        self.counters().add(Counter::EventsDropped, 1);
                    }
                }
                Step::Request(r) => self
                    .sockets
                    .request(&mut self.machine, now, r, &mut self.net),
                Step::Done { more } => return more,
            }
        }
    }

    fn counters(&self) -> &Counters {
        self.sockets.counters()
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
            None => {
                return self
                    .sockets
                    .no_route(t, "no TCP connection and connecting is off");
            }
        };
        let Some(conn) = self.net.conns.get_mut(slot) else {
            return;
        };
        match conn.queue(self.framing, msg, self.tcp_buffer_limit) {
            Ok(()) => self.counters().add(Counter::FramesOut, 1),
            Err(WriteError::TooLong { .. }) => {
                tracing::debug!(to = %t.destination, len = msg.len(), "too long for RFC 4571, dropped");
                self.counters().add(Counter::DroppedUnsupported, 1);
            }
            Err(WriteError::Overflow { .. }) => self.close(slot, Close::Overflow),
        }
    }

    /// Feeds `first` and then the commands already waiting, up to
    /// [`TurnLimits::commands`]; `false` once every sender is gone.
    fn commands(
        &mut self,
        now: Instant,
        first: M::Command,
        commands: &mut mpsc::Receiver<M::Command>,
    ) -> bool {
        wren_io::command(&mut self.machine, now, first, self.sockets.counters());
        for _ in 1..self.limits.commands {
            match commands.try_recv() {
                Ok(cmd) => wren_io::command(&mut self.machine, now, cmd, self.sockets.counters()),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return false,
            }
        }
        true
    }

    /// Feeds what a socket said to the machine.
    fn input(&mut self, now: Instant, io: Io, rx: &[u8]) -> Result<(), DriverError> {
        let Driver {
            machine,
            net,
            sockets,
            ..
        } = self;
        let counters = sockets.counters();
        match io {
            Io::Udp { sock, len, source } => {
                let Some(local) = net.udp(sock).map(|u| u.local) else {
                    return Ok(());
                };
                counters.add(Counter::DatagramsIn, 1);
                let d = Datagram::udp(source, local, &rx[..len]);
                machine.handle_datagram(now, d);
            }
            Io::UdpError { sock, error } => {
                let Some(local) = net.udp(sock).map(|u| u.local) else {
                    return Ok(());
                };
                match disposition(&error) {
                    Disposition::Wait | Disposition::Retry => {}
                    Disposition::Transient => {
                        tracing::debug!(%local, %error, "UDP receive error, ignored");
                        counters.add(Counter::IoErrors, 1);
                    }
                    Disposition::Fatal => {
                        return Err(DriverError::Recv {
                            local,
                            source: error,
                        });
                    }
                }
            }
            Io::Accepted { stream, remote } => {
                if let Err(refusal) = net.admit(&stream, remote) {
                    tracing::debug!(%remote, ?refusal, "connection refused");
                    refusal.count(counters);
                    return Ok(()); // dropping it closes it
                }
                match stream.local_addr() {
                    Ok(local) => {
                        counters.add(Counter::TcpAccepted, 1);
                        net.add_admitted(now, Conn::open(stream, remote, local));
                    }
                    Err(error) => {
                        net.admission.release(remote.ip());
                        tracing::debug!(%remote, %error, "accepted connection unusable");
                    }
                }
            }
            Io::AcceptError { listener, error } => net.accept_failed(now, listener, &error),
            Io::Tcp {
                slot,
                step: tcp::Step::Connected,
            } => {
                counters.add(Counter::TcpConnected, 1);
                tracing::debug!(slot, "TCP connection established");
            }
            Io::Tcp {
                slot,
                step: tcp::Step::Data(len),
            } => {
                let (framing, limit) = (self.framing, self.tcp_buffer_limit);
                let Some(conn) = net.conns.get_mut(slot) else {
                    return Ok(());
                };
                let (remote, local) = (conn.remote, conn.local.unwrap_or(conn.remote));
                let mut delivered = false;
                let fed = conn.reader.feed(&rx[..len], framing, limit, |msg| {
                    delivered = true;
                    counters.add(Counter::FramesIn, 1);
                    machine.handle_datagram(now, Datagram::tcp(remote, local, msg));
                });
                conn.delivered |= delivered;
                if let Err(why) = fed {
                    self.close(slot, why.into());
                }
            }
            Io::Tcp {
                slot,
                step: tcp::Step::Closed(why),
            } => self.close(slot, why),
        }
        Ok(())
    }

    /// Removes a connection, counts why, and queues its report to the machine.
    fn close(&mut self, slot: usize, why: Close) {
        self.net.close(slot, why);
    }
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
