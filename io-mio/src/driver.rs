//! The driver: builder, run loop, and the drain of the machine's output.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};
use rustls::ServerConfig;
use wren_core::Machine;
use wren_core::framing::Framing;
use wren_io::sockopt::size_buffers;
use wren_io::{
    Backoff, Buffers, ConnLimits, Disposition, Drain, DriverError, Route, Sockets, Step,
    TurnLimits, disposition, report_disconnected,
};

use crate::bound::Bound;
use crate::guard::Guard;
use crate::handle::{Handle, Shared};
use crate::net::{CONN_BASE, Config, LISTENER_BASE, Net, Sink, Source, WAKER};
use crate::tcp::{Conn, Conns, Listener};
use crate::udp::{BATCH, Headers, SendBatch, Udp};

/// The default bound on the bytes one TCP connection may hold, received or to be sent:
/// room for the largest STUN, ChannelData or RFC 4571 frame (65 559 bytes) and then some.
pub const DEFAULT_TCP_BUFFER_LIMIT: usize = 96 * 1024;
/// The default size of one datagram's slot in the receive buffer: [`BATCH`] slots of
/// 2048 bytes make the 64 KiB receive buffer. Larger datagrams are dropped and counted.
pub const DEFAULT_UDP_MAX_PAYLOAD: usize = 2048;
/// How many commands may wait in the channel of a [`Handle`].
pub const COMMAND_CAPACITY: usize = 1024;
/// Turns in a row that read the sockets known to have input without asking the poller:
/// then it is asked once (without waiting), so that other sockets, commands and shutdown
/// get their turn.
/// Sockets the ready lists have room for before they grow.
const READY_ROOM: usize = 1024;

const TURNS_WITHOUT_POLL: u32 = 8;

/// The one place the adapter reads the clock (STYLE.md section 8): once per wake-up.
#[allow(clippy::disallowed_methods)]
fn clock() -> Instant {
    Instant::now()
}

/// Drives one [`Machine`] over mio sockets on the calling thread (or one it spawns).
pub struct Driver<M: Machine> {
    machine: M,
    poll: Poll,
    net: Net,
    sockets: Sockets<usize>,
    limits: TurnLimits,
    shared: Arc<Shared>,
    commands: Receiver<M::Command>,
    command_tx: SyncSender<M::Command>,
}

impl<M: Machine> Driver<M> {
    /// A driver for `machine`, with no sockets yet, STUN/ChannelData framing, the default
    /// limits, and outgoing TCP connections allowed.
    ///
    /// # Errors
    ///
    /// When the poller or its waker cannot be created.
    pub fn new(machine: M) -> io::Result<Self> {
        let poll = Poll::new()?;
        let shared = Arc::new(Shared::new(Waker::new(poll.registry(), WAKER)?));
        let (command_tx, commands) = sync_channel(COMMAND_CAPACITY);
        let config = Config {
            framing: Framing::default(),
            tcp_buffer_limit: DEFAULT_TCP_BUFFER_LIMIT,
            tcp_connect: true,
            udp_slot: DEFAULT_UDP_MAX_PAYLOAD,
            udp_gso: true,
            limits: ConnLimits::default(),
        };
        let mut sockets = Sockets::new(Arc::clone(&shared.counters));
        sockets.set_tls(true);
        let net = Net {
            udp: Vec::new(),
            free_udp: Vec::new(),
            listeners: Vec::new(),
            conns: Conns::default(),
            config,
            guard: Guard::default(),
        };
        Ok(Driver {
            machine,
            poll,
            net,
            sockets,
            limits: TurnLimits::default(),
            shared,
            commands,
            command_tx,
        })
    }

    /// Adds a UDP socket (made non-blocking here). What it receives has its local address
    /// as `destination`, so bind it to a specific address when the machine needs the real
    /// one (no `IP_PKTINFO` here).
    ///
    /// # Errors
    ///
    /// When the socket cannot be made non-blocking or registered, or its address read.
    pub fn udp(mut self, sock: std::net::UdpSocket) -> io::Result<Self> {
        sock.set_nonblocking(true)?;
        let (local, mut sock) = (sock.local_addr()?, UdpSocket::from_std(sock));
        size_buffers(&sock, self.sockets.buffers());
        let slot = checked(self.net.udp.len(), LISTENER_BASE)?;
        self.poll.registry().register(
            &mut sock,
            Token(slot),
            Interest::READABLE | Interest::WRITABLE,
        )?;
        self.net.udp.push(Some(Udp { sock, local }));
        self.sockets.insert_listening(local, slot);
        Ok(self)
    }

    /// Adds a TCP listener (made non-blocking here); every connection it accepts is read
    /// and framed.
    ///
    /// # Errors
    ///
    /// When the listener cannot be made non-blocking or registered.
    pub fn tcp_listener(self, listener: std::net::TcpListener) -> io::Result<Self> {
        self.listener(listener, None)
    }

    /// Adds a TLS listener (made non-blocking here): every connection it accepts runs a
    /// [`rustls::ServerConnection`] of `config`, and is then read and framed as TCP is.
    /// Its messages reach the machine with `proto: Transport::Tls`; a transmit with
    /// `proto: Tls` goes, framed and encrypted, on the TLS connection from its
    /// `destination` (none is ever opened). The crypto provider, certificates, versions
    /// and ALPN are `config`'s.
    ///
    /// A connection whose handshake fails (or which closes before it completes) is closed
    /// and counted in [`crate::Stats::tls_handshake_failures`]; one that fails later, in
    /// [`crate::Stats::tls_errors`]. Either way the alert rustls has for the peer is sent
    /// once, without waiting, and no other connection is affected.
    ///
    /// # Errors
    ///
    /// When the listener cannot be made non-blocking or registered.
    pub fn tls_listener(
        self,
        listener: std::net::TcpListener,
        config: Arc<ServerConfig>,
    ) -> io::Result<Self> {
        self.listener(listener, Some(config))
    }

    fn listener(
        mut self,
        listener: std::net::TcpListener,
        tls: Option<Arc<ServerConfig>>,
    ) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        let mut sock = TcpListener::from_std(listener);
        let token =
            Token(LISTENER_BASE + checked(self.net.listeners.len(), CONN_BASE - LISTENER_BASE)?);
        self.poll
            .registry()
            .register(&mut sock, token, Interest::READABLE)?;
        self.net.listeners.push(Listener {
            sock,
            tls,
            backoff: Backoff::default(),
        });
        Ok(self)
    }

    /// Adds a connected TCP stream the application opened itself (made non-blocking here).
    ///
    /// # Errors
    ///
    /// When the stream is not connected or cannot be registered.
    pub fn tcp_stream(mut self, stream: std::net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        let (remote, local) = (stream.peer_addr()?, stream.local_addr()?);
        let mut conn = Conn::open(TcpStream::from_std(stream), remote, local);
        let token = Token(CONN_BASE + self.net.conns.next_slot());
        self.poll.registry().register(
            &mut conn.stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        self.net.conns.insert(remote, conn);
        Ok(self)
    }

    /// How TCP streams are split into messages (default [`Framing::StunChannelData`]).
    /// With [`Framing::Rfc4571`] the driver also adds the two-byte prefix when sending.
    #[must_use]
    pub fn framing(mut self, framing: Framing) -> Self {
        self.net.config.framing = framing;
        self
    }

    /// The most bytes one TCP connection may hold, as a partial message read or as bytes
    /// waiting to be written; past it the connection is closed
    /// (default [`DEFAULT_TCP_BUFFER_LIMIT`]). TLS connections have the same limit on
    /// their decrypted bytes, and rustls holds at most one more record (16 KiB) of
    /// encrypted bytes to send.
    #[must_use]
    pub fn tcp_buffer_limit(mut self, bytes: usize) -> Self {
        self.net.config.tcp_buffer_limit = bytes;
        self
    }

    /// Whether a TCP transmit to a destination with no connection opens one (default
    /// `true`). When `false`, such transmits are dropped and counted in
    /// [`crate::Stats::dropped_no_route`].
    #[must_use]
    pub fn tcp_connect(mut self, allow: bool) -> Self {
        self.net.config.tcp_connect = allow;
        self
    }

    /// The largest UDP datagram received whole (default [`DEFAULT_UDP_MAX_PAYLOAD`]); the
    /// receive buffer holds [`BATCH`] of them.
    #[must_use]
    pub fn udp_max_payload(mut self, bytes: usize) -> Self {
        self.net.config.udp_slot = bytes.clamp(1, 65_536);
        self
    }

    /// The most sockets the machine may have bound at once through
    /// [`wren_core::SocketRequest::Bind`] (default [`crate::DEFAULT_MAX_BOUND_SOCKETS`], at most
    /// 2^24 less the application's UDP sockets); further binds fail with
    /// [`wren_core::BindError::Exhausted`] until some are closed. The process's descriptor
    /// limit (`ulimit -n`) must allow as many, or binds fail the same way earlier.
    #[must_use]
    pub fn max_bound_sockets(mut self, sockets: usize) -> Self {
        self.sockets.set_max_bound(sockets);
        self
    }

    /// The receive buffer (`SO_RCVBUF`) asked for every UDP socket: those added with
    /// [`Driver::udp`] (before or after this call) and those bound for the machine. By
    /// default (`None`) sockets keep the OS default (`net.core.rmem_default`, often
    /// 208 KiB), which a relay under load overflows: datagrams are then dropped by the
    /// kernel before the driver sees them.
    ///
    /// On Linux `SO_RCVBUFFORCE` is tried first (it passes `net.core.rmem_max` but needs
    /// `CAP_NET_ADMIN`), then `SO_RCVBUF`, which the kernel caps at `net.core.rmem_max`.
    /// The size granted (as `getsockopt` reports it: twice the bytes asked, when granted
    /// in full) is logged at debug; a refusal is logged at warn and is not an error.
    /// Elsewhere the setting is ignored.
    #[must_use]
    pub fn udp_recv_buffer(mut self, bytes: Option<usize>) -> Self {
        let buffers = self.sockets.buffers();
        self.sockets.set_buffers(Buffers {
            recv: bytes,
            ..buffers
        });
        self.size_udp_buffers(Buffers {
            recv: bytes,
            send: None,
        })
    }

    /// The send buffer (`SO_SNDBUF`, `SO_SNDBUFFORCE` first, capped by
    /// `net.core.wmem_max` otherwise) asked for every UDP socket, as
    /// [`Driver::udp_recv_buffer`] does for receiving. Default `None`: the OS default.
    #[must_use]
    pub fn udp_send_buffer(mut self, bytes: Option<usize>) -> Self {
        let buffers = self.sockets.buffers();
        self.sockets.set_buffers(Buffers {
            send: bytes,
            ..buffers
        });
        self.size_udp_buffers(Buffers {
            recv: None,
            send: bytes,
        })
    }

    /// Whether UDP sends use GSO (Linux `UDP_SEGMENT`; default `true`). When on, datagrams
    /// queued one after the other for the same socket and destination, all of one size
    /// but the last (which is not longer), leave as one message of the `sendmmsg` (at most
    /// 64 datagrams, 65,000 bytes), and a transmit with `segment_size` leaves as one such
    /// message instead of one per segment: the kernel cuts them, for much less CPU per
    /// datagram. If the kernel refuses the first GSO message (no `UDP_SEGMENT`, or a
    /// device without checksum offload), GSO is turned off for the rest of the run,
    /// counted in [`crate::Stats::gso_disabled`], and those datagrams are sent one by one:
    /// none is lost. When off, and outside Linux, every datagram is a message of its own.
    #[must_use]
    pub fn udp_gso(mut self, on: bool) -> Self {
        self.net.config.udp_gso = on;
        self
    }

    /// The bounds on the stream connections the listeners accept (default
    /// [`ConnLimits::default`], safe for a public server): caps in total and per source
    /// IP address, descriptors kept in reserve for the sockets the machine binds (see
    /// [`wren_io::sockopt::raise_nofile_limit`] for the limit itself), deadlines for the
    /// first complete message and the TLS handshake, and the bytes buffered by all
    /// connections together. A refused connection is accepted and closed at once; every
    /// refusal and every close is counted by reason ([`crate::Stats`]). Connections the
    /// application hands in ([`Driver::tcp_stream`]) or the driver opens are not bounded
    /// by them, except the buffered bytes.
    #[must_use]
    pub fn conn_limits(mut self, limits: ConnLimits) -> Self {
        self.net.config.limits = limits;
        self
    }

    /// How much of the machine's output one turn takes, and how many commands it feeds,
    /// before the driver looks at its sockets again (default [`TurnLimits::default`]).
    #[must_use]
    pub fn turn_limits(mut self, limits: TurnLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Applies `sizes` to the UDP sockets already added.
    fn size_udp_buffers(self, sizes: Buffers) -> Self {
        for udp in self.net.udp.iter().flatten() {
            size_buffers(&udp.sock, sizes);
        }
        self
    }

    /// A handle to send commands, stop the driver, and read its counters.
    #[must_use]
    pub fn handle(&self) -> Handle<M::Command> {
        Handle {
            commands: self.command_tx.clone(),
            shared: Arc::clone(&self.shared),
        }
    }

    /// Runs [`Driver::run`] on a new thread named `wren-mio`.
    ///
    /// # Errors
    ///
    /// When the thread cannot be spawned.
    pub fn spawn<F>(self, on_event: F) -> io::Result<JoinHandle<Result<M, DriverError>>>
    where
        M: Send + 'static,
        M::Command: Send,
        F: FnMut(M::Event) + Send + 'static,
    {
        std::thread::Builder::new()
            .name("wren-mio".into())
            .spawn(move || self.run(on_event))
    }

    /// Runs the machine on this thread until [`Handle::shutdown`], then returns it.
    ///
    /// Each turn: drain `poll_transmit` into a send batch (one `sendmmsg`) and
    /// `poll_event` into `on_event`; `Poll::poll` until the machine's deadline when no
    /// socket is known to have input (a socket whose last batch came back full has more);
    /// when some is, skip the poller, except once every 8 turns (then
    /// it is asked without waiting); read the clock once; feed commands, one batch or read
    /// from each socket with input, and the timeout if it has come.
    ///
    /// # Errors
    ///
    /// [`DriverError::Poll`] if waiting fails, [`DriverError::Recv`] if a UDP socket fails
    /// for good. Machine errors are logged and counted, never returned.
    pub fn run(mut self, mut on_event: impl FnMut(M::Event)) -> Result<M, DriverError> {
        let mut events = Events::with_capacity(256);
        let mut rx = vec![0u8; (BATCH * self.net.config.udp_slot).max(64 * 1024)];
        let mut received = Vec::with_capacity(BATCH);
        let mut headers = Headers::new();
        let mut batch = SendBatch::new(self.net.config.udp_gso);
        // Sockets that may have more input than one step took (mio is edge-triggered). Both
        // lists start with room for many sockets so that, in steady state, a turn with more
        // sockets ready than any before does not allocate; past that they grow amortized.
        let room = (self.net.udp.len() + self.net.listeners.len()).max(READY_ROOM);
        let mut ready: Vec<Token> = Vec::with_capacity(room);
        ready.extend((0..self.net.udp.len()).map(Token));
        ready.extend((0..self.net.listeners.len()).map(|j| Token(LISTENER_BASE + j)));
        let mut again = Vec::with_capacity(room);
        let mut more_commands = true;
        let mut unpolled = 0;
        self.net.guard.descriptors = descriptors(&self.net);
        let mut now = clock();
        while !self.shared.is_shut_down() {
            let more_output = self.drain(now, &mut batch, &mut on_event);
            if !ready.is_empty() && unpolled < TURNS_WITHOUT_POLL {
                // Sockets still have input: read them without asking the poller.
                unpolled += 1;
                events.clear();
            } else {
                unpolled = 0;
                let timeout = if ready.is_empty() && !more_commands && !more_output {
                    [self.machine.poll_timeout(), self.net.next_deadline()]
                        .into_iter()
                        .flatten()
                        .min()
                        .map(|t| t.saturating_duration_since(now))
                } else {
                    Some(Duration::ZERO)
                };
                match self.poll.poll(&mut events, timeout) {
                    Err(e) if disposition(&e) == Disposition::Retry => {}
                    Err(e) => return Err(DriverError::Poll(e)),
                    Ok(()) => {}
                }
            }
            now = clock();
            let registry = self.poll.registry();
            for ev in &events {
                let token = ev.token();
                let read = match (token, Source::of(token)) {
                    (WAKER, _) => {
                        more_commands = true;
                        false
                    }
                    (_, Source::Conn(slot)) => {
                        self.net
                            .conn_event(registry, slot, ev, &self.shared.counters)
                    }
                    _ => ev.is_readable(),
                };
                if read {
                    ready.push(token);
                }
            }
            self.net
                .expire(self.poll.registry(), now, &mut ready, &self.shared.counters);
            // A token both left over from the last turn and reported again is read once:
            // O(k log k) in the k sockets with input, never a scan of every socket.
            ready.sort_unstable();
            ready.dedup();
            if more_commands {
                more_commands = self.commands(now);
            }
            let registry = self.poll.registry();
            let mut sink = Sink {
                machine: &mut self.machine,
                counters: &self.shared.counters,
                now,
            };
            std::mem::swap(&mut ready, &mut again);
            for token in again.drain(..) {
                if self.net.read_step(
                    registry,
                    token,
                    (&mut rx, &mut received, &mut headers),
                    &mut sink,
                )? {
                    ready.push(token);
                }
            }
            if self.machine.poll_timeout().is_some_and(|t| t <= now) {
                tracing::trace!(timer = %wren_core::TimerName(&self.machine), "timeout");
                self.machine.handle_timeout(now);
            }
        }
        Ok(self.machine)
    }

    /// Feeds up to [`TurnLimits::commands`] waiting commands; `true` if more may be
    /// waiting.
    fn commands(&mut self, now: Instant) -> bool {
        for _ in 0..self.limits.commands {
            let Ok(cmd) = self.commands.try_recv() else {
                return false;
            };
            wren_io::command(&mut self.machine, now, cmd, &self.shared.counters);
        }
        true
    }

    /// Sends everything the machine has to send (UDP in batches), hands out its events, and
    /// carries out its socket requests ([`Drain`]). While a UDP socket's send buffer is
    /// full, the machine keeps its transmits. Returns `true` when a [`TurnLimits`] limit
    /// stopped it: the caller comes back without sleeping.
    fn drain(
        &mut self,
        now: Instant,
        batch: &mut SendBatch,
        on_event: &mut impl FnMut(M::Event),
    ) -> bool {
        let mut drain = Drain::new(self.limits);
        let (registry, counters) = (self.poll.registry(), &self.shared.counters);
        loop {
            for gone in self.net.guard.gone.drain(..) {
                report_disconnected(&mut self.machine, now, gone, counters);
            }
            let buf = batch.room(&self.net.udp, counters);
            match drain.next(&mut self.machine, now, buf) {
                Step::Transmit(t) => match self.sockets.route(&t) {
                    Route::Udp(slot) => batch.commit(slot, &t),
                    Route::Stream => {
                        self.net
                            .send_stream(registry, &t, batch.written(), &self.sockets);
                    }
                    Route::Dropped => {}
                },
                Step::Flush => {
                    batch.flush(&self.net.udp, counters);
                }
                Step::Event(event) => on_event(event),
                Step::Request(r) => {
                    let mut host = Bound {
                        net: &mut self.net,
                        registry,
                        batch,
                        counters,
                    };
                    self.sockets.request(&mut self.machine, now, r, &mut host);
                }
                Step::Done { more } => return more,
            }
        }
    }
}

/// The descriptors open at the start of a run that are not `net`'s sockets, and the
/// process's soft limit (logged), for the descriptor reserve; `None` where either is
/// unknown.
fn descriptors(net: &Net) -> Option<(usize, usize)> {
    let (soft, _) = wren_io::sockopt::nofile_limit().ok()?;
    let open = wren_io::sockopt::open_descriptors()?;
    let mine = net.udp.len() + net.listeners.len() + net.guard.admission.open();
    let limit = usize::try_from(soft).unwrap_or(usize::MAX);
    tracing::debug!(
        limit,
        open,
        reserve = net.config.limits.fd_reserve,
        "descriptors at start"
    );
    Some((open.saturating_sub(mine), limit))
}

/// `n` if it is below `limit`, else an error: tokens are split in ranges by kind.
fn checked(n: usize, limit: usize) -> io::Result<usize> {
    if n < limit {
        Ok(n)
    } else {
        Err(io::Error::other(
            "too many sockets of one kind for the token ranges",
        ))
    }
}
