//! The media loop of an [`super::peer::EchoPeer`]: a received RTP packet goes back on the
//! mid it came on, as our stream of that section.
//!
//! This needs the negotiated sections bound to RTP streams (which mid a received SSRC
//! belongs to, and our send SSRC in that mid). Until wren-rtc's JSEP binds them, nothing
//! is looped back and every packet is counted as not looped.

use wren_rtc::Peer;

/// Which received stream feeds which of ours (none yet: see the module docs).
#[derive(Debug, Default)]
pub struct Loop;

impl Loop {
    /// Rewrites `packet` (plain RTP, as received) into ours on the same mid; `false` when
    /// it does not go back.
    pub fn loop_back(&mut self, peer: &Peer, packet: &mut [u8]) -> bool {
        let _ = (peer, packet);
        false
    }

    /// The browser's stream looped back as our stream `ssrc`, whose keyframe was asked for.
    pub fn source_of(&self, peer: &Peer, ssrc: u32) -> Option<u32> {
        let _ = (peer, ssrc);
        None
    }
}
