//! The data path: Send indications and ChannelData from clients to peers, and peers'
//! datagrams back as Data indications or ChannelData (RFC 8656 sections 10 to 12).
//!
//! Each relayed datagram is copied once, into a pooled buffer that `poll_transmit` swaps
//! into the driver's: in steady state nothing is allocated per packet.

use std::time::Instant;

use wren_core::{Datagram, Transmit, Transport};
use wren_stun::attr::{Data, XorPeerAddress};
use wren_stun::{Class, Message, MessageType, MessageWriter, Method, TransactionId};

use super::Server;
use super::allocation::FiveTuple;
use crate::wire::{ChannelData, ChannelNumber};

impl Server {
    /// A Send indication: relay DATA to XOR-PEER-ADDRESS if a permission allows it.
    ///
    /// DONT-FRAGMENT in a Send indication is not looked at: DF is set per socket, when the
    /// Allocate asked for it, and every datagram its relayed address sends has DF set. On an
    /// allocation made without it, the datagram is relayed without DF. This departs from
    /// RFC 8656 section 10.2, which reads: "If the server is unable to set the DF bit on
    /// outgoing UDP datagrams when this attribute is present, then the server acts as if
    /// the DONT-FRAGMENT attribute is an unknown comprehension-required attribute (and
    /// thus the Send indication is discarded)." Setting DF per datagram would need a
    /// per-send option on [`Transmit`] (or a `setsockopt` around each send) that the
    /// drivers do not have; discarding instead would lose all the data of clients that put
    /// DONT-FRAGMENT on their Send indications but not on their Allocate (the wren-turn
    /// client with `dont_fragment` does just that), so the data is relayed, as before.
    pub(super) fn send_indication(&mut self, now: Instant, five: FiveTuple, msg: &Message<'_>) {
        let Some(&slot) = self.table.by_tuple.get(&five) else {
            self.stats.dropped_no_allocation += 1;
            return;
        };
        let (Ok(Some(XorPeerAddress(peer))), Ok(Some(Data(data)))) =
            (msg.get::<XorPeerAddress>(), msg.get::<Data<'_>>())
        else {
            self.stats.dropped_malformed += 1;
            return;
        };
        // A permission is by IP, so a peer permitted to reach the relayed addresses of other
        // allocations on the relay's IP would reach its listening ports too: TURN through
        // TURN. (ChannelData needs no check: ChannelBind refused such a peer.)
        if self.is_own_address(peer) {
            self.stats.dropped_own_address += 1;
            self.stats.peers_refused[super::Refusal::OwnAddress.index()] += 1;
            return;
        }
        self.relay_to_peer(now, slot, peer, data);
    }

    /// ChannelData from a client: relay it to the channel's peer.
    pub(super) fn channel_data_from_client(&mut self, now: Instant, d: Datagram<'_>) {
        let Ok(cd) = ChannelData::parse(d.payload) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        let five = FiveTuple {
            client: d.source,
            server: d.destination,
            transport: d.proto,
        };
        let Some(&slot) = self.table.by_tuple.get(&five) else {
            self.stats.dropped_no_allocation += 1;
            return;
        };
        let peer = match self
            .table
            .get(slot)
            .and_then(|a| a.channel_by_number(cd.channel.get()))
        {
            Some(c) if c.expires > now => c.peer,
            _ => {
                self.stats.dropped_unknown_channel += 1;
                return;
            }
        };
        self.relay_to_peer(now, slot, peer, cd.data);
    }

    fn relay_to_peer(
        &mut self,
        now: Instant,
        slot: usize,
        peer: std::net::SocketAddr,
        data: &[u8],
    ) {
        let Some(a) = self.table.get_mut(slot) else {
            return;
        };
        if !a.permitted(peer.ip(), now) {
            self.stats.dropped_no_permission += 1;
            return;
        }
        let Some(relayed) = a.relayed_for(peer.ip()) else {
            self.stats.dropped_no_permission += 1;
            return;
        };
        if let Some(bucket) = &mut a.bucket
            && !bucket.take(data.len(), now)
        {
            self.stats.dropped_bandwidth += 1;
            return;
        }
        if self.out.is_full() {
            self.stats.dropped_queue_full += 1;
            return;
        }
        let mut buf = self.out.buffer();
        buf.extend_from_slice(data);
        self.out
            .push(Transmit::new(Transport::Udp, Some(relayed), peer), buf);
        self.stats.packets_to_peers += 1;
        self.stats.bytes_to_peers += data.len() as u64;
    }

    /// A datagram from a peer at relayed address `d.destination` of allocation `slot`.
    pub(super) fn relay_from_peer(&mut self, now: Instant, slot: usize, d: Datagram<'_>) {
        let Some(a) = self.table.get_mut(slot) else {
            return;
        };
        if !a.permitted(d.source.ip(), now) {
            self.stats.dropped_no_permission += 1;
            return;
        }
        if let Some(bucket) = &mut a.bucket
            && !bucket.take(d.payload.len(), now)
        {
            self.stats.dropped_bandwidth += 1;
            return;
        }
        let five = a.five;
        let channel = a.channel_by_peer(d.source, now);
        if self.out.is_full() {
            self.stats.dropped_queue_full += 1;
            return;
        }
        let mut buf = self.out.buffer();
        let encoded = match channel.and_then(ChannelNumber::new) {
            Some(ch) => {
                ChannelData::write(&mut buf, ch, d.payload, five.transport.is_stream()).is_ok()
            }
            None => {
                // A Data indication; its transaction ID is random (RFC 8656 section 10.3).
                let tid = TransactionId::random(&mut self.rng);
                let mut w = MessageWriter::new(
                    &mut buf,
                    MessageType::new(Class::Indication, Method::DATA),
                    tid,
                );
                let ok = w
                    .add(&XorPeerAddress(d.source))
                    .and_then(|()| w.add(&Data(d.payload)));
                let ok = ok.and_then(|()| {
                    if self.limits.fingerprint {
                        w.add_fingerprint()
                    } else {
                        Ok(())
                    }
                });
                ok.is_ok()
            }
        };
        if !encoded {
            self.out.recycle(buf);
            self.stats.dropped_malformed += 1;
            return;
        }
        self.out.push(
            Transmit::new(five.transport, Some(five.server), five.client),
            buf,
        );
        self.stats.packets_to_clients += 1;
        self.stats.bytes_to_clients += d.payload.len() as u64;
    }
}
