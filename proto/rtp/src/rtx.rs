//! RTP retransmission payload format, RTX (RFC 4588 s4): a retransmission is the original
//! packet sent on the RTX stream (its own SSRC, payload type and sequence numbers), its
//! payload prefixed with the original sequence number (OSN).
//!
//! Both directions write into the caller's buffer; nothing is allocated. The header
//! (timestamp, marker, CSRCs, extensions) is kept as RFC 4588 s4 says; padding is
//! dropped.

use crate::bytes::{put_u16, put_u32, u16_at};
use crate::error::{Error, room};
use crate::rtp::RtpPacket;

/// The RTX stream's identity for a retransmission, or the original stream's for an
/// unwrapped packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stream {
    /// The SSRC.
    pub ssrc: u32,
    /// The payload type (the RTX payload type bound by `apt`, or the original one).
    pub payload_type: u8,
}

/// Writes `original` as an RTX packet of `rtx` with sequence number `rtx_seq` into `out`;
/// returns its length (the original's without padding, plus 2).
///
/// # Errors
///
/// [`Error::BufferTooSmall`] when `out` is too short.
///
/// ```
/// use wren_rtp::rtp::RtpPacket;
/// use wren_rtp::rtx::{self, Stream};
///
/// let original = [0x80, 96, 0x10, 0x00, 0, 0, 0, 1, 0, 0, 0, 7, 0xaa, 0xbb];
/// let mut buf = [0u8; 1500];
/// let rtx_stream = Stream { ssrc: 8, payload_type: 97 };
/// let n = rtx::wrap(&RtpPacket::parse(&original)?, rtx_stream, 5, &mut buf)?;
/// let r = RtpPacket::parse(&buf[..n])?;
/// assert_eq!((r.ssrc(), r.payload_type(), r.sequence_number()), (8, 97, 5));
/// assert_eq!(r.payload(), &[0x10, 0x00, 0xaa, 0xbb]);
///
/// let mut back = [0u8; 1500];
/// let n = rtx::unwrap(&r, Stream { ssrc: 7, payload_type: 96 }, &mut back)?;
/// assert_eq!(&back[..n], &original);
/// # Ok::<(), wren_rtp::Error>(())
/// ```
pub fn wrap(
    original: &RtpPacket<'_>,
    rtx: Stream,
    rtx_seq: u16,
    out: &mut [u8],
) -> Result<usize, Error> {
    let header = original.header_bytes();
    let payload = original.payload();
    let len = header.len() + 2 + payload.len();
    let out = room("RTX packet", out, len)?;
    out[..header.len()].copy_from_slice(header);
    put_u16(out, header.len(), original.sequence_number());
    out[header.len() + 2..].copy_from_slice(payload);
    set_stream(out, rtx, rtx_seq);
    Ok(len)
}

/// Writes the original packet an RTX packet carries into `out`, with the original stream
/// `original`; returns its length.
///
/// # Errors
///
/// [`Error::TooShort`] when the RTX payload has no OSN (a padding-only packet),
/// [`Error::BufferTooSmall`] when `out` is too short.
pub fn unwrap(rtx: &RtpPacket<'_>, original: Stream, out: &mut [u8]) -> Result<usize, Error> {
    let payload = rtx.payload();
    if payload.len() < 2 {
        return Err(Error::TooShort {
            what: "RTX payload (original sequence number)",
            need: 2,
            have: payload.len(),
        });
    }
    let header = rtx.header_bytes();
    let len = header.len() + payload.len() - 2;
    let out = room("RTX original packet", out, len)?;
    out[..header.len()].copy_from_slice(header);
    out[header.len()..].copy_from_slice(&payload[2..]);
    set_stream(out, original, u16_at(payload, 0));
    Ok(len)
}

/// The original sequence number an RTX packet carries, `None` without one.
#[must_use]
pub fn original_sequence_number(rtx: &RtpPacket<'_>) -> Option<u16> {
    let p = rtx.payload();
    (p.len() >= 2).then(|| u16_at(p, 0))
}

fn set_stream(out: &mut [u8], s: Stream, seq: u16) {
    out[0] &= !0x20; // no padding
    out[1] = (out[1] & 0x80) | (s.payload_type & 0x7f);
    put_u16(out, 2, seq);
    put_u32(out, 8, s.ssrc);
}
