//! Extending wrapping counters to 64 bits: RTP sequence numbers (16 bits) and timestamps
//! (32 bits), in the manner of RFC 3550 Appendix A.1 (a wrap is a step across the
//! modulus that is shorter than half of it), tolerant of reordering.

/// Extends 16-bit RTP sequence numbers to a 64-bit count.
///
/// Each value is placed at the 64-bit position nearest the last one returned, so a late
/// packet from before a wrap gets a value below the wrap and the next in-order packet a
/// value above it. The first value is returned as is.
///
/// ```
/// use wren_rtp::rtp::unwrap::SeqUnwrapper;
///
/// let mut u = SeqUnwrapper::new();
/// assert_eq!(u.unwrap(65534), 65534);
/// assert_eq!(u.unwrap(1), 65537); // wrapped
/// assert_eq!(u.unwrap(65535), 65535); // a late packet from before the wrap
/// assert_eq!(u.unwrap(2), 65538);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeqUnwrapper {
    last: Option<u64>,
}

/// Extends 32-bit RTP timestamps to 64 bits, as [`SeqUnwrapper`] does sequence numbers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimestampUnwrapper {
    last: Option<u64>,
}

macro_rules! unwrapper {
    ($name:ident, $narrow:ty, $signed:ty, $bits:expr) => {
        impl $name {
            /// An unwrapper that has seen nothing.
            #[must_use]
            pub const fn new() -> Self {
                Self { last: None }
            }

            /// The last value returned.
            #[must_use]
            pub fn last(&self) -> Option<u64> {
                self.last
            }

            /// The 64-bit value of `v`: the one nearest the last returned (forward when
            /// exactly half the modulus away, and forward when backward would go below 0).
            pub fn unwrap(&mut self, v: $narrow) -> u64 {
                let out = match self.last {
                    None => u64::from(v),
                    Some(last) => {
                        let delta = v.wrapping_sub(last as $narrow) as $signed;
                        let delta = if delta == <$signed>::MIN {
                            -i64::from(delta)
                        } else {
                            i64::from(delta)
                        };
                        match last.checked_add_signed(delta) {
                            Some(x) => x,
                            None => last.wrapping_add_signed(delta).wrapping_add(1u64 << $bits),
                        }
                    }
                };
                self.last = Some(out);
                out
            }
        }
    };
}

unwrapper!(SeqUnwrapper, u16, i16, 16);
unwrapper!(TimestampUnwrapper, u32, i32, 32);
