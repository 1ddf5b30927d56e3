//! Counting allocator: in frame mode, once warm, a call's media path allocates nothing per
//! packet: frames written on one side (packetized, paced, numbered for transport-wide
//! feedback, protected) and read on the other (unprotected, through the jitter buffer,
//! assembled into the caller's buffer with `poll_frame`), with the RTCP, feedback and the
//! congestion controller in the loop. Two peers are wired back to back in memory
//! (`wren_media::peer::testing::Wire`), so that nothing but the peers runs inside the
//! count.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_alloc_count::allocations_during;
use wren_dtls::identity::Identity;
use wren_media::peer::testing::Wire;
use wren_media::peer::{MediaCodec, MediaConfig, MediaPeer, ReceivedFrame};
use wren_rtc::{Config, DtlsRole, Peer};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

fn peer(now: Instant, ip: [u8; 4], seed: u8) -> MediaPeer {
    let identity = Arc::new(Identity::generate().unwrap());
    let mut c = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec![IpAddr::from(ip)],
        identity,
    );
    c.rng_seed = Some([seed; 32]);
    let mut rtc = Peer::new(now, c);
    rtc.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    rtc.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    let config = MediaConfig {
        frame_events: false,
        ..MediaConfig::default()
    };
    MediaPeer::new(now, rtc, config, u64::from(seed))
}

/// What the test reads: frames per peer (codec, bytes), while `record` is on (the record
/// is the test's own allocation, so it is off while counting).
struct Read {
    frames: [Vec<(MediaCodec, usize)>; 2],
    record: bool,
}

impl Read {
    fn frame(&mut self, i: usize, f: ReceivedFrame, bytes: &[u8]) {
        if self.record {
            self.frames[i].push((f.codec, bytes.len()));
        }
    }
}

/// `seconds` of 30 fps VP8 (5 KB frames, a keyframe each second) and 50 Hz Opus from
/// peer 0 to peer 1, one 10 ms step at a time.
fn media(
    w: &mut Wire,
    read: &mut Read,
    mids: &(String, String),
    video: &mut [u8],
    from: u32,
    seconds: u32,
) {
    let audio = [0x78u8; 80];
    for tick in from * 300..(from + seconds) * 300 {
        // 300 ticks a second (3.33 ms): video each tenth, audio each sixth.
        let pts = Duration::from_micros(u64::from(tick) * 10_000 / 3);
        if tick % 10 == 0 {
            video[0] = if tick % 300 == 0 { 0x10 } else { 0x11 };
            let now = w.now;
            w.peers[0].write_frame(now, &mids.1, pts, video).unwrap();
        }
        if tick % 6 == 0 {
            let now = w.now;
            w.peers[0].write_frame(now, &mids.0, pts, &audio).unwrap();
        }
        let until = w.now + Duration::from_micros(10_000 / 3);
        w.run_until(until, &mut |i, f, bytes| read.frame(i, f, bytes));
    }
}

#[test]
fn frame_mode_allocates_nothing_per_packet_once_warm() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let now = Instant::now();
    let mut w = Wire::new(
        now,
        [peer(now, [10, 0, 0, 1], 1), peer(now, [10, 0, 0, 2], 2)],
    );
    w.negotiate().unwrap();
    assert!(w.connect(Duration::from_secs(10)), "not connected");
    let mut read = Read {
        frames: [Vec::new(), Vec::new()],
        record: true,
    };
    let mids = {
        let mut s = w.peers[0].sending();
        let a = s.next().unwrap().0.to_owned();
        let v = s.next().unwrap().0.to_owned();
        (a, v)
    };
    let mut video = vec![0x55u8; 5000];
    // Warm: every buffer, queue and history grows to its working size.
    media(&mut w, &mut read, &mids, &mut video, 0, 5);
    let warm = read.frames[1].len();
    assert!(warm > 300, "frames flow: {warm}");
    // Measured: 10 s more (ICE consent checks, RTCP reports and feedback included),
    // without recording (the record is the test's, not the peers').
    read.record = false;
    let sent_before = w.peers[0].stats().packets_sent;
    let got_before = w.peers[1].stats().frames_received;
    let allocations = allocations_during(|| media(&mut w, &mut read, &mids, &mut video, 5, 10));
    let sent = w.peers[0].stats().packets_sent - sent_before;
    let got = w.peers[1].stats().frames_received - got_before;
    let feedback = w.peers[0].stats().feedback;
    let consent = w.peers[0].rtc().ice().stats().checks_sent;
    println!(
        "{allocations} allocations for {sent} packets sent, {got} frames read; {feedback} feedback packets, {consent} ICE checks in all"
    );
    // 10 s: 300 video frames of 5 packets, 500 audio frames.
    assert!(sent >= 2_000 && got == 800, "{sent} packets, {got} frames");
    assert!(feedback > 20, "transport-wide feedback was in the loop");
    assert_eq!(allocations, 0);
    // Every frame read was whole: 5,000 bytes of video or 80 of audio.
    assert!(
        read.frames[1]
            .iter()
            .all(|&(c, n)| n == if c == MediaCodec::Vp8 { 5000 } else { 80 })
    );
}
