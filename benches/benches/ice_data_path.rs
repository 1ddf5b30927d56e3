//! The ICE agent's data path beside its floor, in the same run. Run with
//! `cargo bench -p wren-benches --bench ice_data_path`.
//!
//! Two agents are connected first (by hand, `proto/ice/tests/shuttle`), directly or both
//! through a wren-turn server (relay only, ChannelData). Then, with a 1200-byte RTP-like
//! payload:
//!
//! - `ice_data_receive/<path>`: route one received datagram: `Agent::receive` of the bytes
//!   the other agent (or, relayed, the server) sent, to `Received::Data` (a borrowed slice).
//! - `ice_data_send/<path>`: write one transmit: `Agent::send_into` into a reused buffer
//!   (relayed: ChannelData framing written by the TURN client).
//! - `<group>/floor`: a plain `std::collections::HashMap` lookup of the same key (local
//!   address, remote address, transport) plus a `memcpy` of the same payload into a
//!   buffer: what any router of datagrams to pairs must at least do.
//! - `<group>/machine-<path>`: the `Machine` path the agent had before (and still has for
//!   generic drivers): `handle_datagram` + `poll_event` (`Event::Data`, a copy), and
//!   `Agent::send` + `poll_transmit`.
//!
//! After the groups it prints the medians and the ratio ours / floor (the target is within
//! 2x) and writes them to `target/ice_data_path.md`.

#[path = "../../proto/ice/tests/shuttle/mod.rs"]
mod shuttle;

use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use shuttle::Shuttle;
use wren_benches::criterion_report::{median, publish};
use wren_core::{Datagram, Machine, Transport};
use wren_ice::agent::Received;

const RECEIVE: &str = "ice_data_receive";
const SEND: &str = "ice_data_send";
const PAYLOAD: usize = 1200;
const PATHS: [(&str, bool); 2] = [("direct", false), ("relayed", true)];

/// A connected pair of agents and one datagram as agent B receives it from A.
struct Setup {
    s: Shuttle,
    arriving: Vec<u8>,
    source: SocketAddr,
    destination: SocketAddr,
}

fn setup(relayed: bool) -> Setup {
    let mut s = Shuttle::connected(relayed);
    let payload = [0x80u8; PAYLOAD];
    // Bind the TURN channel (auto_channel) before measuring, as in a call.
    let mut tx = Vec::with_capacity(1500);
    let now = s.now;
    let _ = s.agents[0].send_into(now, &payload, &mut tx);
    s.run_for(Duration::from_secs(1));
    let now = s.now;
    tx.clear();
    let t = s.agents[0]
        .send_into(now, &payload, &mut tx)
        .expect("connected")
        .expect("written at once");
    let mut source = t.source.expect("a source");
    let mut destination = t.destination;
    if s.is_turn(destination) {
        let turn = s.turn.as_mut().expect("a server");
        let mut rx = Vec::new();
        turn.handle_datagram(now, Datagram::udp(source, destination, &tx));
        let hop = turn.poll_transmit(now, &mut rx).expect("to the peer");
        turn.handle_datagram(
            now,
            Datagram::udp(hop.source.expect("relayed"), hop.destination, &rx),
        );
        tx.clear();
        let last = turn.poll_transmit(now, &mut tx).expect("to the agent");
        (source, destination) = (last.source.expect("the server"), last.destination);
        assert_eq!(tx[0] & 0xc0, 0x40, "ChannelData");
    }
    Setup {
        s,
        arriving: tx,
        source,
        destination,
    }
}

fn receive(c: &mut Criterion) {
    let mut g = c.benchmark_group(RECEIVE);
    g.throughput(Throughput::Elements(1));
    for (name, relayed) in PATHS {
        let Setup {
            mut s,
            arriving,
            source,
            destination,
        } = setup(relayed);
        let now = s.now;
        let d = Datagram::udp(source, destination, &arriving);
        g.bench_function(name, |b| {
            b.iter(|| match s.agents[1].receive(now, black_box(d)) {
                Received::Data { pair, data } => black_box((pair, data.len())),
                Received::Handled => panic!("not routed"),
            })
        });
        g.bench_function(format!("machine-{name}"), |b| {
            b.iter(|| {
                s.agents[1].handle_datagram(now, black_box(d));
                black_box(s.agents[1].poll_event().expect("Event::Data"))
            })
        });
    }
    let key = floor_key();
    let (map, payload) = floor_table(key);
    let mut buf = Vec::with_capacity(1500);
    g.bench_function("floor", |b| {
        b.iter(|| floor(&map, black_box(&key), &payload, &mut buf))
    });
    g.finish();
}

fn send(c: &mut Criterion) {
    let mut g = c.benchmark_group(SEND);
    g.throughput(Throughput::Elements(1));
    let payload = [0x80u8; PAYLOAD];
    for (name, relayed) in PATHS {
        let Setup { mut s, .. } = setup(relayed);
        let now = s.now;
        let mut buf = Vec::with_capacity(1500);
        g.bench_function(name, |b| {
            b.iter(|| {
                buf.clear();
                let t = s.agents[0].send_into(now, black_box(&payload), &mut buf);
                black_box((t.expect("sent").expect("written"), buf.len()))
            })
        });
        g.bench_function(format!("machine-{name}"), |b| {
            b.iter(|| {
                s.agents[0].send(now, black_box(&payload)).expect("sent");
                buf.clear();
                black_box(
                    s.agents[0]
                        .poll_transmit(now, &mut buf)
                        .expect("a transmit"),
                )
            })
        });
    }
    let key = floor_key();
    let (map, payload) = floor_table(key);
    let mut buf = Vec::with_capacity(1500);
    g.bench_function("floor", |b| {
        b.iter(|| floor(&map, black_box(&key), &payload, &mut buf))
    });
    g.finish();
}

type Key = (SocketAddr, SocketAddr, Transport);

fn floor_key() -> Key {
    let a: SocketAddr = "198.51.100.102:50001".parse().expect("an address");
    let b: SocketAddr = "198.51.100.101:50000".parse().expect("an address");
    (a, b, Transport::Udp)
}

/// The key among a few others (an agent has a few valid pairs), and the payload.
fn floor_table(key: Key) -> (HashMap<Key, u32>, Vec<u8>) {
    let mut map = HashMap::new();
    for i in 0..4u16 {
        let mut other = key;
        other.1.set_port(40000 + i);
        map.insert(other, u32::from(i) + 1);
    }
    map.insert(key, 0);
    (map, vec![0x80; PAYLOAD])
}

/// One hash lookup and one copy of the payload into a reused buffer.
fn floor(map: &HashMap<Key, u32>, key: &Key, payload: &[u8], buf: &mut Vec<u8>) -> usize {
    let pair = map.get(key).copied();
    buf.clear();
    buf.extend_from_slice(black_box(payload));
    black_box(pair);
    buf.len()
}

fn report(target: &Path) -> String {
    let mut out = String::from(
        "# ICE data path: route one datagram, write one transmit (1200-byte payload)\n\n\
         Medians of this run (criterion). Floor: a `std::collections::HashMap` lookup of \
         the same key plus a memcpy of the payload. Ratio: ours / floor (target: within \
         2x).\n\n| | direct | relayed | floor | direct / floor | relayed / floor |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    let cell = |x: Option<f64>| x.map_or_else(|| "-".into(), |ns| format!("{ns:.1} ns"));
    let ratio = |x: Option<f64>, f: Option<f64>| match (x, f) {
        (Some(x), Some(f)) if f > 0.0 => format!("{:.2}x", x / f),
        _ => "-".into(),
    };
    for (group, what, prefix) in [
        (RECEIVE, "`receive` (borrowed)", ""),
        (SEND, "`send_into` (caller's buffer)", ""),
        (RECEIVE, "`handle_datagram` + `poll_event`", "machine-"),
        (SEND, "`send` + `poll_transmit`", "machine-"),
    ] {
        let d = median(target, group, &format!("{prefix}direct"));
        let r = median(target, group, &format!("{prefix}relayed"));
        let f = median(target, group, "floor");
        out.push_str(&format!(
            "| {what} | {} | {} | {} | {} | {} |\n",
            cell(d),
            cell(r),
            cell(f),
            ratio(d, f),
            ratio(r, f)
        ));
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    receive(&mut c);
    send(&mut c);
    c.final_summary();
    publish("ice_data_path.md", report);
}
