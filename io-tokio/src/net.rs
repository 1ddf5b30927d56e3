//! Every socket of the driver, polled together from one task: the application's in turn,
//! those bound at the machine's request through their ready queue ([`crate::bound`]).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::ReadBuf;
use tokio::net::{TcpListener, TcpStream};
use wren_core::{BindError, Transport};
use wren_io::{AcceptNext, Admission, Backoff, ConnLimits, Counters, Deadlines, Host, Refusal};

use crate::bound::Bound;
use crate::tcp::{Close, Conns, Step};
use crate::udp::Udp;

/// Which UDP socket: one of the application's (an index into [`Net::udp`]) or one bound at
/// the machine's request (a slot of [`Net::bound`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sock {
    Listening(usize),
    Bound(usize),
}

/// What one of the sockets had to say.
pub(crate) enum Io {
    /// A datagram is in the receive buffer.
    Udp {
        sock: Sock,
        len: usize,
        source: SocketAddr,
    },
    /// Receiving on a UDP socket failed.
    UdpError { sock: Sock, error: io::Error },
    /// A listener accepted a connection.
    Accepted {
        stream: TcpStream,
        remote: SocketAddr,
    },
    /// A listener (by index) failed to accept one.
    AcceptError { listener: usize, error: io::Error },
    /// A connection made progress.
    Tcp { slot: usize, step: Step },
}

/// The sockets: UDP, listeners, connections.
pub(crate) struct Net {
    /// The application's UDP sockets.
    pub(crate) udp: Vec<Udp>,
    pub(crate) listeners: Vec<TcpListener>,
    /// Each listener's pause after an accept error (its index).
    pub(crate) backoffs: Vec<Backoff>,
    pub(crate) conns: Conns,
    /// The bounds on accepted connections, and what is admitted.
    pub(crate) limits: ConnLimits,
    pub(crate) admission: Admission,
    /// First-message deadlines of accepted connections: slot and serial.
    pub(crate) first_message: Deadlines<(usize, u64)>,
    /// The next accepted connection's serial.
    serial: u64,
    /// The UDP sockets bound at the machine's request.
    pub(crate) bound: Bound,
    /// Where the next poll of the application's sockets starts, so that a busy socket
    /// cannot starve the others.
    cursor: usize,
    /// Whether the next poll looks at the bound sockets first (it alternates, so that
    /// neither kind starves the other).
    bound_first: bool,
    /// The driver's counters.
    pub(crate) counters: Arc<Counters>,
    /// Connections closed that delivered messages, to report to the machine
    /// ([`wren_core::SocketResult::Disconnected`]): local, remote, transport.
    pub(crate) gone: Vec<(SocketAddr, SocketAddr, Transport)>,
}

/// The sockets [`wren_io::Sockets`] binds and closes for the machine go in and out of
/// [`Net::bound`].
impl Host for Net {
    type Slot = Sock;
    type Socket = Udp;

    fn adopt(&mut self, sock: std::net::UdpSocket, local: SocketAddr) -> Result<Sock, BindError> {
        self.bound.adopt(sock, local).map(Sock::Bound)
    }

    fn release(&mut self, slot: Sock) -> Option<Udp> {
        match slot {
            Sock::Bound(slot) => self.bound.remove(slot),
            Sock::Listening(_) => None,
        }
    }

    /// Closes the TCP connection from `remote` to `local` (there is no TLS here).
    fn disconnect(&mut self, local: SocketAddr, remote: SocketAddr, transport: Transport) -> bool {
        let Some(slot) = self.conns.find(remote) else {
            return false;
        };
        let matches = transport == Transport::Tcp
            && self
                .conns
                .get_mut(slot)
                .is_some_and(|c| c.local == Some(local));
        if matches {
            self.close(slot, Close::Requested);
        }
        matches
    }
}

impl Net {
    /// No sockets yet, counting into `counters`.
    pub(crate) fn new(counters: Arc<Counters>) -> Net {
        Net {
            udp: Vec::new(),
            listeners: Vec::new(),
            backoffs: Vec::new(),
            conns: Conns::default(),
            limits: ConnLimits::default(),
            admission: Admission::default(),
            first_message: Deadlines::default(),
            serial: 0,
            bound: Bound::default(),
            cursor: 0,
            bound_first: false,
            counters,
            gone: Vec::new(),
        }
    }

    /// Removes a connection, counts why, and, if it delivered messages, queues its report
    /// to the machine.
    pub(crate) fn close(&mut self, slot: usize, why: Close) {
        let Some(conn) = self.conns.remove(slot) else {
            return;
        };
        why.count(&self.counters, conn.out.queued(), false);
        tracing::debug!(remote = %conn.remote, reason = %why, "TCP connection closed");
        if conn.admitted {
            self.admission.release(conn.remote.ip());
            // A descriptor is free: a paused listener tries again.
            for b in &mut self.backoffs {
                b.wake();
            }
        }
        if conn.delivered
            && let Some(local) = conn.local
        {
            self.gone.push((local, conn.remote, Transport::Tcp));
        }
    }

    /// Admits a connection a listener accepted ([`ConnLimits`]: the caps, and the
    /// descriptor reserve as the accepted descriptor's number shows it), or says why not.
    pub(crate) fn admit(&mut self, stream: &TcpStream, remote: SocketAddr) -> Result<(), Refusal> {
        let descriptors = descriptors(stream, self.admission.open());
        self.admission.admit(&self.limits, remote.ip(), descriptors)
    }

    /// Adds an admitted connection, with its first-message deadline.
    pub(crate) fn add_admitted(&mut self, now: Instant, mut conn: crate::tcp::Conn) {
        let serial = self.serial;
        self.serial += 1;
        conn.admitted = true;
        conn.serial = serial;
        let slot = self.conns.insert(conn.remote, conn);
        if let Some(t) = self.limits.first_message_timeout {
            self.first_message.push(now + t, (slot, serial));
        }
    }

    /// What follows a failed accept on `listener`.
    pub(crate) fn accept_failed(&mut self, now: Instant, listener: usize, error: &io::Error) {
        if let Some(b) = self.backoffs.get_mut(listener) {
            let _: AcceptNext = b.failed(now, error, &self.counters);
        }
    }

    /// Closes the connections whose first-message deadline has come, and resumes the
    /// listeners whose pause is over.
    pub(crate) fn expire(&mut self, now: Instant) {
        while let Some((slot, serial)) = self.first_message.pop_due(now) {
            if self
                .conns
                .get_mut(slot)
                .is_some_and(|c| c.serial == serial && c.admitted && !c.delivered)
            {
                self.close(slot, Close::FirstMessageDeadline);
            }
        }
        for b in &mut self.backoffs {
            b.resume(now);
        }
    }

    /// The earliest first-message deadline or end of a listener's pause.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.backoffs
            .iter()
            .map(Backoff::until)
            .chain([self.first_message.next()])
            .flatten()
            .min()
    }

    /// The UDP socket `sock`, if it is open.
    pub(crate) fn udp(&self, sock: Sock) -> Option<&Udp> {
        match sock {
            Sock::Listening(i) => self.udp.get(i),
            Sock::Bound(slot) => self.bound.get(slot),
        }
    }

    /// The first socket with something to say: the application's sockets in turn from
    /// the cursor, and the bound sockets in their ready queue, the two kinds first in turn.
    ///
    /// Received bytes go into `rx`. Every socket that returns `Pending` has registered a
    /// waker that wakes the task, so nothing is missed until the next call.
    pub(crate) fn poll_io(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Io> {
        self.bound_first = !self.bound_first;
        if self.bound_first {
            if let Poll::Ready(io) = self.poll_bound(cx, rx) {
                return Poll::Ready(io);
            }
            self.poll_own(cx, rx)
        } else {
            if let Poll::Ready(io) = self.poll_own(cx, rx) {
                return Poll::Ready(io);
            }
            self.poll_bound(cx, rx)
        }
    }

    fn poll_bound(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Io> {
        self.bound.poll_recv(cx, rx).map(|(slot, r)| {
            let sock = Sock::Bound(slot);
            match r {
                Ok((len, source)) => Io::Udp { sock, len, source },
                Err(error) => Io::UdpError { sock, error },
            }
        })
    }

    /// Polls the application's sockets in turn from the cursor.
    fn poll_own(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Io> {
        let (udp, listeners) = (self.udp.len(), self.listeners.len());
        let total = udp + listeners + self.conns.slots();
        for i in 0..total {
            let source = (self.cursor + i) % total;
            let io = if source < udp {
                self.poll_udp(cx, source, rx)
            } else if source < udp + listeners {
                let listener = source - udp;
                if self.backoffs[listener].until().is_some() {
                    // Paused after an accept error: Net::expire resumes it.
                    continue;
                }
                match self.listeners[listener].poll_accept(cx) {
                    Poll::Ready(Ok((stream, remote))) => {
                        self.backoffs[listener].succeeded();
                        Poll::Ready(Io::Accepted { stream, remote })
                    }
                    Poll::Ready(Err(error)) => Poll::Ready(Io::AcceptError { listener, error }),
                    Poll::Pending => Poll::Pending,
                }
            } else {
                let slot = source - udp - listeners;
                match self.conns.get_mut(slot) {
                    Some(conn) => conn.poll(cx, rx).map(|step| Io::Tcp { slot, step }),
                    None => Poll::Pending,
                }
            };
            if io.is_ready() {
                self.cursor = source + 1;
                return io;
            }
        }
        Poll::Pending
    }

    fn poll_udp(&mut self, cx: &mut Context<'_>, sock: usize, rx: &mut [u8]) -> Poll<Io> {
        let mut buf = ReadBuf::new(rx);
        self.udp[sock]
            .sock
            .poll_recv_from(cx, &mut buf)
            .map(|r| match r {
                Ok(source) => Io::Udp {
                    sock: Sock::Listening(sock),
                    len: buf.filled().len(),
                    source,
                },
                Err(error) => Io::UdpError {
                    sock: Sock::Listening(sock),
                    error,
                },
            })
    }
}

/// The descriptors open, at least (the accepted one's number: the kernel hands out the
/// lowest free), and the process's soft limit; `None` where either is unknown.
fn descriptors(stream: &TcpStream, admitted: usize) -> Option<(usize, usize)> {
    let (soft, _) = wren_io::sockopt::nofile_limit().ok()?;
    let limit = usize::try_from(soft).unwrap_or(usize::MAX);
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let fd = usize::try_from(stream.as_raw_fd()).ok()?;
        Some(((fd + 1).max(admitted + 1), limit))
    }
    #[cfg(not(unix))]
    {
        let _ = (stream, admitted, limit);
        None
    }
}
