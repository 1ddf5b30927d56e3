//! Why bytes from the network did not parse.

/// A parse failure: what was being read and what was wrong with it. The DTLS machine answers
/// one inside a handshake message with a fatal `decode_error` alert (RFC 5246 section 7.2.2)
/// and drops one in a record header silently (RFC 6347 section 4.1.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes ended inside a field.
    #[error("{what}: {needed} bytes needed, {have} left")]
    Truncated {
        /// The field.
        what: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// A length or value outside what the field allows.
    #[error("{what}: invalid value {value}")]
    Invalid {
        /// The field.
        what: &'static str,
        /// The value read.
        value: u64,
    },
    /// Bytes after the last field of a structure that has no room for them.
    #[error("{what}: {extra} bytes after the end")]
    Trailing {
        /// The structure.
        what: &'static str,
        /// How many bytes were left over.
        extra: usize,
    },
    /// A hello carries the same extension twice (RFC 5246 section 7.4.1.4).
    #[error("extension {0:#06x} appears twice")]
    DuplicateExtension(u16),
}
