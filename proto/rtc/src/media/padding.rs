//! Padding for bandwidth probing: an RTP packet on a stream's RTX source with no payload,
//! only padding (RFC 3550 section 5.1: P set, the last octet counts the padding octets;
//! RFC 4588 section 4: the RTX stream's own sequence numbers), and a transport-wide
//! sequence number so that the peer's feedback reports its arrival. A receiver that
//! unwraps RTX finds no original inside and drops it; the congestion controller has its
//! arrival time. This is how libwebrtc probes when there is not enough media.

use wren_rtp::rtp::extensions::TransportCc;
use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpWriter};

use super::Media;

/// The most padding one packet carries: the count is one octet.
pub(crate) const MAX_PADDING: usize = 255;

impl Media {
    /// Appends to `out` a padding-only packet of about `bytes` octets (at most
    /// [`MAX_PADDING`] of padding) on the RTX source of our stream `ssrc`; `false` when the
    /// stream is not ours or has no RTX.
    pub(crate) fn write_padding(&mut self, ssrc: u32, bytes: usize, out: &mut Vec<u8>) -> bool {
        let twcc = self.config.extensions.twcc;
        let Some(s) = self.send.iter_mut().find(|s| s.config.ssrc == ssrc) else {
            return false;
        };
        let Some(rtx) = &s.config.rtx else {
            return false;
        };
        let Some(&(_, payload_type)) = rtx.payload_types.first() else {
            return false;
        };
        let header = RtpHeader {
            payload_type,
            sequence_number: s.rtx_seq,
            timestamp: s.last_rtp.map_or(0, |(ts, _)| ts),
            ssrc: rtx.ssrc,
            ..Default::default()
        };
        let padding = bytes.clamp(1, MAX_PADDING);
        let start = out.len();
        out.resize(start + 12 + 8 + padding, 0);
        let written = (|| {
            let mut w = RtpWriter::new(&mut out[start..], &header)?;
            if let Some(id) = twcc {
                w.extensions(ExtensionForm::OneByte)?;
                w.add(id, &TransportCc(0))?;
            }
            // `padding` is 1..=255 (clamped above).
            w.finish(&[], u8::try_from(padding).unwrap_or(u8::MAX))
        })();
        let Ok(n) = written else {
            out.truncate(start);
            return false;
        };
        out.truncate(start + n);
        s.rtx_seq = s.rtx_seq.wrapping_add(1);
        if let Some(id) = twcc
            && let Some(seq) = self.twcc_send.stamp(id, &mut out[start..])
        {
            self.last_twcc = Some(seq);
        }
        self.counters.padding_sent += 1;
        true
    }
}
