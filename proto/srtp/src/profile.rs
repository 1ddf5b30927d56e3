//! The protection profiles: the DTLS-SRTP profile numbers (RFC 5764 section 4.1.2,
//! RFC 7714 section 14.2) and what each one fixes (key, salt and tag lengths).

/// An SRTP protection profile, as DTLS-SRTP negotiates it (`use_srtp`, RFC 5764 s4.1.2).
///
/// The lengths are the master key and master salt that the keying material of RFC 5764
/// section 4.2 carries per direction, and the authentication tag each packet gains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001): AES-128 counter mode, HMAC-SHA1 with an
    /// 80-bit tag on SRTP and SRTCP (RFC 3711 s4.1.1, s4.2.1).
    Aes128CmHmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): as above with a 32-bit SRTP tag; SRTCP keeps
    /// the 80-bit tag (RFC 5764 s4.1.2).
    Aes128CmHmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007): AES-128-GCM with a 16-byte tag (RFC 7714).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008): AES-256-GCM with a 16-byte tag (RFC 7714), keys
    /// derived with the AES-256 PRF (RFC 7714 s11, RFC 6188 s5.1).
    AeadAes256Gcm,
}

impl Profile {
    /// Every profile, in the order of their DTLS-SRTP numbers.
    pub const ALL: [Profile; 4] = [
        Profile::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm,
        Profile::AeadAes256Gcm,
    ];

    /// The profile of a DTLS-SRTP `SRTPProtectionProfile` number (RFC 5764 s4.1.2,
    /// RFC 7714 s14.2), or `None` for a profile this crate does not implement.
    pub fn from_dtls_id(id: u16) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.dtls_id() == id)
    }

    /// The DTLS-SRTP `SRTPProtectionProfile` number (RFC 5764 s4.1.2, RFC 7714 s14.2).
    pub fn dtls_id(self) -> u16 {
        match self {
            Profile::Aes128CmHmacSha1_80 => 0x0001,
            Profile::Aes128CmHmacSha1_32 => 0x0002,
            Profile::AeadAes128Gcm => 0x0007,
            Profile::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile's name as RFC 5764 / RFC 7714 spell it (and as OpenSSL's `-use_srtp`
    /// takes it).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
            Profile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
            Profile::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Profile::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// Whether this is an AEAD (AES-GCM, RFC 7714) profile.
    pub fn is_aead(self) -> bool {
        matches!(self, Profile::AeadAes128Gcm | Profile::AeadAes256Gcm)
    }

    /// Master (and session) encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Profile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }

    /// Master (and session) salt length in bytes: 14 for AES-CM (RFC 3711 s8.2), 12 for
    /// AES-GCM (RFC 7714 s12).
    pub fn salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// The session authentication key length in bytes (RFC 3711 s8.2: 160 bits for
    /// HMAC-SHA1); zero for AEAD profiles.
    pub(crate) fn auth_key_len(self) -> usize {
        if self.is_aead() { 0 } else { 20 }
    }

    /// The tag an SRTP packet gains, in bytes.
    pub fn rtp_tag_len(self) -> usize {
        match self {
            Profile::Aes128CmHmacSha1_80 => 10,
            Profile::Aes128CmHmacSha1_32 => 4,
            Profile::AeadAes128Gcm | Profile::AeadAes256Gcm => 16,
        }
    }

    /// The tag an SRTCP packet gains, in bytes (80 bits for both AES-CM profiles, RFC 5764
    /// s4.1.2).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() { 16 } else { 10 }
    }

    /// How many bytes `protect_rtp` adds: the room the caller's buffer needs past the packet.
    pub fn rtp_overhead(self) -> usize {
        self.rtp_tag_len()
    }

    /// How many bytes `protect_rtcp` adds: the tag and the 4-byte E flag and SRTCP index
    /// (RFC 3711 s3.4).
    pub fn rtcp_overhead(self) -> usize {
        self.rtcp_tag_len() + 4
    }

    /// The length of the DTLS exporter output this profile needs (RFC 5764 s4.2):
    /// `2 * (key_len + salt_len)`, to be exported with the label `EXTRACTOR-dtls_srtp`.
    pub fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtls_ids_round_trip_and_lengths_follow_the_rfcs() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_dtls_id(p.dtls_id()), Some(p));
        }
        assert_eq!(Profile::from_dtls_id(0x0005), None); // NULL_HMAC_SHA1_80: not supported
        // OpenSSL's -keymatexportlen for each profile (INTEROP.md: 60 for CM, 56 for GCM-128).
        let lens: Vec<usize> = Profile::ALL
            .iter()
            .map(|p| p.keying_material_len())
            .collect();
        assert_eq!(lens, [60, 60, 56, 88]);
        assert_eq!(Profile::Aes128CmHmacSha1_32.rtcp_tag_len(), 10);
        assert_eq!(Profile::Aes128CmHmacSha1_32.rtp_tag_len(), 4);
    }
}
