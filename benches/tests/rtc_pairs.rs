//! The harnesses of `benches/rtc.rs` (`src/rtc.rs`) really carry the packets: every RTP
//! packet handed to the sender comes out of the receiver with its payload, in both
//! pairs; so the benchmark compares equal work. (`tests/rtc_str0m_profile.rs` checks
//! the SRTP profile str0m negotiates.)

use std::time::Instant;

use wren_benches::rtc::{
    PAYLOAD, Str0mMode, Str0mPair, WREN_PROFILE, WrenMode, WrenPair, str0m_time_to_media,
    wren_time_to_media,
};

/// Enough packets for both stacks' timers to fire meanwhile: 7 s of virtual time
/// (RTCP reports, ICE consent checks every 4-6 s).
const PACKETS: u64 = 70_000;

/// The SRTP datagram: 12-byte header, 12 bytes of header extension (abs-send-time and
/// the transport-wide sequence number), the payload and the 16-byte GCM tag; the same
/// from both stacks.
const WIRE: usize = 12 + 12 + PAYLOAD + 16;

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn start() -> Instant {
    Instant::now()
}

#[test]
fn wren_pair_delivers_every_packet_with_aes_256_gcm() {
    for mode in [WrenMode::Bare, WrenMode::Streams] {
        let mut p = WrenPair::connect(start(), mode).expect("the wren-rtc peers connect");
        assert_eq!(
            p.profiles,
            [Some(WREN_PROFILE), Some(WREN_PROFILE)],
            "{mode:?}"
        );
        for n in 0..PACKETS {
            assert!(p.send_one().expect("sent"), "{mode:?}: packet {n} lost");
        }
        println!("wren-rtc {mode:?}: {:?}", p.counts);
        assert_eq!(p.counts.sent, PACKETS);
        assert_eq!(p.counts.received, PACKETS, "{mode:?}");
        assert_eq!(p.receiver_rtp_received(), PACKETS, "{mode:?}");
        assert_eq!(p.counts.wire_len, WIRE, "{mode:?}");
        if mode == WrenMode::Streams {
            // The work str0m does too: transport-wide numbers stamped and fed back,
            // receive statistics kept.
            let (tx, rx) = (p.media_stats(0), p.media_stats(1));
            assert_eq!(tx.twcc_unstamped, 0);
            assert!(rx.twcc_feedback_sent > 0, "{rx:?}");
            assert_eq!(rx.inbound[0].packets_received, PACKETS);
        }
        assert!(
            p.counts.delivered > PACKETS,
            "{mode:?}: the peers' own RTCP/STUN was delivered too ({:?})",
            p.counts
        );
    }
}

#[test]
fn str0m_pair_delivers_every_packet() {
    for mode in [Str0mMode::WithSctp, Str0mMode::RtpOnly] {
        let mut p = Str0mPair::connect(start(), mode).expect("the str0m peers connect");
        for n in 0..PACKETS {
            assert!(p.send_one().expect("sent"), "{mode:?}: packet {n} lost");
        }
        println!("str0m {mode:?}: {:?}", p.counts);
        assert_eq!(p.counts.sent, PACKETS);
        assert_eq!(p.counts.received, PACKETS, "{mode:?}");
        assert_eq!(p.counts.wire_len, WIRE, "{mode:?}: {:?}", p.counts);
        assert!(
            p.counts.delivered > PACKETS,
            "{mode:?}: str0m's own RTCP/STUN was delivered too ({:?})",
            p.counts
        );
    }
}

#[test]
fn both_pairs_reach_first_media() {
    // Each returns an error unless its first packet arrived.
    wren_time_to_media(start()).expect("wren-rtc first media");
    str0m_time_to_media(start()).expect("str0m first media");
}
