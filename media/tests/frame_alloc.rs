//! Counting allocator: in frame mode, once warm, a call's media path allocates nothing per
//! packet: frames written on one side (packetized, paced, numbered for transport-wide
//! feedback, protected) and read on the other (unprotected, through the jitter buffer,
//! assembled into the caller's buffer with `poll_frame`), with the RTCP, feedback and the
//! congestion controller in the loop. Two peers are wired back to back in memory, so
//! that nothing but the peers runs inside the count.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_alloc_count::allocations_during;
use wren_core::{Datagram, Machine, SocketRequest, SocketResult};
use wren_dtls::identity::Identity;
use wren_media::peer::{Event, MediaCodec, MediaConfig, MediaPeer};
use wren_rtc::{Config, DtlsRole, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

/// Two peers, their sockets, a transmit buffer and a frame buffer kept warm.
struct Wire {
    now: Instant,
    peers: [MediaPeer; 2],
    owners: HashMap<SocketAddr, usize>,
    next_port: u16,
    buf: Vec<u8>,
    frame: Vec<u8>,
    connected: [bool; 2],
    /// Frames read on each side: (codec, bytes).
    frames: [Vec<(MediaCodec, usize)>; 2],
    record: bool,
}

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

impl Wire {
    /// Delivers everything pending until nothing moves (binds granted, datagrams
    /// delivered, candidates trickled, frames read).
    fn drain(&mut self) {
        let now = self.now;
        loop {
            let mut moved = false;
            for i in 0..2 {
                while let Some(req) = self.peers[i].poll_socket_request() {
                    moved = true;
                    if let SocketRequest::Bind {
                        addr, transport, ..
                    } = req
                    {
                        self.next_port += 1;
                        let bound = SocketAddr::new(addr.ip(), self.next_port);
                        self.owners.insert(bound, i);
                        self.peers[i].handle_socket_result(
                            now,
                            SocketResult::of_bind(addr, transport, Ok(bound)),
                        );
                    }
                }
                self.buf.clear();
                while let Some(t) = self.peers[i].poll_transmit(now, &mut self.buf) {
                    moved = true;
                    if let (Some(&j), Some(src)) = (self.owners.get(&t.destination), t.source) {
                        let d = Datagram::udp(src, t.destination, &self.buf);
                        self.peers[j].handle_datagram(now, d);
                    }
                    self.buf.clear();
                }
                while let Some(e) = self.peers[i].poll_event() {
                    moved = true;
                    match e {
                        Event::Rtc(wren_rtc::Event::LocalCandidate(c)) => {
                            let _ = self.peers[1 - i].rtc_mut().add_remote_candidate(now, c);
                        }
                        Event::Rtc(wren_rtc::Event::Connected { .. }) => self.connected[i] = true,
                        _ => {}
                    }
                }
                while let Some(f) = self.peers[i].poll_frame(now, &mut self.frame) {
                    moved = true;
                    if self.record {
                        self.frames[i].push((f.codec, self.frame.len()));
                    }
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Runs until `until`, timer by timer.
    fn run_until(&mut self, until: Instant) {
        loop {
            self.drain();
            let next = self.peers.iter().filter_map(Machine::poll_timeout).min();
            match next {
                Some(t) if t <= until => {
                    self.now = t.max(self.now);
                    for p in &mut self.peers {
                        if p.poll_timeout().is_some_and(|t| t <= self.now) {
                            p.handle_timeout(self.now);
                        }
                    }
                }
                _ => {
                    self.now = until.max(self.now);
                    return;
                }
            }
        }
    }
}

/// `seconds` of 30 fps VP8 (5 KB frames, a keyframe each second) and 50 Hz Opus from
/// peer 0 to peer 1, one 10 ms step at a time.
fn media(w: &mut Wire, mids: &(String, String), video: &mut [u8], from: u32, seconds: u32) {
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
        w.run_until(until);
    }
}

#[test]
fn frame_mode_allocates_nothing_per_packet_once_warm() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let now = Instant::now();
    let mut w = Wire {
        now,
        peers: [peer(now, [10, 0, 0, 1], 1), peer(now, [10, 0, 0, 2], 2)],
        owners: HashMap::new(),
        next_port: 50_000,
        buf: Vec::with_capacity(2048),
        frame: Vec::with_capacity(64 * 1024),
        connected: [false; 2],
        frames: [Vec::new(), Vec::new()],
        record: true,
    };
    let offer = w.peers[0].rtc_mut().create_offer(now).unwrap();
    let offer = SessionDescription {
        kind: SdpType::Offer,
        sdp: offer,
    };
    w.peers[1]
        .rtc_mut()
        .set_remote_description(now, &offer)
        .unwrap();
    let answer = w.peers[1].rtc_mut().create_answer(now).unwrap();
    let answer = SessionDescription {
        kind: SdpType::Answer,
        sdp: answer,
    };
    w.peers[0]
        .rtc_mut()
        .set_remote_description(now, &answer)
        .unwrap();
    let end = now + Duration::from_secs(10);
    while w.connected != [true; 2] {
        assert!(w.now < end, "not connected");
        let until = w.now + Duration::from_millis(5);
        w.run_until(until);
    }
    let mids = {
        let mut s = w.peers[0].sending();
        let a = s.next().unwrap().0.to_owned();
        let v = s.next().unwrap().0.to_owned();
        (a, v)
    };
    let mut video = vec![0x55u8; 5000];
    // Warm: every buffer, queue and history grows to its working size.
    media(&mut w, &mids, &mut video, 0, 5);
    let warm = w.frames[1].len();
    assert!(warm > 300, "frames flow: {warm}");
    // Measured: 10 s more (ICE consent checks, RTCP reports and feedback included),
    // without recording (the record is the test's, not the peers').
    w.record = false;
    let sent_before = w.peers[0].stats().packets_sent;
    let got_before = w.peers[1].stats().frames_received;
    let allocations = allocations_during(|| media(&mut w, &mids, &mut video, 5, 10));
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
        w.frames[1]
            .iter()
            .all(|&(c, n)| n == if c == MediaCodec::Vp8 { 5000 } else { 80 })
    );
}
