//! Master keys and salts (RFC 3711 s3.2.1, s8.2) and the DTLS-SRTP keying material that
//! carries them (RFC 5764 s4.2).

use crate::error::SetupError;
use crate::profile::Profile;

/// The largest master key (AES-256).
pub(crate) const MAX_KEY: usize = 32;
/// The largest master salt (AES-CM's 112 bits).
pub(crate) const MAX_SALT: usize = 14;

/// One direction's master key and master salt, checked against a profile.
///
/// `Debug` prints the profile, never the key.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    profile: Profile,
    key: [u8; MAX_KEY],
    salt: [u8; MAX_SALT],
}

impl MasterKey {
    /// A master key and salt for `profile`; both must have the profile's lengths
    /// ([`Profile::key_len`], [`Profile::salt_len`]).
    pub fn new(profile: Profile, key: &[u8], salt: &[u8]) -> Result<MasterKey, SetupError> {
        if key.len() != profile.key_len() {
            return Err(SetupError::Length {
                what: "master key",
                need: profile.key_len(),
                got: key.len(),
            });
        }
        if salt.len() != profile.salt_len() {
            return Err(SetupError::Length {
                what: "master salt",
                need: profile.salt_len(),
                got: salt.len(),
            });
        }
        let mut m = MasterKey {
            profile,
            key: [0; MAX_KEY],
            salt: [0; MAX_SALT],
        };
        m.key[..key.len()].copy_from_slice(key);
        m.salt[..salt.len()].copy_from_slice(salt);
        Ok(m)
    }

    /// The profile these keys are for.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The master key.
    pub fn key(&self) -> &[u8] {
        &self.key[..self.profile.key_len()]
    }

    /// The master salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt[..self.profile.salt_len()]
    }
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// Which end of the DTLS handshake we were: it decides which half of the keying material
/// protects what we send (RFC 5764 s4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The DTLS client: sends with `client_write_SRTP_master_key`.
    Client,
    /// The DTLS server: sends with `server_write_SRTP_master_key`.
    Server,
}

/// The two master keys in DTLS-SRTP keying material (RFC 5764 s4.2), laid out as
/// `client_key | server_key | client_salt | server_salt`: `(local, remote)` for `role`,
/// where `local` protects what we send and `remote` what we receive.
pub fn split_keying_material(
    profile: Profile,
    material: &[u8],
    role: Role,
) -> Result<(MasterKey, MasterKey), SetupError> {
    if material.len() != profile.keying_material_len() {
        return Err(SetupError::Length {
            what: "keying material",
            need: profile.keying_material_len(),
            got: material.len(),
        });
    }
    let (k, s) = (profile.key_len(), profile.salt_len());
    let (keys, salts) = material.split_at(2 * k);
    let client = MasterKey::new(profile, &keys[..k], &salts[..s])?;
    let server = MasterKey::new(profile, &keys[k..], &salts[s..])?;
    Ok(match role {
        Role::Client => (client, server),
        Role::Server => (server, client),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keying_material_splits_per_rfc_5764_section_4_2() {
        let p = Profile::Aes128CmHmacSha1_80;
        let material: Vec<u8> = (0..60).collect();
        let (local, remote) = split_keying_material(p, &material, Role::Client).unwrap();
        assert_eq!(local.key(), &material[0..16]);
        assert_eq!(remote.key(), &material[16..32]);
        assert_eq!(local.salt(), &material[32..46]);
        assert_eq!(remote.salt(), &material[46..60]);
        let (s_local, s_remote) = split_keying_material(p, &material, Role::Server).unwrap();
        assert_eq!((s_local, s_remote), (remote, local));

        let gcm: Vec<u8> = (0..88).collect();
        let (local, remote) =
            split_keying_material(Profile::AeadAes256Gcm, &gcm, Role::Server).unwrap();
        assert_eq!(local.key(), &gcm[32..64]);
        assert_eq!(remote.salt(), &gcm[64..76]);
        assert_eq!(local.salt(), &gcm[76..88]);

        assert_eq!(
            split_keying_material(p, &material[..56], Role::Client),
            Err(SetupError::Length {
                what: "keying material",
                need: 60,
                got: 56
            })
        );
        assert!(format!("{local:?}").starts_with("MasterKey { profile: AeadAes256Gcm"));
    }
}
