//! The send path: a packet is protected (SRTP or SRTCP) and framed by ICE for the selected
//! pair into the caller's buffer: as is on a direct pair, as TURN ChannelData on a relayed
//! one. Nothing is allocated once the peer's scratch buffer has grown to a packet.

use std::time::Instant;

use wren_core::demux::{PacketKind, classify};
use wren_core::{Machine, Transmit};

use super::Peer;
use crate::SendError;
use crate::media::Outgoing;

impl Peer {
    /// Protects the RTP packet `packet` with SRTP and writes it for the selected pair into
    /// `buf` (appended). Before protection the transport-wide sequence number is written
    /// into its element (when [`crate::ExtensionIds::twcc`] is set and the packet carries
    /// one) and, for a configured stream ([`Peer::add_send_stream`]), the packet is kept
    /// for retransmission and counted for sender reports. `Ok(None)` only on a relayed pair whose TURN client queued it
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

    /// Sends a padding-only packet of about `bytes` octets (at most 255 of padding) on the
    /// RTX source of our stream `ssrc`, with the next transport-wide sequence number
    /// ([`Peer::last_transport_sequence`] gives it): a congestion controller's probe when
    /// there is too little media. `Ok(None)` as for [`Peer::send_rtp_into`].
    ///
    /// # Errors
    ///
    /// [`SendError::NoPadding`] when `ssrc` is not a send stream of ours with RTX, and the
    /// errors of [`Peer::send_rtp_into`].
    pub fn send_padding_into(
        &mut self,
        now: Instant,
        ssrc: u32,
        bytes: usize,
        buf: &mut Vec<u8>,
    ) -> Result<Option<Transmit>, SendError> {
        if self.closed {
            return Err(SendError::Closed);
        }
        if !self.security.keyed() {
            return Err(SendError::NotConnected);
        }
        self.scratch.clear();
        if !self.media.write_padding(ssrc, bytes, &mut self.scratch) {
            return Err(SendError::NoPadding(ssrc));
        }
        self.protect_scratch(PacketKind::Rtp)?;
        let sent = self.ice.send_into(now, &self.scratch, buf)?;
        self.stats.rtp_sent += 1;
        Ok(sent)
    }

    /// The transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01)
    /// written into the last RTP packet that got one: the one [`Peer::send_rtp_into`] just
    /// sent, or a retransmission the peer sent from `poll_transmit` in answer to a NACK (a
    /// new number there means a new packet on the wire). A congestion controller records
    /// each with its size and send time, and matches the peer's feedback to it. `None`
    /// until a packet carried the extension ([`crate::ExtensionIds::twcc`] set by
    /// negotiation or configuration).
    #[must_use]
    pub fn last_transport_sequence(&self) -> Option<u16> {
        self.media.last_transport_sequence()
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
        if !self.security.keyed() {
            return Err(SendError::NotConnected);
        }
        self.scratch.clear();
        self.scratch.extend_from_slice(packet);
        if kind == PacketKind::Rtp {
            // The transport-wide number goes in, and the packet into the history, before
            // SRTP.
            self.media.handle_sent(now, &mut self.scratch);
        }
        self.protect_scratch(kind)?;
        let sent = self.ice.send_into(now, &self.scratch, buf)?;
        if kind == PacketKind::Rtp {
            self.stats.rtp_sent += 1;
        } else {
            self.stats.rtcp_sent += 1;
        }
        Ok(sent)
    }

    /// Protects the plain RTP (or RTCP) packet in the scratch buffer in place.
    fn protect_scratch(&mut self, kind: PacketKind) -> Result<(), SendError> {
        let srtp = self.security.srtp().ok_or(SendError::NotConnected)?;
        let overhead = match kind {
            PacketKind::Rtp => srtp.profile().rtp_overhead(),
            PacketKind::Rtcp => srtp.profile().rtcp_overhead(),
            _ => return Err(SendError::NotRtp),
        };
        let scratch = &mut self.scratch;
        let len = scratch.len();
        scratch.resize(len + overhead, 0);
        let n = if kind == PacketKind::Rtp {
            srtp.protect_rtp(scratch, len)?
        } else {
            srtp.protect_rtcp(scratch, len)?
        };
        scratch.truncate(n);
        Ok(())
    }

    /// Whether RTP mode's own packets can leave: SRTP keyed, a path, not closed.
    pub(super) fn can_send_media(&self) -> bool {
        !self.closed && self.security.keyed() && self.ice.selected_pair().is_some()
    }

    /// The next retransmission or RTCP packet of the media part, protected and framed
    /// into `buf`.
    pub(super) fn poll_media_transmit(
        &mut self,
        now: Instant,
        buf: &mut Vec<u8>,
    ) -> Option<Transmit> {
        if !self.can_send_media() {
            return None;
        }
        loop {
            self.scratch.clear();
            let kind = match self.media.poll_transmit(now, &mut self.scratch)? {
                Outgoing::Rtp => PacketKind::Rtp,
                Outgoing::Rtcp => PacketKind::Rtcp,
            };
            if self.protect_scratch(kind).is_err() {
                continue;
            }
            match self.ice.send_into(now, &self.scratch, buf) {
                Ok(sent) => {
                    if kind == PacketKind::Rtp {
                        self.stats.rtp_sent += 1;
                    } else {
                        self.stats.rtcp_sent += 1;
                    }
                    if let Some(t) = sent {
                        return Some(t);
                    }
                    // Queued in the TURN client: it leaves through the agent.
                    if let Some(t) = self.ice.poll_transmit(now, buf) {
                        return Some(t);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// RFC 3550 section 6.6: a BYE for our streams as the peer closes (while it still
    /// has keys and a path).
    pub(super) fn send_bye(&mut self, now: Instant) {
        if !self.security.keyed() || self.ice.selected_pair().is_none() {
            return;
        }
        self.scratch.clear();
        if self.media.write_bye(&mut self.scratch) && self.protect_scratch(PacketKind::Rtcp).is_ok()
        {
            let _ = self.ice.send(now, &self.scratch);
            self.stats.rtcp_sent += 1;
        }
    }
}
