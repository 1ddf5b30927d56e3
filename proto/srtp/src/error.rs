//! Errors: why a packet was refused (RFC 3711 s3.3, s3.4, s3.3.2) and why keys or a
//! configuration were refused.

/// Why a packet was not protected or unprotected. The context's state is unchanged: a
/// refused packet never moves a rollover counter or a replay window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Fewer bytes than the headers and the tag need.
    #[error("packet too short: need {need} bytes, have {have}")]
    TooShort {
        /// Bytes needed.
        need: usize,
        /// Bytes present.
        have: usize,
    },
    /// The version field is not 2 (RFC 3550 s5.1, s6.4).
    #[error("not RTP/RTCP version 2: first byte {0:#04x}")]
    BadVersion(u8),
    /// The caller's buffer has no room for what protecting adds.
    #[error("buffer too small: need {need} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes the protected packet needs.
        need: usize,
        /// The buffer's length.
        have: usize,
    },
    /// The authentication tag does not match (RFC 3711 s3.3 step 5, RFC 7714 s7.2).
    #[error("authentication failed")]
    AuthFailed,
    /// The packet index was already received (RFC 3711 s3.3.2).
    #[error("replayed packet: index {index} was already received")]
    Replayed {
        /// The packet's index (48-bit SRTP index or 31-bit SRTCP index).
        index: u64,
    },
    /// The packet index is behind the replay window (RFC 3711 s3.3.2).
    #[error("packet too old: index {index}, window ends at {highest} - {window}")]
    TooOld {
        /// The packet's index.
        index: u64,
        /// The highest index received.
        highest: u64,
        /// The window size.
        window: u64,
    },
    /// A packet of a new SSRC when the context already keeps state for its bound of SSRCs
    /// ([`Config::max_ssrcs`](crate::Config::max_ssrcs)).
    #[error("SSRC {ssrc:#010x} refused: already {max} SSRCs")]
    TooManySsrcs {
        /// The new SSRC.
        ssrc: u32,
        /// The bound.
        max: usize,
    },
    /// The SRTP (2^48) or SRTCP (2^31) index space of this SSRC is used up: the master key
    /// must be replaced (RFC 3711 s9.2).
    #[error("index space exhausted for SSRC {ssrc:#010x}: rekey")]
    IndexExhausted {
        /// The SSRC.
        ssrc: u32,
    },
}

/// Why keys or a configuration were refused when building a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A master key, salt or keying material of the wrong length for the profile.
    #[error("{what}: need {need} bytes, got {got}")]
    Length {
        /// What was wrong: "master key", "master salt" or "keying material".
        what: &'static str,
        /// The length the profile needs.
        need: usize,
        /// The length given.
        got: usize,
    },
    /// A replay window outside 64..=32768 packets.
    #[error("replay window {0} outside 64..=32768")]
    ReplayWindow(u64),
    /// `max_ssrcs` of zero.
    #[error("max_ssrcs must be at least 1")]
    MaxSsrcs,
}
