//! Hosts: one address, an access link, an optional NAT in front, and the sockets the
//! machines on it hold.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use wren_core::{BindError, Transport};

use crate::bottleneck::LinkQueue;
use crate::ids::{NatId, NodeId};
use crate::link::LinkConfig;

/// The configuration of a host.
///
/// A host has one address, on the public internet or on the private side of a NAT, and an
/// access link ([`LinkConfig`]: delay, jitter, loss, duplication, reordering, MTU, an optional
/// rate and queue) crossed by
/// every packet leaving or entering the host. Hosts behind one NAT reach each other directly
/// by their private addresses.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct HostConfig {
    /// The host's one address: public when [`HostConfig::nat`] is `None`, else an address
    /// of the NAT's private side (unique on that side only).
    pub ip: IpAddr,
    /// The NAT the host sits behind; `None` puts it on the public internet.
    pub nat: Option<NatId>,
    /// The host's access link, crossed by every packet leaving or entering it.
    pub link: LinkConfig,
}

impl HostConfig {
    /// A host on the public internet at `ip`, with the default link.
    #[must_use]
    pub fn public(ip: IpAddr) -> Self {
        HostConfig {
            ip,
            nat: None,
            link: LinkConfig::default(),
        }
    }

    /// A host at the private address `ip` behind `nat`, with the default link.
    #[must_use]
    pub fn behind(nat: NatId, ip: IpAddr) -> Self {
        HostConfig {
            ip,
            nat: Some(nat),
            link: LinkConfig::default(),
        }
    }

    /// Sets [`HostConfig::link`].
    #[must_use]
    pub fn with_link(mut self, link: LinkConfig) -> Self {
        self.link = link;
        self
    }
}

/// First port of the ephemeral range (RFC 6335 section 6: 49152-65535).
const EPHEMERAL_FIRST: u16 = 49152;

/// The socket table's transport: TLS shares TCP's ports.
pub(crate) fn port_space(t: Transport) -> Transport {
    match t {
        Transport::Tls => Transport::Tcp,
        t => t,
    }
}

/// A host's state.
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) config: HostConfig,
    /// Who holds each (transport, port).
    sockets: BTreeMap<(Transport, u16), NodeId>,
    next_ephemeral: u16,
    /// The link's queues, by [`crate::Direction`] index (used when it has a rate).
    pub(crate) queues: [LinkQueue; 2],
}

impl Host {
    pub(crate) fn new(config: HostConfig) -> Host {
        Host {
            config,
            sockets: BTreeMap::new(),
            next_ephemeral: EPHEMERAL_FIRST,
            queues: Default::default(),
        }
    }

    pub(crate) fn ip(&self) -> IpAddr {
        self.config.ip
    }

    /// The node holding `port` of `transport`.
    pub(crate) fn owner(&self, transport: Transport, port: u16) -> Option<NodeId> {
        self.sockets.get(&(port_space(transport), port)).copied()
    }

    /// Binds `addr` for `node`: the host's address or the unspecified one of its family
    /// (which binds the host's address), port 0 for the next free ephemeral port.
    pub(crate) fn bind(
        &mut self,
        node: NodeId,
        addr: SocketAddr,
        transport: Transport,
    ) -> Result<SocketAddr, BindError> {
        let ip = self.ip();
        let family_ok = addr.is_ipv4() == ip.is_ipv4();
        if !(addr.ip() == ip || (addr.ip().is_unspecified() && family_ok)) {
            return Err(BindError::AddrNotAvailable);
        }
        let space = port_space(transport);
        if !matches!(space, Transport::Udp | Transport::Tcp) {
            return Err(BindError::Unsupported);
        }
        let port = match addr.port() {
            0 => self.ephemeral(space).ok_or(BindError::Exhausted)?,
            p if self.sockets.contains_key(&(space, p)) => return Err(BindError::AddrInUse),
            p => p,
        };
        self.sockets.insert((space, port), node);
        Ok(SocketAddr::new(ip, port))
    }

    /// Releases `addr` if `node` holds it.
    pub(crate) fn release(&mut self, node: NodeId, addr: SocketAddr, transport: Transport) -> bool {
        let key = (port_space(transport), addr.port());
        if self.sockets.get(&key) == Some(&node) {
            self.sockets.remove(&key);
            true
        } else {
            false
        }
    }

    /// The next free ephemeral port, round-robin through the range.
    fn ephemeral(&mut self, space: Transport) -> Option<u16> {
        let span = usize::from(u16::MAX - EPHEMERAL_FIRST) + 1;
        for _ in 0..span {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                p + 1
            };
            if !self.sockets.contains_key(&(space, p)) {
                return Some(p);
            }
        }
        None
    }
}
