//! What a context is built with beyond its keys: the replay window (RFC 3711 s3.3.2) and
//! the bound on per-SSRC state.

use crate::error::SetupError;

/// Settings of an [`Outbound`](crate::Outbound) or [`Inbound`](crate::Inbound) context.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How many packet indices behind the highest one received are still accepted (once
    /// each), per SSRC, for SRTP and SRTCP (RFC 3711 s3.3.2: at least 64). Rounded up to a
    /// multiple of 64; 64..=32768. Default 64, as libsrtp's.
    pub replay_window: u64,
    /// How many SSRCs a context keeps state for, per direction and per RTP/RTCP; a packet
    /// of one more SSRC is refused with [`Error::TooManySsrcs`](crate::Error::TooManySsrcs).
    /// Default 256.
    pub max_ssrcs: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            replay_window: 64,
            max_ssrcs: 256,
        }
    }
}

impl Config {
    /// The window rounded up to whole 64-bit words, or why the config is refused.
    pub(crate) fn check(&self) -> Result<u64, SetupError> {
        if !(64..=32768).contains(&self.replay_window) {
            return Err(SetupError::ReplayWindow(self.replay_window));
        }
        if self.max_ssrcs == 0 {
            return Err(SetupError::MaxSsrcs);
        }
        Ok(self.replay_window.div_ceil(64) * 64)
    }
}
