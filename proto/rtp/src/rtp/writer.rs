//! Writing RTP packets into the caller's buffer (RFC 3550 s5.1, RFC 8285 s4).

use crate::bytes::{put_u16, put_u32};
use crate::error::{Error, room};
use crate::rtp::FIXED_HEADER_LEN;
use crate::rtp::extension::ExtensionForm;
use crate::rtp::extensions::Extension;

/// The fixed header fields and CSRCs of a packet to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RtpHeader<'a> {
    /// The marker bit.
    pub marker: bool,
    /// The payload type, 0 to 127.
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The SSRC.
    pub ssrc: u32,
    /// The CSRCs, at most 15.
    pub csrcs: &'a [u32],
}

/// Writes one RTP packet into a buffer the caller owns: the header on creation, then
/// extension elements one by one, then the payload and padding. Nothing is allocated.
///
/// ```
/// use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpWriter};
/// use wren_rtp::rtp::extensions::{AudioLevel, TransportCc};
///
/// let mut buf = [0u8; 1500];
/// let header = RtpHeader { payload_type: 111, sequence_number: 7, ssrc: 42, ..Default::default() };
/// let mut w = RtpWriter::new(&mut buf, &header)?;
/// w.extensions(ExtensionForm::OneByte)?;
/// w.add(1, &AudioLevel { voice: true, level: 30 })?;
/// w.add(3, &TransportCc(1000))?;
/// let n = w.finish(b"opus", 0)?;
///
/// let p = RtpPacket::parse(&buf[..n])?;
/// assert_eq!(p.extension(3), Some(&[0x03, 0xe8][..]));
/// assert_eq!(p.payload(), b"opus");
/// # Ok::<(), wren_rtp::Error>(())
/// ```
#[derive(Debug)]
pub struct RtpWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// The extension block's form and the offset of its 4-byte header.
    ext: Option<(ExtensionForm, usize)>,
}

impl<'b> RtpWriter<'b> {
    /// Writes the fixed header and CSRCs of `header` at the start of `buf`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] for a payload type over 127 or more than 15 CSRCs,
    /// [`Error::BufferTooSmall`] when the header does not fit.
    pub fn new(buf: &'b mut [u8], header: &RtpHeader<'_>) -> Result<RtpWriter<'b>, Error> {
        if header.payload_type > 127 {
            return Err(Error::InvalidValue {
                what: "RTP payload type",
                value: u64::from(header.payload_type),
            });
        }
        if header.csrcs.len() > 15 {
            return Err(Error::InvalidValue {
                what: "RTP CSRC count",
                value: header.csrcs.len() as u64,
            });
        }
        let len = FIXED_HEADER_LEN + 4 * header.csrcs.len();
        let out = room("RTP header", buf, len)?;
        out[0] = 0x80 | header.csrcs.len() as u8;
        out[1] = u8::from(header.marker) << 7 | header.payload_type;
        put_u16(out, 2, header.sequence_number);
        put_u32(out, 4, header.timestamp);
        put_u32(out, 8, header.ssrc);
        for (i, csrc) in header.csrcs.iter().enumerate() {
            put_u32(out, FIXED_HEADER_LEN + 4 * i, *csrc);
        }
        Ok(RtpWriter {
            buf,
            len,
            ext: None,
        })
    }

    /// Starts the header extension block (sets X) in `form`; elements follow with
    /// [`RtpWriter::extension`] or [`RtpWriter::add`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] when a block was started already,
    /// [`Error::BufferTooSmall`] when its header does not fit.
    pub fn extensions(&mut self, form: ExtensionForm) -> Result<&mut Self, Error> {
        if self.ext.is_some() {
            return Err(Error::InvalidValue {
                what: "RTP header extension block started twice",
                value: 1,
            });
        }
        let at = self.len;
        let out = room("RTP header extension", &mut self.buf[at..], 4)?;
        put_u16(out, 0, form.profile());
        put_u16(out, 2, 0);
        self.buf[0] |= 0x10;
        self.ext = Some((form, at));
        self.len += 4;
        Ok(self)
    }

    /// Appends an element with `id` and `data` to the extension block.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidValue`] when no block was started or the id or length does not fit
    /// its form (RFC 8285 s4.2, s4.3), [`Error::BufferTooSmall`] when it does not fit the
    /// buffer.
    pub fn extension(&mut self, id: u8, data: &[u8]) -> Result<&mut Self, Error> {
        let head = self.element_head(id, data.len())?;
        let at = self.len + head;
        room(
            "RTP header extension element",
            &mut self.buf[at..],
            data.len(),
        )?
        .copy_from_slice(data);
        self.len = at + data.len();
        Ok(self)
    }

    /// Appends the typed extension `value` with `id`.
    ///
    /// # Errors
    ///
    /// As [`RtpWriter::extension`], and the value's own [`Extension::write`] errors.
    pub fn add<'e, E: Extension<'e>>(&mut self, id: u8, value: &E) -> Result<&mut Self, Error> {
        let head = self.element_head(id, value.encoded_len())?;
        let at = self.len + head;
        let n = value.write(&mut self.buf[at..])?;
        self.len = at + n;
        Ok(self)
    }

    /// Writes an element header for `len` bytes of data; returns its length.
    fn element_head(&mut self, id: u8, len: usize) -> Result<usize, Error> {
        let Some((form, _)) = self.ext else {
            return Err(Error::InvalidValue {
                what: "RTP header extension element before the block",
                value: u64::from(id),
            });
        };
        if !form.fits(id, len) {
            return Err(Error::InvalidValue {
                what: match form {
                    ExtensionForm::OneByte => "one-byte extension element id or length",
                    ExtensionForm::TwoByte { .. } => "two-byte extension element id or length",
                },
                value: u64::from(id) << 16 | len as u64,
            });
        }
        let head = form.element_header_len();
        let out = room(
            "RTP header extension element",
            &mut self.buf[self.len..],
            head + len,
        )?;
        match form {
            ExtensionForm::OneByte => out[0] = id << 4 | (len - 1) as u8,
            ExtensionForm::TwoByte { .. } => {
                out[0] = id;
                out[1] = len as u8;
            }
        }
        Ok(head)
    }

    /// Closes the extension block (zero padding to 32 bits, the length field) and returns
    /// the header's length; the caller writes the payload at that offset.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when the padding does not fit.
    pub fn finish_header(&mut self) -> Result<usize, Error> {
        if let Some((_, at)) = self.ext.take() {
            let pad = (4 - (self.len - at) % 4) % 4;
            room(
                "RTP header extension padding",
                &mut self.buf[self.len..],
                pad,
            )?
            .fill(0);
            self.len += pad;
            let words = (self.len - at - 4) / 4;
            let words = u16::try_from(words).map_err(|_| Error::InvalidValue {
                what: "RTP header extension length in words",
                value: words as u64,
            })?;
            put_u16(self.buf, at + 2, words);
        }
        Ok(self.len)
    }

    /// Closes the header, appends `payload` and `padding` bytes of padding (RFC 3550
    /// s5.1: zeros and the count in the last byte, P set; 0 for none), and returns the
    /// packet's length.
    ///
    /// # Errors
    ///
    /// [`Error::BufferTooSmall`] when the packet does not fit.
    pub fn finish(mut self, payload: &[u8], padding: u8) -> Result<usize, Error> {
        let at = self.finish_header()?;
        let pad = usize::from(padding);
        let out = room("RTP payload", &mut self.buf[at..], payload.len() + pad)?;
        out[..payload.len()].copy_from_slice(payload);
        if pad > 0 {
            out[payload.len()..].fill(0);
            out[payload.len() + pad - 1] = padding;
            self.buf[0] |= 0x20;
        }
        Ok(at + payload.len() + pad)
    }
}
