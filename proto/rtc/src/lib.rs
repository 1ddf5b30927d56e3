//! wren-rtc: one WebRTC peer connection as a sans-IO machine.
//!
//! A [`Peer`] runs what browsers run on one BUNDLE transport with rtcp-mux: an ICE agent
//! (wren-ice) finds the path; DTLS (wren-dtls) runs over the selected pair, with its role
//! from the signalled setup and the peer's certificate checked against the fingerprint it
//! announced (RFC 8122); SRTP (wren-srtp) is keyed from the DTLS exporter (RFC 5764
//! section 4.2); datagrams on the transport are told apart by their first byte (RFC 7983,
//! [`wren_core::demux`]).
//!
//! This is the transport and the direct API (for programs that signal their own way:
//! [`LocalParameters`] out, [`RemoteParameters`] in); media goes in RTP mode, each packet
//! protected into the caller's transmit buffer ([`Peer::send_rtp_into`]) and unprotected
//! into the caller's receive buffer ([`Peer::receive`]), with no queue and no allocation
//! per packet.
//!
//! RTP mode's RTCP is the peer's own (the `media` module): streams added with
//! [`Peer::add_send_stream`] and [`Peer::add_receive_stream`] get sender and receiver
//! reports with SDES (RFC 3550), NACKs answered from a bounded send history as RTX
//! (RFC 4588) and their own losses asked for, keyframe requests (PLI, FIR) as
//! [`Event::KeyframeRequest`], transport-wide sequence numbers and feedback
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01), media flow and RTT events and
//! getStats-shaped [`Peer::media_stats`].
//!
//! Data channels (RFC 8831) run over SCTP in DTLS once it connects: opened in band with
//! DCEP (RFC 8832, [`dcep`]) or negotiated, ordered or not, reliable or partially so
//! ([`Peer::create_channel`], [`Event::ChannelOpen`], [`Event::ChannelMessage`]). SCTP is
//! the sans-IO `sctp-proto` crate (0.10): kept by str0m's maintainers and run by str0m in
//! production, it takes packets and `Instant`s and gives packets, events and deadlines, so
//! it fits here without an SCTP of our own.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use wren_rtc::{Config, DtlsRole, Peer};
//!
//! let identity = Arc::new(wren_dtls::identity::Identity::generate()?);
//! let config = Config::new(
//!     wren_ice::Role::Controlling,
//!     DtlsRole::Client,
//!     vec!["127.0.0.1".parse()?],
//!     identity,
//! );
//! let peer = Peer::new(Instant::now(), config);
//! // What the other side needs to know, however the application signals it.
//! let local = peer.local_parameters();
//! assert_eq!(local.credentials.pwd.len(), 24);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod config;
mod data;
mod error;
mod event;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
mod media;
mod params;
mod peer;
mod security;
mod stats;
#[cfg(feature = "testing")]
#[doc(hidden)]
pub mod testing;

pub use config::{Config, DtlsRole};
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use data::fuzz_dcep;
pub use data::{ChannelError, ChannelId, ChannelOptions, DataConfig, DataStats, dcep};
pub use error::{Error, SendError};
pub use event::{DtlsFailure, DtlsState, Event, FlowDirection, KeyframeKind, Stats};
pub use media::config::{
    ExtensionIds, MediaConfig, MediaKind, ReceiveStream, Rtx, SendStream, StreamError,
};
pub use media::stats::{InboundRtpStats, MediaStats, OutboundRtpStats, RemoteInboundRtpStats};
pub use params::{LocalParameters, RemoteParameters};
pub use peer::{
    Command, JsepError, NegotiatedMedia, Peer, Received, SdpType, SessionDescription,
    negotiated_sections,
};
pub use stats::{ChannelState, DataChannelStats, StatsReport, TransportStats};
