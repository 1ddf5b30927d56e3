//! The bytes of packets waiting in the pacer, which holds only their tags: a ring of
//! buffers reused from packet to packet (nothing is allocated once each slot has held a
//! full-sized packet).

/// A ring of packet buffers addressed by a growing tag.
#[derive(Debug)]
pub(crate) struct PacketStore {
    slots: Vec<Slot>,
    next_tag: u64,
}

#[derive(Debug, Default)]
struct Slot {
    /// The tag of the packet in it; `None` once taken.
    tag: Option<u64>,
    bytes: Vec<u8>,
}

impl PacketStore {
    /// A store of `capacity` packets.
    pub(crate) fn new(capacity: usize) -> PacketStore {
        let mut slots = Vec::with_capacity(capacity.max(1));
        slots.resize_with(capacity.max(1), Slot::default);
        PacketStore { slots, next_tag: 0 }
    }

    /// Packets it can hold.
    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The next slot's buffer, cleared, and the tag it will have once [`PacketStore::commit`]
    /// is called. A packet still in that slot (its tag never sent) is overwritten; callers
    /// keep no more packets queued than the store holds.
    pub(crate) fn next_buffer(&mut self) -> (u64, &mut Vec<u8>) {
        let tag = self.next_tag;
        let len = self.slots.len() as u64;
        let slot = &mut self.slots[(tag % len) as usize];
        slot.tag = None;
        slot.bytes.clear();
        (tag, &mut slot.bytes)
    }

    /// Keeps what [`PacketStore::next_buffer`] wrote under its tag.
    pub(crate) fn commit(&mut self) -> u64 {
        let tag = self.next_tag;
        let len = self.slots.len() as u64;
        self.slots[(tag % len) as usize].tag = Some(tag);
        self.next_tag += 1;
        tag
    }

    /// The packet with tag `tag`, taken (`None` when it was overwritten).
    pub(crate) fn take(&mut self, tag: u64) -> Option<&[u8]> {
        let len = self.slots.len() as u64;
        let slot = &mut self.slots[(tag % len) as usize];
        if slot.tag != Some(tag) {
            return None;
        }
        slot.tag = None;
        Some(&slot.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packet_is_taken_once_by_its_tag_and_an_overwritten_one_is_gone() {
        let mut s = PacketStore::new(2);
        for n in 0..3u8 {
            let (_, buf) = s.next_buffer();
            buf.push(n);
            s.commit();
        }
        // Tag 0 was overwritten by tag 2 (same slot).
        assert_eq!(s.take(0), None);
        assert_eq!(s.take(1), Some(&[1u8][..]));
        assert_eq!(s.take(1), None, "taken once");
        assert_eq!(s.take(2), Some(&[2u8][..]));
    }
}
