//! Why a stream connection (TCP, or TLS over it) was closed, and how each reason is
//! counted: the same for every adapter. Framing and buffers are [`wren_core::stream`]'s.

use std::io;

use wren_core::framing::{Framing, FramingError};
use wren_core::stream::{ReadError, StreamWriter, WriteError};

use crate::stats::{Counter, Counters};

/// Why a connection was closed.
#[derive(Debug, thiserror::Error)]
pub enum Close {
    /// The peer closed its end.
    #[error("closed by the peer")]
    Eof,
    /// Reading or writing failed (reset, aborted, ...).
    #[error("I/O error: {0}")]
    Io(io::Error),
    /// An outgoing connect failed.
    #[error("connect failed: {0}")]
    Connect(io::Error),
    /// The stream could not be split into messages.
    #[error("framing error: {0}")]
    Framing(FramingError),
    /// More bytes waited (to be framed, or to be written) than the configured limit.
    #[error("buffer limit passed")]
    Overflow,
    /// TLS failed: a bad handshake or record, or a fatal alert from the peer (the TLS
    /// library's error).
    #[error("TLS: {0}")]
    Tls(Box<dyn std::error::Error + Send + Sync>),
    /// No complete message arrived within [`crate::ConnLimits::first_message_timeout`]
    /// of the accept.
    #[error("no complete message before the deadline")]
    FirstMessageDeadline,
    /// The TLS handshake had not completed within
    /// [`crate::ConnLimits::tls_handshake_timeout`] of the accept.
    #[error("TLS handshake not completed before the deadline")]
    HandshakeDeadline,
    /// The bytes buffered over all connections passed
    /// [`crate::ConnLimits::total_buffer_limit`].
    #[error("total buffer limit passed")]
    TotalOverflow,
    /// The machine asked for it ([`wren_core::SocketRequest::Disconnect`]).
    #[error("closed at the machine's request")]
    Requested,
}

impl From<ReadError> for Close {
    fn from(e: ReadError) -> Close {
        match e {
            ReadError::Framing(e) => Close::Framing(e),
            ReadError::Overflow { .. } => Close::Overflow,
        }
    }
}

impl Close {
    /// Counts a connection closed for this reason: in [`crate::Stats::tcp_closed`], and
    /// by reason. `queued`: the frames queued before its connect completed (dropped when
    /// the connect failed); `handshaking`: a TLS connection whose handshake had not
    /// completed ([`crate::Stats::tls_handshake_failures`], whatever closed it).
    pub fn count(&self, counters: &Counters, queued: u64, handshaking: bool) {
        counters.add(Counter::TcpClosed, 1);
        if handshaking {
            counters.add(Counter::TlsHandshakeFailures, 1);
        }
        match self {
            Close::Framing(_) => counters.add(Counter::TcpFramingErrors, 1),
            Close::Overflow => counters.add(Counter::TcpOverflows, 1),
            Close::Connect(_) => counters.add(Counter::DroppedNoRoute, queued),
            Close::Tls(_) if !handshaking => counters.add(Counter::TlsErrors, 1),
            Close::FirstMessageDeadline => counters.add(Counter::DeadlineFirstMessage, 1),
            Close::HandshakeDeadline => counters.add(Counter::DeadlineTlsHandshake, 1),
            Close::TotalOverflow => counters.add(Counter::TcpTotalOverflows, 1),
            Close::Requested => counters.add(Counter::DisconnectsRequested, 1),
            Close::Eof | Close::Io(_) | Close::Tls(_) => {}
        }
    }
}

/// What waits to be written on one stream connection: the framed bytes, and how many
/// frames were queued before its connect completed (dropped, and counted by
/// [`Close::count`], if the connect fails).
#[derive(Debug, Clone, Default)]
pub struct Outbox {
    /// The framed bytes not yet written.
    pub writer: StreamWriter,
    queued: u64,
}

impl Outbox {
    /// Queues one message, framed ([`StreamWriter::queue`]). `connecting`: the
    /// connection's connect has not completed yet.
    ///
    /// # Errors
    ///
    /// [`StreamWriter::queue`]'s: the message cannot be framed, or the limit is passed.
    pub fn queue(
        &mut self,
        framing: Framing,
        msg: &[u8],
        limit: usize,
        connecting: bool,
    ) -> Result<(), WriteError> {
        self.writer.queue(framing, msg, limit)?;
        if connecting {
            self.queued += 1;
        }
        Ok(())
    }

    /// The connect completed: what was queued before it is on its way.
    pub fn connected(&mut self) {
        self.queued = 0;
    }

    /// The frames queued while connecting, for [`Close::count`].
    #[must_use]
    pub fn queued(&self) -> u64 {
        self.queued
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_counted_once_and_where_it_belongs() {
        let c = Counters::default();
        Close::Overflow.count(&c, 0, false);
        Close::Connect(io::ErrorKind::ConnectionRefused.into()).count(&c, 3, false);
        Close::Tls("bad record".into()).count(&c, 0, false);
        Close::Tls("bad hello".into()).count(&c, 0, true);
        Close::Eof.count(&c, 0, true);
        let s = c.snapshot();
        assert_eq!(
            (
                s.tcp_closed,
                s.tcp_overflows,
                s.dropped_no_route,
                s.tls_errors,
                s.tls_handshake_failures,
                s.tcp_framing_errors
            ),
            (5, 1, 3, 1, 2, 0)
        );
    }

    #[test]
    fn deadlines_limits_and_requests_are_counted_by_reason() {
        let c = Counters::default();
        Close::FirstMessageDeadline.count(&c, 0, false);
        Close::HandshakeDeadline.count(&c, 0, true);
        Close::TotalOverflow.count(&c, 0, false);
        Close::Requested.count(&c, 0, false);
        let s = c.snapshot();
        assert_eq!(
            (
                s.tcp_closed,
                s.deadline_first_message,
                s.deadline_tls_handshake,
                s.tls_handshake_failures,
                s.tcp_total_overflows,
                s.disconnects_requested,
                s.tcp_overflows
            ),
            (4, 1, 1, 1, 1, 1, 0)
        );
    }
}
