//! RTP header parse and RTCP compound parse: wren-rtp beside `rtc-rtp`/`rtc-rtcp` 0.21
//! (webrtc-rs's sans-IO crates) and `rtp`/`rtcp` 0.17 (webrtc-rs's async-stack crates), on
//! the same bytes: packets headless Chromium sent (wren-rtp's `tests/fixtures/`).
//!
//! - `rtp_header_parse`: a Chromium VP8 packet with its one-byte extensions
//!   (abs-send-time, transport-wide-cc, mid, ...). Each row parses the header and reads
//!   the sequence number, timestamp, SSRC and the abs-send-time and transport-wide sequence
//!   number values. The peers get the packet as `bytes::Bytes` (a reference-count clone
//!   per iteration, as their stacks hand packets over), so that their extension payloads
//!   are slices, not copies; they still collect the extensions into a `Vec`.
//! - `rtcp_parse_<compound>`: SR + SDES, SR + SDES + REMB, transport-wide CC feedback
//!   (alone: reduced-size RTCP), RR (two report blocks) + generic NACK, each a compound
//!   Chromium sent. wren-rtp frames the compound, types every
//!   packet and walks every list (report blocks, SDES items, every TWCC packet status and
//!   delta, every lost sequence number); the peers' `unmarshal` decodes all of that into
//!   owned structs (`Vec<Box<dyn Packet>>`), which is their whole parse.
//!
//! After the criterion groups, the three of each input run again in alternating batches
//! and the fastest batch of each is kept (the figure least disturbed by other work on a
//! shared machine). `cargo bench -p wren-benches --bench rtp` prints both tables and
//! writes them to `<target>/rtp.md`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use wren_benches::criterion_report::{median, publish};
use wren_rtp::rtcp::{Compound, Packet};
use wren_rtp::rtp::RtpPacket;

/// The fixture's ids (the answer's a=extmap): abs-send-time 2, transport-wide-cc 3.
const ABS_SEND_TIME: u8 = 2;
const TRANSPORT_CC: u8 = 3;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../proto/rtp/tests/fixtures")
}

/// (RTP packets, RTCP compounds) of a fixture.
fn load(name: &str) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let bin = std::fs::read(fixture_dir().join(name)).expect("wren-rtp's fixtures");
    let (mut rtp, mut rtcp) = (Vec::new(), Vec::new());
    let mut at = 0;
    while at < bin.len() {
        let len = usize::from(u16::from_be_bytes([bin[at + 1], bin[at + 2]]));
        let p = bin[at + 3..at + 3 + len].to_vec();
        if bin[at] == b'P' { &mut rtp } else { &mut rtcp }.push(p);
        at += 3 + len;
    }
    (rtp, rtcp)
}

/// The PT and FMT/count of every packet in a compound.
fn shape(c: &[u8]) -> Vec<(u8, u8)> {
    Compound::parse(c)
        .unwrap()
        .iter()
        .map(|p| (p.packet_type(), p.count()))
        .collect()
}

/// The compounds measured, as Chromium sent them: the first of each shape (for TWCC
/// feedback, which Chromium sends alone as reduced-size RTCP, the longest). Chromium sent
/// REMB after SR and SDES, not after an RR.
fn compounds() -> Vec<(&'static str, Vec<u8>)> {
    let (_, twcc) = load("chromium-twcc.bin");
    let (_, remb) = load("chromium-remb.bin");
    let first = |set: &[Vec<u8>], want: &[(u8, u8)]| {
        set.iter()
            .find(|c| shape(c) == want)
            .cloned()
            .expect("the fixture has such a compound")
    };
    let twcc_feedback = twcc
        .iter()
        .filter(|c| shape(c) == [(205, 15)])
        .max_by_key(|c| c.len())
        .cloned()
        .expect("TWCC feedback in the fixture");
    vec![
        ("sr_sdes", first(&remb, &[(200, 0), (202, 1)])),
        (
            "sr_sdes_remb",
            first(&remb, &[(200, 0), (202, 1), (206, 15)]),
        ),
        ("twcc", twcc_feedback),
        ("rr_nack", first(&remb, &[(201, 2), (205, 1)])),
    ]
}

/// A Chromium video packet with the most extension elements.
fn rtp_packet() -> Vec<u8> {
    let (rtp, _) = load("chromium-twcc.bin");
    rtp.into_iter()
        .filter(|p| {
            let r = RtpPacket::parse(p).unwrap();
            r.payload_type() == 96
                && r.extension(ABS_SEND_TIME).is_some()
                && r.extension(TRANSPORT_CC).is_some()
        })
        .max_by_key(|p| RtpPacket::parse(p).unwrap().extensions().count())
        .expect("a video packet with both extensions")
}

fn wren_rtp(p: &[u8]) -> u64 {
    let r = RtpPacket::parse(p).unwrap();
    let ast = r
        .extension(ABS_SEND_TIME)
        .map_or(0, |d| u32::from_be_bytes([0, d[0], d[1], d[2]]));
    let tcc = r
        .extension(TRANSPORT_CC)
        .map_or(0, |d| u16::from_be_bytes([d[0], d[1]]));
    u64::from(r.sequence_number())
        + u64::from(r.timestamp())
        + u64::from(r.ssrc())
        + u64::from(ast)
        + u64::from(tcc)
}

fn rtc_rtp(p: &Bytes) -> u64 {
    use rtc_shared::marshal::Unmarshal;
    let h = rtc_rtp::header::Header::unmarshal(&mut p.clone()).unwrap();
    let ast = h
        .get_extension(ABS_SEND_TIME)
        .map_or(0, |d| u32::from_be_bytes([0, d[0], d[1], d[2]]));
    let tcc = h
        .get_extension(TRANSPORT_CC)
        .map_or(0, |d| u16::from_be_bytes([d[0], d[1]]));
    u64::from(h.sequence_number)
        + u64::from(h.timestamp)
        + u64::from(h.ssrc)
        + u64::from(ast)
        + u64::from(tcc)
}

fn webrtc_rtp(p: &Bytes) -> u64 {
    use webrtc_util::marshal::Unmarshal;
    let h = rtp::header::Header::unmarshal(&mut p.clone()).unwrap();
    let ast = h
        .get_extension(ABS_SEND_TIME)
        .map_or(0, |d| u32::from_be_bytes([0, d[0], d[1], d[2]]));
    let tcc = h
        .get_extension(TRANSPORT_CC)
        .map_or(0, |d| u16::from_be_bytes([d[0], d[1]]));
    u64::from(h.sequence_number)
        + u64::from(h.timestamp)
        + u64::from(h.ssrc)
        + u64::from(ast)
        + u64::from(tcc)
}

/// Frames, types and walks a compound: every field a receiver would read.
fn wren_rtcp(c: &[u8]) -> u64 {
    let mut sum = 0u64;
    for p in Compound::parse(c).unwrap().packets() {
        match p.unwrap() {
            Packet::SenderReport(sr) => {
                sum += (sr.ntp_time >> 32) + u64::from(sr.rtp_time) + u64::from(sr.packet_count);
                for b in sr.reports {
                    sum += u64::from(b.highest_sequence) + u64::from(b.jitter);
                }
            }
            Packet::ReceiverReport(rr) => {
                for b in rr.reports {
                    sum +=
                        u64::from(b.highest_sequence) + u64::from(b.jitter) + u64::from(b.last_sr);
                }
            }
            Packet::Sdes(s) => {
                for chunk in s.chunks.iter() {
                    for item in chunk.items.iter() {
                        sum += item.value.len() as u64;
                    }
                }
            }
            Packet::Remb(r) => sum += r.bitrate() + r.ssrcs.iter().map(u64::from).sum::<u64>(),
            Packet::TransportFeedback(t) => {
                for p in t.packets.iter() {
                    sum += u64::from(p.seq) + p.delta.map_or(0, |d| d as u64);
                }
            }
            Packet::Nack(n) => sum += n.lost().map(u64::from).sum::<u64>(),
            other => sum += u64::from(matches!(other, Packet::Unknown(_))),
        }
    }
    sum
}

fn rtc_rtcp(c: &Bytes) -> usize {
    rtc_rtcp::packet::unmarshal(&mut c.clone()).unwrap().len()
}

fn webrtc_rtcp(c: &Bytes) -> usize {
    rtcp::packet::unmarshal(&mut c.clone()).unwrap().len()
}

fn bench(c: &mut Criterion) {
    let p = rtp_packet();
    let b = Bytes::from(p.clone());
    assert_eq!(wren_rtp(&p), rtc_rtp(&b), "rtc-rtp reads the same values");
    assert_eq!(wren_rtp(&p), webrtc_rtp(&b), "rtp reads the same values");
    let mut g = c.benchmark_group("rtp_header_parse");
    g.bench_function("wren-rtp", |x| x.iter(|| wren_rtp(black_box(&p))));
    g.bench_function("rtc-rtp", |x| x.iter(|| rtc_rtp(black_box(&b))));
    g.bench_function("webrtc-rtp", |x| x.iter(|| webrtc_rtp(black_box(&b))));
    g.finish();

    for (name, compound) in compounds() {
        let b = Bytes::from(compound.clone());
        let n = Compound::parse(&compound).unwrap().iter().count();
        assert_eq!(
            rtc_rtcp(&b),
            n,
            "rtc-rtcp parses {name} into as many packets"
        );
        assert_eq!(
            webrtc_rtcp(&b),
            n,
            "rtcp parses {name} into as many packets"
        );
        let mut g = c.benchmark_group(format!("rtcp_parse_{name}"));
        g.bench_function("wren-rtp", |x| x.iter(|| wren_rtcp(black_box(&compound))));
        g.bench_function("rtc-rtcp", |x| x.iter(|| rtc_rtcp(black_box(&b))));
        g.bench_function("webrtc-rtcp", |x| x.iter(|| webrtc_rtcp(black_box(&b))));
        g.finish();
    }
}

/// Rounds of the paired measurement, and calls per batch.
const ROUNDS: usize = 200;
const BATCH: u32 = 1000;

/// The three rows of one input, as closures the paired measurement alternates.
type Row<'a> = (String, [Box<dyn Fn() -> u64 + 'a>; 3]);

/// Each input's three implementations in `ROUNDS` alternating batches of `BATCH` calls;
/// the fastest batch of each, in ns per call: the least disturbed figure on a shared
/// machine.
fn paired() -> Vec<(String, [f64; 3])> {
    let p = rtp_packet();
    let b = Bytes::from(p.clone());
    let compounds: Vec<(&str, Vec<u8>, Bytes)> = compounds()
        .into_iter()
        .map(|(n, c)| (n, c.clone(), Bytes::from(c)))
        .collect();
    let mut rows: Vec<Row<'_>> = vec![(
        "rtp_header_parse".into(),
        [
            Box::new(|| wren_rtp(black_box(&p))),
            Box::new(|| rtc_rtp(black_box(&b))),
            Box::new(|| webrtc_rtp(black_box(&b))),
        ],
    )];
    for (name, c, b) in &compounds {
        rows.push((
            format!("rtcp_parse_{name}"),
            [
                Box::new(move || wren_rtcp(black_box(c))),
                Box::new(move || rtc_rtcp(black_box(b)) as u64),
                Box::new(move || webrtc_rtcp(black_box(b)) as u64),
            ],
        ));
    }
    rows.into_iter()
        .map(|(name, fs)| {
            let mut best = [f64::MAX; 3];
            for _ in 0..ROUNDS {
                for (i, f) in fs.iter().enumerate() {
                    let t = Instant::now();
                    for _ in 0..BATCH {
                        black_box(f());
                    }
                    let ns = t.elapsed().as_nanos() as f64 / f64::from(BATCH);
                    best[i] = best[i].min(ns);
                }
            }
            (name, best)
        })
        .collect()
}

fn report(target: &Path, paired: &[(String, [f64; 3])]) -> String {
    let mut out = String::from(
        "# RTP header parse and RTCP compound parse (packets Chromium sent)\n\n\
         Medians of this run (criterion), ns per packet or compound. Ratio: the fastest \
         peer's median / wren-rtp's (goal: at least 2x).\n\n\
         | input | bytes | wren-rtp | rtc-rtp / rtc-rtcp | rtp / rtcp (webrtc) | fastest peer / wren |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    let cell = |x: Option<f64>| x.map_or_else(|| "-".into(), |ns| format!("{ns:.0}"));
    let mut rows = vec![(
        "rtp_header_parse".to_owned(),
        rtp_packet().len(),
        ["wren-rtp", "rtc-rtp", "webrtc-rtp"],
    )];
    for (name, c) in compounds() {
        rows.push((
            format!("rtcp_parse_{name}"),
            c.len(),
            ["wren-rtp", "rtc-rtcp", "webrtc-rtcp"],
        ));
    }
    for (group, len, [ours, a, b]) in rows {
        let m = |f: &str| median(target, &group, f);
        let (w, pa, pb) = (m(ours), m(a), m(b));
        let fastest = match (pa, pb) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        let ratio = match (w, fastest) {
            (Some(w), Some(f)) if w > 0.0 => format!("{:.1}x", f / w),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "| {group} | {len} | {} | {} | {} | {ratio} |\n",
            cell(w),
            cell(pa),
            cell(pb)
        ));
    }
    out.push_str(&format!(
        "\nPaired: the three in {ROUNDS} alternating batches of {BATCH} calls, the fastest \
         batch of each (ns per call).\n\n\
         | input | wren-rtp | rtc-rtp / rtc-rtcp | rtp / rtcp (webrtc) | fastest peer / wren |\n\
         | --- | --- | --- | --- | --- |\n"
    ));
    for (name, [w, a, b]) in paired {
        out.push_str(&format!(
            "| {name} | {w:.1} | {a:.0} | {b:.0} | {:.1}x |\n",
            a.min(*b) / w
        ));
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    let measured = if std::env::args().any(|a| a == "--bench") {
        paired()
    } else {
        Vec::new()
    };
    publish("rtp.md", |target| report(target, &measured));
}
