//! The SCTP-over-DTLS section's attributes (RFC 8841): `a=sctp-port` (s5) and
//! `a=max-message-size` (s6). Both are plain numbers in [`Attribute`](crate::Attribute).

use crate::parse::number;

/// `a=sctp-port:<port>` (RFC 8841 s5.1): the SCTP port, 0-65535.
pub(crate) fn parse_sctp_port(value: &str) -> Result<u16, &'static str> {
    number(value).ok_or("a port 0-65535")
}

/// `a=max-message-size:<bytes>` (RFC 8841 s6.1): 0 means no limit.
pub(crate) fn parse_max_message_size(value: &str) -> Result<u64, &'static str> {
    number(value).ok_or("a decimal size in bytes")
}
