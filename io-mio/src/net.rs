//! The sockets, their tokens, and one step of input from each: no protocol here either.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use mio::event::Event;
use mio::net::TcpStream;
use mio::{Interest, Registry, Token};
use wren_core::framing::Framing;
use wren_core::stream::WriteError;
use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_io::{AcceptNext, ConnLimits, Disposition, DriverError, Sockets, disposition};

use crate::guard::Guard;

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

    /// Registers and adds a connection; returns its slot.
    pub(crate) fn add(&mut self, registry: &Registry, mut conn: Conn) -> io::Result<usize> {
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
