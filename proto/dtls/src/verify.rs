//! The peer's public key, taken from the certificate it presented (after its fingerprint
//! matched), and the check of its signatures on ServerKeyExchange and CertificateVerify
//! (RFC 5246 sections 7.4.3 and 7.4.8), with the schemes browsers and OpenSSL use.

use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::codes::SignatureScheme;

/// OID of an EC public key (RFC 5480).
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
/// OID of an RSA public key (RFC 3279).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
/// OIDs of the named curves (RFC 5480).
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// The kind of a peer's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// RSA.
    Rsa,
}

/// Why a peer's certificate or signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The certificate does not parse as X.509.
    #[error("the peer's certificate does not parse: {0}")]
    Certificate(String),
    /// A key type or curve this side does not verify.
    #[error("the peer's key ({0}) is not ECDSA P-256/P-384 or RSA")]
    UnsupportedKey(String),
    /// A signature scheme that does not fit the key, or that is not accepted.
    #[error("signature scheme {scheme} does not fit a {key:?} key")]
    Scheme {
        /// The scheme the peer used.
        scheme: SignatureScheme,
        /// The peer's key.
        key: KeyKind,
    },
    /// The signature does not verify.
    #[error("the peer's {0} signature does not verify")]
    BadSignature(SignatureScheme),
}

/// A peer's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerKey {
    kind: KeyKind,
    /// The subjectPublicKey bits: an uncompressed point, or an RSAPublicKey.
    public: Vec<u8>,
}

impl PeerKey {
    /// The public key of DER certificate `der`.
    pub fn from_certificate(der: &[u8]) -> Result<PeerKey, VerifyError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| VerifyError::Certificate(e.to_string()))?;
        let spki = &cert.tbs_certificate.subject_pki;
        let alg = spki.algorithm.algorithm.to_id_string();
        let kind = match alg.as_str() {
            EC_PUBLIC_KEY => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    P256 => KeyKind::EcdsaP256,
                    P384 => KeyKind::EcdsaP384,
                    other => return Err(VerifyError::UnsupportedKey(format!("EC {other}"))),
                }
            }
            RSA_ENCRYPTION => KeyKind::Rsa,
            other => return Err(VerifyError::UnsupportedKey(other.to_owned())),
        };
        Ok(PeerKey {
            kind,
            public: spki.subject_public_key.data.to_vec(),
        })
    }

    /// The kind of key.
    #[must_use]
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Checks `signature` over `message` with `scheme`.
    pub fn verify(
        &self,
        scheme: SignatureScheme,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), VerifyError> {
        let alg: &'static dyn VerificationAlgorithm = match (self.kind, scheme) {
            (KeyKind::EcdsaP256, SignatureScheme::ECDSA_SECP256R1_SHA256) => {
                &signature::ECDSA_P256_SHA256_ASN1
            }
            (KeyKind::EcdsaP256, SignatureScheme::ECDSA_SECP384R1_SHA384) => {
                &signature::ECDSA_P256_SHA384_ASN1
            }
            (KeyKind::EcdsaP384, SignatureScheme::ECDSA_SECP384R1_SHA384) => {
                &signature::ECDSA_P384_SHA384_ASN1
            }
            (KeyKind::EcdsaP384, SignatureScheme::ECDSA_SECP256R1_SHA256) => {
                &signature::ECDSA_P384_SHA256_ASN1
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PKCS1_SHA256) => {
                &signature::RSA_PKCS1_2048_8192_SHA256
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PKCS1_SHA384) => {
                &signature::RSA_PKCS1_2048_8192_SHA384
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PKCS1_SHA512) => {
                &signature::RSA_PKCS1_2048_8192_SHA512
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PSS_RSAE_SHA256) => {
                &signature::RSA_PSS_2048_8192_SHA256
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PSS_RSAE_SHA384) => {
                &signature::RSA_PSS_2048_8192_SHA384
            }
            (KeyKind::Rsa, SignatureScheme::RSA_PSS_RSAE_SHA512) => {
                &signature::RSA_PSS_2048_8192_SHA512
            }
            (key, scheme) => return Err(VerifyError::Scheme { scheme, key }),
        };
        UnparsedPublicKey::new(alg, &self.public)
            .verify(message, signature)
            .map_err(|_| VerifyError::BadSignature(scheme))
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    fn openssl(args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs (INTEROP.md: it is on these machines)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn signatures_made_by_openssl_verify_with_the_key_of_its_certificate() {
        let dir = std::env::temp_dir().join(format!("wren-dtls-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        std::fs::write(p("msg"), b"client_random server_random params").unwrap();
        for (keyopt, digest, scheme, kind) in [
            (
                "ec_paramgen_curve:P-256",
                "-sha256",
                SignatureScheme::ECDSA_SECP256R1_SHA256,
                KeyKind::EcdsaP256,
            ),
            (
                "ec_paramgen_curve:P-384",
                "-sha384",
                SignatureScheme::ECDSA_SECP384R1_SHA384,
                KeyKind::EcdsaP384,
            ),
            (
                "rsa_keygen_bits:2048",
                "-sha256",
                SignatureScheme::RSA_PKCS1_SHA256,
                KeyKind::Rsa,
            ),
        ] {
            let alg = if keyopt.starts_with("rsa") {
                "rsa"
            } else {
                "ec"
            };
            openssl(&[
                "req",
                "-x509",
                "-newkey",
                alg,
                "-pkeyopt",
                keyopt,
                "-nodes",
                "-subj",
                "/CN=peer",
                "-days",
                "1",
                "-outform",
                "DER",
                "-keyout",
                &p("k.pem"),
                "-out",
                &p("c.der"),
            ]);
            openssl(&[
                "dgst",
                digest,
                "-sign",
                &p("k.pem"),
                "-out",
                &p("sig"),
                &p("msg"),
            ]);
            let key = PeerKey::from_certificate(&std::fs::read(p("c.der")).unwrap()).unwrap();
            assert_eq!(key.kind(), kind);
            let sig = std::fs::read(p("sig")).unwrap();
            let msg = std::fs::read(p("msg")).unwrap();
            assert_eq!(key.verify(scheme, &msg, &sig), Ok(()), "{scheme}");
            assert_eq!(
                key.verify(scheme, b"another message", &sig),
                Err(VerifyError::BadSignature(scheme))
            );
            assert!(matches!(
                key.verify(SignatureScheme::ED25519, &msg, &sig),
                Err(VerifyError::Scheme { .. })
            ));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(
            PeerKey::from_certificate(b"junk"),
            Err(VerifyError::Certificate(_))
        ));
    }
}
