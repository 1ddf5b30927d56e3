//! Rewriting an RTP packet's header where it lies, as a forwarding SFU does: SSRC, payload
//! type, sequence number, timestamp, marker and extension values of the same length.

use crate::bytes::{put_u16, put_u32};
use crate::error::Error;
use crate::rtp::extension::{ExtensionForm, Extensions};
use crate::rtp::header::RtpPacket;

/// A parsed RTP packet in a mutable buffer: the header fields can be changed in place, and
/// nothing is copied or allocated.
///
/// ```
/// use wren_rtp::rtp::{RtpPacket, RtpPacketMut};
///
/// let mut buf = [0x80, 96, 0, 1, 0, 0, 0, 9, 0, 0, 0, 7, 0xaa];
/// let mut p = RtpPacketMut::parse(&mut buf)?;
/// p.set_ssrc(0x1234);
/// p.set_sequence_number(500);
/// p.set_payload_type(100);
/// let p = RtpPacket::parse(&buf)?;
/// assert_eq!((p.ssrc(), p.sequence_number(), p.payload_type()), (0x1234, 500, 100));
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Debug)]
pub struct RtpPacketMut<'a> {
    buf: &'a mut [u8],
    /// The extension data's range and form, when there is a block of a known form.
    ext: Option<(usize, usize, ExtensionForm)>,
}

impl<'a> RtpPacketMut<'a> {
    /// Parses `buf` as [`RtpPacket::parse`] does, keeping it writable.
    ///
    /// # Errors
    ///
    /// As [`RtpPacket::parse`].
    pub fn parse(buf: &'a mut [u8]) -> Result<RtpPacketMut<'a>, Error> {
        let p = RtpPacket::parse(buf)?;
        let ext = p.extension_form().map(|form| {
            let data = p.extension_data();
            let start = p.header_len() - data.len();
            (start, p.header_len(), form)
        });
        Ok(RtpPacketMut { buf, ext })
    }

    /// The packet as a read-only view.
    #[must_use]
    pub fn as_packet(&self) -> RtpPacket<'_> {
        RtpPacket::parse(self.buf).unwrap_or_else(|_| unreachable!("parsed at creation"))
    }

    /// Sets the marker bit.
    pub fn set_marker(&mut self, marker: bool) {
        self.buf[1] = (self.buf[1] & 0x7f) | u8::from(marker) << 7;
    }

    /// Sets the payload type (its low 7 bits).
    pub fn set_payload_type(&mut self, pt: u8) {
        self.buf[1] = (self.buf[1] & 0x80) | (pt & 0x7f);
    }

    /// Sets the sequence number.
    pub fn set_sequence_number(&mut self, seq: u16) {
        put_u16(self.buf, 2, seq);
    }

    /// Sets the RTP timestamp.
    pub fn set_timestamp(&mut self, ts: u32) {
        put_u32(self.buf, 4, ts);
    }

    /// Sets the SSRC.
    pub fn set_ssrc(&mut self, ssrc: u32) {
        put_u32(self.buf, 8, ssrc);
    }

    /// The data of the first extension element with `id`, writable (its length is fixed).
    pub fn extension_mut(&mut self, id: u8) -> Option<&mut [u8]> {
        let (start, end, form) = self.ext?;
        // Find the element's offset with a read-only walk, then borrow it mutably.
        let block = &self.buf[start..end];
        let base = block.as_ptr() as usize;
        let e = Extensions::new(form, block).find(|e| e.id == id)?;
        let at = start + (e.data.as_ptr() as usize - base);
        let len = e.data.len();
        Some(&mut self.buf[at..at + len])
    }

    /// Overwrites the data of the element with `id` with `data` of the same length.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] when there is no such element, [`Error::BadLength`] when
    /// `data` is not its length.
    pub fn set_extension(&mut self, id: u8, data: &[u8]) -> Result<(), Error> {
        let slot = self.extension_mut(id).ok_or(Error::InvalidValue {
            what: "RTP header extension id not in the packet",
            value: u64::from(id),
        })?;
        if slot.len() != data.len() {
            return Err(Error::BadLength {
                what: "RTP header extension rewrite",
                claimed: data.len(),
                available: slot.len(),
            });
        }
        slot.copy_from_slice(data);
        Ok(())
    }

    /// The whole packet.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf
    }
}
