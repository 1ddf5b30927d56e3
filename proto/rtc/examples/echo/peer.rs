//! [`EchoPeer`]: a [`wren_rtc::Peer`] that sends back what it gets, as one [`Machine`] any
//! driver runs (wren-tokio's `Driver` in `echo.rs`, a hand-written smol loop in
//! `echo_smol.rs`).
//!
//! It drains its peer's events itself and acts on them: every data channel message is sent
//! back on its channel, RTP is looped back on its own mid ([`super::media`]), and a keyframe
//! request for a looped stream is passed on to the browser's stream it comes from. What the
//! application sees are the [`EchoEvent`]s: the state changes, and [`EchoEvent::Ended`]
//! once the call is over.
//!
//! Echoed messages respect SCTP's send buffer: past [`HIGH_WATER`] bytes buffered on a
//! channel they wait here, and past [`MAX_PENDING`] bytes waiting the peer's events are no
//! longer read, so its data channel messages stay in SCTP and its receive window holds the
//! browser back. Nothing is dropped.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_dtls::identity::Identity;
use wren_rtc::{
    ChannelError, ChannelId, Command, DtlsState, Error, Event, JsepError, Peer, SdpType,
    SessionDescription,
};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use super::{config, media};

/// Bytes buffered in SCTP on one channel past which echoes wait here.
pub const HIGH_WATER: usize = 1 << 20;
/// Bytes of echoes waiting here past which the peer's events are not read.
pub const MAX_PENDING: usize = 4 << 20;

/// State events held for `poll_event` ([`EchoEvent::State`]); more are not kept (the
/// [`EchoEvent::Ended`] that ends a call always is).
pub const MAX_EVENTS: usize = 64;

/// What an [`EchoPeer`] tells its application.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EchoEvent {
    /// ICE, DTLS or a data channel changed state (the peer's own event, for the log).
    State(Box<Event>),
    /// The call is over: ICE failed or closed, or DTLS closed or failed. Stop driving it.
    Ended,
}

/// What an [`EchoPeer`] did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EchoStats {
    /// Data channel messages sent back.
    pub messages_echoed: u64,
    /// Their bytes.
    pub bytes_echoed: u64,
    /// Echoes SCTP refused (the channel closed under them).
    pub echoes_refused: u64,
    /// RTP packets received.
    pub rtp_received: u64,
    /// RTP packets sent back on their mid.
    pub rtp_looped: u64,
    /// RTP packets not looped back (no negotiated section sends on their mid, or an RTX
    /// stream of the browser's: the peer retransmits our own).
    pub rtp_not_looped: u64,
    /// Keyframe requests for a looped stream passed on to the browser.
    pub keyframe_requests: u64,
}

/// A peer that echoes. See the module docs.
#[derive(Debug)]
pub struct EchoPeer {
    peer: Peer,
    /// Echoes waiting for room in SCTP's send buffer, in order.
    pending: VecDeque<(ChannelId, bool, Vec<u8>)>,
    pending_bytes: usize,
    events: VecDeque<EchoEvent>,
    ended: bool,
    stats: EchoStats,
}

impl EchoPeer {
    /// A peer on one UDP socket the caller already bound at `local` (its one host
    /// candidate, gathered at once: no socket request).
    fn make(now: Instant, local: SocketAddr, identity: Arc<Identity>) -> Peer {
        Peer::new(now, config::on_socket(local, identity))
    }

    /// Answers `offer` (the browser offers): audio and video sections are answered
    /// sendrecv so that their media can come back, a data section is accepted. Returns
    /// the peer and our answer, whose candidate is `local`.
    ///
    /// # Errors
    ///
    /// The [`JsepError`] of an offer that does not parse or cannot be answered.
    pub fn answer(
        now: Instant,
        local: SocketAddr,
        identity: Arc<Identity>,
        offer: &str,
    ) -> Result<(EchoPeer, String), JsepError> {
        let mut peer = EchoPeer::make(now, local, identity);
        // One sendrecv transceiver for each audio and video section offered, in order, so
        // that the answer sends in each.
        let session = wren_sdp::Session::parse(offer)?;
        for m in session.media() {
            if let Some(kind @ (MediaKind::Audio | MediaKind::Video)) =
                MediaKind::from_name(m.kind())
            {
                peer.add_transceiver(Transceiver::new(kind, Direction::SendRecv));
            }
        }
        peer.set_remote_description(
            now,
            &SessionDescription {
                kind: SdpType::Offer,
                sdp: offer.to_owned(),
            },
        )?;
        let answer = peer.create_answer(now)?;
        Ok((EchoPeer::new(peer), answer))
    }

    /// Offers (the browser answers): audio and video sendrecv and a data section. Returns
    /// the peer and our offer; give it the answer with [`EchoPeer::accept_answer`].
    ///
    /// # Errors
    ///
    /// The [`JsepError`] of the model refusing to offer.
    pub fn offer(
        now: Instant,
        local: SocketAddr,
        identity: Arc<Identity>,
    ) -> Result<(EchoPeer, String), JsepError> {
        let mut peer = EchoPeer::make(now, local, identity);
        peer.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
        peer.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
        peer.add_data_section();
        let offer = peer.create_offer(now)?;
        Ok((EchoPeer::new(peer), offer))
    }

    /// Takes the browser's answer to our offer.
    ///
    /// # Errors
    ///
    /// The [`JsepError`] of an answer that does not parse or does not fit our offer.
    pub fn accept_answer(&mut self, now: Instant, answer: &str) -> Result<(), JsepError> {
        self.peer.set_remote_description(
            now,
            &SessionDescription {
                kind: SdpType::Answer,
                sdp: answer.to_owned(),
            },
        )?;
        self.pump(now);
        Ok(())
    }

    fn new(peer: Peer) -> EchoPeer {
        EchoPeer {
            peer,
            pending: VecDeque::new(),
            pending_bytes: 0,
            events: VecDeque::new(),
            ended: false,
            stats: EchoStats::default(),
        }
    }

    /// The peer (its stats, its ICE agent).
    #[must_use]
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// What it echoed so far.
    #[must_use]
    pub fn stats(&self) -> EchoStats {
        self.stats
    }

    /// After any input: echoes that now fit leave, then the peer's events are acted on
    /// while the echoes waiting stay under [`MAX_PENDING`].
    fn pump(&mut self, now: Instant) {
        self.flush(now);
        while self.pending_bytes < MAX_PENDING {
            let Some(event) = self.peer.poll_event() else {
                break;
            };
            self.act(now, event);
            self.flush(now);
        }
    }

    fn act(&mut self, now: Instant, event: Event) {
        match event {
            Event::ChannelMessage { id, binary, data } => {
                self.pending_bytes += data.len();
                self.pending.push_back((id, binary, data));
            }
            Event::Rtp(mut packet) => {
                self.stats.rtp_received += 1;
                if media::loop_back(&self.peer, &mut packet) {
                    // Refused only before SRTP is keyed or after the peer closed.
                    let _ = self.peer.handle_command(now, Command::SendRtp(packet));
                    self.stats.rtp_looped += 1;
                } else {
                    self.stats.rtp_not_looped += 1;
                }
            }
            Event::KeyframeRequest { ssrc, kind } => {
                if let Some(source) = media::source_of(&self.peer, ssrc) {
                    if self.peer.request_keyframe(source, kind).is_ok() {
                        self.stats.keyframe_requests += 1;
                    }
                }
            }
            Event::Rtcp(_)
            | Event::LocalCandidate(_)
            | Event::GatheringComplete
            | Event::Rtt { .. }
            | Event::Remb { .. }
            | Event::MediaFlow { .. }
            | Event::ChannelBufferedLow { .. } => {}
            e => {
                let over = matches!(
                    e,
                    Event::IceState(
                        wren_ice::ConnectionState::Failed | wren_ice::ConnectionState::Closed
                    ) | Event::IceFailed(_)
                        | Event::DtlsFailed(_)
                        | Event::DtlsState(DtlsState::Closed | DtlsState::Failed)
                );
                // The driver drains these every turn; a bound all the same.
                if self.events.len() < MAX_EVENTS {
                    self.events.push_back(EchoEvent::State(Box::new(e)));
                }
                if over && !self.ended {
                    self.ended = true;
                    self.events.push_back(EchoEvent::Ended);
                }
            }
        }
    }

    /// Sends the echoes waiting, in order, while their channel has room.
    fn flush(&mut self, now: Instant) {
        while let Some((id, binary, data)) = self.pending.pop_front() {
            if self.buffered(id) >= HIGH_WATER {
                self.pending.push_front((id, binary, data));
                return;
            }
            match self.peer.send_channel(now, id, &data, binary) {
                Ok(()) => {
                    self.stats.messages_echoed += 1;
                    self.stats.bytes_echoed += data.len() as u64;
                }
                // SCTP's buffer is full after all (something of the channel's is still in
                // it): again after the next input.
                Err(Error::Channel(ChannelError::Sctp(_))) if self.buffered(id) > 0 => {
                    self.pending.push_front((id, binary, data));
                    return;
                }
                // The channel is gone (or SCTP refuses it for good): so is the echo.
                Err(_) => self.stats.echoes_refused += 1,
            }
            self.pending_bytes -= data.len();
        }
    }

    /// The bytes SCTP holds of channel `id` (0 for a channel gone).
    fn buffered(&mut self, id: ChannelId) -> usize {
        self.peer.buffered_amount(id).unwrap_or(0)
    }
}

impl Machine for EchoPeer {
    type Event = EchoEvent;
    type Command = Command;
    type Error = Error;

    fn handle_datagram(&mut self, now: Instant, dgram: Datagram<'_>) {
        self.peer.handle_datagram(now, dgram);
        self.pump(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: Command) -> Result<(), Error> {
        let r = self.peer.handle_command(now, cmd);
        self.pump(now);
        r
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.peer.handle_timeout(now);
        self.pump(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.peer.poll_transmit(now, buf)
    }

    fn poll_event(&mut self) -> Option<EchoEvent> {
        self.events.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.peer.poll_timeout()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.peer.poll_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        self.peer.handle_socket_result(now, result);
        self.pump(now);
    }
}
