//! The TLS 1.2 pseudorandom function (RFC 5246 section 5) and what DTLS-SRTP derives with
//! it: the extended master secret (RFC 7627 section 4), the key block (RFC 5246 section
//! 6.3), Finished's verify_data (section 7.4.9), and the exporter that gives SRTP its keys
//! (RFC 5705 section 4; RFC 5764 section 4.2).
//!
//! HMAC with RustCrypto's `sha2` (the house's choice for HMAC, see wren-stun): the PRF runs a
//! few times per handshake, never per packet.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

/// The hash of the PRF: SHA-256 for the `_SHA256` suites, SHA-384 for `_SHA384`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrfHash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

impl PrfHash {
    /// The hash's output length.
    #[must_use]
    pub fn len(self) -> usize {
        match self {
            PrfHash::Sha256 => 32,
            PrfHash::Sha384 => 48,
        }
    }

    /// Never empty: here so `len` has its pair.
    #[must_use]
    pub fn is_empty(self) -> bool {
        false
    }
}

macro_rules! p_hash {
    ($name:ident, $hash:ty) => {
        /// P_hash (RFC 5246 section 5) over the concatenation of `seed`'s parts.
        fn $name(secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
            let key = <Hmac<$hash> as Mac>::new_from_slice(secret)
                .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
            // A(1) = HMAC(secret, seed)
            let mut a = {
                let mut m = key.clone();
                for s in seed {
                    m.update(s);
                }
                m.finalize().into_bytes()
            };
            for chunk in out.chunks_mut(a.len()) {
                let mut m = key.clone();
                m.update(&a);
                for s in seed {
                    m.update(s);
                }
                let block = m.finalize().into_bytes();
                chunk.copy_from_slice(&block[..chunk.len()]);
                let mut next = key.clone();
                next.update(&a);
                a = next.finalize().into_bytes();
            }
        }
    };
}

p_hash!(p_sha256, Sha256);
p_hash!(p_sha384, Sha384);

/// PRF(secret, label, seed) filling `out` (RFC 5246 section 5): P_hash(secret, label +
/// seed), the seed given in parts.
pub fn prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let mut parts: [&[u8]; 4] = [label, &[], &[], &[]];
    let n = seed.len().min(3);
    parts[1..=n].copy_from_slice(&seed[..n]);
    match hash {
        PrfHash::Sha256 => p_sha256(secret, &parts[..=n], out),
        PrfHash::Sha384 => p_sha384(secret, &parts[..=n], out),
    }
}

/// The extended master secret (RFC 7627 section 4): from the premaster secret and the hash
/// of the handshake messages up to and including ClientKeyExchange.
#[must_use]
pub fn extended_master_secret(hash: PrfHash, premaster: &[u8], session_hash: &[u8]) -> [u8; 48] {
    let mut out = [0; 48];
    prf(
        hash,
        premaster,
        b"extended master secret",
        &[session_hash],
        &mut out,
    );
    out
}

/// The key block (RFC 5246 section 6.3): the write keys and IVs, client's first.
pub fn key_block(
    hash: PrfHash,
    master: &[u8; 48],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8],
) {
    prf(
        hash,
        master,
        b"key expansion",
        &[server_random, client_random],
        out,
    );
}

/// Who sent a Finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client.
    Client,
    /// The server.
    Server,
}

/// Finished's verify_data (RFC 5246 section 7.4.9): 12 bytes over the handshake hash.
#[must_use]
pub fn verify_data(
    hash: PrfHash,
    master: &[u8; 48],
    side: Side,
    handshake_hash: &[u8],
) -> [u8; 12] {
    let label: &[u8] = match side {
        Side::Client => b"client finished",
        Side::Server => b"server finished",
    };
    let mut out = [0; 12];
    prf(hash, master, label, &[handshake_hash], &mut out);
    out
}

/// The RFC 5705 exporter without a context, as DTLS-SRTP uses it with the label
/// `EXTRACTOR-dtls_srtp` (RFC 5764 section 4.2).
pub fn export(
    hash: PrfHash,
    master: &[u8; 48],
    label: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
    out: &mut [u8],
) {
    prf(hash, master, label, &[client_random, server_random], out);
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use proptest::prelude::*;

    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(char::is_ascii_hexdigit).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// OpenSSL's TLS1-PRF (`openssl kdf`), the real peer's answer.
    fn openssl_prf(hash: PrfHash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
        let digest = match hash {
            PrfHash::Sha256 => "digest:SHA256",
            PrfHash::Sha384 => "digest:SHA384",
        };
        let out = Command::new("openssl")
            .args(["kdf", "-keylen", &len.to_string(), "-kdfopt", digest])
            .args(["-kdfopt", &format!("hexsecret:{}", hex(secret))])
            .args(["-kdfopt", &format!("hexseed:{}", hex(label))])
            .args(["-kdfopt", &format!("hexseed:{}", hex(seed))])
            .arg("TLS1-PRF")
            .output()
            .expect("openssl runs (INTEROP.md: it is on these machines)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        unhex(&String::from_utf8_lossy(&out.stdout))
    }

    #[test]
    fn the_published_prf_vectors_as_openssl_computes_them() {
        // The TLS 1.2 PRF vectors posted to the IETF TLS list (secret, "test label", seed),
        // here checked by OpenSSL in the same run rather than copied.
        for (hash, secret, seed, start) in [
            (
                PrfHash::Sha256,
                "9bbe436ba940f017b17652849a71db35",
                "a0ba9f936cda311827a6f796ffd5198c",
                "e3f229ba727be17b8d122620557cd453",
            ),
            (
                PrfHash::Sha384,
                "b80b733d6ceefcdc71566ea48e5567df",
                "cd665cf6a8447dd6ff8b27555edb7465",
                "7b0c18e9ced410ed1804f2cfa34a336a",
            ),
        ] {
            let (secret, seed) = (unhex(secret), unhex(seed));
            let mut ours = vec![0; 148];
            prf(hash, &secret, b"test label", &[&seed], &mut ours);
            assert_eq!(hex(&ours[..16]), start);
            assert_eq!(ours, openssl_prf(hash, &secret, b"test label", &seed, 148));
        }
    }

    #[test]
    fn seeds_in_parts_are_their_concatenation() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let mut split = [0; 72];
        let mut whole = [0; 72];
        prf(PrfHash::Sha256, b"k", b"label", &[&a, &b], &mut split);
        prf(
            PrfHash::Sha256,
            b"k",
            b"label",
            &[&[a, b].concat()],
            &mut whole,
        );
        assert_eq!(split, whole);
        let mut block = [0; 40];
        key_block(PrfHash::Sha256, &[9; 48], &a, &b, &mut block);
        let mut by_hand = [0; 40];
        prf(
            PrfHash::Sha256,
            &[9; 48],
            b"key expansion",
            &[&b, &a],
            &mut by_hand,
        );
        assert_eq!(block, by_hand, "server random first");
        let mut exported = [0; 60];
        export(
            PrfHash::Sha256,
            &[9; 48],
            b"EXTRACTOR-dtls_srtp",
            &a,
            &b,
            &mut exported,
        );
        let mut by_hand = [0; 60];
        prf(
            PrfHash::Sha256,
            &[9; 48],
            b"EXTRACTOR-dtls_srtp",
            &[&a, &b],
            &mut by_hand,
        );
        assert_eq!(exported, by_hand, "client random first");
        assert_ne!(
            verify_data(PrfHash::Sha256, &[9; 48], Side::Client, &[0; 32]),
            verify_data(PrfHash::Sha256, &[9; 48], Side::Server, &[0; 32])
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn any_secret_and_seed_agree_with_openssl(
            secret in proptest::collection::vec(any::<u8>(), 1..80),
            seed in proptest::collection::vec(any::<u8>(), 1..100),
            len in 1usize..200,
            sha384: bool,
        ) {
            let hash = if sha384 { PrfHash::Sha384 } else { PrfHash::Sha256 };
            let mut ours = vec![0; len];
            prf(hash, &secret, b"master secret", &[&seed], &mut ours);
            prop_assert_eq!(ours, openssl_prf(hash, &secret, b"master secret", &seed, len));
        }
    }
}
