//! The receiving context: authenticates and decrypts SRTP (RFC 3711 s3.3, RFC 7714 s8)
//! and SRTCP (RFC 3711 s3.4, RFC 7714 s9) in the caller's buffer, with index estimation
//! and replay protection per SSRC.

use crate::cipher::{Cipher, Kind};
use crate::config::Config;
use crate::error::{Error, SetupError};
use crate::header::{self, RTCP_CLEAR};
use crate::keys::MasterKey;
use crate::profile::Profile;
use crate::replay::{ReplayWindow, estimate_index};
use crate::streams::Streams;

/// Unprotects what we receive under one master key: session keys derived once, and per
/// SSRC a rollover counter and replay window (RTP) and an SRTCP replay window (RTCP),
/// created when the first packet of the SSRC authenticates.
///
/// Buffers: the received packet is all of `buf`; it is checked and decrypted in place and
/// the length of the plain packet (at the start of `buf`) is returned. A refused packet
/// changes no state. Nothing is allocated per packet (only the first authenticated packet
/// of a new SSRC allocates its replay window and table entry).
#[derive(Debug)]
pub struct Inbound {
    profile: Profile,
    rtp: Cipher,
    rtcp: Cipher,
    window: u64,
    rtp_streams: Streams<ReplayWindow>,
    rtcp_streams: Streams<ReplayWindow>,
}

impl Inbound {
    /// A context unprotecting with `master` (for DTLS-SRTP, the remote half of
    /// [`split_keying_material`](crate::split_keying_material)).
    pub fn new(master: &MasterKey, config: &Config) -> Result<Inbound, SetupError> {
        let window = config.check()?;
        Ok(Inbound {
            profile: master.profile(),
            rtp: Cipher::derive(master, Kind::Rtp),
            rtcp: Cipher::derive(master, Kind::Rtcp),
            window,
            rtp_streams: Streams::new(config.max_ssrcs),
            rtcp_streams: Streams::new(config.max_ssrcs),
        })
    }

    /// A context over session keys as given (for test vectors stated that way).
    #[cfg(test)]
    pub(crate) fn from_ciphers(profile: Profile, rtp: Cipher, rtcp: Cipher) -> Inbound {
        Inbound {
            profile,
            rtp,
            rtcp,
            window: 64,
            rtp_streams: Streams::new(16),
            rtcp_streams: Streams::new(16),
        }
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Unprotects the SRTP packet `buf` in place (RFC 3711 s3.3 steps 1-7): estimates its
    /// index from the sequence number (Appendix A), refuses replays and packets behind the
    /// window, checks the tag, decrypts. Returns the RTP packet's length.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let tag = self.rtp.rtp_overhead();
        let Some(body) = buf.len().checked_sub(tag) else {
            return Err(Error::TooShort {
                need: 12 + tag,
                have: buf.len(),
            });
        };
        let h = header::rtp(&buf[..body]).map_err(|e| match e {
            Error::TooShort { need, .. } => Error::TooShort {
                need: need + tag,
                have: buf.len(),
            },
            e => e,
        })?;
        let stream = self.rtp_streams.get_mut(h.ssrc);
        let highest = stream.as_ref().and_then(|w| w.highest());
        if stream.is_none() {
            self.rtp_streams.check_room(h.ssrc)?;
        }
        let Some(index) = estimate_index(highest, h.seq) else {
            return Err(Error::TooOld {
                index: u64::from(h.seq),
                highest: highest.unwrap_or(0),
                window: self.window,
            });
        };
        if let Some(w) = self.rtp_streams.get_mut(h.ssrc) {
            w.check(index)?;
        }
        let len = self.rtp.unprotect_rtp(buf, h.len, h.ssrc, index)?;
        match self.rtp_streams.get_mut(h.ssrc) {
            Some(w) => w.accept(index),
            None => self
                .rtp_streams
                .insert(h.ssrc, ReplayWindow::new(self.window))
                .accept(index),
        }
        Ok(len)
    }

    /// Unprotects the SRTCP packet `buf` in place (RFC 3711 s3.4): reads the E flag and
    /// SRTCP index, refuses replays, checks the tag, decrypts when the E flag is set.
    /// Returns the RTCP compound packet's length.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        let need = RTCP_CLEAR + self.rtcp.rtcp_overhead();
        if buf.len() < need {
            return Err(Error::TooShort {
                need,
                have: buf.len(),
            });
        }
        let ssrc = header::rtcp_ssrc(buf)?;
        let at = self.rtcp.rtcp_trailer_at(buf.len());
        let e_index = u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
        let index = u64::from(e_index & 0x7fff_ffff);
        match self.rtcp_streams.get_mut(ssrc) {
            Some(w) => w.check(index)?,
            None => self.rtcp_streams.check_room(ssrc)?,
        }
        let len = self.rtcp.unprotect_rtcp(buf, ssrc, e_index)?;
        match self.rtcp_streams.get_mut(ssrc) {
            Some(w) => w.accept(index),
            None => self
                .rtcp_streams
                .insert(ssrc, ReplayWindow::new(self.window))
                .accept(index),
        }
        Ok(len)
    }

    /// Forgets an SSRC's state (a BYE, a stream that ended), freeing room under the bound.
    /// Its replay window goes too: a replayed packet of that SSRC would be accepted again,
    /// so forget only SSRCs that are over.
    pub fn remove_ssrc(&mut self, ssrc: u32) {
        self.rtp_streams.remove(ssrc);
        self.rtcp_streams.remove(ssrc);
    }

    /// How many SSRCs have state: `(rtp, rtcp)`.
    pub fn ssrc_count(&self) -> (usize, usize) {
        (self.rtp_streams.len(), self.rtcp_streams.len())
    }
}
