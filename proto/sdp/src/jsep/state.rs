//! Renegotiation (RFC 9429 s4.1.8, s5.2.2, s5.3.2): the current local and remote
//! descriptions, the sections in their negotiated order, and what a new offer or answer
//! keeps from them.
//!
//! A re-offer keeps every existing mid in its place, writes a stopped section with port 0
//! (a stopped section whose stop both sides know may be taken by a new transceiver, with a
//! new mid), adds new sections at the end, and increments the `o=` version. An offer whose
//! ICE credentials differ from the current remote ones is an ICE restart (RFC 9429
//! s5.3.2; RFC 8839 s4.4.1.1.1): it is answered with new credentials, which the caller
//! gives beforehand ([`Negotiation::set_next_ice_credentials`]); the answer to a re-offer
//! keeps the offerer's payload types, so they stay what they were as long as the offerer
//! keeps them.

use super::answer::{Answer, answer};
use super::capabilities::{Capabilities, MediaKind};
use super::local::Local;
use super::offer::{OfferSection, offer_sections};
use super::transceiver::Transceiver;
use super::transport::{IceCredentials, Transport};
use crate::{Direction, ParseError, Session};

/// Why a description could not be taken in the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// An answer arrived while we have no offer out.
    #[error("an answer with no offer of ours out")]
    NoOfferOut,
    /// An offer arrived while ours is out (glare; this model does not roll back).
    #[error("an offer while ours is out (glare)")]
    Glare,
    /// The answer's sections are not our offer's (count or mids differ).
    #[error("answer section {index} does not match the offer's")]
    AnswerMismatch {
        /// The first section that differs.
        index: usize,
    },
    /// A re-offer moved or removed a section (RFC 9429 s5.2.2 keeps every mid in place).
    #[error("offer section {index} is not the mid it was ({expected:?})")]
    MidMoved {
        /// The section's index.
        index: usize,
        /// The mid negotiated there.
        expected: String,
    },
    /// An ICE restart (ours or the peer's) with no new credentials given.
    #[error("an ICE restart needs new credentials (set_next_ice_credentials)")]
    NoIceCredentials,
    /// A description kept as text no longer parses (a bug, reported rather than panicking).
    #[error("a stored description does not parse: {0}")]
    Stored(#[from] ParseError),
}

/// What holds a negotiated section's place.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Slot {
    Transceiver(usize),
    Data,
    Stopped(MediaKind),
}

/// Offer/answer state of one peer connection.
#[derive(Debug, Clone)]
pub struct Negotiation {
    capabilities: Capabilities,
    transport: Transport,
    session_id: u64,
    version: u64,
    transceivers: Vec<Transceiver>,
    data: bool,
    slots: Vec<(String, Slot)>,
    next_mid: u64,
    local: Option<String>,
    remote: Option<String>,
    offer_out: Option<String>,
    next_ice: Option<IceCredentials>,
    restart: bool,
    ice_restarted: bool,
}

/// The ufrag that applies to the first section of `s` (or the session's).
fn ufrag_of(s: &Session<'_>) -> Option<String> {
    // A stopped section (port 0) carries no ICE attributes: the first live one speaks.
    s.media()
        .iter()
        .find(|m| m.media_line().port != 0 || m.bundle_only())
        .and_then(|m| s.ice_ufrag_of(m))
        .or_else(|| s.ice_ufrag())
        .map(str::to_owned)
}

impl Negotiation {
    /// A negotiation with nothing described yet; `session_id` is the `o=` id of every
    /// description we write.
    #[must_use]
    pub fn new(capabilities: Capabilities, transport: Transport, session_id: u64) -> Self {
        Negotiation {
            capabilities,
            transport,
            session_id,
            version: 0,
            transceivers: Vec::new(),
            data: false,
            slots: Vec::new(),
            next_mid: 0,
            local: None,
            remote: None,
            offer_out: None,
            next_ice: None,
            restart: false,
            ice_restarted: false,
        }
    }

    /// Adds a transceiver (offered in the next offer, or matched to an offered section);
    /// returns its index.
    pub fn add_transceiver(&mut self, t: Transceiver) -> usize {
        self.transceivers.push(t);
        self.transceivers.len() - 1
    }

    /// Stops transceiver `i` (RFC 9429 s4.2.1): the next offer writes its section with
    /// port 0.
    pub fn stop_transceiver(&mut self, i: usize) {
        if let Some(t) = self.transceivers.get_mut(i) {
            t.stopped = true;
        }
    }

    /// Asks for a data channel section in the next offer.
    pub fn enable_data_channel(&mut self) {
        self.data = true;
    }

    /// The ICE credentials the next ICE restart (ours or the peer's) uses.
    pub fn set_next_ice_credentials(&mut self, ice: IceCredentials) {
        self.next_ice = Some(ice);
    }

    /// Makes the next offer restart ICE (RFC 9429 s5.2.2) with the credentials given to
    /// [`set_next_ice_credentials`](Self::set_next_ice_credentials).
    pub fn restart_ice(&mut self) {
        self.restart = true;
    }

    /// Our offer while it waits for its answer.
    #[must_use]
    pub fn pending_offer(&self) -> Option<&str> {
        self.offer_out.as_deref()
    }

    /// Whether the last offer we answered restarted ICE.
    #[must_use]
    pub fn ice_restarted(&self) -> bool {
        self.ice_restarted
    }

    /// Our transceivers, with the mids negotiated so far.
    #[must_use]
    pub fn transceivers(&self) -> &[Transceiver] {
        &self.transceivers
    }

    /// Our transport parameters (new ICE credentials after a restart).
    #[must_use]
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Our transport parameters, to add candidates or end gathering.
    pub fn transport_mut(&mut self) -> &mut Transport {
        &mut self.transport
    }

    /// The `o=` version of our last description.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The current local description (after an offer/answer exchange completed).
    #[must_use]
    pub fn local_description(&self) -> Option<&str> {
        self.local.as_deref()
    }

    /// The current remote description.
    #[must_use]
    pub fn remote_description(&self) -> Option<&str> {
        self.remote.as_deref()
    }

    fn fresh_mid(&mut self) -> String {
        loop {
            let mid = self.next_mid.to_string();
            self.next_mid += 1;
            let used = self.slots.iter().any(|(m, _)| *m == mid)
                || self
                    .transceivers
                    .iter()
                    .any(|t| t.mid.as_deref() == Some(&mid));
            if !used {
                return mid;
            }
        }
    }

    fn local(&self) -> Local<'_> {
        Local {
            capabilities: &self.capabilities,
            transport: &self.transport,
            transceivers: &self.transceivers,
            session_id: self.session_id,
            version: self.version,
        }
    }

    fn take_restart_credentials(&mut self) -> Result<(), StateError> {
        let ice = self.next_ice.take().ok_or(StateError::NoIceCredentials)?;
        self.transport.ice = ice;
        Ok(())
    }

    /// Our next offer (RFC 9429 s5.2.1 first, s5.2.2 after): existing sections in place
    /// (stopped ones with port 0, or taken by a new transceiver with a new mid), then new
    /// transceivers and the data channel; the `o=` version one more than the last.
    ///
    /// # Errors
    ///
    /// [`StateError::NoIceCredentials`] for an ICE restart without new credentials.
    pub fn create_offer(&mut self) -> Result<Session<'static>, StateError> {
        if self.restart {
            self.take_restart_credentials()?;
            self.restart = false;
        }
        // Stop what was stopped; reuse slots both sides know stopped for new transceivers.
        let mut fresh: Vec<usize> = (0..self.transceivers.len())
            .filter(|&i| self.transceivers[i].mid.is_none() && !self.transceivers[i].stopped)
            .collect();
        fresh.reverse();
        for s in 0..self.slots.len() {
            match self.slots[s].1.clone() {
                Slot::Transceiver(i) if self.transceivers[i].stopped => {
                    self.slots[s].1 = Slot::Stopped(self.transceivers[i].kind);
                }
                Slot::Stopped(_) => {
                    if let Some(i) = fresh.pop() {
                        let mid = self.fresh_mid();
                        self.transceivers[i].mid = Some(mid.clone());
                        self.slots[s] = (mid, Slot::Transceiver(i));
                    }
                }
                _ => {}
            }
        }
        while let Some(i) = fresh.pop() {
            let mid = self.fresh_mid();
            self.transceivers[i].mid = Some(mid.clone());
            self.slots.push((mid, Slot::Transceiver(i)));
        }
        if self.data && !self.slots.iter().any(|(_, s)| *s == Slot::Data) {
            let mid = self.fresh_mid();
            self.slots.push((mid, Slot::Data));
        }
        self.version += 1;
        // What was negotiated: our payload types and extension ids are kept.
        let current_text = self.local.clone();
        let current = current_text.as_deref().map(Session::parse).transpose()?;
        let previous = |mid: &str| {
            current
                .as_ref()
                .and_then(|s| s.media_by_mid(mid))
                .filter(|m| m.media_line().port != 0)
        };
        let sections: Vec<OfferSection<'_>> = self
            .slots
            .iter()
            .map(|(mid, slot)| match slot {
                Slot::Transceiver(i) => OfferSection::Media(&self.transceivers[*i], previous(mid)),
                Slot::Data => OfferSection::Data { mid },
                Slot::Stopped(kind) => OfferSection::Stopped { kind: *kind, mid },
            })
            .collect();
        let offer = offer_sections(&self.local(), &sections);
        self.offer_out = Some(offer.to_string());
        Ok(offer)
    }

    /// Takes the peer's answer to our offer (RFC 9429 s5.10): a section answered with port
    /// 0 stops its transceiver.
    ///
    /// # Errors
    ///
    /// [`StateError::NoOfferOut`], or [`StateError::AnswerMismatch`] when its sections are
    /// not our offer's.
    pub fn handle_answer(&mut self, answer: &Session<'_>) -> Result<(), StateError> {
        let offer_text = self.offer_out.as_deref().ok_or(StateError::NoOfferOut)?;
        let offer = Session::parse(offer_text)?;
        let (ours, theirs) = (offer.media(), answer.media());
        for i in 0..ours.len().max(theirs.len()) {
            let same = match (ours.get(i), theirs.get(i)) {
                (Some(o), Some(a)) => o.mid() == a.mid() && o.kind() == a.kind(),
                _ => false,
            };
            if !same {
                return Err(StateError::AnswerMismatch { index: i });
            }
        }
        for (i, a) in theirs.iter().enumerate() {
            if a.media_line().port != 0 || a.bundle_only() {
                continue;
            }
            if let Some(slot) = self.slots.get_mut(i) {
                match slot.1 {
                    Slot::Transceiver(t) => {
                        self.transceivers[t].stopped = true;
                        slot.1 = Slot::Stopped(self.transceivers[t].kind);
                    }
                    Slot::Data => {
                        self.data = false;
                        slot.1 = Slot::Stopped(MediaKind::Application);
                    }
                    Slot::Stopped(_) => {}
                }
            }
        }
        self.local = self.offer_out.take();
        self.remote = Some(answer.to_string());
        Ok(())
    }

    /// Answers the peer's offer (RFC 9429 s5.3.1, s5.3.2) and makes both descriptions
    /// current.
    ///
    /// # Errors
    ///
    /// [`StateError::Glare`] while our offer is out, [`StateError::MidMoved`] for a
    /// re-offer that moved a section, [`StateError::NoIceCredentials`] for an ICE restart
    /// without new credentials given.
    pub fn handle_offer(&mut self, offer: &Session<'_>) -> Result<Answer, StateError> {
        if self.offer_out.is_some() {
            return Err(StateError::Glare);
        }
        for (index, (mid, slot)) in self.slots.iter().enumerate() {
            // A stopped section may be taken by a new one with a new mid (RFC 9429 s5.2.2).
            let recycled = matches!(slot, Slot::Stopped(_)) && offer.media().get(index).is_some();
            if !recycled && offer.media().get(index).and_then(|m| m.mid()) != Some(mid.as_str()) {
                return Err(StateError::MidMoved {
                    index,
                    expected: mid.clone(),
                });
            }
        }
        let previous = match &self.remote {
            Some(text) => ufrag_of(&Session::parse(text)?),
            None => None,
        };
        let now = ufrag_of(offer);
        self.ice_restarted = previous.is_some() && previous != now;
        if self.ice_restarted {
            self.take_restart_credentials()?;
        }
        self.version += 1;
        let answer = answer(offer, &self.local());
        for &(index, t) in &answer.bound {
            self.transceivers[t].mid = offer.media()[index].mid().map(str::to_owned);
        }
        let mut slots = Vec::with_capacity(offer.media().len());
        for (index, m) in offer.media().iter().enumerate() {
            let mid = m.mid().unwrap_or("").to_owned();
            let kind = MediaKind::from_name(m.kind());
            let rejected = answer.rejected.iter().any(|r| r.index == index);
            let bound = answer.bound.iter().find(|(i, _)| *i == index).map(|b| b.1);
            let slot = match (bound, kind) {
                (Some(t), _) if rejected => {
                    self.transceivers[t].stopped = true;
                    Slot::Stopped(self.transceivers[t].kind)
                }
                (Some(t), _) => Slot::Transceiver(t),
                (None, Some(MediaKind::Application)) if !rejected => Slot::Data,
                // An accepted section with no transceiver of ours gets one that receives
                // (RFC 9429 s5.10).
                (None, Some(kind)) if !rejected => {
                    let mut t = Transceiver::new(kind, Direction::RecvOnly);
                    t.mid = Some(mid.clone());
                    self.transceivers.push(t);
                    Slot::Transceiver(self.transceivers.len() - 1)
                }
                (None, kind) => Slot::Stopped(kind.unwrap_or(MediaKind::Application)),
            };
            slots.push((mid, slot));
        }
        self.slots = slots;
        self.data = self.slots.iter().any(|(_, s)| *s == Slot::Data);
        self.local = Some(answer.to_sdp());
        self.remote = Some(offer.to_string());
        Ok(answer)
    }
}
