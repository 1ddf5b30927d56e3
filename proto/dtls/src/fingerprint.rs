//! Certificate fingerprints as SDP carries them (RFC 8122 section 5: `a=fingerprint:sha-256
//! AB:CD:...`): a WebRTC peer proves its identity by presenting the certificate whose hash
//! its signalled description announced, instead of a CA chain (RFC 8827 section 6.5).

use sha2::{Digest, Sha256, Sha384, Sha512};
use wren_core::constant_time_eq;

/// The hash of a fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// `sha-256`: what browsers announce.
    Sha256,
    /// `sha-384`.
    Sha384,
    /// `sha-512`.
    Sha512,
}

impl HashFunction {
    /// The name SDP uses.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            HashFunction::Sha256 => "sha-256",
            HashFunction::Sha384 => "sha-384",
            HashFunction::Sha512 => "sha-512",
        }
    }

    fn len(self) -> usize {
        match self {
            HashFunction::Sha256 => 32,
            HashFunction::Sha384 => 48,
            HashFunction::Sha512 => 64,
        }
    }
}

/// A fingerprint: a hash function and the hash of a DER certificate.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    hash: HashFunction,
    bytes: Vec<u8>,
}

/// A fingerprint attribute value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FingerprintError {
    /// Not `hash-function SP hex:hex:...`.
    #[error("a fingerprint is 'hash-function AB:CD:...', not '{0}'")]
    Syntax(String),
    /// A hash function other than sha-256, sha-384 and sha-512 (RFC 8122 lists older ones
    /// that WebRTC does not accept, RFC 8827 section 6.5).
    #[error("hash function '{0}' is not accepted (sha-256, sha-384, sha-512)")]
    UnsupportedHash(String),
    /// The wrong number of bytes for the hash function.
    #[error("{hash} fingerprints have {want} bytes, this one {got}")]
    Length {
        /// The hash function's name.
        hash: &'static str,
        /// Bytes it has.
        want: usize,
        /// Bytes given.
        got: usize,
    },
}

impl Fingerprint {
    /// The fingerprint of certificate `der` with `hash`.
    #[must_use]
    pub fn of(hash: HashFunction, der: &[u8]) -> Fingerprint {
        let bytes = match hash {
            HashFunction::Sha256 => Sha256::digest(der).to_vec(),
            HashFunction::Sha384 => Sha384::digest(der).to_vec(),
            HashFunction::Sha512 => Sha512::digest(der).to_vec(),
        };
        Fingerprint { hash, bytes }
    }

    /// Parses the value of an `a=fingerprint` attribute (`sha-256 AB:CD:...`; the hash name
    /// and the hex digits in either case, RFC 8122 section 5).
    pub fn parse(value: &str) -> Result<Fingerprint, FingerprintError> {
        let syntax = || FingerprintError::Syntax(value.chars().take(120).collect());
        let (name, hex) = value.trim().split_once(' ').ok_or_else(syntax)?;
        let hash = match name.to_ascii_lowercase().as_str() {
            "sha-256" => HashFunction::Sha256,
            "sha-384" => HashFunction::Sha384,
            "sha-512" => HashFunction::Sha512,
            _ => {
                return Err(FingerprintError::UnsupportedHash(
                    name.chars().take(40).collect(),
                ));
            }
        };
        let bytes = hex
            .trim()
            .split(':')
            .map(|h| {
                if h.len() == 2 {
                    u8::from_str_radix(h, 16).map_err(|_| syntax())
                } else {
                    Err(syntax())
                }
            })
            .collect::<Result<Vec<u8>, _>>()?;
        if bytes.len() != hash.len() {
            return Err(FingerprintError::Length {
                hash: hash.name(),
                want: hash.len(),
                got: bytes.len(),
            });
        }
        Ok(Fingerprint { hash, bytes })
    }

    /// The hash function.
    #[must_use]
    pub fn hash(&self) -> HashFunction {
        self.hash
    }

    /// The hash bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether certificate `der` has this fingerprint (in constant time over the hash).
    #[must_use]
    pub fn matches(&self, der: &[u8]) -> bool {
        let other = Fingerprint::of(self.hash, der);
        constant_time_eq(&other.bytes, &self.bytes)
    }
}

impl std::fmt::Display for Fingerprint {
    /// As SDP writes it: `sha-256 AB:CD:...`, upper-case hex.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hash.name())?;
        for (i, b) in self.bytes.iter().enumerate() {
            write!(f, "{}{b:02X}", if i == 0 { ' ' } else { ':' })?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;

    #[test]
    fn a_fingerprint_prints_as_sdp_writes_it_and_parses_back() {
        let fp = Fingerprint::of(HashFunction::Sha256, b"not really DER");
        let text = fp.to_string();
        assert!(text.starts_with("sha-256 "));
        assert_eq!(text.len(), "sha-256 ".len() + 32 * 3 - 1);
        assert_eq!(Fingerprint::parse(&text), Ok(fp.clone()));
        assert_eq!(Fingerprint::parse(&text.to_lowercase()), Ok(fp.clone()));
        assert!(fp.matches(b"not really DER"));
        assert!(!fp.matches(b"another certificate"));
        for hash in [HashFunction::Sha384, HashFunction::Sha512] {
            let fp = Fingerprint::of(hash, b"x");
            assert_eq!(Fingerprint::parse(&fp.to_string()), Ok(fp));
        }
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        assert!(matches!(
            Fingerprint::parse("sha-1 AB:CD"),
            Err(FingerprintError::UnsupportedHash(h)) if h == "sha-1"
        ));
        assert_eq!(
            Fingerprint::parse("sha-256 AB:CD"),
            Err(FingerprintError::Length {
                hash: "sha-256",
                want: 32,
                got: 2
            })
        );
        assert!(matches!(
            Fingerprint::parse("sha-256 ABCD"),
            Err(FingerprintError::Syntax(_))
        ));
        assert!(matches!(
            Fingerprint::parse("sha-256"),
            Err(FingerprintError::Syntax(_))
        ));
        assert!(matches!(
            Fingerprint::parse("sha-256 ZZ:00"),
            Err(FingerprintError::Syntax(_))
        ));
    }

    #[test]
    fn the_fingerprint_of_a_certificate_is_the_one_openssl_prints() {
        let dir = std::env::temp_dir().join(format!("wren-dtls-fp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert) = (dir.join("k.pem"), dir.join("c.der"));
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args([
                "-nodes",
                "-subj",
                "/CN=WebRTC",
                "-days",
                "1",
                "-outform",
                "DER",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs (INTEROP.md: it is on these machines)");
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let out = Command::new("openssl")
            .args([
                "x509",
                "-inform",
                "DER",
                "-noout",
                "-fingerprint",
                "-sha256",
                "-in",
            ])
            .arg(&cert)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        // "sha256 Fingerprint=AB:CD:..."
        let hex = printed.trim().split('=').nth(1).unwrap();
        let der = std::fs::read(&cert).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            Fingerprint::of(HashFunction::Sha256, &der),
            Fingerprint::parse(&format!("sha-256 {hex}")).unwrap()
        );
    }
}
