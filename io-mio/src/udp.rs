//! UDP: batched receive and send (one `recvmmsg`/`sendmmsg` per batch on Linux, a loop of
//! `recv_from`/`send_to` elsewhere), with UDP GSO (`UDP_SEGMENT`) on Linux for runs of
//! same-size datagrams to one destination. Which socket a transmit leaves from is
//! [`wren_core::SocketIndex::choose`]; how a GSO transmit is cut, [`Transmit::segments`].

use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use wren_core::Transmit;

use wren_io::{Counter, Counters, Disposition, disposition};

/// Datagrams per `recvmmsg`/`sendmmsg` call, and transmits per send batch.
pub const BATCH: usize = 32;
/// Iovecs per `sendmmsg` call (the parts of its messages); at least [`GSO_SEGMENTS`].
pub(crate) const IOVS: usize = 4 * BATCH;
/// Datagrams per GSO message at most (the kernel's `UDP_MAX_SEGMENTS` before 6.1).
pub(crate) const GSO_SEGMENTS: usize = 64;
/// Bytes per GSO message at most (under the 65,507 of one IPv4 UDP payload).
pub(crate) const GSO_BYTES: usize = 65_000;

/// A UDP socket and the local address it is bound to (the `destination` of what it receives).
#[derive(Debug)]
pub(crate) struct Udp {
    pub(crate) sock: UdpSocket,
    pub(crate) local: SocketAddr,
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

impl Entry {
    fn len(&self) -> usize {
        self.end - self.start
    }
}

/// One message of a `sendmmsg` call: `count` entries from `first`, one socket, one
/// destination; `gso` is their segment size when they leave as one GSO message (0: one
/// datagram).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Msg {
    first: usize,
    count: usize,
    gso: usize,
}

/// Whether the driver sends with GSO: not asked or not Linux (`Off`), not yet sent one
/// (`Untried`: a refusal of the first one turns it off for good), or working (`On`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gso {
    Off,
    Untried,
    On,
}

/// Up to [`BATCH`] transmits, each written by the machine into its own reused buffer, sent
/// together. A transmit with `segment_size` (GSO) becomes one entry per segment, each a
/// slice of the same buffer: no copy, and still one system call per batch.
///
/// At flush, consecutive entries of one socket to one destination, all of one size but
/// the last (which is not longer), become one GSO message (`UDP_SEGMENT`, at most
/// [`GSO_SEGMENTS`] datagrams and [`GSO_BYTES`] bytes), a segmented transmit's entries
/// included; everything else is one datagram per message. If the kernel refuses the
/// driver's first GSO message (`EIO`, `EINVAL`, `ENOPROTOOPT`: no checksum offload, a
/// kernel without it), GSO is off for the rest of the run, counted in
/// [`crate::Stats::gso_disabled`]; a GSO message that fails for any reason is sent again
/// one datagram per message, so no datagram is lost to GSO.
#[derive(Debug)]
pub(crate) struct SendBatch {
    bufs: Vec<Vec<u8>>,
    used: usize,
    entries: Vec<Entry>,
    sent: usize,
    /// Entries from `sent` to send one per message (a refused GSO message's).
    solo: usize,
    gso: Gso,
    blocked: bool,
    headers: Box<Headers>,
}

/// The starting capacity of each send buffer (each grows once to the largest transmit).
const SEND_BUFFER: usize = 2048;
/// The socket slot of an entry whose socket was closed before it could be sent.
const CLOSED: usize = usize::MAX;

impl SendBatch {
    /// An empty batch; `gso`: whether to try UDP GSO (never outside Linux).
    pub(crate) fn new(gso: bool) -> SendBatch {
        SendBatch {
            bufs: (0..BATCH)
                .map(|_| Vec::with_capacity(SEND_BUFFER))
                .collect(),
            used: 0,
            entries: Vec::with_capacity(BATCH),
            sent: 0,
            solo: 0,
            gso: if gso && cfg!(target_os = "linux") {
                Gso::Untried
            } else {
                Gso::Off
            },
            blocked: false,
            headers: Headers::new(),
        }
    }

    /// The buffer for the next transmit, after sending the batch if it is full (or
    /// blocked); `None` while a socket's send buffer is full: the machine keeps its
    /// transmits until a writable event.
    pub(crate) fn room(
        &mut self,
        socks: &[Option<Udp>],
        counters: &Counters,
    ) -> Option<&mut Vec<u8>> {
        if (self.blocked || self.used == self.bufs.len()) && !self.flush(socks, counters) {
            return None;
        }
        self.bufs.get_mut(self.used)
    }

    /// The bytes of the transmit just written into [`SendBatch::room`] and not committed
    /// (a stream transmit's message).
    pub(crate) fn written(&self) -> &[u8] {
        self.bufs.get(self.used).map_or(&[], Vec::as_slice)
    }

    /// Adds the transmit just written into [`SendBatch::room`], to leave from `sock`.
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

    /// Sends what is queued, one system call per run of up to [`BATCH`] messages for the
    /// same socket. Returns `false` if a socket would block: the rest stays queued (the
    /// machine is not asked for more) until a later flush, after the socket's writable
    /// event, gets it out. A datagram the kernel refuses is logged, counted and dropped.
    pub(crate) fn flush(&mut self, socks: &[Option<Udp>], counters: &Counters) -> bool {
        while self.sent < self.entries.len() {
            let sock = self.entries[self.sent].sock;
            let run = self.entries[self.sent..]
                .iter()
                .take_while(|e| e.sock == sock)
                .count();
            let Some(udp) = socks.get(sock).and_then(Option::as_ref) else {
                tracing::debug!(gone = run, "socket closed before its datagrams were sent");
                counters.add(Counter::DroppedNoRoute, run as u64);
                self.sent += run;
                self.solo = self.solo.saturating_sub(run);
                continue;
            };
            let entries = &self.entries[self.sent..self.sent + run];
            let mut msgs = [Msg::default(); BATCH];
            let n = plan(entries, self.gso != Gso::Off, self.solo, &mut msgs);
            let bufs = &self.bufs;
            let out = msgs[..n].iter().map(|m| {
                let part = &entries[m.first..m.first + m.count];
                let gso = u16::try_from(m.gso).unwrap_or(0);
                (
                    part[0].to,
                    gso,
                    part.iter().map(|e| &bufs[e.buf][e.start..e.end]),
                )
            });
            match send(udp, out, &mut self.headers) {
                Ok(k) if k > 0 => {
                    let done = &msgs[..k.min(n)];
                    let datagrams: usize = done.iter().map(|m| m.count).sum();
                    let (gso_msgs, gso_segs) = done
                        .iter()
                        .filter(|m| m.gso > 0)
                        .fold((0, 0), |(a, b), m| (a + 1, b + m.count));
                    if gso_msgs > 0 && self.gso == Gso::Untried {
                        self.gso = Gso::On;
                    }
                    self.sent += datagrams;
                    self.solo = self.solo.saturating_sub(datagrams);
                    counters.add(Counter::BatchesOut, 1);
                    counters.add(Counter::DatagramsOut, datagrams as u64);
                    counters.add(Counter::GsoMessages, gso_msgs);
                    counters.add(Counter::GsoSegments, gso_segs as u64);
                }
                Err(e) if disposition(&e) == Disposition::Wait => {
                    self.blocked = true;
                    return false;
                }
                Err(e) if disposition(&e) == Disposition::Retry => {}
                other => {
                    let to = entries[0].to;
                    let error = other
                        .err()
                        .unwrap_or_else(|| io::ErrorKind::WriteZero.into());
                    if msgs[0].gso > 0 {
                        // Its datagrams go again, one per message: none is lost.
                        self.solo = msgs[0].count;
                        if self.gso == Gso::Untried && gso_refused(&error) {
                            self.gso = Gso::Off;
                            counters.add(Counter::GsoDisabled, 1);
                            tracing::info!(local = %udp.local, %error, "UDP GSO refused by the kernel, off for this driver");
                        } else {
                            tracing::debug!(local = %udp.local, %to, %error, "UDP GSO send failed, its datagrams go one by one");
                        }
                        continue;
                    }
                    tracing::debug!(local = %udp.local, %to, %error, "UDP send failed, datagram dropped");
                    counters.add(Counter::IoErrors, 1);
                    self.sent += 1;
                    self.solo = self.solo.saturating_sub(1);
                }
            }
        }
        self.entries.clear();
        (self.used, self.sent, self.solo, self.blocked) = (0, 0, 0, false);
        true
    }
}

/// Cuts `entries` (all for one socket) into up to [`BATCH`] messages for one call, in
/// `out`; returns how many (at least one when there are entries). With `gso`, a run of
/// entries to one destination, of one size but the last (not longer), becomes one GSO
/// message, within [`GSO_SEGMENTS`], [`GSO_BYTES`] and the call's [`IOVS`]; the first
/// `solo` entries are one message each.
fn plan(entries: &[Entry], gso: bool, solo: usize, out: &mut [Msg; BATCH]) -> usize {
    let (mut n, mut i, mut iovs) = (0, 0, 0);
    while n < BATCH && i < entries.len() {
        let head = entries[i];
        let size = head.len();
        let mut m = Msg {
            first: i,
            count: 1,
            gso: 0,
        };
        let mut need = 1;
        if gso && i >= solo && size > 0 && size <= usize::from(u16::MAX) {
            let (mut bytes, mut last) = (size, head);
            while let Some(&next) = entries.get(i + m.count) {
                let len = next.len();
                if next.to != head.to
                    || len == 0
                    || len > size
                    || m.count == GSO_SEGMENTS
                    || bytes + len > GSO_BYTES
                {
                    break;
                }
                let joined = next.buf == last.buf && next.start == last.end;
                m.count += 1;
                bytes += len;
                need += usize::from(!joined);
                last = next;
                if len < size {
                    break;
                }
            }
            if m.count > 1 {
                m.gso = size;
            }
        }
        if n > 0 && iovs + need > IOVS {
            break;
        }
        iovs += need;
        out[n] = m;
        n += 1;
        i += m.count;
    }
    n
}

/// Whether a send error means the kernel does not do GSO on this socket.
#[cfg(target_os = "linux")]
fn gso_refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EIO | libc::EINVAL | libc::ENOPROTOOPT)
    )
}

#[cfg(not(target_os = "linux"))]
fn gso_refused(_e: &io::Error) -> bool {
    false
}

#[cfg(target_os = "linux")]
fn send<'a, P>(
    udp: &Udp,
    msgs: impl Iterator<Item = (SocketAddr, u16, P)>,
    headers: &mut Headers,
) -> io::Result<usize>
where
    P: Iterator<Item = &'a [u8]>,
{
    use std::os::fd::AsRawFd;
    crate::sys::sendmmsg(udp.sock.as_raw_fd(), msgs, headers)
}

/// One `send_to` per message: GSO is never on here, so each message is one datagram in
/// one part.
#[cfg(not(target_os = "linux"))]
fn send<'a, P>(
    udp: &Udp,
    msgs: impl Iterator<Item = (SocketAddr, u16, P)>,
    _headers: &mut Headers,
) -> io::Result<usize>
where
    P: Iterator<Item = &'a [u8]>,
{
    let mut sent = 0;
    for (to, _, mut parts) in msgs {
        let payload = parts.next().unwrap_or_default();
        match udp.sock.send_to(payload, to) {
            Ok(_) => sent += 1,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(buf: usize, start: usize, end: usize, to: &str) -> Entry {
        Entry {
            buf,
            start,
            end,
            to: to.parse().unwrap(),
            sock: 0,
        }
    }

    fn cut(entries: &[Entry], gso: bool, solo: usize) -> Vec<Msg> {
        let mut out = [Msg::default(); BATCH];
        let n = plan(entries, gso, solo, &mut out);
        out[..n].to_vec()
    }

    fn msg(first: usize, count: usize, gso: usize) -> Msg {
        Msg { first, count, gso }
    }

    #[test]
    fn same_size_runs_to_one_destination_are_merged_and_nothing_else() {
        const A: &str = "127.0.0.1:1";
        const B: &str = "127.0.0.1:2";
        let e = [
            entry(0, 0, 100, A),
            entry(1, 0, 120, A), // longer than the one before: not joined to it
            entry(2, 0, 120, A),
            entry(3, 0, 50, A), // shorter: the last of its message
            entry(4, 0, 120, A),
            entry(5, 0, 120, B), // another destination
            entry(6, 0, 0, B),   // empty: never merged
            entry(7, 0, 10, B),
        ];
        assert_eq!(
            cut(&e, true, 0),
            [
                msg(0, 1, 0),
                msg(1, 3, 120),
                msg(4, 1, 0),
                msg(5, 1, 0),
                msg(6, 1, 0),
                msg(7, 1, 0)
            ]
        );
        assert!(cut(&e, false, 0).iter().all(|m| m.count == 1 && m.gso == 0));
        // A refused GSO message's entries go alone, then merging resumes.
        assert_eq!(
            cut(&e[1..4], true, 2),
            [msg(0, 1, 0), msg(1, 1, 0), msg(2, 1, 0)]
        );
        let same: Vec<Entry> = (0..4).map(|b| entry(b, 0, 100, A)).collect();
        assert_eq!(cut(&same, true, 1), [msg(0, 1, 0), msg(1, 3, 100)]);
    }

    #[test]
    fn gso_messages_stay_within_the_segment_byte_and_iovec_bounds() {
        const A: &str = "127.0.0.1:1";
        // One segmented transmit: 100 segments of 10 bytes in one buffer.
        let seg: Vec<Entry> = (0..100).map(|i| entry(0, i * 10, i * 10 + 10, A)).collect();
        assert_eq!(cut(&seg, true, 0), [msg(0, 64, 10), msg(64, 36, 10)]);
        // 1400-byte datagrams: 46 fit in 65,000 bytes.
        let big: Vec<Entry> = (0..50).map(|b| entry(b, 0, 1400, A)).collect();
        assert_eq!(cut(&big, true, 0), [msg(0, 46, 1400), msg(46, 4, 1400)]);
        // 200 one-byte datagrams each in its own buffer: 64 iovecs per message, IOVS per
        // call.
        let many: Vec<Entry> = (0..200).map(|b| entry(b, 0, 1, A)).collect();
        let msgs = cut(&many, true, 0);
        assert_eq!(msgs.iter().map(|m| m.count).sum::<usize>(), IOVS);
        assert!(msgs.iter().all(|m| m.count <= GSO_SEGMENTS));
    }
}
