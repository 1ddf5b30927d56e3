//! The ephemeral ECDH key exchange (RFC 8422) on X25519 or P-256, with ring. The private
//! key comes from the operating system through ring (see [`crate::identity`] on why).

use ring::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::rand::SystemRandom;

use crate::codes::NamedGroup;

/// The key exchange could not be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KxError {
    /// A group other than X25519 and P-256.
    #[error("group {0} is not one this side offers")]
    Group(NamedGroup),
    /// The peer's public key is not a valid point of the group.
    #[error("the peer's public key is not valid for {0}")]
    PeerKey(NamedGroup),
    /// The operating system gave no randomness for our key.
    #[error("no randomness from the operating system for a {0} key")]
    Random(NamedGroup),
}

/// The groups this side uses, preferred first.
pub const GROUPS: [NamedGroup; 2] = [NamedGroup::X25519, NamedGroup::SECP256R1];

/// One side's ephemeral key pair.
pub struct KeyShare {
    group: NamedGroup,
    private: EphemeralPrivateKey,
    public: Vec<u8>,
}

impl std::fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyShare")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

fn algorithm(group: NamedGroup) -> Result<&'static agreement::Algorithm, KxError> {
    match group {
        NamedGroup::X25519 => Ok(&X25519),
        NamedGroup::SECP256R1 => Ok(&ECDH_P256),
        g => Err(KxError::Group(g)),
    }
}

impl KeyShare {
    /// A fresh key pair on `group`.
    pub fn generate(group: NamedGroup) -> Result<KeyShare, KxError> {
        let alg = algorithm(group)?;
        let private = EphemeralPrivateKey::generate(alg, &SystemRandom::new())
            .map_err(|_| KxError::Random(group))?;
        let public = private
            .compute_public_key()
            .map_err(|_| KxError::Random(group))?
            .as_ref()
            .to_vec();
        Ok(KeyShare {
            group,
            private,
            public,
        })
    }

    /// The group.
    #[must_use]
    pub fn group(&self) -> NamedGroup {
        self.group
    }

    /// The public key as the key exchange messages carry it.
    #[must_use]
    pub fn public(&self) -> &[u8] {
        &self.public
    }

    /// The premaster secret shared with the owner of `peer_public` (the key is used once).
    pub fn agree(self, peer_public: &[u8]) -> Result<Vec<u8>, KxError> {
        let group = self.group;
        let alg = algorithm(group)?;
        agreement::agree_ephemeral(
            self.private,
            &UnparsedPublicKey::new(alg, peer_public),
            |shared| shared.to_vec(),
        )
        .map_err(|_| KxError::PeerKey(group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_agree_on_each_group_and_bad_points_are_refused() {
        for group in GROUPS {
            let (a, b) = (
                KeyShare::generate(group).unwrap(),
                KeyShare::generate(group).unwrap(),
            );
            let (pa, pb) = (a.public().to_vec(), b.public().to_vec());
            assert_eq!(a.agree(&pb).unwrap(), b.agree(&pa).unwrap());
            let c = KeyShare::generate(group).unwrap();
            assert_eq!(c.agree(&[4, 1, 2, 3]), Err(KxError::PeerKey(group)));
        }
        assert_eq!(
            KeyShare::generate(NamedGroup::X25519MLKEM768).map(|_| ()),
            Err(KxError::Group(NamedGroup::X25519MLKEM768))
        );
    }
}
