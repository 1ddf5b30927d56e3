//! [`MediaService`]: what `play` and `record` differ in (the codecs they take, which way
//! their sections go, each call's [`App`]); every such service is a [`Service`] of the
//! calls: a call's peer is a [`CallPeer`] of a media peer around a wren-rtc peer whose
//! JSEP exchange this module does.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wren_dtls::identity::Identity;
use wren_rtc::{JsepError, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{CodecKind, MediaKind, Transceiver};

use super::call::{App, CallEvent, CallPeer};
use super::calls::{CallError, Service};

/// A server of calls in frame mode, one audio and one video section each.
pub trait MediaService: Send + Sync + 'static {
    /// A call's part ([`CallPeer`]'s app).
    type App: App + fmt::Debug + Send + 'static;
    /// What is kept of a call that ended.
    type Summary: Clone + fmt::Debug + Default + Send + 'static;

    /// Every peer's DTLS certificate.
    fn identity(&self) -> &Arc<Identity>;
    /// The only codecs offered or accepted (the RTX of each video codec comes with it).
    fn codecs(&self) -> &[CodecKind];
    /// Our sections' direction (`SendOnly` to play, `RecvOnly` to record).
    fn direction(&self) -> Direction;
    /// The app of a new call.
    ///
    /// # Errors
    ///
    /// [`CallError::Refused`] when the service cannot take a call now.
    fn app(&self) -> Result<Self::App, CallError>;
    /// What is kept of a call's app once the call is over.
    fn summary(&self, app: Self::App) -> Self::Summary;
}

/// A wren-rtc peer for a call of `service` on `local`, with our transceivers of `kinds`.
fn rtc<M: MediaService>(service: &M, now: Instant, local: SocketAddr, kinds: &[MediaKind]) -> Peer {
    let mut rtc = super::rtc_peer(now, local, Arc::clone(service.identity()), service.codecs());
    for &kind in kinds {
        rtc.add_transceiver(Transceiver::new(kind, service.direction()));
    }
    rtc
}

/// A call's peer: a media peer around `rtc`, and a new app of `service`.
fn call<M: MediaService>(
    service: &M,
    now: Instant,
    rtc: Peer,
) -> Result<CallPeer<M::App>, CallError> {
    Ok(CallPeer::new(super::media_peer(now, rtc), service.app()?))
}

impl<M: MediaService> Service for M {
    type Peer = CallPeer<M::App>;
    type Summary = M::Summary;

    fn answer(
        &self,
        now: Instant,
        local: SocketAddr,
        offer: &str,
    ) -> Result<(Self::Peer, String), CallError> {
        // One transceiver of ours for the first audio and the first video section
        // offered: JSEP matches them to those sections in order (others are answered
        // without one: inactive, or recvonly where the browser sends).
        let session = wren_sdp::Session::parse(offer).map_err(JsepError::from)?;
        let kinds: Vec<MediaKind> = [MediaKind::Audio, MediaKind::Video]
            .into_iter()
            .filter(|&kind| {
                session
                    .media()
                    .iter()
                    .any(|m| MediaKind::from_name(m.kind()) == Some(kind))
            })
            .collect();
        let mut rtc = rtc(self, now, local, &kinds);
        rtc.set_remote_description(
            now,
            &SessionDescription {
                kind: SdpType::Offer,
                sdp: offer.to_owned(),
            },
        )?;
        let answer = rtc.create_answer(now)?;
        Ok((call(self, now, rtc)?, answer))
    }

    fn offer(&self, now: Instant, local: SocketAddr) -> Result<(Self::Peer, String), CallError> {
        let mut rtc = rtc(self, now, local, &[MediaKind::Audio, MediaKind::Video]);
        let offer = rtc.create_offer(now)?;
        Ok((call(self, now, rtc)?, offer))
    }

    fn accept_answer(
        &self,
        peer: &mut Self::Peer,
        now: Instant,
        answer: &str,
    ) -> Result<(), JsepError> {
        peer.media_mut().rtc_mut().set_remote_description(
            now,
            &SessionDescription {
                kind: SdpType::Answer,
                sdp: answer.to_owned(),
            },
        )?;
        peer.pump(now);
        Ok(())
    }

    fn ends_call(&self, event: &CallEvent<<M::App as App>::Event>) -> bool {
        matches!(event, CallEvent::Ended)
    }

    fn finish(&self, peer: Self::Peer) -> M::Summary {
        self.summary(peer.into_app())
    }
}
