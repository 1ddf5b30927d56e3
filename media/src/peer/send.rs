//! A sending track: our source in one negotiated section. A frame is cut by the codec's
//! packetizer, each payload written as an RTP packet (RFC 3550 section 5.1: our SSRC, a
//! sequence number per packet, the frame's time on the codec's clock, the marker on a
//! video frame's last packet) with the transport-wide sequence number's element
//! (filled in by the peer connection as it leaves) and the `mid` (RFC 9143 section 15),
//! into the packet store; the pacer gets their tags.

use std::time::Duration;

use wren_rtc::NegotiatedMedia;
use wren_rtp::rtp::extensions::TransportCc;
use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpWriter};
use wren_sdp::Direction;
use wren_sdp::jsep::capabilities::uri;

use super::codec::BoxPacketizer;
use super::store::PacketStore;
use super::{FrameError, MediaCodec};
use crate::codec::PacketizeError;

/// RTP's fixed header, a one-byte extension block's header, the transport-wide element
/// (3 bytes) and a `mid` of up to 16 bytes, rounded up.
pub(crate) const HEADER_ROOM: usize = 12 + 4 + 3 + 17 + 4;

/// Our source in one section.
pub(crate) struct SendTrack {
    pub(crate) mid: String,
    pub(crate) ssrc: u32,
    pub(crate) codec: MediaCodec,
    /// Whether the peer connection has an RTX source for it (padding goes there).
    pub(crate) has_rtx: bool,
    payload_type: u8,
    clock_rate: u32,
    packetizer: BoxPacketizer,
    seq: u16,
    /// The RTP time of media time zero (random, RFC 3550 section 5.1).
    ts_base: u32,
    twcc_id: Option<u8>,
    mid_id: Option<u8>,
    /// Frames sent.
    pub(crate) frames: u64,
}

impl std::fmt::Debug for SendTrack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendTrack")
            .field("mid", &self.mid)
            .field("ssrc", &self.ssrc)
            .field("codec", &self.codec)
            .field("payload_type", &self.payload_type)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// A well-mixed 64-bit value of `x` (splitmix64's finalizer): the first sequence number
/// and RTP time of a track from its SSRC and the configured seed, so that a seeded run
/// repeats.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl SendTrack {
    /// The track of section `m` when we send in it with a codec frame mode carries; `Err`
    /// with the codec's name when it is one frame mode does not packetize.
    pub(crate) fn new(m: &NegotiatedMedia, seed: u64) -> Result<Option<SendTrack>, String> {
        let sending = matches!(m.direction, Direction::SendRecv | Direction::SendOnly);
        let (Some(ssrc), true) = (m.send_ssrc, sending) else {
            return Ok(None);
        };
        let Some(c) = m.primary_codec() else {
            return Ok(None);
        };
        let codec = MediaCodec::from_name(&c.name).ok_or_else(|| c.name.clone())?;
        let r = mix(seed ^ u64::from(ssrc));
        Ok(Some(SendTrack {
            mid: m.mid.clone(),
            ssrc,
            codec,
            has_rtx: m.send_rtx_ssrc.is_some(),
            payload_type: c.payload_type,
            clock_rate: c.clock_rate.max(1),
            packetizer: codec.packetizer(c),
            seq: r as u16,
            ts_base: (r >> 32) as u32,
            twcc_id: m.extension_id(uri::TRANSPORT_WIDE_CC),
            mid_id: m.extension_id(uri::MID).filter(|_| m.mid.len() <= 16),
            frames: 0,
        }))
    }

    /// Whether a renegotiated section still describes this track (same source, codec and
    /// payload type): it keeps its sequence numbers and clock then.
    pub(crate) fn same_as(&self, other: &SendTrack) -> bool {
        self.ssrc == other.ssrc
            && self.payload_type == other.payload_type
            && self.codec == other.codec
    }

    /// The RTP time of media time `pts`.
    fn rtp_time(&self, pts: Duration) -> u32 {
        let ticks = pts.as_micros() * u128::from(self.clock_rate) / 1_000_000;
        self.ts_base.wrapping_add(ticks as u32)
    }

    /// Cuts `frame` into RTP packets of at most `max_packet` bytes in `store`, and calls
    /// `queued(tag, bytes)` for each, in order.
    pub(crate) fn write_frame(
        &mut self,
        pts: Duration,
        frame: &[u8],
        max_packet: usize,
        store: &mut PacketStore,
        queued: &mut dyn FnMut(u64, usize),
    ) -> Result<(), FrameError> {
        let timestamp = self.rtp_time(pts);
        let audio = self.codec.is_audio();
        let max_payload = max_packet.saturating_sub(HEADER_ROOM).max(64);
        let (ssrc, pt, twcc, mid_id, mid) = (
            self.ssrc,
            self.payload_type,
            self.twcc_id,
            self.mid_id,
            self.mid.as_bytes(),
        );
        let mut seq = self.seq;
        let mut failed = None;
        self.packetizer
            .packetize(frame, max_payload, &mut |payload, last| {
                let header = RtpHeader {
                    // RFC 3551 section 4.1: video marks a frame's last packet; audio
                    // (no silence suppression here) does not.
                    marker: last && !audio,
                    payload_type: pt,
                    sequence_number: seq,
                    timestamp,
                    ssrc,
                    ..Default::default()
                };
                let capacity = store.capacity();
                let Some((tag, buf)) = store.next_buffer() else {
                    failed = Some(FrameError::Congested {
                        queued: capacity,
                        waited: Duration::ZERO,
                    });
                    return;
                };
                buf.resize(HEADER_ROOM + payload.len(), 0);
                let written = (|| {
                    let mut w = RtpWriter::new(buf, &header)?;
                    if twcc.is_some() || mid_id.is_some() {
                        w.extensions(ExtensionForm::OneByte)?;
                    }
                    if let Some(id) = twcc {
                        w.add(id, &TransportCc(0))?;
                    }
                    if let Some(id) = mid_id {
                        w.extension(id, mid)?;
                    }
                    w.finish(payload, 0)
                })();
                match written {
                    Ok(n) => {
                        buf.truncate(n);
                        queued(tag, n);
                        seq = seq.wrapping_add(1);
                    }
                    Err(_) => {
                        store.release(tag);
                        failed = Some(PacketizeError::PayloadTooSmall(max_payload).into());
                    }
                }
            })?;
        self.seq = seq;
        self.frames += 1;
        // Only a payload larger than the room reserved can fail to be written (the
        // packetizer keeps to `max_payload`), or a full store (the caller checks room
        // first): the packets written are sent; the receiver drops the partial frame.
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(())
    }
}
