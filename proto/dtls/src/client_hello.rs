//! ClientHello (RFC 5246 section 7.4.1.2, with DTLS's cookie, RFC 6347 section 4.2.1), as a
//! view of its body, and its writer.

use crate::ParseError;
use crate::codes::{CipherSuite, ProtocolVersion};
use crate::extension::Extensions;
use crate::reader::{Reader, U16List, write_vec};

/// A ClientHello, borrowed from its reassembled body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// The highest version the client speaks in this field (1.2 for a browser offering 1.3
    /// too: 1.3 lives in supported_versions).
    pub version: ProtocolVersion,
    /// The client's random.
    pub random: &'a [u8; 32],
    /// The session id (DTLS 1.3 clients send a legacy one; resumption is not offered).
    pub session_id: &'a [u8],
    /// The cookie of the server's HelloVerifyRequest, empty at first.
    pub cookie: &'a [u8],
    /// The offered cipher suites, in preference order.
    pub cipher_suites: U16List<'a>,
    /// The compression methods (must include null, 0).
    pub compression_methods: &'a [u8],
    /// The extensions.
    pub extensions: Extensions<'a>,
}

impl<'a> ClientHello<'a> {
    /// Parses a ClientHello's body.
    pub fn parse(body: &'a [u8]) -> Result<ClientHello<'a>, ParseError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16("client_version")?);
        let random = r.array::<32>("random")?;
        let session_id = r.vec(1, 0, 32, "session_id")?;
        let cookie = r.vec(1, 0, 255, "cookie")?;
        let cipher_suites = U16List::new(r.vec(2, 2, 65534, "cipher_suites")?, "cipher_suites")?;
        let compression_methods = r.vec(1, 1, 255, "compression_methods")?;
        let extensions = if r.is_empty() {
            Extensions::default()
        } else {
            let block = r.vec(2, 0, 65535, "extensions")?;
            r.finish("ClientHello")?;
            Extensions::parse(block)?
        };
        Ok(ClientHello {
            version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    /// The offered suites, typed.
    pub fn suites(&self) -> impl Iterator<Item = CipherSuite> + 'a {
        self.cipher_suites.iter().map(CipherSuite)
    }

    /// Whether the null compression method is offered (required, RFC 5246 s7.4.1.2).
    #[must_use]
    pub fn offers_null_compression(&self) -> bool {
        self.compression_methods.contains(&0)
    }
}

/// What a ClientHello this side sends says.
#[derive(Debug, Clone, Copy)]
pub struct ClientHelloFields<'a> {
    /// client_version (DTLS 1.2).
    pub version: ProtocolVersion,
    /// The client's random.
    pub random: &'a [u8; 32],
    /// The cookie to echo (empty at first).
    pub cookie: &'a [u8],
    /// The suites offered.
    pub cipher_suites: &'a [CipherSuite],
    /// The extensions block, written with [`crate::extension`]'s writers.
    pub extensions: &'a [u8],
}

/// Appends a ClientHello's body.
pub fn write_client_hello(out: &mut Vec<u8>, f: &ClientHelloFields<'_>) {
    out.extend_from_slice(&f.version.0.to_be_bytes());
    out.extend_from_slice(f.random);
    out.push(0); // no session id: WebRTC does not resume
    write_vec(out, 1, |o| o.extend_from_slice(f.cookie));
    write_vec(out, 2, |o| {
        for s in f.cipher_suites {
            o.extend_from_slice(&s.0.to_be_bytes());
        }
    });
    out.extend_from_slice(&[1, 0]); // null compression only
    write_vec(out, 2, |o| o.extend_from_slice(f.extensions));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{ExtensionType, NamedGroup, SrtpProfileId};
    use crate::extension::*;

    #[test]
    fn a_written_client_hello_parses_back() {
        let mut ext = Vec::new();
        write_use_srtp(&mut ext, &[SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80]);
        write_supported_groups(&mut ext, &[NamedGroup::X25519]);
        write_extended_master_secret(&mut ext);
        let random = [5u8; 32];
        let mut body = Vec::new();
        write_client_hello(
            &mut body,
            &ClientHelloFields {
                version: ProtocolVersion::DTLS1_2,
                random: &random,
                cookie: &[1, 2, 3],
                cipher_suites: &[
                    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    CipherSuite(0x1301),
                ],
                extensions: &ext,
            },
        );
        let h = ClientHello::parse(&body).unwrap();
        assert_eq!(h.version, ProtocolVersion::DTLS1_2);
        assert_eq!(h.random, &random);
        assert_eq!((h.session_id, h.cookie), (&[][..], &[1, 2, 3][..]));
        assert_eq!(
            h.suites().collect::<Vec<_>>(),
            [
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                CipherSuite(0x1301)
            ]
        );
        assert!(h.offers_null_compression());
        assert!(h.extensions.has(ExtensionType::USE_SRTP));
        assert!(h.extensions.extended_master_secret().unwrap());
    }

    #[test]
    fn every_cut_of_a_client_hello_is_an_error_not_a_panic() {
        let mut body = Vec::new();
        write_client_hello(
            &mut body,
            &ClientHelloFields {
                version: ProtocolVersion::DTLS1_2,
                random: &[0; 32],
                cookie: &[],
                cipher_suites: &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
                extensions: &[0, 23, 0, 0],
            },
        );
        assert!(ClientHello::parse(&body).is_ok());
        for n in 0..body.len() {
            // Cut just before the extensions, a hello without extensions is valid.
            if n == body.len() - 6 {
                continue;
            }
            assert!(ClientHello::parse(&body[..n]).is_err(), "cut at {n}");
        }
        let mut trailing = body.clone();
        trailing.push(0);
        assert!(ClientHello::parse(&trailing).is_err());
    }
}
