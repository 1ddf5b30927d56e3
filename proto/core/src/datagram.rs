//! Datagrams in and transmits out: the data every machine exchanges with its adapter.

use std::net::SocketAddr;
use std::ops::Range;

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

    /// The datagrams in a buffer of `len` bytes written for this transmit, as ranges of it:
    /// pieces of [`Transmit::segment_size`] bytes (the last may be shorter), or the whole
    /// buffer when it is `None` or zero. Always at least one: an empty buffer is one empty
    /// datagram.
    ///
    /// For an adapter without UDP GSO, which sends each range as a datagram of its own.
    #[must_use]
    pub fn segments(&self, len: usize) -> Segments {
        let size = match self.segment_size {
            Some(s) if s > 0 => s,
            _ => len.max(1),
        };
        Segments {
            start: 0,
            len,
            size,
            done: false,
        }
    }

    /// Which of an adapter's UDP sockets, bound to `locals` in order, this transmit leaves
    /// from (its index in `locals`).
    ///
    /// With a [`Transmit::source`]: the socket bound to exactly that address, else one bound
    /// to the unspecified address of the same family and port. Without: the first socket of
    /// the destination's address family. `None` when no socket fits.
    ///
    /// A scan of `locals`, for a driver with a few sockets; [`crate::SocketIndex`] makes the
    /// same choice by lookup, and also routes the sockets bound at the machine's request.
    #[must_use]
    pub fn choose_socket<I>(&self, locals: I) -> Option<usize>
    where
        I: IntoIterator<Item = SocketAddr>,
        I::IntoIter: Clone,
    {
        let mut locals = locals.into_iter();
        match self.source {
            Some(src) => locals.clone().position(|l| l == src).or_else(|| {
                locals.position(|l| {
                    l.ip().is_unspecified()
                        && l.is_ipv4() == src.is_ipv4()
                        && l.port() == src.port()
                })
            }),
            None => locals.position(|l| l.is_ipv4() == self.destination.is_ipv4()),
        }
    }
}

/// The datagrams of one [`Transmit`]'s buffer, from [`Transmit::segments`].
#[derive(Debug, Clone)]
pub struct Segments {
    start: usize,
    len: usize,
    size: usize,
    done: bool,
}

impl Iterator for Segments {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.done {
            return None;
        }
        let end = self.start + self.size.min(self.len - self.start);
        let range = self.start..end;
        self.start = end;
        self.done = end >= self.len;
        Some(range)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// The segments as `(start, end)` pairs.
    fn segmented(segment_size: Option<usize>, len: usize) -> Vec<(usize, usize)> {
        let mut t = Transmit::new(Transport::Udp, None, addr("127.0.0.1:9"));
        t.segment_size = segment_size;
        t.segments(len).map(|r| (r.start, r.end)).collect()
    }

    #[test]
    fn segments_cut_the_buffer_and_an_empty_one_is_one_datagram() {
        assert_eq!(segmented(Some(4), 10), [(0, 4), (4, 8), (8, 10)]);
        assert_eq!(segmented(Some(4), 8), [(0, 4), (4, 8)]);
        assert_eq!(segmented(None, 10), [(0, 10)]);
        assert_eq!(segmented(Some(0), 10), [(0, 10)]);
        assert_eq!(segmented(Some(usize::MAX), 10), [(0, 10)]);
        assert_eq!(segmented(None, 0), [(0, 0)]);
        assert_eq!(segmented(Some(4), 0), [(0, 0)]);
    }

    #[test]
    fn a_transmit_leaves_from_its_source_or_a_socket_of_its_family() {
        let locals = [
            addr("127.0.0.1:1000"),
            addr("[::1]:1000"),
            addr("0.0.0.0:2000"),
            addr("[::]:2000"),
        ];
        let pick = |source: Option<&str>, to: &str| {
            Transmit::new(Transport::Udp, source.map(addr), addr(to)).choose_socket(locals)
        };
        assert_eq!(pick(Some("[::1]:1000"), "[::1]:9"), Some(1));
        assert_eq!(pick(Some("10.0.0.1:2000"), "10.0.0.2:9"), Some(2));
        assert_eq!(pick(Some("[fe80::1]:2000"), "[fe80::2]:9"), Some(3));
        assert_eq!(pick(Some("127.0.0.2:9"), "127.0.0.1:9"), None);
        assert_eq!(pick(None, "[::1]:9"), Some(1));
        assert_eq!(pick(None, "127.0.0.1:9"), Some(0));
        let none = Transmit::new(Transport::Udp, None, addr("127.0.0.1:9"));
        assert_eq!(none.choose_socket([addr("[::1]:1")]), None);
    }

    proptest! {
        #[test]
        fn segments_tile_the_buffer(len in 0usize..5000, size in proptest::option::of(any::<usize>())) {
            let got = segmented(size, len);
            prop_assert!(!got.is_empty());
            prop_assert_eq!(got[0].0, 0);
            prop_assert_eq!(got[got.len() - 1].1, len);
            for pair in got.windows(2) {
                prop_assert_eq!(pair[0].1, pair[1].0);
                prop_assert!(pair[0].0 < pair[0].1, "only a last, lone segment may be empty");
            }
            if let Some(s) = size.filter(|&s| s > 0) {
                prop_assert!(got.iter().all(|(a, b)| b - a <= s));
                prop_assert!(got[..got.len() - 1].iter().all(|(a, b)| b - a == s));
            }
        }
    }
}
