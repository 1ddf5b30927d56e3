//! Frame mode between two wren-rtc peers on wren-netsim, negotiated with SDP (audio and
//! video both ways): frames written on one side come out whole, in order and unchanged on
//! the other; with loss, the peer connection's NACK/RTX brings the packets back and the
//! jitter buffer completes the frames; a keyframe request reaches the sender as an event;
//! the congestion controller hears transport-wide feedback and sets a target.

use std::time::{Duration, Instant};

use wren_media::peer::{Event, Frame, MediaCodec, MediaConfig, MediaPeer, testing};
use wren_netsim::{LinkConfig, NodeId, Sim};

struct Call {
    sim: Sim,
    nodes: [NodeId; 2],
    seen: [Vec<Event>; 2],
}

impl Call {
    fn new(seed: u64, links: [LinkConfig; 2]) -> Call {
        let (sim, nodes, seen) =
            testing::call(seed, links, MediaConfig::default()).expect("a connected call");
        Call { sim, nodes, seen }
    }

    fn run_for(&mut self, d: Duration) {
        self.sim.run_for(d);
        for i in 0..2 {
            let events = self.sim.events::<MediaPeer>(self.nodes[i]);
            self.seen[i].extend(events);
        }
    }

    fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut MediaPeer, Instant) -> R) -> R {
        self.sim.with(self.nodes[i], f)
    }

    fn frames(&self, i: usize, codec: MediaCodec) -> Vec<&Frame> {
        self.seen[i]
            .iter()
            .filter_map(|e| match e {
                Event::Frame(f) if f.codec == codec => Some(f),
                _ => None,
            })
            .collect()
    }
}

/// A VP8 frame of `len` bytes: its first byte's low bit says keyframe (RFC 7741 section
/// 4.3: P = 0), the rest numbers it.
fn vp8_frame(n: u32, len: usize, key: bool) -> Vec<u8> {
    let mut f: Vec<u8> = (0..len)
        .map(|i| (i as u32 ^ n.wrapping_mul(31)) as u8)
        .collect();
    f[0] = if key { 0x10 } else { 0x11 };
    f[1..5].copy_from_slice(&n.to_be_bytes());
    f
}

/// An Opus packet: a 20 ms CELT TOC byte, then its number.
fn opus_frame(n: u32) -> Vec<u8> {
    let mut f = vec![0x78];
    f.extend_from_slice(&n.to_be_bytes());
    f.extend((0..60).map(|i| (i ^ n) as u8));
    f
}

/// The sections: audio first, video second (as offered).
fn mids(call: &mut Call, i: usize) -> (String, String) {
    call.with(i, |p, _| {
        let mut s = p.sending();
        let (a, ca) = s.next().expect("an audio track");
        let (v, cv) = s.next().expect("a video track");
        assert_eq!((ca, cv), (MediaCodec::Opus, MediaCodec::Vp8));
        (a.to_owned(), v.to_owned())
    })
}

/// Sends `seconds` of 30 fps VP8 (a keyframe each 3 s and when the receiver asks, as an
/// encoder would; frames of 2-9 KB) and 50 Hz Opus from peer 0 to peer 1.
fn send_media(call: &mut Call, seconds: u32) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (audio, video) = mids(call, 0);
    let (mut sent_v, mut sent_a) = (Vec::new(), Vec::new());
    let start = call.sim.now();
    let mut read = call.seen[0].len();
    let mut want_key = false;
    for tick in 0..seconds * 150 {
        want_key |= call.seen[0][read..]
            .iter()
            .any(|e| matches!(e, Event::KeyframeRequest { mid } if *mid == video));
        read = call.seen[0].len();
        // 150 ticks a second: video on every fifth, audio on every third.
        let pts = Duration::from_micros(u64::from(tick) * 1_000_000 / 150);
        if tick % 5 == 0 {
            let n = tick / 5;
            let f = vp8_frame(n, 2000 + (n as usize * 733) % 7000, n % 90 == 0 || want_key);
            want_key = false;
            call.with(0, |p, now| p.write_frame(now, &video, pts, &f))
                .expect("video frame queued");
            sent_v.push(f);
        }
        if tick % 3 == 0 {
            let f = opus_frame(tick / 3);
            call.with(0, |p, now| p.write_frame(now, &audio, pts, &f))
                .expect("audio frame queued");
            sent_a.push(f);
        }
        let next = start + pts + Duration::from_micros(1_000_000 / 150);
        let d = next.saturating_duration_since(call.sim.now());
        call.run_for(d);
    }
    // Let the last frames and their retransmissions arrive.
    call.run_for(Duration::from_secs(2));
    (sent_v, sent_a)
}

#[test]
fn frames_written_on_one_side_come_out_whole_and_in_order_on_the_other() {
    let link = LinkConfig::default().with_delay(Duration::from_millis(20));
    let mut call = Call::new(7, [link, link]);
    let (sent_v, sent_a) = send_media(&mut call, 4);
    let video: Vec<&[u8]> = call
        .frames(1, MediaCodec::Vp8)
        .iter()
        .map(|f| &f.data[..])
        .collect();
    let audio: Vec<&[u8]> = call
        .frames(1, MediaCodec::Opus)
        .iter()
        .map(|f| &f.data[..])
        .collect();
    println!(
        "video {}/{} frames, audio {}/{}",
        video.len(),
        sent_v.len(),
        audio.len(),
        sent_a.len()
    );
    assert_eq!(video, sent_v.iter().map(|f| &f[..]).collect::<Vec<_>>());
    assert_eq!(audio, sent_a.iter().map(|f| &f[..]).collect::<Vec<_>>());
    // Media time is the sender's: frame n of video at n/30 s.
    let frames = call.frames(1, MediaCodec::Vp8);
    assert_eq!(frames[30].pts, Duration::from_secs(1));
    assert!(frames[0].keyframe && !frames[1].keyframe);
    let stats = call.with(0, |p, _| p.stats());
    assert!(
        stats.feedback > 0,
        "transport-wide feedback reached the controller: {stats:?}"
    );
    assert!(stats.gcc.packets_sent >= stats.packets_sent, "{stats:?}");
    assert!(
        call.seen[0]
            .iter()
            .any(|e| matches!(e, Event::TargetBitrate { .. })),
        "a target bitrate was set"
    );
}

#[test]
fn with_ten_percent_loss_every_video_frame_from_the_first_keyframe_comes_whole() {
    let link = LinkConfig::default().with_delay(Duration::from_millis(20));
    let mut call = Call::new(11, [link.with_loss(0.10), link]);
    let (sent_v, sent_a) = send_media(&mut call, 4);
    let rtc = call.with(1, |p, _| p.rtc().media_stats());
    let video: Vec<&[u8]> = call
        .frames(1, MediaCodec::Vp8)
        .iter()
        .map(|f| &f.data[..])
        .collect();
    let audio = call.frames(1, MediaCodec::Opus).len();
    let v = rtc
        .inbound
        .iter()
        .find(|s| s.kind == wren_rtc::MediaKind::Video)
        .unwrap();
    let a = rtc
        .inbound
        .iter()
        .find(|s| s.kind == wren_rtc::MediaKind::Audio)
        .unwrap();
    println!(
        "video {}/{} frames ({} packets recovered by RTX); audio {audio}/{} frames, {} packets lost",
        video.len(),
        sent_v.len(),
        v.packets_recovered,
        sent_a.len(),
        a.packets_lost
    );
    assert!(
        v.packets_recovered > 0,
        "the link lost video and RTX brought it back"
    );
    // A stream whose first packets are lost is unknown to the receiver until one comes:
    // it starts at the next keyframe it asks for. From there, every frame.
    assert!(video.len() >= sent_v.len() / 2, "{} frames", video.len());
    let first = sent_v.len() - video.len();
    assert_eq!(
        video,
        sent_v[first..].iter().map(|f| &f[..]).collect::<Vec<_>>()
    );
    // Audio is not retransmitted: each packet that came is a frame, none held back.
    assert_eq!(audio as u64, a.packets_received);
    assert!(audio < sent_a.len(), "the link lost audio too");
}

#[test]
fn a_keyframe_request_from_the_receiver_reaches_the_sender_as_an_event() {
    let link = LinkConfig::default().with_delay(Duration::from_millis(10));
    let mut call = Call::new(3, [link, link]);
    let (_, video) = mids(&mut call, 0);
    // Only delta frames: the receiver waits for a keyframe and asks for one.
    for n in 1..20u32 {
        let f = vp8_frame(n, 3000, false);
        let pts = Duration::from_millis(u64::from(n) * 33);
        call.with(0, |p, now| p.write_frame(now, &video, pts, &f))
            .unwrap();
        call.run_for(Duration::from_millis(33));
    }
    call.run_for(Duration::from_millis(500));
    assert!(
        call.frames(1, MediaCodec::Vp8).is_empty(),
        "no keyframe, no frame"
    );
    assert!(
        call.seen[0]
            .iter()
            .any(|e| matches!(e, Event::KeyframeRequest { mid } if *mid == video)),
        "the sender was asked for a keyframe"
    );
}

#[test]
fn a_frame_for_a_section_we_do_not_send_in_is_refused_by_name() {
    let link = LinkConfig::default();
    let mut call = Call::new(5, [link, link]);
    let err = call
        .with(0, |p, now| {
            p.write_frame(now, "nope", Duration::ZERO, &[1, 2, 3])
        })
        .unwrap_err();
    assert_eq!(err, wren_media::peer::FrameError::NoTrack("nope".into()));
    assert!(err.to_string().contains("\"nope\""));
}
