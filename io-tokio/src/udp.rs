//! UDP sockets: which one a transmit leaves from, and sending (GSO transmits split).

use std::net::SocketAddr;

use tokio::net::UdpSocket;
use wren_core::Transmit;

use crate::stats::{Counters, bump};

/// A UDP socket and the local address it is bound to (the `destination` of what it receives).
#[derive(Debug)]
pub(crate) struct Udp {
    pub(crate) sock: UdpSocket,
    pub(crate) local: SocketAddr,
}

/// The index of the socket a transmit from `source` to `destination` leaves from.
///
/// With a source: the socket bound to exactly that address, else one bound to the
/// unspecified address of the same family and port. Without: the first socket of the
/// destination's address family.
pub(crate) fn pick(
    socks: &[Udp],
    source: Option<SocketAddr>,
    destination: SocketAddr,
) -> Option<usize> {
    match source {
        Some(src) => socks.iter().position(|u| u.local == src).or_else(|| {
            socks.iter().position(|u| {
                u.local.ip().is_unspecified()
                    && u.local.is_ipv4() == src.is_ipv4()
                    && u.local.port() == src.port()
            })
        }),
        None => socks
            .iter()
            .position(|u| u.local.is_ipv4() == destination.is_ipv4()),
    }
}

/// Sends `payload` as described by `t`: one datagram, or, when `segment_size` is set, one
/// datagram per segment (no UDP_SEGMENT offload here). Errors are logged and counted.
pub(crate) async fn send(udp: &Udp, t: &Transmit, payload: &[u8], counters: &Counters) {
    let segment = match t.segment_size {
        Some(s) if s > 0 => s,
        _ => payload.len().max(1),
    };
    let mut segments = payload.chunks(segment);
    // An empty payload is still one (empty) datagram.
    let mut next = Some(segments.next().unwrap_or_default());
    while let Some(datagram) = next {
        match udp.sock.send_to(datagram, t.destination).await {
            Ok(_) => bump(&counters.datagrams_out, 1),
            Err(e) => {
                tracing::debug!(local = %udp.local, to = %t.destination, error = %e, "UDP send failed");
                bump(&counters.io_errors, 1);
            }
        }
        next = segments.next();
    }
}
