//! What was sent, by transport-wide sequence number (a preallocated ring of the last
//! 4096 packets), so that feedback can be matched to send times and sizes, and each
//! packet is counted once: received or lost, whatever later feedback says again.

use super::probe::ProbeClusterId;

/// Packets remembered (a power of two).
const SIZE: usize = 4096;

/// What feedback said of a packet so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reported {
    /// Nothing yet.
    No,
    /// Reported lost (it may still be reported received).
    Lost,
    /// Reported received.
    Received,
}

/// One sent packet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sent {
    pub(crate) seq: u16,
    pub(crate) send_us: i64,
    pub(crate) bytes: u32,
    pub(crate) probe: Option<ProbeClusterId>,
    pub(crate) reported: Reported,
    used: bool,
}

/// The ring.
#[derive(Debug)]
pub(crate) struct History {
    slots: Box<[Sent]>,
}

impl Default for History {
    fn default() -> Self {
        let empty = Sent {
            seq: 0,
            send_us: 0,
            bytes: 0,
            probe: None,
            reported: Reported::No,
            used: false,
        };
        History {
            slots: vec![empty; SIZE].into_boxed_slice(),
        }
    }
}

impl History {
    /// Records a packet (replacing the one 4096 before it).
    pub(crate) fn insert(
        &mut self,
        seq: u16,
        send_us: i64,
        bytes: u32,
        probe: Option<ProbeClusterId>,
    ) {
        self.slots[usize::from(seq) % SIZE] = Sent {
            seq,
            send_us,
            bytes,
            probe,
            reported: Reported::No,
            used: true,
        };
    }

    /// The packet with `seq`, if it is still remembered.
    pub(crate) fn get_mut(&mut self, seq: u16) -> Option<&mut Sent> {
        let s = &mut self.slots[usize::from(seq) % SIZE];
        (s.used && s.seq == seq).then_some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_are_found_by_sequence_number_until_replaced() {
        let mut h = History::default();
        h.insert(7, 100, 1200, None);
        assert_eq!(
            h.get_mut(7).map(|s| (s.send_us, s.bytes)),
            Some((100, 1200))
        );
        assert!(h.get_mut(8).is_none(), "never sent");
        h.insert(7 + SIZE as u16, 200, 500, None);
        assert!(h.get_mut(7).is_none(), "replaced 4096 later");
    }
}
