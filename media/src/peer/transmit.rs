//! What leaves, in order: the peer connection's own datagrams (ICE, DTLS, SCTP, RTCP,
//! retransmissions), then what the pacer releases now: a queued media packet, or padding
//! for a probe. Each RTP packet that leaves is reported to the congestion controller with
//! its transport-wide number, size and probe cluster.

use std::time::Instant;

use wren_core::{Machine, Transmit};

use super::MediaPeer;
use crate::pacer::Paced;

impl MediaPeer {
    /// Whether media can leave: DTLS connected and a path selected.
    pub(super) fn media_ready(&self) -> bool {
        self.rtc.dtls_state() == wren_rtc::DtlsState::Connected
            && self.rtc.ice().selected_pair().is_some()
    }

    /// The next datagram into `buf`.
    pub(super) fn transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        if let Some(t) = self.rtc.poll_transmit(now, buf) {
            // A retransmission the peer connection sent in answer to a NACK is a new
            // packet on the transport: it has a new number.
            self.note_sent(now, buf.len(), None);
            return Some(t);
        }
        if !self.media_ready() {
            return None;
        }
        loop {
            buf.clear();
            let sent = match self.pacer.poll_packet(now)? {
                Paced::Media { tag, probe, .. } => {
                    let Some(packet) = self.store.take(tag) else {
                        self.stats.packets_lost_here += 1;
                        continue;
                    };
                    match self.rtc.send_rtp_into(now, packet, buf) {
                        Ok(t) => {
                            self.stats.packets_sent += 1;
                            self.note_sent(now, buf.len(), probe);
                            t
                        }
                        Err(_) => {
                            self.stats.packets_lost_here += 1;
                            continue;
                        }
                    }
                }
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

    /// Reports the packet the peer connection numbered last, if it is new.
    fn note_sent(&mut self, now: Instant, bytes: usize, probe: Option<crate::cc::ProbeClusterId>) {
        let seq = self.rtc.last_transport_sequence();
        if seq.is_some() && seq != self.last_twcc {
            self.last_twcc = seq;
            if let Some(seq) = seq {
                self.gcc.handle_packet_sent(now, seq, bytes, probe);
            }
        }
    }
}
