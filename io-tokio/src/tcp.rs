//! TCP connections, accepted or opened on demand, and their framing
//! ([`wren_core::framing`]: STUN/ChannelData, RFC 8489 section 6.2.2 and RFC 8656
//! section 12.5, or RFC 4571 length prefixes).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use wren_core::framing::{Framing, FramingError, next_frame, rfc4571_prefix};

/// A connect in progress (one allocation per connection, none per packet).
pub(crate) type Connecting = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>;

enum Link {
    Connecting(Connecting),
    Open(TcpStream),
}

/// Why a connection was closed.
#[derive(Debug)]
pub(crate) enum Close {
    /// The peer closed its end.
    Eof,
    /// Reading or writing failed (reset, aborted, ...).
    Io(io::Error),
    /// An outgoing connect failed.
    Connect(io::Error),
    /// The stream could not be split into messages.
    Framing(FramingError),
    /// More bytes waited (to be framed, or to be written) than the configured limit.
    Overflow,
}

impl std::fmt::Display for Close {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Close::Eof => f.write_str("closed by the peer"),
            Close::Io(e) => write!(f, "I/O error: {e}"),
            Close::Connect(e) => write!(f, "connect failed: {e}"),
            Close::Framing(e) => write!(f, "framing error: {e}"),
            Close::Overflow => f.write_str("buffer limit passed"),
        }
    }
}

/// What polling a connection gave.
pub(crate) enum Step {
    /// An outgoing connect completed.
    Connected,
    /// This many bytes were read into the receive buffer.
    Data(usize),
    /// The connection is finished and must be removed.
    Closed(Close),
}

/// Why a frame could not be queued.
pub(crate) enum QueueError {
    /// The frame does not fit in an RFC 4571 length prefix: drop it, keep the connection.
    TooLong,
    /// The send queue would pass the limit: close the connection.
    Overflow,
}

/// One TCP connection: its stream, the partial frame read so far, bytes not yet written.
pub(crate) struct Conn {
    link: Link,
    pub(crate) remote: SocketAddr,
    /// The local address, known once connected.
    pub(crate) local: Option<SocketAddr>,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    /// Frames queued before the connection was established (dropped if the connect fails).
    pub(crate) queued: u64,
}

impl Conn {
    /// An established connection (accepted or handed in).
    pub(crate) fn open(stream: TcpStream, remote: SocketAddr, local: SocketAddr) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn::new(Link::Open(stream), remote, Some(local))
    }

    /// A connection being opened to `remote`.
    pub(crate) fn connecting(remote: SocketAddr) -> Conn {
        Conn::new(
            Link::Connecting(Box::pin(TcpStream::connect(remote))),
            remote,
            None,
        )
    }

    fn new(link: Link, remote: SocketAddr, local: Option<SocketAddr>) -> Conn {
        Conn {
            link,
            remote,
            local,
            inbuf: Vec::new(),
            out: Vec::new(),
            queued: 0,
        }
    }

    /// Finishes a connect, writes queued bytes, then reads into `rx`.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>, rx: &mut [u8]) -> Poll<Step> {
        let stream = match &mut self.link {
            Link::Open(stream) => stream,
            Link::Connecting(fut) => {
                let step = match ready!(fut.as_mut().poll(cx)) {
                    Err(e) => Step::Closed(Close::Connect(e)),
                    Ok(stream) => match stream.local_addr() {
                        Err(e) => Step::Closed(Close::Io(e)),
                        Ok(local) => {
                            let _ = stream.set_nodelay(true);
                            self.local = Some(local);
                            self.link = Link::Open(stream);
                            self.queued = 0;
                            Step::Connected
                        }
                    },
                };
                return Poll::Ready(step);
            }
        };
        while !self.out.is_empty() {
            match Pin::new(&mut *stream).poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Step::Closed(Close::Io(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => drop(self.out.drain(..n)),
                Poll::Ready(Err(e)) => return Poll::Ready(Step::Closed(Close::Io(e))),
                Poll::Pending => break,
            }
        }
        let mut buf = ReadBuf::new(rx);
        Poll::Ready(match ready!(Pin::new(stream).poll_read(cx, &mut buf)) {
            Ok(()) if buf.filled().is_empty() => Step::Closed(Close::Eof),
            Ok(()) => Step::Data(buf.filled().len()),
            Err(e) => Step::Closed(Close::Io(e)),
        })
    }

    /// Queues one message for sending, framed: with RFC 4571 behind a length prefix, with
    /// STUN/ChannelData as is, a ChannelData message padded to four bytes (RFC 8656 12.5).
    pub(crate) fn queue(
        &mut self,
        framing: Framing,
        msg: &[u8],
        limit: usize,
    ) -> Result<(), QueueError> {
        let prefix = match framing {
            Framing::Rfc4571 => Some(rfc4571_prefix(msg.len()).ok_or(QueueError::TooLong)?),
            _ => None,
        };
        let padding = match (framing, msg.first()) {
            (Framing::StunChannelData, Some(64..=79)) => msg.len().next_multiple_of(4) - msg.len(),
            _ => 0,
        };
        let framed = prefix.map_or(0, |p| p.len()) + msg.len() + padding;
        if self.out.len() + framed > limit {
            return Err(QueueError::Overflow);
        }
        if let Some(prefix) = prefix {
            self.out.extend_from_slice(&prefix);
        }
        self.out.extend_from_slice(msg);
        self.out.resize(self.out.len() + padding, 0);
        if matches!(self.link, Link::Connecting(_)) {
            self.queued += 1;
        }
        Ok(())
    }

    /// Adds bytes read from the stream and hands each complete message to `deliver`.
    ///
    /// When nothing is pending the messages are framed straight from `data`; only a partial
    /// message at the end is copied, and at most `limit` bytes of it are kept.
    pub(crate) fn feed(
        &mut self,
        data: &[u8],
        framing: Framing,
        limit: usize,
        deliver: impl FnMut(&[u8]),
    ) -> Result<(), Close> {
        if self.inbuf.is_empty() {
            let used = frames(framing, data, deliver)?;
            if data.len() - used > limit {
                return Err(Close::Overflow);
            }
            self.inbuf.extend_from_slice(&data[used..]);
        } else {
            self.inbuf.extend_from_slice(data);
            let used = frames(framing, &self.inbuf, deliver)?;
            self.inbuf.drain(..used);
            if self.inbuf.len() > limit {
                return Err(Close::Overflow);
            }
        }
        Ok(())
    }
}

/// Delivers every complete message at the start of `buf`; returns the bytes they used.
fn frames(framing: Framing, buf: &[u8], mut deliver: impl FnMut(&[u8])) -> Result<usize, Close> {
    let mut used = 0;
    while let Some(frame) = next_frame(framing, &buf[used..]).map_err(Close::Framing)? {
        deliver(frame.payload(&buf[used..]));
        used += frame.consumed;
    }
    Ok(used)
}

/// The connections, in slots (stable indices for polling) and by remote address.
#[derive(Default)]
pub(crate) struct Conns {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    by_remote: HashMap<SocketAddr, usize>,
}

impl Conns {
    /// Adds a connection; a later connection with the same remote takes over its route.
    pub(crate) fn insert(&mut self, conn: Conn) -> usize {
        let remote = conn.remote;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(conn);
                slot
            }
            None => {
                self.slots.push(Some(conn));
                self.slots.len() - 1
            }
        };
        self.by_remote.insert(remote, slot);
        slot
    }

    /// Removes the connection in `slot`.
    pub(crate) fn remove(&mut self, slot: usize) -> Option<Conn> {
        let conn = self.slots.get_mut(slot)?.take()?;
        if self.by_remote.get(&conn.remote) == Some(&slot) {
            self.by_remote.remove(&conn.remote);
        }
        self.free.push(slot);
        Some(conn)
    }

    /// The slot of the connection to `remote`.
    pub(crate) fn find(&self, remote: SocketAddr) -> Option<usize> {
        self.by_remote.get(&remote).copied()
    }

    /// The connection in `slot`.
    pub(crate) fn get_mut(&mut self, slot: usize) -> Option<&mut Conn> {
        self.slots.get_mut(slot)?.as_mut()
    }

    /// The number of slots (some may be empty).
    pub(crate) fn slots(&self) -> usize {
        self.slots.len()
    }
}
