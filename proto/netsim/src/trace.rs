//! The trace of a simulation: every send, delivery and drop, folded into a stable hash
//! (FNV-1a, 64 bits) and, when asked, written out as canonical lines.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Instant;

use wren_core::Transport;

/// Why the network dropped a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// Lost on a link ([`crate::LinkConfig::loss`]).
    Loss,
    /// Larger than a link's MTU ([`crate::LinkConfig::mtu`]).
    Mtu,
    /// Refused by a NAT's filtering (RFC 4787 section 5), or an inbound TCP connection
    /// to a NAT (which forwards no port).
    NatFiltered,
    /// Sent to a NAT's public address on a port with no mapping, or one that expired
    /// (RFC 4787 section 4.3); also a TCP connection whose NAT state timed out.
    NoMapping,
    /// UDP through a NAT with [`crate::NatConfig::block_udp`].
    UdpBlocked,
    /// Nothing listens on the destination port.
    NoSocket,
    /// Sent to the sender's own NAT's public address, which does not hairpin (RFC 4787
    /// section 6).
    HairpinOff,
    /// The machine sent from an address it does not own.
    NotOwned,
    /// No host or NAT has the destination address (or it is private and out of reach).
    NoRoute,
    /// A TCP connection attempt to a port with no listener.
    NoListener,
    /// A transport the simulation does not carry.
    Unsupported,
    /// Arrived to a rate-limited link whose queue was full
    /// ([`crate::LinkConfig::queue_packets`]): a drop-tail drop, not random loss.
    QueueFull,
}

impl DropReason {
    /// Every reason, in the order of [`Stats::dropped`].
    pub const ALL: [DropReason; 12] = [
        DropReason::Loss,
        DropReason::Mtu,
        DropReason::NatFiltered,
        DropReason::NoMapping,
        DropReason::UdpBlocked,
        DropReason::NoSocket,
        DropReason::HairpinOff,
        DropReason::NotOwned,
        DropReason::NoRoute,
        DropReason::NoListener,
        DropReason::Unsupported,
        DropReason::QueueFull,
    ];

    /// The reason's name in trace lines.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Mtu => "mtu",
            DropReason::NatFiltered => "nat-filtered",
            DropReason::NoMapping => "no-mapping",
            DropReason::UdpBlocked => "udp-blocked",
            DropReason::NoSocket => "no-socket",
            DropReason::HairpinOff => "hairpin-off",
            DropReason::NotOwned => "not-owned",
            DropReason::NoRoute => "no-route",
            DropReason::NoListener => "no-listener",
            DropReason::Unsupported => "unsupported",
            DropReason::QueueFull => "queue-full",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for DropReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counters of a simulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams and stream messages machines sent.
    pub sent: u64,
    /// Datagrams and stream messages handed to machines.
    pub delivered: u64,
    /// Copies made by duplicating links.
    pub duplicated: u64,
    /// TCP connections opened.
    pub tcp_connections: u64,
    /// Machine events dropped because a node's queue was full.
    pub events_dropped: u64,
    /// Times a machine's deadline stayed in the past after `handle_timeout` and was pushed
    /// 1 ms ahead.
    pub stuck_timeouts: u64,
    dropped: [u64; DropReason::ALL.len()],
}

impl Stats {
    /// Packets dropped for `reason`.
    #[must_use]
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason.index()]
    }

    /// Packets dropped for any reason.
    #[must_use]
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// What a trace record says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Send,
    Deliver,
    Duplicate,
    Connect,
    Drop(DropReason),
}

impl Kind {
    fn code(self) -> u8 {
        match self {
            Kind::Send => 1,
            Kind::Deliver => 2,
            Kind::Duplicate => 3,
            Kind::Connect => 4,
            Kind::Drop(r) => 16 + r as u8,
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

/// The trace: a running hash, the counters and, when recording, the lines.
#[derive(Debug)]
pub(crate) struct Trace {
    start: Instant,
    hash: u64,
    lines: Option<Vec<String>>,
    pub(crate) stats: Stats,
}

/// One record's addresses and bytes.
pub(crate) struct Record<'a> {
    pub(crate) proto: Transport,
    pub(crate) src: SocketAddr,
    pub(crate) dst: SocketAddr,
    pub(crate) payload: &'a [u8],
}

impl Trace {
    pub(crate) fn new(start: Instant) -> Trace {
        Trace {
            start,
            hash: FNV_OFFSET,
            lines: None,
            stats: Stats::default(),
        }
    }

    pub(crate) fn hash(&self) -> u64 {
        self.hash
    }

    pub(crate) fn lines(&self) -> &[String] {
        self.lines.as_deref().unwrap_or(&[])
    }

    pub(crate) fn set_recording(&mut self, on: bool) {
        match (on, self.lines.is_some()) {
            (true, false) => self.lines = Some(Vec::new()),
            (false, true) => self.lines = None,
            _ => {}
        }
    }

    /// Appends one record at `now` and counts it.
    pub(crate) fn record(&mut self, now: Instant, kind: Kind, r: &Record<'_>) {
        match kind {
            Kind::Send => self.stats.sent += 1,
            Kind::Deliver => self.stats.delivered += 1,
            Kind::Duplicate => self.stats.duplicated += 1,
            Kind::Connect => self.stats.tcp_connections += 1,
            Kind::Drop(reason) => self.stats.dropped[reason.index()] += 1,
        }
        let nanos =
            u64::try_from(now.saturating_duration_since(self.start).as_nanos()).unwrap_or(u64::MAX);
        let mut h = fnv(self.hash, &nanos.to_le_bytes());
        h = fnv(h, &[kind.code(), proto_code(r.proto)]);
        h = addr(h, r.src);
        h = addr(h, r.dst);
        h = fnv(h, &(r.payload.len() as u64).to_le_bytes());
        self.hash = fnv(h, r.payload);
        if let Some(lines) = &mut self.lines {
            let mut line = String::with_capacity(80);
            let _ = write!(
                line,
                "{}.{:06} {} {} {} -> {} len={} sum={:016x}",
                nanos / 1_000_000_000,
                (nanos % 1_000_000_000) / 1000,
                kind_name(kind),
                proto_name(r.proto),
                r.src,
                r.dst,
                r.payload.len(),
                fnv(FNV_OFFSET, r.payload),
            );
            lines.push(line);
        }
    }
}

fn addr(h: u64, a: SocketAddr) -> u64 {
    let h = match a {
        SocketAddr::V4(v4) => fnv(fnv(h, &[4]), &v4.ip().octets()),
        SocketAddr::V6(v6) => fnv(fnv(h, &[6]), &v6.ip().octets()),
    };
    fnv(h, &a.port().to_be_bytes())
}

fn proto_code(p: Transport) -> u8 {
    match p {
        Transport::Udp => 1,
        Transport::Tcp => 2,
        Transport::Tls => 3,
        _ => 0,
    }
}

fn proto_name(p: Transport) -> &'static str {
    match p {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
        _ => "other",
    }
}

fn kind_name(k: Kind) -> String {
    match k {
        Kind::Send => "send".into(),
        Kind::Deliver => "deliver".into(),
        Kind::Duplicate => "dup".into(),
        Kind::Connect => "connect".into(),
        Kind::Drop(r) => format!("drop({r})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_values() {
        assert_eq!(fnv(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
    }
}
