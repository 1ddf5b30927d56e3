//! The server's stateless cookie exchange (RFC 6347 section 4.2.1): a HelloVerifyRequest
//! carries a cookie the client must echo in a second ClientHello before the server keeps any
//! state or does any expensive work, so a spoofed source cannot make the server amplify or
//! allocate. The cookie is an HMAC, keyed by a secret only the server knows, of the client's
//! address and the ClientHello's parameters: nothing is stored per client.

use std::net::SocketAddr;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wren_core::constant_time_eq;

use crate::ParseError;
use crate::client_hello::ClientHello;
use crate::codes::ProtocolVersion;
use crate::reader::{Reader, write_vec};

/// Bytes of the cookies made here.
pub const COOKIE_LEN: usize = 32;

/// A HelloVerifyRequest's body, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HelloVerifyRequest<'a> {
    /// server_version (DTLS 1.0 from a 1.2 server, RFC 6347 section 4.2.1).
    pub version: ProtocolVersion,
    /// The cookie to echo.
    pub cookie: &'a [u8],
}

impl<'a> HelloVerifyRequest<'a> {
    /// Parses a HelloVerifyRequest's body.
    pub fn parse(body: &'a [u8]) -> Result<HelloVerifyRequest<'a>, ParseError> {
        let mut r = Reader::new(body);
        let version = ProtocolVersion(r.u16("server_version")?);
        let cookie = r.vec(1, 0, 255, "cookie")?;
        r.finish("HelloVerifyRequest")?;
        Ok(HelloVerifyRequest { version, cookie })
    }
}

/// Appends a HelloVerifyRequest's body with `cookie` (server_version DTLS 1.0, which every
/// DTLS client accepts, as RFC 6347 section 4.2.1 advises).
pub fn write_hello_verify_request(out: &mut Vec<u8>, cookie: &[u8]) {
    out.extend_from_slice(&ProtocolVersion::DTLS1_0.0.to_be_bytes());
    write_vec(out, 1, |o| o.extend_from_slice(cookie));
}

/// Makes and checks cookies. The secret comes from the machine's seeded generator.
#[derive(Clone)]
pub struct CookieJar {
    secret: [u8; 32],
}

impl std::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CookieJar(..)")
    }
}

impl CookieJar {
    /// A jar keyed by `secret`.
    #[must_use]
    pub fn new(secret: [u8; 32]) -> CookieJar {
        CookieJar { secret }
    }

    /// The cookie for `hello` from `client`: over the address and every ClientHello field
    /// but the cookie itself (RFC 6347 section 4.2.1), so a cookie works only for the hello
    /// it was made for and from where it came.
    #[must_use]
    pub fn cookie(&self, client: SocketAddr, hello: &ClientHello<'_>) -> [u8; COOKIE_LEN] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        match client {
            SocketAddr::V4(a) => mac.update(&a.ip().octets()),
            SocketAddr::V6(a) => mac.update(&a.ip().octets()),
        }
        mac.update(&client.port().to_be_bytes());
        mac.update(&hello.version.0.to_be_bytes());
        mac.update(hello.random);
        mac.update(&[hello.session_id.len() as u8]);
        mac.update(hello.session_id);
        mac.update(&(hello.cipher_suites.len() as u16).to_be_bytes());
        mac.update(hello.cipher_suites.0);
        mac.update(&[hello.compression_methods.len() as u8]);
        mac.update(hello.compression_methods);
        mac.finalize().into_bytes().into()
    }

    /// Whether `hello` echoes the cookie made for it from `client` (in constant time).
    #[must_use]
    pub fn verify(&self, client: SocketAddr, hello: &ClientHello<'_>) -> bool {
        let want = self.cookie(client, hello);
        constant_time_eq(&want, hello.cookie)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client_hello::{ClientHelloFields, write_client_hello};
    use crate::codes::CipherSuite;

    fn hello_body(random: u8, cookie: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        write_client_hello(
            &mut body,
            &ClientHelloFields {
                version: ProtocolVersion::DTLS1_2,
                random: &[random; 32],
                cookie,
                cipher_suites: &[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
                extensions: &[],
            },
        );
        body
    }

    #[test]
    fn a_cookie_holds_for_its_hello_and_address_only() {
        let jar = CookieJar::new([7; 32]);
        let client: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let first = hello_body(1, &[]);
        let cookie = jar.cookie(client, &ClientHello::parse(&first).unwrap());
        let second = hello_body(1, &cookie);
        let echo = ClientHello::parse(&second).unwrap();
        assert!(jar.verify(client, &echo));
        assert!(
            !jar.verify("192.0.2.1:5001".parse().unwrap(), &echo),
            "another port"
        );
        assert!(
            !CookieJar::new([8; 32]).verify(client, &echo),
            "another secret"
        );
        let other = hello_body(2, &cookie);
        assert!(
            !jar.verify(client, &ClientHello::parse(&other).unwrap()),
            "another hello"
        );
        let first = ClientHello::parse(&first).unwrap();
        assert!(!jar.verify(client, &first), "no cookie");

        let mut hvr = Vec::new();
        write_hello_verify_request(&mut hvr, &cookie);
        let parsed = HelloVerifyRequest::parse(&hvr).unwrap();
        assert_eq!(
            (parsed.version, parsed.cookie),
            (ProtocolVersion::DTLS1_0, &cookie[..])
        );
        assert!(HelloVerifyRequest::parse(&hvr[..hvr.len() - 1]).is_err());
    }
}
