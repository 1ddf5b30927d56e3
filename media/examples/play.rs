//! Streams an IVF video file (VP8, VP9 or AV1) and an Ogg Opus audio file to every browser
//! that calls, in frame mode (wren-media's `MediaPeer` on wren-tokio).
//!
//! ```text
//! cargo run --release -p wren-media --example play -- \
//!     --listen 127.0.0.1:8080 --video clip.ivf --audio clip.ogg
//! ```
//!
//! It prints `play listening on http://ADDR/` once it listens (`--listen` with port 0
//! takes any free port). Both files are read whole at start: a file missing or not valid
//! is an error then, with the file's name and what is wrong. The HTTP API is the `echo`
//! example's (WHIP's `POST /` with the browser's offer, `POST /offer` and `PATCH`,
//! `DELETE`); a browser that only receives offers like this:
//!
//! ```js
//! const pc = new RTCPeerConnection();
//! pc.addTransceiver('video', {direction: 'recvonly'});
//! pc.addTransceiver('audio', {direction: 'recvonly'});
//! pc.ontrack = (e) => { /* attach e.streams[0] or e.track to a <video> */ };
//! await pc.setLocalDescription(await pc.createOffer());
//! // ... wait for pc.iceGatheringState === 'complete' (no trickle here) ...
//! const r = await fetch('http://127.0.0.1:8080/', {method: 'POST',
//!   headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
//! await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
//! ```
//!
//! Each call plays the files once from their start, from the moment DTLS is up, each
//! frame at its time in the file; the call stays open after the last frame until the
//! browser leaves or hangs up (`DELETE`). Ctrl-C stops the server and its calls.
//! `RUST_LOG=debug` shows each call's state changes.
#![allow(clippy::disallowed_methods)] // an application: the real clock

#[path = "common/mod.rs"]
mod common;
#[path = "play/mod.rs"]
mod play;

use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;

/// The play server's flags.
#[derive(Debug, Parser)]
#[command(about = "Streams an IVF video file and an Ogg Opus audio file to browsers that call")]
struct Args {
    #[command(flatten)]
    server: common::server::ServerArgs,
    /// The video: an IVF file of VP8, VP9 or AV1.
    #[arg(long)]
    video: PathBuf,
    /// The audio: an Ogg Opus file.
    #[arg(long)]
    audio: PathBuf,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    common::server::main("play", &args.server, |identity| {
        let clip = play::clip::Clip::open(&args.video, &args.audio)?;
        tracing::info!(
            codec = ?clip.video_codec,
            video_frames = clip.video.len(),
            audio_frames = clip.audio.len(),
            duration = ?clip.duration(),
            "files read"
        );
        Ok(play::Play::new(identity, Arc::new(clip)))
    })
}
