//! The `media_peer` fuzz target's entry point (not a public API): two peers in frame mode,
//! negotiated with SDP (Opus and VP8 both ways) and connected on wren-netsim, then an
//! arbitrary sequence of [`Op`]s: frames of any bytes written on either track, RTP packets
//! with any header fields and payload sent on a negotiated source (past SRTP, so the other
//! side's jitter buffers and depacketizers meet them), RTCP compounds of any content (the
//! congestion controller reads any transport-wide feedback in them), raw datagrams, waits
//! and closes. Nothing may panic, and the simulator's run returns (a machine whose deadline
//! stays due would spin it).

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use wren_core::{Datagram, Machine};
use wren_netsim::LinkConfig;
use wren_rtc::Command as RtcCommand;
use wren_sdp::jsep::MediaKind;

use super::{Command, MediaConfig, MediaPeer};

/// One step.
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// Peer `from % 2` writes a frame on its video (or audio) track.
    Frame {
        /// Which peer.
        from: u8,
        /// Video (VP8) or audio (Opus).
        video: bool,
        /// Media time, milliseconds.
        pts: u16,
        /// The frame.
        bytes: Vec<u8>,
    },
    /// Peer `from % 2` sends an RTP packet on its video (or audio) source with these
    /// header fields and payload.
    Rtp {
        /// Which peer.
        from: u8,
        /// Video or audio source.
        video: bool,
        /// Payload type (the negotiated one when `None`).
        payload_type: Option<u8>,
        /// Sequence number.
        seq: u16,
        /// Timestamp.
        timestamp: u32,
        /// Marker.
        marker: bool,
        /// Payload.
        payload: Vec<u8>,
    },
    /// Peer `from % 2` sends an RTCP packet: type 200 + `kind % 7`, format `count % 32`.
    Rtcp {
        /// Which peer.
        from: u8,
        /// The packet type offset.
        kind: u8,
        /// The count or format field.
        count: u8,
        /// The body after the 4-byte header.
        body: Vec<u8>,
    },
    /// A datagram of any bytes to peer `to % 2` from the other's address.
    Datagram {
        /// Which peer.
        to: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Time passes (milliseconds).
    Wait(u16),
    /// Peer `which % 2` closes.
    Close(u8),
}

/// Our source and payload type in the video (or audio) section.
fn source(p: &MediaPeer, video: bool) -> Option<(u32, u8)> {
    let kind = if video {
        MediaKind::Video
    } else {
        MediaKind::Audio
    };
    let m = p.rtc().negotiated_media().iter().find(|m| m.kind == kind)?;
    Some((m.send_ssrc?, m.primary_codec()?.payload_type))
}

/// The `media_peer` target: see the module docs.
pub fn media_peer(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(seed) = u8::arbitrary(&mut u) else {
        return;
    };
    let link = LinkConfig::ideal();
    let Some((mut sim, nodes, _)) =
        super::testing::call(u64::from(seed % 4), [link, link], MediaConfig::default())
    else {
        return;
    };
    let mids: Vec<Vec<(String, bool)>> = nodes
        .iter()
        .map(|&n| {
            sim.with(n, |p: &mut MediaPeer, _| {
                p.sending()
                    .map(|(mid, c)| (mid.to_owned(), !c.is_audio()))
                    .collect()
            })
        })
        .collect();
    for _ in 0..64 {
        if u.is_empty() {
            break;
        }
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        match op {
            Op::Frame {
                from,
                video,
                pts,
                bytes,
            } => {
                let i = usize::from(from % 2);
                if let Some((mid, _)) = mids[i].iter().find(|(_, v)| *v == video) {
                    let pts = Duration::from_millis(u64::from(pts));
                    let _ = sim.with(nodes[i], |p: &mut MediaPeer, now| {
                        p.write_frame(now, mid, pts, &bytes)
                    });
                }
            }
            Op::Rtp {
                from,
                video,
                payload_type,
                seq,
                timestamp,
                marker,
                payload,
            } => {
                let i = usize::from(from % 2);
                let Some((ssrc, pt)) = sim.with(nodes[i], |p: &mut MediaPeer, _| source(p, video))
                else {
                    continue;
                };
                let mut packet = vec![
                    0x80,
                    u8::from(marker) << 7 | payload_type.unwrap_or(pt) & 0x7f,
                ];
                packet.extend_from_slice(&seq.to_be_bytes());
                packet.extend_from_slice(&timestamp.to_be_bytes());
                packet.extend_from_slice(&ssrc.to_be_bytes());
                packet.extend_from_slice(&payload);
                let _ = sim.with(nodes[i], |p: &mut MediaPeer, now| {
                    p.handle_command(now, Command::Rtc(RtcCommand::SendRtp(packet)))
                });
            }
            Op::Rtcp {
                from,
                kind,
                count,
                body,
            } => {
                let i = usize::from(from % 2);
                let words = body.len().div_ceil(4);
                let mut packet = vec![0x80 | (count % 32), 200 + kind % 7];
                packet.extend_from_slice(&(words as u16).to_be_bytes());
                packet.extend_from_slice(&body);
                packet.resize(4 + words * 4, 0);
                let _ = sim.with(nodes[i], |p: &mut MediaPeer, now| {
                    p.handle_command(now, Command::Rtc(RtcCommand::SendRtcp(packet)))
                });
            }
            Op::Datagram { to, bytes } => {
                let i = usize::from(to % 2);
                let (Some(&(_, src)), Some(&(_, dst))) = (
                    sim.sockets(nodes[1 - i]).first(),
                    sim.sockets(nodes[i]).first(),
                ) else {
                    continue;
                };
                sim.with(nodes[i], |p: &mut MediaPeer, now| {
                    p.handle_datagram(now, Datagram::udp(src, dst, &bytes));
                });
            }
            Op::Wait(ms) => sim.run_for(Duration::from_millis(u64::from(ms % 2000))),
            Op::Close(which) => {
                let _ = sim.with(nodes[usize::from(which % 2)], |p: &mut MediaPeer, now| {
                    p.handle_command(now, Command::Rtc(RtcCommand::Close))
                });
            }
        }
        sim.run_for(Duration::from_millis(1));
        for &n in &nodes {
            while sim.poll_event::<MediaPeer>(n).is_some() {}
        }
    }
    sim.run_for(Duration::from_millis(700));
}
