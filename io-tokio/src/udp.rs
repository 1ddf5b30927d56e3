//! UDP sockets and sending (GSO transmits split, [`Transmit::segments`]); which socket a
//! transmit leaves from is [`Transmit::choose_socket`].

use std::net::SocketAddr;

use tokio::net::UdpSocket;
use wren_core::Transmit;

use wren_io::{Counter, Counters};

/// A UDP socket and the local address it is bound to (the `destination` of what it receives).
#[derive(Debug)]
pub(crate) struct Udp {
    pub(crate) sock: UdpSocket,
    pub(crate) local: SocketAddr,
}

/// Sends `payload` as described by `t`: one datagram, or, when `segment_size` is set, one
/// datagram per segment (no UDP_SEGMENT offload here). Errors are logged and counted.
pub(crate) async fn send(udp: &Udp, t: &Transmit, payload: &[u8], counters: &Counters) {
    // An empty payload is still one (empty) datagram.
    for range in t.segments(payload.len()) {
        match udp.sock.send_to(&payload[range], t.destination).await {
            Ok(_) => counters.add(Counter::DatagramsOut, 1),
            Err(e) => {
                tracing::debug!(local = %udp.local, to = %t.destination, error = %e, "UDP send failed");
                counters.add(Counter::IoErrors, 1);
            }
        }
    }
}
