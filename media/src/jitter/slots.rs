//! The packets waiting in a jitter buffer: a ring of preallocated slots indexed by the
//! extended sequence number, so storing a packet copies it and allocates nothing.

/// What is known of a stored packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    /// The extended sequence number.
    pub(crate) seq: u64,
    /// The RTP timestamp.
    pub(crate) timestamp: u32,
    /// The RTP marker bit: the frame's last packet.
    pub(crate) marker: bool,
    /// The depacketizer says a frame starts here.
    pub(crate) start: bool,
    /// The depacketizer says a keyframe starts here.
    pub(crate) keyframe: bool,
}

#[derive(Debug, Clone)]
struct Slot {
    meta: Option<Meta>,
    data: Vec<u8>,
}

/// A ring of `capacity` packets of at most `max_packet` bytes each.
#[derive(Debug, Clone)]
pub(crate) struct Slots {
    slots: Vec<Slot>,
    max_packet: usize,
}

impl Slots {
    pub(crate) fn new(capacity: usize, max_packet: usize) -> Slots {
        Slots {
            slots: (0..capacity.max(1))
                .map(|_| Slot {
                    meta: None,
                    data: Vec::with_capacity(max_packet),
                })
                .collect(),
            max_packet,
        }
    }

    pub(crate) fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    fn index(&self, seq: u64) -> usize {
        (seq % self.capacity()) as usize
    }

    /// Stores a packet; `false` when it is too large.
    pub(crate) fn put(&mut self, meta: Meta, payload: &[u8]) -> bool {
        if payload.len() > self.max_packet {
            return false;
        }
        let i = self.index(meta.seq);
        let slot = &mut self.slots[i];
        slot.data.clear();
        slot.data.extend_from_slice(payload);
        slot.meta = Some(meta);
        true
    }

    /// The packet `seq`, if it is here.
    pub(crate) fn get(&self, seq: u64) -> Option<(Meta, &[u8])> {
        let slot = &self.slots[self.index(seq)];
        slot.meta
            .filter(|m| m.seq == seq)
            .map(|m| (m, slot.data.as_slice()))
    }

    /// Forgets packet `seq`.
    pub(crate) fn remove(&mut self, seq: u64) {
        let i = self.index(seq);
        if self.slots[i].meta.is_some_and(|m| m.seq == seq) {
            self.slots[i].meta = None;
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        for s in &mut self.slots {
            s.meta = None;
        }
    }
}
