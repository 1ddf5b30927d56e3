//! Credentials and the integrity attributes: MESSAGE-INTEGRITY (HMAC-SHA1),
//! MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256) and FINGERPRINT (CRC-32), RFC 8489 sections 9 and
//! 14.5-14.7.
//!
//! A [`Key`] holds the HMAC state already keyed (the inner and outer pads hashed once), so
//! checking a message costs only the hashing of the message itself, and allocates nothing.
//!
//! Why RustCrypto's `sha1`: on these machines it uses the CPU's SHA extensions and is about
//! 4x faster than ring's HMAC-SHA1, which does not. HMAC-SHA1 itself is the lean
//! construction of `hmac_sha1.rs` around `sha1::compress` (measured 30% faster than the
//! `hmac` crate's generic buffering); HMAC-SHA256 uses the `hmac` crate.
//! FINGERPRINT's CRC-32 comes from `crc32fast`, which uses SIMD (PCLMULQDQ) where the CPU has it.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use crate::attr_type::{ATTR_HEADER_LEN, AttrType};
use crate::error::{AttrError, CredentialPart, Error, PrepError};
use crate::header::HEADER_LEN;
use crate::prep;
pub use crate::prep::Preparation;
use wren_core::hmac_sha1::{HmacSha1, constant_time_eq};

/// The XOR constant of FINGERPRINT ("STUN" in ASCII).
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// The password algorithm of a long-term credential (RFC 8489 section 18.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PasswordAlgorithm {
    /// MD5 (0x0001): the RFC 5389 key, 16 bytes.
    Md5,
    /// SHA-256 (0x0002): a 32-byte key.
    Sha256,
}

impl PasswordAlgorithm {
    /// The registered number of the algorithm.
    #[must_use]
    pub fn number(self) -> u16 {
        match self {
            PasswordAlgorithm::Md5 => 0x0001,
            PasswordAlgorithm::Sha256 => 0x0002,
        }
    }

    /// The algorithm with this registered number.
    #[must_use]
    pub fn from_number(n: u16) -> Option<PasswordAlgorithm> {
        match n {
            0x0001 => Some(PasswordAlgorithm::Md5),
            0x0002 => Some(PasswordAlgorithm::Sha256),
            _ => None,
        }
    }
}

/// An HMAC key for MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256, keyed once.
///
/// Cheap to clone and move (the keyed states sit behind an `Arc`), so machines can keep one
/// per credential and hand copies to transactions.
#[derive(Clone)]
pub struct Key {
    inner: std::sync::Arc<Keyed>,
}

/// The HMAC states with the key's inner and outer pads already hashed.
struct Keyed {
    sha1: HmacSha1,
    sha256: Hmac<Sha256>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A key from raw key bytes (the already computed HMAC key).
    #[must_use]
    pub fn from_bytes(key: &[u8]) -> Key {
        // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
        let sha1 = HmacSha1::new(key);
        let sha256 = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        Key {
            inner: std::sync::Arc::new(Keyed { sha1, sha256 }),
        }
    }

    /// The short-term credential key: OpaqueString(password) (RFC 8489 section 9.1.1).
    pub fn short_term(password: &str) -> Result<Key, PrepError> {
        Key::short_term_with(password, Preparation::OpaqueString)
    }

    /// The short-term key with the given preparation of the password.
    pub fn short_term_with(password: &str, prep: Preparation) -> Result<Key, PrepError> {
        let password = prep::prepare(password, prep, CredentialPart::Password)?;
        Ok(Key::from_bytes(password.as_bytes()))
    }

    /// The long-term credential key with MD5 and OpaqueString (RFC 8489 section 9.2.2):
    /// `MD5(username ":" OpaqueString(realm) ":" OpaqueString(password))`.
    pub fn long_term(username: &str, realm: &str, password: &str) -> Result<Key, PrepError> {
        Key::long_term_with(
            username,
            realm,
            password,
            PasswordAlgorithm::Md5,
            Preparation::OpaqueString,
        )
    }

    /// The long-term key with a chosen password algorithm and string preparation.
    pub fn long_term_with(
        username: &str,
        realm: &str,
        password: &str,
        algorithm: PasswordAlgorithm,
        prep: Preparation,
    ) -> Result<Key, PrepError> {
        let bytes = long_term_key_bytes(username, realm, password, algorithm, prep)?;
        Ok(Key::from_bytes(&bytes))
    }
}

/// The raw long-term key: `H(username ":" realm ":" password)` with `H` the password
/// algorithm and realm and password prepared (RFC 8489 section 9.2.2). The username is taken
/// as the USERNAME attribute carries it (already prepared by the client).
pub fn long_term_key_bytes(
    username: &str,
    realm: &str,
    password: &str,
    algorithm: PasswordAlgorithm,
    prep: Preparation,
) -> Result<Vec<u8>, PrepError> {
    let username = prep::prepare(username, prep, CredentialPart::Username)?;
    let realm = prep::prepare(realm, prep, CredentialPart::Realm)?;
    let password = prep::prepare(password, prep, CredentialPart::Password)?;
    let parts = [
        username.as_bytes(),
        b":",
        realm.as_bytes(),
        b":",
        password.as_bytes(),
    ];
    Ok(match algorithm {
        PasswordAlgorithm::Md5 => {
            let mut h = Md5::new();
            parts.iter().for_each(|p| h.update(p));
            h.finalize().to_vec()
        }
        PasswordAlgorithm::Sha256 => {
            let mut h = <Sha256 as Digest>::new();
            parts.iter().for_each(|p| Digest::update(&mut h, p));
            h.finalize().to_vec()
        }
    })
}

/// USERHASH (RFC 8489 section 14.4): `SHA-256(username ":" realm)`, both prepared with
/// `prep` (OpaqueString in RFC 8489), sent instead of USERNAME for username anonymity.
pub fn userhash(username: &str, realm: &str, prep: Preparation) -> Result<[u8; 32], PrepError> {
    let username = prep::prepare(username, prep, CredentialPart::Username)?;
    let realm = prep::prepare(realm, prep, CredentialPart::Realm)?;
    let mut h = <Sha256 as Digest>::new();
    Digest::update(&mut h, username.as_bytes());
    Digest::update(&mut h, b":");
    Digest::update(&mut h, realm.as_bytes());
    Ok(h.finalize().into())
}

/// Feeds `prefix` (a message from its first byte up to an attribute header) to `mac`, with
/// the header's length field replaced by `len` when given.
fn feed<M: Mac>(mac: &mut M, prefix: &[u8], len: Option<u16>) {
    match len {
        Some(len) => {
            mac.update(&prefix[..2]);
            mac.update(&len.to_be_bytes());
            mac.update(&prefix[4..]);
        }
        None => mac.update(prefix),
    }
}

/// HMAC-SHA1 over `prefix` (length field replaced by `len` when given).
pub(crate) fn hmac_sha1(key: &Key, prefix: &[u8], len: Option<u16>) -> [u8; 20] {
    key.inner.sha1.mac(prefix, len.map(u16::to_be_bytes))
}

/// HMAC-SHA256 over `prefix` (length field replaced by `len` when given).
pub(crate) fn hmac_sha256(key: &Key, prefix: &[u8], len: Option<u16>) -> [u8; 32] {
    let mut mac = key.inner.sha256.clone();
    feed(&mut mac, prefix, len);
    mac.finalize().into_bytes().into()
}

/// The length field the message had when an attribute of `value_len` bytes at `at` was its last.
fn length_through(at: usize, value_len: usize) -> u16 {
    // `at` and the value lie inside a parsed message of at most 20 + 65535 bytes.
    u16::try_from(at + ATTR_HEADER_LEN + value_len - HEADER_LEN).unwrap_or(u16::MAX)
}

/// Checks the MESSAGE-INTEGRITY attribute at offset `at` of a parsed message.
pub(crate) fn verify_sha1(buf: &[u8], at: usize, key: &Key) -> Result<(), Error> {
    let value = attr_value(buf, at);
    if value.len() != 20 {
        return Err(Error::Attribute {
            attr: AttrType::MESSAGE_INTEGRITY,
            kind: AttrError::Length {
                expected: 20,
                actual: value.len(),
            },
        });
    }
    let mac = hmac_sha1(key, &buf[..at], Some(length_through(at, 20)));
    if constant_time_eq(&mac, value) {
        Ok(())
    } else {
        Err(Error::IntegrityMismatch(AttrType::MESSAGE_INTEGRITY))
    }
}

/// Checks the MESSAGE-INTEGRITY-SHA256 attribute at offset `at` (16 to 32 bytes, a multiple
/// of 4, the leftmost bytes of the HMAC; RFC 8489 section 14.6).
pub(crate) fn verify_sha256(buf: &[u8], at: usize, key: &Key) -> Result<(), Error> {
    let value = attr_value(buf, at);
    if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
        return Err(Error::Attribute {
            attr: AttrType::MESSAGE_INTEGRITY_SHA256,
            kind: AttrError::Length {
                expected: 32,
                actual: value.len(),
            },
        });
    }
    let mut mac = key.inner.sha256.clone();
    feed(&mut mac, &buf[..at], Some(length_through(at, value.len())));
    mac.verify_truncated_left(value)
        .map_err(|_| Error::IntegrityMismatch(AttrType::MESSAGE_INTEGRITY_SHA256))
}

/// FINGERPRINT's value for `prefix` (a message up to the FINGERPRINT attribute header, whose
/// length field already counts FINGERPRINT).
#[must_use]
pub fn fingerprint(prefix: &[u8]) -> u32 {
    crc32fast::hash(prefix) ^ FINGERPRINT_XOR
}

/// Checks the FINGERPRINT attribute at offset `at`.
pub(crate) fn verify_fingerprint(buf: &[u8], at: usize) -> Result<(), Error> {
    let value = attr_value(buf, at);
    let Ok(found) = <[u8; 4]>::try_from(value) else {
        return Err(Error::Attribute {
            attr: AttrType::FINGERPRINT,
            kind: AttrError::Length {
                expected: 4,
                actual: value.len(),
            },
        });
    };
    let found = u32::from_be_bytes(found);
    // Count FINGERPRINT as the last attribute even if ignored bytes follow it.
    let len = length_through(at, 4);
    let mut h = crc32fast::Hasher::new();
    h.update(&buf[..2]);
    h.update(&len.to_be_bytes());
    h.update(&buf[4..at]);
    let computed = h.finalize() ^ FINGERPRINT_XOR;
    if computed == found {
        Ok(())
    } else {
        Err(Error::FingerprintMismatch { found, computed })
    }
}

/// The value of the attribute whose header is at `at` (the message was parsed, so it fits).
fn attr_value(buf: &[u8], at: usize) -> &[u8] {
    let len = usize::from(u16::from_be_bytes([buf[at + 2], buf[at + 3]]));
    &buf[at + ATTR_HEADER_LEN..at + ATTR_HEADER_LEN + len]
}
