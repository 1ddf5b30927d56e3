//! The transport-wide sequence number
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 s2): 16 bits counted across every
//! stream of the transport, which transport-wide feedback
//! ([`TransportFeedback`](crate::rtcp::TransportFeedback)) reports on.

use crate::bytes::{put_u16, u16_at};
use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind, length};

/// The transport-wide sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportCc(pub u16);

impl Extension<'_> for TransportCc {
    const KIND: ExtensionKind = ExtensionKind::TransportCc;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        length("transport-wide-cc extension", data, &[2])?;
        Ok(TransportCc(u16_at(data, 0)))
    }

    fn encoded_len(&self) -> usize {
        2
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        put_u16(room("transport-wide-cc extension", out, 2)?, 0, self.0);
        Ok(2)
    }
}
