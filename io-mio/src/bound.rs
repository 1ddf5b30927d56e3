//! Sockets bound at the machine's request ([`wren_core::socket`]): a TURN server's relayed
//! addresses. They live in the same slots and token range as the application's UDP
//! sockets, so they are read (`recvmmsg`) and written (`sendmmsg`) the same way; only
//! binding, closing and the bound on their number are here.

use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use mio::{Interest, Registry, Token};
use wren_core::{BindError, SocketOptions, Transport};

use crate::net::{LISTENER_BASE, Net};
use crate::udp::{self, Udp};

impl Net {
    /// Binds a non-blocking UDP socket to `addr` for the machine, sets `options` on it, and
    /// registers it under the token of its slot. Returns the bound address. An option that
    /// cannot be set is [`BindError::Unsupported`] (the socket is dropped, so closed).
    pub(crate) fn bind(
        &mut self,
        registry: &Registry,
        addr: SocketAddr,
        transport: Transport,
        options: SocketOptions,
    ) -> Result<SocketAddr, BindError> {
        if transport != Transport::Udp {
            return Err(BindError::Unsupported);
        }
        let slot = self.free_udp.last().copied().unwrap_or(self.udp.len());
        if self.index.requested() >= self.config.max_bound || slot >= LISTENER_BASE {
            return Err(BindError::Exhausted);
        }
        let mut sock = UdpSocket::bind(addr).map_err(|e| bind_error(&e))?;
        let local = sock.local_addr().map_err(|e| bind_error(&e))?;
        if options.dont_fragment {
            set_dont_fragment(&sock, local)?;
        }
        udp::size_buffers(&sock, local, self.config.udp_buffers);
        registry
            .register(
                &mut sock,
                Token(slot),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| bind_error(&e))?;
        if !self.index.insert_requested(local, slot) {
            // Only with SO_REUSEADDR games: another of our sockets has this address.
            let _ = registry.deregister(&mut sock);
            return Err(BindError::AddrInUse);
        }
        let udp = Some(Udp { sock, local });
        if self.free_udp.last() == Some(&slot) {
            self.free_udp.pop();
            self.udp[slot] = udp;
        } else {
            self.udp.push(udp);
        }
        Ok(local)
    }

    /// Deregisters and drops the socket the machine had bound to `addr`; returns its slot.
    /// `None` when there is none (never bound, closed already, or one of the application's
    /// sockets, which the machine cannot close).
    pub(crate) fn unbind(
        &mut self,
        registry: &Registry,
        addr: SocketAddr,
        transport: Transport,
    ) -> Option<usize> {
        if transport != Transport::Udp {
            return None;
        }
        let slot = self.index.remove_requested(addr)?;
        if let Some(mut udp) = self.udp.get_mut(slot).and_then(Option::take) {
            let _ = registry.deregister(&mut udp.sock);
        }
        self.free_udp.push(slot);
        Some(slot)
    }
}

/// Sets DF on what `sock` sends ([`SocketOptions::dont_fragment`]); on failure the caller
/// drops the socket.
#[cfg(target_os = "linux")]
fn set_dont_fragment(sock: &UdpSocket, local: SocketAddr) -> Result<(), BindError> {
    use std::os::fd::AsRawFd;
    crate::sys::set_dont_fragment(sock.as_raw_fd(), local.is_ipv4()).map_err(|error| {
        tracing::debug!(%local, %error, "DF could not be set");
        BindError::Unsupported
    })
}

/// DF is only set on Linux.
#[cfg(not(target_os = "linux"))]
fn set_dont_fragment(_sock: &UdpSocket, local: SocketAddr) -> Result<(), BindError> {
    tracing::debug!(%local, "DF is only set on Linux");
    Err(BindError::Unsupported)
}

/// What the machine is told when binding fails: [`BindError::from_io`], except that running
/// out of descriptors, buffers or memory is [`BindError::Exhausted`] (`std` has no
/// `ErrorKind` for `EMFILE`).
fn bind_error(e: &io::Error) -> BindError {
    #[cfg(target_os = "linux")]
    if let Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC) =
        e.raw_os_error()
    {
        return BindError::Exhausted;
    }
    BindError::from_io(e.kind())
}
