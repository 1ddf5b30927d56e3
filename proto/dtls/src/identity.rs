//! This side's identity: a self-signed ECDSA P-256 certificate and its key (made at start
//! with rcgen, as browsers make theirs), and its SHA-256 fingerprint for the SDP. WebRTC
//! needs no CA: the peer checks the certificate against the fingerprint we signalled.
//!
//! Key generation and ECDSA signatures take their randomness from the operating system
//! through ring (`SystemRandom`): ring accepts no other source, and key material must be
//! unpredictable whatever seed a test gives the machine. Everything else the DTLS machine
//! draws (hello randoms, cookie secrets) comes from its seeded `wren_core::Rng`.

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};

use crate::codes::SignatureScheme;
use crate::fingerprint::{Fingerprint, HashFunction};

/// A certificate and the key that signs for it.
pub struct Identity {
    certificate: Vec<u8>,
    key: EcdsaKeyPair,
    fingerprint: Fingerprint,
    rng: SystemRandom,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// An identity could not be made or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// rcgen could not make the certificate.
    #[error("could not generate a certificate: {0}")]
    Generate(String),
    /// The key is not a PKCS#8 ECDSA P-256 key.
    #[error("the key is not a PKCS#8 ECDSA P-256 key")]
    Key,
}

impl Identity {
    /// A fresh self-signed ECDSA P-256 certificate (subject `WebRTC`, as browsers name
    /// theirs) and its key.
    pub fn generate() -> Result<Identity, IdentityError> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "WebRTC");
        let cert = params
            .self_signed(&key)
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        Identity::from_der(cert.der().to_vec(), &key.serialize_der())
    }

    /// An identity of a DER certificate and its PKCS#8 ECDSA P-256 key.
    pub fn from_der(certificate: Vec<u8>, pkcs8: &[u8]) -> Result<Identity, IdentityError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
            .map_err(|_| IdentityError::Key)?;
        let fingerprint = Fingerprint::of(HashFunction::Sha256, &certificate);
        Ok(Identity {
            certificate,
            key,
            fingerprint,
            rng,
        })
    }

    /// The DER certificate.
    #[must_use]
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// Its SHA-256 fingerprint, for `a=fingerprint`.
    #[must_use]
    pub fn fingerprint(&self) -> &Fingerprint {
        &self.fingerprint
    }

    /// The scheme our signatures use.
    #[must_use]
    pub fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_SECP256R1_SHA256
    }

    /// The public key as an uncompressed point.
    #[must_use]
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// Signs `message` (ECDSA P-256, SHA-256, DER-encoded as TLS carries it).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, IdentityError> {
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| IdentityError::Key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::PeerKey;

    #[test]
    fn a_generated_identity_signs_what_its_certificate_verifies() {
        let id = Identity::generate().unwrap();
        assert!(id.fingerprint().matches(id.certificate()));
        assert_eq!(id.fingerprint().hash(), HashFunction::Sha256);
        let sig = id.sign(b"client random, server random, params").unwrap();
        let peer = PeerKey::from_certificate(id.certificate()).unwrap();
        assert_eq!(
            peer.verify(id.scheme(), b"client random, server random, params", &sig),
            Ok(())
        );
        assert!(peer.verify(id.scheme(), b"something else", &sig).is_err());
        let other = Identity::generate().unwrap();
        assert_ne!(other.fingerprint(), id.fingerprint());
        assert!(!other.fingerprint().matches(id.certificate()));
        assert_eq!(
            Identity::from_der(id.certificate().to_vec(), b"not a key").map(|_| ()),
            Err(IdentityError::Key)
        );
    }
}
