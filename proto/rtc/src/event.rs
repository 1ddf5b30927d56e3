//! What a [`crate::Peer`] reports.

use wren_dtls::codes::{CipherSuite, SrtpProfileId};
use wren_dtls::endpoint::Failure;
use wren_ice::{Candidate, ConnectionState, SelectedPair};

/// The DTLS transport's state (as `RTCDtlsTransport.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsState {
    /// Waiting for ICE.
    New,
    /// The handshake is running.
    Connecting,
    /// Done: SRTP is keyed.
    Connected,
    /// Closed by either side.
    Closed,
    /// Failed ([`Event::DtlsFailed`] says why).
    Failed,
}

/// Why DTLS failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DtlsFailure {
    /// The handshake failed (a certificate that is not the announced one, a timeout, an
    /// alert, nothing in common).
    #[error(transparent)]
    Handshake(#[from] Failure),
    /// The handshake ended without use_srtp: no media could be protected (RFC 5764).
    #[error("DTLS connected without use_srtp: no SRTP profile was negotiated")]
    NoSrtp,
    /// A profile was negotiated that SRTP here cannot key.
    #[error("SRTP profile {0} cannot be keyed")]
    UnsupportedProfile(SrtpProfileId),
}

/// What happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A local candidate to signal to the other side (trickle ICE).
    LocalCandidate(Candidate),
    /// Every local candidate was gathered.
    GatheringComplete,
    /// The ICE connection state changed.
    IceState(ConnectionState),
    /// ICE selected (or changed) the pair media flows on.
    SelectedPair(SelectedPair),
    /// ICE failed; the report says why each pair failed.
    IceFailed(Box<wren_ice::FailureReport>),
    /// The DTLS state changed.
    DtlsState(DtlsState),
    /// DTLS is up and SRTP keyed: media may flow.
    Connected {
        /// The DTLS suite.
        suite: CipherSuite,
        /// The SRTP profile.
        profile: SrtpProfileId,
    },
    /// DTLS failed: why (a fingerprint that does not match, a timeout, an alert).
    DtlsFailed(DtlsFailure),
    /// An RTP packet, unprotected (the [`wren_core::Machine`] path: a copy; the data path
    /// is [`crate::Peer::receive`]).
    Rtp(Vec<u8>),
    /// An RTCP compound packet, unprotected (as [`Event::Rtp`]).
    Rtcp(Vec<u8>),
    /// A data channel opened: one of ours was acknowledged (RFC 8832 section 6), the peer
    /// opened one in band, or a negotiated one is up with SCTP.
    ChannelOpen {
        /// Its id (SCTP stream).
        id: crate::ChannelId,
        /// Its label.
        label: String,
        /// Its subprotocol.
        protocol: String,
        /// How it delivers.
        options: crate::ChannelOptions,
    },
    /// A message on a data channel (RFC 8831 section 6.6).
    ChannelMessage {
        /// The channel.
        id: crate::ChannelId,
        /// Binary (PPID 53/57) or a UTF-8 string (51/56).
        binary: bool,
        /// The message.
        data: Vec<u8>,
    },
    /// A channel's buffered amount fell to its low-water mark
    /// ([`crate::Peer::set_buffered_low_threshold`]).
    ChannelBufferedLow {
        /// The channel.
        id: crate::ChannelId,
    },
    /// A data channel closed (its stream reset by either side, RFC 8831 section 6.7, or
    /// the association gone).
    ChannelClosed {
        /// The channel.
        id: crate::ChannelId,
    },
}

/// Counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// RTP packets protected and sent.
    pub rtp_sent: u64,
    /// RTP packets received and unprotected.
    pub rtp_received: u64,
    /// RTCP packets protected and sent.
    pub rtcp_sent: u64,
    /// RTCP packets received and unprotected.
    pub rtcp_received: u64,
    /// SRTP or SRTCP packets that did not unprotect (forged, replayed, unknown keys).
    pub srtp_dropped: u64,
    /// Media that arrived before SRTP was keyed.
    pub early_media_dropped: u64,
    /// Datagrams of no protocol here (RFC 7983: ZRTP, QUIC, unknown first bytes).
    pub unknown_dropped: u64,
    /// Media events dropped on the `Machine` path because the queue was full.
    pub media_events_dropped: u64,
}
