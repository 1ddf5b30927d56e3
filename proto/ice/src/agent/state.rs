//! The agent's life: remote credentials and candidates as they trickle in (RFC 8838),
//! selection, consent freshness (RFC 7675), failure with its report, and ICE restart.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use wren_stun::TransactionId;

use super::consent::{Due, Verdict};
use super::remote::Added;
use super::{
    Agent, CandidateSummary, ConnectionState, Credentials, Deadline, Error, Event, FailureCause,
    FailureReport, GatheringState, PairId, PairReport, PairState, Role, SelectedPair,
};
use crate::candidate::{Address, Candidate, CandidateTransport, CandidateType};
use crate::message::write_keepalive;

impl Agent {
    /// Sets the peer's `ice-ufrag` and `ice-pwd`. Checks start once they are known. New
    /// credentials after others mean the peer restarted ICE: the remote candidates and
    /// pairs are dropped (and, if this agent had not restarted itself, it does, so both
    /// sides use fresh credentials, RFC 8445 section 9).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidCredentials`] for a ufrag under 4 or a password under 22
    /// characters (RFC 8839 section 5.4), or over 256.
    pub fn set_remote_credentials(
        &mut self,
        now: Instant,
        creds: Credentials,
    ) -> Result<(), Error> {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return Err(Error::Closed);
        }
        if !(4..=256).contains(&creds.ufrag.len()) {
            return Err(Error::InvalidCredentials(
                "ice-ufrag must be 4 to 256 characters",
            ));
        }
        if !(22..=256).contains(&creds.pwd.len()) {
            return Err(Error::InvalidCredentials(
                "ice-pwd must be 22 to 256 characters",
            ));
        }
        if let Some(old) = self.keys.remote() {
            if *old == creds {
                return Ok(());
            }
            if old.ufrag != creds.ufrag {
                let restarted_here = self.remotes.is_empty() && self.checklist.is_empty();
                if !restarted_here {
                    self.restart(now);
                }
            }
        }
        self.keys.set_remote(creds);
        if self.checking_since.is_none() && !self.checklist.is_empty() {
            self.checking_since = Some(now);
        }
        self.arm_pacing();
        self.after_input(now);
        Ok(())
    }

    /// Takes `role` (RFC 8445 section 6.1.1: in JSEP the offerer controls, RFC 9429
    /// section 5.2.1), for an agent made before the role was known (it gathers while the
    /// offer is made). Call it before checks start; after that a conflict is settled by
    /// the peers' tie-breakers (section 7.3.1.1) and this is the same as letting it be.
    pub fn set_role(&mut self, role: Role) {
        if self.role != role {
            self.switch_role();
        }
    }

    /// Adds a remote candidate, before or after checks began (trickle ICE). A host name
    /// (an mDNS `.local` name) is asked of the application with [`Event::ResolveName`];
    /// the candidate waits for [`Agent::resolved`].
    ///
    /// # Errors
    ///
    /// Component other than 1, a transport other than UDP/TCP, a ufrag not the peer's
    /// current one, or too many candidates; the agent is unchanged.
    pub fn add_remote_candidate(&mut self, now: Instant, cand: Candidate) -> Result<(), Error> {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return Err(Error::Closed);
        }
        let refuse = |agent: &mut Agent, e: Error| {
            agent.stats.candidates_refused += 1;
            Err(e)
        };
        if cand.component != 1 {
            return refuse(self, Error::UnsupportedComponent(cand.component));
        }
        if let CandidateTransport::Other(t) = &cand.transport {
            return refuse(self, Error::UnsupportedTransport(t.clone()));
        }
        if let (Some(u), Some(creds)) = (&cand.ufrag, self.keys.remote()) {
            if *u != creds.ufrag {
                let e = Error::WrongUfrag {
                    expected: creds.ufrag.clone(),
                    got: u.clone(),
                };
                return refuse(self, e);
            }
        }
        if self.remotes.count() >= self.config.max_remote_candidates {
            return refuse(self, Error::TooManyCandidates(self.remotes.count()));
        }
        match &cand.address {
            Address::Ip(ip) => {
                let ip = *ip;
                self.add_resolved(now, cand, ip);
            }
            Address::Name(name) => {
                let name = name.clone();
                if self.remotes.wait_for(name.clone(), cand) {
                    self.emit(Event::ResolveName(name));
                }
            }
        }
        self.after_input(now);
        Ok(())
    }

    /// The answer to [`Event::ResolveName`]: the address `name` resolved to, or `None`
    /// when it did not (the candidates with that name are then reported as unresolved).
    pub fn resolved(&mut self, now: Instant, name: &str, ip: Option<IpAddr>) {
        let now = self.clamp(now);
        let waiting = self.remotes.take_waiting(name);
        if waiting.is_empty() {
            return;
        }
        match ip {
            Some(ip) => {
                for cand in waiting {
                    self.add_resolved(now, cand, ip);
                }
            }
            None => self.remotes.unresolved(name),
        }
        self.after_input(now);
    }

    fn add_resolved(&mut self, now: Instant, cand: Candidate, ip: IpAddr) {
        let r = match self.remotes.add(cand, ip) {
            Added::New(r) => r,
            Added::Replaced(r) => {
                // The selected pair's remote was learned from the peer's check before its
                // candidate was signalled: the pair is reported again with its true type.
                if let Some(p) = self.selection.selected()
                    && self.checklist[p].remote() == r
                {
                    let info = self.selected_info(p);
                    self.emit(Event::SelectedPair(info));
                }
                return;
            }
            Added::Known => return,
        };
        self.pair_remote(r);
        if self.checking_since.is_none()
            && self.keys.remote_key().is_some()
            && !self.checklist.is_empty()
        {
            self.checking_since = Some(now);
        }
        if self.state == ConnectionState::New && self.keys.remote_key().is_some() {
            self.set_state(ConnectionState::Checking);
        }
    }

    /// The peer has no more candidates (end-of-candidates, RFC 8838 section 4.4): once
    /// every pair has failed and local gathering is complete, ICE can fail.
    pub fn end_of_remote_candidates(&mut self, now: Instant) {
        let now = self.clamp(now);
        self.remotes.set_end();
        self.after_input(now);
    }

    /// Restarts ICE (RFC 8445 section 9): fresh local credentials, remote candidates and
    /// pairs dropped. The gathered candidates are kept and announced again with the new
    /// ufrag; data keeps going on the selected pair until a new one is selected.
    pub fn restart(&mut self, now: Instant) {
        let now = self.clamp(now);
        if self.state == ConnectionState::Closed {
            return;
        }
        self.keys.restart(&mut self.rng);
        self.remotes.clear();
        self.checklist.clear();
        self.routes.clear();
        self.deadlines.stop(Deadline::Pacing);
        self.selection.clear();
        self.checking_since = None;
        self.consent.restart(now);
        // Prflx locals belonged to the old checks.
        let ufrag = self.keys.local().ufrag.clone();
        let generation = self.keys.generation();
        let announce = self
            .locals
            .restart(&ufrag, generation, self.config.relay_only);
        for c in announce {
            self.emit(Event::LocalCandidate(c));
        }
        if self.gathering.state() == GatheringState::Complete {
            self.emit(Event::GatheringState(GatheringState::Complete));
        }
        if matches!(
            self.state,
            ConnectionState::Failed | ConnectionState::Disconnected
        ) {
            self.set_state(ConnectionState::Checking);
        }
    }

    /// Selects the highest-priority nominated valid pair, if it is new.
    pub(super) fn select_nominated(&mut self, now: Instant) {
        let best = self
            .checklist
            .ids()
            .filter(|&p| {
                self.checklist[p].nominated() && self.checklist[p].state() == PairState::Succeeded
            })
            .max_by_key(|&p| self.checklist[p].priority());
        let Some(p) = best else {
            return;
        };
        if self.selection.selected() == Some(p) {
            return;
        }
        if self.selection.selected().is_some_and(|s| {
            self.checklist[s].priority() >= self.checklist[p].priority()
                && self.checklist[s].nominated()
        }) {
            return;
        }
        self.selection.select(p);
        self.consent.start(now, &self.config.timers, &mut self.rng);
        let info = self.selected_info(p);
        self.emit(Event::SelectedPair(info));
        self.set_state(ConnectionState::Connected);
    }

    pub(super) fn selected_info(&self, p: PairId) -> SelectedPair {
        let pair = &self.checklist[p];
        SelectedPair {
            pair: p,
            local: self.locals[pair.local()].summary(),
            remote: self.remotes[pair.remote()].summary(),
            rtt: pair.rtt(),
        }
    }

    /// Consent checks (full) or keepalives (lite) on the selected pair, and the
    /// disconnected/failed verdicts.
    pub(super) fn consent_tick(&mut self, now: Instant) {
        let Some(p) = self.selection.selected() else {
            return;
        };
        if self.consent.is_due(now) {
            match self.consent.due(now, &self.config.timers) {
                Some(Due::Keepalive) => {
                    let tid = TransactionId::random(&mut self.rng);
                    let mut buf = self.buffer();
                    if write_keepalive(&mut buf, tid).is_ok() {
                        let (local, remote) = (
                            self.checklist[p].local(),
                            self.remotes[self.checklist[p].remote()].addr,
                        );
                        self.send_from(now, local, remote, buf);
                    }
                }
                Some(Due::Check) => self.start_check(now, p, false, true),
                None => {}
            }
            self.consent
                .reschedule(now, &self.config.timers, &mut self.rng);
        }
        match self.consent.verdict(now, &self.config.timers) {
            Verdict::Lost => self.consent_lost(now),
            Verdict::Disconnected if self.state == ConnectionState::Connected => {
                self.set_state(ConnectionState::Disconnected);
            }
            _ => {}
        }
    }

    pub(super) fn consent_response(&mut self, now: Instant, rtt: Duration) {
        self.consent.heard(now);
        if let Some(p) = self.selection.selected() {
            self.checklist.record_rtt(p, rtt);
        }
        if self.state == ConnectionState::Disconnected {
            self.set_state(ConnectionState::Connected);
        }
    }

    pub(super) fn consent_lost(&mut self, now: Instant) {
        self.fail(now, FailureCause::ConsentLost);
    }

    /// When liveness must next be judged: disconnected, consent lost, connect timeout.
    pub(super) fn liveness_deadline(&self) -> Option<Instant> {
        if self.is_over() {
            return None;
        }
        let t = &self.config.timers;
        if self.selection.selected().is_some() {
            let connected = self.state == ConnectionState::Connected;
            return Some(self.consent.verdict_deadline(t, connected));
        }
        self.checking_since.map(|s| s + t.connect_timeout)
    }

    pub(super) fn is_over(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Failed | ConnectionState::Closed
        )
    }

    /// After any input: nomination, and whether ICE has failed.
    pub(super) fn after_input(&mut self, now: Instant) {
        if self.is_over() {
            return;
        }
        self.maybe_nominate(now);
        self.pace(now);
        if self.selection.selected().is_some() {
            return;
        }
        if self
            .checking_since
            .is_some_and(|s| now >= s + self.config.timers.connect_timeout)
        {
            self.fail(now, FailureCause::ConnectTimeout);
            return;
        }
        // RFC 8838 section 8: the checklist fails only when gathering is complete, the
        // peer said end-of-candidates, no name waits, and every pair failed.
        let settled = self.gathering.state() == GatheringState::Complete
            && self.remotes.ended()
            && !self.remotes.waiting()
            && !self.checklist.has_triggered()
            && self.checklist.only_consent_in_flight()
            && self
                .checklist
                .iter()
                .all(|p| p.state() == PairState::Failed);
        if !settled {
            return;
        }
        let usable_locals = self.locals.any_usable();
        let cause = if !usable_locals {
            FailureCause::NoLocalCandidates
        } else if self.remotes.is_empty() {
            FailureCause::NoRemoteCandidates
        } else if self.checklist.is_empty() {
            FailureCause::NoCompatiblePairs
        } else {
            FailureCause::AllPairsFailed
        };
        // A lite agent has no checks to fail: it waits for the peer's.
        if self.config.lite && cause == FailureCause::AllPairsFailed {
            return;
        }
        self.fail(now, cause);
    }

    fn fail(&mut self, now: Instant, cause: FailureCause) {
        if self.is_over() {
            return;
        }
        let report = self.report(now, cause);
        self.shut_down(now);
        self.selection.unselect();
        self.set_state(ConnectionState::Failed);
        self.emit(Event::Failed(Box::new(report)));
    }

    pub(super) fn pair_report(&self, p: PairId) -> PairReport {
        let pair = &self.checklist[p];
        PairReport {
            local: self.locals[pair.local()].summary(),
            remote: self.remotes[pair.remote()].summary(),
            state: pair.state(),
            transmissions: pair.transmissions(),
            failure: pair.failure().cloned(),
        }
    }

    /// The report of what was gathered and tried.
    pub(super) fn report(&self, now: Instant, cause: FailureCause) -> FailureReport {
        let since = self.checking_since.unwrap_or(self.started);
        let mut order: Vec<PairId> = self.checklist.ids().collect();
        order.sort_by_key(|&i| std::cmp::Reverse(self.checklist[i].priority()));
        FailureReport {
            cause,
            after: now.saturating_duration_since(since),
            local_candidates: self
                .locals
                .iter()
                .filter(|l| l.kind != CandidateType::PeerReflexive)
                .map(|l| l.cand.clone())
                .collect(),
            gather_failures: self.gathering.failures().to_vec(),
            remote_candidates: self.remotes.iter().map(|r| r.cand.clone()).collect(),
            unresolved_names: self.remotes.unresolved_names(),
            end_of_remote_candidates: self.remotes.ended(),
            pairs: order.into_iter().map(|p| self.pair_report(p)).collect(),
        }
    }
}

impl CandidateSummary {
    /// Whether this is a relayed candidate.
    #[must_use]
    pub fn is_relayed(&self) -> bool {
        self.kind == CandidateType::Relayed
    }
}
