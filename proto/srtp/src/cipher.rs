//! The per-packet transforms over session keys: AES-CM + HMAC-SHA1 (RFC 3711 s4.1.1,
//! s4.2.1) and AES-GCM (RFC 7714 s7-s9), for SRTP and SRTCP, in place.
//!
//! A [`Cipher`] holds one set of session keys (RTP's or RTCP's, RFC 3711 s4.3.1, s4.3.2),
//! derived once; nothing here allocates. Callers (`context.rs`) have checked lengths and
//! room, and bring the packet index; this module only transforms bytes and checks tags.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};

use crate::error::Error;
use crate::kdf::{Label, derive};
use crate::keys::MasterKey;
use crate::profile::Profile;
use wren_core::hmac_sha1::{HmacSha1, constant_time_eq};

/// The E flag of the SRTCP trailer (RFC 3711 s3.4): the payload is encrypted.
pub(crate) const E_FLAG: u32 = 0x8000_0000;
/// The GCM tag length (RFC 7714 s6: 16 octets for both AEAD profiles).
const GCM_TAG: usize = 16;

/// One set of session keys and the transform they drive.
// Four of these per session, built once: the AES key schedules stay inline (no box to
// chase per packet).
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cipher {
    /// AES-128 counter mode and HMAC-SHA1.
    Cm(Cm),
    /// AES-GCM.
    Gcm(Gcm),
}

/// AES-CM + HMAC-SHA1 session state.
pub(crate) struct Cm {
    aes: aes::Aes128,
    salt: [u8; 14],
    auth: HmacSha1,
    tag_len: usize,
}

/// AES-GCM session state.
pub(crate) struct Gcm {
    key: LessSafeKey,
    salt: [u8; 12],
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cipher::Cm(_) => "Cipher::Cm(..)",
            Cipher::Gcm(_) => "Cipher::Gcm(..)",
        })
    }
}

/// Which of the two key sets a master key yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rtp,
    Rtcp,
}

impl Cipher {
    /// Derives the RTP or RTCP session keys from `master` (RFC 3711 s4.3).
    pub(crate) fn derive(master: &MasterKey, kind: Kind) -> Cipher {
        let profile = master.profile();
        let (enc, auth, salt, tag_len) = match kind {
            Kind::Rtp => (
                Label::RtpEncryption,
                Label::RtpAuth,
                Label::RtpSalt,
                profile.rtp_tag_len(),
            ),
            Kind::Rtcp => (
                Label::RtcpEncryption,
                Label::RtcpAuth,
                Label::RtcpSalt,
                profile.rtcp_tag_len(),
            ),
        };
        let mut key = [0u8; 32];
        let key = &mut key[..profile.key_len()];
        derive(master, enc, key);
        let mut session_salt = [0u8; 14];
        let session_salt = &mut session_salt[..profile.salt_len()];
        derive(master, salt, session_salt);
        let mut auth_key = [0u8; 20];
        let auth_key = &mut auth_key[..profile.auth_key_len()];
        derive(master, auth, auth_key);
        Cipher::from_session_keys(profile, key, session_salt, auth_key, tag_len)
    }

    /// A cipher from session keys directly (the RFC 7714 vectors are given this way).
    pub(crate) fn from_session_keys(
        profile: Profile,
        key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
        tag_len: usize,
    ) -> Cipher {
        if profile.is_aead() {
            let alg = if key.len() == 32 {
                &aead::AES_256_GCM
            } else {
                &aead::AES_128_GCM
            };
            let key = LessSafeKey::new(
                UnboundKey::new(alg, key)
                    .unwrap_or_else(|_| unreachable!("key length of the profile")),
            );
            Cipher::Gcm(Gcm {
                key,
                salt: salt
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("12-byte salt")),
            })
        } else {
            Cipher::Cm(Cm {
                aes: aes::Aes128::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("16-byte key")),
                salt: salt
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("14-byte salt")),
                auth: HmacSha1::new(auth_key),
                tag_len,
            })
        }
    }

    /// Bytes an SRTP packet gains.
    pub(crate) fn rtp_overhead(&self) -> usize {
        match self {
            Cipher::Cm(cm) => cm.tag_len,
            Cipher::Gcm(_) => GCM_TAG,
        }
    }

    /// Bytes an SRTCP packet gains: the tag and the E flag + index word.
    pub(crate) fn rtcp_overhead(&self) -> usize {
        self.rtp_overhead() + 4
    }

    /// Encrypts and tags the RTP packet `buf[..len]` (header `buf[..header_len]`) with
    /// packet index `index` (RFC 3711 s3.3); the tag goes to `buf[len..]`, which has room
    /// for [`Self::rtp_overhead`]. Returns the SRTP length.
    pub(crate) fn protect_rtp(
        &self,
        buf: &mut [u8],
        header_len: usize,
        len: usize,
        ssrc: u32,
        index: u64,
    ) -> usize {
        let roc = (index >> 16) as u32;
        match self {
            Cipher::Cm(cm) => {
                cm.keystream(ssrc, index, &mut buf[header_len..len]);
                // The authenticated portion is the packet followed by the ROC (s4.2): write
                // the ROC where the tag goes, MAC it all, then put the tag over it.
                buf[len..len + 4].copy_from_slice(&roc.to_be_bytes());
                let mac = cm.auth.mac(&buf[..len + 4], None);
                buf[len..len + cm.tag_len].copy_from_slice(&mac[..cm.tag_len]);
                len + cm.tag_len
            }
            Cipher::Gcm(gcm) => {
                let nonce = gcm.rtp_nonce(ssrc, index);
                let (header, rest) = buf.split_at_mut(header_len);
                let tag = gcm
                    .key
                    .seal_in_place_separate_tag(
                        nonce,
                        Aad::from(&*header),
                        &mut rest[..len - header_len],
                    )
                    .unwrap_or_else(|_| {
                        unreachable!("an SRTP packet is far below GCM's length limit")
                    });
                buf[len..len + GCM_TAG].copy_from_slice(tag.as_ref());
                len + GCM_TAG
            }
        }
    }

    /// Checks the tag of the SRTP packet `buf` (header `buf[..header_len]`, at least
    /// `header_len + rtp_overhead` bytes) at index `index` and decrypts it in place
    /// (RFC 3711 s3.3 steps 4-6). Returns the RTP length.
    pub(crate) fn unprotect_rtp(
        &self,
        buf: &mut [u8],
        header_len: usize,
        ssrc: u32,
        index: u64,
    ) -> Result<usize, Error> {
        let roc = (index >> 16) as u32;
        match self {
            Cipher::Cm(cm) => {
                let end = buf.len() - cm.tag_len;
                let mut tag = [0u8; 10];
                let tag = &mut tag[..cm.tag_len];
                tag.copy_from_slice(&buf[end..]);
                // Every tag is at least 4 bytes, so the ROC fits where the tag was.
                buf[end..end + 4].copy_from_slice(&roc.to_be_bytes());
                let mac = cm.auth.mac(&buf[..end + 4], None);
                let ok = constant_time_eq(&mac[..cm.tag_len], tag);
                buf[end..].copy_from_slice(tag);
                if !ok {
                    return Err(Error::AuthFailed);
                }
                cm.keystream(ssrc, index, &mut buf[header_len..end]);
                Ok(end)
            }
            Cipher::Gcm(gcm) => {
                let nonce = gcm.rtp_nonce(ssrc, index);
                let (header, rest) = buf.split_at_mut(header_len);
                let plain = gcm
                    .key
                    .open_in_place(nonce, Aad::from(&*header), rest)
                    .map_err(|_| Error::AuthFailed)?;
                Ok(header_len + plain.len())
            }
        }
    }

    /// Encrypts (E flag set) and tags the RTCP compound packet `buf[..len]` with SRTCP
    /// index `index` (RFC 3711 s3.4, RFC 7714 s9); the trailer and tag go to `buf[len..]`,
    /// which has room for [`Self::rtcp_overhead`]. Returns the SRTCP length.
    pub(crate) fn protect_rtcp(&self, buf: &mut [u8], len: usize, ssrc: u32, index: u32) -> usize {
        let e_index = (E_FLAG | index).to_be_bytes();
        match self {
            Cipher::Cm(cm) => {
                // Layout: header(8) | encrypted | E+index | tag (RFC 3711 s3.4).
                cm.keystream(ssrc, u64::from(index), &mut buf[8..len]);
                buf[len..len + 4].copy_from_slice(&e_index);
                let mac = cm.auth.mac(&buf[..len + 4], None);
                buf[len + 4..len + 4 + cm.tag_len].copy_from_slice(&mac[..cm.tag_len]);
                len + 4 + cm.tag_len
            }
            Cipher::Gcm(gcm) => {
                // Layout: header(8) | encrypted | tag | E+index (RFC 7714 s9.1, s17.1);
                // the AAD is the header and the E+index word (s9.3).
                let nonce = gcm.rtcp_nonce(ssrc, index);
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buf[..8]);
                aad[8..].copy_from_slice(&e_index);
                let tag = gcm
                    .key
                    .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut buf[8..len])
                    .unwrap_or_else(|_| {
                        unreachable!("an SRTCP packet is far below GCM's length limit")
                    });
                buf[len..len + GCM_TAG].copy_from_slice(tag.as_ref());
                buf[len + GCM_TAG..len + GCM_TAG + 4].copy_from_slice(&e_index);
                len + GCM_TAG + 4
            }
        }
    }

    /// Where the E flag + SRTCP index word sits in the SRTCP packet `buf` (at least
    /// `8 + rtcp_overhead` bytes long).
    pub(crate) fn rtcp_trailer_at(&self, len: usize) -> usize {
        match self {
            Cipher::Cm(cm) => len - cm.tag_len - 4,
            Cipher::Gcm(_) => len - 4,
        }
    }

    /// Checks the tag of the SRTCP packet `buf` and decrypts it in place when its E flag
    /// is set (RFC 3711 s3.4; RFC 7714 s9.2 and s17.3 for GCM without the E flag). `buf`
    /// is at least `8 + rtcp_overhead` bytes long. Returns the RTCP length.
    pub(crate) fn unprotect_rtcp(
        &self,
        buf: &mut [u8],
        ssrc: u32,
        e_index: u32,
    ) -> Result<usize, Error> {
        let len = buf.len();
        let index = e_index & !E_FLAG;
        let encrypted = e_index & E_FLAG != 0;
        match self {
            Cipher::Cm(cm) => {
                let end = len - cm.tag_len;
                let ok =
                    constant_time_eq(&cm.auth.mac(&buf[..end], None)[..cm.tag_len], &buf[end..]);
                if !ok {
                    return Err(Error::AuthFailed);
                }
                if encrypted {
                    cm.keystream(ssrc, u64::from(index), &mut buf[8..end - 4]);
                }
                Ok(end - 4)
            }
            Cipher::Gcm(gcm) => {
                let nonce = gcm.rtcp_nonce(ssrc, index);
                let tag_at = len - 4 - GCM_TAG;
                if encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&e_index.to_be_bytes());
                    gcm.key
                        .open_in_place(nonce, Aad::from(aad), &mut buf[8..len - 4])
                        .map_err(|_| Error::AuthFailed)?;
                } else {
                    // Not encrypted: the whole packet and the trailer word are the AAD
                    // (RFC 7714 s9.3). Swap the tag and the trailer so that the AAD is one
                    // slice, then open an empty ciphertext; swap back if it fails.
                    buf[tag_at..].rotate_right(4);
                    let (aad, tag) = buf.split_at_mut(tag_at + 4);
                    let opened = gcm.key.open_in_place(nonce, Aad::from(&*aad), tag).is_ok();
                    if !opened {
                        buf[tag_at..].rotate_left(4);
                        return Err(Error::AuthFailed);
                    }
                }
                Ok(tag_at)
            }
        }
    }
}

impl Cm {
    /// XORs `data` with the AES-CM keystream of (SSRC, index) (RFC 3711 s4.1.1): the IV is
    /// `(salt * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16)`.
    fn keystream(&self, ssrc: u32, index: u64, data: &mut [u8]) {
        let mut iv = [0u8; 16];
        iv[..14].copy_from_slice(&self.salt);
        for (b, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
            *b ^= s;
        }
        for (b, i) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
            *b ^= i;
        }
        ctr::Ctr128BE::<aes::Aes128>::from_core(ctr::CtrCore::inner_iv_init(
            self.aes.clone(),
            &iv.into(),
        ))
        .apply_keystream(data);
    }
}

impl Gcm {
    /// The SRTP IV (RFC 7714 s8.1): `(00 00 || SSRC || ROC || SEQ) XOR salt`.
    fn rtp_nonce(&self, ssrc: u32, index: u64) -> Nonce {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[6..12].copy_from_slice(&index.to_be_bytes()[2..]);
        self.xor_salt(iv)
    }

    /// The SRTCP IV (RFC 7714 s9.1): `(00 00 || SSRC || 00 00 || 0 || index) XOR salt`.
    fn rtcp_nonce(&self, ssrc: u32, index: u32) -> Nonce {
        let mut iv = [0u8; 12];
        iv[2..6].copy_from_slice(&ssrc.to_be_bytes());
        iv[8..12].copy_from_slice(&(index & !E_FLAG).to_be_bytes());
        self.xor_salt(iv)
    }

    fn xor_salt(&self, mut iv: [u8; 12]) -> Nonce {
        for (b, s) in iv.iter_mut().zip(self.salt) {
            *b ^= s;
        }
        Nonce::assume_unique_for_key(iv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::hex;

    /// RFC 3711 Appendix B.2: the AES-CM keystream for SSRC 0, index 0, the first and the
    /// last three blocks of the 65282-block segment.
    #[test]
    fn rfc_3711_b2_aes_cm_keystream() {
        let cipher = Cipher::from_session_keys(
            Profile::Aes128CmHmacSha1_80,
            &hex("2B7E151628AED2A6ABF7158809CF4F3C"),
            &hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
            &[0; 20],
            10,
        );
        let Cipher::Cm(cm) = cipher else {
            unreachable!()
        };
        let mut stream = vec![0u8; 65282 * 16];
        cm.keystream(0, 0, &mut stream);
        assert_eq!(
            stream[..48].to_vec(),
            hex(concat!(
                "E03EAD0935C95E80E166B16DD92B4EB4",
                "D23513162B02D0F72A43A2FE4A5F97AB",
                "41E95B3BB0A2E8DD477901E4FCA894C0"
            ))
        );
        assert_eq!(
            stream[stream.len() - 48..].to_vec(),
            hex(concat!(
                "EC8CDF7398607CB0F2D21675EA9EA1E4",
                "362B7C3C6773516318A077D7FC5073AE",
                "6A2CC3787889374FBEB4C81B17BA6C44"
            ))
        );
    }
}
