//! The STUN message: a zero-copy view for decoding ([`Message`]) and a writer that appends to a
//! buffer the caller owns ([`MessageWriter`]). RFC 8489 sections 5 and 14.
//!
//! No time, no state, no allocation: decoding walks the attributes once to check their
//! structure and remembers where MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT
//! sit; typed values are decoded on demand from borrowed slices.

use crate::attr::{AnyAttribute, Attribute};
use crate::attr_type::{ATTR_HEADER_LEN, AttrType, RawAttribute};
use crate::error::Error;
use crate::header::{Class, HEADER_LEN, MAGIC_COOKIE, MessageType, Method, TransactionId};
use crate::integrity::{self, Key};

/// A decoded STUN message: a view over the bytes, which it borrows.
///
/// [`Message::parse`] checks the header and the attribute structure once; everything else
/// is read on demand. Following RFC 8489 section 14.5-14.7, attributes after
/// MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, attributes after
/// MESSAGE-INTEGRITY-SHA256 other than FINGERPRINT, and anything after FINGERPRINT, are
/// ignored: lookups and [`Message::attributes`] do not see them.
///
/// # Example: check a request and answer it
///
/// ```
/// use wren_stun::{attr, Class, Key, Message, MessageWriter};
///
/// // RFC 5769 section 2.1, the sample request.
/// # let request: &[u8] = &wren_stun::vectors::SAMPLE_REQUEST;
/// let key = Key::short_term("VOkJxbRl1RmTxUk/WvJxBt").unwrap();
/// let msg = Message::parse(request).unwrap();
/// msg.verify_fingerprint().unwrap();
/// msg.verify_integrity(&key).unwrap();
/// assert_eq!(msg.require::<attr::Username>().unwrap().0, "evtj:h6vY");
///
/// let mut out = Vec::with_capacity(128);
/// let mut w = MessageWriter::new(
///     &mut out,
///     msg.message_type().with_class(Class::SuccessResponse),
///     msg.transaction_id(),
/// );
/// w.add(&attr::XorMappedAddress("192.0.2.1:32853".parse().unwrap())).unwrap();
/// w.add_message_integrity(&key).unwrap();
/// w.add_fingerprint().unwrap();
/// let len = w.finish();
/// assert_eq!(len, out.len());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    buf: &'a [u8],
    integrity: Option<u16>,
    integrity_sha256: Option<u16>,
    fingerprint: Option<u16>,
}

impl std::fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("type", &self.message_type())
            .field("transaction_id", &self.transaction_id())
            .field("len", &self.buf.len())
            .finish()
    }
}

/// Where, walking a message, an attribute stands relative to the integrity attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    Nothing,
    Integrity,
    IntegritySha256,
    Fingerprint,
}

impl Seen {
    /// Whether an attribute of type `typ` counts after what was seen (RFC 8489 section 14).
    fn admits(self, typ: AttrType) -> bool {
        match self {
            Seen::Nothing => true,
            Seen::Integrity => {
                typ == AttrType::MESSAGE_INTEGRITY_SHA256 || typ == AttrType::FINGERPRINT
            }
            Seen::IntegritySha256 => typ == AttrType::FINGERPRINT,
            Seen::Fingerprint => false,
        }
    }

    fn after(self, typ: AttrType) -> Seen {
        match typ {
            AttrType::MESSAGE_INTEGRITY => Seen::Integrity,
            AttrType::MESSAGE_INTEGRITY_SHA256 => Seen::IntegritySha256,
            AttrType::FINGERPRINT => Seen::Fingerprint,
            _ => self,
        }
    }
}

/// Reads a big-endian `u16` at `at`; callers have checked the bounds.
#[inline]
fn be16(buf: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([buf[at], buf[at + 1]])
}

impl<'a> Message<'a> {
    /// Checks `buf` is one whole STUN message and returns a view of it.
    ///
    /// Accepts messages without the magic cookie (RFC 3489 clients, see
    /// [`Message::has_magic_cookie`]). Allocates nothing.
    pub fn parse(buf: &'a [u8]) -> Result<Message<'a>, Error> {
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        if buf[0] & 0xC0 != 0 {
            return Err(Error::NotStun(buf[0]));
        }
        let length = be16(buf, 2);
        if length % 4 != 0 {
            return Err(Error::MisalignedLength(length));
        }
        let actual = buf.len() - HEADER_LEN;
        if usize::from(length) != actual {
            return Err(Error::LengthMismatch {
                header: usize::from(length),
                actual,
            });
        }
        let mut msg = Message {
            buf,
            integrity: None,
            integrity_sha256: None,
            fingerprint: None,
        };
        let mut seen = Seen::Nothing;
        let mut offset = HEADER_LEN;
        while offset < buf.len() {
            if buf.len() - offset < ATTR_HEADER_LEN {
                return Err(Error::Truncated {
                    need: offset + ATTR_HEADER_LEN,
                    have: buf.len(),
                });
            }
            let typ = AttrType(be16(buf, offset));
            let len = usize::from(be16(buf, offset + 2));
            let end = offset + ATTR_HEADER_LEN + len;
            if end > buf.len() {
                return Err(Error::AttributeOverrun { attr: typ, offset });
            }
            if seen.admits(typ) {
                // Offsets fit in u16: the whole message is at most 20 + 65535 bytes and an
                // attribute header starts at least 4 bytes before the end.
                let at = u16::try_from(offset).ok();
                match typ {
                    AttrType::MESSAGE_INTEGRITY => msg.integrity = at,
                    AttrType::MESSAGE_INTEGRITY_SHA256 => msg.integrity_sha256 = at,
                    AttrType::FINGERPRINT => msg.fingerprint = at,
                    _ => {}
                }
                seen = seen.after(typ);
            }
            offset = ATTR_HEADER_LEN + offset + len.next_multiple_of(4);
        }
        Ok(msg)
    }

    /// The message's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// The message type.
    #[must_use]
    pub fn message_type(&self) -> MessageType {
        MessageType::from_u16(be16(self.buf, 0))
    }

    /// The class.
    #[must_use]
    pub fn class(&self) -> Class {
        self.message_type().class
    }

    /// The method.
    #[must_use]
    pub fn method(&self) -> Method {
        self.message_type().method
    }

    /// The 96-bit transaction ID.
    #[must_use]
    pub fn transaction_id(&self) -> TransactionId {
        let mut id = [0u8; 12];
        id.copy_from_slice(&self.buf[8..20]);
        TransactionId(id)
    }

    /// Whether the magic cookie is present: `false` means an RFC 3489 peer, which knows
    /// MAPPED-ADDRESS but not XOR-MAPPED-ADDRESS (RFC 8489 section 12).
    #[must_use]
    pub fn has_magic_cookie(&self) -> bool {
        self.buf[4..8] == MAGIC_COOKIE.to_be_bytes()
    }

    /// The 128-bit transaction ID of RFC 3489 (the cookie field and the 96-bit ID together),
    /// which a response to an RFC 3489 peer echoes.
    #[must_use]
    pub fn rfc3489_transaction_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        id.copy_from_slice(&self.buf[4..20]);
        id
    }

    /// The attributes that count (see the type docs), in order.
    #[must_use]
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes {
            buf: self.buf,
            offset: HEADER_LEN,
            seen: Seen::Nothing,
        }
    }

    /// The first counted attribute of type `typ`, raw.
    #[must_use]
    pub fn raw(&self, typ: AttrType) -> Option<RawAttribute<'a>> {
        self.attributes().find(|a| a.typ == typ)
    }

    /// The first attribute of type `A`, decoded: `Ok(None)` when absent, `Err` when malformed.
    pub fn get<A: Attribute<'a>>(&self) -> Result<Option<A>, Error> {
        match self.raw(A::TYPE) {
            None => Ok(None),
            Some(raw) => A::decode(raw.value, &self.transaction_id())
                .map(Some)
                .map_err(|kind| Error::Attribute {
                    attr: A::TYPE,
                    kind,
                }),
        }
    }

    /// The first attribute of type `A`, decoded; [`Error::Missing`] when absent.
    pub fn require<A: Attribute<'a>>(&self) -> Result<A, Error> {
        self.get::<A>()?.ok_or(Error::Missing(A::TYPE))
    }

    /// Comprehension-required attributes (type below 0x8000) this crate does not know, which
    /// a request handler must answer with 420 (RFC 8489 section 6.3.1.1).
    pub fn unknown_comprehension_required(&self) -> impl Iterator<Item = AttrType> + 'a {
        self.attributes()
            .map(|a| a.typ)
            .filter(|t| t.is_comprehension_required() && !t.is_known())
    }

    /// Offset of the MESSAGE-INTEGRITY attribute, if present.
    #[must_use]
    pub fn integrity_offset(&self) -> Option<usize> {
        self.integrity.map(usize::from)
    }

    /// Offset of the MESSAGE-INTEGRITY-SHA256 attribute, if present.
    #[must_use]
    pub fn integrity_sha256_offset(&self) -> Option<usize> {
        self.integrity_sha256.map(usize::from)
    }

    /// Offset of the FINGERPRINT attribute, if present.
    #[must_use]
    pub fn fingerprint_offset(&self) -> Option<usize> {
        self.fingerprint.map(usize::from)
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 if present, else MESSAGE-INTEGRITY (RFC 8489
    /// section 9.1.3 and 9.2.4), in constant time. [`Error::Missing`] when neither is present.
    pub fn verify_integrity(&self, key: &Key) -> Result<(), Error> {
        if let Some(at) = self.integrity_sha256 {
            integrity::verify_sha256(self.buf, usize::from(at), key)
        } else if let Some(at) = self.integrity {
            integrity::verify_sha1(self.buf, usize::from(at), key)
        } else {
            Err(Error::Missing(AttrType::MESSAGE_INTEGRITY))
        }
    }

    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) only.
    pub fn verify_integrity_sha1(&self, key: &Key) -> Result<(), Error> {
        let at = self
            .integrity
            .ok_or(Error::Missing(AttrType::MESSAGE_INTEGRITY))?;
        integrity::verify_sha1(self.buf, usize::from(at), key)
    }

    /// Checks FINGERPRINT (RFC 8489 section 14.7). [`Error::Missing`] when absent.
    pub fn verify_fingerprint(&self) -> Result<(), Error> {
        let at = self
            .fingerprint
            .ok_or(Error::Missing(AttrType::FINGERPRINT))?;
        integrity::verify_fingerprint(self.buf, usize::from(at))
    }
}

/// Iterator over the counted attributes of a [`Message`].
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    buf: &'a [u8],
    offset: usize,
    seen: Seen,
}

impl<'a> Iterator for Attributes<'a> {
    type Item = RawAttribute<'a>;

    fn next(&mut self) -> Option<RawAttribute<'a>> {
        // The structure was checked by `Message::parse`; `get` keeps this panic-free anyway.
        while self.seen != Seen::Fingerprint {
            let header = self.buf.get(self.offset..self.offset + ATTR_HEADER_LEN)?;
            let typ = AttrType(u16::from_be_bytes([header[0], header[1]]));
            let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
            let start = self.offset + ATTR_HEADER_LEN;
            let value = self.buf.get(start..start + len)?;
            let offset = self.offset;
            self.offset = start + len.next_multiple_of(4);
            if self.seen.admits(typ) {
                self.seen = self.seen.after(typ);
                return Some(RawAttribute { typ, value, offset });
            }
        }
        None
    }
}

/// What a [`MessageWriter`] has sealed the message with so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Sealed {
    Open,
    Integrity,
    IntegritySha256,
    Fingerprint,
}

/// Writes a STUN message at the end of a buffer the caller owns.
///
/// Nothing is allocated when the buffer has the capacity. The header's length field is kept
/// current after every attribute, so the bytes are a whole message at any point.
///
/// ```
/// use wren_stun::{attr, Key, Message, MessageType, MessageWriter, TransactionId};
///
/// let key = Key::short_term("VOkJxbRl1RmTxUk/WvJxBt").unwrap();
/// let mut buf = Vec::with_capacity(128);
/// let mut w = MessageWriter::new(&mut buf, MessageType::BINDING_REQUEST, TransactionId([1; 12]));
/// w.add(&attr::Username("evtj:h6vY")).unwrap();
/// w.add(&attr::Priority(0x6e0001ff)).unwrap();
/// w.add_message_integrity(&key).unwrap();
/// w.add_fingerprint().unwrap();
/// let len = w.finish();
///
/// let msg = Message::parse(&buf[..len]).unwrap();
/// msg.verify_integrity(&key).unwrap();
/// msg.verify_fingerprint().unwrap();
/// assert_eq!(msg.require::<attr::Username>().unwrap().0, "evtj:h6vY");
/// ```
#[derive(Debug)]
pub struct MessageWriter<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    tid: TransactionId,
    sealed: Sealed,
    padding: u8,
}

impl<'b> MessageWriter<'b> {
    /// Starts a message of type `typ` with transaction ID `tid` at the end of `buf`.
    pub fn new(buf: &'b mut Vec<u8>, typ: MessageType, tid: TransactionId) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&typ.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&MAGIC_COOKIE.to_be_bytes());
        buf.extend_from_slice(&tid.0);
        MessageWriter {
            buf,
            start,
            tid,
            sealed: Sealed::Open,
            padding: 0,
        }
    }

    /// Starts a message for an RFC 3489 peer, whose 128-bit transaction ID takes the place
    /// of the magic cookie.
    pub fn new_rfc3489(buf: &'b mut Vec<u8>, typ: MessageType, id: [u8; 16]) -> Self {
        let start = buf.len();
        buf.extend_from_slice(&typ.to_u16().to_be_bytes());
        buf.extend_from_slice(&[0, 0]);
        buf.extend_from_slice(&id);
        let mut tid = [0u8; 12];
        tid.copy_from_slice(&id[4..]);
        MessageWriter {
            buf,
            start,
            tid: TransactionId(tid),
            sealed: Sealed::Open,
            padding: 0,
        }
    }

    /// Sets the byte used to pad attribute values to four bytes (zero by default; RFC 8489
    /// section 14 lets it be anything, and some RFC 5769 vectors use spaces).
    pub fn set_padding_byte(&mut self, byte: u8) {
        self.padding = byte;
    }

    /// The transaction ID being written.
    #[must_use]
    pub fn transaction_id(&self) -> TransactionId {
        self.tid
    }

    /// Appends a typed attribute.
    pub fn add<'x, A: Attribute<'x>>(&mut self, attr: &A) -> Result<(), Error> {
        self.add_encoded(A::TYPE, attr.encoded_len(), |out, tid| {
            attr.encode(out, tid)
        })
    }

    /// Appends an attribute of type `typ` whose value `encode` writes into the `len` bytes
    /// reserved for it.
    fn add_encoded(
        &mut self,
        typ: AttrType,
        len: usize,
        encode: impl FnOnce(&mut [u8], &TransactionId),
    ) -> Result<(), Error> {
        self.check_open(typ)?;
        let value_at = self.push_header(typ, len)?;
        let tid = self.tid;
        encode(&mut self.buf[value_at..value_at + len], &tid);
        Ok(())
    }

    /// Appends an attribute from its type and raw value (for attributes this crate does not
    /// type, or to write deliberately odd messages in tests).
    pub fn add_raw(&mut self, typ: AttrType, value: &[u8]) -> Result<(), Error> {
        self.add_encoded(typ, value.len(), |out, _| out.copy_from_slice(value))
    }

    /// Appends MESSAGE-INTEGRITY (HMAC-SHA1 over the message so far, RFC 8489 section 14.5).
    pub fn add_message_integrity(&mut self, key: &Key) -> Result<(), Error> {
        if self.sealed >= Sealed::Integrity {
            return Err(Error::AfterIntegrity(AttrType::MESSAGE_INTEGRITY));
        }
        let at = self.push_header(AttrType::MESSAGE_INTEGRITY, 20)?;
        let mac = integrity::hmac_sha1(key, &self.buf[self.start..at - ATTR_HEADER_LEN], None);
        self.buf[at..at + 20].copy_from_slice(&mac);
        self.sealed = Sealed::Integrity;
        Ok(())
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256 over the message so far, full 32 bytes,
    /// RFC 8489 section 14.6).
    pub fn add_message_integrity_sha256(&mut self, key: &Key) -> Result<(), Error> {
        self.add_message_integrity_sha256_truncated(key, 32)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 truncated to its `len` leftmost bytes; `len` is
    /// rounded down to a multiple of 4 and kept within 16..=32 (RFC 8489 section 14.6).
    pub fn add_message_integrity_sha256_truncated(
        &mut self,
        key: &Key,
        len: usize,
    ) -> Result<(), Error> {
        if self.sealed >= Sealed::IntegritySha256 {
            return Err(Error::AfterIntegrity(AttrType::MESSAGE_INTEGRITY_SHA256));
        }
        let len = (len / 4 * 4).clamp(16, 32);
        let at = self.push_header(AttrType::MESSAGE_INTEGRITY_SHA256, len)?;
        let mac = integrity::hmac_sha256(key, &self.buf[self.start..at - ATTR_HEADER_LEN], None);
        self.buf[at..at + len].copy_from_slice(&mac[..len]);
        self.sealed = Sealed::IntegritySha256;
        Ok(())
    }

    /// Appends FINGERPRINT (CRC-32 of the message so far XOR 0x5354554e, RFC 8489 section 14.7).
    pub fn add_fingerprint(&mut self) -> Result<(), Error> {
        if self.sealed >= Sealed::Fingerprint {
            return Err(Error::AfterIntegrity(AttrType::FINGERPRINT));
        }
        let at = self.push_header(AttrType::FINGERPRINT, 4)?;
        let crc = integrity::fingerprint(&self.buf[self.start..at - ATTR_HEADER_LEN]);
        self.buf[at..at + 4].copy_from_slice(&crc.to_be_bytes());
        self.sealed = Sealed::Fingerprint;
        Ok(())
    }

    /// Ends the message and returns its length in bytes.
    pub fn finish(self) -> usize {
        self.buf.len() - self.start
    }

    fn check_open(&self, typ: AttrType) -> Result<(), Error> {
        if self.sealed == Sealed::Open {
            Ok(())
        } else {
            Err(Error::AfterIntegrity(typ))
        }
    }

    /// Appends an attribute header and a zeroed, padded value area; updates the message
    /// length; returns where the value starts.
    fn push_header(&mut self, typ: AttrType, len: usize) -> Result<usize, Error> {
        let padded = len.next_multiple_of(4);
        let body = self.buf.len() - self.start - HEADER_LEN + ATTR_HEADER_LEN + padded;
        let (Ok(value_len), Ok(body_len)) = (u16::try_from(len), u16::try_from(body)) else {
            return Err(Error::TooLong(body));
        };
        self.buf.extend_from_slice(&typ.0.to_be_bytes());
        self.buf.extend_from_slice(&value_len.to_be_bytes());
        let value_at = self.buf.len();
        self.buf.resize(value_at + len, 0);
        self.buf.resize(value_at + padded, self.padding);
        self.buf[self.start + 2..self.start + 4].copy_from_slice(&body_len.to_be_bytes());
        Ok(value_at)
    }
}

impl AnyAttribute<'_> {
    /// Appends this attribute to `w`.
    ///
    /// (Defined here, beside [`MessageWriter`], so that the attribute types need nothing of
    /// the writer.)
    pub fn write_to(&self, w: &mut MessageWriter<'_>) -> Result<(), Error> {
        w.add_encoded(self.attr_type(), self.encoded_len(), |out, tid| {
            self.encode(out, tid);
        })
    }
}
