//! Packets in flight, ordered by arrival time and then by the order they were queued.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::net::SocketAddr;
use std::time::Instant;

use wren_core::Transport;

use crate::bottleneck::Direction;
use crate::ids::HostId;

/// Where a packet in flight is going next.
#[derive(Debug)]
pub(crate) enum Hop {
    /// A UDP packet left `from`'s link: NATs and the internet come next.
    Network {
        from: HostId,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    },
    /// A UDP packet crossed the destination's link: to the socket on `host`.
    Deliver {
        host: HostId,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    },
    /// The packet on the wire of `host`'s rate-limited link in `direction` has been
    /// serialized.
    Serviced { host: HostId, direction: Direction },
    /// A message on TCP connection `conn`, sent by its end `from` (0 or 1).
    Stream {
        conn: u64,
        from: usize,
        proto: Transport,
        payload: Vec<u8>,
    },
}

impl Hop {
    /// Source, destination and payload of a UDP hop.
    pub(crate) fn udp_parts(&self) -> Option<(SocketAddr, SocketAddr, &[u8])> {
        match self {
            Hop::Network {
                src, dst, payload, ..
            }
            | Hop::Deliver {
                src, dst, payload, ..
            } => Some((*src, *dst, payload)),
            Hop::Serviced { .. } | Hop::Stream { .. } => None,
        }
    }

    /// The same UDP hop carrying `payload` (a copy made by a duplicating link).
    pub(crate) fn with_payload(&self, payload: Vec<u8>) -> Option<Hop> {
        match *self {
            Hop::Network { from, src, dst, .. } => Some(Hop::Network {
                from,
                src,
                dst,
                payload,
            }),
            Hop::Deliver { host, src, dst, .. } => Some(Hop::Deliver {
                host,
                src,
                dst,
                payload,
            }),
            Hop::Serviced { .. } | Hop::Stream { .. } => None,
        }
    }
}

#[derive(Debug)]
struct Flight {
    at: Instant,
    seq: u64,
    hop: Hop,
}

impl PartialEq for Flight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Flight {}

impl PartialOrd for Flight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Flight {
    /// Reversed, so that the max-heap pops the earliest (and first queued) flight.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// The packets in flight.
#[derive(Debug, Default)]
pub(crate) struct Queue {
    heap: BinaryHeap<Flight>,
    seq: u64,
}

impl Queue {
    pub(crate) fn push(&mut self, at: Instant, hop: Hop) {
        self.seq += 1;
        self.heap.push(Flight {
            at,
            seq: self.seq,
            hop,
        });
    }

    pub(crate) fn next_at(&self) -> Option<Instant> {
        self.heap.peek().map(|f| f.at)
    }

    pub(crate) fn pop(&mut self) -> Option<(Instant, Hop)> {
        self.heap.pop().map(|f| (f.at, f.hop))
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}
