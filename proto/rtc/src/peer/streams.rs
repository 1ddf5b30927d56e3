//! The direct API's media configuration: the streams a peer sends and receives in RTP
//! mode (JSEP fills the same from the negotiation), keyframe requests and statistics.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use wren_rtc::{Config, DtlsRole, ExtensionIds, MediaKind, Peer, ReceiveStream, Rtx, SendStream};
//!
//! let identity = Arc::new(wren_dtls::identity::Identity::generate()?);
//! let mut config = Config::new(
//!     wren_ice::Role::Controlling,
//!     DtlsRole::Client,
//!     vec!["127.0.0.1".parse()?],
//!     identity,
//! );
//! // a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
//! config.media.extensions = ExtensionIds::default().with_twcc(3);
//! let mut peer = Peer::new(Instant::now(), config);
//! // Our VP8 video (payload type 96) with RTX (97, apt=96) on its own SSRC.
//! peer.add_send_stream(SendStream {
//!     rtx: Some(Rtx { ssrc: 0x5678, payload_types: vec![(96, 97)] }),
//!     ..SendStream::new(0x1234, MediaKind::Video, 90_000)
//! })?;
//! // The other side's video, whose losses we NACK.
//! peer.add_receive_stream(ReceiveStream {
//!     rtx: Some(Rtx { ssrc: 0x9abc, payload_types: vec![(96, 97)] }),
//!     nack: true,
//!     ..ReceiveStream::new(0x4321, MediaKind::Video, 90_000)
//! })?;
//! assert_eq!(peer.media_stats().outbound[0].packets_sent, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

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
