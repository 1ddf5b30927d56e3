//! The receive path: a datagram goes to ICE, which handles STUN and TURN and hands back
//! what arrived on a valid pair, borrowed; that is told apart by its first byte (RFC 7983):
//! DTLS to the handshake, SRTP and SRTCP unprotected into the caller's buffer.

use std::time::Instant;

use wren_core::Datagram;
use wren_core::demux::{PacketKind, classify};

use super::Peer;

/// What [`Peer::receive`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Received {
    /// An RTP packet, unprotected, is in the caller's buffer (an RTX packet of a
    /// configured received stream already unwrapped into its original, RFC 4588).
    Rtp,
    /// An RTCP compound packet, unprotected, is in the caller's buffer.
    Rtcp,
    /// The peer's own (STUN, TURN, DTLS) or dropped and counted ([`crate::Stats`]): drain
    /// `poll_transmit`, `poll_event` and `poll_timeout`.
    Handled,
}

impl Peer {
    /// Takes a datagram that arrived. SRTP and SRTCP are unprotected into `out` (cleared
    /// first; no allocation once it has room) and reported as [`Received::Rtp`] or
    /// [`Received::Rtcp`] without an event; everything else is handled as
    /// [`wren_core::Machine::handle_datagram`] would. RTP of configured streams
    /// ([`Peer::add_receive_stream`]) is counted for receiver reports and NACKs, and RTCP
    /// is acted on (reports, NACK, PLI, FIR, ...) before the caller sees it.
    pub fn receive(&mut self, now: Instant, d: Datagram<'_>, out: &mut Vec<u8>) -> Received {
        out.clear();
        let data = match self.ice.receive(now, d) {
            wren_ice::Received::Data { data, .. } => data,
            wren_ice::Received::Handled => {
                self.after_input(now);
                return Received::Handled;
            }
        };
        match classify(data) {
            PacketKind::Dtls => {
                self.security.handle_dtls(now, data);
                self.after_input(now);
                Received::Handled
            }
            kind @ (PacketKind::Rtp | PacketKind::Rtcp) => {
                let Some(srtp) = self.security.srtp() else {
                    self.stats.early_media_dropped += 1;
                    return Received::Handled;
                };
                out.extend_from_slice(data);
                let rtp = kind == PacketKind::Rtp;
                let opened = if rtp {
                    srtp.unprotect_rtp(out)
                } else {
                    srtp.unprotect_rtcp(out)
                };
                match opened {
                    Ok(n) => {
                        out.truncate(n);
                        if rtp {
                            // A source nobody announced: learned from its mid extension.
                            if self.source_ids.mid.is_some()
                                && out.len() >= 12
                                && !self
                                    .media
                                    .knows(u32::from_be_bytes([out[8], out[9], out[10], out[11]]))
                            {
                                self.learn_source(out);
                            }
                            // Statistics, transport-wide arrival, RTX unwrapped in place.
                            if !self.media.handle_rtp(now, out, &mut self.scratch) {
                                return Received::Handled;
                            }
                            self.stats.rtp_received += 1;
                            Received::Rtp
                        } else {
                            self.media.handle_rtcp(now, out);
                            self.stats.rtcp_received += 1;
                            Received::Rtcp
                        }
                    }
                    Err(_) => {
                        out.clear();
                        self.stats.srtp_dropped += 1;
                        Received::Handled
                    }
                }
            }
            _ => {
                self.stats.unknown_dropped += 1;
                Received::Handled
            }
        }
    }
}
