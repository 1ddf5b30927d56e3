//! Why a handshake or connection failed, typed: a person debugging a call learns which
//! fingerprint, suite, profile or message it was.

use crate::ParseError;
use crate::codes::{
    AlertDescription, CipherSuite, HandshakeType, NamedGroup, ProtocolVersion, SrtpProfileId,
};
use crate::fingerprint::Fingerprint;
use crate::kx::KxError;
use crate::reassembly::ReassemblyError;
use crate::verify::VerifyError;

/// Why the DTLS connection failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The peer's certificate is not the one its signalling announced.
    #[error("the peer's certificate has fingerprint {got}, the peer announced {expected:?}")]
    FingerprintMismatch {
        /// What the peer announced.
        expected: Vec<Fingerprint>,
        /// The fingerprint of what it presented (same hash as the first announced).
        got: Fingerprint,
    },
    /// The peer presented no certificate (WebRTC requires one both ways).
    #[error("the peer presented no certificate")]
    NoPeerCertificate,
    /// The peer stopped answering: the handshake deadline passed.
    #[error("no answer to our flight {flight} after {transmissions} transmissions")]
    HandshakeTimeout {
        /// Our last flight (RFC 6347 numbering: 1, 3 and 5 are the client's; 2, 4 the
        /// server's).
        flight: u8,
        /// How many times it was sent.
        transmissions: u32,
    },
    /// The peer sent a fatal alert.
    #[error("the peer sent a fatal alert: {0}")]
    PeerAlert(AlertDescription),
    /// No suite in common.
    #[error("no common cipher suite; the peer offered {offered:?}")]
    NoCommonSuite {
        /// What the peer offered.
        offered: Vec<CipherSuite>,
    },
    /// No ECDHE group in common.
    #[error("no common ECDHE group; the peer offered {offered:?}")]
    NoCommonGroup {
        /// What the peer offered.
        offered: Vec<NamedGroup>,
    },
    /// No SRTP profile in common (or the peer did not offer use_srtp).
    #[error("no common SRTP profile; the peer offered {offered:?}")]
    NoCommonSrtpProfile {
        /// What the peer offered.
        offered: Vec<SrtpProfileId>,
    },
    /// The peer did not offer extended_master_secret (RFC 7627; required here).
    #[error("the peer does not use the extended master secret (RFC 7627)")]
    NoExtendedMasterSecret,
    /// The peer's version is below DTLS 1.2.
    #[error("the peer speaks {0}, not DTLS 1.2")]
    Version(ProtocolVersion),
    /// The peer's server chose what we did not offer.
    #[error("the server chose {0}, which we did not offer")]
    NotOffered(&'static str),
    /// A handshake message did not parse.
    #[error("{message} does not parse: {error}")]
    Decode {
        /// The message.
        message: HandshakeType,
        /// Why.
        error: ParseError,
    },
    /// A message that does not belong here.
    #[error("unexpected {0}")]
    Unexpected(HandshakeType),
    /// Fragments did not fit together.
    #[error(transparent)]
    Reassembly(#[from] ReassemblyError),
    /// The peer's certificate or signature did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The key exchange failed.
    #[error(transparent)]
    KeyExchange(#[from] KxError),
    /// The peer's Finished does not match the handshake.
    #[error("the peer's Finished does not match the handshake")]
    BadFinished,
    /// This side could not sign (its key).
    #[error("could not sign with our key")]
    Sign,
}

impl Failure {
    /// What a parse error of a `message` of the peer's becomes (for `map_err`).
    pub(crate) fn decode(message: HandshakeType) -> impl Fn(ParseError) -> Failure {
        move |error| Failure::Decode { message, error }
    }

    /// The alert this side sends for it.
    pub(crate) fn alert(&self) -> Option<AlertDescription> {
        Some(match self {
            Failure::FingerprintMismatch { .. } | Failure::NoPeerCertificate => {
                AlertDescription::BAD_CERTIFICATE
            }
            Failure::HandshakeTimeout { .. } | Failure::PeerAlert(_) => return None,
            Failure::NoCommonSuite { .. }
            | Failure::NoCommonGroup { .. }
            | Failure::NoCommonSrtpProfile { .. }
            | Failure::NoExtendedMasterSecret => AlertDescription::HANDSHAKE_FAILURE,
            Failure::Version(_) => AlertDescription::PROTOCOL_VERSION,
            Failure::NotOffered(_) => AlertDescription::ILLEGAL_PARAMETER,
            Failure::Decode { .. } | Failure::Reassembly(_) => AlertDescription::DECODE_ERROR,
            Failure::Unexpected(_) => AlertDescription::UNEXPECTED_MESSAGE,
            Failure::Verify(_) | Failure::BadFinished => AlertDescription::DECRYPT_ERROR,
            Failure::KeyExchange(KxError::Random(_)) => AlertDescription::INTERNAL_ERROR,
            Failure::KeyExchange(_) => AlertDescription::ILLEGAL_PARAMETER,
            Failure::Sign => AlertDescription::INTERNAL_ERROR,
        })
    }
}
