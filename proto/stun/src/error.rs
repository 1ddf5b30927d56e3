//! Errors of the STUN crate: wire format, attributes, credentials, and API misuse.

use crate::attr_type::AttrType;

/// Why bytes are not a STUN message (RFC 8489 section 5, section 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the structure needs.
    #[error("truncated: need {need} bytes, have {have}")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// The two most significant bits of the first byte are not zero.
    #[error("not STUN: first byte {0:#04x} has its top two bits set")]
    NotStun(u8),
    /// The header's length field is not a multiple of four.
    #[error("message length {0} is not a multiple of 4")]
    MisalignedLength(u16),
    /// The header's length field disagrees with the bytes present.
    #[error("message length field says {header} bytes of attributes, {actual} present")]
    LengthMismatch {
        /// What the header says.
        header: usize,
        /// What follows the header.
        actual: usize,
    },
    /// An attribute's value runs past the end of the message.
    #[error("attribute {attr} at offset {offset} runs past the end of the message")]
    AttributeOverrun {
        /// The attribute type.
        attr: AttrType,
        /// Offset of the attribute header in the message.
        offset: usize,
    },
    /// An attribute value is malformed.
    #[error("attribute {attr}: {kind}")]
    Attribute {
        /// Which attribute.
        attr: AttrType,
        /// What is wrong with it.
        kind: AttrError,
    },
    /// The message has no attribute of the kind asked for.
    #[error("missing attribute {0}")]
    Missing(AttrType),
    /// MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256 does not match the key.
    #[error("{0} does not match")]
    IntegrityMismatch(AttrType),
    /// FINGERPRINT does not match the message.
    #[error("FINGERPRINT {found:#010x} does not match the computed {computed:#010x}")]
    FingerprintMismatch {
        /// The value in the message.
        found: u32,
        /// The value computed over the message.
        computed: u32,
    },
    /// The message grew past the 65535 bytes of attributes the length field can say.
    #[error("message too long to encode: {0} bytes of attributes")]
    TooLong(usize),
    /// A writer method was called after MESSAGE-INTEGRITY or FINGERPRINT, where RFC 8489
    /// section 14 allows no further attribute of that kind.
    #[error("attribute {0} may not follow the integrity or fingerprint attributes")]
    AfterIntegrity(AttrType),
}

/// What is wrong with one attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttrError {
    /// The value has the wrong length.
    #[error("value is {actual} bytes, expected {expected}")]
    Length {
        /// The length (or minimum length) expected.
        expected: usize,
        /// The length present.
        actual: usize,
    },
    /// An address family other than 0x01 (IPv4) or 0x02 (IPv6).
    #[error("unknown address family {0:#04x}")]
    Family(u8),
    /// Text that is not UTF-8.
    #[error("text is not UTF-8")]
    Utf8,
    /// Text longer than the attribute allows.
    #[error("text is {actual} bytes/characters, at most {max} allowed")]
    TooLong {
        /// The limit.
        max: usize,
        /// The size present.
        actual: usize,
    },
    /// An ERROR-CODE class outside 3..=6 or number over 99.
    #[error("error code class {class} number {number} is out of range")]
    ErrorCode {
        /// The hundreds digit.
        class: u8,
        /// The number modulo 100.
        number: u8,
    },
}

/// A username, realm or password that credential preparation (OpaqueString, SASLprep) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrepError {
    /// OpaqueString (RFC 8265 section 4.2) refused the string.
    #[error("{0} is not a valid OpaqueString (RFC 8265): disallowed or empty")]
    OpaqueString(CredentialPart),
    /// SASLprep (RFC 4013) refused the string.
    #[error("{0} is refused by SASLprep (RFC 4013): prohibited or bidirectional characters")]
    SaslPrep(CredentialPart),
}

/// Which part of a credential a [`PrepError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialPart {
    /// The username.
    Username,
    /// The realm.
    Realm,
    /// The password.
    Password,
}

impl std::fmt::Display for CredentialPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CredentialPart::Username => "username",
            CredentialPart::Realm => "realm",
            CredentialPart::Password => "password",
        })
    }
}
