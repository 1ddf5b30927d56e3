//! JSEP (RFC 9429) on the peer: SDP offers and answers made and taken by wren-sdp's model
//! ([`wren_sdp::jsep::Negotiation`]), and what they mean for the transport. Our
//! descriptions carry our ICE credentials, the candidates gathered so far, our
//! certificate's fingerprint and `a=setup` (`actpass` in an offer, `active` in an answer);
//! the peer's give ICE its credentials and candidates, DTLS its role and the fingerprints
//! the peer's certificate must match, and the offerer controls ICE (RFC 8445 section
//! 6.1.1).
//!
//! The calls follow `RTCPeerConnection`'s, with setting our own description folded into
//! making it: [`Peer::create_offer`] (createOffer + setLocalDescription), then
//! [`Peer::set_remote_description`] with the answer; or [`Peer::set_remote_description`]
//! with an offer, then [`Peer::create_answer`] (createAnswer + setLocalDescription).

use std::time::Instant;

use wren_dtls::fingerprint::{Fingerprint, HashFunction};
use wren_sdp::Session;
use wren_sdp::attribute::dtls::{Fingerprint as SdpFingerprint, HashFunction as SdpHash, Setup};
use wren_sdp::jsep::{IceCredentials, Negotiation, StateError, Transceiver, Transport};

use super::Peer;
use crate::{DtlsRole, Error, Event, RemoteParameters};

/// Whether a description is an offer or an answer (`RTCSdpType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdpType {
    /// An offer.
    Offer,
    /// An answer.
    Answer,
}

/// A description with its type (`RTCSessionDescriptionInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// Offer or answer.
    pub kind: SdpType,
    /// The SDP text.
    pub sdp: String,
}

/// Why a description could not be made or taken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum JsepError {
    /// The SDP does not parse: the error names the line.
    #[error("the SDP does not parse: {0}")]
    Parse(#[from] wren_sdp::ParseError),
    /// Not in a state to take it (an answer with no offer out, glare, a moved section).
    #[error(transparent)]
    State(#[from] StateError),
    /// No accepted section carries ICE credentials.
    #[error("the description has no a=ice-ufrag and a=ice-pwd")]
    NoIceCredentials,
    /// No fingerprint with a hash we check (sha-256, sha-384, sha-512).
    #[error("the description has no a=fingerprint with sha-256, sha-384 or sha-512")]
    NoFingerprint,
    /// `a=setup` says what cannot be (an answer with actpass, or no role at all).
    #[error("the description's a=setup does not give a DTLS role: {0:?}")]
    Setup(Option<Setup>),
    /// No answer to give: no offer was taken since the last answer.
    #[error("no remote offer to answer")]
    NoRemoteOffer,
    /// [`Peer::set_local_description`] with a description other than the one we made:
    /// SDP munging is not supported (RFC 9429 s5.4 leaves it to implementations).
    #[error("the local {0:?} is not the one create_offer or create_answer made")]
    NotOurs(SdpType),
    /// The transport refused what the description says.
    #[error(transparent)]
    Peer(#[from] Error),
}

/// Our fingerprint as SDP writes it.
fn sdp_fingerprint(f: &Fingerprint) -> Option<SdpFingerprint> {
    let hash = match f.hash() {
        HashFunction::Sha256 => SdpHash::Sha256,
        HashFunction::Sha384 => SdpHash::Sha384,
        HashFunction::Sha512 => SdpHash::Sha512,
    };
    SdpFingerprint::new(hash, f.bytes())
}

impl Peer {
    /// The negotiation, made on first use with our credentials and fingerprint.
    fn negotiation(&mut self) -> &mut Negotiation {
        let creds = self.ice.local_credentials();
        let fingerprint = self.config.identity.fingerprint();
        let capabilities = &self.config.capabilities;
        self.negotiation.get_or_insert_with(|| {
            let ice = IceCredentials {
                ufrag: creds.ufrag.clone(),
                pwd: creds.pwd.clone(),
            };
            let fingerprints = sdp_fingerprint(fingerprint).into_iter().collect();
            // The o= session id: from the ICE password's bytes, so it needs no clock or
            // randomness of its own (RFC 8866 s5.2 asks only that it be unique enough).
            let id = creds
                .pwd
                .bytes()
                .fold(0u64, |h, b| h.rotate_left(7) ^ u64::from(b))
                & 0x7fff_ffff_ffff_ffff;
            Negotiation::new(capabilities.clone(), Transport::new(ice, fingerprints), id)
        })
    }

    /// Our candidates so far into the descriptions we write.
    fn refresh_candidates(&mut self) {
        let candidates: Vec<String> = self
            .ice
            .local_candidates()
            .map(|c| {
                let line = c.to_string();
                line.strip_prefix("candidate:").unwrap_or(&line).to_owned()
            })
            .collect();
        let complete = self.gathering_complete;
        let t = self.negotiation().transport_mut();
        t.candidates = candidates;
        t.end_of_candidates = complete;
    }

    /// Adds a transceiver to offer (or to match to a section of the peer's next offer);
    /// its index.
    /// One that sends and has no track gets one with fresh SSRCs (an RTX SSRC for video),
    /// announced with `a=msid` and `a=ssrc`.
    pub fn add_transceiver(&mut self, transceiver: Transceiver) -> usize {
        let t = self.with_track(transceiver);
        self.negotiation().add_transceiver(t)
    }

    /// Offers a data channel section (`m=application ... webrtc-datachannel`).
    pub fn add_data_section(&mut self) {
        self.negotiation().enable_data_channel();
    }

    /// Stops transceiver `index` (RFC 9429 s4.2.1): the next offer carries its section
    /// with port 0, and the peer's answer frees its mid for reuse.
    pub fn stop_transceiver(&mut self, index: usize) {
        self.negotiation().stop_transceiver(index);
    }

    /// Restarts ICE (RFC 8445 s9, RFC 9429 s5.2.1): fresh local credentials at once, sent
    /// in the next offer (make it with [`Peer::create_offer`]); media and data keep going on
    /// the selected pair until the new checks select one.
    pub fn restart_ice(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.ice.restart(now);
        self.give_restart_credentials();
        self.negotiation().restart_ice();
        self.after_input(now);
    }

    /// The agent's (new) credentials for the negotiation's next ICE restart.
    fn give_restart_credentials(&mut self) {
        let creds = self.ice.local_credentials().clone();
        self.negotiation().set_next_ice_credentials(IceCredentials {
            ufrag: creds.ufrag,
            pwd: creds.pwd,
        });
    }

    /// Takes our own description (`setLocalDescription`): [`Peer::create_offer`] and
    /// [`Peer::create_answer`] already did, so this checks that `desc` is the one they
    /// made, for programs written against the W3C call order.
    ///
    /// # Errors
    ///
    /// [`JsepError::NotOurs`] for any other description (no SDP munging).
    pub fn set_local_description(&mut self, desc: &SessionDescription) -> Result<(), JsepError> {
        let ours = match desc.kind {
            SdpType::Offer => self.negotiation.as_ref().and_then(|n| n.pending_offer()),
            SdpType::Answer => self.local_description(),
        };
        if ours == Some(desc.sdp.as_str()) {
            Ok(())
        } else {
            Err(JsepError::NotOurs(desc.kind))
        }
    }

    /// Makes our offer and takes it as our local description (RFC 9429 s5.2): we control
    /// ICE, and offer `a=setup:actpass`.
    ///
    /// # Errors
    ///
    /// [`JsepError::State`] when the model refuses (an ICE restart without credentials).
    pub fn create_offer(&mut self, _now: Instant) -> Result<String, JsepError> {
        if self.closed {
            return Err(Error::Closed.into());
        }
        if self.remote_fingerprints.is_none() {
            self.ice.set_role(wren_ice::Role::Controlling);
        }
        self.refresh_candidates();
        let offer = self.negotiation().create_offer()?;
        Ok(offer.to_string())
    }

    /// Takes the peer's description (RFC 9429 s5.10): an offer is answered at once (take
    /// the answer with [`Peer::create_answer`]); sections we cannot take are answered
    /// with port 0 and reported as [`Event::SectionRejected`]. ICE gets the credentials
    /// and candidates; DTLS its role and the fingerprints.
    ///
    /// # Errors
    ///
    /// A [`JsepError`] naming what is wrong; nothing is changed then.
    pub fn set_remote_description(
        &mut self,
        now: Instant,
        desc: &SessionDescription,
    ) -> Result<(), JsepError> {
        if self.closed {
            return Err(Error::Closed.into());
        }
        let session = Session::parse(&desc.sdp)?;
        let remote = remote_parameters(&session, desc.kind)?;
        let our_role = match desc.kind {
            SdpType::Answer => {
                self.negotiation().handle_answer(&session)?;
                remote.dtls_role.flipped()
            }
            SdpType::Offer => {
                if self.remote_fingerprints.is_none() {
                    self.ice.set_role(wren_ice::Role::Controlled);
                }
                // The peer restarts ICE (a new ufrag, RFC 8445 s9): so do we, and the
                // answer carries our new credentials.
                let previous = self.remote_description().and_then(|t| {
                    let s = Session::parse(t).ok()?;
                    let m = s
                        .media()
                        .iter()
                        .find(|m| m.media_line().port != 0 || m.bundle_only())?;
                    s.ice_ufrag_of(m).map(str::to_owned)
                });
                if previous.is_some_and(|u| u != remote.credentials.ufrag) {
                    self.ice.restart(now);
                    self.give_restart_credentials();
                }
                self.refresh_candidates();
                let answer = self.negotiation().handle_offer(&session)?;
                for r in &answer.rejected {
                    self.events.push_back(Event::SectionRejected(r.clone()));
                }
                self.pending_answer = Some(answer.to_sdp());
                // The answer takes the role opposite the offer's (actpass: active).
                let ours = answer
                    .session
                    .media()
                    .iter()
                    .find(|m| m.media_line().port != 0)
                    .and_then(|m| answer.session.setup_of(m));
                match ours {
                    Some(Setup::Active) => DtlsRole::Client,
                    Some(Setup::Passive) => DtlsRole::Server,
                    other => return Err(JsepError::Setup(other)),
                }
            }
        };
        self.security.set_role(our_role);
        self.data.set_role(our_role);
        self.apply_remote(now, remote, &session)?;
        if desc.kind == SdpType::Answer {
            self.bind_negotiation();
        }
        Ok(())
    }

    /// Our answer to the offer taken last, now our local description.
    ///
    /// # Errors
    ///
    /// [`JsepError::NoRemoteOffer`] when no offer is waiting for its answer.
    pub fn create_answer(&mut self, _now: Instant) -> Result<String, JsepError> {
        let answer = self.pending_answer.take().ok_or(JsepError::NoRemoteOffer)?;
        self.bind_negotiation();
        Ok(answer)
    }

    /// Our current local description, if any.
    #[must_use]
    pub fn local_description(&self) -> Option<&str> {
        self.negotiation.as_ref()?.local_description()
    }

    /// The peer's current description, if any.
    #[must_use]
    pub fn remote_description(&self) -> Option<&str> {
        self.negotiation.as_ref()?.remote_description()
    }

    /// Gives the transport what the peer's description says.
    fn apply_remote(
        &mut self,
        now: Instant,
        remote: RemoteParameters,
        session: &Session<'_>,
    ) -> Result<(), JsepError> {
        match &self.remote_fingerprints {
            None => self.set_remote(now, remote)?,
            // A renegotiation: new credentials are an ICE restart; the certificate stays.
            Some(_) => {
                self.ice
                    .set_remote_credentials(now, remote.credentials)
                    .map_err(Error::from)?;
            }
        }
        let mut end = false;
        for m in session.media() {
            if m.media_line().port == 0 && !m.bundle_only() {
                continue;
            }
            for c in m.candidates() {
                let line = format!("candidate:{}", c.0);
                match line.parse::<wren_ice::Candidate>() {
                    // Candidates of other sections repeat the first's (BUNDLE); the agent
                    // keeps each address once. Ones it refuses are the peer's problem.
                    Ok(c) => {
                        let _ = self.ice.add_remote_candidate(now, c);
                    }
                    Err(_) => self.stats.candidates_refused += 1,
                }
            }
            end |= m.end_of_candidates();
        }
        if end {
            self.ice.end_of_remote_candidates(now);
        }
        self.after_input(now);
        Ok(())
    }
}

/// ICE credentials, fingerprints and the peer's DTLS role from its description.
fn remote_parameters(session: &Session<'_>, kind: SdpType) -> Result<RemoteParameters, JsepError> {
    let media = session
        .media()
        .iter()
        .find(|m| m.media_line().port != 0)
        .or_else(|| session.media().first());
    let (ufrag, pwd) = match media {
        Some(m) => (session.ice_ufrag_of(m), session.ice_pwd_of(m)),
        None => (session.ice_ufrag(), session.ice_pwd()),
    };
    let (Some(ufrag), Some(pwd)) = (ufrag, pwd) else {
        return Err(JsepError::NoIceCredentials);
    };
    let sdp_fingerprints: Vec<String> = match media {
        Some(m) => session
            .fingerprints_of(m)
            .map(ToString::to_string)
            .collect(),
        None => session.fingerprints().map(ToString::to_string).collect(),
    };
    let fingerprints: Vec<Fingerprint> = sdp_fingerprints
        .iter()
        .filter_map(|f| Fingerprint::parse(f).ok())
        .collect();
    if fingerprints.is_empty() {
        return Err(JsepError::NoFingerprint);
    }
    let setup = match media {
        Some(m) => session.setup_of(m),
        None => session.setup(),
    };
    // The peer's role: an offer's actpass leaves it to us (we answer active, so the peer
    // is the server); an answer must choose.
    let dtls_role = match (kind, setup) {
        (_, Some(Setup::Active)) => DtlsRole::Client,
        (_, Some(Setup::Passive)) => DtlsRole::Server,
        (SdpType::Offer, Some(Setup::ActPass) | None) => DtlsRole::Server,
        (_, other) => return Err(JsepError::Setup(other)),
    };
    Ok(RemoteParameters {
        credentials: wren_ice::Credentials {
            ufrag: ufrag.to_owned(),
            pwd: pwd.to_owned(),
        },
        fingerprints,
        dtls_role,
    })
}
