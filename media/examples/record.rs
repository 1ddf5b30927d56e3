//! Records what a browser sends (VP8 or VP9 video, Opus audio) to a WebM file, without
//! transcoding, in frame mode (wren-media's `MediaPeer` on wren-tokio); the file is
//! finished when the call ends.
//!
//! ```text
//! cargo run --release -p wren-media --example record -- --listen 127.0.0.1:8080 --out call.webm
//! ```
//!
//! It prints `record listening on http://ADDR/` once it listens (`--listen` with port 0
//! takes any free port). The HTTP API is the `echo` example's (WHIP's `POST /` with the
//! browser's offer, `POST /offer` and `PATCH`, `DELETE`); a browser that sends offers
//! like this, and hangs up with `DELETE` on the `Location` it got:
//!
//! ```js
//! const pc = new RTCPeerConnection();
//! const stream = await navigator.mediaDevices.getUserMedia({audio: true, video: true});
//! stream.getTracks().forEach((t) => pc.addTransceiver(t, {direction: 'sendonly'}));
//! await pc.setLocalDescription(await pc.createOffer());
//! // ... wait for pc.iceGatheringState === 'complete' (no trickle here) ...
//! const r = await fetch('http://127.0.0.1:8080/', {method: 'POST',
//!   headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
//! await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
//! // ... later:
//! await fetch(new URL(r.headers.get('Location'), 'http://127.0.0.1:8080/'), {method: 'DELETE'});
//! ```
//!
//! The file starts with a video keyframe (asked for at once) and is finished on `DELETE`,
//! when ICE or DTLS closes or fails, or on Ctrl-C (which stops the server). One call
//! records at a time; each call writes the file anew. `RUST_LOG=debug` shows each call's
//! state changes.
#![allow(clippy::disallowed_methods)] // an application: the real clock

#[path = "common/mod.rs"]
mod common;
#[path = "record/mod.rs"]
mod record;

use std::path::PathBuf;

use clap::Parser;

/// The record server's flags.
#[derive(Debug, Parser)]
#[command(about = "Records what a browser sends to a WebM file")]
struct Args {
    #[command(flatten)]
    server: common::server::ServerArgs,
    /// The WebM file to write (made anew by each call).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    common::server::main("record", &args.server, |identity| {
        Ok(record::Record::new(identity, args.out.clone())?)
    })
}
