//! HMAC-SHA1 (RFC 2104) on RustCrypto's SHA-1 compression function, shared by STUN's
//! MESSAGE-INTEGRITY (wren-stun) and SRTP's authentication transform (wren-srtp, RFC 3711
//! section 4.2.1). Behind the `hmac-sha1` feature.
//!
//! Why not the `hmac` crate here: measured on these machines, `Hmac<Sha1>` spends about
//! 40 ns per MESSAGE-INTEGRITY in its generic block buffering around three SHA-1
//! compressions of ~30 ns each (the `sha1` crate uses the CPU's SHA extensions). This
//! module keeps the keyed inner and outer states as five words each and streams the message
//! through `sha1::compress` directly, which brings a STUN MESSAGE-INTEGRITY from about 130
//! to about 90 ns. The SHA-1 itself remains RustCrypto's. Tested against the `hmac` crate
//! and the RFC 2202 vectors.

use sha1::digest::consts::U64;
use sha1::digest::generic_array::GenericArray;

/// SHA-1's initial state (FIPS 180-4 section 5.3.1).
const IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];
/// The SHA-1 block size.
const BLOCK: usize = 64;

type Block = GenericArray<u8, U64>;

fn compress(state: &mut [u32; 5], block: &[u8]) {
    sha1::compress(state, std::slice::from_ref(Block::from_slice(block)));
}

/// SHA-1 from `state`, which has already hashed `before` bytes, over `data` with bytes 2..4
/// replaced by `patch` when given (a STUN header's length field), to the final digest
/// state. Whole blocks are compressed straight from `data`; only the tail is copied.
fn sha1_finish(mut state: [u32; 5], before: u64, data: &[u8], patch: Option<[u8; 2]>) -> [u32; 5] {
    let bits = (before + data.len() as u64).wrapping_mul(8);
    let mut chunks = data.chunks_exact(BLOCK);
    let mut first = true;
    for chunk in &mut chunks {
        match (first, patch) {
            (true, Some(p)) => {
                let mut block = [0u8; BLOCK];
                block.copy_from_slice(chunk);
                block[2..4].copy_from_slice(&p);
                compress(&mut state, &block);
            }
            _ => compress(&mut state, chunk),
        }
        first = false;
    }
    let rest = chunks.remainder();
    let mut tail = [0u8; 2 * BLOCK];
    tail[..rest.len()].copy_from_slice(rest);
    if let (true, Some(p), true) = (first, patch, rest.len() >= 4) {
        tail[2..4].copy_from_slice(&p);
    }
    tail[rest.len()] = 0x80;
    let end = if rest.len() < BLOCK - 8 {
        BLOCK
    } else {
        2 * BLOCK
    };
    tail[end - 8..end].copy_from_slice(&bits.to_be_bytes());
    for block in tail[..end].chunks_exact(BLOCK) {
        compress(&mut state, block);
    }
    state
}

fn digest_bytes(state: [u32; 5]) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// An HMAC-SHA1 key: the SHA-1 states after the inner and outer padded key blocks.
#[derive(Clone, Copy)]
pub struct HmacSha1 {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl HmacSha1 {
    /// Keys HMAC-SHA1 with `key` (hashed first when longer than a block, RFC 2104).
    #[must_use]
    pub fn new(key: &[u8]) -> HmacSha1 {
        let mut padded = [0u8; BLOCK];
        if key.len() > BLOCK {
            padded[..20].copy_from_slice(&digest_bytes(sha1_finish(IV, 0, key, None)));
        } else {
            padded[..key.len()].copy_from_slice(key);
        }
        let (mut ipad, mut opad) = (padded, padded);
        ipad.iter_mut().for_each(|b| *b ^= 0x36);
        opad.iter_mut().for_each(|b| *b ^= 0x5c);
        let (mut inner, mut outer) = (IV, IV);
        compress(&mut inner, &ipad);
        compress(&mut outer, &opad);
        HmacSha1 { inner, outer }
    }

    /// The MAC of `data`, with bytes 2..4 replaced by `patch` when given (the length field
    /// of a STUN header, which MESSAGE-INTEGRITY hashes as if the message ended after it).
    #[must_use]
    pub fn mac(&self, data: &[u8], patch: Option<[u8; 2]>) -> [u8; 20] {
        let inner = digest_bytes(sha1_finish(self.inner, BLOCK as u64, data, patch));
        // The outer hash is one block: the 20-byte inner digest and the padding.
        let mut block = [0u8; BLOCK];
        block[..20].copy_from_slice(&inner);
        block[20] = 0x80;
        block[BLOCK - 8..].copy_from_slice(&((BLOCK as u64 + 20) * 8).to_be_bytes());
        let mut outer = self.outer;
        compress(&mut outer, &block);
        digest_bytes(outer)
    }
}

pub use crate::constant_time_eq;

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;

    fn reference(key: &[u8], data: &[u8]) -> [u8; 20] {
        let mut m = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key).unwrap();
        m.update(data);
        m.finalize().into_bytes().into()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_2202_vectors() {
        let cases: [(Vec<u8>, Vec<u8>, &str); 5] = [
            (
                vec![0x0b; 20],
                b"Hi There".to_vec(),
                "b617318655057264e28bc0b6fb378c8ef146be00",
            ),
            (
                b"Jefe".to_vec(),
                b"what do ya want for nothing?".to_vec(),
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                vec![0xaa; 20],
                vec![0xdd; 50],
                "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First".to_vec(),
                "aa4ae5e15272d00e95705637ce8a3b55ed402112",
            ),
            (
                vec![0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"
                    .to_vec(),
                "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
            ),
        ];
        for (key, data, mac) in cases {
            assert_eq!(HmacSha1::new(&key).mac(&data, None).to_vec(), hex(mac));
        }
    }

    proptest! {
        #[test]
        fn matches_the_hmac_crate(
            key in proptest::collection::vec(any::<u8>(), 0..150),
            data in proptest::collection::vec(any::<u8>(), 0..400),
            patch in any::<[u8; 2]>(),
        ) {
            prop_assert_eq!(HmacSha1::new(&key).mac(&data, None), reference(&key, &data));
            if data.len() >= 4 {
                let mut patched = data.clone();
                patched[2..4].copy_from_slice(&patch);
                prop_assert_eq!(HmacSha1::new(&key).mac(&data, Some(patch)), reference(&key, &patched));
            }
        }
    }
}
