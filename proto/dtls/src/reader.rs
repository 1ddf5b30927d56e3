//! A bounds-checked cursor over borrowed bytes, for the TLS presentation language's
//! integers and length-prefixed vectors (RFC 5246 section 4).

use crate::ParseError;

/// Reads fields front to back; every read either returns the field or says what was cut.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ParseError> {
        if self.buf.len() < n {
            return Err(ParseError::Truncated {
                what,
                needed: n,
                have: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        what: &'static str,
    ) -> Result<&'a [u8; N], ParseError> {
        let b = self.bytes(N, what)?;
        // `bytes` returned exactly N bytes.
        b.try_into().map_err(|_| ParseError::Truncated {
            what,
            needed: N,
            have: b.len(),
        })
    }

    /// A big-endian unsigned integer of `n` bytes (at most 8).
    pub(crate) fn uint(&mut self, n: usize, what: &'static str) -> Result<u64, ParseError> {
        let b = self.bytes(n, what)?;
        Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, ParseError> {
        Ok(self.bytes(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, ParseError> {
        let b = self.array::<2>(what)?;
        Ok(u16::from_be_bytes(*b))
    }

    pub(crate) fn u24(&mut self, what: &'static str) -> Result<u32, ParseError> {
        // Three bytes always fit a u32.
        Ok(self.uint(3, what)? as u32)
    }

    /// A vector with a length prefix of `prefix` bytes, its length between `min` and `max`.
    pub(crate) fn vec(
        &mut self,
        prefix: usize,
        min: usize,
        max: usize,
        what: &'static str,
    ) -> Result<&'a [u8], ParseError> {
        let len = self.uint(prefix, what)?;
        let n = usize::try_from(len).unwrap_or(usize::MAX);
        if n < min || n > max {
            return Err(ParseError::Invalid { what, value: len });
        }
        self.bytes(n, what)
    }

    /// What is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Fails unless everything was read.
    pub(crate) fn finish(&self, what: &'static str) -> Result<(), ParseError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(ParseError::Trailing {
                what,
                extra: self.buf.len(),
            })
        }
    }
}

/// A list of big-endian `u16` values (cipher suites, groups, schemes, profiles), borrowed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct U16List<'a>(pub(crate) &'a [u8]);

impl<'a> U16List<'a> {
    /// A list of the bytes of an even-length vector.
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Result<U16List<'a>, ParseError> {
        if bytes.len() % 2 != 0 {
            return Err(ParseError::Invalid {
                what,
                value: bytes.len() as u64,
            });
        }
        Ok(U16List(bytes))
    }

    /// The values, in order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + 'a {
        self.0
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
    }

    /// Whether `v` is in the list.
    #[must_use]
    pub fn contains(&self, v: u16) -> bool {
        self.iter().any(|x| x == v)
    }

    /// How many values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len() / 2
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for U16List<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|v| format!("{v:#06x}")))
            .finish()
    }
}

/// Appends a vector with a `prefix`-byte length, its body written by `body`.
pub(crate) fn write_vec(out: &mut Vec<u8>, prefix: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend(std::iter::repeat_n(0, prefix));
    body(out);
    let len = (out.len() - at - prefix) as u64;
    for i in 0..prefix {
        out[at + i] = (len >> (8 * (prefix - 1 - i))) as u8;
    }
}

/// Appends `v` as a `n`-byte big-endian integer.
pub(crate) fn write_uint(out: &mut Vec<u8>, v: u64, n: usize) {
    for i in (0..n).rev() {
        out.push((v >> (8 * i)) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_and_vectors_and_says_what_was_cut() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 3, 2, 0xaa, 0xbb, 9]);
        assert_eq!(r.u8("a"), Ok(1));
        assert_eq!(r.u16("b"), Ok(2));
        assert_eq!(r.u24("c"), Ok(3));
        assert_eq!(r.vec(1, 0, 2, "d"), Ok(&[0xaa, 0xbb][..]));
        assert_eq!(
            r.u16("e"),
            Err(ParseError::Truncated {
                what: "e",
                needed: 2,
                have: 1
            })
        );
        assert_eq!(
            Reader::new(&[3, 1]).vec(1, 0, 2, "f"),
            Err(ParseError::Invalid {
                what: "f",
                value: 3
            })
        );
        assert!(U16List::new(&[1, 2, 3], "odd").is_err());
    }

    #[test]
    fn write_vec_fills_in_the_length() {
        let mut out = vec![7];
        write_vec(&mut out, 2, |o| o.extend_from_slice(&[1, 2, 3]));
        write_uint(&mut out, 0x010203, 3);
        assert_eq!(out, [7, 0, 3, 1, 2, 3, 1, 2, 3]);
    }
}
