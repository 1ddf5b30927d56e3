//! SRTP protect and unprotect of 1200-byte RTP packets (12-byte header, 1188-byte
//! payload), for each profile: wren-srtp beside `rtc-srtp` 0.21 (webrtc-rs's sans-IO
//! crate, ring provider) and `webrtc-srtp` 0.17 (webrtc-rs's async-stack crate), and the
//! raw ciphers on the same bytes: AES-128/256-GCM seal/open with ring, AES-128-CTR (`aes` +
//! `ctr`) plus HMAC-SHA1 (`hmac` + `sha1`). A `srtp_raw` group compares the building
//! blocks themselves (the measurements behind wren-srtp's choice of crates).
//!
//! Unprotecting needs a fresh packet index each time (wren-srtp refuses replays), so the
//! unprotect rows time batches of 256 packets prepared outside the timed part; the raw
//! rows are timed the same way (their batches are copies of one sealed packet). The peers
//! run without replay protection (their default) and decrypt one packet over and over.
//!
//! With `--features libsrtp`, libsrtp 2 (the `srtp` crate, built from source with OpenSSL
//! for GCM; needs libclang-dev) joins the rows.
//!
//! `cargo bench -p wren-benches --bench srtp` prints the medians and ratios and writes
//! them to `<target>/srtp.md`.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher};
use criterion::{Criterion, Throughput};
use hmac::{Hmac, Mac};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use wren_benches::criterion_report::{median, publish};
use wren_srtp::{Config, Inbound, MasterKey, Outbound, Profile};

const LEN: usize = 1200;
const HEADER: usize = 12;
const BATCH: usize = 256;

fn short(p: Profile) -> &'static str {
    match p {
        Profile::Aes128CmHmacSha1_80 => "aes128_cm_sha1_80",
        Profile::Aes128CmHmacSha1_32 => "aes128_cm_sha1_32",
        Profile::AeadAes128Gcm => "aead_aes_128_gcm",
        _ => "aead_aes_256_gcm",
    }
}

fn key(p: Profile) -> (Vec<u8>, Vec<u8>) {
    (
        (0..p.key_len() as u8).collect(),
        (0..p.salt_len() as u8).map(|b| b ^ 0xa5).collect(),
    )
}

/// A 1200-byte RTP packet with sequence number `seq` in `buf[..1200]`.
fn rtp(buf: &mut [u8], seq: u16) {
    buf[..HEADER].copy_from_slice(&[0x80, 111, 0, 0, 0, 0, 3, 0xc0, 0x12, 0x34, 0x56, 0x78]);
    buf[2..4].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in buf[HEADER..LEN].iter_mut().enumerate() {
        *b = i as u8;
    }
}

/// Times `run` over `iters` buffers, `BATCH` at a time, each made by `prepare` outside the
/// timed part.
fn batched(
    iters: u64,
    mut prepare: impl FnMut(&mut Vec<u8>),
    mut run: impl FnMut(&mut Vec<u8>),
) -> Duration {
    let mut bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(1500)).collect();
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BATCH as u64) as usize;
        for b in &mut bufs[..n] {
            prepare(b);
        }
        let t = Instant::now();
        for b in &mut bufs[..n] {
            run(black_box(b));
        }
        total += t.elapsed();
        left -= n as u64;
    }
    total
}

/// The raw AES-CM + HMAC-SHA1 transform of RFC 3711 on one packet, with the crates
/// wren-srtp builds on (but the `hmac` crate's HMAC, cloned from a keyed state).
struct RawCm {
    aes: aes::Aes128,
    mac: Hmac<sha1::Sha1>,
    tag: usize,
}

impl RawCm {
    fn new(tag: usize) -> RawCm {
        RawCm {
            aes: aes::Aes128::new_from_slice(&[7; 16]).unwrap(),
            mac: <Hmac<sha1::Sha1> as Mac>::new_from_slice(&[9; 20]).unwrap(),
            tag,
        }
    }

    fn ctr(&self, data: &mut [u8]) {
        let iv = [3u8; 16];
        ctr::Ctr128BE::<aes::Aes128>::from_core(ctr::CtrCore::inner_iv_init(
            self.aes.clone(),
            &iv.into(),
        ))
        .apply_keystream(data);
    }

    fn hmac(&self, data: &[u8]) -> [u8; 20] {
        let mut m = self.mac.clone();
        m.update(data);
        m.finalize().into_bytes().into()
    }

    /// Encrypt the payload, MAC packet || ROC, append the tag.
    fn protect(&self, buf: &mut [u8]) {
        self.ctr(&mut buf[HEADER..LEN]);
        buf[LEN..LEN + 4].copy_from_slice(&0u32.to_be_bytes());
        let t = self.hmac(&buf[..LEN + 4]);
        buf[LEN..LEN + self.tag].copy_from_slice(&t[..self.tag]);
    }

    /// MAC packet || ROC, compare, decrypt.
    fn unprotect(&self, buf: &mut [u8]) -> bool {
        let mut tag = [0u8; 10];
        tag[..self.tag].copy_from_slice(&buf[LEN..LEN + self.tag]);
        buf[LEN..LEN + 4].copy_from_slice(&0u32.to_be_bytes());
        let t = self.hmac(&buf[..LEN + 4]);
        let ok = t[..self.tag] == tag[..self.tag];
        self.ctr(&mut buf[HEADER..LEN]);
        ok
    }
}

fn gcm_key(p: Profile) -> LessSafeKey {
    let alg = if p.key_len() == 32 {
        &aead::AES_256_GCM
    } else {
        &aead::AES_128_GCM
    };
    LessSafeKey::new(UnboundKey::new(alg, &key(p).0).unwrap())
}

fn gcm_seal(k: &LessSafeKey, buf: &mut [u8], n: u64) {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_be_bytes());
    let (h, rest) = buf.split_at_mut(HEADER);
    let tag = k
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&*h),
            &mut rest[..LEN - HEADER],
        )
        .unwrap();
    buf[LEN..LEN + 16].copy_from_slice(tag.as_ref());
}

fn gcm_open(k: &LessSafeKey, buf: &mut [u8], n: u64) -> bool {
    let mut nonce = [0u8; 12];
    nonce[4..].copy_from_slice(&n.to_be_bytes());
    let (h, rest) = buf.split_at_mut(HEADER);
    k.open_in_place(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&*h),
        &mut rest[..LEN + 16 - HEADER],
    )
    .is_ok()
}

fn rtc_context(p: Profile) -> rtc_srtp::context::Context {
    use rtc_srtp::protection_profile::ProtectionProfile as P;
    let profile = match p {
        Profile::Aes128CmHmacSha1_80 => P::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32 => P::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::AeadAes256Gcm,
    };
    let provider = rtc_srtp::crypto::default_provider().expect("rtc-srtp's ring provider");
    let (k, s) = key(p);
    rtc_srtp::context::Context::new(&k, &s, profile, None, None, provider.crypto()).unwrap()
}

fn webrtc_context(p: Profile) -> webrtc_srtp::context::Context {
    use webrtc_srtp::protection_profile::ProtectionProfile as P;
    let profile = match p {
        Profile::Aes128CmHmacSha1_80 => P::Aes128CmHmacSha1_80,
        Profile::Aes128CmHmacSha1_32 => P::Aes128CmHmacSha1_32,
        Profile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::AeadAes256Gcm,
    };
    let (k, s) = key(p);
    webrtc_srtp::context::Context::new(&k, &s, profile, None, None).unwrap()
}

/// libsrtp sessions (through the `srtp` crate): `(outbound, inbound)`, the outbound
/// allowed to protect one sequence number again (the protect rows reuse one packet).
#[cfg(feature = "libsrtp")]
fn libsrtp(p: Profile) -> (srtp::Session, srtp::Session) {
    use srtp::CryptoPolicy as C;
    let policy = match p {
        Profile::Aes128CmHmacSha1_80 => C::aes_cm_128_hmac_sha1_80(),
        Profile::Aes128CmHmacSha1_32 => C::aes_cm_128_hmac_sha1_32(),
        Profile::AeadAes128Gcm => C::aes_gcm_128_16_auth(),
        _ => C::aes_gcm_256_16_auth(),
    };
    let rtcp = if p.is_aead() {
        policy
    } else {
        C::aes_cm_128_hmac_sha1_80()
    };
    let (k, s) = key(p);
    let key = [k, s].concat();
    let policy = |allow_repeat_tx| srtp::StreamPolicy {
        rtp: policy,
        rtcp,
        key: &key,
        allow_repeat_tx,
        ..Default::default()
    };
    (
        srtp::Session::with_outbound_template(policy(true)).unwrap(),
        srtp::Session::with_inbound_template(policy(false)).unwrap(),
    )
}

fn ours(p: Profile) -> (Outbound, Inbound) {
    let (k, s) = key(p);
    let m = MasterKey::new(p, &k, &s).unwrap();
    (
        Outbound::new(&m, &Config::default()).unwrap(),
        Inbound::new(&m, &Config::default()).unwrap(),
    )
}

fn protect(c: &mut Criterion) {
    for p in Profile::ALL {
        let mut g = c.benchmark_group(format!("srtp_protect_{}", short(p)));
        g.throughput(Throughput::Bytes(LEN as u64));
        let mut buf = vec![0u8; 1500];
        rtp(&mut buf, 1);
        let (mut tx, _) = ours(p);
        // The same packet again: same index, same work (the sender allows it).
        g.bench_function("wren-srtp", |b| {
            b.iter(|| tx.protect_rtp(black_box(&mut buf), LEN).unwrap())
        });
        let mut packet = vec![0u8; LEN];
        rtp(&mut packet, 1);
        let mut rtc = rtc_context(p);
        g.bench_function("rtc-srtp", |b| {
            b.iter(|| rtc.encrypt_rtp(black_box(&packet)).unwrap())
        });
        let mut webrtc = webrtc_context(p);
        g.bench_function("webrtc-srtp", |b| {
            b.iter(|| webrtc.encrypt_rtp(black_box(&packet)).unwrap())
        });
        #[cfg(feature = "libsrtp")]
        {
            let (mut lib, _) = libsrtp(p);
            let mut v = packet.clone();
            v.reserve(64);
            g.bench_function("libsrtp", |b| {
                b.iter(|| {
                    v.truncate(LEN);
                    lib.protect(black_box(&mut v)).unwrap();
                })
            });
        }
        if p.is_aead() {
            let k = gcm_key(p);
            let mut n = 0u64;
            g.bench_function("raw", |b| {
                b.iter(|| {
                    n += 1;
                    gcm_seal(&k, black_box(&mut buf), n)
                })
            });
        } else {
            let raw = RawCm::new(p.rtp_tag_len());
            g.bench_function("raw", |b| b.iter(|| raw.protect(black_box(&mut buf))));
        }
        g.finish();
    }
}

fn unprotect(c: &mut Criterion) {
    for p in Profile::ALL {
        let mut g = c.benchmark_group(format!("srtp_unprotect_{}", short(p)));
        g.throughput(Throughput::Bytes(LEN as u64));
        let (mut tx, mut rx) = ours(p);
        let mut seq = 0u16;
        g.bench_function("wren-srtp", |b| {
            b.iter_custom(|iters| {
                batched(
                    iters,
                    |buf| {
                        buf.resize(1500, 0);
                        seq = seq.wrapping_add(1);
                        rtp(buf, seq);
                        let n = tx.protect_rtp(buf, LEN).unwrap();
                        buf.truncate(n);
                    },
                    |buf| {
                        rx.unprotect_rtp(buf).unwrap();
                    },
                )
            })
        });
        let mut packet = vec![0u8; LEN];
        rtp(&mut packet, 1);
        let mut rtc = rtc_context(p);
        let mut rtc_rx = rtc_context(p);
        let sealed = rtc.encrypt_rtp(&packet).unwrap().to_vec();
        g.bench_function("rtc-srtp", |b| {
            b.iter(|| rtc_rx.decrypt_rtp(black_box(&sealed)).unwrap())
        });
        let mut webrtc = webrtc_context(p);
        let mut webrtc_rx = webrtc_context(p);
        let sealed = webrtc.encrypt_rtp(&packet).unwrap().to_vec();
        g.bench_function("webrtc-srtp", |b| {
            b.iter(|| webrtc_rx.decrypt_rtp(black_box(&sealed)).unwrap())
        });
        #[cfg(feature = "libsrtp")]
        {
            let (mut lib_tx, mut lib_rx) = libsrtp(p);
            let mut seq = 0u16;
            g.bench_function("libsrtp", |b| {
                b.iter_custom(|iters| {
                    batched(
                        iters,
                        |buf| {
                            buf.resize(LEN, 0);
                            seq = seq.wrapping_add(1);
                            rtp(buf, seq);
                            lib_tx.protect(buf).unwrap();
                        },
                        |buf| lib_rx.unprotect(buf).unwrap(),
                    )
                })
            });
        }
        let mut sealed = vec![0u8; 1500];
        rtp(&mut sealed, 1);
        if p.is_aead() {
            let k = gcm_key(p);
            gcm_seal(&k, &mut sealed, 1);
            sealed.truncate(LEN + 16);
            g.bench_function("raw", |b| {
                b.iter_custom(|iters| {
                    batched(
                        iters,
                        |buf| {
                            buf.clear();
                            buf.extend_from_slice(&sealed);
                        },
                        |buf| assert!(gcm_open(&k, buf, 1)),
                    )
                })
            });
        } else {
            let raw = RawCm::new(p.rtp_tag_len());
            raw.protect(&mut sealed);
            sealed.truncate(LEN + p.rtp_tag_len().max(4));
            g.bench_function("raw", |b| {
                b.iter_custom(|iters| {
                    batched(
                        iters,
                        |buf| {
                            buf.clear();
                            buf.extend_from_slice(&sealed);
                        },
                        |buf| assert!(raw.unprotect(buf)),
                    )
                })
            });
        }
        g.finish();
    }
}

/// The building blocks on 1188 bytes (the payload) or 1204 (what the HMAC covers).
fn raw(c: &mut Criterion) {
    use aes::cipher::BlockEncrypt;
    let mut g = c.benchmark_group("srtp_raw");
    let mut data = vec![0u8; 1204];
    let cm = RawCm::new(10);
    g.bench_function(BLOCKS[0], |b| {
        b.iter(|| cm.ctr(black_box(&mut data[..1188])))
    });
    let blocks_key = aes::Aes128::new_from_slice(&[1; 16]).unwrap();
    let mut blocks = vec![aes::Block::default(); 1188usize.div_ceil(16)];
    g.bench_function(BLOCKS[1], |b| {
        b.iter(|| blocks_key.encrypt_blocks(black_box(&mut blocks)))
    });
    let k = gcm_key(Profile::AeadAes128Gcm);
    let mut n = 0u64;
    let mut buf = vec![0u8; 1500];
    g.bench_function(BLOCKS[2], |b| {
        b.iter(|| {
            n += 1;
            gcm_seal(&k, black_box(&mut buf), n)
        })
    });
    g.bench_function(BLOCKS[3], |b| b.iter(|| cm.hmac(black_box(&data))));
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &[9; 20]);
    g.bench_function(BLOCKS[4], |b| {
        b.iter(|| ring::hmac::sign(&ring_key, black_box(&data)))
    });
    g.finish();
}

/// Rounds of alternating batches in [`paired`].
const ROUNDS: usize = 300;

/// wren-srtp and the raw cipher of `p` in alternating batches of `BATCH` packets, the
/// fastest batch of each side kept (ns per packet): on a loaded machine the minimum is
/// the figure least disturbed by other processes, and alternating exposes both sides to
/// the same machine state. Returns `[(ours, raw) protect, (ours, raw) unprotect]`.
fn paired(p: Profile) -> [(f64, f64); 2] {
    let (mut tx, mut rx) = ours(p);
    let gcm = p.is_aead().then(|| gcm_key(p));
    let cm = RawCm::new(p.rtp_tag_len());
    let raw_protect = |buf: &mut [u8], n: u64| match &gcm {
        Some(k) => gcm_seal(k, buf, n),
        None => cm.protect(buf),
    };
    let mut sealed = vec![0u8; 1500];
    rtp(&mut sealed, 1);
    raw_protect(&mut sealed, 1);
    sealed.truncate(LEN + p.rtp_overhead().max(4));
    let per = |d: Duration| d.as_nanos() as f64 / BATCH as f64;
    let mut best = [(f64::MAX, f64::MAX); 2];
    let mut buf = vec![0u8; 1500];
    rtp(&mut buf, 1);
    let mut seq = 0u16;
    for round in 0..ROUNDS {
        let t = Instant::now();
        for _ in 0..BATCH {
            tx.protect_rtp(black_box(&mut buf), LEN).unwrap();
        }
        best[0].0 = best[0].0.min(per(t.elapsed()));
        let t = Instant::now();
        for i in 0..BATCH {
            raw_protect(black_box(&mut buf), (round * BATCH + i) as u64);
        }
        best[0].1 = best[0].1.min(per(t.elapsed()));
        let d = batched(
            BATCH as u64,
            |b| {
                b.resize(1500, 0);
                seq = seq.wrapping_add(1);
                rtp(b, seq);
                let n = tx.protect_rtp(b, LEN).unwrap();
                b.truncate(n);
            },
            |b| {
                rx.unprotect_rtp(b).unwrap();
            },
        );
        best[1].0 = best[1].0.min(per(d));
        let d = batched(
            BATCH as u64,
            |b| {
                b.clear();
                b.extend_from_slice(&sealed);
            },
            |b| {
                let ok = match &gcm {
                    Some(k) => gcm_open(k, b, 1),
                    None => cm.unprotect(b),
                };
                assert!(ok);
            },
        );
        best[1].1 = best[1].1.min(per(d));
    }
    best
}

/// The building blocks of `srtp_raw`, timed the same way as [`paired`]: each in turn per
/// round, the fastest batch kept (ns per call).
fn paired_blocks() -> Vec<(&'static str, f64)> {
    use aes::cipher::BlockEncrypt;
    let cm = RawCm::new(10);
    let blocks_key = aes::Aes128::new_from_slice(&[1; 16]).unwrap();
    let gcm = gcm_key(Profile::AeadAes128Gcm);
    let ring_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, &[9; 20]);
    let mut data = vec![0u8; 1500];
    let mut blocks = vec![aes::Block::default(); 1188usize.div_ceil(16)];
    let mut n = 0u64;
    let mut best = [f64::MAX; 5];
    for _ in 0..ROUNDS {
        let mut time = |i: usize, f: &mut dyn FnMut()| {
            let t = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            best[i] = best[i].min(t.elapsed().as_nanos() as f64 / BATCH as f64);
        };
        time(0, &mut || cm.ctr(black_box(&mut data[..1188])));
        time(1, &mut || blocks_key.encrypt_blocks(black_box(&mut blocks)));
        time(2, &mut || {
            n += 1;
            gcm_seal(&gcm, black_box(&mut data), n);
        });
        time(3, &mut || {
            black_box(cm.hmac(black_box(&data[..1204])));
        });
        time(4, &mut || {
            black_box(ring::hmac::sign(&ring_key, black_box(&data[..1204])));
        });
    }
    BLOCKS.into_iter().zip(best).collect()
}

/// The `srtp_raw` functions, in [`paired_blocks`]' order.
const BLOCKS: [&str; 5] = [
    "aes-128-ctr aes+ctr 1188B",
    "aes-128 blocks (aes crate, no ctr) 1188B",
    "aes-128-gcm seal ring 1188B",
    "hmac-sha1 hmac+sha1 1204B",
    "hmac-sha1 ring 1204B",
];

fn report(target: &Path, paired: &[(Profile, [(f64, f64); 2])], blocks: &[(&str, f64)]) -> String {
    let mut out = String::from(
        "# SRTP: protect / unprotect one 1200-byte RTP packet\n\n\
         Medians of this run (criterion), ns per packet. raw: the profile's cipher on the \
         same bytes (ring AES-GCM; aes+ctr AES-CTR with hmac+sha1 HMAC-SHA1). Ratio: \
         wren-srtp / raw (goals: GCM within 1.2x, CM within 1.1x).\n\n\
         | profile | op | wren-srtp | rtc-srtp | webrtc-srtp | libsrtp | raw | wren / raw |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let cell = |x: Option<f64>| x.map_or_else(|| "-".into(), |ns| format!("{ns:.0}"));
    for p in Profile::ALL {
        for op in ["protect", "unprotect"] {
            let group = format!("srtp_{op}_{}", short(p));
            let m = |f: &str| median(target, &group, f);
            let (w, raw) = (m("wren-srtp"), m("raw"));
            let ratio = match (w, raw) {
                (Some(w), Some(r)) if r > 0.0 => format!("{:.2}x", w / r),
                _ => "-".into(),
            };
            out.push_str(&format!(
                "| {} | {op} | {} | {} | {} | {} | {} | {ratio} |\n",
                p.name(),
                cell(w),
                cell(m("rtc-srtp")),
                cell(m("webrtc-srtp")),
                cell(m("libsrtp")),
                cell(raw),
            ));
        }
    }
    out.push_str(&format!(
        "\nPaired: wren-srtp and raw in {ROUNDS} alternating batches of {BATCH} packets, the \
         fastest batch of each (ns per packet; the least disturbed figure on a shared \
         machine).\n\n| profile | op | wren-srtp | raw | wren / raw |\n| --- | --- | --- | --- | --- |\n"
    ));
    for (p, [prot, unprot]) in paired {
        for (op, (w, r)) in [("protect", prot), ("unprotect", unprot)] {
            out.push_str(&format!(
                "| {} | {op} | {w:.0} | {r:.0} | {:.2}x |\n",
                p.name(),
                w / r
            ));
        }
    }
    out.push_str(
        "\n| building block | criterion median, ns | paired minimum, ns |\n| --- | --- | --- |\n",
    );
    for (f, min) in blocks {
        out.push_str(&format!(
            "| {f} | {} | {min:.0} |\n",
            cell(median(target, "srtp_raw", f))
        ));
    }
    out
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    protect(&mut c);
    unprotect(&mut c);
    raw(&mut c);
    c.final_summary();
    let bench = std::env::args().any(|a| a == "--bench");
    let measured: Vec<(Profile, [(f64, f64); 2])> = if bench {
        Profile::ALL.into_iter().map(|p| (p, paired(p))).collect()
    } else {
        Vec::new()
    };
    let blocks = if bench { paired_blocks() } else { Vec::new() };
    publish("srtp.md", |target| report(target, &measured, &blocks));
}
