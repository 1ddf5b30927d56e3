//! The bounds on accepted connections, applied (wren-io's [`ConnLimits`], [`Admission`],
//! [`Deadlines`]): admitting or refusing each accepted connection, its deadlines, the bytes
//! all connections buffer together, closing one at the machine's request, and the closes
//! to report to the machine. The sockets themselves are `net.rs`'s.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use mio::net::TcpStream;
use mio::{Registry, Token};
use rustls::ServerConnection;
use wren_core::{Machine, Transport};
#[cfg(doc)]
use wren_io::ConnLimits;
use wren_io::{Admission, Counter, Counters, Deadlines};

use crate::net::{LISTENER_BASE, Net, Sink};
use crate::tcp::{Close, Conn};

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

impl Net {
    /// Admits a connection a listener accepted ([`ConnLimits`]), or closes it at once and
    /// counts why; an admitted one gets its session (TLS), its deadlines and its slot.
    pub(crate) fn accepted<M: Machine>(
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
    pub(crate) fn account(&mut self, slot: usize) -> Result<(), Close> {
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
}
