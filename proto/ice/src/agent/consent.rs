//! Consent freshness (RFC 7675) and keepalives (RFC 8445 section 11) on the selected pair:
//! when the next consent check (a full agent) or Binding indication (ICE-lite) is due, when
//! consent was last heard, and the verdict that silence gives (disconnected, then lost).
//! A part of the [`super::Agent`] with its own state; the agent sends what it says.

use std::time::{Duration, Instant};

use wren_core::Rng;

use super::Timers;

/// What is due on the selected pair now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    /// A consent check (RFC 7675 section 5.1).
    Check,
    /// A Binding indication: nothing else was sent for the keepalive interval (lite).
    Keepalive,
}

/// What the silence since consent was last heard means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Heard recently enough.
    Fresh,
    /// Silent for [`Timers::disconnected_after`]: it may come back.
    Disconnected,
    /// Silent for [`Timers::consent_timeout`]: consent is lost (RFC 7675 section 5.1).
    Lost,
}

/// The consent state of the selected pair.
#[derive(Debug, Clone)]
pub(crate) struct Consent {
    /// When the next check or keepalive is due; `None` when nothing is selected.
    next: Option<Instant>,
    /// When consent was last heard (a response, or the selection itself).
    heard: Instant,
    /// When anything was last sent on the pair.
    sent: Instant,
    /// ICE-lite: keepalives instead of checks.
    lite: bool,
}

impl Consent {
    /// Nothing selected yet.
    pub(crate) fn new(now: Instant, lite: bool) -> Consent {
        Consent {
            next: None,
            heard: now,
            sent: now,
            lite,
        }
    }

    /// A pair was selected: consent counts as heard now, and the first check is scheduled.
    pub(crate) fn start(&mut self, now: Instant, timers: &Timers, rng: &mut Rng) {
        self.heard = now;
        self.reschedule(now, timers, rng);
    }

    /// Schedules the next check or keepalive from `now`: after acting on
    /// [`Consent::due`].
    pub(crate) fn reschedule(&mut self, now: Instant, timers: &Timers, rng: &mut Rng) {
        if self.lite {
            self.next = Some(now + timers.keepalive_interval);
            return;
        }
        // RFC 7675 section 5.1: uniformly in 0.8 to 1.2 of the interval.
        let base = timers.consent_interval.as_millis() as u64;
        let jitter = rng.below(base * 4 / 10 + 1);
        self.next = Some(now + Duration::from_millis(base * 8 / 10 + jitter));
    }

    /// No more checks (close, failure).
    pub(crate) fn stop(&mut self) {
        self.next = None;
    }

    /// ICE restart: no checks until a new pair is selected, silence counted from now.
    pub(crate) fn restart(&mut self, now: Instant) {
        self.next = None;
        self.heard = now;
    }

    /// Consent heard: a response to a consent check, or (lite) the peer's check.
    pub(crate) fn heard(&mut self, now: Instant) {
        self.heard = now;
    }

    /// Something was sent on the pair (a keepalive is needed only after silence).
    pub(crate) fn sent(&mut self, now: Instant) {
        self.sent = now;
    }

    /// Whether the time for the next check or keepalive has come: act on
    /// [`Consent::due`], then [`Consent::reschedule`].
    pub(crate) fn is_due(&self, now: Instant) -> bool {
        self.next.is_some_and(|t| now >= t)
    }

    /// What to send now that [`Consent::is_due`]: a check (full), or a keepalive when
    /// nothing else was sent for the keepalive interval (lite).
    pub(crate) fn due(&self, now: Instant, timers: &Timers) -> Option<Due> {
        if !self.lite {
            return Some(Due::Check);
        }
        (now >= self.sent + timers.keepalive_interval).then_some(Due::Keepalive)
    }

    /// What the silence means at `now`.
    pub(crate) fn verdict(&self, now: Instant, timers: &Timers) -> Verdict {
        let silent = now.saturating_duration_since(self.heard);
        if silent >= timers.consent_timeout {
            Verdict::Lost
        } else if silent >= timers.disconnected_after {
            Verdict::Disconnected
        } else {
            Verdict::Fresh
        }
    }

    /// When the verdict next changes: disconnection while `connected`, loss after.
    pub(crate) fn verdict_deadline(&self, timers: &Timers, connected: bool) -> Instant {
        self.heard
            + if connected {
                timers.disconnected_after
            } else {
                timers.consent_timeout
            }
    }

    /// When [`Consent::is_due`] next turns true.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Instant {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        Instant::now()
    }

    #[test]
    fn checks_are_jittered_within_0_8_to_1_2_of_the_interval() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([3; 32]);
        let interval = timers.consent_interval;
        for _ in 0..100 {
            let mut c = Consent::new(now, false);
            c.start(now, &timers, &mut rng);
            let next = c.poll_timeout().expect("scheduled") - now;
            assert!(
                next >= interval * 8 / 10 && next <= interval * 12 / 10,
                "{next:?}"
            );
            assert!(!c.is_due(now), "not yet");
            assert!(c.is_due(now + next));
            assert_eq!(c.due(now + next, &timers), Some(Due::Check));
        }
    }

    #[test]
    fn lite_sends_keepalives_only_after_silence() {
        let (now, timers) = (t0(), Timers::default());
        let mut rng = Rng::from_seed([3; 32]);
        let mut c = Consent::new(now, true);
        c.start(now, &timers, &mut rng);
        let k = timers.keepalive_interval;
        c.sent(now + k / 2);
        assert!(c.is_due(now + k));
        assert_eq!(c.due(now + k, &timers), None, "sent recently");
        c.reschedule(now + k, &timers, &mut rng);
        assert_eq!(c.poll_timeout(), Some(now + 2 * k));
        assert_eq!(c.due(now + 2 * k, &timers), Some(Due::Keepalive));
    }

    #[test]
    fn silence_disconnects_then_loses_consent() {
        let (now, timers) = (t0(), Timers::default());
        let mut c = Consent::new(now, false);
        assert_eq!(c.verdict(now, &timers), Verdict::Fresh);
        assert_eq!(
            c.verdict_deadline(&timers, true),
            now + timers.disconnected_after
        );
        assert_eq!(
            c.verdict(now + timers.disconnected_after, &timers),
            Verdict::Disconnected
        );
        assert_eq!(
            c.verdict(now + timers.consent_timeout, &timers),
            Verdict::Lost
        );
        c.heard(now + timers.consent_timeout);
        assert_eq!(
            c.verdict(now + timers.consent_timeout, &timers),
            Verdict::Fresh
        );
        c.stop();
        assert_eq!(c.poll_timeout(), None);
    }
}
