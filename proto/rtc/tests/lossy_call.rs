//! A whole call between two wren-rtc peers on wren-netsim, negotiated with SDP as browsers
//! would (audio, video and a data section), over a link that loses 10% of packets each
//! way with a 150 ms round trip: what JSEP negotiated (RTX bound by `apt`, NACK by
//! `a=rtcp-fb`, the RTX source by `a=ssrc-group:FID`) recovers the lost video, audio
//! flows both ways, and every data channel message arrives in order. The same seed gives
//! the same network trace.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::Machine;
use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, LinkConfig, NodeId, Sim};
use wren_rtc::{
    ChannelId, ChannelOptions, Command, Config, DtlsRole, Event, NegotiatedMedia, Peer, SdpType,
    SessionDescription,
};
use wren_rtp::rtp::RtpPacket;
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

/// One way of each link: 37.5 ms, so 150 ms round trip between the two hosts.
const ONE_LINK: Duration = Duration::from_micros(37_500);
const LOSS: f64 = 0.10;
const SECONDS: u32 = 10;
/// Data messages each way: one every 40 ms of the media.
const MESSAGES: u32 = SECONDS * 25;

fn peer(sim: &mut Sim, ip: &str, link: LinkConfig) -> NodeId {
    let host = sim.add_host(HostConfig::public(ip.parse().unwrap()).with_link(link));
    let identity = Arc::new(Identity::generate().unwrap());
    // JSEP decides the roles.
    let mut config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec![ip.parse().unwrap()],
        identity,
    );
    config.rng_seed = Some(sim.fork_seed());
    config.max_media_events = 100_000;
    let now = sim.now();
    sim.add_machine(host, Peer::new(now, config))
}

struct Call {
    sim: Sim,
    nodes: [NodeId; 2],
    seen: [Vec<Event>; 2],
}

impl Call {
    fn run_for(&mut self, d: Duration) {
        self.sim.run_for(d);
        for i in 0..2 {
            let events = self.sim.events::<Peer>(self.nodes[i]);
            self.seen[i].extend(events);
        }
    }

    fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut Peer, Instant) -> R) -> R {
        self.sim.with(self.nodes[i], f)
    }

    fn send_rtp(&mut self, i: usize, packet: Vec<u8>) {
        self.with(i, |p, now| p.handle_command(now, Command::SendRtp(packet)))
            .unwrap();
    }
}

/// Both peers with audio and video sending both ways and a data section, negotiated
/// (A offers, B answers), and connected.
fn negotiated_call(seed: u64) -> Call {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(seed, Instant::now());
    sim.set_event_capacity(1_000_000);
    let link = LinkConfig::default().with_delay(ONE_LINK);
    let a = peer(&mut sim, "10.0.0.1", link.with_loss(LOSS));
    let b = peer(&mut sim, "10.0.0.2", link);
    sim.run_for(Duration::from_millis(10));
    let mut call = Call {
        sim,
        nodes: [a, b],
        seen: [Vec::new(), Vec::new()],
    };
    for i in 0..2 {
        call.with(i, |p, _| {
            p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
            p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
        });
    }
    let offer = call.with(0, |p, now| {
        p.add_data_section();
        p.create_offer(now).unwrap()
    });
    let answer = call.with(1, |p, now| {
        let offer = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        };
        p.set_remote_description(now, &offer).unwrap();
        p.create_answer(now).unwrap()
    });
    call.with(0, |p, now| {
        let answer = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer,
        };
        p.set_remote_description(now, &answer).unwrap();
    });
    let up = |seen: &[Event]| {
        seen.iter()
            .any(|e| matches!(e, Event::ChannelOpen { .. }) || matches!(e, Event::Connected { .. }))
    };
    let end = call.sim.now() + Duration::from_secs(60);
    while !(up(&call.seen[0]) && up(&call.seen[1])) {
        assert!(call.sim.now() < end, "not connected: {:#?}", call.seen);
        call.run_for(Duration::from_millis(5));
    }
    call
}

fn rtp(pt: u8, seq: u16, ts: u32, ssrc: u32, len: usize) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend((0..len).map(|i| (i as u16 ^ seq) as u8));
    p
}

/// A data message: its number, then filler; 1 to 4 KiB.
fn message(n: u32) -> Vec<u8> {
    let len = 1 + (n as usize * 997) % 4096;
    let mut m: Vec<u8> = (0..len.max(4)).map(|i| (i as u32 ^ n) as u8).collect();
    m[..4].copy_from_slice(&n.to_be_bytes());
    m
}

/// What the call measured.
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    video_sent: u64,
    video_lost: u64,
    video_recovered: u64,
    video_delivered: u64,
    audio_received: [u64; 2],
    messages_received: [u32; 2],
    /// The network trace (times, kinds, addresses, lengths) and its length.
    trace: (u64, usize),
}

/// The trace without the bytes' checksums (the DTLS keys, and so the ciphertext, come
/// from the OS; everything else must repeat).
fn trace(sim: &Sim) -> (u64, usize) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    for line in sim.trace_lines() {
        line.split(" sum=").next().hash(&mut h);
    }
    (h.finish(), sim.trace_lines().len())
}

fn received_seqs(events: &[Event], ssrc: u32) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Rtp(p) => RtpPacket::parse(p)
                .ok()
                .filter(|p| p.ssrc() == ssrc)
                .map(|p| p.sequence_number()),
            _ => None,
        })
        .collect()
}

fn lossy_call(seed: u64) -> Figures {
    let mut call = negotiated_call(seed);
    call.sim.record_trace(true);
    let media: [Vec<NegotiatedMedia>; 2] = [
        call.with(0, |p, _| p.negotiated_media().to_vec()),
        call.with(1, |p, _| p.negotiated_media().to_vec()),
    ];
    let (audio, video) = (0, 1);
    let ssrc = |i: usize, m: usize| media[i][m].send_ssrc.unwrap();
    let pt = |i: usize, m: usize| media[i][m].primary_codec().unwrap().payload_type;
    assert!(media[1][video].nack(), "NACK was negotiated for video");
    assert!(!media[0][video].rtx_payload_types().is_empty(), "and RTX");
    // One reliable ordered channel each way.
    let channel: [ChannelId; 2] = [
        call.with(0, |p, now| {
            p.create_channel(now, "a", ChannelOptions::reliable())
                .unwrap()
        }),
        call.with(1, |p, now| {
            p.create_channel(now, "b", ChannelOptions::reliable())
                .unwrap()
        }),
    ];
    // Each opener's channel is open once the peer's DCEP ACK came (lost ones are resent).
    let open = |c: &Call, i: usize| {
        c.seen[i]
            .iter()
            .any(|e| matches!(e, Event::ChannelOpen { id, .. } if *id == channel[i]))
    };
    let end = call.sim.now() + Duration::from_secs(30);
    while !(open(&call, 0) && open(&call, 1)) {
        assert!(call.sim.now() < end, "channels not open");
        call.run_for(Duration::from_millis(10));
    }
    // 10 s: A's video at 100 packets/s, audio both ways at 50, and data messages.
    let mut sent_messages = 0;
    for tick in 0..SECONDS * 50 {
        for k in 0..2 {
            let seq = (tick * 2 + k) as u16;
            call.send_rtp(0, rtp(pt(0, video), seq, tick * 1800, ssrc(0, video), 1000));
        }
        for i in 0..2 {
            call.send_rtp(
                i,
                rtp(pt(i, audio), tick as u16, tick * 960, ssrc(i, audio), 80),
            );
        }
        if tick % 2 == 0 {
            for (i, &id) in channel.iter().enumerate() {
                let m = message(sent_messages);
                call.with(i, |p, now| p.send_channel(now, id, &m, true))
                    .unwrap();
            }
            sent_messages += 1;
        }
        call.run_for(Duration::from_millis(20));
    }
    // SCTP's retransmissions of the last messages; the loop ends once all arrived.
    let media_end = call.sim.now();
    let end = media_end + Duration::from_secs(120);
    let count = |c: &Call, i: usize| {
        c.seen[i]
            .iter()
            .filter(|e| matches!(e, Event::ChannelMessage { id, .. } if *id == channel[1 - i]))
            .count()
    };
    while (count(&call, 0) < MESSAGES as usize || count(&call, 1) < MESSAGES as usize)
        && call.sim.now() < end
    {
        call.run_for(Duration::from_millis(100));
    }
    assert_eq!(sent_messages, MESSAGES);
    println!(
        "data complete {:?} after the media",
        call.sim.now() - media_end
    );
    // Video: lost on first transmission against recovered by RTX.
    let video_sent = u64::from(SECONDS * 100);
    let unique: BTreeSet<u16> = received_seqs(&call.seen[1], ssrc(0, video))
        .into_iter()
        .collect();
    let stats = call.with(1, |p, _| p.media_stats());
    let inbound = stats
        .inbound
        .iter()
        .find(|s| s.ssrc == ssrc(0, video))
        .expect("JSEP made the receive stream");
    let recovered = inbound.packets_recovered;
    let delivered = unique.len() as u64;
    let audio_received = [
        received_seqs(&call.seen[0], ssrc(1, audio)).len() as u64,
        received_seqs(&call.seen[1], ssrc(0, audio)).len() as u64,
    ];
    // Data: every message, in order, on each side.
    let mut messages_received = [0u32; 2];
    for (i, got) in messages_received.iter_mut().enumerate() {
        for e in &call.seen[i] {
            if let Event::ChannelMessage { id, data, .. } = e
                && *id == channel[1 - i]
            {
                assert_eq!(*data, message(*got), "message {got} arrived out of order");
                *got += 1;
            }
        }
    }
    Figures {
        video_sent,
        video_lost: video_sent - (delivered - recovered),
        video_recovered: recovered,
        video_delivered: delivered,
        audio_received,
        messages_received,
        trace: trace(&call.sim),
    }
}

#[test]
fn audio_video_and_data_at_10_percent_loss_and_150_ms_rtt_recover_by_nack_rtx_and_sctp() {
    let f = lossy_call(21);
    println!(
        "video: sent {}, lost on first transmission {}, recovered by NACK/RTX {} ({:.1}%), \
         delivered {}; audio received A<-B {} B<-A {} of {}; data messages received A {} B {} of {}",
        f.video_sent,
        f.video_lost,
        f.video_recovered,
        100.0 * f.video_recovered as f64 / f.video_lost.max(1) as f64,
        f.video_delivered,
        f.audio_received[0],
        f.audio_received[1],
        SECONDS * 50,
        f.messages_received[0],
        f.messages_received[1],
        MESSAGES
    );
    // The link lost about a tenth of the video, and NACK/RTX brought most back.
    assert!(f.video_lost > 50 && f.video_lost < 160, "{f:?}");
    assert!(f.video_recovered * 100 >= f.video_lost * 90, "{f:?}");
    // Audio is not retransmitted: about 90% arrives each way.
    for n in f.audio_received {
        let sent = u64::from(SECONDS * 50);
        assert!(n > sent * 80 / 100 && n <= sent, "{f:?}");
    }
    // SCTP retransmits: every message arrives, in order (checked as they were counted).
    assert_eq!(f.messages_received, [MESSAGES; 2], "{f:?}");
    // The same seed gives the same call; another seed another.
    assert_eq!(lossy_call(21), f);
    assert_ne!(lossy_call(22).trace, f.trace);
}
