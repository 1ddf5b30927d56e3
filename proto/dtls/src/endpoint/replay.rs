//! The anti-replay window of a read epoch (RFC 6347 section 4.1.2.6): a record whose
//! sequence number was seen, or is older than the window, is dropped.

/// Sequence numbers below the highest seen by this many or more are too old.
const WINDOW: u64 = 64;

/// Which of the last 64 sequence numbers were seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReplayWindow {
    /// The highest sequence number accepted, if any.
    top: Option<u64>,
    /// Bit i: `top - i` was seen.
    seen: u64,
}

impl ReplayWindow {
    /// Whether `seq` may be accepted (after its record authenticated, call
    /// [`ReplayWindow::mark`]).
    pub(crate) fn fresh(&self, seq: u64) -> bool {
        match self.top {
            None => true,
            Some(top) if seq > top => true,
            Some(top) => {
                let back = top - seq;
                back < WINDOW && self.seen & (1 << back) == 0
            }
        }
    }

    /// Records `seq` as seen.
    pub(crate) fn mark(&mut self, seq: u64) {
        match self.top {
            Some(top) if seq <= top => {
                let back = top - seq;
                if back < WINDOW {
                    self.seen |= 1 << back;
                }
            }
            Some(top) => {
                let shift = seq - top;
                self.seen = if shift >= WINDOW {
                    0
                } else {
                    self.seen << shift
                };
                self.seen |= 1;
                self.top = Some(seq);
            }
            None => {
                self.top = Some(seq);
                self.seen = 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_records_older_than_the_window_are_refused() {
        let mut w = ReplayWindow::default();
        assert!(w.fresh(5));
        w.mark(5);
        assert!(!w.fresh(5));
        assert!(w.fresh(4), "reordered, not seen");
        w.mark(4);
        assert!(!w.fresh(4));
        w.mark(100);
        assert!(!w.fresh(100 - WINDOW), "out of the window");
        assert!(w.fresh(100 - WINDOW + 1));
        assert!(!w.fresh(5));
        w.mark(100 + 2 * WINDOW);
        assert!(w.fresh(100 + WINDOW + 1) && !w.fresh(100));
    }
}
