//! The send path: a packet is protected (SRTP or SRTCP) and framed by ICE for the selected
//! pair into the caller's buffer: as is on a direct pair, as TURN ChannelData on a relayed
//! one. Nothing is allocated once the peer's scratch buffer has grown to a packet.

use std::time::Instant;

use wren_core::Transmit;
use wren_core::demux::{PacketKind, classify};

use super::Peer;
use crate::SendError;

impl Peer {
    /// Protects the RTP packet `packet` with SRTP and writes it for the selected pair into
    /// `buf` (appended). `Ok(None)` only on a relayed pair whose TURN client queued it
    /// while installing a permission (it leaves through `poll_transmit`).
    ///
    /// # Errors
    ///
    /// [`SendError::NotConnected`] before DTLS keyed SRTP, [`SendError::Closed`],
    /// [`SendError::NotRtp`], or SRTP's or ICE's refusal.
    pub fn send_rtp_into(
        &mut self,
        now: Instant,
        packet: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, SendError> {
        if classify(packet) != PacketKind::Rtp {
            return Err(SendError::NotRtp);
        }
        self.send_media_into(now, packet, buf)
    }

    /// [`Peer::send_rtp_into`] for an RTCP compound packet (SRTCP).
    ///
    /// # Errors
    ///
    /// As [`Peer::send_rtp_into`].
    pub fn send_rtcp_into(
        &mut self,
        now: Instant,
        packet: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, SendError> {
        if classify(packet) != PacketKind::Rtcp {
            return Err(SendError::NotRtp);
        }
        self.send_media_into(now, packet, buf)
    }

    /// RTP or RTCP by its second byte, protected and framed.
    pub(super) fn send_media_into(
        &mut self,
        now: Instant,
        packet: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        let kind = classify(packet);
        let srtp = self.security.srtp().ok_or(SendError::NotConnected)?;
        let overhead = match kind {
            PacketKind::Rtp => srtp.profile().rtp_overhead(),
            PacketKind::Rtcp => srtp.profile().rtcp_overhead(),
            _ => return Err(SendError::NotRtp),
        };
        let scratch = &mut self.scratch;
        scratch.clear();
        scratch.extend_from_slice(packet);
        scratch.resize(packet.len() + overhead, 0);
        let n = if kind == PacketKind::Rtp {
            srtp.protect_rtp(scratch, packet.len())?
        } else {
            srtp.protect_rtcp(scratch, packet.len())?
        };
        scratch.truncate(n);
        let sent = self.ice.send_into(now, &self.scratch, buf)?;
        if kind == PacketKind::Rtp {
            self.stats.rtp_sent += 1;
        } else {
            self.stats.rtcp_sent += 1;
        }
        Ok(sent)
    }
}
