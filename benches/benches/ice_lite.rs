//! The ICE-lite server's data path: `wren_ice::lite::Server::route` of one received
//! datagram among 10,000 connected sessions on one UDP port, beside a plain `HashMap`
//! lookup of the same key (local socket, transport, remote address) with the standard
//! library's hasher: the floor of any lookup by address. Also `send_into` (the selected
//! path's transmit, the payload written into the caller's buffer) beside a `HashMap`
//! lookup of the session's destination and a `memcpy` into the buffer. Run with `cargo bench -p wren-benches --bench ice_lite`.
//!
//! Memory per session is `proto/ice/tests/lite_10k.rs` (a counting global allocator would
//! tax every allocation timed here).

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_main};
use wren_core::{Datagram, Machine, Transport};
use wren_ice::Credentials;
use wren_ice::lite::{Config, LocalSocket, Routed, Server, SessionId};
use wren_stun::attr::{IceControlling, Priority, UseCandidate, Username};
use wren_stun::{Class, Key, MessageType, MessageWriter, Method, TransactionId};

const SESSIONS: usize = 10_000;

fn port() -> SocketAddr {
    SocketAddr::new(IpAddr::from([198, 51, 100, 50]), 3478)
}

/// The anchor of the virtual clock.
#[allow(clippy::disallowed_methods)]
fn t0() -> Instant {
    Instant::now()
}

fn peer(i: usize) -> SocketAddr {
    let i = u32::try_from(i).unwrap_or(0);
    SocketAddr::new(
        IpAddr::from([203, 0, 113, (i % 200) as u8 + 1]),
        10_000 + (i / 200) as u16,
    )
}

fn nominating_check(ufrag: &str, pwd: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::Request, Method::BINDING),
        TransactionId([7; 12]),
    );
    w.add(&Username(&format!("{ufrag}:peer"))).unwrap();
    w.add(&Priority(1_853_824_767)).unwrap();
    w.add(&IceControlling(1)).unwrap();
    w.add(&UseCandidate).unwrap();
    w.add_message_integrity(&Key::short_term(pwd).unwrap())
        .unwrap();
    w.add_fingerprint().unwrap();
    w.finish();
    out
}

/// A server with `SESSIONS` sessions, each connected from `peer(i)`.
fn connected(now: Instant) -> (Server, Vec<SessionId>) {
    let config = Config {
        rng_seed: Some([9; 32]),
        ..Config::new(vec![LocalSocket::udp(port())])
    };
    let mut server = Server::new(now, config).unwrap();
    let mut buf = Vec::new();
    let ids = (0..SESSIONS)
        .map(|i| {
            let c = Credentials {
                ufrag: format!("s{i:06}"),
                pwd: format!("{i:08}serverpasswordserver"),
            };
            let id = server.add_session(now, &c, None).unwrap();
            let check = nominating_check(&c.ufrag, &c.pwd);
            server.route(now, Datagram::udp(peer(i), port(), &check));
            while server.poll_transmit(now, &mut buf).is_some() {
                buf.clear();
            }
            while server.poll_event().is_some() {}
            id
        })
        .collect();
    (server, ids)
}

fn route(c: &mut Criterion) {
    let now = t0();
    let (mut server, ids) = connected(now);
    let payload = [0x80u8; 1200];
    let mut g = c.benchmark_group("ice_lite_route");
    g.throughput(Throughput::Elements(1));

    let mut i = 0usize;
    g.bench_function("wren-ice lite::Server::route, 10k sessions", |b| {
        b.iter(|| {
            i = (i + 1) % SESSIONS;
            let d = Datagram::udp(peer(i), port(), black_box(&payload));
            match server.route(now, d) {
                Routed::Data { session, payload } => {
                    black_box((session, payload.len()));
                }
                _ => panic!("connected sessions route"),
            }
        })
    });

    // The floor: the same key in a HashMap with the standard hasher.
    let map: HashMap<(u16, Transport, SocketAddr), SessionId> = (0..SESSIONS)
        .map(|i| ((0, Transport::Udp, peer(i)), ids[i]))
        .collect();
    let mut i = 0usize;
    g.bench_function("HashMap lookup of the same key, 10k entries", |b| {
        b.iter(|| {
            i = (i + 1) % SESSIONS;
            let d = Datagram::udp(peer(i), port(), black_box(&payload));
            let local = u16::from(d.destination != port());
            let id = map.get(&(local, d.proto, d.source)).unwrap();
            black_box((id, d.payload.len()));
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ice_lite_send");
    g.throughput(Throughput::Elements(1));
    let mut buf = Vec::with_capacity(1500);
    let mut i = 0usize;
    g.bench_function("wren-ice lite::Server::send_into, 1200 bytes", |b| {
        b.iter(|| {
            i = (i + 1) % SESSIONS;
            buf.clear();
            let t = server
                .send_into(now, ids[i], black_box(&payload), &mut buf)
                .unwrap();
            black_box((t.destination, buf.len()));
        })
    });
    // The floor: the session's destination from a HashMap, and the copy.
    let paths: HashMap<SessionId, SocketAddr> = (0..SESSIONS).map(|i| (ids[i], peer(i))).collect();
    let mut i = 0usize;
    g.bench_function("HashMap lookup and memcpy of 1200 bytes", |b| {
        b.iter(|| {
            i = (i + 1) % SESSIONS;
            buf.clear();
            let to = paths.get(&ids[i]).unwrap();
            buf.extend_from_slice(black_box(&payload));
            black_box((to, buf.len()));
        })
    });
    g.finish();
}

/// `criterion_group!` generates an undocumented `pub fn`.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::route);
}
criterion_main!(group::benches);
