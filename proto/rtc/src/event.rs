//! What a [`crate::Peer`] reports.

use std::time::Duration;

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

/// How the peer asked for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyframeKind {
    /// Picture loss indication (RFC 4585 section 6.3.1).
    Pli,
    /// Full intra request (RFC 5104 section 4.3.1).
    Fir,
}

/// The direction of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowDirection {
    /// Packets we receive (Kurento's MediaFlowIn).
    Incoming,
    /// Packets we send (Kurento's MediaFlowOut).
    Outgoing,
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
    /// A section of the peer's offer we answered with port 0, and why (the codecs on each
    /// side when none is in common).
    SectionRejected(wren_sdp::jsep::Rejection),
    /// A source the SDP did not announce was learned from its first packet (its `mid`
    /// header extension): a simulcast layer, usually, named by its rid.
    RemoteSource {
        /// The section.
        mid: String,
        /// The source.
        ssrc: u32,
        /// Its `rtp-stream-id`, when the packet had one.
        rid: Option<String>,
    },
    /// An offer/answer exchange completed: [`crate::Peer::negotiated_media`] is current
    /// and the media part has the negotiated streams.
    Negotiated,
    /// An RTP packet, unprotected (the [`wren_core::Machine`] path: a copy; the data path
    /// is [`crate::Peer::receive`]).
    Rtp(Vec<u8>),
    /// An RTCP compound packet, unprotected (as [`Event::Rtp`]).
    Rtcp(Vec<u8>),
    /// The peer asked for a keyframe of our stream `ssrc` (PLI or FIR; a FIR repeated
    /// with the same command sequence number is reported once).
    KeyframeRequest {
        /// Our stream's SSRC.
        ssrc: u32,
        /// PLI or FIR.
        kind: KeyframeKind,
    },
    /// Packets of a configured stream started (`flowing`) or stopped (none for
    /// [`crate::MediaConfig::flow_timeout`]) in one direction.
    MediaFlow {
        /// The stream's SSRC.
        ssrc: u32,
        /// Which way.
        direction: FlowDirection,
        /// Whether packets flow now.
        flowing: bool,
    },
    /// A round-trip time was measured: from a reception report on our stream `ssrc`
    /// (RFC 3550 section 6.4.1: LSR and DLSR), or, when we only receive, from the DLRR
    /// (RFC 3611 section 4.5) that the sender `ssrc` sent in answer to our RRTR.
    Rtt {
        /// Our stream's SSRC, or the answering sender's.
        ssrc: u32,
        /// The round-trip time.
        rtt: Duration,
    },
    /// The peer's receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03).
    Remb {
        /// Bits per second.
        bitrate: u64,
    },
    /// The peer said BYE for a source (RFC 3550 section 6.6).
    Bye {
        /// The source leaving.
        ssrc: u32,
    },
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
    /// `a=candidate` lines of the peer's descriptions that did not parse.
    pub candidates_refused: u64,
}
