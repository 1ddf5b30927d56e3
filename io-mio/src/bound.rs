//! Sockets bound at the machine's request ([`wren_core::socket`]): a TURN server's relayed
//! addresses. [`wren_io::Sockets`] binds and closes them; here they only go in and out of
//! the poller. They live in the same slots and token range as the application's UDP
//! sockets, so they are read (`recvmmsg`) and written (`sendmmsg`) the same way.

use std::net::SocketAddr;

use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};
use wren_core::BindError;
use wren_core::Transport;
use wren_io::{Counters, Host};

use crate::net::{LISTENER_BASE, Net};
use crate::udp::{SendBatch, Udp};

/// What a socket request needs of the driver: its UDP slots, its poller, and its send
/// batch (which must forget a closed socket's datagrams).
pub(crate) struct Bound<'a> {
    pub(crate) net: &'a mut Net,
    pub(crate) registry: &'a Registry,
    pub(crate) batch: &'a mut SendBatch,
    pub(crate) counters: &'a Counters,
}

impl Host for Bound<'_> {
    type Slot = usize;
    type Socket = UdpSocket;

    /// Registers the socket under the token of a free slot (or a new one); past the token
    /// range of UDP sockets, [`BindError::Exhausted`].
    fn adopt(&mut self, sock: std::net::UdpSocket, local: SocketAddr) -> Result<usize, BindError> {
        let net = &mut *self.net;
        let slot = net.free_udp.last().copied().unwrap_or(net.udp.len());
        if slot >= LISTENER_BASE {
            return Err(BindError::Exhausted);
        }
        let mut sock = UdpSocket::from_std(sock);
        self.registry
            .register(
                &mut sock,
                Token(slot),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| wren_io::bind_error(&e))?;
        let udp = Some(Udp { sock, local });
        if net.free_udp.last() == Some(&slot) {
            net.free_udp.pop();
            net.udp[slot] = udp;
        } else {
            net.udp.push(udp);
        }
        Ok(slot)
    }

    /// Deregisters the socket, frees its slot, and marks its unsent datagrams dropped
    /// (they cannot leave from a socket that later takes the slot).
    fn release(&mut self, slot: usize) -> Option<UdpSocket> {
        let mut udp = self.net.udp.get_mut(slot).and_then(Option::take)?;
        let _ = self.registry.deregister(&mut udp.sock);
        self.net.free_udp.push(slot);
        self.batch.forget(slot);
        Some(udp.sock)
    }

    /// Closes the stream connection, counted as requested; its report to the machine
    /// follows as for every close.
    fn disconnect(&mut self, local: SocketAddr, remote: SocketAddr, transport: Transport) -> bool {
        self.net
            .disconnect(self.registry, (local, remote, transport), self.counters)
    }
}
