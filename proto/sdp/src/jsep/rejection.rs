//! Why a section of an offer is answered with port 0 (RFC 3264 s6, RFC 9429 s5.3.1): one
//! typed reason per section, naming the section by its index and mid.

use std::fmt;

use super::negotiate::NoCommonCodec;
use super::setup::HoldConn;

/// Why we did not accept an offered section.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// The offerer stopped or rejected it itself (port 0 without `a=bundle-only`,
    /// RFC 9429 s5.2.2).
    #[error("stopped by the offerer (port 0)")]
    Stopped,
    /// A kind of media we do not negotiate (`text`, `message`, ...).
    #[error("media kind {kind:?} is not supported")]
    UnknownMedia {
        /// The `m=` line's media.
        kind: String,
    },
    /// A transport protocol other than `UDP/TLS/RTP/SAVPF` (RTP) or `UDP/DTLS/SCTP`
    /// (data), or their TCP forms (RFC 9429 s5.1.2, s5.1.3).
    #[error("protocol {proto:?} is not supported for {kind}")]
    WrongProtocol {
        /// The `m=` line's media.
        kind: String,
        /// The `m=` line's protocol.
        proto: String,
    },
    /// No offered codec matches ours.
    #[error(transparent)]
    NoCommonCodec(#[from] NoCommonCodec),
    /// An RTP section without `a=rtcp-mux`, which WebRTC requires (RFC 8834 s5.1.1,
    /// RFC 9429 s5.1.3).
    #[error("no a=rtcp-mux: WebRTC multiplexes RTP and RTCP")]
    NoRtcpMux,
    /// A data channel section while data channels are disabled.
    #[error("data channels are disabled")]
    DataChannelsDisabled,
    /// A second data channel section (RFC 8841 s5: one SCTP association per transport).
    #[error("a second data channel section")]
    SecondDataChannel,
    /// No `a=mid`, which JSEP requires in every section (RFC 9429 s5.2.1).
    #[error("no a=mid")]
    NoMid,
    /// An `a=mid` an earlier section already has (RFC 5888 s4).
    #[error("a=mid used by an earlier section")]
    DuplicateMid,
    /// `a=setup:holdconn`.
    #[error(transparent)]
    HoldConn(#[from] HoldConn),
    /// No `a=ice-ufrag` and `a=ice-pwd` for the section, its session or its bundle.
    #[error("no ICE credentials (a=ice-ufrag and a=ice-pwd)")]
    NoIceCredentials,
    /// No `a=fingerprint` for the section, its session or its bundle (RFC 8122 s5).
    #[error("no a=fingerprint")]
    NoFingerprint,
    /// `a=bundle-only` with port 0 in a section that is not in the BUNDLE group
    /// (RFC 9143 s7.2.1): it has no transport.
    #[error("a=bundle-only outside the BUNDLE group")]
    BundleOnlyOutsideBundle,
}

/// One offered section we answered with port 0, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The section's index in the offer, from 0.
    pub index: usize,
    /// Its `a=mid`, if it has one.
    pub mid: Option<String>,
    /// Why.
    pub reason: Reason,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "section {}", self.index)?;
        if let Some(mid) = &self.mid {
            write!(f, " (mid {mid})")?;
        }
        write!(f, " rejected: {}", self.reason)
    }
}

impl std::error::Error for Rejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.reason)
    }
}
