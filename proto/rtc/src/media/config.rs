//! What the application (or JSEP, from the negotiation) tells the media part: the streams
//! sent and received, their RTX pairing (RFC 4588 section 8: `a=rtpmap:... rtx` with
//! `apt`, `a=ssrc-group:FID`), the header extension ids (RFC 8285 `a=extmap`) and the
//! RTCP timing and limits.

use std::time::{Duration, SystemTime};

/// Audio or video: decides nothing on the wire here, but names the stream in stats and
/// events as getStats' `kind` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// Audio.
    Audio,
    /// Video.
    Video,
}

/// A stream's retransmission stream (RFC 4588 section 4, session multiplexing by SSRC):
/// its SSRC and, for each media payload type, the RTX payload type bound to it by `apt`
/// (RFC 4588 section 8.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtx {
    /// The RTX stream's SSRC.
    pub ssrc: u32,
    /// `(media payload type, RTX payload type)` pairs.
    pub payload_types: Vec<(u8, u8)>,
}

impl Rtx {
    /// The RTX payload type for media payload type `pt`.
    #[must_use]
    pub fn rtx_pt(&self, pt: u8) -> Option<u8> {
        self.payload_types
            .iter()
            .find(|(m, _)| *m == pt)
            .map(|&(_, r)| r)
    }

    /// The media payload type an RTX payload type `pt` stands for.
    #[must_use]
    pub fn media_pt(&self, pt: u8) -> Option<u8> {
        self.payload_types
            .iter()
            .find(|(_, r)| *r == pt)
            .map(|&(m, _)| m)
    }
}

/// A stream we send (an `RTCRtpSender`'s encoding): its packets are recorded for
/// retransmission, counted for sender reports and stamped with transport-wide sequence
/// numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendStream {
    /// The SSRC its packets carry.
    pub ssrc: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// The RTP clock rate (RFC 3550 section 5.1: 90,000 for video, 48,000 for Opus).
    pub clock_rate: u32,
    /// Where NACKed packets are retransmitted (RFC 4588); `None` retransmits them as they
    /// were sent, on the media SSRC.
    pub rtx: Option<Rtx>,
}

impl SendStream {
    /// A stream without RTX.
    #[must_use]
    pub fn new(ssrc: u32, kind: MediaKind, clock_rate: u32) -> SendStream {
        SendStream {
            ssrc,
            kind,
            clock_rate,
            rtx: None,
        }
    }
}

/// A stream we receive: reception statistics for receiver reports (RFC 3550 appendix A.3,
/// A.8), NACKs for its losses when asked, and its RTX stream unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiveStream {
    /// The SSRC its packets carry.
    pub ssrc: u32,
    /// Audio or video.
    pub kind: MediaKind,
    /// The RTP clock rate (for jitter, RFC 3550 appendix A.8).
    pub clock_rate: u32,
    /// Its RTX stream: those packets are unwrapped into the original before the
    /// application sees them.
    pub rtx: Option<Rtx>,
    /// Whether losses are asked for again with generic NACKs (RFC 4585 section 6.2.1,
    /// `a=rtcp-fb:* nack`).
    pub nack: bool,
}

impl ReceiveStream {
    /// A stream without RTX or NACK.
    #[must_use]
    pub fn new(ssrc: u32, kind: MediaKind, clock_rate: u32) -> ReceiveStream {
        ReceiveStream {
            ssrc,
            kind,
            clock_rate,
            rtx: None,
            nack: false,
        }
    }
}

/// Header extension ids (RFC 8285) negotiated with `a=extmap`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionIds {
    /// Transport-wide sequence number
    /// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 2): written into
    /// outgoing packets that carry the element, read from incoming ones to send feedback.
    pub twcc: Option<u8>,
}

impl ExtensionIds {
    /// With the transport-wide sequence number at `id`.
    #[must_use]
    pub fn with_twcc(mut self, id: u8) -> ExtensionIds {
        self.twcc = Some(id);
        self
    }
}

/// How the media part runs: RTCP timing, history sizes, limits. Every queue here is
/// bounded; what does not fit is dropped and counted in [`crate::MediaStats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Header extension ids.
    pub extensions: ExtensionIds,
    /// The CNAME in our SDES (RFC 3550 section 6.5.1; RFC 7022 says: random per call).
    pub cname: String,
    /// The deterministic RTCP interval before randomisation while any stream is video
    /// (RFC 3550 section 6.2 with a reduced minimum: browsers send about once a second).
    /// Each interval is drawn from 0.5 to 1.5 times it and divided by e - 3/2 (section
    /// 6.3.1).
    pub rtcp_interval: Duration,
    /// The same with audio streams only (RFC 3550 section 6.2's 5 s minimum, as browsers
    /// keep for audio).
    pub rtcp_interval_audio: Duration,
    /// Packets kept per send stream for retransmission.
    pub history_packets: usize,
    /// The largest packet the history keeps (larger ones are not kept, and counted).
    pub history_packet_size: usize,
    /// How old a packet may be and still be retransmitted.
    pub history_age: Duration,
    /// How often transport-wide CC feedback is sent while packets arrive.
    pub twcc_interval: Duration,
    /// A direction stops flowing after this long without packets.
    pub flow_timeout: Duration,
    /// How many times one loss is asked for at most (once per RTT, or per 100 ms while
    /// the RTT is unknown).
    pub nack_retries: u8,
    /// Missing packets tracked per received stream for NACK.
    pub nack_missing: usize,
    /// Media events (keyframe requests, flow, RTT, BYE, REMB) held until polled.
    pub max_events: usize,
    /// Retransmissions and feedback packets waiting for `poll_transmit`.
    pub max_pending: usize,
    /// The wall-clock time at the peer's construction instant: NTP timestamps of sender
    /// reports count from it (RFC 3550 section 4). Proto crates read no clock: the
    /// application gives it; the default, the Unix epoch, keeps RTT exact and only makes
    /// the absolute NTP time meaningless.
    pub wall_clock: SystemTime,
}

impl Default for MediaConfig {
    fn default() -> MediaConfig {
        MediaConfig {
            extensions: ExtensionIds::default(),
            cname: "wren".into(),
            rtcp_interval: Duration::from_secs(1),
            rtcp_interval_audio: Duration::from_secs(5),
            history_packets: 1000,
            history_packet_size: 1500,
            history_age: Duration::from_secs(1),
            twcc_interval: Duration::from_millis(100),
            flow_timeout: Duration::from_secs(2),
            nack_retries: 10,
            nack_missing: 512,
            max_events: 256,
            max_pending: 512,
            wall_clock: SystemTime::UNIX_EPOCH,
        }
    }
}

/// Why a stream was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// Another stream in the same direction (or its RTX stream) has this SSRC.
    #[error("SSRC {0:#010x} is already used by a stream in this direction")]
    SsrcInUse(u32),
    /// A clock rate of 0.
    #[error("a stream's clock rate must not be 0")]
    ZeroClockRate,
    /// No received stream has this SSRC (a keyframe request names one).
    #[error("no received stream has SSRC {0:#010x}")]
    UnknownSsrc(u32),
}
