//! wren-signal: a signaling server with the Kinesis Video Streams channel model (channels
//! with one master and several viewers; SDP offers, answers and ICE candidates relayed as
//! the KVS SDKs send them), which hands out TURN credentials that wren-relay accepts.
//!
//! The channel logic is a machine with no socket and no clock ([`core::Signaling`]); the
//! server drives it. Message formats are in [`message`]. Several nodes share channels and
//! members and pass messages through Redis ([`cluster`], `--redis URL`).
//!
//! ```
//! use std::time::Instant;
//! use wren_signal::client_id::ClientId;
//! use wren_signal::core::{Config, ConnId, Output, Registry, Role, Signaling};
//!
//! let now = Instant::now();
//! let mut s = Signaling::new(Config::default(), Registry::new("us-west-2", "000000000000", 100));
//! let arn = s.create_channel("door", 1_700_000_000_000).unwrap().arn;
//! s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
//! s.connect(now, ConnId(2), &arn, Role::Viewer(ClientId::new("v1").unwrap())).unwrap();
//! // The viewer's offer (payload: base64 of the RTCSessionDescription's JSON) reaches the master...
//! s.handle_message(now, ConnId(2), r#"{"action":"SDP_OFFER","messagePayload":"e30="}"#);
//! let Some(Output::Send { to, text }) = s.poll_output() else { panic!() };
//! assert_eq!(to, ConnId(1));
//! // ...named by the server as from "v1".
//! assert!(text.contains(r#""senderClientId":"v1""#));
//! ```

pub mod auth;
pub mod channel_arn;
pub mod client_id;
pub mod cluster;
pub mod config_file;
pub mod core;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzz;
pub mod ice_servers;
pub mod message;
pub mod server;
