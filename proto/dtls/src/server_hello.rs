//! ServerHello (RFC 5246 section 7.4.1.3): the version, suite and extensions the server
//! chose.

use crate::ParseError;
use crate::codes::{CipherSuite, ProtocolVersion};
use crate::extension::Extensions;
use crate::reader::{Reader, write_vec};

/// A ServerHello, borrowed from its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// The version chosen (DTLS 1.2).
    pub version: ProtocolVersion,
    /// The server's random.
    pub random: &'a [u8; 32],
    /// The session id (not resumed here).
    pub session_id: &'a [u8],
    /// The suite chosen.
    pub cipher_suite: CipherSuite,
    /// The compression method chosen (null).
    pub compression_method: u8,
    /// The extensions answered.
    pub extensions: Extensions<'a>,
}

impl<'a> ServerHello<'a> {
    /// Parses a ServerHello's body.
    pub fn parse(body: &'a [u8]) -> Result<ServerHello<'a>, ParseError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16("server_version")?);
        let random = r.array::<32>("random")?;
        let session_id = r.vec(1, 0, 32, "session_id")?;
        let cipher_suite = CipherSuite(r.u16("cipher_suite")?);
        let compression_method = r.u8("compression_method")?;
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let block = r.vec(2, 0, 65535, "extensions")?;
            r.finish("ServerHello")?;
            Extensions::parse(block)?
        };
        Ok(ServerHello {
            version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }
}

/// Appends a ServerHello's body: DTLS 1.2, `random`, a `session_id`, `suite`, null
/// compression, and the `extensions` block.
pub fn write_server_hello(
    out: &mut Vec<u8>,
    random: &[u8; 32],
    session_id: &[u8],
    suite: CipherSuite,
    extensions: &[u8],
) {
    out.extend_from_slice(&ProtocolVersion::DTLS1_2.0.to_be_bytes());
    out.extend_from_slice(random);
    write_vec(out, 1, |o| o.extend_from_slice(session_id));
    out.extend_from_slice(&suite.0.to_be_bytes());
    out.push(0);
    write_vec(out, 2, |o| o.extend_from_slice(extensions));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::SrtpProfileId;
    use crate::extension::{write_extended_master_secret, write_use_srtp};

    #[test]
    fn a_written_server_hello_parses_back_and_cuts_are_errors() {
        let mut ext = Vec::new();
        write_use_srtp(&mut ext, &[SrtpProfileId::SRTP_AEAD_AES_128_GCM]);
        write_extended_master_secret(&mut ext);
        let mut body = Vec::new();
        write_server_hello(
            &mut body,
            &[3; 32],
            &[9; 32],
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            &ext,
        );
        let h = ServerHello::parse(&body).unwrap();
        assert_eq!(h.version, ProtocolVersion::DTLS1_2);
        assert_eq!((h.random, h.session_id.len()), (&[3; 32], 32));
        assert_eq!(
            h.cipher_suite,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        );
        let srtp = h.extensions.use_srtp().unwrap().unwrap();
        assert_eq!(
            srtp.profile_ids().collect::<Vec<_>>(),
            [SrtpProfileId::SRTP_AEAD_AES_128_GCM]
        );
        for n in 0..body.len() - ext.len() - 2 {
            assert!(ServerHello::parse(&body[..n]).is_err(), "cut at {n}");
        }
    }
}
