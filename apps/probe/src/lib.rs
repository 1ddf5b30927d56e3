//! `wren-probe`: a command-line checker for STUN and TURN servers, doing what the browsers'
//! "trickle ICE" sample page does, and for the path between two hosts.
//!
//! ```text
//! wren-probe ice [--username U] [--credential C] [--timeout S] [--ca FILE | --insecure] [--json] URI...
//! wren-probe agent --role controlling|controlled --interface IP... [--username U] [--credential C]
//!                  [--relay-only] [--pings N] [--timeout S] [URI...]
//! wren-probe sdp explain [--offer FILE] [--type offer|answer] FILE|-
//! wren-probe sdp answer FILE|-
//! ```
//!
//! `ice` takes `stun:`, `stuns:`, `turn:` and `turns:` URIs (RFC 7064, RFC 7065, with
//! `?transport=udp|tcp` as `RTCIceServer` takes it; see [`uri`]), asks every server at
//! once (a Binding request to STUN servers, an Allocate to TURN servers, which are then
//! deallocated), and prints each candidate as an RFC 8839 candidate line with the server
//! and the time it took, or, for a server that gave nothing, why (see [`output`]). The exit
//! status is 0 only when every server answered, 1 when one did not, 2 for bad arguments.
//!
//! `agent` runs one ICE agent ([`wren_ice::Agent`], over real sockets with
//! [`wren_tokio::Driver`]) and does its signalling as lines on standard output and input
//! (see [`agent`]): two agents joined pipe to pipe, or whose outputs are pasted into each
//! other by hand on two machines, connect, say which pair they chose (host, srflx, prflx
//! or relay on each side) and send a few pings over it. It exits with 0 when connected and
//! the data went both ways, 1 when ICE failed (with the failure report), 2 when the time
//! ran out.
//!
//! `sdp explain` prints what a session description says in plain words and warns where
//! calls usually break; `sdp answer` prints the answer Wren's JSEP model makes to an offer
//! (see [`sdp`]). Both exit with 0 when the description was read, 2 when it could not be
//! read or parsed (the line and what was expected on standard error).
//!
//! The protocol work is Wren's sans-IO machines ([`wren_stun::client::Client`],
//! [`wren_turn::client::Client`]), each driven by a small tokio loop ([`link`]).

pub mod agent;
pub mod candidate;
pub mod failure;
pub mod gather;
pub mod link;
pub mod output;
pub mod sdp;
pub mod tls;
pub mod uri;
