//! A data channel's identity, options and state (RFC 8831 section 6.4: one SCTP stream
//! id both ways; RFC 8832 section 6: even ids for the DTLS client, odd for the server).

use std::fmt;
use std::time::Duration;

use super::dcep::{Open, Reliability};

/// A data channel's id: its SCTP stream identifier, the same on both sides (RFC 8831
/// section 6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u16);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel {}", self.0)
    }
}

/// How a channel delivers (RFC 8831 section 6.1: ordered or not, fully or partially
/// reliable) and how it is set up (RFC 8832 in-band, or negotiated out of band with an id
/// both sides agreed on).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelOptions {
    /// Messages arrive in the order sent (`RTCDataChannelInit.ordered`, default true).
    pub ordered: bool,
    /// Partial reliability by retransmissions (RFC 3758 via RFC 8831 section 6.1); not
    /// with `max_packet_lifetime`.
    pub max_retransmits: Option<u16>,
    /// Partial reliability by lifetime; not with `max_retransmits`.
    pub max_packet_lifetime: Option<Duration>,
    /// The subprotocol (RFC 8832 section 5.1 Protocol).
    pub protocol: String,
    /// Negotiated out of band with this id: no DCEP, both sides create it (the W3C
    /// `negotiated: true, id`). `None` opens it in band (RFC 8832).
    pub negotiated: Option<u16>,
    /// The priority sent in DATA_CHANNEL_OPEN (RFC 8832 section 5.1; 256 is "normal").
    pub priority: u16,
}

impl ChannelOptions {
    /// Ordered, reliable, in band, no subprotocol, normal priority: what
    /// `createDataChannel(label)` gives.
    #[must_use]
    pub fn reliable() -> ChannelOptions {
        ChannelOptions {
            ordered: true,
            priority: 256,
            ..ChannelOptions::default()
        }
    }

    /// The DCEP reliability these options ask for.
    pub(crate) fn reliability(&self) -> Reliability {
        match (self.max_retransmits, self.max_packet_lifetime) {
            (Some(n), _) => Reliability::MaxRetransmits(u32::from(n)),
            (None, Some(t)) => {
                Reliability::MaxLifetimeMs(u32::try_from(t.as_millis()).unwrap_or(u32::MAX))
            }
            (None, None) => Reliability::Reliable,
        }
    }

    /// The options a peer's DATA_CHANNEL_OPEN announces.
    pub(crate) fn from_open(open: &Open<'_>) -> ChannelOptions {
        let (max_retransmits, max_packet_lifetime) = match open.reliability {
            Reliability::Reliable => (None, None),
            Reliability::MaxRetransmits(n) => (Some(u16::try_from(n).unwrap_or(u16::MAX)), None),
            Reliability::MaxLifetimeMs(ms) => (None, Some(Duration::from_millis(ms.into()))),
        };
        ChannelOptions {
            ordered: !open.unordered,
            max_retransmits,
            max_packet_lifetime,
            protocol: open.protocol.to_owned(),
            negotiated: None,
            priority: open.priority,
        }
    }
}

/// Where a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    /// Created before SCTP was up: opened when it is.
    Waiting,
    /// DATA_CHANNEL_OPEN sent, DATA_CHANNEL_ACK awaited.
    Opening,
    /// Open: messages go both ways.
    Open,
    /// Closing: our stream reset was sent (RFC 8831 section 6.7).
    Closing,
}

/// One channel.
#[derive(Debug, Clone)]
pub(crate) struct Channel {
    pub(crate) label: String,
    pub(crate) options: ChannelOptions,
    pub(crate) state: State,
    /// The buffered-amount low-water mark (W3C `bufferedAmountLowThreshold`).
    pub(crate) low_threshold: usize,
    /// What went through it.
    pub(crate) counters: Counters,
}

/// Messages and bytes of one channel, each way (getStats' `data-channel`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}
