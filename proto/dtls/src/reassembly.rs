//! Handshake messages put back together from fragments that arrive in any order, repeated
//! or overlapping (RFC 6347 section 4.2.3), and handed out in message_seq order. A browser's
//! 1.4 KB ClientHello arrives as two fragments in two datagrams; a certificate chain cut to a
//! small MTU in many. What is held is bounded: messages too far ahead are ignored, and the
//! bytes held in total are capped.

use crate::codes::HandshakeType;
use crate::handshake::Fragment;

/// How many messages past the next expected one are held.
pub const MAX_AHEAD: u16 = 8;

/// A whole handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its type.
    pub msg_type: HandshakeType,
    /// Its sequence number.
    pub message_seq: u16,
    /// Its body.
    pub body: Vec<u8>,
}

/// What became of a fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insert {
    /// Kept (new bytes, or a repeat of bytes held).
    Kept,
    /// Of a message handed out already: the peer retransmits its last flight, which means
    /// ours was lost (RFC 6347 section 4.2.4).
    Old,
    /// Too far ahead of the next message to hold.
    Ahead,
}

/// Why fragments could not be put together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReassemblyError {
    /// Two fragments of one message disagree on its type or length, or one reaches past
    /// the length.
    #[error("fragments of handshake message {message_seq} disagree on its type or length")]
    Inconsistent {
        /// The message.
        message_seq: u16,
    },
    /// Holding the fragment would pass the byte bound.
    #[error("handshake messages being reassembled exceed {max} bytes")]
    TooLarge {
        /// The bound.
        max: usize,
    },
}

#[derive(Debug)]
struct Partial {
    msg_type: HandshakeType,
    message_seq: u16,
    body: Vec<u8>,
    /// Byte ranges received, sorted and merged.
    have: Vec<(usize, usize)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.body.is_empty() || self.have.first() == Some(&(0, self.body.len()))
    }

    fn add(&mut self, offset: usize, bytes: &[u8]) {
        let end = offset + bytes.len();
        self.body[offset..end].copy_from_slice(bytes);
        if bytes.is_empty() {
            return;
        }
        self.have.push((offset, end));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }
}

/// The reassembly state of one direction of a handshake.
#[derive(Debug)]
pub struct Reassembler {
    next_seq: u16,
    partial: Vec<Partial>,
    max_bytes: usize,
}

impl Reassembler {
    /// Expects message `next_seq` first; holds at most `max_bytes` of message bodies.
    #[must_use]
    pub fn new(next_seq: u16, max_bytes: usize) -> Reassembler {
        Reassembler {
            next_seq,
            partial: Vec::new(),
            max_bytes,
        }
    }

    /// The sequence number of the next message to hand out.
    #[must_use]
    pub fn next_seq(&self) -> u16 {
        self.next_seq
    }

    /// Takes a fragment.
    pub fn insert(&mut self, f: &Fragment<'_>) -> Result<Insert, ReassemblyError> {
        if f.message_seq < self.next_seq {
            return Ok(Insert::Old);
        }
        if f.message_seq - self.next_seq >= MAX_AHEAD {
            return Ok(Insert::Ahead);
        }
        let length = f.length as usize;
        // `Fragment::parse` checks this; a fragment built by hand might not.
        if f.offset as usize + f.body.len() > length {
            return Err(ReassemblyError::Inconsistent {
                message_seq: f.message_seq,
            });
        }
        let i = match self
            .partial
            .iter()
            .position(|p| p.message_seq == f.message_seq)
        {
            Some(i) => {
                let p = &self.partial[i];
                if p.msg_type != f.msg_type || p.body.len() != length {
                    return Err(ReassemblyError::Inconsistent {
                        message_seq: f.message_seq,
                    });
                }
                i
            }
            None => {
                let held: usize = self.partial.iter().map(|p| p.body.len()).sum();
                if held + length > self.max_bytes {
                    return Err(ReassemblyError::TooLarge {
                        max: self.max_bytes,
                    });
                }
                self.partial.push(Partial {
                    msg_type: f.msg_type,
                    message_seq: f.message_seq,
                    body: vec![0; length],
                    have: Vec::new(),
                });
                self.partial.len() - 1
            }
        };
        self.partial[i].add(f.offset as usize, f.body);
        Ok(Insert::Kept)
    }

    /// The next message, once all of it is here.
    pub fn pop(&mut self) -> Option<Message> {
        let i = self
            .partial
            .iter()
            .position(|p| p.message_seq == self.next_seq && p.complete())?;
        let p = self.partial.swap_remove(i);
        self.next_seq = self.next_seq.wrapping_add(1);
        Some(Message {
            msg_type: p.msg_type,
            message_seq: p.message_seq,
            body: p.body,
        })
    }

    /// Whether part of the next message is here but not all of it.
    #[must_use]
    pub fn has_partial(&self) -> bool {
        !self.partial.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::handshake::write_fragments;

    fn cut(seq: u16, body: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        write_fragments(HandshakeType::CLIENT_HELLO, seq, body, max, |f| {
            out.push(f.to_vec())
        });
        out
    }

    fn feed(r: &mut Reassembler, raw: &[u8]) -> Result<Insert, ReassemblyError> {
        r.insert(&Fragment::parse(raw).unwrap().0)
    }

    #[test]
    fn a_client_hello_in_two_fragments_arriving_backwards_comes_out_whole() {
        let body: Vec<u8> = (0..1400u32).map(|i| (i * 7) as u8).collect();
        let parts = cut(0, &body, 1000);
        assert_eq!(parts.len(), 2);
        let mut r = Reassembler::new(0, 1 << 16);
        assert_eq!(feed(&mut r, &parts[1]), Ok(Insert::Kept));
        assert_eq!(r.pop(), None);
        assert!(r.has_partial());
        assert_eq!(feed(&mut r, &parts[1]), Ok(Insert::Kept), "a repeat");
        assert_eq!(feed(&mut r, &parts[0]), Ok(Insert::Kept));
        let m = r.pop().unwrap();
        assert_eq!(
            (m.msg_type, m.message_seq),
            (HandshakeType::CLIENT_HELLO, 0)
        );
        assert_eq!(m.body, body);
        assert_eq!(r.next_seq(), 1);
        assert_eq!(feed(&mut r, &parts[0]), Ok(Insert::Old));
    }

    #[test]
    fn messages_come_out_in_order_and_far_ones_are_not_held() {
        let mut r = Reassembler::new(0, 1 << 16);
        assert_eq!(feed(&mut r, &cut(1, b"second", 100)[0]), Ok(Insert::Kept));
        assert_eq!(r.pop(), None, "0 first");
        assert_eq!(feed(&mut r, &cut(0, b"first", 100)[0]), Ok(Insert::Kept));
        assert_eq!(r.pop().unwrap().body, b"first");
        assert_eq!(r.pop().unwrap().body, b"second");
        assert_eq!(
            feed(&mut r, &cut(2 + MAX_AHEAD, b"x", 100)[0]),
            Ok(Insert::Ahead)
        );
    }

    #[test]
    fn disagreeing_fragments_and_too_many_bytes_are_errors() {
        let mut r = Reassembler::new(0, 100);
        feed(&mut r, &cut(0, &[1; 50], 10)[0]).unwrap();
        assert_eq!(
            feed(&mut r, &cut(0, &[1; 60], 10)[1]),
            Err(ReassemblyError::Inconsistent { message_seq: 0 })
        );
        assert_eq!(
            feed(&mut r, &cut(1, &[1; 60], 10)[0]),
            Err(ReassemblyError::TooLarge { max: 100 })
        );
        // A fragment made by hand that reaches past its message.
        let past = Fragment {
            msg_type: HandshakeType::FINISHED,
            length: 4,
            message_seq: 0,
            offset: 2,
            body: &[1, 2, 3],
        };
        assert_eq!(
            Reassembler::new(0, 100).insert(&past),
            Err(ReassemblyError::Inconsistent { message_seq: 0 })
        );
    }

    proptest! {
        #[test]
        fn any_cut_in_any_order_with_repeats_reassembles(
            body in proptest::collection::vec(any::<u8>(), 0..3000),
            max in 1usize..1500,
            order in proptest::collection::vec(any::<usize>(), 0..40),
        ) {
            let parts = cut(0, &body, max);
            let mut r = Reassembler::new(0, 1 << 16);
            for i in order {
                feed(&mut r, &parts[i % parts.len()]).unwrap();
            }
            for p in &parts {
                feed(&mut r, p).unwrap();
            }
            let m = r.pop().unwrap();
            prop_assert_eq!(m.body, body);
            prop_assert!(!r.has_partial());
        }
    }
}
