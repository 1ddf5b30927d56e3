//! TCP connections, accepted or opened on demand, and their framing
//! ([`wren_core::framing`]: STUN/ChannelData, RFC 8489 section 6.2.2 and RFC 8656
//! section 12.5, or RFC 4571 length prefixes).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::SocketAddr;

use mio::net::TcpStream;
use wren_core::framing::{Framing, FramingError, next_frame, rfc4571_prefix};

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

/// Why a frame could not be queued.
pub(crate) enum QueueError {
    /// The frame does not fit in an RFC 4571 length prefix: drop it, keep the connection.
    TooLong,
    /// The send queue would pass the limit: close the connection.
    Overflow,
}

/// One TCP connection: its stream, the partial frame read so far, bytes not yet written.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) remote: SocketAddr,
    /// The local address, known once connected.
    pub(crate) local: Option<SocketAddr>,
    connecting: bool,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    /// Frames queued before the connection was established (dropped if the connect fails).
    pub(crate) queued: u64,
}

impl Conn {
    /// An established connection (accepted or handed in).
    pub(crate) fn open(stream: TcpStream, remote: SocketAddr, local: SocketAddr) -> Conn {
        let _ = stream.set_nodelay(true);
        Conn::new(stream, remote, Some(local), false)
    }

    /// A connection whose non-blocking connect to `remote` is in progress.
    pub(crate) fn connecting(stream: TcpStream, remote: SocketAddr) -> Conn {
        Conn::new(stream, remote, None, true)
    }

    fn new(
        stream: TcpStream,
        remote: SocketAddr,
        local: Option<SocketAddr>,
        connecting: bool,
    ) -> Conn {
        Conn {
            stream,
            remote,
            local,
            connecting,
            inbuf: Vec::new(),
            out: Vec::new(),
            queued: 0,
        }
    }

    /// Whether the connect is still in progress.
    pub(crate) fn is_connecting(&self) -> bool {
        self.connecting
    }

    /// After an event on a connecting stream: `Ok(true)` once it is established (the way
    /// mio documents it: `take_error`, then `peer_addr`).
    pub(crate) fn finish_connect(&mut self) -> Result<bool, Close> {
        match self.stream.take_error() {
            Ok(Some(e)) | Err(e) => return Err(Close::Connect(e)),
            Ok(None) => {}
        }
        match self.stream.peer_addr() {
            Ok(_) => {
                self.local = Some(self.stream.local_addr().map_err(Close::Io)?);
                let _ = self.stream.set_nodelay(true);
                (self.connecting, self.queued) = (false, 0);
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(Close::Connect(e)),
        }
    }

    /// Writes queued bytes until none are left or the socket would block.
    pub(crate) fn flush(&mut self) -> Result<(), Close> {
        while !self.out.is_empty() && !self.connecting {
            match self.stream.write(&self.out) {
                Ok(0) => return Err(Close::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Close::Io(e)),
            }
        }
        Ok(())
    }

    /// Reads once into `rx`: `Ok(Some(n))` bytes, `Ok(None)` if nothing is waiting.
    pub(crate) fn read(&mut self, rx: &mut [u8]) -> Result<Option<usize>, Close> {
        loop {
            return match self.stream.read(rx) {
                Ok(0) => Err(Close::Eof),
                Ok(n) => Ok(Some(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if self.connecting => Err(Close::Connect(e)),
                Err(e) => Err(Close::Io(e)),
            };
        }
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
        if self.connecting {
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

/// The connections, in slots (a slot is part of the connection's mio token) and by remote.
#[derive(Debug, Default)]
pub(crate) struct Conns {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    by_remote: HashMap<SocketAddr, usize>,
}

impl Conns {
    /// The slot the next [`Conns::insert`] will use.
    pub(crate) fn next_slot(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

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
}
