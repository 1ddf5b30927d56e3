//! What a listener does when `accept` fails: it never stops.
//!
//! With an edge-triggered poller (mio, epoll `EPOLLET`) a listener that got `EMFILE` and
//! waits for its next readiness event may wait for good: the connections already in its
//! queue raise no new event, and once the queue is full new ones are dropped by the
//! kernel before they raise one. So an accept error that is about the process, not the
//! connection (`EMFILE`, `ENFILE`, `ENOBUFS`, `ENOMEM`), pauses accepting for a short,
//! growing back-off ([`BACKOFF_MIN`] doubling to [`BACKOFF_MAX`]) after which the driver
//! tries again without waiting for an event, and sooner when one of its connections
//! closes. An aborted connection (`ECONNABORTED`) is about that connection alone: the next
//! one is accepted at once. Every failure is counted ([`crate::Stats::accept_errors`]);
//! the log gets one warning when a burst of failures starts and one line when accepting
//! works again, however many failures came between.

use std::io;
use std::time::{Duration, Instant};

use crate::error::{Disposition, disposition};
use crate::stats::{Counter, Counters};

/// The first pause after an accept error that is not per connection.
pub const BACKOFF_MIN: Duration = Duration::from_millis(50);
/// The longest pause.
pub const BACKOFF_MAX: Duration = Duration::from_millis(250);

/// What the listener does after a failed accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcceptNext {
    /// Accept again now (the error was the connection's, or a retry).
    Now,
    /// Nothing is waiting: wait for the next readiness event.
    Wait,
    /// Pause until then, and try again without waiting for an event.
    Until(Instant),
}

/// The back-off state of one listener.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    pause: Option<Duration>,
    until: Option<Instant>,
    woken: bool,
    burst: u64,
}

impl Backoff {
    /// Decides what follows the accept error `e` at `now`, counts it, and logs it once
    /// per burst.
    pub fn failed(&mut self, now: Instant, e: &io::Error, counters: &Counters) -> AcceptNext {
        match disposition(e) {
            Disposition::Wait => return AcceptNext::Wait,
            Disposition::Retry => return AcceptNext::Now,
            Disposition::Transient | Disposition::Fatal => {}
        }
        counters.add(Counter::AcceptErrors, 1);
        if self.burst == 0 {
            tracing::warn!(error = %e, "accept failed; the listener backs off and retries (logged once per burst)");
        } else {
            tracing::debug!(error = %e, "accept failed");
        }
        self.burst += 1;
        if disposition(e) == Disposition::Transient {
            // The connection aborted before it was accepted: the next is unaffected.
            return AcceptNext::Now;
        }
        let pause = self.pause.map_or(BACKOFF_MIN, |p| (p * 2).min(BACKOFF_MAX));
        self.pause = Some(pause);
        counters.add(Counter::AcceptBackoffs, 1);
        let until = now + pause;
        self.until = Some(until);
        AcceptNext::Until(until)
    }

    /// An accept succeeded: the burst, if any, is over.
    pub fn succeeded(&mut self) {
        if self.burst > 0 {
            tracing::info!(
                failures = self.burst,
                "accepting connections again after a burst of accept errors"
            );
        }
        *self = Backoff::default();
    }

    /// When the paused listener tries again (`None`: not paused).
    #[must_use]
    pub fn until(&self) -> Option<Instant> {
        self.until
    }

    /// Whether the pause is over at `now`; clears it if so.
    pub fn resume(&mut self, now: Instant) -> bool {
        match self.until {
            Some(t) if t <= now || self.woken => {
                self.until = None;
                self.woken = false;
                true
            }
            _ => false,
        }
    }

    /// Ends the pause early (a descriptor was freed): the next [`Backoff::resume`] is
    /// true, whatever the time.
    pub fn wake(&mut self) {
        self.woken = self.until.is_some();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn out_of_descriptors_backs_off_growing_and_aborted_does_not() {
        let c = Counters::default();
        let mut b = Backoff::default();
        let t0 = Instant::now();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        assert_eq!(
            b.failed(t0, &emfile, &c),
            AcceptNext::Until(t0 + BACKOFF_MIN)
        );
        assert!(!b.resume(t0));
        assert!(b.resume(t0 + BACKOFF_MIN));
        assert_eq!(b.until(), None);
        assert_eq!(
            b.failed(t0, &emfile, &c),
            AcceptNext::Until(t0 + 2 * BACKOFF_MIN)
        );
        for _ in 0..5 {
            let _ = b.failed(t0, &io::Error::from_raw_os_error(libc::ENFILE), &c);
        }
        assert_eq!(b.until(), Some(t0 + BACKOFF_MAX));
        b.wake();
        assert!(b.resume(t0));
        b.wake();
        assert!(!b.resume(t0), "a listener not paused is not resumed");
        let aborted = io::Error::from_raw_os_error(libc::ECONNABORTED);
        assert_eq!(b.failed(t0, &aborted, &c), AcceptNext::Now);
        let would_block = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(b.failed(t0, &would_block, &c), AcceptNext::Wait);
        let s = c.snapshot();
        assert_eq!((s.accept_errors, s.accept_backoffs), (8, 7));
        b.succeeded();
        assert_eq!(
            b.failed(t0, &emfile, &c),
            AcceptNext::Until(t0 + BACKOFF_MIN)
        );
    }
}
