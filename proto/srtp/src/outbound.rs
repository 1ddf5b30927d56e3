//! The sending context: protects RTP (RFC 3711 s3.3, RFC 7714 s8) and RTCP (RFC 3711
//! s3.4, RFC 7714 s9) in the caller's buffer.

use crate::cipher::{Cipher, Kind};
use crate::config::Config;
use crate::error::{Error, SetupError};
use crate::header;
use crate::keys::MasterKey;
use crate::profile::Profile;
use crate::replay::{MAX_SRTP_INDEX, estimate_index};
use crate::streams::Streams;

/// The largest SRTCP index (31 bits, RFC 3711 s3.4).
const MAX_SRTCP_INDEX: u32 = 0x7fff_ffff;

/// Protects what we send under one master key: session keys derived once, per-SSRC
/// rollover counters (RTP) and SRTCP indices (RTCP) created on first use.
///
/// Buffers: the packet is `buf[..len]` and the protected packet is written over it, in
/// place, growing into `buf[len..]`, which must have room for
/// [`Profile::rtp_overhead`]/[`Profile::rtcp_overhead`] bytes; the new length is returned.
/// Nothing is allocated per packet (only the first packet of a new SSRC adds a table
/// entry).
#[derive(Debug)]
pub struct Outbound {
    profile: Profile,
    rtp: Cipher,
    rtcp: Cipher,
    /// The highest RTP index sent per SSRC: its ROC and last sequence number.
    rtp_streams: Streams<u64>,
    /// The next SRTCP index per SSRC.
    rtcp_streams: Streams<u32>,
}

impl Outbound {
    /// A context protecting with `master` (for DTLS-SRTP, the local half of
    /// [`split_keying_material`](crate::split_keying_material)).
    pub fn new(master: &MasterKey, config: &Config) -> Result<Outbound, SetupError> {
        config.check()?;
        Ok(Outbound {
            profile: master.profile(),
            rtp: Cipher::derive(master, Kind::Rtp),
            rtcp: Cipher::derive(master, Kind::Rtcp),
            rtp_streams: Streams::new(config.max_ssrcs),
            rtcp_streams: Streams::new(config.max_ssrcs),
        })
    }

    /// A context over session keys as given (for test vectors stated that way).
    #[cfg(test)]
    pub(crate) fn from_ciphers(profile: Profile, rtp: Cipher, rtcp: Cipher) -> Outbound {
        Outbound {
            profile,
            rtp,
            rtcp,
            rtp_streams: Streams::new(16),
            rtcp_streams: Streams::new(16),
        }
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Protects the RTP packet `buf[..len]` in place (RFC 3711 s3.3, RFC 7714 s8): its
    /// payload encrypted, the tag appended. Returns the SRTP packet's length.
    ///
    /// The packet index comes from the sequence number and this SSRC's rollover counter,
    /// which counts wraps of the sequence numbers sent (RFC 3711 s3.3.1); a sequence number
    /// sent again (a retransmission in the same SSRC) reuses its index, which the peer's
    /// replay protection then refuses.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let need = len.saturating_add(self.rtp.rtp_overhead());
        if buf.len() < need {
            return Err(Error::BufferTooSmall {
                need,
                have: buf.len(),
            });
        }
        let h = header::rtp(&buf[..len])?;
        let highest = self.rtp_streams.get_mut(h.ssrc).map(|s| *s);
        if highest.is_none() {
            self.rtp_streams.check_room(h.ssrc)?;
        }
        let index = match estimate_index(highest, h.seq) {
            Some(index) => index,
            None if highest.is_some_and(|h| h > MAX_SRTP_INDEX - 65536) => {
                return Err(Error::IndexExhausted { ssrc: h.ssrc });
            }
            None => {
                return Err(Error::TooOld {
                    index: u64::from(h.seq),
                    highest: highest.unwrap_or(0),
                    window: 1 << 15,
                });
            }
        };
        let out = self.rtp.protect_rtp(buf, h.len, len, h.ssrc, index);
        match self.rtp_streams.get_mut(h.ssrc) {
            Some(s) => *s = (*s).max(index),
            None => {
                self.rtp_streams.insert(h.ssrc, index);
            }
        }
        Ok(out)
    }

    /// Protects the RTCP compound packet `buf[..len]` in place (RFC 3711 s3.4, RFC 7714
    /// s9): everything after the first 8 bytes encrypted, the E flag and this SSRC's next
    /// SRTCP index and the tag appended. Returns the SRTCP packet's length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        let need = len.saturating_add(self.rtcp.rtcp_overhead());
        if buf.len() < need {
            return Err(Error::BufferTooSmall {
                need,
                have: buf.len(),
            });
        }
        let ssrc = header::rtcp_ssrc(&buf[..len])?;
        let index = match self.rtcp_streams.get_mut(ssrc) {
            Some(next) => *next,
            None => {
                self.rtcp_streams.check_room(ssrc)?;
                0
            }
        };
        if index > MAX_SRTCP_INDEX {
            return Err(Error::IndexExhausted { ssrc });
        }
        let out = self.rtcp.protect_rtcp(buf, len, ssrc, index);
        match self.rtcp_streams.get_mut(ssrc) {
            Some(next) => *next = index + 1,
            None => {
                self.rtcp_streams.insert(ssrc, index + 1);
            }
        }
        Ok(out)
    }

    /// Forgets an SSRC's state (a stream that ended), freeing room under the bound. Its
    /// indices must not be reused under the same key: do this only for SSRCs that will not
    /// send again.
    pub fn remove_ssrc(&mut self, ssrc: u32) {
        self.rtp_streams.remove(ssrc);
        self.rtcp_streams.remove(ssrc);
    }

    /// How many SSRCs have sent RTP and RTCP: `(rtp, rtcp)`.
    pub fn ssrc_count(&self) -> (usize, usize) {
        (self.rtp_streams.len(), self.rtcp_streams.len())
    }

    /// Sets the next SRTCP index of `ssrc` (tests reach the RFC 7714 vectors' index).
    #[cfg(test)]
    pub(crate) fn set_srtcp_index(&mut self, ssrc: u32, index: u32) {
        match self.rtcp_streams.get_mut(ssrc) {
            Some(next) => *next = index,
            None => {
                self.rtcp_streams.insert(ssrc, index);
            }
        }
    }
}
