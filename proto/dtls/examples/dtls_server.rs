//! A DTLS 1.2 server with DTLS-SRTP that answers one client, as `openssl s_server
//! -dtls1_2 -use_srtp` does, on wren-tokio:
//!
//! ```sh
//! cargo run --release -p wren-dtls --example dtls_server -- --listen 127.0.0.1:44433 \
//!     --srtp-profiles SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM
//! ```
//!
//! It prints the negotiated profile and the exported keying material as OpenSSL prints
//! them, echoes application data back, and exits when the connection ends.

mod common;

use clap::Parser;
use tokio::net::UdpSocket;
use wren_dtls::endpoint::Role;

#[derive(Debug, Parser)]
struct Args {
    /// The address to listen on.
    #[arg(long, value_parser = common::addr)]
    listen: std::net::SocketAddr,
    #[command(flatten)]
    common: common::Common,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let sock = UdpSocket::bind(args.listen).await?;
    println!("ACCEPT {}", sock.local_addr()?);
    common::run(Role::Server, sock, args.common).await
}
