//! Packet index estimation and replay protection (RFC 3711 s3.3.1, s3.3.2, Appendix A).
//!
//! [`estimate_index`] is the receiver's (and our sender's) guess of the 48-bit index from a
//! 16-bit sequence number; [`ReplayWindow`] remembers which of the last `window` indices
//! were accepted. Both are pure and change nothing until a packet has been authenticated.

use crate::error::Error;

/// The 48-bit SRTP index space (RFC 3711 s3.3.1).
pub(crate) const MAX_SRTP_INDEX: u64 = (1 << 48) - 1;

/// RFC 3711 Appendix A: the index of a packet with sequence number `seq`, given the
/// highest index accepted so far (`None` before the first packet, which gets ROC 0).
/// `None` when the guess falls before index 0 (a packet from before the first one, just
/// after it and across a wrap) or past 2^48.
pub(crate) fn estimate_index(highest: Option<u64>, seq: u16) -> Option<u64> {
    let Some(highest) = highest else {
        return Some(u64::from(seq));
    };
    let roc = (highest >> 16) as i64;
    let s_l = (highest & 0xffff) as i64;
    let seq = i64::from(seq);
    let v = if s_l < 32768 {
        if seq - s_l > 32768 { roc - 1 } else { roc }
    } else if s_l - 32768 > seq {
        roc + 1
    } else {
        roc
    };
    let index = (v << 16) + seq;
    (0..=MAX_SRTP_INDEX as i64)
        .contains(&index)
        .then_some(index as u64)
}

/// Which of the last `window` packet indices were received (RFC 3711 s3.3.2): a ring of
/// bits, one per index modulo the window size, a multiple of 64.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    bits: Box<[u64]>,
}

impl ReplayWindow {
    /// A window of `size` indices (a multiple of 64, checked by the config).
    pub(crate) fn new(size: u64) -> ReplayWindow {
        ReplayWindow {
            highest: None,
            bits: vec![0; (size / 64) as usize].into_boxed_slice(),
        }
    }

    fn size(&self) -> u64 {
        self.bits.len() as u64 * 64
    }

    /// The highest index accepted.
    pub(crate) fn highest(&self) -> Option<u64> {
        self.highest
    }

    fn bit(&self, index: u64) -> (usize, u64) {
        let at = index % self.size();
        ((at / 64) as usize, 1 << (at % 64))
    }

    /// Whether `index` may be accepted: newer than the highest, or inside the window and
    /// not yet seen.
    pub(crate) fn check(&self, index: u64) -> Result<(), Error> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        if highest - index >= self.size() {
            return Err(Error::TooOld {
                index,
                highest,
                window: self.size(),
            });
        }
        let (word, mask) = self.bit(index);
        if self.bits[word] & mask != 0 {
            return Err(Error::Replayed { index });
        }
        Ok(())
    }

    /// Records `index` as received; call only after [`Self::check`] and authentication.
    pub(crate) fn accept(&mut self, index: u64) {
        match self.highest {
            Some(highest) if index <= highest => {}
            Some(highest) if index - highest < self.size() => {
                // Forget the indices the window slides past.
                for i in highest + 1..index {
                    let (word, mask) = self.bit(i);
                    self.bits[word] &= !mask;
                }
                self.highest = Some(index);
            }
            _ => {
                self.bits.fill(0);
                self.highest = Some(index);
            }
        }
        let (word, mask) = self.bit(index);
        self.bits[word] |= mask;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn estimation_follows_appendix_a_across_a_wrap() {
        assert_eq!(estimate_index(None, 65000), Some(65000));
        // Forward across the wrap: ROC + 1.
        assert_eq!(estimate_index(Some(65535), 0), Some(65536));
        assert_eq!(estimate_index(Some(65530), 5), Some(65541));
        // A late packet from before the wrap, after the wrap: ROC - 1.
        assert_eq!(estimate_index(Some(65536 + 3), 65534), Some(65534));
        // Before index 0: nothing.
        assert_eq!(estimate_index(Some(3), 65534), None);
        // Far into the stream.
        let h = (7 << 16) + 40000;
        assert_eq!(estimate_index(Some(h), 39000), Some((7 << 16) + 39000));
        assert_eq!(estimate_index(Some(h), 2000), Some((8 << 16) + 2000));
        // The end of the index space.
        assert_eq!(estimate_index(Some(MAX_SRTP_INDEX), 0), None);
    }

    proptest! {
        /// Any index within 2^15 of the highest is recovered from its 16 bits.
        #[test]
        fn estimation_recovers_indices_near_the_highest(
            highest in 40_000u64..(1 << 40),
            delta in -32_767i64..32_768,
        ) {
            let index = (highest as i64 + delta) as u64;
            prop_assert_eq!(estimate_index(Some(highest), index as u16), Some(index));
        }

        /// The window agrees with a plain set of received indices.
        #[test]
        fn window_matches_a_set(ops in proptest::collection::vec(0u64..400, 1..300), words in 1u64..4) {
            let size = 64 * words;
            let mut w = ReplayWindow::new(size);
            let mut seen = std::collections::BTreeSet::new();
            for i in ops {
                let highest = seen.last().copied();
                let expected = match highest {
                    Some(h) if i <= h && h - i >= size => Err(Error::TooOld { index: i, highest: h, window: size }),
                    _ if seen.contains(&i) => Err(Error::Replayed { index: i }),
                    _ => Ok(()),
                };
                prop_assert_eq!(w.check(i), expected);
                if expected.is_ok() {
                    w.accept(i);
                    seen.insert(i);
                }
            }
        }
    }

    #[test]
    fn the_window_refuses_replays_and_old_packets() {
        let mut w = ReplayWindow::new(64);
        for i in [10, 12, 11] {
            w.check(i).unwrap();
            w.accept(i);
        }
        assert_eq!(w.check(11), Err(Error::Replayed { index: 11 }));
        w.accept(100);
        assert_eq!(
            w.check(36),
            Err(Error::TooOld {
                index: 36,
                highest: 100,
                window: 64
            })
        );
        assert_eq!(w.check(37), Ok(()));
        assert_eq!(w.check(100), Err(Error::Replayed { index: 100 }));
        // A jump past the whole window clears it.
        w.accept(1000);
        assert_eq!(w.check(999), Ok(()));
    }
}
