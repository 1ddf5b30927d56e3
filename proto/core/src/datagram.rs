//! Datagrams in and transmits out: the data every machine exchanges with its adapter.

use std::net::SocketAddr;

/// The transport a datagram arrived on or must leave on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Transport {
    /// UDP: one datagram is one message.
    Udp,
    /// TCP: the adapter has already split the stream into messages (see [`crate::framing`]).
    Tcp,
    /// TLS over TCP: as [`Transport::Tcp`], after decryption.
    Tls,
}

impl Transport {
    /// True for the stream transports (TCP and TLS), where messages are framed in a byte stream.
    #[must_use]
    pub fn is_stream(self) -> bool {
        matches!(self, Transport::Tcp | Transport::Tls)
    }
}

/// Explicit Congestion Notification codepoint (RFC 3168) of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ecn {
    /// ECT(0), ECN-capable transport.
    Ect0,
    /// ECT(1), ECN-capable transport (used by L4S).
    Ect1,
    /// Congestion experienced.
    Ce,
}

impl Ecn {
    /// The ECN codepoint from the two low bits of the IP TOS / traffic class byte;
    /// `None` for Not-ECT.
    #[must_use]
    pub fn from_bits(bits: u8) -> Option<Ecn> {
        match bits & 0b11 {
            0b10 => Some(Ecn::Ect0),
            0b01 => Some(Ecn::Ect1),
            0b11 => Some(Ecn::Ce),
            _ => None,
        }
    }

    /// The two-bit codepoint of this value.
    #[must_use]
    pub fn to_bits(self) -> u8 {
        match self {
            Ecn::Ect0 => 0b10,
            Ecn::Ect1 => 0b01,
            Ecn::Ce => 0b11,
        }
    }
}

/// Bytes that arrived, borrowed from the adapter's receive buffer.
///
/// A machine copies only what it must keep; parsing is done in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// The transport the bytes arrived on.
    pub proto: Transport,
    /// Where the bytes came from (the remote peer).
    pub source: SocketAddr,
    /// The local address they arrived at.
    pub destination: SocketAddr,
    /// The ECN codepoint, when the adapter could read it.
    pub ecn: Option<Ecn>,
    /// The message itself: one UDP payload, or one framed message of a stream.
    pub payload: &'a [u8],
}

impl<'a> Datagram<'a> {
    /// A UDP datagram from `source` to the local address `destination`.
    #[must_use]
    pub fn udp(source: SocketAddr, destination: SocketAddr, payload: &'a [u8]) -> Self {
        Datagram {
            proto: Transport::Udp,
            source,
            destination,
            ecn: None,
            payload,
        }
    }

    /// One framed message of a TCP connection between `source` (remote) and `destination` (local).
    #[must_use]
    pub fn tcp(source: SocketAddr, destination: SocketAddr, payload: &'a [u8]) -> Self {
        Datagram {
            proto: Transport::Tcp,
            source,
            destination,
            ecn: None,
            payload,
        }
    }
}

/// What to send: the machine wrote the bytes into the caller's buffer, this says where they go.
///
/// Metadata only, as in quinn-proto: the bytes are in the `&mut Vec<u8>` passed to
/// [`crate::Machine::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// The transport to send on. For a stream transport the adapter sends on the connection
    /// whose remote end is `destination` (and whose local end is `source`, when given).
    pub proto: Transport,
    /// The local address to send from; `None` lets the adapter choose.
    pub source: Option<SocketAddr>,
    /// The remote address to send to.
    pub destination: SocketAddr,
    /// The ECN codepoint to set, if any.
    pub ecn: Option<Ecn>,
    /// When set, the buffer holds several datagrams of this size each (the last may be
    /// shorter) for the same destination, to be sent with UDP GSO or one by one.
    pub segment_size: Option<usize>,
}

impl Transmit {
    /// A single datagram of `proto` to `destination` from `source`.
    #[must_use]
    pub fn new(proto: Transport, source: Option<SocketAddr>, destination: SocketAddr) -> Self {
        Transmit {
            proto,
            source,
            destination,
            ecn: None,
            segment_size: None,
        }
    }

    /// The reply to a datagram: same transport, from the address it arrived at, back to its source.
    #[must_use]
    pub fn reply_to(d: &Datagram<'_>) -> Self {
        Transmit::new(d.proto, Some(d.destination), d.source)
    }
}
