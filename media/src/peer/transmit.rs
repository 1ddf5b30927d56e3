//! What leaves, in order: the peer connection's own datagrams (ICE, DTLS, SCTP, RTCP),
//! then what the pacer releases now: a queued media packet, a held retransmission, or
//! padding for a probe. Each RTP packet that leaves is reported to the congestion
//! controller with its transport-wide number, size and probe cluster.
//!
//! Retransmissions the peer connection makes in answer to NACKs (RTX, already protected
//! and numbered) are held in the pacer's retransmission queue rather than sent at once: a
//! burst of NACKs after a loss at the bottleneck would otherwise send every lost packet
//! again at once, into the queue that just overflowed (libwebrtc paces them too); and
//! they are held to the target bitrate over a second (`rtx_budget.rs`), past which they
//! are not sent at all.

use std::time::Instant;

use wren_core::{Machine, Transmit};

use super::MediaPeer;
use super::store::Stored;
use crate::cc::ProbeClusterId;
use crate::pacer::{Paced, Priority};

impl MediaPeer {
    /// Whether media can leave: DTLS connected and a path selected.
    pub(super) fn media_ready(&self) -> bool {
        self.rtc.dtls_state() == wren_rtc::DtlsState::Connected
            && self.rtc.ice().selected_pair().is_some()
    }

    /// The next datagram into `buf`.
    pub(super) fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        loop {
            buf.clear();
            let Some(t) = self.rtc.poll_transmit(now, buf) else {
                break;
            };
            let seq = self.rtc.last_transport_sequence();
            let Some(n) = seq.filter(|_| seq != self.last_twcc) else {
                // Not a newly numbered RTP packet: ICE, DTLS, SCTP or RTCP.
                return Some(t);
            };
            // A retransmission: a new packet on the transport, with a new number.
            self.last_twcc = seq;
            if !self
                .rtx_budget
                .take(now, self.gcc.target_bitrate(), buf.len())
            {
                self.stats.retransmissions_dropped += 1;
                continue;
            }
            match self.store.hold(buf, t, n) {
                Some(tag)
                    if self
                        .pacer
                        .push(now, tag, buf.len(), Priority::Retransmission)
                        .is_ok() =>
                {
                    self.stats.retransmissions_paced += 1;
                }
                held => {
                    // No room to hold it: it leaves now.
                    if let Some(tag) = held {
                        self.store.release(tag);
                    }
                    self.gcc.handle_packet_sent(now, n, buf.len(), None);
                    return Some(t);
                }
            }
        }
        if !self.media_ready() {
            return None;
        }
        loop {
            buf.clear();
            let sent = match self.pacer.poll_packet(now)? {
                Paced::Media { tag, probe, .. } => match self.store.take(tag) {
                    None => {
                        self.stats.packets_lost_here += 1;
                        continue;
                    }
                    Some(Stored::Ready(bytes, t, seq)) => {
                        buf.extend_from_slice(bytes);
                        self.gcc.handle_packet_sent(now, seq, buf.len(), probe);
                        return Some(t);
                    }
                    Some(Stored::Rtp(packet)) => match self.rtc.send_rtp_into(now, packet, buf) {
                        Ok(t) => {
                            self.stats.packets_sent += 1;
                            self.note_sent(now, buf.len(), probe);
                            t
                        }
                        Err(_) => {
                            self.stats.packets_lost_here += 1;
                            continue;
                        }
                    },
                },
                Paced::Padding { bytes, probe } => {
                    let Some(ssrc) = self.send.iter().find(|t| t.has_rtx).map(|t| t.ssrc) else {
                        continue;
                    };
                    match self.rtc.send_padding_into(now, ssrc, bytes, buf) {
                        Ok(t) => {
                            self.stats.padding_sent += 1;
                            self.note_sent(now, buf.len(), probe);
                            t
                        }
                        Err(_) => continue,
                    }
                }
            };
            if let Some(t) = sent {
                return Some(t);
            }
            // Queued by a TURN client installing a permission: it leaves from the peer.
            buf.clear();
            if let Some(t) = self.rtc.poll_transmit(now, buf) {
                return Some(t);
            }
        }
    }

    /// Reports the packet the peer connection just numbered.
    fn note_sent(&mut self, now: Instant, bytes: usize, probe: Option<ProbeClusterId>) {
        let seq = self.rtc.last_transport_sequence();
        if seq.is_some() && seq != self.last_twcc {
            self.last_twcc = seq;
            if let Some(seq) = seq {
                self.gcc.handle_packet_sent(now, seq, bytes, probe);
            }
        }
    }
}
