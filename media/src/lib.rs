//! Media above a wren-rtc peer in RTP mode: what turns encoded frames into RTP payloads
//! and back. Sans-IO like the protocol crates: no clock, no socket, no runtime.
//!
//! [`codec`] has a packetizer and a depacketizer per payload format: VP8 (RFC 7741),
//! VP9 (RFC 9628, with its SVC layer information), AV1 (the AOM RTP payload format),
//! H.264 (RFC 6184, packetization modes 0 and 1), Opus (RFC 7587) and G.711 (RFC 3551),
//! each with keyframe detection. Packetizers write every payload into their own buffer,
//! reused from frame to frame, and hand it to a callback; depacketizers append a frame's
//! bytes to the caller's buffer. Neither allocates per packet once warm.
//!
//! [`jitter`] is the receive side of a stream: packets in any order, frames out in order,
//! NACKs for what is missing, keyframe requests when a frame cannot be completed.
//!
//! The send side: [`cc`] is congestion control in the manner of Google Congestion
//! Control (draft-ietf-rmcat-gcc-02) from transport-wide CC feedback, a delay-based and
//! a loss-based estimate with probing, whose target bitrate is an event the application
//! acts on; [`pacer`] releases queued packets at a multiple of that target, audio
//! first, with bounded bursts, and asks for padding and probe packets. Neither sends
//! anything: the caller sends what [`pacer::Pacer::poll_packet`] names and tells the
//! controller, then hands it the feedback that comes back.
//!
//! [`peer`] is frame mode, which puts these together: a [`peer::MediaPeer`] wraps a
//! `wren_rtc::Peer` in RTP mode and is a `wren_core::Machine` of its own. A frame written
//! to a negotiated section's track is packetized, paced and sent; transport-wide feedback
//! drives the congestion controller, whose target is an event; received packets go
//! through a jitter buffer per source and come out as whole frames; keyframe requests go
//! both ways. `tests/frame_mode.rs` runs two of them on wren-netsim.
//!
//! [`mod@file`] reads and writes IVF (VP8, VP9, AV1) and Ogg Opus, and writes WebM, so that a
//! call can be recorded without transcoding and played with common tools.
//!
//! ```
//! use wren_media::codec::vp8;
//! use wren_media::codec::{Depacketizer, Packetizer};
//!
//! // A VP8 keyframe (its first byte's low bit is 0) of 3,000 bytes.
//! let mut frame = vec![0u8; 3000];
//! frame[0] = 0x10;
//! let mut packetizer = vp8::Vp8Packetizer::new();
//! let mut payloads: Vec<(Vec<u8>, bool)> = Vec::new();
//! packetizer.packetize(&frame, 1200, &mut |payload, last| payloads.push((payload.to_vec(), last)))?;
//! assert_eq!(payloads.len(), 3);
//! assert!(payloads[2].1, "the last one carries the marker");
//!
//! let mut depacketizer = vp8::Vp8Depacketizer::default();
//! let mut rebuilt = Vec::new();
//! for (payload, _) in &payloads {
//!     depacketizer.push(payload, &mut rebuilt)?;
//! }
//! assert_eq!(rebuilt, frame);
//! assert!(vp8::is_keyframe(&payloads[0].0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

pub mod cc;
pub mod codec;
pub mod file;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod jitter;
pub mod pacer;
pub mod peer;
