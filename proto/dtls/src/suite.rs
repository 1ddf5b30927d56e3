//! The cipher suites and SRTP profiles this side negotiates, and what each implies: the
//! AEAD and PRF hash of a suite (RFC 5289), the key kind it needs, and the length of the
//! keying material an SRTP profile takes from the exporter (RFC 5764 section 4.2, RFC 7714
//! section 12).

use crate::codes::{CipherSuite, SrtpProfileId};
use crate::prf::PrfHash;
use crate::protection::Aead;
use crate::verify::KeyKind;

/// What a suite is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SuiteParams {
    /// The suite.
    pub suite: CipherSuite,
    /// Its record AEAD.
    pub aead: Aead,
    /// Its PRF hash.
    pub hash: PrfHash,
    /// Whether the server's certificate is ECDSA (otherwise RSA).
    pub ecdsa: bool,
}

/// The suites this side accepts, preferred first.
pub const SUITES: [CipherSuite; 4] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

impl SuiteParams {
    /// The parameters of `suite`, if this side speaks it.
    #[must_use]
    pub fn of(suite: CipherSuite) -> Option<SuiteParams> {
        let (aead, hash, ecdsa) = match suite {
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => {
                (Aead::Aes128Gcm, PrfHash::Sha256, true)
            }
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => {
                (Aead::Aes256Gcm, PrfHash::Sha384, true)
            }
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => {
                (Aead::Aes128Gcm, PrfHash::Sha256, false)
            }
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => {
                (Aead::Aes256Gcm, PrfHash::Sha384, false)
            }
            _ => return None,
        };
        Some(SuiteParams {
            suite,
            aead,
            hash,
            ecdsa,
        })
    }

    /// Whether a server with a key of `kind` can use the suite.
    #[must_use]
    pub fn fits(&self, kind: KeyKind) -> bool {
        self.ecdsa == matches!(kind, KeyKind::EcdsaP256 | KeyKind::EcdsaP384)
    }

    /// The key block length: two keys and two 4-byte salts (GCM has no MAC key).
    #[must_use]
    pub fn key_block_len(&self) -> usize {
        2 * (self.aead.key_len() + 4)
    }
}

/// The SRTP profiles this side accepts, preferred first.
pub const SRTP_PROFILES: [SrtpProfileId; 4] = [
    SrtpProfileId::SRTP_AEAD_AES_128_GCM,
    SrtpProfileId::SRTP_AEAD_AES_256_GCM,
    SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80,
    SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_32,
];

/// The master key and salt lengths of an SRTP profile (RFC 5764 s4.1.2, RFC 7714 s12).
#[must_use]
pub fn srtp_key_salt_len(profile: SrtpProfileId) -> Option<(usize, usize)> {
    match profile {
        SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80 | SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_32 => {
            Some((16, 14))
        }
        SrtpProfileId::SRTP_AEAD_AES_128_GCM => Some((16, 12)),
        SrtpProfileId::SRTP_AEAD_AES_256_GCM => Some((32, 12)),
        _ => None,
    }
}

/// The SRTP profiles by the names OpenSSL gives them (`-use_srtp`, `SSL_get_selected_srtp_profile`).
const OPENSSL_NAMES: [(&str, SrtpProfileId); 4] = [
    (
        "SRTP_AES128_CM_SHA1_80",
        SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80,
    ),
    (
        "SRTP_AES128_CM_SHA1_32",
        SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_32,
    ),
    (
        "SRTP_AEAD_AES_128_GCM",
        SrtpProfileId::SRTP_AEAD_AES_128_GCM,
    ),
    (
        "SRTP_AEAD_AES_256_GCM",
        SrtpProfileId::SRTP_AEAD_AES_256_GCM,
    ),
];

/// The profile OpenSSL calls `name`.
#[must_use]
pub fn srtp_profile_by_openssl_name(name: &str) -> Option<SrtpProfileId> {
    OPENSSL_NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, p)| *p)
}

/// OpenSSL's name of `profile`.
#[must_use]
pub fn openssl_name(profile: SrtpProfileId) -> Option<&'static str> {
    OPENSSL_NAMES
        .iter()
        .find(|(_, p)| *p == profile)
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_and_profiles_say_what_they_need() {
        let p = SuiteParams::of(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384).unwrap();
        assert_eq!(
            (p.aead, p.hash, p.key_block_len()),
            (Aead::Aes256Gcm, PrfHash::Sha384, 72)
        );
        assert!(p.fits(KeyKind::EcdsaP256) && !p.fits(KeyKind::Rsa));
        let r = SuiteParams::of(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).unwrap();
        assert!(r.fits(KeyKind::Rsa) && r.key_block_len() == 40);
        assert_eq!(SuiteParams::of(CipherSuite(0x1301)), None);
        assert!(SUITES.iter().all(|s| SuiteParams::of(*s).is_some()));
        // The exporter lengths OpenSSL asks for: 60 for AES-CM, 56 and 88 for GCM.
        let total = |p| srtp_key_salt_len(p).map(|(k, s)| 2 * (k + s));
        assert_eq!(total(SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80), Some(60));
        assert_eq!(total(SrtpProfileId::SRTP_AEAD_AES_128_GCM), Some(56));
        assert_eq!(total(SrtpProfileId::SRTP_AEAD_AES_256_GCM), Some(88));
        assert_eq!(total(SrtpProfileId(0x0005)), None);
        for p in SRTP_PROFILES {
            assert_eq!(
                openssl_name(p).and_then(srtp_profile_by_openssl_name),
                Some(p)
            );
        }
        assert_eq!(srtp_profile_by_openssl_name("SRTP_NULL_SHA1_80"), None);
    }
}
