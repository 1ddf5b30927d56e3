//! Seeded randomness: every machine owns an [`Rng`], no machine reads a global one.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// A ChaCha20-based cryptographically secure generator, seeded explicitly.
///
/// STUN transaction IDs, ICE credentials, DTLS and SRTP material all come from it, so it is
/// a CSPRNG. With the same seed, a machine makes the same choices, which makes simulations
/// reproducible to the byte. Children get their own generator with [`Rng::fork`].
#[derive(Clone)]
pub struct Rng {
    inner: ChaCha20Rng,
}

impl std::fmt::Debug for Rng {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rng(..)")
    }
}

impl Rng {
    /// A generator that replays exactly from `seed`.
    #[must_use]
    pub fn from_seed(seed: [u8; 32]) -> Rng {
        Rng {
            inner: ChaCha20Rng::from_seed(seed),
        }
    }

    /// A generator seeded once from the operating system.
    ///
    /// # Panics
    ///
    /// If the operating system has no randomness to give (no input can cause this).
    #[must_use]
    pub fn from_os() -> Rng {
        let mut seed = [0u8; 32];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut seed).expect("the operating system RNG is available");
        Rng::from_seed(seed)
    }

    /// `Some(seed)` gives [`Rng::from_seed`], `None` gives [`Rng::from_os`]: the
    /// `rng_seed: Option<[u8; 32]>` convention of machine configs.
    #[must_use]
    pub fn from_config(seed: Option<[u8; 32]>) -> Rng {
        seed.map_or_else(Rng::from_os, Rng::from_seed)
    }

    /// A new, independent generator derived from this one (for a child machine).
    #[must_use]
    pub fn fork(&mut self) -> Rng {
        let mut seed = [0u8; 32];
        self.fill(&mut seed);
        Rng::from_seed(seed)
    }

    /// Fills `dest` with random bytes.
    pub fn fill(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest);
    }

    /// A random `u32`.
    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    /// A random `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A random array of `N` bytes.
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill(&mut out);
        out
    }

    /// A uniformly distributed value in `0..bound` (`0` when `bound` is `0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Rejection sampling keeps the distribution uniform.
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % bound;
            }
        }
    }
}

impl RngCore for Rng {
    fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.inner.fill_bytes(dest);
    }
}

impl rand_core::CryptoRng for Rng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::from_seed([7; 32]);
        let mut b = Rng::from_seed([7; 32]);
        assert_eq!(a.bytes::<64>(), b.bytes::<64>());
        let mut c = Rng::from_seed([8; 32]);
        assert_ne!(a.bytes::<32>(), c.bytes::<32>());
    }

    #[test]
    fn fork_is_deterministic_and_independent() {
        let mut a = Rng::from_seed([1; 32]);
        let mut b = Rng::from_seed([1; 32]);
        let mut fa = a.fork();
        let mut fb = b.fork();
        assert_eq!(fa.bytes::<16>(), fb.bytes::<16>());
        assert_ne!(a.bytes::<16>(), fa.bytes::<16>());
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::from_seed([3; 32]);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let v = r.below(7);
            assert!(v < 7);
            seen[v as usize] = true;
        }
        assert!(
            seen.iter().all(|s| *s),
            "every value of 0..7 comes up in 1000 draws"
        );
        assert_eq!(r.below(0), 0);
    }
}
