//! The descriptor's bit reader: `f(n)` and `ns(n)` of the AV1 RTP specification's
//! Appendix A.8 (most significant bit first, as AV1 section 4.10.2 and 4.10.7 define them).

use super::DescriptorError;

/// Reads bits in order from a borrowed extension payload, refusing to run past its end.
pub(super) struct Bits<'a> {
    data: &'a [u8],
    /// Bits consumed so far (`TotalConsumedBits`).
    at: usize,
}

impl<'a> Bits<'a> {
    pub(super) fn new(data: &'a [u8]) -> Bits<'a> {
        Bits { data, at: 0 }
    }

    /// `f(n)`, n at most 32: an unsigned value of `n` bits.
    pub(super) fn f(&mut self, n: u32, field: &'static str) -> Result<u32, DescriptorError> {
        debug_assert!(n <= 32);
        let n = n as usize;
        if self.data.len() * 8 - self.at < n {
            return Err(DescriptorError::Truncated(field));
        }
        let mut v = 0u64;
        for _ in 0..n {
            let byte = self.data.get(self.at / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - self.at % 8)) & 1;
            v = v << 1 | u64::from(bit);
            self.at += 1;
        }
        Ok(v as u32)
    }

    /// `f(1)` as a flag.
    pub(super) fn flag(&mut self, field: &'static str) -> Result<bool, DescriptorError> {
        Ok(self.f(1, field)? == 1)
    }

    /// `ns(n)`: a non-symmetric unsigned value in `0..n` (AV1 section 4.10.7); `ns(0)` and
    /// `ns(1)` read nothing and are 0.
    pub(super) fn ns(&mut self, n: u32, field: &'static str) -> Result<u32, DescriptorError> {
        if n <= 1 {
            return Ok(0);
        }
        let w = 32 - n.leading_zeros();
        let m = (1u32 << w) - n;
        let v = self.f(w - 1, field)?;
        if v < m {
            return Ok(v);
        }
        let extra = self.f(1, field)?;
        Ok((v << 1) - m + extra)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f_reads_most_significant_bit_first_across_bytes() {
        let mut b = Bits::new(&[0b1010_1100, 0b0111_0000]);
        assert_eq!(b.f(1, "a").unwrap(), 1);
        assert_eq!(b.f(3, "b").unwrap(), 0b010);
        assert_eq!(b.f(7, "c").unwrap(), 0b110_0011);
        assert_eq!(b.f(5, "d").unwrap(), 0b10000);
        assert_eq!(b.f(1, "e"), Err(DescriptorError::Truncated("e")));
        assert_eq!(b.f(0, "f").unwrap(), 0);
    }

    #[test]
    fn ns_matches_av1_section_4_10_7() {
        // ns(3): w = 2, m = 1: '0' -> 0, '10' -> 1, '11' -> 2.
        let mut b = Bits::new(&[0b0101_1000]);
        assert_eq!(b.ns(3, "x").unwrap(), 0);
        assert_eq!(b.ns(3, "x").unwrap(), 1);
        assert_eq!(b.ns(3, "x").unwrap(), 2);
        // ns(10): w = 4, m = 6: three bits below 6 are the value; 110 + extra bit 1 -> 7.
        let mut b = Bits::new(&[0b0111_1010]);
        assert_eq!(b.ns(10, "x").unwrap(), 3);
        assert_eq!(b.ns(10, "x").unwrap(), 7);
        // ns(1) reads nothing.
        let mut b = Bits::new(&[]);
        assert_eq!(b.ns(1, "x").unwrap(), 0);
        assert_eq!(b.ns(0, "x").unwrap(), 0);
    }
}
