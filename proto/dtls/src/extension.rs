//! Hello extensions (RFC 5246 section 7.4.1.4): the list as a borrowed view, and typed
//! views of the ones DTLS-SRTP needs. Extensions this crate does not know (a browser's
//! DTLS 1.3 key_share, psk modes, record_size_limit...) are skipped, as the RFC asks.

use crate::ParseError;
use crate::codes::{ExtensionType, NamedGroup, ProtocolVersion, SignatureScheme, SrtpProfileId};
use crate::reader::{Reader, U16List, write_vec};

/// A hello's extensions, borrowed. Parsing checks the framing and that no type appears
/// twice; each typed view parses its own body when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extensions<'a>(&'a [u8]);

impl<'a> Extensions<'a> {
    /// The extensions of a block (the bytes inside the 2-byte length prefix).
    pub fn parse(block: &'a [u8]) -> Result<Extensions<'a>, ParseError> {
        let ext = Extensions(block);
        let mut seen: Vec<u16> = Vec::new();
        let mut r = Reader::new(block);
        while !r.is_empty() {
            let ty = r.u16("extension type")?;
            r.vec(2, 0, usize::MAX, "extension body")?;
            if seen.contains(&ty) {
                return Err(ParseError::DuplicateExtension(ty));
            }
            seen.push(ty);
        }
        Ok(ext)
    }

    /// Each extension's type and body, in order.
    pub fn iter(&self) -> impl Iterator<Item = (ExtensionType, &'a [u8])> + 'a {
        let mut r = Reader::new(self.0);
        std::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            // Checked in `parse`.
            let ty = r.u16("extension type").ok()?;
            let body = r.vec(2, 0, usize::MAX, "extension body").ok()?;
            Some((ExtensionType(ty), body))
        })
    }

    /// The body of extension `ty`, if present.
    #[must_use]
    pub fn get(&self, ty: ExtensionType) -> Option<&'a [u8]> {
        self.iter().find(|(t, _)| *t == ty).map(|(_, b)| b)
    }

    /// Whether extension `ty` is present.
    #[must_use]
    pub fn has(&self, ty: ExtensionType) -> bool {
        self.get(ty).is_some()
    }

    /// use_srtp, if present.
    pub fn use_srtp(&self) -> Result<Option<UseSrtp<'a>>, ParseError> {
        self.get(ExtensionType::USE_SRTP)
            .map(UseSrtp::parse)
            .transpose()
    }

    /// supported_groups, if present.
    pub fn supported_groups(&self) -> Result<Option<U16List<'a>>, ParseError> {
        self.u16_list(ExtensionType::SUPPORTED_GROUPS, "supported_groups")
    }

    /// signature_algorithms, if present.
    pub fn signature_algorithms(&self) -> Result<Option<U16List<'a>>, ParseError> {
        self.u16_list(ExtensionType::SIGNATURE_ALGORITHMS, "signature_algorithms")
    }

    /// A ClientHello's supported_versions ((D)TLS 1.3), if present: a 1-byte length prefix.
    pub fn supported_versions(&self) -> Result<Option<U16List<'a>>, ParseError> {
        let Some(body) = self.get(ExtensionType::SUPPORTED_VERSIONS) else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let list = U16List::new(
            r.vec(1, 2, 254, "supported_versions")?,
            "supported_versions",
        )?;
        r.finish("supported_versions")?;
        Ok(Some(list))
    }

    /// ec_point_formats, if present (a 1-byte length prefix, one byte per format).
    pub fn ec_point_formats(&self) -> Result<Option<&'a [u8]>, ParseError> {
        let Some(body) = self.get(ExtensionType::EC_POINT_FORMATS) else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let formats = r.vec(1, 1, 255, "ec_point_formats")?;
        r.finish("ec_point_formats")?;
        Ok(Some(formats))
    }

    /// renegotiation_info's renegotiated_connection, if present (empty on a first
    /// handshake, RFC 5746 section 3.2).
    pub fn renegotiation_info(&self) -> Result<Option<&'a [u8]>, ParseError> {
        let Some(body) = self.get(ExtensionType::RENEGOTIATION_INFO) else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let info = r.vec(1, 0, 255, "renegotiation_info")?;
        r.finish("renegotiation_info")?;
        Ok(Some(info))
    }

    /// Whether extended_master_secret is present (its body must be empty, RFC 7627 s5.1).
    pub fn extended_master_secret(&self) -> Result<bool, ParseError> {
        match self.get(ExtensionType::EXTENDED_MASTER_SECRET) {
            None => Ok(false),
            Some([]) => Ok(true),
            Some(b) => Err(ParseError::Trailing {
                what: "extended_master_secret",
                extra: b.len(),
            }),
        }
    }

    fn u16_list(
        &self,
        ty: ExtensionType,
        what: &'static str,
    ) -> Result<Option<U16List<'a>>, ParseError> {
        let Some(body) = self.get(ty) else {
            return Ok(None);
        };
        let mut r = Reader::new(body);
        let list = U16List::new(r.vec(2, 2, 65534, what)?, what)?;
        r.finish(what)?;
        Ok(Some(list))
    }
}

/// The use_srtp extension (RFC 5764 section 4.1.1): the protection profiles, and an MKI
/// (which WebRTC never uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UseSrtp<'a> {
    /// The profiles, in the sender's order of preference.
    pub profiles: U16List<'a>,
    /// The MKI value, usually empty.
    pub mki: &'a [u8],
}

impl<'a> UseSrtp<'a> {
    /// Parses the extension's body.
    pub fn parse(body: &'a [u8]) -> Result<UseSrtp<'a>, ParseError> {
        let mut r = Reader::new(body);
        let profiles = U16List::new(
            r.vec(2, 2, 65534, "use_srtp profiles")?,
            "use_srtp profiles",
        )?;
        let mki = r.vec(1, 0, 255, "use_srtp mki")?;
        r.finish("use_srtp")?;
        Ok(UseSrtp { profiles, mki })
    }

    /// The profiles, typed.
    pub fn profile_ids(&self) -> impl Iterator<Item = SrtpProfileId> + 'a {
        self.profiles.iter().map(SrtpProfileId)
    }
}

/// Appends one extension, its body written by `body`.
pub fn write_extension(out: &mut Vec<u8>, ty: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) {
    out.extend_from_slice(&ty.0.to_be_bytes());
    write_vec(out, 2, body);
}

/// Appends use_srtp with `profiles` and an empty MKI.
pub fn write_use_srtp(out: &mut Vec<u8>, profiles: &[SrtpProfileId]) {
    write_extension(out, ExtensionType::USE_SRTP, |o| {
        write_vec(o, 2, |o| {
            for p in profiles {
                o.extend_from_slice(&p.0.to_be_bytes());
            }
        });
        o.push(0);
    });
}

/// Appends supported_groups.
pub fn write_supported_groups(out: &mut Vec<u8>, groups: &[NamedGroup]) {
    write_extension(out, ExtensionType::SUPPORTED_GROUPS, |o| {
        write_vec(o, 2, |o| {
            for g in groups {
                o.extend_from_slice(&g.0.to_be_bytes());
            }
        });
    });
}

/// Appends signature_algorithms.
pub fn write_signature_algorithms(out: &mut Vec<u8>, schemes: &[SignatureScheme]) {
    write_extension(out, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
        write_vec(o, 2, |o| {
            for s in schemes {
                o.extend_from_slice(&s.0.to_be_bytes());
            }
        });
    });
}

/// Appends a ClientHello's supported_versions.
pub fn write_supported_versions(out: &mut Vec<u8>, versions: &[ProtocolVersion]) {
    write_extension(out, ExtensionType::SUPPORTED_VERSIONS, |o| {
        write_vec(o, 1, |o| {
            for v in versions {
                o.extend_from_slice(&v.0.to_be_bytes());
            }
        });
    });
}

/// Appends ec_point_formats with the uncompressed format only (RFC 8422 section 5.1.2).
pub fn write_ec_point_formats(out: &mut Vec<u8>) {
    write_extension(out, ExtensionType::EC_POINT_FORMATS, |o| {
        write_vec(o, 1, |o| o.push(0));
    });
}

/// Appends an empty renegotiation_info (a first handshake, RFC 5746 section 3.4).
pub fn write_renegotiation_info(out: &mut Vec<u8>) {
    write_extension(out, ExtensionType::RENEGOTIATION_INFO, |o| o.push(0));
}

/// Appends extended_master_secret (RFC 7627).
pub fn write_extended_master_secret(out: &mut Vec<u8>) {
    write_extension(out, ExtensionType::EXTENDED_MASTER_SECRET, |_| {});
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(build: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        build(&mut out);
        out
    }

    #[test]
    fn typed_extensions_round_trip_and_unknown_ones_are_skipped() {
        let b = block(|o| {
            write_use_srtp(
                o,
                &[
                    SrtpProfileId::SRTP_AEAD_AES_128_GCM,
                    SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80,
                ],
            );
            write_extension(o, ExtensionType::KEY_SHARE, |o| {
                o.extend_from_slice(&[7; 1216])
            });
            write_supported_groups(o, &[NamedGroup::X25519MLKEM768, NamedGroup::X25519]);
            write_signature_algorithms(o, &[SignatureScheme::ECDSA_SECP256R1_SHA256]);
            write_supported_versions(o, &[ProtocolVersion::DTLS1_3, ProtocolVersion::DTLS1_2]);
            write_ec_point_formats(o);
            write_renegotiation_info(o);
            write_extended_master_secret(o);
        });
        let e = Extensions::parse(&b).unwrap();
        let srtp = e.use_srtp().unwrap().unwrap();
        assert_eq!(
            srtp.profile_ids().collect::<Vec<_>>(),
            [
                SrtpProfileId::SRTP_AEAD_AES_128_GCM,
                SrtpProfileId::SRTP_AES128_CM_HMAC_SHA1_80
            ]
        );
        assert!(srtp.mki.is_empty());
        let groups = e.supported_groups().unwrap().unwrap();
        assert!(groups.contains(NamedGroup::X25519.0) && groups.len() == 2);
        assert!(e.signature_algorithms().unwrap().unwrap().contains(0x0403));
        assert!(e.supported_versions().unwrap().unwrap().contains(0xfefc));
        assert_eq!(e.ec_point_formats().unwrap(), Some(&[0][..]));
        assert_eq!(e.renegotiation_info().unwrap(), Some(&[][..]));
        assert!(e.extended_master_secret().unwrap());
        assert_eq!(e.get(ExtensionType::KEY_SHARE).map(<[u8]>::len), Some(1216));
        assert_eq!(e.iter().count(), 8);
    }

    #[test]
    fn duplicates_bad_framing_and_bad_bodies_are_errors() {
        let twice = block(|o| {
            write_extended_master_secret(o);
            write_extended_master_secret(o);
        });
        assert_eq!(
            Extensions::parse(&twice),
            Err(ParseError::DuplicateExtension(23))
        );
        assert!(Extensions::parse(&[0, 14, 0, 5, 0]).is_err());
        let odd = block(|o| {
            write_extension(o, ExtensionType::USE_SRTP, |o| o.extend([0, 3, 0, 1, 2, 0]))
        });
        assert!(Extensions::parse(&odd).unwrap().use_srtp().is_err());
        let ems =
            block(|o| write_extension(o, ExtensionType::EXTENDED_MASTER_SECRET, |o| o.push(1)));
        assert!(
            Extensions::parse(&ems)
                .unwrap()
                .extended_master_secret()
                .is_err()
        );
        assert_eq!(Extensions::parse(&[]).unwrap().use_srtp(), Ok(None));
    }
}
