//! The [`Peer`]: a small coordinator over its parts. The ICE agent owns the path and the
//! candidates; [`crate::security`] owns DTLS and SRTP; this module wires them together and
//! speaks the [`Machine`] vocabulary. The data path is in `receive.rs` and `send.rs`.

mod data;
mod jsep;
mod negotiated;
mod receive;
mod send;
mod streams;

use std::collections::VecDeque;
use std::time::Instant;

use wren_core::{Datagram, Machine, Rng, SocketRequest, SocketResult, Transmit};
use wren_dtls::fingerprint::Fingerprint;
use wren_ice::{Agent, Candidate, GatheringState};

pub use jsep::{JsepError, SdpType, SessionDescription};
pub use negotiated::{NegotiatedMedia, negotiated_sections};
pub use receive::Received;

use crate::data::DataChannels;
use crate::event::DtlsState;
use crate::media::Media;
use crate::security::Security;
use crate::{Config, DtlsRole, Error, Event, LocalParameters, RemoteParameters, Stats};

/// What an application asks of a peer through a driver ([`Machine::handle_command`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// [`Peer::set_remote`].
    SetRemote(RemoteParameters),
    /// [`Peer::add_remote_candidate`].
    AddRemoteCandidate(Candidate),
    /// [`Peer::end_of_remote_candidates`].
    EndOfRemoteCandidates,
    /// Protect and send an RTP packet (a copy is queued for `poll_transmit`).
    SendRtp(Vec<u8>),
    /// Protect and send an RTCP compound packet (queued as `SendRtp`).
    SendRtcp(Vec<u8>),
    /// [`Peer::close`].
    Close,
}

/// One WebRTC peer connection. See the crate docs.
#[derive(Debug)]
pub struct Peer {
    config: Config,
    ice: Agent,
    security: Security,
    /// RTP mode's RTCP: streams, history, reports, feedback.
    media: Media,
    data: DataChannels,
    remote_fingerprints: Option<Vec<Fingerprint>>,
    /// Offer/answer state, once JSEP is used.
    negotiation: Option<wren_sdp::jsep::Negotiation>,
    /// Whether ICE gathering is over (our descriptions then say `a=end-of-candidates`).
    gathering_complete: bool,
    /// The RTP sections of the last completed exchange.
    negotiated: Vec<negotiated::NegotiatedMedia>,
    /// The extension ids that name a packet's section and layer.
    source_ids: negotiated::SourceIds,
    /// Tracks made for transceivers so far (their ids count up).
    negotiated_tracks: u32,
    /// SSRCs of the tracks made for transceivers.
    rng: Rng,
    /// Our answer to the offer taken last, until [`Peer::create_answer`] takes it.
    pending_answer: Option<String>,
    events: VecDeque<Event>,
    /// How many of `events` are media (bounded by `max_media_events`).
    media_events: usize,
    /// Protected packets of the `Machine` path waiting for `poll_transmit`.
    queued: VecDeque<(Transmit, Vec<u8>)>,
    stats: Stats,
    /// The send path's scratch: a packet is protected here, then framed by ICE into the
    /// caller's buffer.
    scratch: Vec<u8>,
    /// The `Machine` path's receive buffer.
    received: Vec<u8>,
    closed: bool,
}

/// Transmits of the `Machine` path held at most.
const MAX_QUEUED: usize = 256;

impl Peer {
    /// A peer: its ICE agent starts gathering at once (drain `poll_socket_request`).
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Peer {
        let mut ice_config = config.ice.clone();
        if ice_config.rng_seed.is_none() {
            ice_config.rng_seed = config.rng_seed;
        }
        let ice = Agent::new(now, ice_config);
        let security = Security::new(config.dtls_role);
        let media_rng = Rng::from_config(config.rng_seed.map(|mut s| {
            s[0] ^= 0xa5;
            s
        }));
        let media = Media::new(now, config.media.clone(), media_rng);
        let data = DataChannels::new(config.data.clone(), config.dtls_role);
        let rng = Rng::from_config(config.rng_seed.map(|mut s| {
            s[0] ^= 0x5a;
            s
        }));
        let mut peer = Peer {
            config,
            ice,
            security,
            media,
            data,
            remote_fingerprints: None,
            negotiation: None,
            gathering_complete: false,
            pending_answer: None,
            negotiated: Vec::new(),
            source_ids: negotiated::SourceIds::default(),
            negotiated_tracks: 0,
            rng,
            events: VecDeque::new(),
            media_events: 0,
            queued: VecDeque::new(),
            stats: Stats::default(),
            scratch: Vec::with_capacity(1500),
            received: Vec::with_capacity(1500),
            closed: false,
        };
        peer.after_input(now);
        peer
    }

    /// What the other side needs: our ICE credentials, certificate fingerprint and DTLS
    /// role.
    #[must_use]
    pub fn local_parameters(&self) -> LocalParameters {
        LocalParameters {
            credentials: self.ice.local_credentials().clone(),
            fingerprint: self.config.identity.fingerprint().clone(),
            dtls_role: self.security.role(),
        }
    }

    /// Takes what the other side sent: ICE checks start, and DTLS as soon as ICE has a
    /// path (a DTLS server waits for the ClientHello).
    ///
    /// # Errors
    ///
    /// [`Error::SameDtlsRole`], [`Error::NoFingerprint`], [`Error::RemoteAlreadySet`],
    /// [`Error::Closed`], or the ICE agent's refusal of the credentials.
    pub fn set_remote(&mut self, now: Instant, remote: RemoteParameters) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        if self.remote_fingerprints.is_some() {
            return Err(Error::RemoteAlreadySet);
        }
        if remote.dtls_role == self.security.role() {
            return Err(Error::SameDtlsRole(remote.dtls_role));
        }
        if remote.fingerprints.is_empty() {
            return Err(Error::NoFingerprint);
        }
        self.ice.set_remote_credentials(now, remote.credentials)?;
        self.remote_fingerprints = Some(remote.fingerprints);
        self.after_input(now);
        Ok(())
    }

    /// A candidate the other side trickled.
    ///
    /// # Errors
    ///
    /// The ICE agent's refusal (another generation's ufrag, too many, a component other
    /// than 1), or [`Error::Closed`].
    pub fn add_remote_candidate(
        &mut self,
        now: Instant,
        candidate: Candidate,
    ) -> Result<(), Error> {
        if self.closed {
            return Err(Error::Closed);
        }
        self.ice.add_remote_candidate(now, candidate)?;
        self.after_input(now);
        Ok(())
    }

    /// The other side has no more candidates.
    pub fn end_of_remote_candidates(&mut self, now: Instant) {
        self.ice.end_of_remote_candidates(now);
        self.after_input(now);
    }

    /// Closes: DTLS close_notify to the peer, then ICE (TURN allocations released).
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.closed = true;
        self.send_bye(now);
        self.data.shutdown();
        self.security.close(now);
        if self.ice.selected_pair().is_some() {
            while self.security.poll_transmit(now, &mut self.scratch) {
                let _ = self.ice.send(now, &self.scratch);
                self.scratch.clear();
            }
        }
        self.ice.close(now);
        self.after_input(now);
    }

    /// The ICE agent (its selected pair, pair reports, stats).
    #[must_use]
    pub fn ice(&self) -> &Agent {
        &self.ice
    }

    /// The DTLS state.
    #[must_use]
    pub fn dtls_state(&self) -> DtlsState {
        self.security.state()
    }

    /// Everything the peer counts in one getStats-shaped report: the transport, every
    /// candidate pair, the RTP streams and the data channels.
    #[must_use]
    pub fn get_stats(&self) -> crate::StatsReport {
        crate::StatsReport {
            transport: crate::TransportStats {
                ice_state: self.ice.connection_state(),
                dtls_state: self.security.state(),
                dtls_role: self.security.role(),
                selected_pair: self.ice.selected_pair(),
                ice: self.ice.stats(),
                packets: self.stats,
            },
            candidate_pairs: self.ice.pairs(),
            media: self.media.stats(),
            data_channels: self.data.channel_stats(),
            data: self.data.stats(),
        }
    }

    /// The counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// After any input: the parts' events become ours, and DTLS starts when it can.
    fn after_input(&mut self, now: Instant) {
        let mut out = Vec::new();
        while let Some(e) = self.ice.poll_event() {
            match e {
                wren_ice::Event::LocalCandidate(c) => out.push(Event::LocalCandidate(c)),
                wren_ice::Event::GatheringState(GatheringState::Complete) => {
                    self.gathering_complete = true;
                    out.push(Event::GatheringComplete);
                }
                wren_ice::Event::ConnectionState(s) => out.push(Event::IceState(s)),
                wren_ice::Event::SelectedPair(p) => out.push(Event::SelectedPair(p)),
                wren_ice::Event::Failed(report) => out.push(Event::IceFailed(report)),
                _ => {}
            }
        }
        self.maybe_start_dtls(now, &mut out);
        let mut records = Vec::new();
        self.security.drain_events(&mut out, &mut records);
        self.data
            .handle_transport(now, self.security.state(), &mut records);
        for e in out {
            self.events.push_back(e);
        }
    }

    /// A DTLS server starts once it knows the peer's fingerprints; a client once ICE has
    /// a pair to send its ClientHello on, too.
    fn maybe_start_dtls(&mut self, now: Instant, out: &mut Vec<Event>) {
        if self.closed || self.security.started() {
            return;
        }
        let Some(fingerprints) = &self.remote_fingerprints else {
            return;
        };
        let ready = match self.security.role() {
            DtlsRole::Server => true,
            DtlsRole::Client => self.ice.selected_pair().is_some(),
        };
        if ready {
            let fingerprints = fingerprints.clone();
            self.security.start(now, &self.config, fingerprints, out);
        }
    }

    /// Queues a media event on the `Machine` path, bounded.
    fn push_media_event(&mut self, event: Event) {
        if self.media_events >= self.config.max_media_events {
            self.stats.media_events_dropped += 1;
            return;
        }
        self.media_events += 1;
        self.events.push_back(event);
    }
}

impl Machine for Peer {
    type Event = Event;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) {
        let mut buf = std::mem::take(&mut self.received);
        match self.receive(now, d, &mut buf) {
            Received::Rtp => self.push_media_event(Event::Rtp(buf.clone())),
            Received::Rtcp => self.push_media_event(Event::Rtcp(buf.clone())),
            Received::Handled => {}
        }
        self.received = buf;
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        match cmd {
            Command::SetRemote(r) => self.set_remote(now, r),
            Command::AddRemoteCandidate(c) => self.add_remote_candidate(now, c),
            Command::EndOfRemoteCandidates => {
                self.end_of_remote_candidates(now);
                Ok(())
            }
            Command::SendRtp(p) | Command::SendRtcp(p) => {
                if self.queued.len() >= MAX_QUEUED {
                    return Ok(());
                }
                let mut buf = Vec::with_capacity(p.len() + 64);
                // A refusal (not keyed yet, not RTP) drops the packet, as a socket would.
                if let Ok(Some(t)) = self.send_media_into(now, &p, &mut buf) {
                    self.queued.push_back((t, buf));
                }
                Ok(())
            }
            Command::Close => {
                self.close(now);
                Ok(())
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.ice.poll_timeout().is_some_and(|t| t <= now) {
            self.ice.handle_timeout(now);
        }
        self.security.handle_timeout(now);
        self.media.handle_timeout(now);
        if !self.can_send_media() {
            self.media.skip_due(now);
        }
        self.data.handle_timeout(now);
        self.after_input(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some((t, bytes)) = self.queued.pop_front() {
            buf.extend_from_slice(&bytes);
            return Some(t);
        }
        if let Some(t) = self.ice.poll_transmit(now, buf) {
            return Some(t);
        }
        // DTLS flights leave on the selected pair; before ICE has one they wait in DTLS.
        self.ice.selected_pair()?;
        loop {
            self.scratch.clear();
            // DTLS's own flights first, then SCTP packets as application data records.
            if !self.security.poll_transmit(now, &mut self.scratch) && !self.seal_sctp(now) {
                break;
            }
            match self.ice.send_into(now, &self.scratch, buf) {
                Ok(Some(t)) => return Some(t),
                // Queued in the TURN client while it installs a permission: it leaves
                // through the agent's poll_transmit.
                Ok(None) => {
                    if let Some(t) = self.ice.poll_transmit(now, buf) {
                        return Some(t);
                    }
                }
                Err(_) => return None,
            }
        }
        // Then RTCP and retransmissions of RTP mode, protected.
        self.poll_media_transmit(now, buf)
    }

    fn poll_event(&mut self) -> Option<Event> {
        let Some(e) = self.events.pop_front() else {
            return self.media.poll_event().or_else(|| self.data.poll_event());
        };
        if matches!(e, Event::Rtp(_) | Event::Rtcp(_)) {
            self.media_events -= 1;
        }
        Some(e)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        [
            self.ice.poll_timeout(),
            self.security.poll_timeout(),
            self.media.poll_timeout(self.can_send_media()),
            self.data.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.ice.poll_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        self.ice.handle_socket_result(now, result);
        self.after_input(now);
    }
}
