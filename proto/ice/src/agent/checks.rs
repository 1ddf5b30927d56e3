//! Connectivity checks on the wire: sending and retransmitting requests (RFC 8445 section
//! 7.2.4 and 14.3), answering the peer's (section 7.3), and taking responses (section 7.2.5).

use std::net::SocketAddr;
use std::time::Instant;

use wren_core::demux::{PacketKind, classify};
use wren_core::{Datagram, Machine, Transport};
use wren_stun::attr::{
    ErrorCode, ErrorCodeValue, IceControlled, IceControlling, Priority, UseCandidate, Username,
    XorMappedAddress,
};
use wren_stun::{Class, Message, Method, TransactionId};

use super::checklist::{CheckSlot, Retransmit};
use super::ids::LocalId;
use super::{Agent, Check, ConnectionState, Event, Local, PairFailure, PairId, PairState, Role};
use crate::candidate::{CandidateType, priority};
use crate::message::{CheckRequest, write_check, write_error, write_success};

impl Agent {
    /// Starts a check on pair `p` (a consent check when `consent`).
    pub(super) fn start_check(&mut self, now: Instant, p: PairId, nominate: bool, consent: bool) {
        let Some(remote) = self.keys.remote() else {
            return;
        };
        let Some(key) = self.keys.remote_key().cloned() else {
            return;
        };
        // The nomination in flight stands for this check too.
        if !nominate && self.checklist.hurry_nomination(p, consent) {
            return;
        }
        // RFC 8445 section 7.2.2: "remote:local"; written into a buffer kept from check to
        // check (consent checks go on for the whole call).
        let mut username = std::mem::take(&mut self.check_username);
        username.clear();
        username.push_str(&remote.ufrag);
        username.push(':');
        username.push_str(&self.keys.local().ufrag);
        let local = &self.locals[self.checklist[p].local()];
        let prflx_priority = priority(CandidateType::PeerReflexive, local.local_pref, 1);
        let tid = TransactionId::random(&mut self.rng);
        let mut request = self.checklist.request_buffer();
        let req = CheckRequest {
            tid,
            username: &username,
            priority: prflx_priority,
            role: self.role,
            tiebreaker: self.keys.tiebreaker(),
            // The controlling agent's consent checks on the selected pair nominate it
            // again: a controlled agent whose own check on it failed under loss learns of
            // the nomination from the next one (as libwebrtc does).
            use_candidate: (nominate || (consent && self.checklist[p].nominated()))
                && self.role == Role::Controlling,
        };
        let written = write_check(&mut request, &req, &key);
        let use_candidate = req.use_candidate;
        self.check_username = username;
        if written.is_err() {
            return;
        }
        let rto = self.config.timers.check_rto;
        let check = Check {
            tid,
            pair: p,
            nominate: use_candidate,
            consent,
            role: self.role,
            first_sent: now,
            next: now + rto,
            rto,
            sends: 1,
            hurry: false,
            request,
        };
        // A pair has one check in flight: a new one replaces it.
        let slot = self.checklist.start(check);
        if !consent && self.checklist[p].state() != PairState::Succeeded {
            self.set_pair_state(p, PairState::InProgress);
        }
        self.transmit_check(now, slot);
    }

    fn transmit_check(&mut self, now: Instant, slot: CheckSlot) {
        self.stats.checks_sent += 1;
        let mut buf = self.buffer();
        let p = self.checklist.write_request(slot, &mut buf);
        let (local, remote) = (
            self.checklist[p].local(),
            self.remotes[self.checklist[p].remote()].addr,
        );
        self.send_from(now, local, remote, buf);
    }

    /// Retransmits checks whose RTO passed; fails those out of transmissions.
    pub(super) fn retransmit(&mut self, now: Instant) {
        let timers = self.config.timers.clone();
        let mut cursor = 0;
        loop {
            let locals = &self.locals;
            let stream = |l: LocalId| locals[l].transport.is_stream();
            match self
                .checklist
                .next_retransmit(now, &timers, &mut cursor, stream)
            {
                Some(Retransmit::Send(slot)) => self.transmit_check(now, slot),
                Some(Retransmit::TimedOut(check)) => {
                    if !check.consent {
                        self.check_timed_out(now, check.pair, &check);
                    }
                }
                None => return,
            }
        }
    }

    /// A check ran out of transmissions. A nomination on a valid pair leaves it valid (the
    /// controlling agent nominates again); a pair the peer's checks reach is checked again,
    /// [`super::checklist::ALIVE_ROUNDS`] times at most; any other pair fails.
    fn check_timed_out(&mut self, now: Instant, p: PairId, check: &Check) {
        if check.nominate && self.checklist[p].state() == PairState::Succeeded {
            self.selection.nomination_ended(p);
            return;
        }
        if self.selection.selected().is_none() && self.checklist.check_again(p) {
            self.set_pair_state(p, PairState::Waiting);
            self.arm_pacing();
            return;
        }
        let why = match self.checklist.take_refusal(p) {
            Some((code, reason)) => PairFailure::Unauthenticated { code, reason },
            None => PairFailure::TimedOut {
                transmissions: check.sends,
            },
        };
        self.fail_pair(now, p, why);
    }

    /// A datagram the data path's lookup did not route: the agent's own (STUN, TURN), or
    /// data that needs a closer look (relayed, or on an active TCP candidate's connection).
    /// Returns the pair and payload when it is data on a valid pair.
    pub(super) fn receive_slow<'a>(
        &mut self,
        now: Instant,
        d: Datagram<'a>,
    ) -> Option<(PairId, &'a [u8])> {
        // The TURN servers' own traffic (responses, Data indications, ChannelData).
        if let Some(r) = self.relays.for_datagram(&d) {
            // Relayed data: unwrapped in place, then a check or media like any other.
            if let Some((peer, payload)) = self.relays.client_mut(r).peer_data(&d) {
                let Some(l) = self.relays[r].local else {
                    self.stats.data_dropped += 1;
                    return None;
                };
                return self
                    .receive_on(now, l, peer, Transport::Udp, payload)
                    .map(|p| (p, payload));
            }
            // A server given as both stun: and turn: (the usual coturn setup) answers the
            // gathering Binding request from the TURN client's address: by transaction ID.
            if self.answers_query(d.payload) {
                self.stun.handle_datagram(now, d);
            } else {
                self.relays.client_mut(r).handle_datagram(now, d);
            }
            return None;
        }
        let Some(local) = self.locals.for_arrival(&d) else {
            // A STUN response to a gathering request comes to a host socket from a server.
            self.stun.handle_datagram(now, d);
            return None;
        };
        self.receive_on(now, local, d.source, d.proto, d.payload)
            .map(|p| (p, d.payload))
    }

    /// Whether `payload` is the response to a gathering Binding request still waiting.
    fn answers_query(&self, payload: &[u8]) -> bool {
        classify(payload) == PacketKind::Stun
            && Message::parse(payload).is_ok_and(|m| {
                m.class().is_response() && self.gathering.is_waiting(m.transaction_id())
            })
    }

    /// A message that arrived on local candidate `local` from `from`: STUN is handled;
    /// for data, the valid pair it belongs to.
    pub(super) fn receive_on(
        &mut self,
        now: Instant,
        local: LocalId,
        from: SocketAddr,
        transport: Transport,
        payload: &[u8],
    ) -> Option<PairId> {
        if classify(payload) != PacketKind::Stun {
            return self.route_data(local, from);
        }
        let Ok(msg) = Message::parse(payload) else {
            self.stats.malformed += 1;
            return None;
        };
        if msg.method() != Method::BINDING {
            self.stats.malformed += 1;
            return None;
        }
        match msg.class() {
            Class::Request => self.request(now, local, from, transport, &msg),
            Class::SuccessResponse | Class::ErrorResponse => {
                let tid = msg.transaction_id();
                if self.checklist.is_in_flight(tid) {
                    self.response(now, local, from, &msg);
                } else if self.locals[local].relay.is_none() {
                    // A gathering response (a STUN server's answer to a host socket).
                    let base = self.locals[local].base;
                    self.stun
                        .handle_datagram(now, Datagram::udp(from, base, payload));
                } else {
                    self.stats.malformed += 1;
                }
            }
            // A Binding indication is a keepalive: nothing to do.
            _ => {}
        }
        None
    }

    fn reply(
        &mut self,
        now: Instant,
        local: LocalId,
        to: SocketAddr,
        write: impl FnOnce(&mut Vec<u8>) -> bool,
    ) {
        let mut buf = self.buffer();
        if write(&mut buf) {
            self.send_from(now, local, to, buf);
        } else {
            self.recycle(buf);
        }
    }

    /// A check from the peer (RFC 8445 section 7.3).
    fn request(
        &mut self,
        now: Instant,
        local: LocalId,
        from: SocketAddr,
        transport: Transport,
        msg: &Message<'_>,
    ) {
        let tid = msg.transaction_id();
        if !self.locals[local].pairable && self.locals[local].relay.is_none() {
            // A host socket kept only as the base of relayed candidates (relay-only
            // policy) answers no peer: it would reveal the host address.
            return;
        }
        if msg.fingerprint_offset().is_some() && msg.verify_fingerprint().is_err() {
            self.stats.malformed += 1;
            return;
        }
        // USERNAME must be "our-ufrag:their-ufrag", signed with our password; else 401
        // (400 when the attributes are missing), unsigned: the sender is not known.
        let username = msg.get::<Username<'_>>().ok().flatten();
        let priority_attr = msg.get::<Priority>().ok().flatten();
        let (Some(username), Some(prio), true) =
            (username, priority_attr, msg.integrity_offset().is_some())
        else {
            self.stats.requests_refused += 1;
            self.reply(now, local, from, |b| {
                write_error(b, tid, ErrorCodeValue::BAD_REQUEST, None).is_ok()
            });
            return;
        };
        let ours = username.0.split(':').next().unwrap_or_default();
        if ours != self.keys.local().ufrag || msg.verify_integrity(self.keys.local_key()).is_err() {
            self.stats.requests_refused += 1;
            self.reply(now, local, from, |b| {
                write_error(b, tid, ErrorCodeValue::UNAUTHENTICATED, None).is_ok()
            });
            return;
        }
        // Role conflict (section 7.3.1.1).
        if !self.config.lite {
            let controlling = msg.get::<IceControlling>().ok().flatten();
            let controlled = msg.get::<IceControlled>().ok().flatten();
            let conflict = match (self.role, controlling, controlled) {
                (Role::Controlling, Some(IceControlling(t)), _) => {
                    Some(self.keys.tiebreaker() >= t)
                }
                (Role::Controlled, _, Some(IceControlled(t))) => Some(self.keys.tiebreaker() < t),
                _ => None,
            };
            match conflict {
                // We keep our role: the peer must switch (487).
                Some(true) => {
                    let key = self.keys.local_key().clone();
                    self.stats.requests_refused += 1;
                    self.reply(now, local, from, |b| {
                        write_error(b, tid, ErrorCodeValue::ROLE_CONFLICT, Some(&key)).is_ok()
                    });
                    return;
                }
                Some(false) => self.switch_role(),
                None => {}
            }
        }
        let key = self.keys.local_key().clone();
        self.stats.requests_answered += 1;
        self.reply(now, local, from, |b| {
            write_success(b, tid, from, &key).is_ok()
        });

        // The remote candidate: known, or peer-reflexive (section 7.3.1.3).
        let known = self.remotes.find(from, transport);
        let remote = match known {
            Some(r) => r,
            // Behind a NAT a host candidate's new sources can chain without end (see
            // `max_peer_reflexive`); a relayed candidate's peers are a fixed few.
            None if self.locals[local].relay.is_some()
                || self.peer_reflexive_pairs(local) < self.config.max_peer_reflexive =>
            {
                self.remotes.peer_reflexive(from, transport, prio.0)
            }
            None => return,
        };
        let use_candidate = msg.get::<UseCandidate>().ok().flatten().is_some();
        let Some(p) = self.add_pair(local, remote) else {
            if known.is_none() {
                // No pair for it (the table is full of better ones, or another address
                // family): a peer-reflexive candidate kept unpaired would only grow.
                self.remotes.forget_last_peer_reflexive();
            }
            return;
        };
        self.checklist.mark_alive(p);
        // The peer now holds this pair valid (our success response is on its way) and may
        // send media on it before our own check succeeds: route it from now on.
        self.sync_route(p);
        if self.config.lite {
            // An ICE-lite agent sends no checks: the pair is valid once the peer's check
            // was answered, and selected when the peer nominates it.
            if self.checklist[p].state() != PairState::Succeeded {
                self.set_pair_state(p, PairState::Succeeded);
            }
            self.consent.heard(now);
            if self.checking_since.is_none() {
                self.checking_since = Some(now);
            }
            if use_candidate {
                self.set_nominated(p);
                self.select_nominated(now);
            }
            return;
        }
        // Triggered check (section 7.3.1.4).
        match self.checklist[p].state() {
            PairState::Succeeded => {}
            PairState::InProgress => {
                // Retransmit at once instead of waiting for the RTO.
                if self.checklist.hurry(p) {
                    self.retransmit(now);
                }
            }
            _ => {
                self.checklist.trigger(p);
                if self.checklist[p].state() != PairState::Waiting {
                    self.set_pair_state(p, PairState::Waiting);
                }
                self.arm_pacing();
            }
        }
        if use_candidate && self.role == Role::Controlled {
            if self.checklist[p].state() == PairState::Succeeded {
                self.set_nominated(p);
                self.select_nominated(now);
            } else {
                self.checklist.nominate_when_valid(p);
            }
        }
    }

    fn peer_reflexive_pairs(&self, local: LocalId) -> usize {
        self.checklist
            .iter()
            .filter(|p| {
                p.local() == local && self.remotes[p.remote()].kind == CandidateType::PeerReflexive
            })
            .count()
    }

    pub(super) fn switch_role(&mut self) {
        self.role = self.role.flipped();
        self.selection.abandon_nomination();
        self.reprioritise();
        self.emit(Event::RoleChanged(self.role));
    }

    /// A response to one of our checks (RFC 8445 section 7.2.5).
    fn response(&mut self, now: Instant, local: LocalId, from: SocketAddr, msg: &Message<'_>) {
        let tid = msg.transaction_id();
        let Some(key) = self.keys.remote_key().cloned() else {
            return;
        };
        if msg.verify_integrity(&key).is_err() {
            // Not from the peer (or corrupted): ignored, as RFC 8489 section 9.1.4 says;
            // the check retransmits. An unsigned 400/401 to one of our checks is kept for
            // the report: the peer could not authenticate us.
            self.stats.malformed += 1;
            if msg.class() == Class::ErrorResponse
                && let Some(p) = self.checklist.pair_of(tid)
                && let Ok(Some(e)) = msg.get::<ErrorCode<'_>>()
                && matches!(e.code.code(), 400 | 401)
            {
                self.checklist.refuse(p, e.code.code(), e.reason.to_owned());
            }
            return;
        }
        let Some(check) = self.checklist.take(tid) else {
            return;
        };
        let p = check.pair;
        self.checklist.mark_alive(p);
        let expected = self.remotes[self.checklist[p].remote()].addr;
        if from != expected || self.checklist[p].local() != local {
            if !check.consent {
                self.fail_pair(now, p, PairFailure::NotSymmetric { expected, from });
            }
            return;
        }
        if msg.class() == Class::ErrorResponse {
            let (code, reason) = match msg.get::<ErrorCode<'_>>() {
                Ok(Some(e)) => (e.code.code(), e.reason.to_owned()),
                _ => (0, String::new()),
            };
            if check.nominate {
                self.selection.nomination_ended(p);
            }
            if code == ErrorCodeValue::ROLE_CONFLICT.code() {
                // Section 7.2.5.1: switch role if we still hold the one we sent, then retry.
                if check.role == self.role {
                    self.switch_role();
                }
                self.checklist.retry(p);
                self.arm_pacing();
                return;
            }
            if !check.consent {
                self.fail_pair(now, p, PairFailure::ErrorResponse { code, reason });
            }
            return;
        }
        let rtt = now.saturating_duration_since(check.first_sent);
        if check.consent {
            self.consent_response(now, rtt);
            return;
        }
        // A mapped address we do not know is a peer-reflexive local candidate (section
        // 7.2.5.3.1); checks keep leaving from the base, so the pair stays as it is.
        if let Ok(Some(XorMappedAddress(mapped))) = msg.get::<XorMappedAddress>() {
            self.learn_local_prflx(local, mapped);
        }
        self.checklist.check_succeeded(p, rtt);
        self.selection.valid(now);
        self.set_pair_state(p, PairState::Succeeded);
        self.unfreeze_foundation(p);
        let nominated = (check.nominate && self.role == Role::Controlling)
            || (self.role == Role::Controlled && self.checklist[p].nominate_on_success());
        if nominated {
            self.set_nominated(p);
            self.selection.nomination_ended(p);
            self.select_nominated(now);
        }
        if self.state == ConnectionState::New {
            self.set_state(ConnectionState::Checking);
        }
    }

    fn learn_local_prflx(&mut self, local: LocalId, mapped: SocketAddr) {
        let l = &self.locals[local];
        if l.relay.is_some() || l.transport.is_stream() || self.locals.knows(mapped, l.base, None) {
            return;
        }
        let reflexive =
            Local::reflexive(CandidateType::PeerReflexive, mapped, l.base, l.local_pref);
        self.add_local(reflexive, None);
    }
}
