//! RFC 7714 section 16 and 17 vectors (AES-GCM SRTP and SRTCP, stated with session keys),
//! round trips of every profile, tampering, index estimation across wraps and reordering,
//! replay and the SSRC bound.

use proptest::prelude::*;

use crate::cipher::{Cipher, Kind};
use crate::{Config, Error, Inbound, MasterKey, Outbound, Profile, SetupError};

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// RFC 7714 section 16: the session key is 00 01 .. 0f (or .. 1f for AES-256), the session
// salt 51756964 2070726f 2071756f, and the same key set protects SRTP and SRTCP.
const KEY_128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const SALT: &str = "517569642070726f2071756f";
/// Section 16: SSRC 0x5501a0b2, sequence number 0xf17b, ROC 0, "Gallia est omnis
/// divisa in partes tres".
const RTP: &str = "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e697320646976
                   69736120696e207061727465732074726573";
/// Section 16.1.1.
const SRTP_128: &str = "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd5
                        0d294e6f42a5f47a51c7d19b36de3adf8833899d7f27beb16a9152cf765ee439
                        0cce";
/// Section 16.2.1.
const SRTP_256: &str = "8040f17b8041f8d35501a0b232b1de78a822fe12ef9f78fa332e33aab1801238
                        9a58e2f3b50b2a0276ffae0f1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a7
                        6c13";
/// Section 17: the RTCP packet the subsections protect (SSRC "Mars"), SRTCP index 0x5d4.
const RTCP: &str = "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61
                    deadbeefdeadbeefdeadbeefdeadbeefdeadbeef";
/// Section 17.1.
const SRTCP_128: &str = "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32d
                         c676a5f1730d6fda4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf872
                         45d9eade800005d4";
/// Section 17.2.
const SRTCP_256: &str = "81c8000d4d617273d50ae4d1f5ce5d304ba297e47d470c282c3ece5dbffe0a50
                         a2eaa5c1110555be8415f658c61de0476f1b6fad1d1eb30c4446839f57ff6f6c
                         b26ac3be800005d4";
/// Section 17.3: authenticated only, the E flag clear.
const SRTCP_128_AUTH_ONLY: &str = "81c8000d4d6172734e5450314e545032525450200000042a0000e930
                                   4c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef841dd968
                                   3dd78ec92ae58790125f62b3000005d4";

fn vector_contexts(profile: Profile, key: &str) -> (Outbound, Inbound) {
    let c = || Cipher::from_session_keys(profile, &hex(key), &hex(SALT), &[], 16);
    (
        Outbound::from_ciphers(profile, c(), c()),
        Inbound::from_ciphers(profile, c(), c()),
    )
}

fn rfc_7714(profile: Profile, key: &str, srtp: &str, srtcp: &str) {
    let (mut tx, mut rx) = vector_contexts(profile, key);
    let (rtp, srtp) = (hex(RTP), hex(srtp));
    let mut buf = rtp.clone();
    buf.resize(rtp.len() + 16, 0);
    assert_eq!(tx.protect_rtp(&mut buf, rtp.len()), Ok(srtp.len()));
    assert_eq!(buf, srtp, "{profile} SRTP");
    assert_eq!(rx.unprotect_rtp(&mut buf), Ok(rtp.len()));
    assert_eq!(buf[..rtp.len()], rtp[..]);

    let (rtcp, srtcp) = (hex(RTCP), hex(srtcp));
    tx.set_srtcp_index(0x4d617273, 0x5d4);
    let mut buf = rtcp.clone();
    buf.resize(rtcp.len() + 20, 0);
    assert_eq!(tx.protect_rtcp(&mut buf, rtcp.len()), Ok(srtcp.len()));
    assert_eq!(buf, srtcp, "{profile} SRTCP");
    assert_eq!(rx.unprotect_rtcp(&mut buf), Ok(rtcp.len()));
    assert_eq!(buf[..rtcp.len()], rtcp[..]);
}

#[test]
fn rfc_7714_16_1_and_17_1_aes_128_gcm() {
    rfc_7714(Profile::AeadAes128Gcm, KEY_128, SRTP_128, SRTCP_128);
}

#[test]
fn rfc_7714_16_2_and_17_2_aes_256_gcm() {
    rfc_7714(Profile::AeadAes256Gcm, KEY_256, SRTP_256, SRTCP_256);
}

#[test]
fn rfc_7714_17_3_srtcp_without_the_e_flag_is_authenticated_and_accepted() {
    let (_, mut rx) = vector_contexts(Profile::AeadAes128Gcm, KEY_128);
    let mut buf = hex(SRTCP_128_AUTH_ONLY);
    let mut tampered = buf.clone();
    tampered[20] ^= 1;
    assert_eq!(rx.unprotect_rtcp(&mut tampered), Err(Error::AuthFailed));
    assert_eq!(rx.unprotect_rtcp(&mut buf), Ok(hex(RTCP).len()));
    assert_eq!(buf[..hex(RTCP).len()], hex(RTCP)[..]);
}

fn master(profile: Profile, seed: u8) -> MasterKey {
    let key: Vec<u8> = (0..profile.key_len() as u8)
        .map(|b| b.wrapping_mul(seed))
        .collect();
    let salt: Vec<u8> = (0..profile.salt_len() as u8).map(|b| b ^ seed).collect();
    MasterKey::new(profile, &key, &salt).unwrap()
}

fn pair(profile: Profile, config: &Config) -> (Outbound, Inbound) {
    let m = master(profile, 3);
    (
        Outbound::new(&m, config).unwrap(),
        Inbound::new(&m, config).unwrap(),
    )
}

fn rtp(seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x10, 0]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn rtcp(ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, 200, 0, 6];
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

fn protect_rtp(tx: &mut Outbound, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + tx.profile().rtp_overhead(), 0);
    let n = tx.protect_rtp(&mut buf, packet.len())?;
    buf.truncate(n);
    Ok(buf)
}

fn protect_rtcp(tx: &mut Outbound, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + tx.profile().rtcp_overhead(), 0);
    let n = tx.protect_rtcp(&mut buf, packet.len())?;
    buf.truncate(n);
    Ok(buf)
}

fn unprotect_rtp(rx: &mut Inbound, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    let n = rx.unprotect_rtp(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn unprotect_rtcp(rx: &mut Inbound, packet: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = packet.to_vec();
    let n = rx.unprotect_rtcp(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn any_profile() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

proptest! {
    /// Protect then unprotect gives the packet back, for RTP with CSRCs and an extension
    /// and for RTCP; flipping any one bit of the protected packet fails (authentication, or
    /// the header checks when the flip lands in the header's length fields).
    #[test]
    fn round_trip_and_any_tampering_fails(
        profile in any_profile(),
        seq in any::<u16>(),
        ssrc in any::<u32>(),
        csrcs in 0u8..3,
        ext_words in prop::option::of(0u16..3),
        payload in prop::collection::vec(any::<u8>(), 0..300),
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (mut tx, mut rx) = pair(profile, &Config::default());
        let mut packet = rtp(seq, ssrc, &[]);
        packet[0] |= csrcs;
        packet.extend(std::iter::repeat_n(0x11, 4 * usize::from(csrcs)));
        if let Some(words) = ext_words {
            packet[0] |= 0x10;
            packet.extend_from_slice(&[0xbe, 0xde]);
            packet.extend_from_slice(&words.to_be_bytes());
            packet.extend(std::iter::repeat_n(0x22, 4 * usize::from(words)));
        }
        packet.extend_from_slice(&payload);
        let srtp = protect_rtp(&mut tx, &packet).unwrap();
        prop_assert_eq!(srtp.len(), packet.len() + profile.rtp_overhead());
        let mut bad = srtp.clone();
        bad[flip.index(srtp.len())] ^= 1 << bit;
        prop_assert!(unprotect_rtp(&mut rx, &bad).is_err());
        prop_assert_eq!(unprotect_rtp(&mut rx, &srtp).unwrap(), packet.clone());

        let packet = rtcp(ssrc, &payload);
        let srtcp = protect_rtcp(&mut tx, &packet).unwrap();
        prop_assert_eq!(srtcp.len(), packet.len() + profile.rtcp_overhead());
        let mut bad = srtcp.clone();
        bad[flip.index(srtcp.len())] ^= 1 << bit;
        prop_assert!(unprotect_rtcp(&mut rx, &bad).is_err());
        prop_assert_eq!(unprotect_rtcp(&mut rx, &srtcp).unwrap(), packet);
    }

    /// Garbage never panics and never changes what is accepted next.
    #[test]
    fn garbage_is_refused(
        profile in any_profile(),
        junk in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let (mut tx, mut rx) = pair(profile, &Config::default());
        prop_assert!(unprotect_rtp(&mut rx, &junk).is_err());
        prop_assert!(unprotect_rtcp(&mut rx, &junk).is_err());
        prop_assert_eq!(rx.ssrc_count(), (0, 0));
        let packet = rtp(1, 1, b"after");
        let srtp = protect_rtp(&mut tx, &packet).unwrap();
        prop_assert_eq!(unprotect_rtp(&mut rx, &srtp).unwrap(), packet);
    }
}

/// RTP across a sequence number wrap, with reordering around it: every packet is
/// accepted once, with the rollover counter the sender used (a wrong ROC fails the tag).
#[test]
fn index_estimation_across_a_wrap_and_reordering() {
    for profile in Profile::ALL {
        let (mut tx, mut rx) = pair(profile, &Config::default());
        let seqs: Vec<u16> = (65500u32..65500 + 200).map(|s| s as u16).collect();
        let protected: Vec<Vec<u8>> = seqs
            .iter()
            .map(|&s| protect_rtp(&mut tx, &rtp(s, 9, &s.to_be_bytes())).unwrap())
            .collect();
        // Deliver in pairs swapped (…, 65535, 65534, 1, 0, …) and one 30 packets late.
        let mut order: Vec<usize> = (0..protected.len()).collect();
        for pair in order.chunks_mut(2) {
            pair.reverse();
        }
        let late = order.remove(20);
        order.insert(50, late);
        for i in order {
            let got = unprotect_rtp(&mut rx, &protected[i]).unwrap();
            assert_eq!(got, rtp(seqs[i], 9, &seqs[i].to_be_bytes()), "{profile}");
        }
        // Sent again, a packet from past the wrap is a replay of its ROC 1 index.
        assert_eq!(
            unprotect_rtp(&mut rx, &protected[150]),
            Err(Error::Replayed { index: 65536 + 114 })
        );
    }
}

/// Many wraps in order: the ROC keeps counting.
#[test]
fn the_rollover_counter_counts_many_wraps() {
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, &Config::default());
    for i in 0u32..(5 * 65536) {
        if i % 997 != 0 {
            continue; // every 997th packet: gaps well under 2^15
        }
        let seq = i as u16;
        let srtp = protect_rtp(&mut tx, &rtp(seq, 1, b"x")).unwrap();
        assert_eq!(unprotect_rtp(&mut rx, &srtp).unwrap(), rtp(seq, 1, b"x"));
    }
}

#[test]
fn replays_and_old_packets_are_refused_and_the_window_is_configurable() {
    for window in [64, 1024] {
        let config = Config {
            replay_window: window,
            ..Config::default()
        };
        let (mut tx, mut rx) = pair(Profile::AeadAes128Gcm, &config);
        let packets: Vec<Vec<u8>> = (0..=window as u16 + 1)
            .map(|s| protect_rtp(&mut tx, &rtp(s, 5, b"p")).unwrap())
            .collect();
        let rtcps: Vec<Vec<u8>> = (0..=window + 1)
            .map(|_| protect_rtcp(&mut tx, &rtcp(5, b"r")).unwrap())
            .collect();
        // Index 1 first, then the newest, then 1 again.
        unprotect_rtp(&mut rx, &packets[1]).unwrap();
        unprotect_rtp(&mut rx, packets.last().unwrap()).unwrap();
        assert_eq!(
            unprotect_rtp(&mut rx, &packets[1]),
            Err(Error::TooOld {
                index: 1,
                highest: window + 1,
                window,
            })
        );
        // Index 2 is inside the window: accepted once.
        unprotect_rtp(&mut rx, &packets[2]).unwrap();
        assert_eq!(
            unprotect_rtp(&mut rx, &packets[2]),
            Err(Error::Replayed { index: 2 })
        );
        // SRTCP the same way.
        unprotect_rtcp(&mut rx, rtcps.last().unwrap()).unwrap();
        assert!(matches!(
            unprotect_rtcp(&mut rx, &rtcps[0]),
            Err(Error::TooOld { .. })
        ));
        unprotect_rtcp(&mut rx, &rtcps[2]).unwrap();
        assert_eq!(
            unprotect_rtcp(&mut rx, &rtcps[2]),
            Err(Error::Replayed { index: 2 })
        );
    }
    for window in [0, 63, 32769] {
        let config = Config {
            replay_window: window,
            ..Config::default()
        };
        assert_eq!(
            Inbound::new(&master(Profile::AeadAes128Gcm, 1), &config).err(),
            Some(SetupError::ReplayWindow(window))
        );
    }
}

#[test]
fn the_ssrc_bound_refuses_new_ssrcs_with_a_typed_error() {
    let config = Config {
        max_ssrcs: 3,
        ..Config::default()
    };
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_32, &config);
    let big = Config::default();
    let (mut tx_any, _) = pair(Profile::Aes128CmHmacSha1_32, &big);
    for ssrc in 1..=3 {
        let p = protect_rtp(&mut tx, &rtp(1, ssrc, b"x")).unwrap();
        unprotect_rtp(&mut rx, &p).unwrap();
        let p = protect_rtcp(&mut tx, &rtcp(ssrc, b"x")).unwrap();
        unprotect_rtcp(&mut rx, &p).unwrap();
    }
    let fourth = Err(Error::TooManySsrcs { ssrc: 4, max: 3 });
    assert_eq!(protect_rtp(&mut tx, &rtp(1, 4, b"x")), fourth.clone());
    assert_eq!(protect_rtcp(&mut tx, &rtcp(4, b"x")), fourth.clone());
    let p = protect_rtp(&mut tx_any, &rtp(1, 4, b"x")).unwrap();
    assert_eq!(unprotect_rtp(&mut rx, &p), fourth.clone());
    let p = protect_rtcp(&mut tx_any, &rtcp(4, b"x")).unwrap();
    assert_eq!(unprotect_rtcp(&mut rx, &p), fourth);
    // Known SSRCs go on; a removed one frees room.
    let p = protect_rtp(&mut tx, &rtp(2, 3, b"y")).unwrap();
    unprotect_rtp(&mut rx, &p).unwrap();
    rx.remove_ssrc(1);
    let p = protect_rtp(&mut tx_any, &rtp(2, 4, b"z")).unwrap();
    unprotect_rtp(&mut rx, &p).unwrap();
    assert_eq!(rx.ssrc_count(), (3, 2));
}

#[test]
fn short_buffers_and_packets_are_typed_errors() {
    let (mut tx, mut rx) = pair(Profile::Aes128CmHmacSha1_80, &Config::default());
    let p = rtp(1, 1, b"abc");
    let mut buf = p.clone();
    assert_eq!(
        tx.protect_rtp(&mut buf, p.len()),
        Err(Error::BufferTooSmall { need: 25, have: 15 })
    );
    assert_eq!(
        tx.protect_rtp(&mut buf, 20),
        Err(Error::BufferTooSmall { need: 30, have: 15 })
    );
    assert_eq!(
        tx.protect_rtp(&mut buf, usize::MAX),
        Err(Error::BufferTooSmall {
            need: usize::MAX,
            have: 15
        }),
        "a length past the buffer is an error, not an overflow"
    );
    assert_eq!(
        tx.protect_rtcp(&mut buf, usize::MAX),
        Err(Error::BufferTooSmall {
            need: usize::MAX,
            have: 15
        })
    );
    assert_eq!(
        rx.unprotect_rtp(&mut [0x80; 5]),
        Err(Error::TooShort { need: 22, have: 5 })
    );
    assert_eq!(
        rx.unprotect_rtcp(&mut [0x80; 5]),
        Err(Error::TooShort { need: 22, have: 5 })
    );
    let mut v1 = protect_rtp(&mut tx, &p).unwrap();
    v1[0] = 0x40;
    assert_eq!(rx.unprotect_rtp(&mut v1), Err(Error::BadVersion(0x40)));
}

#[test]
fn session_keys_differ_per_direction_and_kind() {
    // The RTP and RTCP keys of one master key are different (labels 0-2 and 3-5), so an
    // SRTP packet does not authenticate as SRTCP.
    let m = master(Profile::Aes128CmHmacSha1_80, 9);
    let (rtp_c, rtcp_c) = (
        Cipher::derive(&m, Kind::Rtp),
        Cipher::derive(&m, Kind::Rtcp),
    );
    let mut a = rtcp(1, &[0; 16]);
    a.resize(a.len() + 14, 0);
    let mut b = a.clone();
    let n = rtp_c.protect_rtcp(&mut a, 24, 1, 0);
    rtcp_c.protect_rtcp(&mut b, 24, 1, 0);
    assert_ne!(a[..n], b[..n]);
}
