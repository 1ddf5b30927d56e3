//! Counting allocator: once warm, packetizing a frame and depacketizing its payloads into
//! the caller's buffer allocate nothing, for every codec (1,000 frames each).

use wren_alloc_count::allocations_during;
use wren_media::codec::av1::{Av1Depacketizer, Av1Packetizer, write_leb128};
use wren_media::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
use wren_media::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};
use wren_media::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
use wren_media::codec::{Depacketizer, Packetizer, g711, opus};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

/// Packetizes and depacketizes `frame` 1,000 times after one warm-up round; returns the
/// allocations of those 1,000 and checks every frame came back.
fn steady(p: &mut dyn Packetizer, d: &mut dyn Depacketizer, frame: &[u8], max: usize) -> u64 {
    // The payloads are depacketized as they are emitted, into a buffer kept warm.
    let mut out = Vec::with_capacity(frame.len() * 2);
    let round = |p: &mut dyn Packetizer, d: &mut dyn Depacketizer, out: &mut Vec<u8>| {
        out.clear();
        d.reset();
        let mut ok = true;
        p.packetize(frame, max, &mut |pl, _| ok &= d.push(pl, out).is_ok())
            .unwrap();
        assert!(ok && out.as_slice() == frame);
    };
    round(p, d, &mut out);
    allocations_during(|| {
        for _ in 0..1000 {
            round(p, d, &mut out);
        }
    })
}

#[test]
fn packetizers_and_depacketizers_allocate_nothing_per_packet() {
    let vp8: Vec<u8> = (0..5000u32).map(|i| i as u8).collect();
    assert_eq!(
        steady(
            &mut Vp8Packetizer::new(),
            &mut Vp8Depacketizer::default(),
            &vp8,
            1200
        ),
        0
    );
    let mut vp9 = vp8.clone();
    vp9[0] = 0b1000_0000;
    let mut p = Vp9Packetizer::new().with_resolution(640, 360);
    assert_eq!(
        steady(&mut p, &mut Vp9Depacketizer::default(), &vp9, 1200),
        0
    );
    // A temporal delimiter, a sequence header and a 5,000-byte frame OBU (cut across
    // payloads, so the depacketizer gathers it).
    let mut av1 = vec![0x12, 0x00, 0x0a, 0x04, 0, 0, 0, 0x42, 0x32];
    write_leb128(5000, &mut av1);
    av1.extend((0..5000u32).map(|i| i as u8));
    assert_eq!(
        steady(
            &mut Av1Packetizer::new(),
            &mut Av1Depacketizer::default(),
            &av1,
            1200
        ),
        0
    );
    // SPS, PPS and a 5,000-byte IDR slice: STAP-A and FU-A.
    let mut h264 = vec![
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
    ];
    h264.extend_from_slice(&[0, 0, 0, 1, 0x65]);
    h264.extend((0..5000u32).map(|i| (i % 250) as u8 + 1));
    let mut p = H264Packetizer::new(PacketizationMode::NonInterleaved);
    assert_eq!(
        steady(&mut p, &mut H264Depacketizer::default(), &h264, 1200),
        0
    );
    let audio = [7u8; 160];
    assert_eq!(
        steady(
            &mut opus::OpusPacketizer,
            &mut opus::OpusDepacketizer,
            &audio,
            1200
        ),
        0
    );
    assert_eq!(
        steady(
            &mut g711::G711Packetizer,
            &mut g711::G711Depacketizer,
            &audio,
            1200
        ),
        0
    );
}

#[test]
fn the_jitter_buffer_allocates_nothing_per_packet_with_reordering_and_nacks() {
    use std::time::{Duration, Instant};
    use wren_media::jitter::{JitterBuffer, JitterConfig};
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let start = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default(), Vp8Depacketizer::default());
    let mut p = Vp8Packetizer::new();
    let mut packets: Vec<(u16, u32, bool, Vec<u8>)> = Vec::new();
    let mut seq = 0u16;
    for n in 0..2000u32 {
        let mut f = vec![(n & 0xff) as u8; 3000];
        f[0] = if n % 100 == 0 { 0x10 } else { 0x11 };
        p.packetize(&f, 1200, &mut |pl, last| {
            packets.push((seq, n * 3000, last, pl.to_vec()));
            seq = seq.wrapping_add(1);
        })
        .unwrap();
    }
    // Each frame's packets reversed, and every 50th packet late by one frame (NACKed
    // first, then recovered).
    let mut order: Vec<usize> = Vec::new();
    for chunk in (0..packets.len()).collect::<Vec<_>>().chunks(3) {
        order.extend(chunk.iter().rev());
    }
    let mut frame = Vec::with_capacity(8000);
    let mut nacks = Vec::with_capacity(64);
    let mut run = |range: std::ops::Range<usize>, frames: &mut u64| {
        let mut held: Option<usize> = None;
        for (k, &i) in order[range].iter().enumerate() {
            let now = start + Duration::from_millis(k as u64);
            if i % 50 == 0 && held.is_none() {
                held = Some(i);
                continue;
            }
            let (seq, ts, m, pl) = &packets[i];
            jb.insert(now, *seq, *ts, *m, pl);
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
            if k % 3 == 2
                && let Some(h) = held.take()
            {
                let (seq, ts, m, pl) = &packets[h];
                jb.insert(now, *seq, *ts, *m, pl);
            }
            while jb.poll_frame(now, &mut frame).is_some() {
                *frames += 1;
            }
            while jb.poll_event().is_some() {}
        }
    };
    let mut frames = 0;
    run(0..600, &mut frames);
    let warm = frames;
    let n = allocations_during(|| run(600..order.len(), &mut frames));
    assert_eq!(n, 0);
    assert_eq!((warm, frames), (200, 2000), "every frame played");
    let s = jb.stats();
    assert!(s.recovered > 100 && s.dropped_incomplete == 0, "{s:?}");
}

#[test]
fn congestion_control_and_the_pacer_allocate_nothing_per_packet() {
    use std::time::{Duration, Instant};
    use wren_media::cc::{Event, Gcc, GccConfig};
    use wren_media::pacer::{Paced, Pacer, PacerConfig, Priority};
    use wren_rtp::rtcp::{RtcpPacket, RtcpWrite, TransportFeedback, TwccPacket, TwccPackets};

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let t0 = Instant::now();
    let mut gcc = Gcc::new(t0, GccConfig::default());
    let mut pacer = Pacer::new(t0, PacerConfig::default());
    // Reused buffers: sent packets awaiting feedback (seq, send time), the report list
    // and the RTCP bytes.
    let mut sent: Vec<(u16, Duration)> = Vec::with_capacity(1024);
    let mut list: Vec<TwccPacket> = Vec::with_capacity(1024);
    let mut rtcp = vec![0u8; 4096];
    let mut seq = 0u16;
    let mut tag = 0u64;
    let mut released = 0u64;
    // Every 10 ms an audio and a video packet; every 50 ms feedback on everything sent,
    // each packet arriving 20 ms after it left, every 20th lost.
    let mut run = |from_ms: u64, to_ms: u64, released: &mut u64| {
        for ms in from_ms..to_ms {
            let now = t0 + Duration::from_millis(ms);
            if ms % 10 == 0 {
                pacer.push(now, tag, 100, Priority::Audio).unwrap();
                pacer.push(now, tag + 1, 1000, Priority::Video).unwrap();
                tag += 2;
            }
            pacer.handle_timeout(now);
            while let Some(p) = pacer.poll_packet(now) {
                let (bytes, probe) = match p {
                    Paced::Media { bytes, probe, .. } | Paced::Padding { bytes, probe } => {
                        (bytes, probe)
                    }
                    _ => unreachable!("no other kind"),
                };
                gcc.handle_packet_sent(now, seq, bytes, probe);
                sent.push((seq, now - t0));
                seq = seq.wrapping_add(1);
                *released += 1;
            }
            if ms % 50 == 49 && !sent.is_empty() {
                list.clear();
                let first_us = (sent[0].1 + Duration::from_millis(20)).as_micros() as i64;
                let reference = first_us / 64_000;
                let mut clock = reference * 64_000;
                for &(s, at) in &sent {
                    let arrival = (at + Duration::from_millis(20)).as_micros() as i64;
                    let delta = (s % 20 != 0).then(|| {
                        let d = (arrival - clock) / 250;
                        clock += d * 250;
                        d as i16
                    });
                    list.push(TwccPacket { seq: s, delta });
                }
                let fb = TransportFeedback {
                    sender_ssrc: 1,
                    media_ssrc: 2,
                    base_seq: sent[0].0,
                    reference_time: reference as i32,
                    fb_count: 0,
                    packets: TwccPackets::List(&list),
                };
                let n = fb.write(&mut rtcp).unwrap();
                let (pkt, _) = RtcpPacket::parse_first(&rtcp[..n]).unwrap();
                let parsed = TransportFeedback::parse(&pkt).unwrap();
                gcc.handle_feedback(now, &parsed);
                sent.clear();
            }
            while let Some(e) = gcc.poll_event() {
                match e {
                    Event::TargetBitrate { bps, .. } => pacer.set_pacing_rate(now, bps * 5 / 2),
                    Event::Probe(c) => pacer.add_probe(now, c).unwrap(),
                    _ => {}
                }
            }
        }
    };
    run(0, 2_000, &mut released);
    let warm = released;
    let n = allocations_during(|| run(2_000, 12_000, &mut released));
    assert_eq!(n, 0, "allocations over {} packets", released - warm);
    assert!(
        released - warm >= 2_000,
        "{} packets paced",
        released - warm
    );
    assert!(gcc.stats().packets_lost > 50 && gcc.stats().feedbacks > 200);
}
