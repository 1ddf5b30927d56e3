//! The TURN server's relaying path alone, no sockets: ns per ChannelData datagram from a
//! client relayed to its peer, and per datagram from the peer relayed back as ChannelData
//! (`Machine::handle_datagram` then `poll_transmit`), the fastest of several batches. For
//! comparing two versions of the server on the same machine without a network's noise:
//!
//! ```sh
//! cargo run --release -p wren-turn --example relay_path
//! ```
//!
//! On a busy machine the times drift; the instruction count does not. Compare two versions
//! by it instead (the same program, so setup is the same in both):
//!
//! ```sh
//! valgrind --tool=cachegrind --cache-sim=no target/release/examples/relay_path
//! ```
#![allow(clippy::disallowed_methods)] // a measurement: the real clock

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_stun::attr::{
    ChannelNumber, Nonce, Realm, RequestedTransport, Username, XorPeerAddress, XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};
use wren_turn::server::{Config, PeerPolicy, Server, UserSecret};

const BATCH: usize = 200_000;
const ROUNDS: usize = 7;

fn main() {
    let client: SocketAddr = "192.0.2.10:50000".parse().unwrap();
    let listen: SocketAddr = "127.0.0.1:3478".parse().unwrap();
    let peer: SocketAddr = "198.51.100.7:6000".parse().unwrap();
    let mut now = Instant::now();
    let config = Config {
        realm: "example.org".into(),
        users: [("alice".to_owned(), UserSecret::Password("secret".into()))].into(),
        relay_ips: vec!["127.0.0.1".parse().unwrap()],
        rng_seed: Some([1; 32]),
        wall_clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().unwrap()],
            ..Default::default()
        },
        ..Default::default()
    };
    let mut server = Server::new(now, config).unwrap();
    let mut buf = Vec::new();
    let mut tid = 0u8;
    let mut ask = |server: &mut Server, build: &dyn Fn(&mut MessageWriter<'_>), method: Method| {
        tid += 1;
        let mut req = Vec::new();
        let mut w = MessageWriter::new(
            &mut req,
            MessageType::new(Class::Request, method),
            TransactionId([tid; 12]),
        );
        build(&mut w);
        w.finish();
        server.handle_datagram(now, Datagram::udp(client, listen, &req));
        while let Some(r) = server.poll_socket_request() {
            if let SocketRequest::Bind {
                addr, transport, ..
            } = r
            {
                server.handle_socket_result(
                    now,
                    SocketResult::Bound {
                        requested: addr,
                        bound: addr,
                        transport,
                    },
                );
            }
        }
        let mut out = Vec::new();
        server.poll_transmit(now, &mut out).expect("an answer");
        out
    };
    let challenge = ask(
        &mut server,
        &|w| w.add(&RequestedTransport::UDP).unwrap(),
        Method::ALLOCATE,
    );
    let nonce = Message::parse(&challenge)
        .unwrap()
        .require::<Nonce<'_>>()
        .unwrap()
        .0
        .to_owned();
    let key = Key::long_term("alice", "example.org", "secret").unwrap();
    let signed = |w: &mut MessageWriter<'_>| {
        w.add(&Username("alice")).unwrap();
        w.add(&Realm("example.org")).unwrap();
        w.add(&Nonce(&nonce)).unwrap();
        w.add_message_integrity(&key).unwrap();
    };
    let ok = ask(
        &mut server,
        &|w| {
            w.add(&RequestedTransport::UDP).unwrap();
            signed(w)
        },
        Method::ALLOCATE,
    );
    let relayed = Message::parse(&ok)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    let bound = ask(
        &mut server,
        &|w| {
            w.add(&ChannelNumber(0x4000)).unwrap();
            w.add(&XorPeerAddress(peer)).unwrap();
            signed(w)
        },
        Method::CHANNEL_BIND,
    );
    assert_eq!(
        Message::parse(&bound).unwrap().class(),
        Class::SuccessResponse
    );

    let mut channel_data = vec![0x40, 0x00, 0x00, 200];
    channel_data.extend_from_slice(&[7; 200]);
    let payload = [9u8; 200];
    let mut measure = |name: &str, from: SocketAddr, to: SocketAddr, bytes: &[u8]| {
        let mut best = f64::MAX;
        for _ in 0..ROUNDS {
            let start = Instant::now();
            for _ in 0..BATCH {
                now += Duration::from_micros(1);
                server.handle_datagram(now, Datagram::udp(from, to, bytes));
                buf.clear();
                let t = server.poll_transmit(now, &mut buf).expect("relayed");
                std::hint::black_box(t);
            }
            best = best.min(start.elapsed().as_nanos() as f64 / BATCH as f64);
        }
        println!("{name}: {best:.1} ns per datagram (fastest of {ROUNDS} batches of {BATCH})");
    };
    measure(
        "client -> peer (ChannelData)",
        client,
        listen,
        &channel_data,
    );
    measure("peer -> client (to ChannelData)", peer, relayed, &payload);
}
