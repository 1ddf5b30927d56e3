//! TCP as reliable, ordered delivery of already-framed messages.
//!
//! A connection opens with the first message a machine sends to a destination it has no
//! connection to: the destination (after NAT translation) must hold a TCP listener, the
//! sender's host gives the connection an ephemeral port, and the sender's NAT maps it with
//! its mapping behaviour (RFC 4787 section 4.1 / RFC 5382). Inbound connections to a NAT
//! are refused (no port forwarding). Messages cross both links' delay and jitter, never
//! lost, duplicated or reordered. Not modelled: the handshake's round trip, RST and FIN,
//! windows and congestion, segmentation (a message arrives whole).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use wren_core::{Datagram, Transmit, Transport};

use crate::ids::{HostId, NatId, NodeId};
use crate::queue::Hop;
use crate::sim::{Attach, Sim, unspecified};
use crate::trace::{DropReason, Kind};
use std::time::Instant;

/// One end of a connection, as its machine sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct End {
    node: NodeId,
    host: HostId,
    local: SocketAddr,
    remote: SocketAddr,
    /// The `source` of the transmit that opened the connection (connector only).
    opened_from: Option<SocketAddr>,
}

/// A connection: end 0 opened it, end 1 accepted it.
#[derive(Debug)]
pub(crate) struct Conn {
    ends: [End; 2],
    /// When the last message each way arrives (later ones never arrive earlier).
    last: [Instant; 2],
    /// The connector's NAT and its private and remote endpoints, when it has one.
    nat: Option<(NatId, SocketAddr, SocketAddr)>,
}

/// The open connections, by id.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    conns: BTreeMap<u64, Conn>,
    next: u64,
}

impl Connections {
    /// The connection `node` sends on to `dst` (from `source`, when given), and which end
    /// the node is.
    fn find(
        &self,
        node: NodeId,
        source: Option<SocketAddr>,
        dst: SocketAddr,
    ) -> Option<(u64, usize)> {
        self.conns.iter().find_map(|(&id, c)| {
            c.ends
                .iter()
                .position(|e| {
                    e.node == node
                        && e.remote == dst
                        && source.is_none_or(|s| {
                            s == e.local
                                || e.opened_from == Some(s)
                                || (s.ip().is_unspecified() && s.port() == e.local.port())
                        })
                })
                .map(|side| (id, side))
        })
    }
}

impl Sim {
    /// A stream message from `node`: on its connection, or on a new one.
    pub(crate) fn send_stream(&mut self, node: NodeId, t: &Transmit, payload: &[u8]) {
        let found = self.tcp.find(node, t.source, t.destination);
        let (id, side) = match found {
            Some(found) => found,
            None => match self.connect(node, t, payload) {
                Some(found) => found,
                None => return,
            },
        };
        let now = self.now;
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        let (from, to) = (c.ends[side], c.ends[1 - side]);
        if let Some((nat, private, remote)) = c.nat
            && !self.nats[nat.index()].touch(Transport::Tcp, private, remote, now)
        {
            // The NAT forgot the idle connection: it is broken.
            self.drop_packet(
                t.proto,
                from.local,
                from.remote,
                payload,
                DropReason::NoMapping,
            );
            self.remove_connection(id);
            return;
        }
        self.record(Kind::Send, t.proto, from.local, from.remote, payload);
        let delay = self.hosts[from.host.index()]
            .config
            .link
            .pass_stream(&mut self.rngs.link)
            + self.hosts[to.host.index()]
                .config
                .link
                .pass_stream(&mut self.rngs.link);
        let p = self.packet(payload);
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        let at = (now + delay).max(c.last[side]);
        c.last[side] = at;
        self.queue.push(
            at,
            Hop::Stream {
                conn: id,
                from: side,
                proto: t.proto,
                payload: p,
            },
        );
    }

    /// Opens a connection for `t`, or drops `payload` and traces why.
    fn connect(&mut self, node: NodeId, t: &Transmit, payload: &[u8]) -> Option<(u64, usize)> {
        let dst = t.destination;
        let host_id = self.nodes[node.index()].host;
        let host = &self.hosts[host_id.index()];
        let ip = host.ip();
        let record_src = t.source.unwrap_or_else(|| unspecified(dst));
        if let Some(s) = t.source
            && !(s.ip() == ip || s.ip().is_unspecified())
        {
            self.drop_packet(t.proto, record_src, dst, payload, DropReason::NotOwned);
            return None;
        }
        if ip.is_ipv4() != dst.is_ipv4() {
            self.drop_packet(t.proto, record_src, dst, payload, DropReason::NoRoute);
            return None;
        }
        // Where the destination is, and whether the path crosses the sender's NAT.
        let nat = host.config.nat;
        let (target, crosses) = match nat.and_then(|n| self.nats[n.index()].private.get(&dst.ip()))
        {
            Some(&h) => (Ok(h), None),
            None => {
                let r = match self.public.get(&dst.ip()) {
                    Some(&Attach::Host(h)) => Ok(h),
                    Some(&Attach::Nat(_)) => Err(DropReason::NatFiltered),
                    None => Err(DropReason::NoRoute),
                };
                (r, nat)
            }
        };
        let target = match target {
            Ok(h) => h,
            Err(reason) => {
                self.drop_packet(t.proto, record_src, dst, payload, reason);
                return None;
            }
        };
        let th = &self.hosts[target.index()];
        let acceptor = if dst.ip() == th.ip() {
            th.owner(Transport::Tcp, dst.port())
        } else {
            None
        };
        let Some(acceptor) = acceptor else {
            self.drop_packet(t.proto, record_src, dst, payload, DropReason::NoListener);
            return None;
        };
        let Ok(local) = self.listen(node, SocketAddr::new(ip, 0), Transport::Tcp) else {
            self.drop_packet(t.proto, record_src, dst, payload, DropReason::NotOwned);
            return None;
        };
        let now = self.now;
        let (seen_as, nat_state) = match crosses {
            Some(n) => match self.nats[n.index()].outbound(Transport::Tcp, local, dst, now) {
                Some(public) => (public, Some((n, local, dst))),
                None => {
                    self.close_socket_quietly(node, local);
                    self.drop_packet(t.proto, local, dst, payload, DropReason::NoMapping);
                    return None;
                }
            },
            None => (local, None),
        };
        let id = self.tcp.next;
        self.tcp.next += 1;
        let ends = [
            End {
                node,
                host: host_id,
                local,
                remote: dst,
                opened_from: t.source,
            },
            End {
                node: acceptor,
                host: target,
                local: dst,
                remote: seen_as,
                opened_from: None,
            },
        ];
        self.tcp.conns.insert(
            id,
            Conn {
                ends,
                last: [now; 2],
                nat: nat_state,
            },
        );
        self.record(Kind::Connect, t.proto, seen_as, dst, &[]);
        Some((id, 0))
    }

    /// A message on connection `id` arrives at the end opposite `from`.
    pub(crate) fn deliver_stream(
        &mut self,
        id: u64,
        from: usize,
        proto: Transport,
        payload: Vec<u8>,
    ) {
        let Some(c) = self.tcp.conns.get(&id) else {
            // Closed while the message was in flight.
            let (src, dst) = (unspecified_v4(), unspecified_v4());
            self.drop_packet(proto, src, dst, &payload, DropReason::NoSocket);
            self.recycle(payload);
            return;
        };
        let to = c.ends[1 - from];
        self.record(Kind::Deliver, proto, to.remote, to.local, &payload);
        let d = Datagram {
            proto,
            source: to.remote,
            destination: to.local,
            ecn: None,
            payload: &payload,
        };
        let now = self.now;
        self.nodes[to.node.index()].machine.handle_datagram(now, d);
        self.recycle(payload);
        self.drain(to.node);
    }

    /// Closes the connections `node` opened from `local` (its socket was closed).
    pub(crate) fn close_connections(&mut self, node: NodeId, local: SocketAddr) {
        let ids: Vec<u64> = self
            .tcp
            .conns
            .iter()
            .filter(|(_, c)| c.ends[0].node == node && c.ends[0].local == local)
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            self.remove_connection(id);
        }
    }

    fn remove_connection(&mut self, id: u64) {
        if let Some(c) = self.tcp.conns.remove(&id) {
            if let Some((nat, private, remote)) = c.nat {
                self.nats[nat.index()].release(Transport::Tcp, private, remote);
            }
            self.close_socket_quietly(c.ends[0].node, c.ends[0].local);
        }
    }

    /// Frees the connector's ephemeral port.
    fn close_socket_quietly(&mut self, node: NodeId, local: SocketAddr) {
        let n = &mut self.nodes[node.index()];
        if self.hosts[n.host.index()].release(node, local, Transport::Tcp) {
            n.sockets
                .retain(|&(t, a)| !(a == local && t == Transport::Tcp));
        }
    }
}

fn unspecified_v4() -> SocketAddr {
    unspecified(SocketAddr::from(([0, 0, 0, 0], 0)))
}
