//! Handshake message framing (RFC 6347 section 4.2.2): each handshake message carries a
//! sequence number and may be cut into fragments, each with its offset and length, so that
//! a flight fits the path MTU. [`Fragment`] is a view of one; a record body may hold
//! several ([`fragments`]). [`write_fragments`] cuts a message for sending.

use crate::ParseError;
use crate::codes::HandshakeType;
use crate::reader::{Reader, write_uint};

/// Bytes of a handshake fragment header.
pub const HEADER_LEN: usize = 12;

/// The largest handshake message accepted (a certificate chain of a few KB is the largest a
/// WebRTC peer sends; a 1.3-style ClientHello with a post-quantum key share is about 1.4 KB).
pub const MAX_MESSAGE: u32 = 1 << 16;

/// One fragment of a handshake message, borrowed from its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'a> {
    /// The message type.
    pub msg_type: HandshakeType,
    /// The whole message's body length.
    pub length: u32,
    /// The message's sequence number (counted per handshake, from 0).
    pub message_seq: u16,
    /// Where this fragment's bytes go in the body.
    pub offset: u32,
    /// The fragment's bytes.
    pub body: &'a [u8],
}

impl<'a> Fragment<'a> {
    /// Parses the fragment at the start of `buf`; returns it and what follows.
    pub fn parse(buf: &'a [u8]) -> Result<(Fragment<'a>, &'a [u8]), ParseError> {
        let mut r = Reader::new(buf);
        let msg_type = HandshakeType(r.u8("handshake type")?);
        let length = r.u24("handshake length")?;
        let message_seq = r.u16("handshake message_seq")?;
        let offset = r.u24("handshake fragment_offset")?;
        let fragment_length = r.u24("handshake fragment_length")?;
        if length > MAX_MESSAGE {
            return Err(ParseError::Invalid {
                what: "handshake length",
                value: u64::from(length),
            });
        }
        if u64::from(offset) + u64::from(fragment_length) > u64::from(length) {
            return Err(ParseError::Invalid {
                what: "handshake fragment end",
                value: u64::from(offset) + u64::from(fragment_length),
            });
        }
        let body = r.bytes(fragment_length as usize, "handshake fragment")?;
        let rest = r.rest();
        Ok((
            Fragment {
                msg_type,
                length,
                message_seq,
                offset,
                body,
            },
            rest,
        ))
    }

    /// Whether the fragment is the whole message.
    #[must_use]
    pub fn is_whole(&self) -> bool {
        self.offset == 0 && self.body.len() as u64 == u64::from(self.length)
    }
}

/// The fragments of a handshake record's body, in order; a fragment that does not parse
/// ends the walk after yielding the error.
pub fn fragments(body: &[u8]) -> Fragments<'_> {
    Fragments { rest: body }
}

/// Iterator of [`fragments`].
#[derive(Debug, Clone)]
pub struct Fragments<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Fragments<'a> {
    type Item = Result<Fragment<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Fragment::parse(self.rest) {
            Ok((f, rest)) => {
                self.rest = rest;
                Some(Ok(f))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Appends the header of a fragment of `len` bytes at `offset` of a message of `length`.
pub fn write_header(
    out: &mut Vec<u8>,
    msg_type: HandshakeType,
    length: u32,
    message_seq: u16,
    offset: u32,
    len: u32,
) {
    out.push(msg_type.0);
    write_uint(out, u64::from(length), 3);
    out.extend_from_slice(&message_seq.to_be_bytes());
    write_uint(out, u64::from(offset), 3);
    write_uint(out, u64::from(len), 3);
}

/// Cuts message `body` into fragments of at most `max_fragment` body bytes (at least 1)
/// and hands each, header included, to `emit`. An empty body is one empty fragment.
pub fn write_fragments(
    msg_type: HandshakeType,
    message_seq: u16,
    body: &[u8],
    max_fragment: usize,
    mut emit: impl FnMut(&[u8]),
) {
    let max = max_fragment.max(1);
    let length = body.len() as u32;
    let mut buf = Vec::with_capacity(HEADER_LEN + max.min(body.len()));
    let mut offset = 0;
    loop {
        let chunk = &body[offset..body.len().min(offset + max)];
        buf.clear();
        write_header(
            &mut buf,
            msg_type,
            length,
            message_seq,
            offset as u32,
            chunk.len() as u32,
        );
        buf.extend_from_slice(chunk);
        emit(&buf);
        offset += chunk.len();
        if offset >= body.len() {
            break;
        }
    }
}

/// The message as the handshake transcript hashes it: one fragment holding all of it
/// (RFC 6347 section 4.2.6).
pub fn write_whole(out: &mut Vec<u8>, msg_type: HandshakeType, message_seq: u16, body: &[u8]) {
    let len = body.len() as u32;
    write_header(out, msg_type, len, message_seq, 0, len);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_cut_to_the_mtu_parses_back_fragment_by_fragment() {
        let body: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let mut cut = Vec::new();
        write_fragments(HandshakeType::CERTIFICATE, 3, &body, 300, |f| {
            cut.push(f.to_vec())
        });
        assert_eq!(cut.len(), 4);
        let mut joined = Vec::new();
        for (i, c) in cut.iter().enumerate() {
            let (f, rest) = Fragment::parse(c).unwrap();
            assert!(rest.is_empty());
            assert_eq!(
                (f.msg_type, f.length, f.message_seq, f.offset),
                (HandshakeType::CERTIFICATE, 1000, 3, 300 * i as u32)
            );
            joined.extend_from_slice(f.body);
        }
        assert_eq!(joined, body);
        let mut empty = Vec::new();
        write_fragments(HandshakeType::SERVER_HELLO_DONE, 4, &[], 300, |f| {
            empty.push(f.to_vec())
        });
        assert_eq!(empty.len(), 1);
        assert!(Fragment::parse(&empty[0]).unwrap().0.is_whole());
    }

    #[test]
    fn fragments_that_overrun_their_message_are_refused() {
        let mut f = Vec::new();
        write_header(&mut f, HandshakeType::CLIENT_HELLO, 10, 0, 8, 4);
        f.extend_from_slice(&[0; 4]);
        assert!(matches!(
            Fragment::parse(&f),
            Err(ParseError::Invalid {
                what: "handshake fragment end",
                ..
            })
        ));
        let mut huge = Vec::new();
        write_header(
            &mut huge,
            HandshakeType::CLIENT_HELLO,
            MAX_MESSAGE + 1,
            0,
            0,
            0,
        );
        assert!(Fragment::parse(&huge).is_err());
        // Two fragments in one record body, then junk.
        let mut two = Vec::new();
        write_whole(&mut two, HandshakeType::SERVER_HELLO_DONE, 1, &[]);
        write_whole(&mut two, HandshakeType::FINISHED, 2, &[9; 12]);
        two.push(1);
        let got: Vec<_> = fragments(&two).collect();
        assert_eq!(got.len(), 3);
        assert!(got[0].is_ok() && got[1].is_ok() && got[2].is_err());
    }
}
