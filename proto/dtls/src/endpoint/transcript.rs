//! The handshake transcript: every handshake message of the handshake so far, each as one
//! whole fragment with its DTLS header (RFC 6347 section 4.2.6), except the first
//! ClientHello and the HelloVerifyRequest. Finished, CertificateVerify and the extended
//! master secret are computed over it.

use sha2::{Digest, Sha256, Sha384};

use crate::codes::HandshakeType;
use crate::handshake::write_whole;
use crate::prf::PrfHash;

/// The handshake messages so far.
#[derive(Debug, Default)]
pub(crate) struct Transcript {
    bytes: Vec<u8>,
}

impl Transcript {
    /// Adds a message.
    pub(crate) fn add(&mut self, msg_type: HandshakeType, message_seq: u16, body: &[u8]) {
        write_whole(&mut self.bytes, msg_type, message_seq, body);
    }

    /// Forgets everything (after a HelloVerifyRequest).
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
    }

    /// The messages, as CertificateVerify signs them.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The hash of the messages with the suite's PRF hash.
    pub(crate) fn hash(&self, hash: PrfHash) -> Vec<u8> {
        match hash {
            PrfHash::Sha256 => Sha256::digest(&self.bytes).to_vec(),
            PrfHash::Sha384 => Sha384::digest(&self.bytes).to_vec(),
        }
    }
}
