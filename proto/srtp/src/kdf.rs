//! Session key derivation (RFC 3711 s4.3): the AES-CM PRF (s4.3.3) over the master key,
//! keyed by the master salt and a label, with a key derivation rate of 0, so each session
//! key is derived once when a context is built and never per packet. AES-256 master keys
//! use the AES-256 PRF (RFC 6188 s5.1, RFC 7714 s11); a 96-bit GCM master salt is padded
//! with two zero bytes to the 112 bits the PRF takes (RFC 7714 s11, as libsrtp does).

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};

use crate::keys::{MAX_KEY, MasterKey};

/// The labels of RFC 3711 s4.3.1 (and s4.3.2 for SRTCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Label {
    RtpEncryption = 0,
    RtpAuth = 1,
    RtpSalt = 2,
    RtcpEncryption = 3,
    RtcpAuth = 4,
    RtcpSalt = 5,
}

/// Fills `out` with the session key of `label` derived from `master`.
pub(crate) fn derive(master: &MasterKey, label: Label, out: &mut [u8]) {
    prf(master.key(), master.salt(), label as u8, out);
}

/// The AES-CM PRF: AES-CM keystream under `key` (16 or 32 bytes) from the IV
/// `(salt XOR (label << 48)) * 2^16`, with `salt` (at most 14 bytes) padded with zeros on
/// the right to 112 bits; r = 0 since the key derivation rate is 0.
fn prf(key: &[u8], salt: &[u8], label: u8, out: &mut [u8]) {
    let mut iv = [0u8; 16];
    iv[..salt.len()].copy_from_slice(salt);
    // key_id = label || r (48 bits of zero); it is XORed into the low 56 bits of the
    // 112-bit salt, so the label lands on byte 7.
    iv[7] ^= label;
    out.fill(0);
    if key.len() == MAX_KEY {
        let aes = aes::Aes256::new_from_slice(key).unwrap_or_else(|_| unreachable!("32-byte key"));
        ctr::Ctr128BE::<aes::Aes256>::from_core(ctr::CtrCore::inner_iv_init(aes, &iv.into()))
            .apply_keystream(out);
    } else {
        let aes = aes::Aes128::new_from_slice(key).unwrap_or_else(|_| unreachable!("16-byte key"));
        ctr::Ctr128BE::<aes::Aes128>::from_core(ctr::CtrCore::inner_iv_init(aes, &iv.into()))
            .apply_keystream(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;
    use crate::tests::hex;

    /// RFC 3711 Appendix B.3.
    #[test]
    fn rfc_3711_b3_key_derivation() {
        let master = MasterKey::new(
            Profile::Aes128CmHmacSha1_80,
            &hex("E1F97A0D3E018BE0D64FA32C06DE4139"),
            &hex("0EC675AD498AFEEBB6960B3AABE6"),
        )
        .unwrap();
        let mut key = [0u8; 16];
        derive(&master, Label::RtpEncryption, &mut key);
        assert_eq!(key.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        let mut salt = [0u8; 14];
        derive(&master, Label::RtpSalt, &mut salt);
        assert_eq!(salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        // The RFC prints 94 bytes of the authentication PRF output.
        let mut auth = [0u8; 94];
        derive(&master, Label::RtpAuth, &mut auth);
        assert_eq!(
            auth.to_vec(),
            hex(concat!(
                "CEBE321F6FF7716B6FD4AB49AF256A15",
                "6D38BAA48F0A0ACF3C34E2359E6CDBCE",
                "E049646C43D9327AD175578EF7227098",
                "6371C10C9A369AC2F94A8C5FBCDDDC25",
                "6D6E919A48B610EF17C2041E47403576",
                "6B68642C59BBFC2F34DB60DBDFB2"
            ))
        );
    }

    /// RFC 6188 section 7.2: the AES-256 PRF, which AEAD_AES_256_GCM derives with (the
    /// RFC's vector has AES_256_CM's 14-byte salt, so it goes to `prf` directly).
    #[test]
    fn rfc_6188_7_2_aes_256_key_derivation() {
        let key = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
        let salt = hex("3b04803de51ee7c96423ab5b78d2");
        let run = |label: Label, len: usize| {
            let mut out = vec![0u8; len];
            prf(&key, &salt, label as u8, &mut out);
            out
        };
        assert_eq!(
            run(Label::RtpEncryption, 32),
            hex("5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4")
        );
        assert_eq!(run(Label::RtpSalt, 14), hex("fa31791685ca444a9e07c6c64e93"));
        assert_eq!(
            run(Label::RtpAuth, 20),
            hex("fd9c32d39ed5fbb5a9dc96b30818454d1313dc05")
        );
    }

    /// A 96-bit GCM salt enters the PRF padded with two zero bytes (RFC 7714 s11).
    #[test]
    fn a_gcm_salt_is_padded_to_112_bits() {
        let key = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
        let salt = hex("3b04803de51ee7c96423ab5b");
        let master = MasterKey::new(Profile::AeadAes256Gcm, &key, &salt).unwrap();
        let (mut ours, mut padded) = ([0u8; 32], [0u8; 32]);
        derive(&master, Label::RtcpSalt, &mut ours);
        prf(&key, &hex("3b04803de51ee7c96423ab5b0000"), 5, &mut padded);
        assert_eq!(ours, padded);
    }
}
