//! Counting-allocator proof: once two agents are connected, the data path allocates
//! nothing per packet: `Agent::send_into` writes into the caller's buffer and
//! `Agent::receive` hands back a borrowed slice, found by a hash lookup. 10,000 packets
//! each way after warm-up, over a direct pair and over a relayed pair (TURN ChannelData
//! through a wren-turn server, whose relaying is counted too).

mod shuttle;

use std::time::Duration;

use shuttle::Shuttle;
use wren_alloc_count::allocations_during;
use wren_core::Datagram;
use wren_ice::CandidateType;
use wren_ice::agent::Received;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const PACKETS: usize = 10_000;

/// One packet from agent `from` to the other through the data path, relayed by the server
/// when the pair is relayed; returns whether it arrived as `Received::Data` intact.
fn one_packet(s: &mut Shuttle, from: usize, payload: &[u8], tx: &mut Vec<u8>, rx: &mut Vec<u8>) {
    use wren_core::Machine;
    let to = 1 - from;
    s.now += Duration::from_micros(20);
    let now = s.now;
    tx.clear();
    let t = s.agents[from]
        .send_into(now, payload, tx)
        .expect("connected")
        .expect("written at once");
    let source = t.source.expect("a source socket");
    let (source, destination, bytes): (_, _, &[u8]) = if s.is_turn(t.destination) {
        // Relayed: ChannelData to the server, which relays it to the other relayed
        // address and on to the other agent as ChannelData.
        assert_eq!(tx[0] & 0xc0, 0x40, "ChannelData, a channel is bound");
        let turn = s.turn.as_mut().expect("a server");
        turn.handle_datagram(now, Datagram::udp(source, t.destination, tx));
        rx.clear();
        let hop = turn.poll_transmit(now, rx).expect("relayed to the peer");
        // The peer is the other agent's relayed address, on the same server.
        turn.handle_datagram(
            now,
            Datagram::udp(hop.source.expect("relayed"), hop.destination, rx),
        );
        tx.clear();
        let last = turn.poll_transmit(now, tx).expect("relayed to the agent");
        (last.source.expect("the server"), last.destination, &tx[..])
    } else {
        (source, t.destination, &tx[..])
    };
    match s.agents[to].receive(now, Datagram::udp(source, destination, bytes)) {
        Received::Data { pair, data } => {
            assert_eq!(data, payload);
            assert_eq!(Some(pair), s.selected[to].map(|p| p.pair));
        }
        Received::Handled => panic!("packet {from} -> {to} not routed as data"),
    }
}

fn counted(relayed: bool) {
    let mut s = Shuttle::connected(relayed);
    let kinds = s.selected.map(|p| p.expect("selected").local.kind);
    let expected = if relayed {
        CandidateType::Relayed
    } else {
        CandidateType::Host
    };
    assert_eq!(kinds, [expected, expected]);
    // Warm-up: the first sends bind the TURN channel (auto_channel); let it complete, as
    // consent checks and refreshes would in a call.
    let payload = [0x80u8; 1200]; // an RTP-like first byte (RFC 7983)
    let (mut tx, mut rx) = (Vec::with_capacity(1500), Vec::with_capacity(1500));
    for from in [0, 1] {
        tx.clear();
        let _ = s.agents[from].send_into(s.now, &payload, &mut tx);
    }
    s.run_for(Duration::from_secs(1));
    for i in 0..100 {
        one_packet(&mut s, i % 2, &payload, &mut tx, &mut rx);
    }
    // Data the TURN client queued during warm-up came out as events (the Machine path).
    let events_before = s.data_events;
    for from in [0, 1] {
        let n = allocations_during(|| {
            for _ in 0..PACKETS {
                one_packet(&mut s, from, &payload, &mut tx, &mut rx);
            }
        });
        assert_eq!(
            n,
            0,
            "{PACKETS} packets from agent {from} ({}) allocated {n} times",
            if relayed { "relayed" } else { "direct" }
        );
    }
    s.step();
    assert_eq!(
        s.data_events, events_before,
        "nothing went through the event queue"
    );
    for a in &s.agents {
        assert_eq!(a.stats().data_dropped, 0);
    }
}

#[test]
fn direct_data_path_allocates_nothing_per_packet() {
    counted(false);
}

#[test]
fn relayed_data_path_allocates_nothing_per_packet() {
    counted(true);
}

#[test]
fn the_counter_sees_the_machine_paths_copies() {
    // The event-queue path copies each packet (an `Event::Data`): the counter sees it,
    // so the zero above is the data path's, not a blind counter's.
    use wren_core::Machine;
    let mut s = Shuttle::connected(false);
    let now = s.now;
    let mut tx = Vec::new();
    let t = s.agents[0]
        .send_into(now, b"\x80hello", &mut tx)
        .unwrap()
        .unwrap();
    let n = allocations_during(|| {
        s.agents[1].handle_datagram(now, Datagram::udp(t.source.unwrap(), t.destination, &tx));
    });
    assert!(n >= 1);
    let e = s.agents[1].poll_event();
    assert!(
        matches!(&e, Some(wren_ice::Event::Data { data, .. }) if data == b"\x80hello"),
        "{e:?}"
    );
}
