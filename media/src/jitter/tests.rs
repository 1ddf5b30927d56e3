use super::*;
use crate::codec::Packetizer;
use crate::codec::opus::OpusDepacketizer;
use crate::codec::vp8::{Vp8Depacketizer, Vp8Packetizer};

/// One RTP packet: sequence number, timestamp, marker, payload.
type Packet = (u16, u32, bool, Vec<u8>);

/// A VP8 frame of `len` bytes: a keyframe or not (RFC 7741 section 4.3's P bit), its
/// bytes telling frames apart.
fn vp8_frame(n: u32, len: usize, key: bool) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len).map(|i| (i as u32 ^ n) as u8).collect();
    f[0] = if key { 0x10 } else { 0x11 };
    f
}

/// Frames packetized into packets from sequence number `seq`, 3,000 ticks apart.
fn packets(frames: &[Vec<u8>], mut seq: u16) -> Vec<Packet> {
    let mut p = Vp8Packetizer::new();
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let ts = 3000 * i as u32;
        p.packetize(f, 1200, &mut |pl, last| {
            out.push((seq, ts, last, pl.to_vec()));
            seq = seq.wrapping_add(1);
        })
        .unwrap();
    }
    out
}

fn buffer() -> JitterBuffer<Vp8Depacketizer> {
    JitterBuffer::new(JitterConfig::default(), Vp8Depacketizer::default())
}

fn t0() -> Instant {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    Instant::now()
}

fn drain(jb: &mut JitterBuffer<Vp8Depacketizer>, now: Instant) -> Vec<(FrameInfo, Vec<u8>)> {
    let mut out = Vec::new();
    let mut f = Vec::new();
    while let Some(info) = jb.poll_frame(now, &mut f) {
        out.push((info, f.clone()));
    }
    out
}

fn events(jb: &mut JitterBuffer<Vp8Depacketizer>) -> Vec<Event> {
    std::iter::from_fn(|| jb.poll_event()).collect()
}

#[test]
fn frames_come_out_in_order_across_the_sequence_number_wrap() {
    let frames: Vec<Vec<u8>> = (0..6).map(|n| vp8_frame(n, 2000, n == 0)).collect();
    let now = t0();
    let mut jb = buffer();
    let ps = packets(&frames, 65_530);
    // Each frame's two packets swapped.
    for pair in ps.chunks(2) {
        for (seq, ts, m, p) in pair.iter().rev() {
            jb.insert(now, *seq, *ts, *m, p);
        }
    }
    let got = drain(&mut jb, now);
    assert_eq!(got.len(), 6);
    for (i, (info, f)) in got.iter().enumerate() {
        assert_eq!(f, &frames[i]);
        assert_eq!(info.timestamp, 3000 * i as u32);
        assert_eq!(info.packets, 2);
        assert_eq!(info.keyframe, i == 0);
    }
    assert_eq!(got[3].0.first_seq, 0, "wrapped");
    assert_eq!(jb.missing(), 0);
    assert!(events(&mut jb).is_empty());
}

#[test]
fn a_lost_packet_is_asked_for_each_round_trip_and_its_frame_completes_when_it_comes() {
    let frames: Vec<Vec<u8>> = (0..3).map(|n| vp8_frame(n, 2000, n == 0)).collect();
    let ps = packets(&frames, 100);
    let now = t0();
    let mut jb = buffer();
    jb.set_rtt(Duration::from_millis(50));
    let lost = 103; // frame 1's second packet
    for (seq, ts, m, p) in &ps {
        if *seq != lost {
            jb.insert(now, *seq, *ts, *m, p);
        }
    }
    let mut nacks = Vec::new();
    jb.poll_nacks(now, &mut nacks);
    assert_eq!(nacks, [lost]);
    // Frame 0 plays; frame 1 holds frame 2 back.
    assert_eq!(drain(&mut jb, now).len(), 1);
    nacks.clear();
    jb.poll_nacks(now + Duration::from_millis(20), &mut nacks);
    assert!(nacks.is_empty(), "not before a round trip");
    assert_eq!(jb.poll_timeout(), Some(now + Duration::from_millis(50)));
    jb.poll_nacks(now + Duration::from_millis(50), &mut nacks);
    assert_eq!(nacks, [lost]);
    let (seq, ts, m, p) = &ps[3];
    jb.insert(now + Duration::from_millis(80), *seq, *ts, *m, p);
    let got = drain(&mut jb, now + Duration::from_millis(80));
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].1, frames[1]);
    let s = jb.stats();
    assert_eq!(
        (s.nacks, s.recovered, s.frames, s.dropped_incomplete),
        (2, 1, 3, 0)
    );
}

#[test]
fn a_frame_that_cannot_be_completed_is_dropped_and_a_keyframe_asked_for() {
    // Key, delta (loses a packet for good), delta, delta, key, delta.
    let keys = [true, false, false, false, true, false];
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|n| vp8_frame(n, 2000, keys[n as usize]))
        .collect();
    let ps = packets(&frames, 0);
    let now = t0();
    let mut jb = buffer();
    for (seq, ts, m, p) in &ps {
        if *seq != 2 {
            jb.insert(now, *seq, *ts, *m, p);
        }
    }
    assert_eq!(drain(&mut jb, now).len(), 1);
    // The wait ends: frame 1 is dropped, frames 2 and 3 cannot be decoded, frame 4 can.
    let late = now + JitterConfig::default().max_wait;
    assert_eq!(jb.poll_timeout().map(|t| t <= late), Some(true));
    jb.handle_timeout(late);
    let got = drain(&mut jb, late);
    let stamps: Vec<u32> = got.iter().map(|(i, _)| i.timestamp).collect();
    assert_eq!(stamps, [12_000, 15_000]);
    assert_eq!(got[0].1, frames[4]);
    assert_eq!(
        events(&mut jb),
        vec![
            Event::FrameDropped {
                timestamp: Some(3000),
                reason: DropReason::Incomplete { missing: 1 }
            },
            Event::KeyframeNeeded(KeyframeReason::FrameDropped),
            Event::FrameDropped {
                timestamp: Some(6000),
                reason: DropReason::WaitingForKeyframe
            },
            Event::FrameDropped {
                timestamp: Some(9000),
                reason: DropReason::WaitingForKeyframe
            },
        ]
    );
    let s = jb.stats();
    assert_eq!(
        (s.dropped_incomplete, s.dropped_waiting, s.keyframe_requests),
        (1, 2, 1)
    );
    // A packet of the dropped frame is late now.
    let (seq, ts, m, p) = &ps[2];
    jb.insert(late, *seq, *ts, *m, p);
    assert_eq!(jb.stats().late, 1);
}

#[test]
fn a_stream_that_starts_without_a_keyframe_asks_for_one_and_again_until_it_comes() {
    let frames: Vec<Vec<u8>> = (0..3).map(|n| vp8_frame(n, 500, n == 2)).collect();
    let ps = packets(&frames, 7);
    let now = t0();
    let mut jb = buffer();
    for (seq, ts, m, p) in &ps[..2] {
        jb.insert(now, *seq, *ts, *m, p);
    }
    assert!(drain(&mut jb, now).is_empty());
    assert_eq!(
        events(&mut jb),
        vec![Event::KeyframeNeeded(KeyframeReason::NoKeyframe)]
    );
    let again = now + JitterConfig::default().keyframe_interval;
    assert_eq!(jb.poll_timeout(), Some(again));
    jb.handle_timeout(again);
    assert_eq!(
        events(&mut jb),
        vec![Event::KeyframeNeeded(KeyframeReason::StillWaiting)]
    );
    // The keyframe: it plays, and the delta frames before it are passed over.
    let (seq, ts, m, p) = &ps[2];
    jb.insert(again, *seq, *ts, *m, p);
    let got = drain(&mut jb, again);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, frames[2]);
    assert_eq!(jb.poll_timeout(), None);
}

#[test]
fn a_keyframe_overtaken_by_later_frames_at_the_start_still_plays_first() {
    let frames: Vec<Vec<u8>> = (0..3).map(|n| vp8_frame(n, 500, n == 0)).collect();
    let ps = packets(&frames, 0);
    let now = t0();
    let mut jb = buffer();
    for k in [1, 2, 0] {
        let (seq, ts, m, p) = &ps[k];
        jb.insert(now, *seq, *ts, *m, p);
    }
    let got = drain(&mut jb, now);
    assert_eq!(got.len(), 3);
    assert!(got.iter().zip(&frames).all(|((_, f), want)| f == want));
}

#[test]
fn a_packet_asked_for_too_often_is_given_up() {
    let config = JitterConfig {
        nack_retries: 2,
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config, Vp8Depacketizer::default());
    let frames: Vec<Vec<u8>> = (0..2).map(|n| vp8_frame(n, 2000, true)).collect();
    let ps = packets(&frames, 0);
    let now = t0();
    for (seq, ts, m, p) in &ps {
        if *seq != 1 {
            jb.insert(now, *seq, *ts, *m, p);
        }
    }
    let mut nacks = Vec::new();
    for k in 0..4 {
        jb.poll_nacks(now + Duration::from_millis(100 * k), &mut nacks);
    }
    assert_eq!(nacks, [1, 1]);
    assert_eq!(jb.stats().given_up, 1);
    assert_eq!(jb.missing(), 0);
}

#[test]
fn duplicates_and_oversized_packets_are_counted_and_a_jump_starts_over() {
    let now = t0();
    let mut jb = buffer();
    let key = vp8_frame(0, 100, true);
    let ps = packets(std::slice::from_ref(&key), 10);
    let (seq, ts, m, p) = &ps[0];
    jb.insert(now, *seq, *ts, *m, p);
    jb.insert(now, *seq, *ts, *m, p);
    jb.insert(now, 11, 3000, true, &[0x10; 2000]);
    let s = jb.stats();
    assert_eq!((s.duplicates, s.too_large), (1, 1));
    assert_eq!(drain(&mut jb, now).len(), 1);
    // 30,000 sequence numbers on: more than the ring holds.
    jb.insert(now, 30_010, 90_000, true, p);
    assert_eq!(
        events(&mut jb)[0],
        Event::FrameDropped {
            timestamp: None,
            reason: DropReason::Overflow
        }
    );
    assert_eq!(drain(&mut jb, now).len(), 1, "it was a keyframe");
}

#[test]
fn lost_audio_frames_cost_no_keyframe_and_no_wait_for_later_ones() {
    let now = t0();
    let mut jb = JitterBuffer::new(JitterConfig::default(), OpusDepacketizer);
    for seq in 0..10u16 {
        if seq != 4 {
            // Opus sends no marker on most packets.
            jb.insert(
                now,
                seq,
                960 * u32::from(seq),
                seq == 0,
                &[seq as u8 + 1; 80],
            );
        }
    }
    let mut f = Vec::new();
    let mut n = 0;
    while jb.poll_frame(now, &mut f).is_some() {
        n += 1;
    }
    assert_eq!(n, 4, "up to the gap");
    let late = now + JitterConfig::default().max_wait;
    while jb.poll_frame(late, &mut f).is_some() {
        n += 1;
    }
    assert_eq!(n, 9);
    let e: Vec<Event> = std::iter::from_fn(|| jb.poll_event()).collect();
    assert_eq!(
        e,
        vec![Event::FrameDropped {
            timestamp: None,
            reason: DropReason::Incomplete { missing: 1 }
        }]
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any loss and reordering: every frame handed out is one that was sent, whole,
        /// in order; with no loss, every frame from the first keyframe played on.
        #[test]
        fn frames_out_are_frames_sent_in_order(
            sizes in prop::collection::vec((1usize..4000, prop::bool::weighted(0.2)), 1..30),
            order in prop::collection::vec(any::<prop::sample::Index>(), 0..200),
            lose in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
            start in any::<u16>(),
        ) {
            let frames: Vec<Vec<u8>> = sizes
                .iter()
                .enumerate()
                .map(|(i, (len, key))| vp8_frame(i as u32, *len, i == 0 || *key))
                .collect();
            let mut ps = packets(&frames, start);
            let n = ps.len();
            // Reorder by swapping within a window of 8.
            for (k, idx) in order.iter().enumerate() {
                let a = k % n;
                let b = (a + idx.index(8)).min(n - 1);
                ps.swap(a, b);
            }
            let lost: Vec<usize> = lose.iter().map(|i| i.index(n)).collect();
            let now = t0();
            let mut jb = buffer();
            let mut got = Vec::new();
            for (k, (seq, ts, m, p)) in ps.iter().enumerate() {
                if !lost.contains(&k) {
                    jb.insert(now, *seq, *ts, *m, p);
                }
                got.extend(drain(&mut jb, now));
            }
            let end = now + Duration::from_secs(5);
            jb.handle_timeout(end);
            got.extend(drain(&mut jb, end));
            let mut last = None;
            for (info, f) in &got {
                let i = (info.timestamp / 3000) as usize;
                prop_assert_eq!(f, &frames[i]);
                prop_assert!(last.is_none_or(|l| l < i), "in order");
                last = Some(i);
            }
            // Without loss nothing is skipped once play began (it begins at the first
            // keyframe that arrived: reordering at the very start may pass over frames
            // before it), and every frame to the last is handed out.
            if lost.is_empty() {
                prop_assert!(!got.is_empty(), "frame 0 is a keyframe: something plays");
                let first = (got[0].0.timestamp / 3000) as usize;
                prop_assert!(frames[first][0] == 0x10, "play begins with a keyframe");
                prop_assert_eq!(got.len(), frames.len() - first);
            }
        }
    }
}

#[test]
fn a_frame_tail_whose_start_never_comes_is_given_up_after_the_wait() {
    // Found by the media_jitter fuzz target: a keyframe, then the tail of another frame
    // (no start) with a gap before it. The deadline must clear once the wait is over.
    let data = [
        0, 0, 0, 0xb3, 0, 0, 0, 0x3f, 0xff, 0x26, 0xff, 0, 0, 1, 0, 0x0a, 0x0d, 0xb3,
    ];
    crate::fuzz::jitter(&data);
}

#[cfg(feature = "fuzzing")]
#[test]
fn the_fuzz_script_runs_on_random_inputs() {
    // The media_jitter fuzz target's entry point, on a spread of deterministic inputs.
    let mut bytes = crate::fuzz::ScriptBytes::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..300 {
        crate::fuzz::jitter(&bytes.next(600));
    }
}

mod every_codec {
    use super::*;
    use crate::codec::av1::{Av1Depacketizer, Av1Packetizer};
    use crate::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
    use crate::codec::opus::{OpusDepacketizer, OpusPacketizer};
    use crate::codec::vp9::{Vp9Depacketizer, Vp9Packetizer};
    use proptest::prelude::*;

    /// Frame `n` of `len` bytes (no zero byte, so no H.264 start code inside), a keyframe
    /// or not, in each codec's own form.
    fn frame(codec: u8, n: u32, len: usize, key: bool) -> Vec<u8> {
        let body: Vec<u8> = (0..len).map(|i| 1 + ((i as u32 ^ n) % 255) as u8).collect();
        match codec {
            // VP9: the uncompressed header's frame_type.
            0 => {
                let mut f = body;
                f[0] = if key { 0b1000_0000 } else { 0b1000_0100 };
                f
            }
            // H.264: SPS, PPS and an IDR slice, or a non-IDR slice.
            1 => {
                let mut f = Vec::new();
                if key {
                    f.extend_from_slice(&[0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f]);
                    f.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
                }
                f.extend_from_slice(&[0, 0, 0, 1, if key { 0x65 } else { 0x41 }]);
                f.extend_from_slice(&body);
                f
            }
            // AV1: a temporal delimiter, a sequence header on keyframes, a frame OBU.
            2 => {
                let mut f = vec![0x12, 0x00];
                if key {
                    f.extend_from_slice(&[0x0a, 0x04, 0, 0, 0, 0x42]);
                }
                f.push(0x32);
                crate::codec::av1::write_leb128(body.len() as u64, &mut f);
                f.extend_from_slice(&body);
                f
            }
            // Opus: every packet stands alone.
            _ => body[..len.min(1000)].to_vec(),
        }
    }

    fn codec_parts(codec: u8) -> (Box<dyn Packetizer>, Box<dyn Depacketizer>) {
        match codec {
            0 => (
                Box::new(Vp9Packetizer::new()),
                Box::new(Vp9Depacketizer::default()),
            ),
            1 => (
                Box::new(H264Packetizer::new(PacketizationMode::NonInterleaved)),
                Box::new(H264Depacketizer::default()),
            ),
            2 => (
                Box::new(Av1Packetizer::new()),
                Box::new(Av1Depacketizer::default()),
            ),
            _ => (Box::new(OpusPacketizer), Box::new(OpusDepacketizer)),
        }
    }

    proptest! {
        /// VP9, H.264, AV1 and Opus through the jitter buffer with reordering and loss:
        /// every frame out is a frame sent, whole and in order; without loss, every
        /// frame from the first keyframe played on.
        #[test]
        fn frames_out_are_frames_sent_in_order_for_every_codec(
            codec in 0u8..4,
            sizes in prop::collection::vec((1usize..4000, prop::bool::weighted(0.2)), 1..25),
            order in prop::collection::vec(any::<prop::sample::Index>(), 0..150),
            lose in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
            start in any::<u16>(),
        ) {
            let frames: Vec<Vec<u8>> = sizes
                .iter()
                .enumerate()
                .map(|(i, (len, key))| frame(codec, i as u32, *len, i == 0 || *key))
                .collect();
            let (mut p, d) = codec_parts(codec);
            let mut ps: Vec<Packet> = Vec::new();
            let mut seq = start;
            for (i, f) in frames.iter().enumerate() {
                let ts = 3000 * i as u32;
                p.packetize(f, 1200, &mut |pl, last| {
                    ps.push((seq, ts, last, pl.to_vec()));
                    seq = seq.wrapping_add(1);
                })
                .unwrap();
            }
            let n = ps.len();
            for (k, idx) in order.iter().enumerate() {
                let a = k % n;
                let b = (a + idx.index(8)).min(n - 1);
                ps.swap(a, b);
            }
            // Losses anywhere but the stream's first packet: with nothing before it,
            // nothing tells an H.264 keyframe's lost STAP-A of SPS and PPS from no packet
            // (the start wait is for reordering there, not loss).
            let lost: Vec<usize> = lose
                .iter()
                .map(|i| i.index(n))
                .filter(|&k| codec != 1 || ps[k].0 != start)
                .collect();
            let now = t0();
            // Everything arrives at one instant here: a start wait lets the packets before
            // a reordered keyframe's first one come (H.264's STAP-A of SPS and PPS).
            let config = JitterConfig {
                start_wait: Duration::from_millis(50),
                ..JitterConfig::default()
            };
            let mut jb = JitterBuffer::new(config, d);
            let mut got: Vec<(FrameInfo, Vec<u8>)> = Vec::new();
            let mut f = Vec::new();
            for (k, (seq, ts, m, pl)) in ps.iter().enumerate() {
                if !lost.contains(&k) {
                    jb.insert(now, *seq, *ts, *m, pl);
                }
                while let Some(info) = jb.poll_frame(now, &mut f) {
                    got.push((info, f.clone()));
                }
            }
            let end = now + Duration::from_secs(5);
            jb.handle_timeout(end);
            while let Some(info) = jb.poll_frame(end, &mut f) {
                got.push((info, f.clone()));
            }
            let mut last = None;
            for (info, out) in &got {
                let i = (info.timestamp / 3000) as usize;
                prop_assert_eq!(out, &frames[i], "codec {} frame {}", codec, i);
                prop_assert!(last.is_none_or(|l| l < i), "in order");
                last = Some(i);
            }
            if lost.is_empty() {
                prop_assert!(!got.is_empty());
                let first = (got[0].0.timestamp / 3000) as usize;
                prop_assert!(sizes[first].1 || first == 0, "play begins with a keyframe");
                prop_assert_eq!(got.len(), frames.len() - first);
            }
        }
    }
}

#[test]
fn a_start_wait_lets_an_h264_keyframes_parameter_sets_overtaken_by_its_slice_arrive() {
    use crate::codec::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
    let mut key = vec![
        0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
    ];
    key.extend_from_slice(&[0, 0, 0, 1, 0x65]);
    key.extend(std::iter::repeat_n(7u8, 3000));
    let mut ps = Vec::new();
    H264Packetizer::new(PacketizationMode::NonInterleaved)
        .packetize(&key, 1200, &mut |p, last| ps.push((p.to_vec(), last)))
        .unwrap();
    assert!(ps.len() >= 3, "a STAP-A, then FU-As");
    let now = t0();
    for wait in [Duration::ZERO, Duration::from_millis(50)] {
        let config = JitterConfig {
            start_wait: wait,
            ..JitterConfig::default()
        };
        let mut jb = JitterBuffer::new(config, H264Depacketizer::default());
        // The slice's fragments come first; the STAP-A of SPS and PPS 10 ms later.
        for (i, (p, last)) in ps.iter().enumerate().skip(1) {
            jb.insert(now, 100 + i as u16, 9000, *last, p);
        }
        let mut f = Vec::new();
        let at_once = jb.poll_frame(now, &mut f).is_some();
        jb.insert(now + Duration::from_millis(10), 100, 9000, false, &ps[0].0);
        if wait.is_zero() {
            // Without a wait the slice plays alone, and its parameter sets come late.
            assert!(at_once && f != key);
            assert_eq!(jb.stats().late, 1);
        } else {
            assert!(!at_once);
            assert_eq!(jb.poll_timeout(), Some(now + wait));
            assert!(
                jb.poll_frame(now + Duration::from_millis(10), &mut f)
                    .is_none()
            );
            let info = jb.poll_frame(now + wait, &mut f).expect("whole");
            assert!(info.keyframe && f == key);
        }
    }
}

/// An H.264 stream: keyframe, delta, keyframe, delta, keyframe (a keyframe is a STAP-A of
/// SPS and PPS, then the IDR slice in FU-As), 3,000 ticks apart from sequence number 500.
fn h264_stream() -> (Vec<Vec<u8>>, Vec<Packet>) {
    use crate::codec::h264::{H264Packetizer, PacketizationMode};
    let frames: Vec<Vec<u8>> = (0..5u8)
        .map(|n| {
            let key = n % 2 == 0;
            let mut f = Vec::new();
            if key {
                f.extend_from_slice(&[0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f]);
                f.extend_from_slice(&[0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80]);
            }
            f.extend_from_slice(&[0, 0, 0, 1, if key { 0x65 } else { 0x41 }]);
            f.extend(std::iter::repeat_n(n + 1, if key { 3000 } else { 500 }));
            f
        })
        .collect();
    let mut p = H264Packetizer::new(PacketizationMode::NonInterleaved);
    let mut ps = Vec::new();
    let mut seq = 500u16;
    for (i, f) in frames.iter().enumerate() {
        p.packetize(f, 1200, &mut |pl, last| {
            ps.push((seq, 3000 * i as u32, last, pl.to_vec()));
            seq += 1;
        })
        .unwrap();
    }
    (frames, ps)
}

#[test]
fn an_h264_keyframe_whose_stap_a_is_lost_is_not_played_from_its_fu_a_start() {
    use crate::codec::h264::{H264Depacketizer, nal};
    let (frames, ps) = h264_stream();
    // Frame 2's first packet: its STAP-A of SPS and PPS.
    let stap = ps.iter().position(|p| p.1 == 6000).unwrap();
    assert_eq!(ps[stap].3[0] & 0x1f, nal::STAP_A);
    assert_eq!(
        ps[stap + 1].3[0] & 0x1f,
        nal::FU_A,
        "the slice follows in FU-As"
    );
    let now = t0();
    let mut jb = JitterBuffer::new(JitterConfig::default(), H264Depacketizer::default());
    let mut got = Vec::new();
    let mut f = Vec::new();
    for (k, (seq, ts, m, p)) in ps.iter().enumerate() {
        if k != stap {
            jb.insert(now, *seq, *ts, *m, p);
        }
        while let Some(info) = jb.poll_frame(now, &mut f) {
            got.push((info, f.clone()));
        }
    }
    let late = now + JitterConfig::default().max_wait;
    jb.handle_timeout(late);
    while let Some(info) = jb.poll_frame(late, &mut f) {
        got.push((info, f.clone()));
    }
    // Frame 2 never comes out (not from its FU-A start, without its parameter sets);
    // frame 3 depends on it; frame 4, the next keyframe, plays.
    let stamps: Vec<u32> = got.iter().map(|(i, _)| i.timestamp).collect();
    assert_eq!(stamps, [0, 3000, 12_000]);
    for (info, out) in &got {
        assert_eq!(out, &frames[(info.timestamp / 3000) as usize]);
    }
    let ev: Vec<Event> = std::iter::from_fn(|| jb.poll_event()).collect();
    assert_eq!(
        ev[..2],
        [
            Event::FrameDropped {
                timestamp: Some(6000),
                reason: DropReason::Incomplete { missing: 1 }
            },
            Event::KeyframeNeeded(KeyframeReason::FrameDropped),
        ]
    );
    assert!(ev[2..].iter().all(|e| matches!(
        e,
        Event::FrameDropped {
            timestamp: Some(9000),
            reason: DropReason::WaitingForKeyframe
        }
    )));

    // The same STAP-A brought back in time (a NACK answered): frame 2 plays whole.
    let mut jb = JitterBuffer::new(JitterConfig::default(), H264Depacketizer::default());
    for (k, (seq, ts, m, p)) in ps.iter().enumerate() {
        if k != stap {
            jb.insert(now, *seq, *ts, *m, p);
        }
    }
    let soon = now + Duration::from_millis(100);
    let (seq, ts, m, p) = &ps[stap];
    jb.insert(soon, *seq, *ts, *m, p);
    let mut out = Vec::new();
    while let Some(info) = jb.poll_frame(soon, &mut f) {
        out.push((info.timestamp, f.clone()));
    }
    assert_eq!(out.len(), 5);
    assert_eq!(out[2], (6000, frames[2].clone()));
}

/// Found by the media_depacketize_* fuzz targets ("a deadline stays due"): a start wait
/// begun for a keyframe at the lowest packet outlived it when an earlier packet came and
/// left the keyframe after a gap (no longer a start), and its deadline stayed due.
#[test]
fn a_start_wait_ends_when_its_keyframe_no_longer_qualifies_and_no_deadline_stays_due() {
    let frames = [vp8_frame(0, 500, false), vp8_frame(1, 500, true)];
    let inter = &packets(&frames[..1], 8)[0];
    let key = &packets(&frames[1..], 10)[0];
    let now = t0();
    let config = JitterConfig {
        start_wait: Duration::from_millis(50),
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config, Vp8Depacketizer::default());
    let mut f = Vec::new();
    jb.insert(now, key.0, 9000, key.2, &key.3);
    assert!(jb.poll_frame(now, &mut f).is_none(), "the keyframe waits");
    assert_eq!(jb.poll_timeout(), Some(now + Duration::from_millis(50)));
    // Sequence number 8 comes: 9 is missing before the keyframe, which may have begun there.
    jb.insert(now, inter.0, 3000, inter.2, &inter.3);
    assert!(jb.poll_frame(now, &mut f).is_none());
    let mut t = now;
    for _ in 0..4 {
        let Some(due) = jb.poll_timeout() else { break };
        t = t.max(due);
        jb.handle_timeout(t);
        assert!(
            jb.poll_frame(t, &mut f).is_none(),
            "not played after the gap"
        );
        assert!(
            jb.poll_timeout().is_none_or(|d| d > t),
            "a deadline stays due"
        );
    }
}
