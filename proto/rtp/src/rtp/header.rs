//! The RTP packet view (RFC 3550 s5.1, RFC 8285 s4).

use crate::bytes::{u16_at, u32_at};
use crate::error::{Error, need};
use crate::rtp::FIXED_HEADER_LEN;
use crate::rtp::extension::{ExtensionForm, Extensions, validate};
use crate::rtp::extensions::Extension;
use crate::rtp::map::ExtensionMap;

const WHAT: &str = "RTP packet";

/// An RTP packet (RFC 3550 s5.1) borrowed from the bytes it arrived in: nothing is copied
/// to decode it and nothing is allocated.
///
/// [`RtpPacket::parse`] checks everything a reader could trip on (version, CSRC count,
/// extension length and every extension element, padding), so the accessors cannot fail.
///
/// ```
/// use wren_rtp::rtp::RtpPacket;
///
/// let bytes = [0x80, 0xe0, 0x12, 0x34, 0, 0, 0x03, 0xe8, 0xca, 0xfe, 0xba, 0xbe, 1, 2, 3];
/// let p = RtpPacket::parse(&bytes)?;
/// assert!(p.marker());
/// assert_eq!((p.payload_type(), p.sequence_number(), p.timestamp()), (96, 0x1234, 1000));
/// assert_eq!(p.ssrc(), 0xcafe_babe);
/// assert_eq!(p.payload(), &[1, 2, 3]);
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    buf: &'a [u8],
    /// Offset of the extension's 4-byte header, 0 when there is none.
    ext_at: usize,
    header_len: usize,
    payload_end: usize,
}

impl<'a> RtpPacket<'a> {
    /// Parses `buf`, exactly one RTP packet (a datagram after SRTP unprotection).
    ///
    /// # Errors
    ///
    /// [`Error::TooShort`] for a header, CSRC list or extension cut short,
    /// [`Error::BadVersion`] when the version is not 2, [`Error::BadLength`] for an
    /// extension element that runs past its block (RFC 8285 s4.2, s4.3), and
    /// [`Error::BadPadding`] for a padding count of zero or longer than the payload.
    #[inline]
    pub fn parse(buf: &'a [u8]) -> Result<RtpPacket<'a>, Error> {
        need(WHAT, buf, FIXED_HEADER_LEN)?;
        let b0 = buf[0];
        if b0 >> 6 != 2 {
            return Err(Error::BadVersion {
                what: WHAT,
                version: b0 >> 6,
            });
        }
        let mut header_len = FIXED_HEADER_LEN + 4 * usize::from(b0 & 0x0f);
        need("RTP CSRC list", buf, header_len)?;
        let mut ext_at = 0;
        if b0 & 0x10 != 0 {
            need("RTP header extension", buf, header_len + 4)?;
            ext_at = header_len;
            let words = usize::from(u16_at(buf, header_len + 2));
            let end = header_len + 4 + 4 * words;
            need("RTP header extension", buf, end)?;
            let profile = u16_at(buf, header_len);
            if let Some(form) = ExtensionForm::from_profile(profile) {
                validate(form, &buf[header_len + 4..end])?;
            }
            header_len = end;
        }
        let mut payload_end = buf.len();
        if b0 & 0x20 != 0 {
            let count = usize::from(buf[buf.len() - 1]);
            let available = buf.len() - header_len;
            if count == 0 || count > available {
                return Err(Error::BadPadding {
                    what: WHAT,
                    count,
                    available,
                });
            }
            payload_end -= count;
        }
        Ok(RtpPacket {
            buf,
            ext_at,
            header_len,
            payload_end,
        })
    }

    /// The whole packet as parsed.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The header: fixed part, CSRCs and extension.
    #[must_use]
    pub fn header_bytes(&self) -> &'a [u8] {
        &self.buf[..self.header_len]
    }

    /// The header's length in bytes (where the payload starts).
    #[must_use]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The version field (always 2 for a parsed packet).
    #[must_use]
    pub fn version(&self) -> u8 {
        self.buf[0] >> 6
    }

    /// The padding bit (P).
    #[must_use]
    pub fn has_padding(&self) -> bool {
        self.buf[0] & 0x20 != 0
    }

    /// The extension bit (X).
    #[must_use]
    pub fn has_extension(&self) -> bool {
        self.ext_at != 0
    }

    /// The marker bit (M).
    #[must_use]
    pub fn marker(&self) -> bool {
        self.buf[1] & 0x80 != 0
    }

    /// The payload type (PT), 7 bits.
    #[must_use]
    pub fn payload_type(&self) -> u8 {
        self.buf[1] & 0x7f
    }

    /// The sequence number.
    #[must_use]
    pub fn sequence_number(&self) -> u16 {
        u16_at(self.buf, 2)
    }

    /// The RTP timestamp.
    #[must_use]
    pub fn timestamp(&self) -> u32 {
        u32_at(self.buf, 4)
    }

    /// The synchronization source (SSRC).
    #[must_use]
    pub fn ssrc(&self) -> u32 {
        u32_at(self.buf, 8)
    }

    /// The contributing sources (CSRC list, RFC 3550 s5.1), without copying them.
    #[must_use]
    pub fn csrcs(&self) -> Csrcs<'a> {
        let n = usize::from(self.buf[0] & 0x0f);
        Csrcs(&self.buf[FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * n])
    }

    /// The extension's 16-bit profile field ("defined by profile", RFC 3550 s5.3.1):
    /// 0xBEDE for one-byte elements, 0x100x for two-byte ones (RFC 8285 s4.2, s4.3).
    #[must_use]
    pub fn extension_profile(&self) -> Option<u16> {
        self.has_extension().then(|| u16_at(self.buf, self.ext_at))
    }

    /// The extension block's data after its 4-byte header, elements and padding.
    #[must_use]
    pub fn extension_data(&self) -> &'a [u8] {
        if self.has_extension() {
            &self.buf[self.ext_at + 4..self.header_len]
        } else {
            &[]
        }
    }

    /// The RFC 8285 form of the extension block, `None` without one or with a profile
    /// that is neither form.
    #[must_use]
    pub fn extension_form(&self) -> Option<ExtensionForm> {
        self.extension_profile()
            .and_then(ExtensionForm::from_profile)
    }

    /// The extension elements in order (none for an unknown profile), without copying.
    #[must_use]
    pub fn extensions(&self) -> Extensions<'a> {
        match self.extension_form() {
            Some(form) => Extensions::new(form, self.extension_data()),
            None => Extensions::new(ExtensionForm::OneByte, &[]),
        }
    }

    /// The data of the first extension element with local identifier `id`.
    #[must_use]
    pub fn extension(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions().find(|e| e.id == id).map(|e| e.data)
    }

    /// The typed extension `E`, looked up through the session's `map` (which says the id
    /// the SDP `a=extmap` gave `E`'s URI). `None` when the map has no id for it or the
    /// packet has no such element.
    ///
    /// # Errors
    ///
    /// The element is there but its value is malformed for `E`.
    pub fn get<E: Extension<'a>>(&self, map: &ExtensionMap) -> Option<Result<E, Error>> {
        let id = map.id(E::KIND)?;
        self.extension(id).map(E::parse)
    }

    /// The payload, without padding.
    #[must_use]
    pub fn payload(&self) -> &'a [u8] {
        &self.buf[self.header_len..self.payload_end]
    }

    /// How many padding bytes end the packet (0 without the P bit).
    #[must_use]
    pub fn padding_len(&self) -> usize {
        self.buf.len() - self.payload_end
    }
}

/// The CSRC list of an RTP packet, read in place: an iterator of `u32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csrcs<'a>(&'a [u8]);

impl Csrcs<'_> {
    /// How many CSRCs there are (the CC field, 0 to 15).
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len() / 4
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Iterator for Csrcs<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (head, rest) = self.0.split_first_chunk::<4>()?;
        self.0 = rest;
        Some(u32::from_be_bytes(*head))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl ExactSizeIterator for Csrcs<'_> {}
