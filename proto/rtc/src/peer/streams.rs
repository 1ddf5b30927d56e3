//! The direct API's media configuration: the streams a peer sends and receives in RTP
//! mode (JSEP fills the same from the negotiation), keyframe requests and statistics.

use super::Peer;
use crate::{Error, KeyframeKind, MediaStats, ReceiveStream, SendStream};

impl Peer {
    /// Adds a stream we send: its packets (given to [`Peer::send_rtp_into`]) are kept
    /// for retransmission, counted in sender reports (RFC 3550 section 6.4.1) and
    /// stamped with transport-wide sequence numbers when that extension is configured.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`]: the SSRC (or the RTX SSRC) is taken, or the clock rate is 0.
    pub fn add_send_stream(&mut self, stream: SendStream) -> Result<(), Error> {
        Ok(self.media.add_send_stream(stream)?)
    }

    /// Adds a stream we receive: reception reports (RFC 3550 section 6.4), NACKs for its
    /// losses when `nack` is set, its RTX packets unwrapped into the originals before
    /// [`Peer::receive`] hands them out.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`]: the SSRC (or the RTX SSRC) is taken, or the clock rate is 0.
    pub fn add_receive_stream(&mut self, stream: ReceiveStream) -> Result<(), Error> {
        Ok(self.media.add_receive_stream(stream)?)
    }

    /// Asks the sender of received stream `ssrc` for a keyframe: a PLI (RFC 4585 section
    /// 6.3.1) or FIR (RFC 5104 section 4.3.1) leaves through `poll_transmit`.
    ///
    /// # Errors
    ///
    /// [`Error::Stream`] when no received stream has that SSRC.
    pub fn request_keyframe(&mut self, ssrc: u32, kind: KeyframeKind) -> Result<(), Error> {
        Ok(self.media.request_keyframe(ssrc, kind)?)
    }

    /// getStats-shaped statistics of the media streams.
    #[must_use]
    pub fn media_stats(&self) -> MediaStats {
        self.media.stats()
    }
}
