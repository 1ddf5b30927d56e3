//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::codec::av1::{Av1Depacketizer, is_keyframe as av1_key};
use crate::codec::h264::{H264Depacketizer, is_keyframe as h264_key};
use crate::codec::vp8::{Vp8Depacketizer, is_keyframe as vp8_key};
use crate::codec::vp9::{Vp9Depacketizer, is_keyframe as vp9_key};
use crate::codec::{Depacketizer, MAX_FRAME, g711, opus};

/// `media_depacketize`: the first byte picks the codec, the rest is cut into payloads at
/// each `0xff 0xfe` pair; each payload goes to the depacketizer and the keyframe check.
/// Must never panic, and a frame never grows past [`MAX_FRAME`].
pub fn depacketize(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let mut d: Box<dyn Depacketizer> = match which % 6 {
        0 => Box::new(Vp8Depacketizer::default()),
        1 => Box::new(H264Depacketizer::default()),
        2 => Box::new(opus::OpusDepacketizer),
        3 => Box::new(Vp9Depacketizer::default()),
        4 => Box::new(Av1Depacketizer::default()),
        _ => Box::new(g711::G711Depacketizer),
    };
    let mut frame = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i <= rest.len() {
        let cut = i == rest.len() || (rest[i] == 0xff && rest.get(i + 1) == Some(&0xfe));
        if cut {
            let payload = &rest[start..i];
            let _ = vp8_key(payload)
                | vp9_key(payload)
                | h264_key(payload)
                | av1_key(payload)
                | d.is_frame_start(payload);
            if d.push(payload, &mut frame).is_err() {
                d.reset();
            }
            assert!(frame.len() <= MAX_FRAME);
            start = i + 2;
            i += 2;
        } else {
            i += 1;
        }
    }
}

/// `media_depacketize_vp8`: see [`depacketize_codec`].
pub fn depacketize_vp8(data: &[u8]) {
    depacketize_codec(data, Vp8Depacketizer::default);
}

/// `media_depacketize_vp9`: see [`depacketize_codec`].
pub fn depacketize_vp9(data: &[u8]) {
    depacketize_codec(data, Vp9Depacketizer::default);
}

/// `media_depacketize_h264`: see [`depacketize_codec`].
pub fn depacketize_h264(data: &[u8]) {
    depacketize_codec(data, H264Depacketizer::default);
}

/// `media_depacketize_av1`: see [`depacketize_codec`].
pub fn depacketize_av1(data: &[u8]) {
    depacketize_codec(data, Av1Depacketizer::default);
}

/// `media_depacketize_opus`: see [`depacketize_codec`].
pub fn depacketize_opus(data: &[u8]) {
    depacketize_codec(data, || opus::OpusDepacketizer);
}

/// `media_depacketize_g711`: see [`depacketize_codec`].
pub fn depacketize_g711(data: &[u8]) {
    depacketize_codec(data, || g711::G711Depacketizer);
}

/// One packet of a [`depacketize_codec`] script.
struct ScriptPacket<'a> {
    seq: u16,
    timestamp: u32,
    marker: bool,
    /// Milliseconds to the next packet.
    step_ms: u64,
    payload: &'a [u8],
}

/// A script of packets: each is 6 bytes (sequence number step as an `i8` from the last,
/// so packets come lost, reordered or twice; timestamp step in 960s, backwards when
/// flag bit 1 is set; flags, bit 0 the marker; payload length, 16 bits big-endian; time
/// step in 4 ms) and then the payload (shorter where the data ends).
fn script(mut data: &[u8]) -> Vec<ScriptPacket<'_>> {
    let mut out = Vec::new();
    let (mut seq, mut timestamp) = (0u16, 0u32);
    while let Some((h, rest)) = data.split_first_chunk::<6>() {
        let len = usize::from(u16::from_be_bytes([h[3], h[4]])).min(rest.len());
        let (payload, after) = rest.split_at(len);
        data = after;
        seq = seq.wrapping_add_signed(i16::from(h[0] as i8));
        let step = u32::from(h[1]) * 960;
        timestamp = if h[2] & 2 != 0 {
            timestamp.wrapping_sub(step)
        } else {
            timestamp.wrapping_add(step)
        };
        out.push(ScriptPacket {
            seq,
            timestamp,
            marker: h[2] & 1 != 0,
            step_ms: u64::from(h[5]) * 4,
            payload,
        });
    }
    out
}

/// A per-codec target: the first byte picks the jitter buffer's settings (NACK on or off,
/// a start wait), the rest is a script of packets (see `script`). The payloads go, in
/// script order, into the codec's depacketizer (reset after a refusal and after a marker)
/// with its frame-start and keyframe checks; then the packets go, with their sequence numbers,
/// timestamps, markers and time steps, into a jitter buffer with a fresh depacketizer of
/// the codec, polled for frames, NACKs, events and deadlines after each. Must never
/// panic or spin; frames never pass [`MAX_FRAME`], a frame handed out spans the packets
/// it says, and no deadline stays due once handled.
pub fn depacketize_codec<D: Depacketizer>(data: &[u8], make: impl Fn() -> D) {
    use crate::jitter::{JitterBuffer, JitterConfig};
    use std::time::{Duration, Instant};
    let Some((&settings, rest)) = data.split_first() else {
        return;
    };
    let packets = script(rest);
    let mut d = make();
    let mut frame = Vec::new();
    for p in &packets {
        let _ = d.is_frame_start(p.payload) | d.is_keyframe(p.payload) | d.single_packet_frames();
        if d.push(p.payload, &mut frame).is_err() {
            d.reset();
            frame.clear();
        }
        assert!(frame.len() <= MAX_FRAME);
        if p.marker {
            d.reset();
            frame.clear();
        }
    }
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let config = JitterConfig {
        capacity: 64,
        max_missing: 16,
        nack: settings & 1 != 0,
        start_wait: Duration::from_millis(u64::from(settings >> 1) * 4),
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config, make());
    let mut nacks = Vec::new();
    for p in &packets {
        jb.insert(now, p.seq, p.timestamp, p.marker, p.payload);
        now += Duration::from_millis(p.step_ms);
        for _ in 0..2 {
            if jb.poll_timeout().is_some_and(|t| t <= now) {
                jb.handle_timeout(now);
            }
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
            while let Some(info) = jb.poll_frame(now, &mut frame) {
                assert!(frame.len() <= MAX_FRAME);
                assert_eq!(
                    info.last_seq.wrapping_sub(info.first_seq).wrapping_add(1),
                    info.packets
                );
            }
            while jb.poll_event().is_some() {}
        }
        assert!(
            jb.poll_timeout().is_none_or(|t| t > now),
            "a deadline stays due"
        );
    }
}

/// `media_dependency_descriptor`: arbitrary bytes cut into descriptors at each `0xff 0xfe`
/// pair, read in order by one reader (so later ones resolve against a structure an
/// earlier one brought). Must never panic; a descriptor read resolves to a template of
/// the structure in force, with one DTI per decode target; one refused leaves the
/// structure as it was.
pub fn dependency_descriptor(data: &[u8]) {
    use crate::codec::dependency_descriptor::{DescriptorReader, MandatoryFields};
    let mut reader = DescriptorReader::new();
    for ext in cut(data) {
        let mandatory = MandatoryFields::parse(ext);
        let before = reader.structure().cloned();
        match reader.read(ext) {
            Ok(d) => {
                assert_eq!(Ok(d.mandatory), mandatory);
                let s = reader
                    .structure()
                    .expect("a descriptor read has a structure");
                assert!(s.template(d.mandatory.template_id).is_some());
                assert_eq!(d.frame.dtis.len(), s.decode_targets());
                assert_eq!(d.frame.chain_diffs.as_slice().len(), s.chains());
            }
            Err(_) => assert!(reader.structure().cloned() == before),
        }
    }
}

/// `data` cut at each `0xff 0xfe` pair (the pair dropped).
fn cut(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(2).position(|w| w == [0xff, 0xfe]) {
            Some(at) => {
                rest = r.get(at + 2..);
                Some(&r[..at])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `media_jitter`: a VP8 jitter buffer fed a script of packets (6 bytes each: sequence
/// number, timestamp step, marker and frame-start flags, payload length, time step) and
/// polled after each. Must never panic, spin (a due deadline clears) or hand out a
/// frame larger than what was put in.
pub fn jitter(data: &[u8]) {
    use crate::jitter::{JitterBuffer, JitterConfig};
    use std::time::{Duration, Instant};
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let config = JitterConfig {
        capacity: 64,
        max_missing: 16,
        ..JitterConfig::default()
    };
    let mut jb = JitterBuffer::new(config, Vp8Depacketizer::default());
    let mut frame = Vec::new();
    let mut nacks = Vec::new();
    let mut payload = [0u8; 64];
    let mut put_in = 0usize;
    for op in data.chunks_exact(6) {
        let seq = u16::from_be_bytes([op[0], op[1]]);
        let ts = u32::from(op[2]) * 3000;
        let flags = op[3];
        let len = usize::from(op[4] % 64).max(2);
        // A VP8 descriptor: S when flags say so, and a keyframe bit.
        payload[0] = if flags & 1 != 0 { 0x10 } else { 0x00 };
        payload[1] = flags >> 2;
        jb.insert(now, seq, ts, flags & 2 != 0, &payload[..len]);
        put_in += len;
        now += Duration::from_millis(u64::from(op[5]) * 4);
        if jb.poll_timeout().is_some_and(|t| t <= now) {
            jb.handle_timeout(now);
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
        }
        while jb.poll_frame(now, &mut frame).is_some() {
            assert!(frame.len() <= put_in);
        }
        while jb.poll_event().is_some() {}
        if let Some(t) = jb.poll_timeout()
            && t <= now
        {
            jb.handle_timeout(now);
            nacks.clear();
            jb.poll_nacks(now, &mut nacks);
            while jb.poll_frame(now, &mut frame).is_some() {}
            assert!(
                jb.poll_timeout().is_none_or(|t| t > now),
                "a deadline stays due"
            );
        }
    }
}

/// `media_files`: arbitrary bytes as an IVF file and as an Ogg Opus file, every frame and
/// packet read to the end. Must never panic; a read error ends the file.
pub fn files(data: &[u8]) {
    use crate::file::ivf::IvfReader;
    use crate::file::ogg::OggOpusReader;
    let mut buf = Vec::new();
    if let Ok(mut r) = IvfReader::new(data) {
        while let Ok(Some(_)) = r.next_frame(&mut buf) {}
    }
    if let Ok(mut r) = OggOpusReader::new(data) {
        while let Ok(Some(_)) = r.next_packet(&mut buf) {}
    }
}

/// `media_gcc`: the congestion controller fed a script: packets sent, feedback as RTCP
/// bytes (any bytes; those that parse as transport-wide CC feedback are handled) or
/// built from the script (any sequence numbers, reference times and deltas), time
/// steps, REMB, RTT and probe requests. Must never panic, and the target stays within
/// the configured bounds.
pub fn gcc(data: &[u8]) {
    use crate::cc::{Event, Gcc, GccConfig, ProbeClusterId};
    use std::time::{Duration, Instant};
    use wren_rtp::rtcp::{RtcpPacket, TransportFeedback, TwccPacket, TwccPackets};

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let config = GccConfig::default();
    let (min, max) = (config.min_bitrate_bps, config.max_bitrate_bps);
    let mut gcc = Gcc::new(now, config);
    let mut list = Vec::new();
    let mut rest = data;
    let take = |rest: &mut &[u8], n: usize| -> Option<Vec<u8>> {
        let (head, tail) = rest.split_at_checked(n)?;
        *rest = tail;
        Some(head.to_vec())
    };
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 7 {
            0 => {
                let Some(b) = take(&mut rest, 4) else { break };
                let probe = (b[3] & 1 != 0).then_some(ProbeClusterId(u32::from(b[3] >> 1)));
                gcc.handle_packet_sent(
                    now,
                    u16::from_be_bytes([b[0], b[1]]),
                    usize::from(b[2]) * 8,
                    probe,
                );
            }
            1 => {
                let Some(n) = take(&mut rest, 1) else { break };
                let Some(bytes) = take(&mut rest, usize::from(n[0])) else {
                    break;
                };
                if let Ok((p, _)) = RtcpPacket::parse_first(&bytes)
                    && let Ok(fb) = TransportFeedback::parse(&p)
                {
                    gcc.handle_feedback(now, &fb);
                }
            }
            2 => {
                let Some(h) = take(&mut rest, 6) else { break };
                let base = u16::from_be_bytes([h[0], h[1]]);
                let reference = (i32::from_be_bytes([h[2], h[3], h[4], 0])) >> 8;
                list.clear();
                for i in 0..u16::from(h[5]) {
                    let Some(d) = take(&mut rest, 2) else { break };
                    let v = i16::from_be_bytes([d[0], d[1]]);
                    list.push(TwccPacket {
                        seq: base.wrapping_add(i),
                        delta: (v != i16::MIN).then_some(v),
                    });
                }
                let fb = TransportFeedback {
                    sender_ssrc: 1,
                    media_ssrc: 2,
                    base_seq: base,
                    reference_time: reference,
                    fb_count: 0,
                    packets: TwccPackets::List(&list),
                };
                gcc.handle_feedback(now, &fb);
            }
            3 => {
                let Some(b) = take(&mut rest, 1) else { break };
                now += Duration::from_millis(u64::from(b[0]) * 16);
            }
            4 => {
                let Some(b) = take(&mut rest, 4) else { break };
                gcc.handle_remb(
                    now,
                    u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])) << 4,
                );
            }
            5 => {
                let Some(b) = take(&mut rest, 1) else { break };
                gcc.set_rtt(Duration::from_millis(u64::from(b[0]) * 8));
            }
            _ => {
                let Some(b) = take(&mut rest, 1) else { break };
                gcc.request_probe(now, u64::from(b[0]) * 100_000);
            }
        }
        while let Some(e) = gcc.poll_event() {
            if let Event::TargetBitrate { bps, .. } = e {
                assert!((min..=max).contains(&bps), "target {bps} out of bounds");
            }
        }
        assert!((min..=max).contains(&gcc.target_bitrate()));
    }
}

/// `media_pacer`: the pacer fed a script of pushes (any size and priority), rates,
/// probe clusters and time steps, drained after each. Must never panic, release more
/// than was queued, or leave a deadline due after draining.
pub fn pacer(data: &[u8]) {
    use crate::cc::{ProbeCluster, ProbeClusterId};
    use crate::pacer::{Paced, Pacer, PacerConfig, Priority};
    use std::time::{Duration, Instant};

    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let mut pacer = Pacer::new(
        now,
        PacerConfig {
            queue_capacity: 16,
            ..PacerConfig::default()
        },
    );
    let (mut queued, mut released) = (0u64, 0u64);
    for op in data.chunks_exact(4) {
        let v = u16::from_be_bytes([op[1], op[2]]);
        match op[0] % 6 {
            0 | 1 => {
                let priority = Priority::ALL[usize::from(op[3]) % 3];
                if pacer.push(now, queued, usize::from(v), priority).is_ok() {
                    queued += 1;
                }
            }
            2 => pacer.set_pacing_rate(now, u64::from(v) * 1000),
            3 => pacer.set_padding_rate(now, u64::from(v) * 100),
            4 => {
                let _ = pacer.add_probe(
                    now,
                    ProbeCluster {
                        id: ProbeClusterId(u32::from(op[3])),
                        bitrate_bps: u64::from(v) * 1000,
                        min_bytes: usize::from(op[3]) * 100,
                        min_packets: u32::from(op[3] % 8),
                    },
                );
            }
            _ => now += Duration::from_micros(u64::from(v) * 10),
        }
        pacer.handle_timeout(now);
        let mut n = 0;
        while let Some(p) = pacer.poll_packet(now) {
            if let Paced::Media { .. } = p {
                released += 1;
            }
            n += 1;
            assert!(n < 100_000, "poll_packet never runs dry");
        }
        assert!(released <= queued);
        assert!(
            pacer.poll_timeout().is_none_or(|t| t > now),
            "a deadline stays due"
        );
    }
}

/// Deterministic random bytes (xorshift64) for the unit tests that run these entry
/// points on inputs such as a fuzzer would give.
#[cfg(test)]
pub(crate) struct ScriptBytes(u64);

#[cfg(test)]
impl ScriptBytes {
    /// A sequence from `seed` (not zero).
    pub(crate) fn new(seed: u64) -> ScriptBytes {
        ScriptBytes(seed.max(1))
    }

    /// The next `len` bytes.
    pub(crate) fn next(&mut self, len: usize) -> Vec<u8> {
        (0..len)
            .map(|_| {
                let x = &mut self.0;
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                *x as u8
            })
            .collect()
    }
}
