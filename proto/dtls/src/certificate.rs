//! Certificate and CertificateRequest (RFC 5246 sections 7.4.2 and 7.4.4). WebRTC checks a
//! peer's certificate against the fingerprint its SDP announced, not against a CA, so the
//! chain is read as DER blobs and the first one is the peer's.

use crate::ParseError;
use crate::reader::{Reader, U16List, write_uint, write_vec};

/// A Certificate message: the DER certificates, the sender's first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Certificate<'a> {
    list: &'a [u8],
}

impl<'a> Certificate<'a> {
    /// Parses a Certificate's body.
    pub fn parse(body: &'a [u8]) -> Result<Certificate<'a>, ParseError> {
        let mut r = Reader::new(body);
        let list = r.vec(3, 0, 1 << 24, "certificate_list")?;
        r.finish("Certificate")?;
        let mut each = Reader::new(list);
        while !each.is_empty() {
            each.vec(3, 1, 1 << 24, "ASN.1Cert")?;
        }
        Ok(Certificate { list })
    }

    /// The DER certificates, in order.
    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.list);
        std::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            // Checked in `parse`.
            r.vec(3, 1, 1 << 24, "ASN.1Cert").ok()
        })
    }

    /// The sender's own certificate, if it sent any.
    #[must_use]
    pub fn end_entity(&self) -> Option<&'a [u8]> {
        self.iter().next()
    }
}

/// Appends a Certificate's body holding `chain` (DER, the sender's first).
pub fn write_certificate(out: &mut Vec<u8>, chain: &[&[u8]]) {
    write_vec(out, 3, |o| {
        for der in chain {
            write_uint(o, der.len() as u64, 3);
            o.extend_from_slice(der);
        }
    });
}

/// ClientCertificateType ecdsa_sign (RFC 8422 section 5.5).
pub const ECDSA_SIGN: u8 = 64;
/// ClientCertificateType rsa_sign.
pub const RSA_SIGN: u8 = 1;

/// A CertificateRequest: WebRTC servers always ask, so that both sides prove their
/// fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateRequest<'a> {
    /// The certificate types accepted.
    pub certificate_types: &'a [u8],
    /// The signature schemes accepted.
    pub signature_algorithms: U16List<'a>,
    /// Distinguished names of accepted CAs (empty in WebRTC).
    pub authorities: &'a [u8],
}

impl<'a> CertificateRequest<'a> {
    /// Parses a CertificateRequest's body.
    pub fn parse(body: &'a [u8]) -> Result<CertificateRequest<'a>, ParseError> {
        let mut r = Reader::new(body);
        let certificate_types = r.vec(1, 1, 255, "certificate_types")?;
        let signature_algorithms = U16List::new(
            r.vec(2, 2, 65534, "supported_signature_algorithms")?,
            "supported_signature_algorithms",
        )?;
        let authorities = r.vec(2, 0, 65535, "certificate_authorities")?;
        r.finish("CertificateRequest")?;
        Ok(CertificateRequest {
            certificate_types,
            signature_algorithms,
            authorities,
        })
    }
}

/// Appends a CertificateRequest's body: `types`, `schemes`, no authorities.
pub fn write_certificate_request(out: &mut Vec<u8>, types: &[u8], schemes: &[u16]) {
    write_vec(out, 1, |o| o.extend_from_slice(types));
    write_vec(out, 2, |o| {
        for s in schemes {
            o.extend_from_slice(&s.to_be_bytes());
        }
    });
    out.extend_from_slice(&[0, 0]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_and_a_request_round_trip() {
        let mut body = Vec::new();
        write_certificate(&mut body, &[b"leaf-der", b"ca-der"]);
        let c = Certificate::parse(&body).unwrap();
        assert_eq!(c.iter().collect::<Vec<_>>(), [&b"leaf-der"[..], b"ca-der"]);
        assert_eq!(c.end_entity(), Some(&b"leaf-der"[..]));
        assert!(Certificate::parse(&body[..body.len() - 1]).is_err());
        let mut empty = Vec::new();
        write_certificate(&mut empty, &[]);
        assert_eq!(Certificate::parse(&empty).unwrap().end_entity(), None);
        // A zero-length certificate inside the list is invalid.
        assert!(Certificate::parse(&[0, 0, 3, 0, 0, 0]).is_err());

        let mut req = Vec::new();
        write_certificate_request(&mut req, &[ECDSA_SIGN, RSA_SIGN], &[0x0403, 0x0804]);
        let r = CertificateRequest::parse(&req).unwrap();
        assert_eq!(r.certificate_types, [ECDSA_SIGN, RSA_SIGN]);
        assert!(r.signature_algorithms.contains(0x0804));
        assert!(r.authorities.is_empty());
        assert!(CertificateRequest::parse(&req[..req.len() - 1]).is_err());
    }
}
