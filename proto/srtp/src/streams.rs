//! Per-SSRC state, created on first use up to a bound (RFC 3711 s3.2.3: one cryptographic
//! context per SSRC under a master key).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::error::Error;

/// A table of per-SSRC state with at most `max` entries.
///
/// Lookups hash the SSRC with one multiplication: entries are created only for packets
/// that authenticated (inbound) or that the application sends (outbound), so no one
/// outside can choose colliding keys, and the bound caps the table anyway.
#[derive(Debug)]
pub(crate) struct Streams<S> {
    map: HashMap<u32, S, BuildHasherDefault<SsrcHasher>>,
    max: usize,
}

impl<S> Streams<S> {
    pub(crate) fn new(max: usize) -> Streams<S> {
        Streams {
            map: HashMap::default(),
            max,
        }
    }

    pub(crate) fn get_mut(&mut self, ssrc: u32) -> Option<&mut S> {
        self.map.get_mut(&ssrc)
    }

    /// Refuses a new SSRC past the bound.
    pub(crate) fn check_room(&self, ssrc: u32) -> Result<(), Error> {
        if self.map.len() >= self.max {
            Err(Error::TooManySsrcs {
                ssrc,
                max: self.max,
            })
        } else {
            Ok(())
        }
    }

    /// Adds the state of a new SSRC; [`Self::check_room`] said yes.
    pub(crate) fn insert(&mut self, ssrc: u32, state: S) -> &mut S {
        self.map.entry(ssrc).or_insert(state)
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn remove(&mut self, ssrc: u32) -> bool {
        self.map.remove(&ssrc).is_some()
    }
}

/// A hasher for one `u32`: a multiplication by an odd constant (Fibonacci hashing), with
/// the high bits folded down for hashbrown, which takes its control bits from the top.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SsrcHasher(u64);

impl Hasher for SsrcHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u32(u32::from(b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        let h = (self.0 ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_holds() {
        let mut s = Streams::new(2);
        for ssrc in [1, 2] {
            s.check_room(ssrc).unwrap();
            s.insert(ssrc, ());
        }
        assert_eq!(
            s.check_room(3),
            Err(Error::TooManySsrcs { ssrc: 3, max: 2 })
        );
        assert!(s.get_mut(2).is_some());
        assert!(s.remove(1));
        assert_eq!(s.len(), 1);
        assert_eq!(s.check_room(3), Ok(()));
    }
}
