//! DCEP, the Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and
//! DATA_CHANNEL_ACK, sent on the channel's own SCTP stream with PPID 50 (section 8.1).
//!
//! Zero-copy: [`Message::parse`] borrows the label and protocol from the packet; writing
//! appends to the caller's buffer. No time, no state.

/// DATA_CHANNEL_ACK's message type (RFC 8832 section 8.2.1).
pub const ACK: u8 = 0x02;
/// DATA_CHANNEL_OPEN's message type (RFC 8832 section 8.2.1).
pub const OPEN: u8 = 0x03;

/// The fixed part of DATA_CHANNEL_OPEN (RFC 8832 section 5.1): type, channel type,
/// priority, reliability parameter, label length, protocol length.
pub const OPEN_HEADER: usize = 12;

/// A channel type's reliability (RFC 8832 section 5.1: the low bits of Channel Type;
/// 0x80 marks it unordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reliability {
    /// `DATA_CHANNEL_RELIABLE` (0x00).
    Reliable,
    /// `DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT` (0x01): the parameter is the number of
    /// retransmissions.
    MaxRetransmits(u32),
    /// `DATA_CHANNEL_PARTIAL_RELIABLE_TIMED` (0x02): the parameter is a lifetime in
    /// milliseconds.
    MaxLifetimeMs(u32),
}

/// A DATA_CHANNEL_OPEN (RFC 8832 section 5.1), borrowing its strings from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open<'a> {
    /// Whether messages may arrive out of order (the 0x80 bit of Channel Type).
    pub unordered: bool,
    /// Partial reliability, with its parameter.
    pub reliability: Reliability,
    /// The priority (RFC 8832 section 5.1, values from RFC 8831 section 6.4).
    pub priority: u16,
    /// The channel's label, UTF-8 (section 5.1: "a UTF-8-encoded string").
    pub label: &'a str,
    /// The subprotocol, UTF-8; empty for none.
    pub protocol: &'a str,
}

/// A DCEP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// DATA_CHANNEL_OPEN.
    Open(Open<'a>),
    /// DATA_CHANNEL_ACK (RFC 8832 section 5.2).
    Ack,
}

/// Why a DCEP message did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcepError {
    /// No bytes at all.
    #[error("an empty DCEP message")]
    Empty,
    /// A message type RFC 8832 section 8.2.1 does not define.
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownType(u8),
    /// An OPEN shorter than its header, or than its label and protocol lengths say.
    #[error("DATA_CHANNEL_OPEN truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes the header's lengths call for.
        need: usize,
        /// Bytes there are.
        have: usize,
    },
    /// A channel type RFC 8832 section 8.2.2 does not define.
    #[error("unknown channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// A label or protocol that is not UTF-8.
    #[error("a label or protocol that is not UTF-8")]
    NotUtf8,
}

impl<'a> Message<'a> {
    /// Parses one DCEP message (the whole SCTP user message). Trailing bytes after an
    /// ACK are ignored, as after an OPEN's protocol.
    ///
    /// # Errors
    ///
    /// [`DcepError`]: what was wrong with it.
    pub fn parse(bytes: &'a [u8]) -> Result<Message<'a>, DcepError> {
        match bytes.first() {
            None => Err(DcepError::Empty),
            Some(&ACK) => Ok(Message::Ack),
            Some(&OPEN) => Open::parse(bytes).map(Message::Open),
            Some(&t) => Err(DcepError::UnknownType(t)),
        }
    }
}

impl<'a> Open<'a> {
    fn parse(b: &'a [u8]) -> Result<Open<'a>, DcepError> {
        if b.len() < OPEN_HEADER {
            return Err(DcepError::Truncated {
                need: OPEN_HEADER,
                have: b.len(),
            });
        }
        let channel_type = b[1];
        let priority = u16::from_be_bytes([b[2], b[3]]);
        let param = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        let label_len = usize::from(u16::from_be_bytes([b[8], b[9]]));
        let protocol_len = usize::from(u16::from_be_bytes([b[10], b[11]]));
        let need = OPEN_HEADER + label_len + protocol_len;
        if b.len() < need {
            return Err(DcepError::Truncated {
                need,
                have: b.len(),
            });
        }
        let reliability = match channel_type & 0x7f {
            0x00 => Reliability::Reliable,
            0x01 => Reliability::MaxRetransmits(param),
            0x02 => Reliability::MaxLifetimeMs(param),
            _ => return Err(DcepError::UnknownChannelType(channel_type)),
        };
        let text = |s: &'a [u8]| std::str::from_utf8(s).map_err(|_| DcepError::NotUtf8);
        let label = text(&b[OPEN_HEADER..OPEN_HEADER + label_len])?;
        let protocol = text(&b[OPEN_HEADER + label_len..need])?;
        Ok(Open {
            unordered: channel_type & 0x80 != 0,
            reliability,
            priority,
            label,
            protocol,
        })
    }

    /// The encoded length.
    #[must_use]
    pub fn len(&self) -> usize {
        OPEN_HEADER + self.label.len() + self.protocol.len()
    }

    /// Never: an OPEN has at least its header.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Appends the OPEN to `out`.
    ///
    /// # Errors
    ///
    /// [`DcepError::Truncated`] when the label or protocol is longer than a 16-bit length
    /// can say (`need` is its length).
    pub fn write(&self, out: &mut Vec<u8>) -> Result<(), DcepError> {
        let len16 = |s: &str| {
            u16::try_from(s.len()).map_err(|_| DcepError::Truncated {
                need: s.len(),
                have: usize::from(u16::MAX),
            })
        };
        let (label_len, protocol_len) = (len16(self.label)?, len16(self.protocol)?);
        let (kind, param) = match self.reliability {
            Reliability::Reliable => (0x00, 0),
            Reliability::MaxRetransmits(n) => (0x01, n),
            Reliability::MaxLifetimeMs(ms) => (0x02, ms),
        };
        out.push(OPEN);
        out.push(kind | if self.unordered { 0x80 } else { 0 });
        out.extend_from_slice(&self.priority.to_be_bytes());
        out.extend_from_slice(&param.to_be_bytes());
        out.extend_from_slice(&label_len.to_be_bytes());
        out.extend_from_slice(&protocol_len.to_be_bytes());
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(self.protocol.as_bytes());
        Ok(())
    }
}

/// Appends a DATA_CHANNEL_ACK (RFC 8832 section 5.2: the message type alone).
pub fn write_ack(out: &mut Vec<u8>) {
    out.push(ACK);
}
