//! The per-connection buffers of a stream transport (TCP, TLS after decryption), and the
//! table that routes stream transmits to connections.
//!
//! An adapter owns the socket and reads into its one receive buffer; everything between the
//! bytes and the messages is here, with no I/O, no clock and no knowledge of the runtime:
//!
//! - [`StreamReader`] keeps the partial message a read left over and cuts complete ones with
//!   [`next_frame`] (RFC 8489 section 6.2.2, RFC 8656 section 12.5, RFC 4571).
//! - [`StreamWriter`] frames outgoing messages: the RFC 4571 length prefix, or, with
//!   STUN/ChannelData, ChannelData padded to a multiple of four bytes (RFC 8656
//!   section 12.5), and keeps the bytes the socket has not taken yet.
//! - [`Connections`] holds an adapter's connections in stable slots and finds the one whose
//!   remote end is a [`crate::Transmit`]'s `destination`.
//!
//! Both buffers are bounded by a limit the caller passes on each call (the adapter's
//! configured one, which may change after a connection was made): past it the caller closes
//! the connection. They are buffers, not machines (no time, no events), so they use buffer
//! verbs: [`StreamReader::feed`], [`StreamWriter::queue`], [`StreamWriter::pending`] and
//! [`StreamWriter::advance`]. Neither allocates once its `Vec` has grown to the largest
//! partial message or backlog of the connection.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::framing::{Framing, FramingError, next_frame, rfc4571_prefix};

/// Why the bytes read on a connection cannot be taken: the connection should be closed.
///
/// Exhaustive on purpose: an adapter closes the connection either way and counts the two
/// causes apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The stream could not be split into messages.
    #[error("framing error: {0}")]
    Framing(#[from] FramingError),
    /// The partial message left over needs more bytes kept than the limit allows.
    #[error("a partial message of {buffered} bytes passes the limit of {limit}")]
    Overflow {
        /// The bytes that would have been kept.
        buffered: usize,
        /// The limit passed to [`StreamReader::feed`].
        limit: usize,
    },
}

/// Why a message could not be queued on a connection.
///
/// Exhaustive on purpose: an adapter drops the message for the first and closes the
/// connection for the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The message does not fit an RFC 4571 length prefix (more than 65535 bytes): drop it,
    /// keep the connection. Nothing was queued.
    #[error("a message of {len} bytes does not fit an RFC 4571 length prefix")]
    TooLong {
        /// The message's length.
        len: usize,
    },
    /// The bytes waiting to be written would pass the limit: close the connection. Nothing
    /// was queued.
    #[error("{need} bytes waiting to be written would pass the limit of {limit}")]
    Overflow {
        /// The bytes that would wait, this message framed included.
        need: usize,
        /// The limit passed to [`StreamWriter::queue`].
        limit: usize,
    },
}

/// The receive side of one stream connection: the partial message read so far.
#[derive(Debug, Clone, Default)]
pub struct StreamReader {
    partial: Vec<u8>,
}

impl StreamReader {
    /// A reader holding nothing (no allocation until a read leaves a partial message).
    #[must_use]
    pub const fn new() -> Self {
        StreamReader {
            partial: Vec::new(),
        }
    }

    /// How many bytes of a partial message are kept.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Adds `data`, just read from the stream, and hands each complete message (without
    /// RFC 4571 prefix or ChannelData padding) to `deliver`, in order.
    ///
    /// When nothing is pending the messages are cut straight from `data`, with no copy; only
    /// a partial message at the end is copied, and at most `limit` bytes of it are kept. The
    /// limit bounds what is *kept*: complete messages in one `data` are delivered whatever
    /// their size.
    ///
    /// A callback rather than a `poll_*` method because a message is borrowed either from
    /// `data` (the adapter's receive buffer) or from this reader, and lives only until the
    /// next one is cut.
    ///
    /// # Errors
    ///
    /// When the stream cannot be framed, or more than `limit` bytes would be kept. Messages
    /// before the fault have been delivered; the reader is then of no further use and the
    /// connection should be closed.
    pub fn feed(
        &mut self,
        data: &[u8],
        framing: Framing,
        limit: usize,
        deliver: impl FnMut(&[u8]),
    ) -> Result<(), ReadError> {
        if self.partial.is_empty() {
            let (used, framed) = frames(framing, data, deliver);
            // What was delivered is gone even when the rest cannot be framed: the reader
            // keeps only bytes it has not handed out, so nothing is ever delivered twice.
            let left = data.len() - used;
            if framed.is_ok() && left > limit {
                return Err(ReadError::Overflow {
                    buffered: left,
                    limit,
                });
            }
            self.partial.extend_from_slice(&data[used..]);
            framed?;
        } else {
            self.partial.extend_from_slice(data);
            let (used, framed) = frames(framing, &self.partial, deliver);
            self.partial.drain(..used);
            framed?;
            if self.partial.len() > limit {
                return Err(ReadError::Overflow {
                    buffered: self.partial.len(),
                    limit,
                });
            }
        }
        Ok(())
    }
}

/// Delivers every complete message at the start of `buf`; returns the bytes they used, and
/// whether the rest can be framed (an error names what cannot).
fn frames(
    framing: Framing,
    buf: &[u8],
    mut deliver: impl FnMut(&[u8]),
) -> (usize, Result<(), FramingError>) {
    let mut used = 0;
    loop {
        match next_frame(framing, &buf[used..]) {
            Ok(Some(frame)) => {
                deliver(frame.payload(&buf[used..]));
                used += frame.consumed;
            }
            Ok(None) => return (used, Ok(())),
            Err(e) => return (used, Err(e)),
        }
    }
}

/// The send side of one stream connection: framed bytes the socket has not taken yet.
#[derive(Debug, Clone, Default)]
pub struct StreamWriter {
    out: Vec<u8>,
}

impl StreamWriter {
    /// A writer with nothing queued (no allocation until the first message).
    #[must_use]
    pub const fn new() -> Self {
        StreamWriter { out: Vec::new() }
    }

    /// Queues one message, framed: with [`Framing::Rfc4571`] behind its length prefix; with
    /// [`Framing::StunChannelData`] as it is, but a ChannelData message (first byte
    /// 64..=127) padded with zeros to a multiple of four bytes (RFC 8656 section 12.5).
    ///
    /// # Errors
    ///
    /// [`WriteError::TooLong`] when an RFC 4571 message is longer than 65535 bytes,
    /// [`WriteError::Overflow`] when more than `limit` bytes would then wait. Either way
    /// nothing is queued.
    pub fn queue(&mut self, framing: Framing, msg: &[u8], limit: usize) -> Result<(), WriteError> {
        let prefix = match framing {
            Framing::Rfc4571 => {
                Some(rfc4571_prefix(msg.len()).ok_or(WriteError::TooLong { len: msg.len() })?)
            }
            _ => None,
        };
        let padding = match (framing, crate::demux::classify_turn(msg)) {
            (Framing::StunChannelData, Some(crate::demux::TurnKind::ChannelData)) => {
                msg.len().next_multiple_of(4) - msg.len()
            }
            _ => 0,
        };
        let need = self.out.len() + prefix.map_or(0, |p| p.len()) + msg.len() + padding;
        if need > limit {
            return Err(WriteError::Overflow { need, limit });
        }
        if let Some(prefix) = prefix {
            self.out.extend_from_slice(&prefix);
        }
        self.out.extend_from_slice(msg);
        self.out.resize(self.out.len() + padding, 0);
        Ok(())
    }

    /// The bytes waiting to be written, in order; empty when all went out.
    #[must_use]
    pub fn pending(&self) -> &[u8] {
        &self.out
    }

    /// Whether nothing waits to be written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Forgets the first `n` bytes of [`StreamWriter::pending`], which the socket took.
    ///
    /// # Panics
    ///
    /// When `n` is more than the bytes pending.
    pub fn advance(&mut self, n: usize) {
        self.out.drain(..n);
    }
}

/// An adapter's stream connections, in slots and by remote address.
///
/// A slot stays the connection's until it is removed (adapters use it in their poll tokens),
/// and freed slots are used again. A [`crate::Transmit`] on a stream transport goes on the
/// connection whose remote end is its `destination`: [`Connections::find`]. When two
/// connections share a remote address, the one inserted last is found.
#[derive(Debug)]
pub struct Connections<C> {
    slots: Vec<Option<(SocketAddr, C)>>,
    free: Vec<usize>,
    by_remote: HashMap<SocketAddr, usize>,
}

impl<C> Default for Connections<C> {
    fn default() -> Self {
        Connections {
            slots: Vec::new(),
            free: Vec::new(),
            by_remote: HashMap::new(),
        }
    }
}

impl<C> Connections<C> {
    /// The slot the next [`Connections::insert`] will use.
    #[must_use]
    pub fn next_slot(&self) -> usize {
        self.free.last().copied().unwrap_or(self.slots.len())
    }

    /// Adds a connection to `remote`; a later connection with the same remote takes over
    /// its route. Returns its slot.
    pub fn insert(&mut self, remote: SocketAddr, conn: C) -> usize {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some((remote, conn));
                slot
            }
            None => {
                self.slots.push(Some((remote, conn)));
                self.slots.len() - 1
            }
        };
        self.by_remote.insert(remote, slot);
        slot
    }

    /// Removes the connection in `slot`; its remote is no longer routed unless another
    /// connection took the route over.
    pub fn remove(&mut self, slot: usize) -> Option<C> {
        let (remote, conn) = self.slots.get_mut(slot)?.take()?;
        if self.by_remote.get(&remote) == Some(&slot) {
            self.by_remote.remove(&remote);
        }
        self.free.push(slot);
        Some(conn)
    }

    /// The slot of the connection to `remote`.
    #[must_use]
    pub fn find(&self, remote: SocketAddr) -> Option<usize> {
        self.by_remote.get(&remote).copied()
    }

    /// The connection in `slot`.
    #[must_use]
    pub fn get_mut(&mut self, slot: usize) -> Option<&mut C> {
        Some(&mut self.slots.get_mut(slot)?.as_mut()?.1)
    }

    /// The number of slots, used or free: every slot is below it.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests;
