//! The sessions' deadlines in one min-heap, so that the server's `poll_timeout` is a peek
//! however many sessions it runs.
//!
//! Each session has at most one entry per deadline it moved *earlier*; a deadline that moves
//! later (the peer's next check) costs nothing until its old entry comes up, which finds the
//! session and re-arms it. Entries of removed sessions (an older generation) are skipped.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::session::SessionId;

#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    heap: BinaryHeap<Reverse<(Instant, SessionId)>>,
}

impl Deadlines {
    /// Makes sure a wake-up at `at` is pending for `id`, whose earliest entry is `armed`.
    pub(crate) fn arm(&mut self, id: SessionId, armed: &mut Option<Instant>, at: Option<Instant>) {
        let Some(at) = at else { return };
        if armed.is_none_or(|a| at < a) {
            self.heap.push(Reverse((at, id)));
            *armed = Some(at);
        }
    }

    /// The next entry due at `now`, taken off the heap.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, SessionId)> {
        let Reverse((at, _)) = self.heap.peek()?;
        if *at > now {
            return None;
        }
        self.heap.pop().map(|Reverse(e)| e)
    }

    /// The earliest entry (perhaps of a session since removed or re-armed: a spare wake-up).
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }
}
