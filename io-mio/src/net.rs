//! The sockets, their tokens, and one step of input from each: no protocol here either.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use mio::event::Event;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use rustls::ServerConnection;
use wren_core::framing::Framing;
use wren_core::stream::WriteError;
use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_io::{
    AcceptNext, Admission, ConnLimits, Deadlines, Disposition, DriverError, Sockets, disposition,
};

use crate::tcp::{Close, Conn, Conns, Listener};
use crate::udp::{self, BATCH, Headers, Received, Udp};
use wren_io::{Counter, Counters};

/// Tokens below this are UDP sockets, the application's and those bound at the machine's
/// request alike (the token is the socket's slot in [`Net::udp`]).
pub(crate) const LISTENER_BASE: usize = 1 << 24;
/// Tokens from here are TCP connections, plain or TLS (slot + CONN_BASE); between,
/// listeners, plain or TLS.
pub(crate) const CONN_BASE: usize = LISTENER_BASE + (1 << 16);
/// The waker's token.
pub(crate) const WAKER: Token = Token(usize::MAX);

/// What a token stands for.
pub(crate) enum Source {
    Udp(usize),
    Listener(usize),
    Conn(usize),
}

impl Source {
    pub(crate) fn of(token: Token) -> Source {
        match token.0 {
            t if t < LISTENER_BASE => Source::Udp(t),
            t if t < CONN_BASE => Source::Listener(t - LISTENER_BASE),
            t => Source::Conn(t - CONN_BASE),
        }
    }
}

/// The driver's settings for its sockets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) framing: Framing,
    pub(crate) tcp_buffer_limit: usize,
    pub(crate) tcp_connect: bool,
    /// Bytes per datagram slot of the receive buffer.
    pub(crate) udp_slot: usize,
    /// Whether UDP sends try GSO ([`crate::Driver::udp_gso`]).
    pub(crate) udp_gso: bool,
    /// The bounds on accepted connections ([`crate::Driver::conn_limits`]).
    pub(crate) limits: ConnLimits,
}

/// A connection's deadline: its slot, and its serial (a later connection in the slot has
/// another).
pub(crate) type Due = (usize, u64);

/// The accepted connections' bookkeeping beyond their table: what is admitted, their
/// deadlines, the bytes they buffer together, the descriptors, and the closes still to be
/// reported to the machine.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    pub(crate) admission: Admission,
    /// First-message deadlines, in time order.
    pub(crate) first_message: Deadlines<Due>,
    /// TLS handshake deadlines, in time order.
    pub(crate) handshake: Deadlines<Due>,
    /// The bytes buffered over all connections.
    pub(crate) buffered: usize,
    /// The next connection's serial.
    pub(crate) serial: u64,
    /// The descriptors open when the run began that are not the driver's sockets (the
    /// poller, the waker, the application's files), and the process's soft limit.
    pub(crate) descriptors: Option<(usize, usize)>,
    /// Connections closed that delivered messages, to report to the machine
    /// ([`wren_core::SocketResult::Disconnected`]): local, remote, transport.
    pub(crate) gone: Vec<(SocketAddr, SocketAddr, Transport)>,
}

/// Every socket of the driver.
#[derive(Debug)]
pub(crate) struct Net {
    /// The UDP sockets by slot (their token): first the application's, which stay, then
    /// those bound at the machine's request, whose slots are freed on close and reused.
    pub(crate) udp: Vec<Option<Udp>>,
    /// Free slots of `udp`.
    pub(crate) free_udp: Vec<usize>,
    pub(crate) listeners: Vec<Listener>,
    pub(crate) conns: Conns,
    pub(crate) config: Config,
    pub(crate) guard: Guard,
}

/// The machine and the counters, which every input goes to.
pub(crate) struct Sink<'a, M> {
    pub(crate) machine: &'a mut M,
    pub(crate) counters: &'a Counters,
    pub(crate) now: Instant,
}

impl<M: Machine> Sink<'_, M> {
    /// Hands one datagram to the machine.
    pub(crate) fn feed(&mut self, d: Datagram<'_>) {
        self.machine.handle_datagram(self.now, d);
    }
}

impl Net {
    /// Reads one step from `token`'s socket (one batch, one accept, one read) and feeds the
    /// machine. `Ok(true)` when more may be waiting (for UDP: the batch came back full):
    /// the caller comes back before sleeping.
    pub(crate) fn read_step<M: Machine>(
        &mut self,
        registry: &Registry,
        token: Token,
        (rx, received, headers): (&mut [u8], &mut Vec<Received>, &mut Headers),
        sink: &mut Sink<'_, M>,
    ) -> Result<bool, DriverError> {
        match Source::of(token) {
            Source::Udp(i) => {
                let Some(u) = self.udp.get(i).and_then(Option::as_ref) else {
                    return Ok(false);
                };
                let slot = self.config.udp_slot;
                // A batch shorter than this emptied the socket: the kernel reports the next
                // datagram that arrives (each arrival is an edge), so no read to WouldBlock.
                let full = (rx.len() / slot.max(1)).min(BATCH);
                match udp::recv_batch(&u.sock, rx, slot, received, headers) {
                    Ok(n) => {
                        sink.counters.add(Counter::BatchesIn, 1);
                        for (k, r) in received.iter().take(n).enumerate() {
                            let Some(source) = r.source.filter(|_| !r.truncated) else {
                                sink.counters.add(Counter::DroppedTruncated, 1);
                                continue;
                            };
                            sink.counters.add(Counter::DatagramsIn, 1);
                            sink.feed(Datagram::udp(source, u.local, &rx[k * slot..][..r.len]));
                        }
                        Ok(n >= full)
                    }
                    Err(e) => match disposition(&e) {
                        Disposition::Wait => Ok(false),
                        Disposition::Retry => Ok(true),
                        Disposition::Transient => {
                            tracing::debug!(local = %u.local, error = %e, "UDP receive error, ignored");
                            sink.counters.add(Counter::IoErrors, 1);
                            Ok(true)
                        }
                        Disposition::Fatal => Err(DriverError::Recv {
                            local: u.local,
                            source: e,
                        }),
                    },
                }
            }
            Source::Listener(j) => {
                let Some(listener) = self.listeners.get_mut(j) else {
                    return Ok(false);
                };
                if listener.backoff.until().is_some() {
                    // Paused: [`Net::expire`] brings it back when the pause is over.
                    return Ok(false);
                }
                match listener.sock.accept() {
                    Ok((stream, remote)) => {
                        listener.backoff.succeeded();
                        let tls = listener.tls.as_ref().map(Arc::clone);
                        self.accepted(registry, stream, remote, tls, sink);
                        Ok(true)
                    }
                    Err(e) => Ok(match listener.backoff.failed(sink.now, &e, sink.counters) {
                        AcceptNext::Now => true,
                        AcceptNext::Wait | AcceptNext::Until(_) => false,
                    }),
                }
            }
            Source::Conn(slot) => {
                let (framing, limit) = (self.config.framing, self.config.tcp_buffer_limit);
                let Some(conn) = self.conns.get_mut(slot).filter(|c| !c.is_connecting()) else {
                    return Ok(false);
                };
                let (remote, local) = (conn.remote, conn.local.unwrap_or(conn.remote));
                let proto = conn.transport();
                let mut delivered = false;
                let result = conn.read_messages(rx, framing, limit, |msg| {
                    delivered = true;
                    sink.counters.add(Counter::FramesIn, 1);
                    sink.feed(Datagram {
                        proto,
                        ..Datagram::tcp(remote, local, msg)
                    });
                });
                conn.delivered |= delivered;
                match result.and_then(|more| self.account(slot).map(|()| more)) {
                    Ok(more) => Ok(more),
                    Err(why) => {
                        self.close(registry, slot, why, sink.counters);
                        Ok(false)
                    }
                }
            }
        }
    }

    /// Handles a readiness event of a connection: finishes a connect, writes what is
    /// queued. Returns whether it should be read.
    pub(crate) fn conn_event(
        &mut self,
        registry: &Registry,
        slot: usize,
        ev: &Event,
        counters: &Counters,
    ) -> bool {
        let Some(conn) = self.conns.get_mut(slot) else {
            return false;
        };
        let mut result = Ok(());
        if conn.is_connecting() {
            match conn.finish_connect() {
                Ok(true) => {
                    counters.add(Counter::TcpConnected, 1);
                    tracing::debug!(remote = %conn.remote, "TCP connection established");
                }
                Ok(false) => return false,
                Err(why) => result = Err(why),
            }
        }
        if result.is_ok() && (ev.is_writable() || ev.is_write_closed()) {
            result = conn.flush().and_then(|()| self.account(slot));
        }
        match result {
            Ok(()) => ev.is_readable() || ev.is_read_closed() || ev.is_error(),
            Err(why) => {
                self.close(registry, slot, why, counters);
                false
            }
        }
    }

    /// Queues a TCP or TLS message on the connection to its destination (of that
    /// transport), opening a TCP one if allowed; TLS connections are never opened.
    pub(crate) fn send_stream(
        &mut self,
        registry: &Registry,
        t: &Transmit,
        msg: &[u8],
        sockets: &Sockets<usize>,
    ) {
        let counters = sockets.counters();
        let slot = match self.conns.find(t.destination) {
            Some(slot) => slot,
            None if t.proto == Transport::Tls => {
                return sockets.no_route(t, "no TLS connection (none is ever opened)");
            }
            None if self.config.tcp_connect => {
                tracing::debug!(to = %t.destination, "opening a TCP connection for a transmit");
                let conn =
                    TcpStream::connect(t.destination).map(|s| Conn::connecting(s, t.destination));
                match conn.and_then(|conn| self.add(registry, conn)) {
                    Ok(slot) => slot,
                    Err(e) => return sockets.no_route(t, &e.to_string()),
                }
            }
            None => return sockets.no_route(t, "no TCP connection and connecting is off"),
        };
        let Some(conn) = self
            .conns
            .get_mut(slot)
            .filter(|c| c.transport() == t.proto)
        else {
            return sockets.no_route(
                t,
                "the connection to this destination is of the other transport",
            );
        };
        let (framing, limit) = (self.config.framing, self.config.tcp_buffer_limit);
        let result = match conn.queue(framing, msg, limit) {
            Ok(()) => {
                counters.add(Counter::FramesOut, 1);
                conn.flush().and_then(|()| self.account(slot))
            }
            Err(WriteError::TooLong { .. }) => {
                tracing::debug!(to = %t.destination, len = msg.len(), "too long for RFC 4571, dropped");
                counters.add(Counter::DroppedUnsupported, 1);
                Ok(())
            }
            Err(WriteError::Overflow { .. }) => Err(Close::Overflow),
        };
        if let Err(why) = result {
            self.close(registry, slot, why, counters);
        }
    }

    /// Admits a connection a listener accepted ([`ConnLimits`]), or closes it at once and
    /// counts why; an admitted one gets its session (TLS), its deadlines and its slot.
    fn accepted<M: Machine>(
        &mut self,
        registry: &Registry,
        stream: TcpStream,
        remote: SocketAddr,
        tls: Option<Arc<rustls::ServerConfig>>,
        sink: &mut Sink<'_, M>,
    ) {
        let (accepted, proto) = match tls {
            Some(_) => (Counter::TlsAccepted, Transport::Tls),
            None => (Counter::TcpAccepted, Transport::Tcp),
        };
        let descriptors = self.descriptors(&stream);
        let limits = self.config.limits;
        if let Err(refusal) = self
            .guard
            .admission
            .admit(&limits, remote.ip(), descriptors)
        {
            tracing::debug!(%remote, ?proto, ?refusal, "connection refused");
            refusal.count(sink.counters);
            // Dropping it closes it.
            return;
        }
        let conn = stream.local_addr().and_then(|local| match tls {
            None => Ok(Conn::open(stream, remote, local)),
            Some(config) => ServerConnection::new(config)
                .map(|session| Conn::open_tls(stream, remote, local, session))
                .map_err(io::Error::other),
        });
        let serial = self.guard.serial;
        self.guard.serial += 1;
        let added = conn.and_then(|mut conn| {
            conn.serial = serial;
            conn.admitted = true;
            self.add(registry, conn)
        });
        match added {
            Ok(slot) => {
                sink.counters.add(accepted, 1);
                let now = sink.now;
                if let Some(t) = limits.first_message_timeout {
                    self.guard.first_message.push(now + t, (slot, serial));
                }
                if let (Some(t), Transport::Tls) = (limits.tls_handshake_timeout, proto) {
                    self.guard.handshake.push(now + t, (slot, serial));
                }
            }
            Err(e) => {
                self.guard.admission.release(remote.ip());
                tracing::debug!(%remote, ?proto, error = %e, "accepted connection unusable");
                sink.counters.add(Counter::IoErrors, 1);
            }
        }
    }

    /// The descriptors open (the accepted `stream` included) and the process's limit, if
    /// known: those open at the start that are not the driver's, plus the driver's
    /// sockets now; at least as many as `stream`'s number says (the kernel hands out the
    /// lowest free one).
    fn descriptors(&self, stream: &TcpStream) -> Option<(usize, usize)> {
        let (base, limit) = self.guard.descriptors?;
        let mine = self.udp.len() - self.free_udp.len()
            + self.listeners.len()
            + self.guard.admission.open();
        let open = base + mine + 1;
        #[cfg(unix)]
        let open = {
            use std::os::fd::AsRawFd;
            open.max(usize::try_from(stream.as_raw_fd()).map_or(0, |fd| fd + 1))
        };
        #[cfg(not(unix))]
        let _ = stream;
        Some((open, limit))
    }

    /// Brings the connection's buffered bytes into the total; past
    /// [`ConnLimits::total_buffer_limit`], the connection must close.
    fn account(&mut self, slot: usize) -> Result<(), Close> {
        let Some(conn) = self.conns.get_mut(slot) else {
            return Ok(());
        };
        let now = conn.buffered();
        let guard = &mut self.guard;
        guard.buffered = guard.buffered.saturating_sub(conn.accounted) + now;
        let grew = now > conn.accounted;
        conn.accounted = now;
        if grew && guard.buffered > self.config.limits.total_buffer_limit {
            Err(Close::TotalOverflow)
        } else {
            Ok(())
        }
    }

    /// Closes the connections whose deadline has come ([`ConnLimits`]) and resumes the
    /// listeners whose pause is over (pushing their tokens to `ready`).
    pub(crate) fn expire(
        &mut self,
        registry: &Registry,
        now: Instant,
        ready: &mut Vec<Token>,
        counters: &Counters,
    ) {
        while let Some((slot, serial)) = self.guard.handshake.pop_due(now) {
            if self
                .conns
                .get_mut(slot)
                .is_some_and(|c| c.serial == serial && c.admitted && c.is_handshaking())
            {
                self.close(registry, slot, Close::HandshakeDeadline, counters);
            }
        }
        while let Some((slot, serial)) = self.guard.first_message.pop_due(now) {
            if self
                .conns
                .get_mut(slot)
                .is_some_and(|c| c.serial == serial && c.admitted && !c.delivered)
            {
                self.close(registry, slot, Close::FirstMessageDeadline, counters);
            }
        }
        for (j, listener) in self.listeners.iter_mut().enumerate() {
            if listener.backoff.resume(now) {
                ready.push(Token(LISTENER_BASE + j));
            }
        }
    }

    /// The earliest of the connections' deadlines and the listeners' pauses.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let guard = &self.guard;
        [guard.first_message.next(), guard.handshake.next()]
            .into_iter()
            .chain(self.listeners.iter().map(|l| l.backoff.until()))
            .flatten()
            .min()
    }

    /// Closes the connection between `local` and `remote` of `transport` at the
    /// machine's request; `false` if there is none.
    pub(crate) fn disconnect(
        &mut self,
        registry: &Registry,
        (local, remote, transport): (SocketAddr, SocketAddr, Transport),
        counters: &Counters,
    ) -> bool {
        let Some(slot) = self.conns.find(remote) else {
            return false;
        };
        let matches = self
            .conns
            .get_mut(slot)
            .is_some_and(|c| c.local == Some(local) && c.transport() == transport);
        if matches {
            self.close(registry, slot, Close::Requested, counters);
        }
        matches
    }

    /// Registers and adds a connection; returns its slot.
    fn add(&mut self, registry: &Registry, mut conn: Conn) -> io::Result<usize> {
        let token = Token(CONN_BASE + self.conns.next_slot());
        registry.register(
            &mut conn.stream,
            token,
            Interest::READABLE | Interest::WRITABLE,
        )?;
        Ok(self.conns.insert(conn.remote, conn))
    }

    /// Removes a connection, counts why, and, if it delivered messages, queues its
    /// report to the machine; a descriptor is free, so a paused listener tries again.
    pub(crate) fn close(&mut self, registry: &Registry, slot: usize, why: Close, c: &Counters) {
        let Some(mut conn) = self.conns.remove(slot) else {
            return;
        };
        conn.goodbye(&why);
        let _ = registry.deregister(&mut conn.stream);
        why.count(c, conn.out.queued(), conn.is_handshaking());
        tracing::debug!(remote = %conn.remote, transport = ?conn.transport(), reason = %why, "connection closed");
        self.guard.buffered = self.guard.buffered.saturating_sub(conn.accounted);
        if conn.admitted {
            self.guard.admission.release(conn.remote.ip());
        }
        if conn.delivered
            && let Some(local) = conn.local
        {
            self.guard.gone.push((local, conn.remote, conn.transport()));
        }
        drop(conn);
        for listener in &mut self.listeners {
            listener.backoff.wake();
        }
    }
}
