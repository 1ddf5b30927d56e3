//! What the two example programs share: the OpenSSL-style options and output, and the run
//! loop on wren-tokio that prints the handshake's outcome and moves data.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use wren_dtls::endpoint::{Command, Config, Endpoint, Event, Role};
use wren_dtls::fingerprint::Fingerprint;
use wren_dtls::identity::Identity;
use wren_dtls::suite::{openssl_name, srtp_profile_by_openssl_name};
use wren_tokio::Driver;

/// Options both programs take.
#[derive(Debug, clap::Args)]
pub(crate) struct Common {
    /// SRTP profiles in OpenSSL's names, separated by ':' (our preference first).
    #[arg(
        long,
        default_value = "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"
    )]
    pub(crate) srtp_profiles: String,
    /// The peer's certificate fingerprint (`sha-256 AB:CD:...`); without it any
    /// certificate is accepted (fine for a test, never for WebRTC).
    #[arg(long)]
    pub(crate) peer_fingerprint: Option<String>,
    /// The largest datagram to send.
    #[arg(long, default_value_t = 1200)]
    pub(crate) mtu: usize,
}

/// Runs one connection in `role` on `sock`: prints what OpenSSL prints of the handshake;
/// the client sends standard input's lines and closes at its end, the server echoes what
/// arrives; both print what arrives and return when the connection ends.
pub(crate) async fn run(
    role: Role,
    sock: UdpSocket,
    common: Common,
) -> Result<(), Box<dyn std::error::Error>> {
    let identity = Arc::new(Identity::generate()?);
    println!("Our fingerprint: {}", identity.fingerprint());
    let mut config = Config::new(role, identity);
    config.mtu = common.mtu;
    config.srtp_profiles = common
        .srtp_profiles
        .split(':')
        .filter(|s| !s.is_empty())
        .map(|n| srtp_profile_by_openssl_name(n).ok_or_else(|| format!("unknown SRTP profile {n}")))
        .collect::<Result<_, _>>()?;
    if let Some(fp) = &common.peer_fingerprint {
        config.peer_fingerprints = Some(vec![Fingerprint::parse(fp)?]);
    }
    let server = matches!(role, Role::Server);
    #[allow(clippy::disallowed_methods)] // a program with a real socket: the real clock
    let endpoint = Endpoint::new(Instant::now(), config);
    let driver = Driver::new(endpoint).udp(sock)?;
    let (commands, commands_rx) = mpsc::channel::<Command>(64);
    let (events, mut events_rx) = mpsc::channel::<Event>(64);
    let (stop, stopped) = oneshot::channel::<()>();
    let app = async move {
        let mut stdin = BufReader::new(tokio::io::stdin()).lines();
        let mut connected = false;
        loop {
            tokio::select! {
                event = events_rx.recv() => match event {
                    Some(Event::Connected { suite, peer_fingerprint, srtp }) => {
                        connected = true;
                        println!("CIPHER is {suite}");
                        println!("Peer fingerprint: {peer_fingerprint}");
                        if let Some(k) = srtp {
                            let name = openssl_name(k.profile).unwrap_or("unknown");
                            println!("SRTP Extension negotiated, profile={name}");
                            let hex: String = k.material.iter().map(|b| format!("{b:02X}")).collect();
                            println!("Keying material: {hex}");
                        }
                    }
                    Some(Event::Data(d)) => {
                        print!("{}", String::from_utf8_lossy(&d));
                        if server {
                            let _ = commands.send(Command::Send(d)).await;
                        }
                    }
                    Some(Event::Failed(f)) => {
                        eprintln!("failed: {f}");
                        break;
                    }
                    Some(Event::Closed) | None => break,
                    Some(_) => {}
                },
                line = stdin.next_line(), if connected && !server => match line {
                    Ok(Some(mut l)) => {
                        l.push('\n');
                        let _ = commands.send(Command::Send(l.into_bytes())).await;
                    }
                    _ => {
                        let _ = commands.send(Command::Close).await;
                        // The close_notify goes out with the next drain.
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        break;
                    }
                },
            }
        }
        drop(stop);
    };
    let shutdown = async move {
        let _ = stopped.await;
    };
    let (machine, ()) = tokio::join!(driver.run(commands_rx, events, shutdown), app);
    machine?;
    Ok(())
}

/// Parses an address option.
pub(crate) fn addr(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|e| format!("{s}: {e}"))
}
