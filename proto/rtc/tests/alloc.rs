//! Counting-allocator proof for RTP mode: once two peers are connected, an RTP packet
//! protected into the caller's buffer (`send_rtp_into`) and unprotected into the other
//! side's (`receive`) allocates nothing, SRTP and ICE included: 10,000 packets each way,
//! and RTCP the same.

use std::time::Duration;

use wren_alloc_count::allocations_during;
use wren_core::Datagram;
use wren_rtc::Received;
use wren_rtc::testing::Pair;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const PACKETS: u16 = 10_000;

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn start() -> std::time::Instant {
    std::time::Instant::now()
}

/// One packet from `from` to the other peer; checks it arrives intact.
fn one(pair: &mut Pair, from: usize, packet: &[u8], tx: &mut Vec<u8>, rx: &mut Vec<u8>) {
    pair.now += Duration::from_micros(20);
    let now = pair.now;
    tx.clear();
    let rtcp = packet[1] >= 192 && packet[1] <= 223;
    let t = if rtcp {
        pair.peers[from].send_rtcp_into(now, packet, tx)
    } else {
        pair.peers[from].send_rtp_into(now, packet, tx)
    }
    .expect("connected")
    .expect("a direct pair writes at once");
    assert_ne!(&tx[..], packet, "protected on the wire");
    let to = pair.owner(t.destination).expect("the other peer");
    let got = pair.peers[to].receive(now, Datagram::udp(t.source.unwrap(), t.destination, tx), rx);
    assert_eq!(got, if rtcp { Received::Rtcp } else { Received::Rtp });
    assert_eq!(&rx[..], packet);
}

#[test]
fn rtp_and_rtcp_send_and_receive_allocate_nothing_per_packet() {
    let mut pair = Pair::connected(start(), 3).expect("two peers connect");
    let mut tx = Vec::with_capacity(2048);
    let mut rx = Vec::with_capacity(2048);
    let mut packet = vec![0x80, 96, 0, 0, 0, 0, 0, 0, 0xca, 0xfe, 0xba, 0xbe];
    packet.extend_from_slice(&[0x55; 1200]);
    // Warm-up: the scratch buffers grow, the SRTP contexts of both SSRCs are made.
    for from in [0, 1] {
        for seq in 0..10u16 {
            packet[2..4].copy_from_slice(&seq.to_be_bytes());
            one(&mut pair, from, &packet, &mut tx, &mut rx);
        }
    }
    let rr = [0x80, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe];
    one(&mut pair, 0, &rr, &mut tx, &mut rx);
    one(&mut pair, 1, &rr, &mut tx, &mut rx);
    let n = allocations_during(|| {
        for seq in 10..PACKETS {
            packet[2..4].copy_from_slice(&seq.to_be_bytes());
            one(&mut pair, 0, &packet, &mut tx, &mut rx);
            one(&mut pair, 1, &packet, &mut tx, &mut rx);
            if seq % 100 == 0 {
                one(&mut pair, 0, &rr, &mut tx, &mut rx);
            }
        }
    });
    assert_eq!(
        n,
        0,
        "{n} allocations for {} packets",
        2 * u32::from(PACKETS - 10)
    );
    let s = pair.peers[1].stats();
    assert_eq!(s.rtp_received, u64::from(PACKETS));
    assert_eq!(s.srtp_dropped, 0);
}
