//! UDP: batched receive and send (one `recvmmsg`/`sendmmsg` per batch on Linux, a loop of
//! `recv_from`/`send_to` elsewhere). Which socket a transmit leaves from is
//! [`wren_core::SocketIndex::choose`]; how a GSO transmit is cut, [`Transmit::segments`].

use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use wren_core::Transmit;

use crate::stats::{Counters, bump};

/// Datagrams per `recvmmsg`/`sendmmsg` call, and transmits per send batch.
pub const BATCH: usize = 32;

/// A UDP socket and the local address it is bound to (the `destination` of what it receives).
#[derive(Debug)]
pub(crate) struct Udp {
    pub(crate) sock: UdpSocket,
    pub(crate) local: SocketAddr,
}

/// The buffer sizes asked for every UDP socket of the driver (`SO_RCVBUF`/`SO_SNDBUF`);
/// `None` leaves the OS default.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Buffers {
    pub(crate) recv: Option<usize>,
    pub(crate) send: Option<usize>,
}

/// Sizes `sock`'s buffers as `sizes` asks, and logs (debug) what the kernel granted. A
/// refusal is logged and the socket keeps its size: never fatal.
#[cfg(target_os = "linux")]
pub(crate) fn size_buffers(sock: &UdpSocket, local: SocketAddr, sizes: Buffers) {
    use std::os::fd::AsRawFd;

    use crate::sys::{Buffer, set_buffer};
    for (which, asked) in [(Buffer::Receive, sizes.recv), (Buffer::Send, sizes.send)] {
        let Some(asked) = asked else { continue };
        match set_buffer(sock.as_raw_fd(), which, asked) {
            Ok(granted) => {
                tracing::debug!(%local, ?which, asked, granted, "UDP socket buffer sized");
            }
            Err(error) => {
                tracing::warn!(%local, ?which, asked, %error, "UDP socket buffer not sized");
            }
        }
    }
}

/// Sizes `sock`'s buffers as `sizes` asks: not done outside Linux (logged once per socket).
#[cfg(not(target_os = "linux"))]
pub(crate) fn size_buffers(_sock: &UdpSocket, local: SocketAddr, sizes: Buffers) {
    if sizes.recv.is_some() || sizes.send.is_some() {
        tracing::debug!(%local, "UDP socket buffer sizes are only set on Linux");
    }
}

/// The reused headers of the batched system calls ([`crate::sys::Headers`] on Linux).
#[cfg(target_os = "linux")]
pub(crate) use crate::sys::Headers;

/// Nothing to keep between calls outside Linux: the batches are loops of single calls.
#[cfg(not(target_os = "linux"))]
#[derive(Debug)]
pub(crate) struct Headers;

#[cfg(not(target_os = "linux"))]
impl Headers {
    pub(crate) fn new() -> Box<Headers> {
        Box::new(Headers)
    }
}

/// One received datagram: its length in its slot of the receive buffer, and its source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) len: usize,
    pub(crate) source: Option<SocketAddr>,
    /// The datagram was longer than the slot and was cut (known on Linux only).
    pub(crate) truncated: bool,
}

/// Receives up to [`BATCH`] datagrams, datagram `i` into `rx[i * slot..][..slot]`.
///
/// `Err(WouldBlock)` when nothing is waiting.
#[cfg(target_os = "linux")]
pub(crate) fn recv_batch(
    sock: &UdpSocket,
    rx: &mut [u8],
    slot: usize,
    out: &mut Vec<Received>,
    headers: &mut Headers,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    crate::sys::recvmmsg(sock.as_raw_fd(), rx, slot, out, headers)
}

/// Receives up to [`BATCH`] datagrams, datagram `i` into `rx[i * slot..][..slot]`.
///
/// `Err(WouldBlock)` when nothing is waiting.
#[cfg(not(target_os = "linux"))]
pub(crate) fn recv_batch(
    sock: &UdpSocket,
    rx: &mut [u8],
    slot: usize,
    out: &mut Vec<Received>,
    _headers: &mut Headers,
) -> io::Result<usize> {
    out.clear();
    for chunk in rx.chunks_exact_mut(slot.max(1)).take(BATCH) {
        match sock.recv_from(chunk) {
            Ok((len, source)) => out.push(Received {
                len,
                source: Some(source),
                truncated: false,
            }),
            // An error after some datagrams is left for the next call to report.
            Err(e) if out.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    Ok(out.len())
}

/// One datagram of a send batch: a part of one of the batch's buffers.
#[derive(Debug, Clone, Copy)]
struct Entry {
    buf: usize,
    start: usize,
    end: usize,
    to: SocketAddr,
    sock: usize,
}

/// Up to [`BATCH`] transmits, each written by the machine into its own reused buffer, sent
/// together. A transmit with `segment_size` (GSO) becomes one entry per segment, each a
/// slice of the same buffer: no copy, and still one system call per [`BATCH`] datagrams.
#[derive(Debug)]
pub(crate) struct SendBatch {
    bufs: Vec<Vec<u8>>,
    used: usize,
    entries: Vec<Entry>,
    sent: usize,
    blocked: bool,
    headers: Box<Headers>,
}

/// The starting capacity of each send buffer (each grows once to the largest transmit).
const SEND_BUFFER: usize = 2048;
/// The socket slot of an entry whose socket was closed before it could be sent.
const CLOSED: usize = usize::MAX;

impl SendBatch {
    pub(crate) fn new() -> SendBatch {
        SendBatch {
            bufs: (0..BATCH)
                .map(|_| Vec::with_capacity(SEND_BUFFER))
                .collect(),
            used: 0,
            entries: Vec::with_capacity(BATCH),
            sent: 0,
            blocked: false,
            headers: Headers::new(),
        }
    }

    /// The cleared buffer for the next transmit; `None` when the batch is full.
    pub(crate) fn next_buf(&mut self) -> Option<&mut Vec<u8>> {
        let buf = self.bufs.get_mut(self.used)?;
        buf.clear();
        Some(buf)
    }

    /// Adds the transmit just written into [`SendBatch::next_buf`], to leave from `sock`.
    pub(crate) fn commit(&mut self, sock: usize, t: &Transmit) {
        let len = self.bufs[self.used].len();
        for range in t.segments(len) {
            self.entries.push(Entry {
                buf: self.used,
                start: range.start,
                end: range.end,
                to: t.destination,
                sock,
            });
        }
        self.used += 1;
    }

    /// Marks the unsent datagrams for the socket in `slot`, which is being closed: the
    /// next flush drops and counts them, and they cannot leave from another socket that
    /// later takes the slot.
    pub(crate) fn forget(&mut self, slot: usize) {
        for e in &mut self.entries[self.sent..] {
            if e.sock == slot {
                e.sock = CLOSED;
            }
        }
    }

    /// Whether the last flush stopped because a socket's send buffer was full.
    pub(crate) fn is_blocked(&self) -> bool {
        self.blocked
    }

    /// Sends what is queued, one system call per run of up to [`BATCH`] datagrams for the
    /// same socket. Returns `false` if a socket would block: the rest stays queued (the
    /// machine is not asked for more) until a later flush, after the socket's writable
    /// event, gets it out. A datagram the kernel refuses is logged, counted and dropped.
    pub(crate) fn flush(&mut self, socks: &[Option<Udp>], counters: &Counters) -> bool {
        while self.sent < self.entries.len() {
            let sock = self.entries[self.sent].sock;
            let run = self.entries[self.sent..]
                .iter()
                .take(BATCH)
                .take_while(|e| e.sock == sock);
            let Some(udp) = socks.get(sock).and_then(Option::as_ref) else {
                let gone = run.count();
                tracing::debug!(gone, "socket closed before its datagrams were sent");
                bump(&counters.dropped_no_route, gone as u64);
                self.sent += gone;
                continue;
            };
            let bufs = &self.bufs;
            let msgs = run.map(|e| (&bufs[e.buf][e.start..e.end], e.to));
            match send(udp, msgs, &mut self.headers) {
                Ok(k) if k > 0 => {
                    self.sent += k;
                    bump(&counters.batches_out, 1);
                    bump(&counters.datagrams_out, k as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked = true;
                    return false;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => {
                    let to = self.entries[self.sent].to;
                    let error = other
                        .err()
                        .unwrap_or_else(|| io::ErrorKind::WriteZero.into());
                    tracing::debug!(local = %udp.local, %to, %error, "UDP send failed, datagram dropped");
                    bump(&counters.io_errors, 1);
                    self.sent += 1;
                }
            }
        }
        self.entries.clear();
        (self.used, self.sent, self.blocked) = (0, 0, false);
        true
    }
}

#[cfg(target_os = "linux")]
fn send<'a>(
    udp: &Udp,
    msgs: impl Iterator<Item = (&'a [u8], SocketAddr)>,
    headers: &mut Headers,
) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    crate::sys::sendmmsg(udp.sock.as_raw_fd(), msgs, headers)
}

#[cfg(not(target_os = "linux"))]
fn send<'a>(
    udp: &Udp,
    msgs: impl Iterator<Item = (&'a [u8], SocketAddr)>,
    _headers: &mut Headers,
) -> io::Result<usize> {
    let mut sent = 0;
    for (payload, to) in msgs {
        match udp.sock.send_to(payload, to) {
            Ok(_) => sent += 1,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(sent)
}
