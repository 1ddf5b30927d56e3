//! The ECDHE key exchange messages (RFC 8422 sections 5.4 and 5.7) and the signatures they
//! and CertificateVerify carry (RFC 5246 section 4.7, `digitally-signed`).

use crate::ParseError;
use crate::codes::{NamedGroup, SignatureScheme};
use crate::reader::{Reader, write_vec};

/// ECCurveType named_curve (RFC 8422 section 5.4): the only one allowed.
pub const NAMED_CURVE: u8 = 3;

/// A signature and the scheme it was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigitallySigned<'a> {
    /// The scheme.
    pub scheme: SignatureScheme,
    /// The signature bytes (DER for ECDSA).
    pub signature: &'a [u8],
}

impl<'a> DigitallySigned<'a> {
    fn read(r: &mut Reader<'a>) -> Result<DigitallySigned<'a>, ParseError> {
        let scheme = SignatureScheme(r.u16("signature algorithm")?);
        let signature = r.vec(2, 0, 65535, "signature")?;
        Ok(DigitallySigned { scheme, signature })
    }

    /// Parses a CertificateVerify's body, which is just this.
    pub fn parse(body: &'a [u8]) -> Result<DigitallySigned<'a>, ParseError> {
        let mut r = Reader::new(body);
        let s = DigitallySigned::read(&mut r)?;
        r.finish("CertificateVerify")?;
        Ok(s)
    }
}

/// Appends a `digitally-signed` structure (the body of a CertificateVerify).
pub fn write_digitally_signed(out: &mut Vec<u8>, scheme: SignatureScheme, signature: &[u8]) {
    out.extend_from_slice(&scheme.0.to_be_bytes());
    write_vec(out, 2, |o| o.extend_from_slice(signature));
}

/// An ECDHE ServerKeyExchange: the group and the server's public point, signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerKeyExchange<'a> {
    /// The group.
    pub group: NamedGroup,
    /// The server's public key (an uncompressed point, or 32 bytes for X25519).
    pub public: &'a [u8],
    /// The parameters as signed: curve type, group and public key (RFC 8422 section 5.4).
    pub params: &'a [u8],
    /// The signature over client random, server random and `params`.
    pub signed: DigitallySigned<'a>,
}

impl<'a> ServerKeyExchange<'a> {
    /// Parses an ECDHE ServerKeyExchange's body.
    pub fn parse(body: &'a [u8]) -> Result<ServerKeyExchange<'a>, ParseError> {
        let mut r = Reader::new(body);
        let curve_type = r.u8("ECCurveType")?;
        if curve_type != NAMED_CURVE {
            return Err(ParseError::Invalid {
                what: "ECCurveType",
                value: u64::from(curve_type),
            });
        }
        let group = NamedGroup(r.u16("named curve")?);
        let public = r.vec(1, 1, 255, "ECPoint")?;
        let params = &body[..4 + public.len()];
        let signed = DigitallySigned::read(&mut r)?;
        r.finish("ServerKeyExchange")?;
        Ok(ServerKeyExchange {
            group,
            public,
            params,
            signed,
        })
    }
}

/// Appends the ECDHE parameters (what the server signs, after the two randoms).
pub fn write_ecdhe_params(out: &mut Vec<u8>, group: NamedGroup, public: &[u8]) {
    out.push(NAMED_CURVE);
    out.extend_from_slice(&group.0.to_be_bytes());
    write_vec(out, 1, |o| o.extend_from_slice(public));
}

/// An ECDHE ClientKeyExchange: the client's public point.
pub fn parse_client_key_exchange(body: &[u8]) -> Result<&[u8], ParseError> {
    let mut r = Reader::new(body);
    let public = r.vec(1, 1, 255, "ECPoint")?;
    r.finish("ClientKeyExchange")?;
    Ok(public)
}

/// Appends an ECDHE ClientKeyExchange's body.
pub fn write_client_key_exchange(out: &mut Vec<u8>, public: &[u8]) {
    write_vec(out, 1, |o| o.extend_from_slice(public));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_exchanges_and_signatures_round_trip() {
        let mut ske = Vec::new();
        write_ecdhe_params(&mut ske, NamedGroup::X25519, &[4; 32]);
        let params_len = ske.len();
        write_digitally_signed(&mut ske, SignatureScheme::ECDSA_SECP256R1_SHA256, &[1; 71]);
        let s = ServerKeyExchange::parse(&ske).unwrap();
        assert_eq!((s.group, s.public), (NamedGroup::X25519, &[4; 32][..]));
        assert_eq!(s.params, &ske[..params_len]);
        assert_eq!(s.signed.scheme, SignatureScheme::ECDSA_SECP256R1_SHA256);
        assert_eq!(s.signed.signature.len(), 71);
        for n in 0..ske.len() {
            assert!(ServerKeyExchange::parse(&ske[..n]).is_err(), "cut at {n}");
        }
        let mut explicit = ske.clone();
        explicit[0] = 1;
        assert!(ServerKeyExchange::parse(&explicit).is_err());

        let mut cke = Vec::new();
        write_client_key_exchange(&mut cke, &[4; 65]);
        assert_eq!(parse_client_key_exchange(&cke), Ok(&[4; 65][..]));
        assert!(parse_client_key_exchange(&[0]).is_err(), "an empty point");

        let mut cv = Vec::new();
        write_digitally_signed(&mut cv, SignatureScheme::ECDSA_SECP256R1_SHA256, b"sig");
        assert_eq!(DigitallySigned::parse(&cv).unwrap().signature, b"sig");
        cv.push(0);
        assert!(DigitallySigned::parse(&cv).is_err());
    }
}
