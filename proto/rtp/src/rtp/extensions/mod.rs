//! Typed header extensions that browsers send, each with its URI (the name the SDP's
//! `a=extmap` maps a local id to, RFC 8285 s5), a parser and a writer.
//!
//! | type | URI constant | spec |
//! | --- | --- | --- |
//! | [`Mid`] | [`uri::MID`] | RFC 9143 s15 (BUNDLE) |
//! | [`RtpStreamId`] | [`uri::RTP_STREAM_ID`] | RFC 8852 s3.1 |
//! | [`RepairedRtpStreamId`] | [`uri::REPAIRED_RTP_STREAM_ID`] | RFC 8852 s3.2 |
//! | [`AbsSendTime`] | [`uri::ABS_SEND_TIME`] | webrtc.org abs-send-time |
//! | [`TransportCc`] | [`uri::TRANSPORT_CC`] | draft-holmer-rmcat-transport-wide-cc-extensions-01 s2 |
//! | [`AudioLevel`] | [`uri::AUDIO_LEVEL`] | RFC 6464 s3 |
//! | [`VideoOrientation`] | [`uri::VIDEO_ORIENTATION`] | 3GPP TS 26.114 s7.4.5 (CVO) |
//! | [`PlayoutDelay`] | [`uri::PLAYOUT_DELAY`] | webrtc.org playout-delay |
//! | [`AbsCaptureTime`] | [`uri::ABS_CAPTURE_TIME`] | webrtc.org abs-capture-time |

mod abs_capture_time;
mod abs_send_time;
mod audio_level;
mod playout_delay;
mod sdes;
mod transport_cc;
mod video_orientation;

pub use abs_capture_time::AbsCaptureTime;
pub use abs_send_time::AbsSendTime;
pub use audio_level::AudioLevel;
pub use playout_delay::PlayoutDelay;
pub use sdes::{Mid, RepairedRtpStreamId, RtpStreamId};
pub use transport_cc::TransportCc;
pub use video_orientation::VideoOrientation;

use crate::error::Error;

/// The URIs of the known extensions, as they appear in `a=extmap` lines.
pub mod uri {
    /// sdes:mid (RFC 9143 s15).
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// sdes:rtp-stream-id, the "rid" (RFC 8852 s3.1).
    pub const RTP_STREAM_ID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// sdes:repaired-rtp-stream-id (RFC 8852 s3.2).
    pub const REPAIRED_RTP_STREAM_ID: &str =
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// abs-send-time (webrtc.org).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01).
    pub const TRANSPORT_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// client-to-mixer audio level (RFC 6464).
    pub const AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// coordination of video orientation (3GPP TS 26.114).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// playout-delay (webrtc.org).
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
    /// abs-capture-time (webrtc.org).
    pub const ABS_CAPTURE_TIME: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
}

/// The known extensions, by kind: what an [`ExtensionMap`](crate::rtp::ExtensionMap) maps
/// local ids to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// [`Mid`].
    Mid,
    /// [`RtpStreamId`].
    RtpStreamId,
    /// [`RepairedRtpStreamId`].
    RepairedRtpStreamId,
    /// [`AbsSendTime`].
    AbsSendTime,
    /// [`TransportCc`].
    TransportCc,
    /// [`AudioLevel`].
    AudioLevel,
    /// [`VideoOrientation`].
    VideoOrientation,
    /// [`PlayoutDelay`].
    PlayoutDelay,
    /// [`AbsCaptureTime`].
    AbsCaptureTime,
}

impl ExtensionKind {
    /// Every known kind.
    pub const ALL: [ExtensionKind; 9] = [
        ExtensionKind::Mid,
        ExtensionKind::RtpStreamId,
        ExtensionKind::RepairedRtpStreamId,
        ExtensionKind::AbsSendTime,
        ExtensionKind::TransportCc,
        ExtensionKind::AudioLevel,
        ExtensionKind::VideoOrientation,
        ExtensionKind::PlayoutDelay,
        ExtensionKind::AbsCaptureTime,
    ];

    /// The kind's URI.
    #[must_use]
    pub fn uri(self) -> &'static str {
        match self {
            ExtensionKind::Mid => uri::MID,
            ExtensionKind::RtpStreamId => uri::RTP_STREAM_ID,
            ExtensionKind::RepairedRtpStreamId => uri::REPAIRED_RTP_STREAM_ID,
            ExtensionKind::AbsSendTime => uri::ABS_SEND_TIME,
            ExtensionKind::TransportCc => uri::TRANSPORT_CC,
            ExtensionKind::AudioLevel => uri::AUDIO_LEVEL,
            ExtensionKind::VideoOrientation => uri::VIDEO_ORIENTATION,
            ExtensionKind::PlayoutDelay => uri::PLAYOUT_DELAY,
            ExtensionKind::AbsCaptureTime => uri::ABS_CAPTURE_TIME,
        }
    }

    /// The kind an `a=extmap` URI names, `None` for one this crate does not type.
    #[must_use]
    pub fn from_uri(uri: &str) -> Option<ExtensionKind> {
        ExtensionKind::ALL.into_iter().find(|k| k.uri() == uri)
    }
}

/// A typed header extension value: parsed from an element's data, written into one.
pub trait Extension<'a>: Sized {
    /// Which extension this is.
    const KIND: ExtensionKind;

    /// Reads the value from an element's data.
    ///
    /// # Errors
    ///
    /// [`Error::BadLength`] or [`Error::InvalidValue`] when the data is not this
    /// extension's encoding.
    fn parse(data: &'a [u8]) -> Result<Self, Error>;

    /// How many bytes [`Extension::write`] writes.
    fn encoded_len(&self) -> usize;

    /// Writes the value into `out[..self.encoded_len()]`.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when `out` is shorter than
    /// [`Extension::encoded_len`], [`Error::InvalidValue`] for a value the encoding
    /// cannot carry.
    fn write(&self, out: &mut [u8]) -> Result<usize, Error>;
}

/// `Err(BadLength)` unless `data` has one of the lengths in `allowed`.
pub(crate) fn length(what: &'static str, data: &[u8], allowed: &[usize]) -> Result<(), Error> {
    if allowed.contains(&data.len()) {
        Ok(())
    } else {
        Err(Error::BadLength {
            what,
            claimed: allowed[0],
            available: data.len(),
        })
    }
}
