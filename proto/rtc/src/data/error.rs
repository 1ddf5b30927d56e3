//! Why a data channel command was refused.

use super::ChannelId;

/// A data channel command that could not be carried out (the W3C API throws in these
/// cases; here they are typed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// No channel has that id (never created, or closed).
    #[error("no {0}")]
    Unknown(ChannelId),
    /// The channel is not open yet (DCEP has not been acknowledged, SCTP is not up) or is
    /// closing.
    #[error("{0} is not open")]
    NotOpen(ChannelId),
    /// A message larger than the peer's max-message-size (RFC 8841 section 6).
    #[error("a message of {size} bytes is larger than the peer's max-message-size {max}")]
    TooLarge {
        /// The message's size.
        size: usize,
        /// The peer's limit.
        max: usize,
    },
    /// A negotiated id that another channel has.
    #[error("{0} is in use")]
    IdInUse(ChannelId),
    /// Stream id 65535 is reserved (RFC 8831 section 6.4).
    #[error("{0} is reserved")]
    ReservedId(ChannelId),
    /// Every stream id of our parity is in use.
    #[error("no free stream id")]
    NoFreeId,
    /// Both `max_retransmits` and `max_packet_lifetime` (the W3C API refuses that too).
    #[error("max_retransmits and max_packet_lifetime are exclusive")]
    BothLimits,
    /// A label or protocol longer than DCEP's 16-bit lengths (RFC 8832 section 5.1).
    #[error("a label or protocol of {0} bytes is longer than 65535")]
    TooLong(usize),
    /// SCTP refused it (its buffer is full, the stream is resetting).
    #[error("SCTP: {0}")]
    Sctp(#[from] sctp_proto::Error),
    /// The association is gone (DTLS closed or failed, SCTP aborted).
    #[error("the SCTP association is closed")]
    Closed,
}
