//! Cross-check with libsrtp (through pylibsrtp, `tests/libsrtp.py`): for every profile
//! pylibsrtp offers (it lists its DTLS-SRTP numbers), 6000 random RTP packets on three
//! SSRCs whose sequence numbers wrap (the rollover counter goes from 0 to 1), delivered
//! with some reordering, and 600 random RTCP compound packets: protected by us and
//! unprotected by libsrtp, and protected by libsrtp and unprotected by us, byte for byte.
//!
//! Needs python3 with pylibsrtp (scripts/install-deps.sh installs it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use wren_srtp::{Config, Inbound, MasterKey, Outbound, Profile};

const RTP_PER_SSRC: u32 = 2000;
const SSRCS: [u32; 3] = [0x1111_1111, 0xcafe_babe, 7];
const RTCP_PACKETS: usize = 600;

/// xorshift64*: a seeded, reproducible packet generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libsrtp.py")
}

fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("python3 runs (scripts/install-deps.sh installs pylibsrtp)");
    assert!(
        out.status.success(),
        "libsrtp.py {args:?} failed (is pylibsrtp installed? scripts/install-deps.sh):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .fold(String::with_capacity(2 * b.len()), |mut s, x| {
            let _ = write!(s, "{x:02x}");
            s
        })
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Rtp,
    Rtcp,
}

/// Random RTP (CSRCs, extensions, padding-free payloads of 0..1200 bytes) starting 1000
/// before the wrap on every SSRC, and RTCP compound-looking packets, interleaved, then
/// lightly reordered (adjacent swaps, as a network does).
fn packets(rng: &mut Rng) -> Vec<(Kind, Vec<u8>)> {
    let mut per_ssrc: Vec<Vec<Vec<u8>>> = Vec::new();
    for (i, &ssrc) in SSRCS.iter().enumerate() {
        let start = 65536 - 1000 - 7 * i as u32;
        let mut v = Vec::new();
        for n in 0..RTP_PER_SSRC {
            let seq = (start + n) as u16;
            let csrcs = rng.below(3) as u8;
            let ext = rng.below(4) == 0;
            let mut p = vec![
                0x80 | csrcs | if ext { 0x10 } else { 0 },
                96 | ((n % 2) << 7) as u8,
            ];
            p.extend_from_slice(&seq.to_be_bytes());
            p.extend_from_slice(&(n * 960).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend(rng.bytes(4 * csrcs as usize));
            if ext {
                let words = rng.below(3) as u16;
                p.extend_from_slice(&[0xbe, 0xde]);
                p.extend_from_slice(&words.to_be_bytes());
                p.extend(rng.bytes(4 * words as usize));
            }
            let len = rng.below(1201) as usize;
            p.extend(rng.bytes(len));
            v.push(p);
        }
        per_ssrc.push(v);
    }
    let mut all = Vec::new();
    let mut rtcp_left = RTCP_PACKETS;
    for n in 0..RTP_PER_SSRC as usize {
        for v in &per_ssrc {
            all.push((Kind::Rtp, v[n].clone()));
        }
        if rtcp_left > 0 && n % 3 == 0 {
            rtcp_left -= 1;
            let ssrc = SSRCS[rng.below(3) as usize];
            let words = 1 + rng.below(60) as u16;
            let mut p = vec![0x80, 200 + rng.below(5) as u8];
            p.extend_from_slice(&(words - 1).to_be_bytes());
            p.extend_from_slice(&ssrc.to_be_bytes());
            p.extend(rng.bytes(4 * (words as usize - 1)));
            all.push((Kind::Rtcp, p));
        }
    }
    for i in 1..all.len() {
        if rng.below(10) == 0 {
            all.swap(i - 1, i);
        }
    }
    all
}

fn key_line(profile: Profile, key: &MasterKey) -> String {
    format!(
        "{} {}{}\n",
        profile.dtls_id(),
        hex(key.key()),
        hex(key.salt())
    )
}

fn check(profile: Profile, dir: &Path, seed: u64) {
    let mut rng = Rng(seed);
    let key = MasterKey::new(
        profile,
        &rng.bytes(profile.key_len()),
        &rng.bytes(profile.salt_len()),
    )
    .unwrap();
    let config = Config::default();
    let plain = packets(&mut rng);
    let rtp_count = plain.iter().filter(|(k, _)| *k == Kind::Rtp).count();
    assert_eq!(rtp_count, SSRCS.len() * RTP_PER_SSRC as usize);

    // Ours -> libsrtp. Protect in sequence order per SSRC (the order a sender sends), write
    // in delivery order.
    let mut tx = Outbound::new(&key, &config).unwrap();
    let mut file = key_line(profile, &key);
    let mut buf = vec![0u8; 2048];
    for (kind, p) in &plain {
        buf[..p.len()].copy_from_slice(p);
        let n = match kind {
            Kind::Rtp => tx.protect_rtp(&mut buf, p.len()),
            Kind::Rtcp => tx.protect_rtcp(&mut buf, p.len()),
        }
        .unwrap();
        let k = if *kind == Kind::Rtp { "rtp" } else { "rtcp" };
        writeln!(file, "{k} {} {}", hex(p), hex(&buf[..n])).unwrap();
    }
    let ours = dir.join(format!("ours-{}.txt", profile.dtls_id()));
    std::fs::write(&ours, &file).unwrap();
    let said = python(&["unprotect", ours.to_str().unwrap()]);
    assert_eq!(
        said.trim(),
        format!("libsrtp unprotected {} packets", plain.len()),
        "{profile}"
    );

    // libsrtp -> ours.
    let theirs = dir.join(format!("theirs-{}.txt", profile.dtls_id()));
    python(&["protect", ours.to_str().unwrap(), theirs.to_str().unwrap()]);
    let mut rx = Inbound::new(&key, &config).unwrap();
    let text = std::fs::read_to_string(&theirs).unwrap();
    let mut n = 0;
    for line in text.lines() {
        let mut f = line.split(' ');
        let (kind, p, mut protected) = (
            f.next().unwrap(),
            unhex(f.next().unwrap()),
            unhex(f.next().unwrap()),
        );
        let got = match kind {
            "rtp" => rx.unprotect_rtp(&mut protected),
            _ => rx.unprotect_rtcp(&mut protected),
        }
        .unwrap_or_else(|e| panic!("{profile}: libsrtp's packet {n} ({kind}) refused: {e}"));
        assert_eq!(protected[..got], p[..], "{profile}: packet {n}");
        n += 1;
    }
    assert_eq!(n, plain.len());
    // All three SSRCs crossed the wrap: their last packets were accepted with ROC 1,
    // which both the HMAC (CM) and the IV (GCM) cover, so a wrong ROC would have failed.
    assert_eq!(rx.ssrc_count(), (3, 3));
}

#[test]
fn libsrtp_agrees_both_ways_on_every_profile_it_offers() {
    let offered: Vec<Profile> = python(&["profiles"])
        .lines()
        .map(|l| {
            Profile::from_dtls_id(l.trim().parse().expect("a number")).expect("a profile we know")
        })
        .collect();
    assert_eq!(offered, Profile::ALL, "pylibsrtp offers all four profiles");
    let dir = std::env::temp_dir().join(format!("wren-srtp-libsrtp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, profile) in offered.into_iter().enumerate() {
        check(profile, &dir, 0x5eed_0000 + i as u64);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
