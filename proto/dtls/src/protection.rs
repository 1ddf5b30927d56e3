//! Record protection with AES-GCM (RFC 5288; RFC 6347 section 4.1.2.1 for DTLS's explicit
//! sequence number): a record body is an 8-byte explicit nonce (here the record's epoch and
//! sequence number, unique per key), the ciphertext, and a 16-byte tag. The additional data
//! is the 8-byte epoch and sequence, the content type, the version and the plaintext length
//! (RFC 5246 section 6.2.3.3).
//!
//! ring's AES-GCM: the choice by measurement (the CPU's AES-NI and CLMUL paths).

use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::codes::{ContentType, ProtocolVersion};
use crate::record::{self, MAX_SEQUENCE, Record};

/// Bytes of the explicit nonce before the ciphertext.
pub const EXPLICIT_NONCE: usize = 8;
/// Bytes of the GCM tag after it.
pub const TAG: usize = 16;
/// What protection adds to a record body.
pub const OVERHEAD: usize = EXPLICIT_NONCE + TAG;

/// The AEAD of a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aead {
    /// AES-128-GCM: 16-byte keys.
    Aes128Gcm,
    /// AES-256-GCM: 32-byte keys.
    Aes256Gcm,
}

impl Aead {
    /// The key length.
    #[must_use]
    pub fn key_len(self) -> usize {
        match self {
            Aead::Aes128Gcm => 16,
            Aead::Aes256Gcm => 32,
        }
    }
}

/// A record could not be protected or unprotected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectionError {
    /// A key of the wrong length.
    #[error("a key of {0} bytes is not one this cipher takes")]
    KeyLength(usize),
    /// The record is shorter than the nonce and tag, or the tag did not verify: the record
    /// is dropped (RFC 6347 section 4.1.2.7, no alert).
    #[error("the record does not authenticate (bad_record_mac)")]
    BadRecordMac,
    /// The plaintext is too large for one record.
    #[error("{0} bytes do not fit one record")]
    TooLarge(usize),
}

/// One direction's record cipher: a write key and its 4-byte implicit salt.
pub struct RecordCipher {
    key: LessSafeKey,
    salt: [u8; 4],
}

impl std::fmt::Debug for RecordCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordCipher(..)")
    }
}

fn seq_bytes(epoch: u16, sequence: u64) -> [u8; 8] {
    ((u64::from(epoch) << 48) | (sequence & MAX_SEQUENCE)).to_be_bytes()
}

fn aad(
    epoch: u16,
    sequence: u64,
    ct: ContentType,
    version: ProtocolVersion,
    len: usize,
) -> [u8; 13] {
    let mut a = [0; 13];
    a[..8].copy_from_slice(&seq_bytes(epoch, sequence));
    a[8] = ct.0;
    a[9..11].copy_from_slice(&version.0.to_be_bytes());
    a[11..].copy_from_slice(&(len as u16).to_be_bytes());
    a
}

impl RecordCipher {
    /// A cipher with `key` and the 4-byte `salt` (the write IV of the key block).
    pub fn new(aead: Aead, key: &[u8], salt: [u8; 4]) -> Result<RecordCipher, ProtectionError> {
        let alg = match aead {
            Aead::Aes128Gcm => &AES_128_GCM,
            Aead::Aes256Gcm => &AES_256_GCM,
        };
        if key.len() != aead.key_len() {
            return Err(ProtectionError::KeyLength(key.len()));
        }
        let key = UnboundKey::new(alg, key).map_err(|_| ProtectionError::KeyLength(key.len()))?;
        Ok(RecordCipher {
            key: LessSafeKey::new(key),
            salt,
        })
    }

    fn nonce(&self, explicit: &[u8; 8]) -> Nonce {
        let mut n = [0; 12];
        n[..4].copy_from_slice(&self.salt);
        n[4..].copy_from_slice(explicit);
        Nonce::assume_unique_for_key(n)
    }

    /// Appends a protected record of `plaintext` to `out`: header, explicit nonce,
    /// ciphertext, tag. No allocation beyond `out`'s growth.
    pub fn seal(
        &self,
        out: &mut Vec<u8>,
        ct: ContentType,
        epoch: u16,
        sequence: u64,
        plaintext: &[u8],
    ) -> Result<(), ProtectionError> {
        if plaintext.len() > 1 << 14 {
            return Err(ProtectionError::TooLarge(plaintext.len()));
        }
        let version = ProtocolVersion::DTLS1_2;
        let body_len = plaintext.len() + OVERHEAD;
        record::write_header(out, ct, version, epoch, sequence, body_len as u16);
        let explicit = seq_bytes(epoch, sequence);
        out.extend_from_slice(&explicit);
        let start = out.len();
        out.extend_from_slice(plaintext);
        let a = aad(epoch, sequence, ct, version, plaintext.len());
        let tag = self
            .key
            .seal_in_place_separate_tag(self.nonce(&explicit), Aad::from(a), &mut out[start..])
            .map_err(|_| ProtectionError::TooLarge(plaintext.len()))?;
        out.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Unprotects `record` into `out` (cleared first): the plaintext. One copy of the
    /// ciphertext into `out`, decrypted there.
    pub fn open(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), ProtectionError> {
        out.clear();
        let body = record.body;
        if body.len() < OVERHEAD {
            return Err(ProtectionError::BadRecordMac);
        }
        let (explicit, sealed) = body.split_at(EXPLICIT_NONCE);
        let mut e = [0; 8];
        e.copy_from_slice(explicit);
        let plain_len = sealed.len() - TAG;
        let a = aad(
            record.epoch,
            record.sequence,
            record.content_type,
            record.version,
            plain_len,
        );
        out.extend_from_slice(sealed);
        let n = self
            .key
            .open_in_place(self.nonce(&e), Aad::from(a), out)
            .map_err(|_| ProtectionError::BadRecordMac)?
            .len();
        out.truncate(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(aead: Aead, fill: u8) -> RecordCipher {
        RecordCipher::new(aead, &vec![fill; aead.key_len()], [1, 2, 3, 4]).unwrap()
    }

    #[test]
    fn sealed_records_open_and_any_change_is_refused() {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm] {
            let c = cipher(aead, 7);
            let mut wire = Vec::new();
            c.seal(
                &mut wire,
                ContentType::APPLICATION_DATA,
                1,
                42,
                b"data channel bytes",
            )
            .unwrap();
            let (r, rest) = Record::parse(&wire).unwrap();
            assert!(rest.is_empty());
            assert_eq!((r.epoch, r.sequence), (1, 42));
            assert_eq!(r.body.len(), 18 + OVERHEAD);
            let mut plain = Vec::new();
            c.open(&r, &mut plain).unwrap();
            assert_eq!(plain, b"data channel bytes");

            // Every byte matters: the header's fields through the additional data, the
            // body through the tag. (A header that no longer parses never reaches open.)
            for i in 0..wire.len() {
                let mut bad = wire.clone();
                bad[i] ^= 0x01;
                if let Ok((r, _)) = Record::parse(&bad) {
                    assert_eq!(
                        c.open(&r, &mut plain),
                        Err(ProtectionError::BadRecordMac),
                        "byte {i}"
                    );
                }
            }
            assert_eq!(
                cipher(aead, 8).open(&r, &mut plain),
                Err(ProtectionError::BadRecordMac)
            );
        }
        assert_eq!(
            RecordCipher::new(Aead::Aes128Gcm, &[0; 32], [0; 4]).map(|_| ()),
            Err(ProtectionError::KeyLength(32))
        );
        let short = [23, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 1, 0, 3, 1, 2, 3];
        let (r, _) = Record::parse(&short).unwrap();
        assert_eq!(
            cipher(Aead::Aes128Gcm, 7).open(&r, &mut Vec::new()),
            Err(ProtectionError::BadRecordMac)
        );
    }
}
