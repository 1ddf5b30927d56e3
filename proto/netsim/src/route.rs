//! The path of a UDP packet: the sender's link, its NAT (RFC 4787 sections 4 and 6), the
//! internet, the destination's NAT (section 5), the destination's link, the socket.

use std::net::SocketAddr;

use wren_core::{Datagram, Transmit, Transport};

use crate::bottleneck::{Direction, Pushed};
use crate::ids::{HostId, NodeId};
use crate::link::header;
use crate::queue::Hop;
use crate::sim::{Attach, Sim, unspecified};
use crate::trace::{DropReason, Kind};

impl Sim {
    /// The address a UDP transmit of `node` leaves from: its `source` when the node holds
    /// that socket; without one, the node's first UDP socket of the destination's family,
    /// or a new ephemeral socket (as `sendto` on an unbound socket binds one).
    fn udp_source(&mut self, node: NodeId, t: &Transmit) -> Option<SocketAddr> {
        let n = &self.nodes[node.index()];
        let host = &self.hosts[n.host.index()];
        let ip = host.ip();
        match t.source {
            Some(s) => {
                let ip_ok =
                    s.ip() == ip || (s.ip().is_unspecified() && s.is_ipv4() == ip.is_ipv4());
                (ip_ok && host.owner(Transport::Udp, s.port()) == Some(node))
                    .then(|| SocketAddr::new(ip, s.port()))
            }
            None => {
                let found = n
                    .sockets
                    .iter()
                    .find(|(tr, a)| *tr == Transport::Udp && a.is_ipv4() == t.destination.is_ipv4())
                    .map(|&(_, a)| a);
                if found.is_some() {
                    return found;
                }
                if ip.is_ipv4() != t.destination.is_ipv4() {
                    return None;
                }
                self.listen(node, SocketAddr::new(ip, 0), Transport::Udp)
                    .ok()
            }
        }
    }

    /// A UDP datagram from `node`: checked, traced, then across the sender's link.
    pub(crate) fn send_udp(&mut self, node: NodeId, t: &Transmit, payload: &[u8]) {
        let dst = t.destination;
        let Some(src) = self.udp_source(node, t) else {
            let src = t.source.unwrap_or_else(|| unspecified(dst));
            self.drop_packet(Transport::Udp, src, dst, payload, DropReason::NotOwned);
            return;
        };
        self.record(Kind::Send, Transport::Udp, src, dst, payload);
        let from = self.nodes[node.index()].host;
        let link = self.hosts[from.index()].config.link;
        if link.rate_bps.is_some() {
            let p = self.packet(payload);
            let hop = Hop::Network {
                from,
                src,
                dst,
                payload: p,
            };
            self.through_bottleneck(from, Direction::Egress, hop);
            return;
        }
        match link.pass_udp(&mut self.rngs.link, payload.len(), dst.is_ipv4()) {
            Err(reason) => self.drop_packet(Transport::Udp, src, dst, payload, reason),
            Ok((delay, copy)) => {
                let p = self.packet(payload);
                self.queue.push(
                    self.now + delay,
                    Hop::Network {
                        from,
                        src,
                        dst,
                        payload: p,
                    },
                );
                if let Some(delay) = copy {
                    self.record(Kind::Duplicate, Transport::Udp, src, dst, payload);
                    let p = self.packet(payload);
                    self.queue.push(
                        self.now + delay,
                        Hop::Network {
                            from,
                            src,
                            dst,
                            payload: p,
                        },
                    );
                }
            }
        }
    }

    /// A UDP packet that left `from`'s link: through the NATs to the destination host,
    /// then across its link.
    pub(crate) fn route_udp(
        &mut self,
        from: HostId,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    ) {
        match self.translate_udp(from, src, dst) {
            Ok((host, src, dst)) => self.ingress(host, src, dst, payload),
            Err((reason, src)) => {
                self.drop_packet(Transport::Udp, src, dst, &payload, reason);
                self.recycle(payload);
            }
        }
    }

    /// Where a UDP packet from `from` goes: the destination host and the packet's
    /// addresses as it arrives there; or why it is dropped (and its source at that point).
    fn translate_udp(
        &mut self,
        from: HostId,
        src: SocketAddr,
        dst: SocketAddr,
    ) -> Result<(HostId, SocketAddr, SocketAddr), (DropReason, SocketAddr)> {
        let now = self.now;
        let mut src_out = src;
        if let Some(nat) = self.hosts[from.index()].config.nat {
            let n = &mut self.nats[nat.index()];
            // Hosts behind the same NAT reach each other directly.
            if let Some(&host) = n.private.get(&dst.ip()) {
                return Ok((host, src, dst));
            }
            if n.config.block_udp {
                return Err((DropReason::UdpBlocked, src));
            }
            src_out = n
                .outbound(Transport::Udp, src, dst, now)
                .ok_or((DropReason::NoMapping, src))?;
            if dst.ip() == n.config.public_ip {
                // Hairpinning (RFC 4787 section 6): back in with the mapped source (REQ-9).
                if !n.config.hairpin {
                    return Err((DropReason::HairpinOff, src_out));
                }
                let (host, inside) = n
                    .to_inside(dst.port(), src_out, now)
                    .map_err(|r| (r, src_out))?;
                return Ok((host, src_out, inside));
            }
        }
        match self.public.get(&dst.ip()) {
            None => Err((DropReason::NoRoute, src_out)),
            Some(&Attach::Host(host)) => Ok((host, src_out, dst)),
            Some(&Attach::Nat(nat)) => {
                let n = &self.nats[nat.index()];
                if n.config.block_udp {
                    return Err((DropReason::UdpBlocked, src_out));
                }
                let (host, inside) = n
                    .to_inside(dst.port(), src_out, now)
                    .map_err(|r| (r, src_out))?;
                Ok((host, src_out, inside))
            }
        }
    }

    /// Across `host`'s link, inbound.
    fn ingress(&mut self, host: HostId, src: SocketAddr, dst: SocketAddr, payload: Vec<u8>) {
        let link = self.hosts[host.index()].config.link;
        if link.rate_bps.is_some() {
            let hop = Hop::Deliver {
                host,
                src,
                dst,
                payload,
            };
            self.through_bottleneck(host, Direction::Ingress, hop);
            return;
        }
        match link.pass_udp(&mut self.rngs.link, payload.len(), dst.is_ipv4()) {
            Err(reason) => {
                self.drop_packet(Transport::Udp, src, dst, &payload, reason);
                self.recycle(payload);
            }
            Ok((delay, copy)) => {
                if let Some(d) = copy {
                    self.record(Kind::Duplicate, Transport::Udp, src, dst, &payload);
                    let p = self.packet(&payload);
                    self.queue.push(
                        self.now + d,
                        Hop::Deliver {
                            host,
                            src,
                            dst,
                            payload: p,
                        },
                    );
                }
                self.queue.push(
                    self.now + delay,
                    Hop::Deliver {
                        host,
                        src,
                        dst,
                        payload,
                    },
                );
            }
        }
    }

    /// A UDP packet (`hop`, where it goes after the link) onto `host`'s rate-limited link
    /// in `direction`: MTU, loss and duplication checks, then the queue.
    fn through_bottleneck(&mut self, host: HostId, direction: Direction, hop: Hop) {
        let link = self.hosts[host.index()].config.link;
        let Some((_, dst, p)) = hop.udp_parts() else {
            return;
        };
        match link.admit_udp(&mut self.rngs.link, p.len(), dst.is_ipv4()) {
            Err(reason) => {
                if let Some((src, dst, p)) = hop.udp_parts() {
                    self.drop_packet(Transport::Udp, src, dst, p, reason);
                }
                self.recycle_hop(hop);
            }
            Ok(duplicated) => {
                let mut copy = None;
                if duplicated && let Some((src, dst, p)) = hop.udp_parts() {
                    self.record(Kind::Duplicate, Transport::Udp, src, dst, p);
                    let v = self.packet(p);
                    copy = hop.with_payload(v);
                }
                self.enqueue(host, direction, hop);
                if let Some(copy) = copy {
                    self.enqueue(host, direction, copy);
                }
            }
        }
    }

    /// Puts `hop` in `host`'s queue of `direction` (or drops it when the queue is full).
    fn enqueue(&mut self, host: HostId, direction: Direction, hop: Hop) {
        let link = self.hosts[host.index()].config.link;
        let Some((_, dst, p)) = hop.udp_parts() else {
            return;
        };
        let bytes = p.len() + header(dst.is_ipv4());
        let Some(rate) = link.rate_bps else {
            let d = link.propagation(&mut self.rngs.link);
            self.queue.push(self.now + d, hop);
            return;
        };
        let q = &mut self.hosts[host.index()].queues[direction.index()];
        match q.push(self.now, bytes, hop, rate, link.queue_packets, direction) {
            Pushed::Queued => {}
            Pushed::Started(until) => self.queue.push(until, Hop::Serviced { host, direction }),
            Pushed::Full(hop) => {
                if let Some((src, dst, p)) = hop.udp_parts() {
                    self.drop_packet(Transport::Udp, src, dst, p, DropReason::QueueFull);
                }
                self.recycle_hop(hop);
            }
        }
    }

    /// The packet on the wire of `host`'s link in `direction` is serialized: it leaves for
    /// its propagation delay, and the next one starts (all of them leave when the link no
    /// longer has a rate).
    pub(crate) fn serviced(&mut self, host: HostId, direction: Direction) {
        let link = self.hosts[host.index()].config.link;
        let now = self.now;
        loop {
            let q = &mut self.hosts[host.index()].queues[direction.index()];
            let Some((done, next)) = q.serviced(now, link.rate_bps, direction) else {
                break;
            };
            let d = link.propagation(&mut self.rngs.link);
            self.queue.push(now + d, done.hop);
            if let Some(until) = next {
                self.queue.push(until, Hop::Serviced { host, direction });
                break;
            }
            if link.rate_bps.is_some() {
                break;
            }
        }
    }

    fn recycle_hop(&mut self, hop: Hop) {
        if let Hop::Network { payload, .. } | Hop::Deliver { payload, .. } = hop {
            self.recycle(payload);
        }
    }

    /// To the machine holding `dst` on `host`.
    pub(crate) fn deliver_udp(
        &mut self,
        host: HostId,
        src: SocketAddr,
        dst: SocketAddr,
        payload: Vec<u8>,
    ) {
        let h = &self.hosts[host.index()];
        let owner = if dst.ip() == h.ip() {
            h.owner(Transport::Udp, dst.port())
        } else {
            None
        };
        let Some(node) = owner else {
            self.drop_packet(Transport::Udp, src, dst, &payload, DropReason::NoSocket);
            self.recycle(payload);
            return;
        };
        self.record(Kind::Deliver, Transport::Udp, src, dst, &payload);
        let d = Datagram {
            proto: Transport::Udp,
            source: src,
            destination: dst,
            ecn: None,
            payload: &payload,
        };
        let now = self.now;
        self.nodes[node.index()].machine.handle_datagram(now, d);
        self.recycle(payload);
        self.drain(node);
    }
}
