//! The echo server: a WebRTC peer for each caller that sends back what the caller sends.
//! The `echo` example runs it on wren-tokio; `tests/echo_server.rs` (its API, its calls'
//! lifetimes) and `tests/echo_browsers.rs` (Chromium and Firefox calling it) run it
//! in-process. Its runtime-free parts, [`peer`] and [`media`], are also the `echo_smol`
//! example's (one peer on smol, with its own run loop).
//!
//! # HTTP API
//!
//! | request | body | answer |
//! |---|---|---|
//! | `POST /` | the browser's SDP offer (`Content-Type: application/sdp`) | `201 Created`, our SDP answer, `Location: /calls/<id>` (WHIP, RFC 9725 section 4.2) |
//! | `POST /offer` | none | `201 Created`, our SDP offer (audio and video sendrecv, a data channel section), `Location: /calls/<id>` |
//! | `PATCH /calls/<id>` (or `POST`) | the browser's SDP answer to that offer | `204 No Content` |
//! | `DELETE /calls/<id>` | none | `200 OK`; the call closes (RFC 9725 section 4.3) |
//!
//! A body that is not `application/sdp` gets `415 Unsupported Media Type`; a description
//! that wren-rtc refuses gets `400 Bad Request` with the reason ([`wren_rtc::JsepError`]'s
//! text); an unknown call `404 Not Found`. Every answer allows any origin (CORS), so a
//! page served from anywhere can call. Candidates are not trickled: each side's description
//! carries all of them (the server's is one host candidate; a browser should wait for ICE
//! gathering to complete before it sends its description).
//!
//! # What each call does
//!
//! Each call is one [`peer::EchoPeer`] on a UDP socket of its own ([`calls::Calls`] of the
//! [`Echo`] service): every
//! data channel message comes back on its channel, in order, and the browser's audio and
//! video come back on the section they came on ([`media`]), with keyframe requests for
//! them passed on to the browser. A call's peer goes away when ICE or DTLS ends (the page
//! closed or the browser went away), or on DELETE.

#![allow(dead_code, unreachable_pub)] // included by examples and tests, each using a part; `pub` reads best

pub mod calls;
pub mod config;
pub mod http;
pub mod media;
pub mod peer;
pub mod server;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use wren_dtls::identity::Identity;
use wren_rtc::JsepError;

use calls::{CallError, Calls, Service};
use peer::{EchoEvent, EchoPeer, EchoStats};

/// The echo server's calls: each an [`EchoPeer`] with the server's certificate.
#[derive(Debug)]
pub struct Echo {
    identity: Arc<Identity>,
}

impl Echo {
    /// Echo calls whose peers all use `identity` as their DTLS certificate.
    #[must_use]
    pub fn new(identity: Arc<Identity>) -> Echo {
        Echo { identity }
    }
}

impl Service for Echo {
    type Peer = EchoPeer;
    type Summary = EchoStats;

    fn answer(
        &self,
        now: Instant,
        local: SocketAddr,
        offer: &str,
    ) -> Result<(EchoPeer, String), CallError> {
        Ok(EchoPeer::answer(
            now,
            local,
            Arc::clone(&self.identity),
            offer,
        )?)
    }

    fn offer(&self, now: Instant, local: SocketAddr) -> Result<(EchoPeer, String), CallError> {
        Ok(EchoPeer::offer(now, local, Arc::clone(&self.identity))?)
    }

    fn accept_answer(
        &self,
        peer: &mut EchoPeer,
        now: Instant,
        answer: &str,
    ) -> Result<(), JsepError> {
        peer.accept_answer(now, answer)
    }

    fn ends_call(&self, event: &EchoEvent) -> bool {
        *event == EchoEvent::Ended
    }

    fn finish(&self, peer: EchoPeer) -> EchoStats {
        peer.stats()
    }
}

/// Serves the HTTP API on `listener` for `calls` ([`calls::Calls::new`] of [`Echo`]) until
/// `shutdown` completes.
///
/// # Errors
///
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    calls: Arc<Calls<Echo>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    http::serve(listener, calls, shutdown).await
}
