//! One echo peer on smol, with a run loop of its own: smol is a consumer's choice of
//! runtime, and a [`wren_core::Machine`] needs no adapter crate to run on it.
//!
//! ```text
//! cargo run -p wren-rtc --example echo_smol -- --ip 127.0.0.1 < offer.sdp > answer.sdp
//! ```
//!
//! It reads an SDP offer on stdin (all of it, to end of file), prints our answer on
//! stdout, and then echoes: data channel messages come back on their channel, audio and
//! video on their section (the same [`peer::EchoPeer`] as the `echo` example's server;
//! signal however you like, here by files or copy and paste). It stops when the call ends.
//!
//! The run loop ([`run`]) is the whole of what a runtime has to do, in the order the
//! [`wren_core::Machine`] docs give: send what `poll_transmit` gives, hand out what
//! `poll_event` gives, then wait for a datagram or the `poll_timeout` deadline, whichever
//! comes first, read the clock once, and feed the machine.
#![allow(clippy::disallowed_methods)] // a runtime's loop: the real clock

#[path = "echo/config.rs"]
#[allow(dead_code, unreachable_pub)] // shared with the `echo` example and the tests
pub mod config;
#[path = "echo/media.rs"]
#[allow(dead_code, unreachable_pub)] // shared with the `echo` example and the tests
pub mod media;
#[path = "echo/peer.rs"]
#[allow(dead_code, unreachable_pub)] // shared with the `echo` example and the tests
pub mod peer;

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use smol::Timer;
use smol::net::UdpSocket;
use wren_core::{Datagram, Machine};

use peer::{EchoEvent, EchoPeer, EchoStats};

/// How long the loop sleeps when the machine has no deadline.
const IDLE: Duration = Duration::from_secs(1);

/// The example's flags.
#[derive(Debug, Parser)]
#[command(about = "One WebRTC echo peer on smol: an SDP offer on stdin, the answer on stdout")]
struct Args {
    /// The IP address of the peer's UDP socket (its host candidate).
    #[arg(long, default_value = "127.0.0.1")]
    ip: IpAddr,
}

/// What woke the loop.
enum Wake {
    Datagram(std::io::Result<(usize, SocketAddr)>),
    Deadline,
}

/// Drives `echo` on `socket` until its call ends; what it echoed.
///
/// # Errors
///
/// When the socket fails.
pub async fn run(mut echo: EchoPeer, socket: UdpSocket) -> std::io::Result<EchoStats> {
    let local = socket.local_addr()?;
    let (mut rx, mut tx) = (vec![0u8; 64 * 1024], Vec::with_capacity(1500));
    let mut now = Instant::now();
    loop {
        loop {
            tx.clear();
            let Some(t) = echo.poll_transmit(now, &mut tx) else {
                break;
            };
            // UDP: a send that fails is a datagram lost, as on the wire.
            let _ = socket.send_to(&tx, t.destination).await;
        }
        while let Some(event) = echo.poll_event() {
            if event == EchoEvent::Ended {
                return Ok(echo.stats());
            }
        }
        let deadline = echo.poll_timeout().unwrap_or(now + IDLE);
        let wake = smol::future::or(
            async { Wake::Datagram(socket.recv_from(&mut rx).await) },
            async {
                Timer::at(deadline).await;
                Wake::Deadline
            },
        )
        .await;
        now = Instant::now();
        match wake {
            Wake::Datagram(Ok((n, source))) => {
                echo.handle_datagram(now, Datagram::udp(source, local, &rx[..n]));
            }
            // ICMP errors (a port unreachable) come back as receive errors on Linux.
            Wake::Datagram(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
            Wake::Datagram(Err(e)) => return Err(e),
            Wake::Deadline => {
                if echo.poll_timeout().is_some_and(|t| t <= now) {
                    echo.handle_timeout(now);
                }
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    match echo(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_smol: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn echo(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut offer = String::new();
    std::io::stdin().read_to_string(&mut offer)?;
    smol::block_on(async {
        let socket = UdpSocket::bind(SocketAddr::new(args.ip, 0)).await?;
        let identity = Arc::new(wren_dtls::identity::Identity::generate()?);
        let (echo, answer) =
            EchoPeer::answer(Instant::now(), socket.local_addr()?, identity, &offer)?;
        println!("{answer}");
        let stats = run(echo, socket).await?;
        eprintln!("call over: {stats:?}");
        Ok(())
    })
}
