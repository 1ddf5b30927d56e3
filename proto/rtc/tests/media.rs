//! RTP mode's RTCP between two peers on wren-netsim: NACK answered with RTX under loss
//! (the receiver asks, the sender retransmits from its history, the receiver unwraps),
//! sender and receiver reports that measure the link's round trip, keyframe requests,
//! transport-wide feedback, media flow events and BYE. Each run is deterministic: the
//! same seed gives the same trace.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::Machine;
use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, LinkConfig, NodeId, Sim};
use wren_rtc::{
    Command, Config, DtlsRole, Event, ExtensionIds, FlowDirection, KeyframeKind, MediaKind, Peer,
    ReceiveStream, RemoteParameters, Rtx, SendStream,
};
use wren_rtp::rtcp::{Compound, Packet};
use wren_rtp::rtp::extensions::TransportCc;
use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpPacket, RtpWriter};

const VIDEO: u32 = 0x1111_0001;
const VIDEO_RTX: u32 = 0x1111_0002;
const AUDIO: u32 = 0x2222_0001;
const TWCC_ID: u8 = 3;

/// One way of each link: 37.5 ms, so 150 ms round trip between the two hosts.
const ONE_LINK: Duration = Duration::from_micros(37_500);

struct Call {
    sim: Sim,
    a: NodeId,
    b: NodeId,
    seen: [Vec<Event>; 2],
}

fn peer(sim: &mut Sim, ip: &str, link: LinkConfig, ice: wren_ice::Role, dtls: DtlsRole) -> NodeId {
    let host = sim.add_host(HostConfig::public(ip.parse().unwrap()).with_link(link));
    let identity = Arc::new(Identity::generate().unwrap());
    let mut config = Config::new(ice, dtls, vec![ip.parse().unwrap()], identity);
    config.rng_seed = Some(sim.fork_seed());
    config.media.extensions = ExtensionIds::default().with_twcc(TWCC_ID);
    config.max_media_events = 100_000;
    let now = sim.now();
    sim.add_machine(host, Peer::new(now, config))
}

impl Call {
    /// A (sender of video, controlling, DTLS client) with `loss` on its link, B (the
    /// video's receiver, which sends audio back) on a clean one; connected.
    fn connected(seed: u64, loss: f64) -> Call {
        #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
        let mut sim = Sim::new(seed, Instant::now());
        sim.set_event_capacity(1_000_000);
        sim.record_trace(false);
        let link = LinkConfig::default().with_delay(ONE_LINK);
        let a = peer(
            &mut sim,
            "10.0.0.1",
            link.with_loss(loss),
            wren_ice::Role::Controlling,
            DtlsRole::Client,
        );
        let b = peer(
            &mut sim,
            "10.0.0.2",
            link,
            wren_ice::Role::Controlled,
            DtlsRole::Server,
        );
        let rtx = Rtx {
            ssrc: VIDEO_RTX,
            payload_types: vec![(96, 97)],
        };
        sim.with(a, |p: &mut Peer, _| {
            p.add_send_stream(SendStream {
                rtx: Some(rtx.clone()),
                ..SendStream::new(VIDEO, MediaKind::Video, 90_000)
            })?;
            p.add_receive_stream(ReceiveStream::new(AUDIO, MediaKind::Audio, 48_000))
        })
        .unwrap();
        sim.with(b, |p: &mut Peer, _| {
            p.add_receive_stream(ReceiveStream {
                rtx: Some(rtx.clone()),
                nack: true,
                ..ReceiveStream::new(VIDEO, MediaKind::Video, 90_000)
            })?;
            p.add_send_stream(SendStream::new(AUDIO, MediaKind::Audio, 48_000))
        })
        .unwrap();
        let remote = |l: wren_rtc::LocalParameters| RemoteParameters {
            credentials: l.credentials,
            fingerprints: vec![l.fingerprint],
            dtls_role: l.dtls_role,
        };
        let pa = sim.with(a, |p: &mut Peer, _| p.local_parameters());
        let pb = sim.with(b, |p: &mut Peer, _| p.local_parameters());
        sim.with(a, |p: &mut Peer, now| p.set_remote(now, remote(pb)))
            .unwrap();
        sim.with(b, |p: &mut Peer, now| p.set_remote(now, remote(pa)))
            .unwrap();
        let mut call = Call {
            sim,
            a,
            b,
            seen: [Vec::new(), Vec::new()],
        };
        let up = |c: &Call, i: usize| {
            c.seen[i]
                .iter()
                .any(|e| matches!(e, Event::Connected { .. }))
        };
        let end = call.sim.now() + Duration::from_secs(60);
        while !(up(&call, 0) && up(&call, 1)) {
            assert!(call.sim.now() < end, "not connected: {:#?}", call.seen);
            call.run_for(Duration::from_millis(5));
        }
        call
    }

    /// Runs the network, trickling candidates and keeping every event.
    fn run_for(&mut self, d: Duration) {
        self.sim.run_for(d);
        for (i, (from, to)) in [(self.a, self.b), (self.b, self.a)].into_iter().enumerate() {
            for e in self.sim.events::<Peer>(from) {
                if let Event::LocalCandidate(c) = &e {
                    let c = c.clone();
                    self.sim
                        .with(to, |p: &mut Peer, now| p.add_remote_candidate(now, c))
                        .unwrap();
                }
                self.seen[i].push(e);
            }
        }
    }

    fn send(&mut self, node: NodeId, packet: Vec<u8>) {
        self.sim
            .with(node, |p: &mut Peer, now| {
                p.handle_command(now, Command::SendRtp(packet))
            })
            .unwrap();
    }
}

/// An RTP packet with a transport-wide sequence number element for the peer to fill.
fn rtp(ssrc: u32, pt: u8, seq: u16, ts: u32, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len + 64];
    let header = RtpHeader {
        payload_type: pt,
        sequence_number: seq,
        timestamp: ts,
        ssrc,
        ..Default::default()
    };
    let mut w = RtpWriter::new(&mut buf, &header).unwrap();
    w.extensions(ExtensionForm::OneByte).unwrap();
    w.add(TWCC_ID, &TransportCc(0)).unwrap();
    let payload: Vec<u8> = (0..len).map(|i| (i as u16 ^ seq) as u8).collect();
    let n = w.finish(&payload, 0).unwrap();
    buf.truncate(n);
    buf
}

/// The sequence numbers of video packets among `events` (RTX already unwrapped).
fn video_seqs(events: &[Event]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Rtp(p) => RtpPacket::parse(p)
                .ok()
                .filter(|p| p.ssrc() == VIDEO)
                .map(|p| p.sequence_number()),
            _ => None,
        })
        .collect()
}

/// What the loss run measured.
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    sent: usize,
    lost: u64,
    recovered: u64,
    delivered: usize,
    nacks: u64,
    retransmitted: u64,
    /// The round trip each side measured: A from B's reception reports, B (which only
    /// receives) from A's XR DLRR answers.
    rtt: [Option<Duration>; 2],
    /// Every datagram after the handshake: time, kind, addresses, length.
    trace: u64,
    datagrams: usize,
}

/// The trace of the network since recording began, without the bytes' checksums: the
/// certificates and DTLS's ECDSA signatures draw from the OS (wren-dtls), the SRTP keys
/// depend on them through the extended master secret (RFC 7627), so the ciphertext
/// differs from run to run while everything else must not.
fn trace_without_bytes(sim: &Sim) -> (u64, usize) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    for line in sim.trace_lines() {
        line.split(" sum=").next().hash(&mut h);
    }
    (h.finish(), sim.trace_lines().len())
}

/// 10 s of video at 300 packets/s (1,000-byte payloads) from A to B over a link losing
/// 10% each way with a 150 ms round trip, and 2 s more for the last retransmissions.
fn video_under_loss(seed: u64) -> Figures {
    let mut call = Call::connected(seed, 0.10);
    call.sim.record_trace(true);
    const PACKETS: usize = 3000;
    // Sequence numbers cross the 16-bit wrap on the way.
    let first: u16 = 64_000;
    for i in 0..PACKETS {
        let seq = first.wrapping_add(i as u16);
        let ts = (i as u32 / 10) * 3000;
        call.send(call.a, rtp(VIDEO, 96, seq, ts, 1000));
        call.run_for(Duration::from_micros(3_333));
    }
    call.run_for(Duration::from_secs(2));
    let seqs = video_seqs(&call.seen[1]);
    let unique: BTreeSet<u16> = seqs.iter().copied().collect();
    for s in &unique {
        assert!(s.wrapping_sub(first) < PACKETS as u16, "{s} was never sent");
    }
    let b = call.sim.with(call.b, |p: &mut Peer, _| p.media_stats());
    let a = call.sim.with(call.a, |p: &mut Peer, _| p.media_stats());
    let inbound = &b.inbound[0];
    let outbound = &a.outbound[0];
    // Lost on first transmission: sent, less those that arrived as originals (all
    // delivered less those a retransmission filled).
    let recovered = inbound.packets_recovered;
    let lost = PACKETS as u64 - (unique.len() as u64 - recovered);
    let (trace, datagrams) = trace_without_bytes(&call.sim);
    Figures {
        sent: PACKETS,
        lost,
        recovered,
        delivered: unique.len(),
        nacks: inbound.nack_count,
        retransmitted: outbound.retransmitted_packets_sent,
        rtt: [a.rtt, b.rtt],
        trace,
        datagrams,
    }
}

#[test]
fn nack_and_rtx_recover_most_video_losses_at_10_percent_loss_and_150_ms_rtt() {
    let f = video_under_loss(7);
    println!(
        "sent {}, lost on first transmission {}, recovered by RTX {} ({:.1}%), delivered {}, \
         NACK packets {}, retransmissions {}",
        f.sent,
        f.lost,
        f.recovered,
        100.0 * f.recovered as f64 / f.lost as f64,
        f.delivered,
        f.nacks,
        f.retransmitted
    );
    // The link did lose about a tenth.
    assert!(f.lost > 200 && f.lost < 400, "{f:?}");
    // Most losses came back, and only as far as they were retransmitted.
    assert!(f.recovered * 100 > f.lost * 90, "{f:?}");
    assert!(f.retransmitted >= f.recovered, "{f:?}");
    assert_eq!(f.delivered as u64, f.sent as u64 - f.lost + f.recovered);
    assert!(f.nacks > 0);
    let unit = Duration::from_nanos(1_000_000_000 / 65_536 + 1);
    for rtt in f.rtt {
        let rtt = rtt.expect("measured");
        assert!(
            rtt + unit * 2 >= ONE_LINK * 4 && rtt <= ONE_LINK * 4 + unit * 2,
            "{f:?}"
        );
    }
    // The same seed gives the same run: every datagram at the same time, between the
    // same addresses, of the same length, and the same losses; another seed does not.
    assert!(f.datagrams > 6000, "{f:?}");
    assert_eq!(video_under_loss(7), f);
    assert_ne!(video_under_loss(8).trace, f.trace);
}

/// Lossless links: A sends video and B audio, so each side has reports on its stream.
fn both_sending(seed: u64, seconds: u32) -> Call {
    let mut call = Call::connected(seed, 0.0);
    for i in 0..seconds * 50 {
        // Video at 100 packets/s, audio at 50 (20 ms frames).
        for k in 0..2 {
            let seq = (i * 2 + k) as u16;
            call.send(call.a, rtp(VIDEO, 96, seq, i * 1800, 900));
        }
        call.send(call.b, rtp(AUDIO, 111, i as u16, i * 960, 80));
        call.run_for(Duration::from_millis(20));
    }
    // The last packets arrive.
    call.run_for(Duration::from_millis(200));
    call
}

#[test]
fn sender_and_receiver_reports_measure_the_links_round_trip() {
    let mut call = both_sending(11, 6);
    // The path crosses both links each way: four one-way link delays.
    let path = ONE_LINK * 4;
    // LSR and DLSR are in 1/65536 s: the result may be off by two of those units.
    let unit = Duration::from_nanos(1_000_000_000 / 65_536 + 1);
    for (i, node, ours) in [(0, call.a, VIDEO), (1, call.b, AUDIO)] {
        let rtts: Vec<Duration> = call.seen[i]
            .iter()
            .filter_map(|e| match e {
                Event::Rtt { ssrc, rtt } if *ssrc == ours => Some(*rtt),
                _ => None,
            })
            .collect();
        // About one report a second for 6 s (the first after about half a second).
        assert!(rtts.len() >= 4, "{rtts:?}");
        for rtt in &rtts {
            assert!(
                *rtt + unit * 2 >= path && *rtt <= path + unit * 2,
                "{rtt:?} for {path:?}"
            );
        }
        let stats = call.sim.with(node, |p: &mut Peer, _| p.media_stats());
        let remote = &stats.remote_inbound[0];
        assert_eq!(remote.ssrc, ours);
        assert_eq!(remote.round_trip_time, rtts.last().copied());
        assert_eq!((remote.packets_lost, remote.fraction_lost), (0, 0.0));
        // Every report counts; only those after our first SR carry an RTT.
        assert!(remote.reports_received as usize >= rtts.len());
        println!(
            "{}: RTT {:?} over a {path:?} path, {} reports",
            ["A", "B"][i],
            rtts.last().unwrap(),
            rtts.len()
        );
    }
    // Each side's statistics of what it received, as the other sent it.
    let a = call.sim.with(call.a, |p: &mut Peer, _| p.media_stats());
    let b = call.sim.with(call.b, |p: &mut Peer, _| p.media_stats());
    assert_eq!(a.outbound[0].packets_sent, 600);
    assert_eq!(b.inbound[0].packets_received, 600);
    assert_eq!(b.inbound[0].packets_lost, 0);
    assert_eq!(b.outbound[0].packets_sent, 300);
    assert_eq!(a.inbound[0].packets_received, 300);
    assert_eq!(a.inbound[0].bytes_received, 300 * 80);
    // Constant delay and evenly spaced audio: no jitter.
    assert_eq!(a.inbound[0].jitter, Duration::ZERO);
    // Transport-wide feedback went both ways, covering the packets received.
    assert!(a.twcc_feedback_sent > 0 && b.twcc_feedback_sent > 0);
    let reported: usize = call.seen[0]
        .iter()
        .filter_map(|e| match e {
            Event::Rtcp(bytes) => Some(bytes),
            _ => None,
        })
        .flat_map(|bytes| {
            Compound::parse(bytes)
                .unwrap()
                .packets()
                .filter_map(|p| match p {
                    Ok(Packet::TransportFeedback(fb)) => {
                        Some(fb.packets.iter().filter(|p| p.delta.is_some()).count())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .sum();
    // B reported every packet A sent it that arrived before the last feedback: at most
    // the 600 video packets, and all but the last interval's.
    assert!(reported > 550 && reported <= 600, "{reported}");
}

#[test]
fn a_keyframe_request_from_the_receiver_is_an_event_at_the_sender() {
    let mut call = both_sending(12, 1);
    let b = call.b;
    call.sim
        .with(b, |p: &mut Peer, _| {
            p.request_keyframe(VIDEO, KeyframeKind::Pli)
        })
        .unwrap();
    call.sim
        .with(b, |p: &mut Peer, _| {
            p.request_keyframe(VIDEO, KeyframeKind::Fir)
        })
        .unwrap();
    assert!(
        call.sim
            .with(b, |p: &mut Peer, _| p
                .request_keyframe(AUDIO, KeyframeKind::Pli))
            .is_err(),
        "B does not receive its own audio"
    );
    call.run_for(Duration::from_millis(500));
    let requests: Vec<&Event> = call.seen[0]
        .iter()
        .filter(|e| matches!(e, Event::KeyframeRequest { .. }))
        .collect();
    assert_eq!(
        requests,
        [
            &Event::KeyframeRequest {
                ssrc: VIDEO,
                kind: KeyframeKind::Pli
            },
            &Event::KeyframeRequest {
                ssrc: VIDEO,
                kind: KeyframeKind::Fir
            },
        ]
    );
    let a = call.sim.with(call.a, |p: &mut Peer, _| p.media_stats());
    let bs = call.sim.with(b, |p: &mut Peer, _| p.media_stats());
    assert_eq!((a.outbound[0].pli_count, a.outbound[0].fir_count), (1, 1));
    assert_eq!((bs.inbound[0].pli_count, bs.inbound[0].fir_count), (1, 1));
}

#[test]
fn media_flow_starts_and_stops_in_each_direction_and_bye_ends_the_call() {
    let mut call = both_sending(13, 1);
    // Nothing is sent for 3 s: each flow stops after 2 s of quiet.
    call.run_for(Duration::from_secs(3));
    let flows = |seen: &[Event]| -> Vec<(u32, FlowDirection, bool)> {
        seen.iter()
            .filter_map(|e| match e {
                Event::MediaFlow {
                    ssrc,
                    direction,
                    flowing,
                } => Some((*ssrc, *direction, *flowing)),
                _ => None,
            })
            .collect()
    };
    let mut a = flows(&call.seen[0]);
    let mut b = flows(&call.seen[1]);
    // Starts first, then stops (the order within each is the order packets came).
    a.sort_by_key(|f| !f.2);
    b.sort_by_key(|f| !f.2);
    assert_eq!(
        a,
        [
            (VIDEO, FlowDirection::Outgoing, true),
            (AUDIO, FlowDirection::Incoming, true),
            (VIDEO, FlowDirection::Outgoing, false),
            (AUDIO, FlowDirection::Incoming, false),
        ]
    );
    assert_eq!(
        b,
        [
            (AUDIO, FlowDirection::Outgoing, true),
            (VIDEO, FlowDirection::Incoming, true),
            (AUDIO, FlowDirection::Outgoing, false),
            (VIDEO, FlowDirection::Incoming, false),
        ]
    );
    // A closes: B hears BYE for A's stream (RFC 3550 section 6.6).
    call.sim.with(call.a, |p: &mut Peer, now| p.close(now));
    call.run_for(Duration::from_millis(200));
    assert!(
        call.seen[1].contains(&Event::Bye { ssrc: VIDEO }),
        "{:?}",
        call.seen[1]
    );
}
