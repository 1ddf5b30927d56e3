//! The bytes of packets waiting in the pacer, which holds only their tags: slots of
//! buffers reused from packet to packet, the most recently freed first (so that a call
//! keeps touching the few it needs; nothing is allocated once each of those has held a
//! full-sized packet). A tag names its slot and a generation, so that a stale tag finds
//! nothing.

use wren_core::Transmit;

/// Packet buffers addressed by tag.
#[derive(Debug)]
pub(crate) struct PacketStore {
    slots: Vec<Slot>,
    /// Free slots, the most recently freed last.
    free: Vec<u32>,
    generation: u32,
}

#[derive(Debug, Default)]
struct Slot {
    /// The tag of the packet in it; `None` while free.
    tag: Option<u64>,
    bytes: Vec<u8>,
    /// Set for a datagram ready to leave as it is (a retransmission the peer connection
    /// protected and numbered): where it goes and its transport-wide number.
    ready: Option<(Transmit, u16)>,
}

/// A packet taken out of the store.
#[derive(Debug)]
pub(crate) enum Stored<'a> {
    /// Plain RTP, to be protected and sent by the peer connection.
    Rtp(&'a [u8]),
    /// A datagram ready to leave: its bytes, where it goes, its transport-wide number.
    Ready(&'a [u8], Transmit, u16),
}

impl PacketStore {
    /// A store of `capacity` packets.
    pub(crate) fn new(capacity: usize) -> PacketStore {
        let capacity = capacity.clamp(1, u32::MAX as usize);
        let mut slots = Vec::with_capacity(capacity);
        slots.resize_with(capacity, Slot::default);
        PacketStore {
            slots,
            free: (0..capacity as u32).rev().collect(),
            generation: 0,
        }
    }

    /// Packets it can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Packets it holds.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// A free slot's buffer, cleared, and the tag its packet has once written; `None`
    /// when every slot holds a packet. The slot is taken: [`PacketStore::release`] gives
    /// it back if its packet is not sent.
    pub(crate) fn next_buffer(&mut self) -> Option<(u64, &mut Vec<u8>)> {
        let index = self.free.pop()?;
        self.generation = self.generation.wrapping_add(1);
        let tag = u64::from(self.generation) << 32 | u64::from(index);
        let slot = &mut self.slots[index as usize];
        slot.tag = Some(tag);
        slot.ready = None;
        slot.bytes.clear();
        Some((tag, &mut slot.bytes))
    }

    /// Keeps `bytes`, a datagram ready to leave for `transmit` with transport-wide number
    /// `seq`; its tag, or `None` when every slot holds a packet.
    pub(crate) fn hold(&mut self, bytes: &[u8], transmit: Transmit, seq: u16) -> Option<u64> {
        let (tag, buf) = self.next_buffer()?;
        buf.extend_from_slice(bytes);
        let index = (tag & u64::from(u32::MAX)) as usize;
        self.slots[index].ready = Some((transmit, seq));
        Some(tag)
    }

    /// The packet with tag `tag`, taken (its slot free again once the borrow ends);
    /// `None` for a tag not in the store.
    pub(crate) fn take(&mut self, tag: u64) -> Option<Stored<'_>> {
        let index = (tag & u64::from(u32::MAX)) as u32;
        let slot = self.slots.get_mut(index as usize)?;
        if slot.tag != Some(tag) {
            return None;
        }
        slot.tag = None;
        self.free.push(index);
        Some(match slot.ready {
            Some((t, seq)) => Stored::Ready(&slot.bytes, t, seq),
            None => Stored::Rtp(&slot.bytes),
        })
    }

    /// Frees the slot of tag `tag` without reading it.
    pub(crate) fn release(&mut self, tag: u64) {
        let _ = self.take(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_is_taken_once_by_its_tag_and_a_full_store_refuses_more() {
        let mut s = PacketStore::new(2);
        let mut tags = Vec::new();
        for n in 0..2u8 {
            let (tag, buf) = s.next_buffer().unwrap();
            buf.push(n);
            tags.push(tag);
        }
        assert!(s.next_buffer().is_none(), "both slots hold a packet");
        assert_eq!(s.len(), 2);
        assert!(matches!(s.take(tags[1]), Some(Stored::Rtp(&[1]))));
        assert!(s.take(tags[1]).is_none(), "taken once");
        // The freed slot is used again, under a new tag: the old one finds nothing.
        let (again, buf) = s.next_buffer().unwrap();
        buf.push(9);
        assert_ne!(again, tags[1]);
        assert!(s.take(tags[1]).is_none());
        assert!(matches!(s.take(again), Some(Stored::Rtp(&[9]))));
        s.release(tags[0]);
        assert_eq!(s.len(), 0);
        // A ready datagram comes back with where it goes and its number.
        let t = Transmit::new(
            wren_core::Transport::Udp,
            None,
            "10.0.0.1:5000".parse().unwrap(),
        );
        let tag = s.hold(&[7, 7], t, 42).unwrap();
        assert!(matches!(s.take(tag), Some(Stored::Ready(&[7, 7], d, 42)) if d == t));
    }
}
