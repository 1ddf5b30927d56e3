//! The `play` server: every browser that calls gets the IVF file's video and the Ogg Opus
//! file's audio, from their start, in frame mode ([`wren_media::peer::MediaPeer`]).
//!
//! The HTTP API is the `echo` example's (wren-rtc's `examples/echo/mod.rs` has the table):
//! `POST /` with the browser's offer gets our answer (WHIP, RFC 9725 section 4.2), `POST
//! /offer` gets our offer for the browser to answer with `PATCH`, `DELETE` hangs up. We
//! send in one video section (the IVF's codec: VP8, VP9 or AV1, and only that codec is
//! offered or accepted) and one audio section (Opus); an offer's other sections are not
//! sent in, and what the browser sends is not used. Each call is a [`PlayPeer`]: a
//! [`Player`] schedule on a media peer ([`crate::common::call::CallPeer`]).

#![allow(dead_code, unreachable_pub)] // included by the example and the tests, each using a part

pub mod clip;
pub mod player;

use std::sync::Arc;

use wren_dtls::identity::Identity;
use wren_media::file::ivf::IvfCodec;
use wren_sdp::Direction;
use wren_sdp::jsep::CodecKind;

use crate::common::call::CallPeer;
use crate::common::calls::CallError;
use crate::common::service::MediaService;
use clip::Clip;
use player::{PlayStats, Player};

/// One call of `play`.
pub type PlayPeer = CallPeer<Player>;

/// The `play` server's calls: each plays `clip` with the server's certificate.
#[derive(Debug)]
pub struct Play {
    identity: Arc<Identity>,
    clip: Arc<Clip>,
    /// The IVF's codec and Opus.
    codecs: [CodecKind; 2],
}

impl Play {
    /// Calls that play `clip`, with `identity` as every peer's DTLS certificate.
    #[must_use]
    pub fn new(identity: Arc<Identity>, clip: Arc<Clip>) -> Play {
        let video = match clip.video_codec {
            IvfCodec::Vp8 => CodecKind::Vp8,
            IvfCodec::Vp9 => CodecKind::Vp9,
            IvfCodec::Av1 => CodecKind::Av1,
        };
        Play {
            identity,
            clip,
            codecs: [video, CodecKind::Opus],
        }
    }
}

impl MediaService for Play {
    type App = Player;
    type Summary = PlayStats;

    fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    fn codecs(&self) -> &[CodecKind] {
        &self.codecs
    }

    fn direction(&self) -> Direction {
        Direction::SendOnly
    }

    fn app(&self) -> Result<Player, CallError> {
        Ok(Player::new(Arc::clone(&self.clip)))
    }

    fn summary(&self, player: Player) -> PlayStats {
        player.stats()
    }
}
