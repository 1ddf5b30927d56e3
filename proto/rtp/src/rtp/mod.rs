//! RTP data packets (RFC 3550 s5): the fixed header, CSRCs, padding and header extensions
//! (RFC 8285) as a zero-copy view ([`RtpPacket`]), a writer into the caller's buffer
//! ([`RtpWriter`]), in-place rewriting for forwarding ([`RtpPacketMut`]), typed known
//! extensions ([`extensions`]) and sequence number / timestamp unwrapping ([`unwrap`]).

mod extension;
pub mod extensions;
mod header;
mod map;
mod rewrite;
pub mod unwrap;
mod writer;

pub use extension::{
    ExtensionElement, ExtensionForm, Extensions, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
};
pub use header::{Csrcs, RtpPacket};
pub use map::ExtensionMap;
pub use rewrite::RtpPacketMut;
pub use writer::{RtpHeader, RtpWriter};

/// The fixed RTP header's length (RFC 3550 s5.1), without CSRCs or extension.
pub const FIXED_HEADER_LEN: usize = 12;
