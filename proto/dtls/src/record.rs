//! The record layer's framing (RFC 6347 section 4.1): a datagram holds one or more records,
//! each with a 13-byte header naming its content type, version, epoch and 48-bit sequence
//! number. [`Record`] is a view into the datagram; [`records`] walks them.

use crate::ParseError;
use crate::codes::{ContentType, ProtocolVersion};
use crate::reader::{Reader, write_uint};

/// Bytes of a record header.
pub const HEADER_LEN: usize = 13;

/// The largest record body accepted: 2^14 bytes of plaintext plus 2048 of expansion
/// (RFC 5246 section 6.2.3; RFC 6347 section 4.1).
pub const MAX_BODY: usize = (1 << 14) + 2048;

/// The largest 48-bit sequence number.
pub const MAX_SEQUENCE: u64 = (1 << 48) - 1;

/// One record of a datagram, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// What the body holds.
    pub content_type: ContentType,
    /// The version in the header.
    pub version: ProtocolVersion,
    /// The epoch: 0 until the sender's ChangeCipherSpec, one more after each.
    pub epoch: u16,
    /// The record's 48-bit sequence number within its epoch.
    pub sequence: u64,
    /// The body (a fragment, in RFC 6347's words): plaintext in epoch 0, protected after.
    pub body: &'a [u8],
    /// The header and body as they arrived (what AEAD additional data is made from).
    pub raw: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses the record at the start of `buf`; returns it and what follows it.
    pub fn parse(buf: &'a [u8]) -> Result<(Record<'a>, &'a [u8]), ParseError> {
        let mut r = Reader::new(buf);
        let content_type = ContentType(r.u8("record content type")?);
        if !(20..=23).contains(&content_type.0) {
            // Includes DTLS 1.3's unified headers (0b001xxxxx), which a 1.2 peer never sends.
            return Err(ParseError::Invalid {
                what: "record content type",
                value: u64::from(content_type.0),
            });
        }
        let version = ProtocolVersion(r.u16("record version")?);
        if version.0 >> 8 != 0xfe {
            return Err(ParseError::Invalid {
                what: "record version",
                value: u64::from(version.0),
            });
        }
        let epoch = r.u16("record epoch")?;
        let sequence = r.uint(6, "record sequence number")?;
        let body = r.vec(2, 0, MAX_BODY, "record body")?;
        let len = HEADER_LEN + body.len();
        Ok((
            Record {
                content_type,
                version,
                epoch,
                sequence,
                body,
                raw: &buf[..len],
            },
            &buf[len..],
        ))
    }
}

/// The records of a datagram, in order. A record that does not parse ends the walk (the
/// rest of the datagram is dropped, RFC 6347 section 4.1.2.7): the iterator yields that
/// error once and then nothing.
pub fn records(datagram: &[u8]) -> Records<'_> {
    Records { rest: datagram }
}

/// Iterator of [`records`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Record::parse(self.rest) {
            Ok((record, rest)) => {
                self.rest = rest;
                Some(Ok(record))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends a record header for a body of `len` bytes; the body follows.
pub fn write_header(
    out: &mut Vec<u8>,
    content_type: ContentType,
    version: ProtocolVersion,
    epoch: u16,
    sequence: u64,
    len: u16,
) {
    out.push(content_type.0);
    out.extend_from_slice(&version.0.to_be_bytes());
    out.extend_from_slice(&epoch.to_be_bytes());
    write_uint(out, sequence & MAX_SEQUENCE, 6);
    out.extend_from_slice(&len.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn record(ct: u8, epoch: u16, seq: u64, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write_header(
            &mut out,
            ContentType(ct),
            ProtocolVersion::DTLS1_2,
            epoch,
            seq,
            body.len() as u16,
        );
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn a_datagram_of_several_records_is_walked_in_order() {
        let mut d = record(22, 0, 1, b"hello");
        d.extend(record(20, 0, 2, &[1]));
        d.extend(record(22, 1, 0, b"finished"));
        let got: Vec<_> = records(&d).map(Result::unwrap).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(
            (got[0].content_type, got[0].sequence, got[0].body),
            (ContentType::HANDSHAKE, 1, &b"hello"[..])
        );
        assert_eq!(got[1].content_type, ContentType::CHANGE_CIPHER_SPEC);
        assert_eq!((got[2].epoch, got[2].body), (1, &b"finished"[..]));
        assert_eq!(got[2].raw.len(), HEADER_LEN + 8);
    }

    #[test]
    fn a_bad_record_ends_the_walk_once() {
        let mut d = record(22, 0, 1, b"ok");
        d.extend([22, 0xfe, 0xfd, 0, 0]); // cut inside the header
        let mut it = records(&d);
        assert!(it.next().unwrap().is_ok());
        assert!(matches!(it.next(), Some(Err(ParseError::Truncated { .. }))));
        assert!(it.next().is_none());
        // A DTLS 1.3 unified header, a TLS version, a body longer than the datagram.
        assert!(Record::parse(&[0x2c, 0xfe, 0xfd]).is_err());
        assert!(Record::parse(&record(22, 0, 0, b"x")[..]).is_ok());
        let mut tls = record(22, 0, 0, b"x");
        tls[1] = 3;
        assert!(Record::parse(&tls).is_err());
        let mut long = record(22, 0, 0, b"xy");
        long.pop();
        assert!(Record::parse(&long).is_err());
    }

    proptest! {
        #[test]
        fn header_round_trip(ct in 20u8..=23, epoch: u16, seq in 0..=MAX_SEQUENCE,
                             body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let d = record(ct, epoch, seq, &body);
            let (r, rest) = Record::parse(&d).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!((r.content_type.0, r.epoch, r.sequence, r.body), (ct, epoch, seq, &body[..]));
        }

        #[test]
        fn any_bytes_parse_or_fail_without_panic(d in proptest::collection::vec(any::<u8>(), 0..64)) {
            for r in records(&d) {
                let _ = r;
            }
        }
    }
}
