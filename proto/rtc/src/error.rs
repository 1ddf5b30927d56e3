//! Why a command was refused.

use crate::DtlsRole;

/// A command that could not be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The ICE agent refused it (bad credentials, a candidate of another generation, ...).
    #[error("ICE: {0}")]
    Ice(#[from] wren_ice::agent::Error),
    /// Both sides claim the same DTLS role.
    #[error("both sides are DTLS {0:?}: one must be the client and the other the server")]
    SameDtlsRole(DtlsRole),
    /// The remote parameters carry no fingerprint (RFC 8122: WebRTC requires one).
    #[error("the remote parameters have no certificate fingerprint")]
    NoFingerprint,
    /// Remote parameters were given already (a change is an ICE restart, not yet here).
    #[error("the remote parameters are already set")]
    RemoteAlreadySet,
    /// The peer was closed.
    #[error("the peer is closed")]
    Closed,
    /// A media stream was refused.
    #[error("media stream: {0}")]
    Stream(#[from] crate::StreamError),
    /// A data channel command was refused.
    #[error(transparent)]
    Channel(#[from] crate::ChannelError),
}

/// Why a packet could not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// DTLS has not given SRTP its keys yet.
    #[error("SRTP is not keyed yet (DTLS is not connected)")]
    NotConnected,
    /// The peer was closed or its transport failed.
    #[error("the peer is closed")]
    Closed,
    /// Not an RTP (or RTCP) packet by RFC 7983's first two bytes.
    #[error("not an RTP or RTCP packet")]
    NotRtp,
    /// Padding was asked for on a stream that is not a send stream of ours with RTX.
    #[error("SSRC {0:#010x} is not a send stream of ours with RTX: no padding can go on it")]
    NoPadding(u32),
    /// SRTP refused it (too short, a header it cannot read).
    #[error("SRTP: {0}")]
    Srtp(#[from] wren_srtp::Error),
    /// The ICE agent could not send it.
    #[error("ICE: {0}")]
    Ice(#[from] wren_ice::SendError),
}
