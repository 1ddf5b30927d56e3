//! The echo server on wren-tokio: every caller gets its own audio, video and data channel
//! messages back.
//!
//! ```text
//! cargo run --release -p wren-rtc --example echo -- --listen 127.0.0.1:8080
//! ```
//!
//! A browser that offers POSTs its offer (`Content-Type: application/sdp`) to `/` and gets
//! `201 Created` with our answer and a `Location`, as WHIP (RFC 9725) does:
//!
//! ```js
//! const pc = new RTCPeerConnection();
//! (await navigator.mediaDevices.getUserMedia({audio: true, video: true}))
//!   .getTracks().forEach((t) => pc.addTrack(t));
//! const dc = pc.createDataChannel('echo');
//! await pc.setLocalDescription(await pc.createOffer());
//! // ... wait for pc.iceGatheringState === 'complete' (no trickle here) ...
//! const r = await fetch('http://127.0.0.1:8080/', {method: 'POST',
//!   headers: {'Content-Type': 'application/sdp'}, body: pc.localDescription.sdp});
//! await pc.setRemoteDescription({type: 'answer', sdp: await r.text()});
//! ```
//!
//! A browser that answers POSTs (no body) to `/offer`, gets `201 Created` with our offer
//! (audio and video sendrecv and a data channel section) and a `Location`, and sends its
//! answer to that `Location` with `PATCH` (or `POST`), `Content-Type: application/sdp`:
//!
//! ```js
//! const r = await fetch('http://127.0.0.1:8080/offer', {method: 'POST'});
//! const call = new URL(r.headers.get('Location'), 'http://127.0.0.1:8080/');
//! await pc.setRemoteDescription({type: 'offer', sdp: await r.text()});
//! // attach tracks: pc.getTransceivers() -> sender.replaceTrack(track), direction 'sendrecv'
//! await pc.setLocalDescription(await pc.createAnswer());
//! // ... wait for ICE gathering ...
//! await fetch(call, {method: 'PATCH', headers: {'Content-Type': 'application/sdp'},
//!   body: pc.localDescription.sdp});
//! ```
//!
//! `DELETE` on a `Location` hangs up. The module `echo/mod.rs` has the whole API (status
//! codes, CORS) and what each call does. Media goes through a UDP socket per call on
//! `--media-ip` (by default the listening address's IP); the server gives host candidates
//! only, so a browser behind a relay (`iceTransportPolicy: "relay"`) reaches it through
//! its TURN server. `RUST_LOG=debug` shows each call's state changes.
#![allow(clippy::disallowed_methods)] // an application: the real clock

#[path = "echo/mod.rs"]
mod echo;

use clap::Parser;

/// The echo server's flags.
#[derive(Debug, Parser)]
#[command(about = "A WebRTC echo server: callers get their own media and messages back")]
struct Args {
    #[command(flatten)]
    server: echo::server::ServerArgs,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    echo::server::main("echo", &args.server, |identity| {
        Ok(echo::Echo::new(identity))
    })
}
