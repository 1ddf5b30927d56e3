//! A DTLS 1.2 client with DTLS-SRTP, as `openssl s_client -dtls1_2 -use_srtp` does, on
//! wren-tokio:
//!
//! ```sh
//! cargo run --release -p wren-dtls --example dtls_client -- --connect 127.0.0.1:44433 \
//!     --srtp-profiles SRTP_AES128_CM_SHA1_80
//! ```
//!
//! It prints the negotiated profile and the exported keying material as OpenSSL prints
//! them, sends standard input's lines, prints what comes back, and exits at the end of
//! input (with close_notify) or when the server closes.

mod common;

use clap::Parser;
use tokio::net::UdpSocket;
use wren_dtls::endpoint::Role;

#[derive(Debug, Parser)]
struct Args {
    /// The server's address.
    #[arg(long, value_parser = common::addr)]
    connect: std::net::SocketAddr,
    #[command(flatten)]
    common: common::Common,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let any = if args.connect.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let sock = UdpSocket::bind(any).await?;
    common::run(Role::Client { peer: args.connect }, sock, args.common).await
}
