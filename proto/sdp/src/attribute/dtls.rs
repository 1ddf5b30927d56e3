//! DTLS-SRTP parameters: `a=fingerprint` (RFC 8122 s5) and `a=setup` (RFC 4145 s4, with
//! RFC 8842 s5 for its use in WebRTC).

use std::fmt;

/// The hash function of a certificate fingerprint (RFC 8122 s5, names from the IANA
/// "Hash Function Textual Names" registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashFunction {
    /// `sha-1`, 20 bytes.
    Sha1,
    /// `sha-224`, 28 bytes.
    Sha224,
    /// `sha-256`, 32 bytes: what browsers send.
    Sha256,
    /// `sha-384`, 48 bytes.
    Sha384,
    /// `sha-512`, 64 bytes.
    Sha512,
}

impl HashFunction {
    /// The textual name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HashFunction::Sha1 => "sha-1",
            HashFunction::Sha224 => "sha-224",
            HashFunction::Sha256 => "sha-256",
            HashFunction::Sha384 => "sha-384",
            HashFunction::Sha512 => "sha-512",
        }
    }

    /// Bytes in a digest.
    #[must_use]
    pub fn digest_len(self) -> usize {
        match self {
            HashFunction::Sha1 => 20,
            HashFunction::Sha224 => 28,
            HashFunction::Sha256 => 32,
            HashFunction::Sha384 => 48,
            HashFunction::Sha512 => 64,
        }
    }

    /// The function named `s` (compared without regard to case, RFC 8122 s5).
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        [
            HashFunction::Sha1,
            HashFunction::Sha224,
            HashFunction::Sha256,
            HashFunction::Sha384,
            HashFunction::Sha512,
        ]
        .into_iter()
        .find(|h| h.as_str().eq_ignore_ascii_case(s))
    }
}

/// `a=fingerprint:<hash-func> <XX:XX:...>`: the digest of the certificate the writer's DTLS
/// endpoint will present. Small and owned (no allocation); compare it with the peer's
/// certificate digest through [`Fingerprint::bytes`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    hash: HashFunction,
    bytes: [u8; 64],
}

impl Fingerprint {
    /// The fingerprint of `digest` under `hash`, or `None` if the digest's length is not
    /// the function's.
    #[must_use]
    pub fn new(hash: HashFunction, digest: &[u8]) -> Option<Self> {
        if digest.len() != hash.digest_len() {
            return None;
        }
        let mut bytes = [0; 64];
        bytes[..digest.len()].copy_from_slice(digest);
        Some(Fingerprint { hash, bytes })
    }

    /// The hash function.
    #[must_use]
    pub fn hash(&self) -> HashFunction {
        self.hash
    }

    /// The digest, [`HashFunction::digest_len`] bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.hash.digest_len()]
    }

    pub(crate) fn parse(value: &str) -> Result<Self, &'static str> {
        let (name, hex) = value
            .trim()
            .split_once(' ')
            .ok_or("<hash-func> <fingerprint>")?;
        let hash =
            HashFunction::from_name(name).ok_or("sha-1, sha-224, sha-256, sha-384 or sha-512")?;
        let hex = hex.trim().as_bytes();
        // "XX" then ":XX" for every further byte.
        if (hex.len() + 1) != hash.digest_len() * 3 {
            return Err("as many colon-separated hex bytes as the hash function gives");
        }
        let mut bytes = [0; 64];
        for (i, b) in bytes[..hash.digest_len()].iter_mut().enumerate() {
            let at = i * 3;
            if i > 0 && hex[at - 1] != b':' {
                return Err("hex bytes separated by ':'");
            }
            *b = (hex_digit(hex[at]).ok_or("hex digits")? << 4)
                | hex_digit(hex[at + 1]).ok_or("hex digits")?;
        }
        Ok(Fingerprint { hash, bytes })
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Fingerprint {
    /// `sha-256 AB:CD:...`, upper-case hex as RFC 8122 s5 writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.hash.as_str())?;
        for (i, b) in self.bytes().iter().enumerate() {
            f.write_str(if i == 0 { " " } else { ":" })?;
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

/// `a=setup:<role>` (RFC 4145 s4): which side starts DTLS. An offer says `actpass`
/// (RFC 8842 s5.2); the answer says `active` (it will be the DTLS client) or `passive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// The writer will start the handshake (DTLS client).
    Active,
    /// The writer will wait for it (DTLS server).
    Passive,
    /// Either, the other side chooses.
    ActPass,
    /// No connection for now.
    HoldConn,
}

impl Setup {
    /// The role's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::ActPass => "actpass",
            Setup::HoldConn => "holdconn",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<Self, &'static str> {
        Ok(match value.trim() {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::ActPass,
            "holdconn" => Setup::HoldConn,
            _ => return Err("active, passive, actpass or holdconn"),
        })
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
