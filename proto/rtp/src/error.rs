//! Errors: why bytes are not an RTP or RTCP packet (RFC 3550 s5.1, s6.4), why a value
//! cannot be written, and where.

/// Why bytes were refused or a packet could not be written.
///
/// Every variant names the structure it was reading or writing (`what`), so that an error
/// from a compound packet says which part broke. Errors are `Copy` and carry no text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the structure needs.
    #[error("{what}: truncated, need {need} bytes, have {have}")]
    TooShort {
        /// The structure being read.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// The version field is not 2 (RFC 3550 s5.1, s6.4.1).
    #[error("{what}: version {version}, not 2")]
    BadVersion {
        /// RTP or RTCP.
        what: &'static str,
        /// The two version bits.
        version: u8,
    },
    /// The padding count in the last byte is zero or more than the packet holds
    /// (RFC 3550 s5.1 "P", s6.4.1).
    #[error("{what}: padding count {count} with {available} bytes after the header")]
    BadPadding {
        /// RTP or RTCP.
        what: &'static str,
        /// The padding count in the last byte.
        count: usize,
        /// Bytes the count may cover.
        available: usize,
    },
    /// A length field disagrees with the bytes present.
    #[error("{what}: length field says {claimed} bytes, {available} present")]
    BadLength {
        /// The structure whose length field is wrong.
        what: &'static str,
        /// What the length field says, in bytes.
        claimed: usize,
        /// What is there.
        available: usize,
    },
    /// A field holds a value the format does not allow.
    #[error("{what}: invalid value {value}")]
    InvalidValue {
        /// The field.
        what: &'static str,
        /// Its value.
        value: u64,
    },
    /// A typed view was asked of a packet of another type (for example a NACK view of a
    /// PLI).
    #[error("{what}: packet type {packet_type} with format {format} is not this type")]
    WrongType {
        /// The view that was asked for.
        what: &'static str,
        /// The RTCP packet type (PT) found.
        packet_type: u8,
        /// The FMT (or count) field found.
        format: u8,
    },
    /// The caller's buffer has no room for what is to be written.
    #[error("{what}: buffer too small, need {need} bytes, have {have}")]
    BufferTooSmall {
        /// What was being written.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// The buffer's length.
        have: usize,
    },
}

/// `Err(TooShort)` unless `buf` has `need` bytes.
pub(crate) fn need(what: &'static str, buf: &[u8], need: usize) -> Result<(), Error> {
    if buf.len() < need {
        Err(Error::TooShort {
            what,
            need,
            have: buf.len(),
        })
    } else {
        Ok(())
    }
}

/// `Err(BufferTooSmall)` unless `buf` has `need` bytes; otherwise `buf[..need]`.
pub(crate) fn room<'b>(
    what: &'static str,
    buf: &'b mut [u8],
    need: usize,
) -> Result<&'b mut [u8], Error> {
    let have = buf.len();
    buf.get_mut(..need)
        .ok_or(Error::BufferTooSmall { what, need, have })
}
