//! Counting-allocator proof for RTP mode: once two peers are connected, an RTP packet
//! protected into the caller's buffer (`send_rtp_into`) and unprotected into the other
//! side's (`receive`) allocates nothing, SRTP and ICE included: 10,000 packets each way,
//! and RTCP the same. With media streams configured the same holds with the send
//! history, transport-wide sequence numbers, receive statistics, the peer's own RTCP
//! (reports, transport-wide feedback, NACK) and RTX retransmissions in the loop.

use std::time::Duration;

use wren_alloc_count::allocations_during;
use wren_core::{Datagram, Machine};
use wren_rtc::testing::Pair;
use wren_rtc::{ExtensionIds, MediaKind, ReceiveStream, Received, Rtx, SendStream};
use wren_rtp::rtp::extensions::TransportCc;
use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpPacketMut, RtpWriter};

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

/// Everything each peer wants to send (its RTCP, retransmissions), delivered to the other
/// through `receive`, and its events drained. Returns how many RTP packets each sent, and
/// how many RTCP packets in all.
fn pump(pair: &mut Pair, tx: &mut Vec<u8>, rx: &mut Vec<u8>) -> ([u16; 2], u32) {
    let now = pair.now;
    let (mut rtp, mut rtcp) = ([0; 2], 0);
    for from in [0, 1] {
        if pair.peers[from].poll_timeout().is_some_and(|t| t <= now) {
            pair.peers[from].handle_timeout(now);
        }
        loop {
            tx.clear();
            let Some(t) = pair.peers[from].poll_transmit(now, tx) else {
                break;
            };
            let to = pair.owner(t.destination).expect("the other peer");
            let d = Datagram::udp(t.source.unwrap(), t.destination, tx);
            match pair.peers[to].receive(now, d, rx) {
                Received::Rtp => rtp[from] += 1,
                Received::Rtcp => rtcp += 1,
                Received::Handled => {}
            }
        }
        while pair.peers[from].poll_event().is_some() {}
    }
    (rtp, rtcp)
}

/// Two peers sending each other video, each packet checked as it arrives.
struct Video {
    packets: [Vec<u8>; 2],
    ssrc: [u32; 2],
    /// The transport-wide number each peer stamps next.
    twcc: [u16; 2],
    tx: Vec<u8>,
    rx: Vec<u8>,
    retransmissions: u32,
    rtcp: u32,
}

const TWCC: u8 = 3;

impl Video {
    /// Packet `seq` from both sides; every 50th is lost on the way (to be NACKed and
    /// retransmitted); every 50 packets the time moves 10 ms and the peers' own packets
    /// are delivered.
    fn run(&mut self, pair: &mut Pair, seqs: std::ops::Range<u16>) {
        for seq in seqs {
            pair.now += Duration::from_micros(20);
            let now = pair.now;
            for from in [0, 1] {
                let packet = &mut self.packets[from];
                let mut p = RtpPacketMut::parse(packet).unwrap();
                p.set_sequence_number(seq);
                p.set_timestamp(u32::from(seq / 10) * 3000);
                self.tx.clear();
                let t = pair.peers[from]
                    .send_rtp_into(now, packet, &mut self.tx)
                    .unwrap()
                    .unwrap();
                let stamp = self.twcc[from];
                self.twcc[from] = stamp.wrapping_add(1);
                if seq % 50 == 49 {
                    continue;
                }
                let to = pair.owner(t.destination).unwrap();
                let d = Datagram::udp(t.source.unwrap(), t.destination, &self.tx);
                assert_eq!(pair.peers[to].receive(now, d, &mut self.rx), Received::Rtp);
                let got = RtpPacket::parse(&self.rx).unwrap();
                assert_eq!((got.ssrc(), got.sequence_number()), (self.ssrc[from], seq));
                assert_eq!(got.extension(TWCC), Some(&stamp.to_be_bytes()[..]));
                assert_eq!(got.payload(), &[0x55; 1200]);
            }
            if seq % 50 == 0 {
                pair.now += Duration::from_millis(10);
                let (rtp, rtcp) = pump(pair, &mut self.tx, &mut self.rx);
                // Retransmissions are stamped from the same counter.
                for from in [0, 1] {
                    self.twcc[from] = self.twcc[from].wrapping_add(rtp[from]);
                    self.retransmissions += u32::from(rtp[from]);
                }
                self.rtcp += rtcp;
            }
        }
    }
}

#[test]
fn rtp_mode_with_history_twcc_stats_rtcp_and_rtx_allocates_nothing_per_packet() {
    let mut pair = Pair::connected_with(start(), 4, |c| {
        c.media.extensions = ExtensionIds::default().with_twcc(TWCC);
    })
    .expect("two peers connect");
    // Each peer sends one stream with RTX and receives the other's, asking for losses.
    let ssrc = [0x0a0a_0a0a_u32, 0x0b0b_0b0b];
    let rtx = |i: usize| Rtx {
        ssrc: ssrc[i] + 1,
        payload_types: vec![(96, 97)],
    };
    for i in 0..2 {
        let p = &mut pair.peers[i];
        p.add_send_stream(SendStream {
            rtx: Some(rtx(i)),
            ..SendStream::new(ssrc[i], MediaKind::Video, 90_000)
        })
        .unwrap();
        p.add_receive_stream(ReceiveStream {
            rtx: Some(rtx(1 - i)),
            nack: true,
            ..ReceiveStream::new(ssrc[1 - i], MediaKind::Video, 90_000)
        })
        .unwrap();
    }
    let packets = [0, 1].map(|i| {
        let mut buf = vec![0u8; 1300];
        let header = RtpHeader {
            payload_type: 96,
            ssrc: ssrc[i],
            ..Default::default()
        };
        let mut w = RtpWriter::new(&mut buf, &header).unwrap();
        w.extensions(ExtensionForm::OneByte).unwrap();
        w.add(TWCC, &TransportCc(0)).unwrap();
        let n = w.finish(&[0x55; 1200], 0).unwrap();
        buf.truncate(n);
        buf
    });
    let mut video = Video {
        packets,
        ssrc,
        twcc: [0; 2],
        tx: Vec::with_capacity(2048),
        rx: Vec::with_capacity(2048),
        retransmissions: 0,
        rtcp: 0,
    };
    // Warm-up: the first reports, feedback, NACKs and retransmissions.
    video.run(&mut pair, 0..3000);
    assert!(video.retransmissions > 0 && video.rtcp > 0);
    let (rtx_before, rtcp_before) = (video.retransmissions, video.rtcp);
    let n = allocations_during(|| video.run(&mut pair, 3000..PACKETS));
    assert_eq!(n, 0, "{n} allocations");
    println!(
        "measured: {} RTP packets each way, {} retransmissions, {} RTCP packets",
        PACKETS - 3000,
        video.retransmissions - rtx_before,
        video.rtcp - rtcp_before
    );
    for i in 0..2 {
        let s = pair.peers[1 - i].media_stats();
        let inbound = &s.inbound[0];
        assert_eq!(inbound.ssrc, ssrc[i]);
        println!(
            "{}: received {}, lost {}, NACKs {}, recovered {}; feedback {}",
            ["A->B", "B->A"][i],
            inbound.packets_received,
            inbound.packets_lost,
            inbound.nack_count,
            inbound.packets_recovered,
            s.twcc_feedback_sent,
        );
        // Every loss came back but the last (no packet after it shows the gap) and one
        // whose NACK left in the last interval.
        assert!(
            inbound.packets_recovered + 2 >= u64::from(PACKETS / 50),
            "{inbound:?}"
        );
        assert!(s.twcc_feedback_sent > 0);
        assert!(!s.remote_inbound.is_empty());
    }
}
