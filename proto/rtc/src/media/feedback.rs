//! Feedback we send about the streams we receive (RFC 4585 section 6, sent as
//! reduced-size RTCP, RFC 5506): generic NACKs for losses (section 6.2.1), and the
//! keyframe requests the application asks for: PLI (section 6.3.1) and FIR (RFC 5104
//! section 4.3.1, with its command sequence number).

use std::time::Instant;

use wren_rtp::rtcp::{Fir, FirEntry, Nack, NackPair, Pli};

use super::{Media, append};
use crate::event::KeyframeKind;

/// NACK pairs one packet carries at most (each covers 17 sequence numbers).
const MAX_PAIRS: usize = 64;

impl Media {
    /// Writes one NACK for the first received stream with losses due at `now`.
    pub(super) fn write_nacks(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        let interval = self.nack_interval();
        let sender_ssrc = self.feedback_ssrc();
        for r in &mut self.recv {
            if !r.config.nack || !r.nack.due(now) {
                continue;
            }
            let mut pairs = [NackPair::default(); MAX_PAIRS];
            let used = r.nack.take_due(now, interval, &mut pairs);
            if used == 0 {
                continue;
            }
            let nack = Nack {
                sender_ssrc,
                media_ssrc: r.config.ssrc,
                pairs: (&pairs[..used]).into(),
            };
            if append(out, &nack) {
                r.nacks_sent += 1;
                return true;
            }
        }
        false
    }

    /// Writes a PLI or FIR for received stream `stream`.
    pub(super) fn write_keyframe_request(
        &mut self,
        stream: usize,
        kind: KeyframeKind,
        out: &mut Vec<u8>,
    ) -> bool {
        let sender_ssrc = self.feedback_ssrc();
        let r = &mut self.recv[stream];
        let media_ssrc = r.config.ssrc;
        match kind {
            KeyframeKind::Pli => {
                let ok = append(
                    out,
                    &Pli {
                        sender_ssrc,
                        media_ssrc,
                    },
                );
                r.plis_sent += u64::from(ok);
                ok
            }
            KeyframeKind::Fir => {
                let entries = [FirEntry {
                    ssrc: media_ssrc,
                    seq: r.fir_seq,
                }];
                // RFC 5104 section 4.3.1.2: the media source field is 0.
                let fir = Fir {
                    sender_ssrc,
                    media_ssrc: 0,
                    entries: (&entries).into(),
                };
                let ok = append(out, &fir);
                if ok {
                    r.fir_seq = r.fir_seq.wrapping_add(1);
                    r.firs_sent += 1;
                }
                ok
            }
        }
    }
}
