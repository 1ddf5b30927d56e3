//! The frame-mode harnesses of `benches/frame.rs` do the work they are timed on: for each
//! codec, both pairs carry every frame, byte for byte as written, with nothing else read,
//! protected with the same SRTP profile, and wren-media's pacer holds nothing back.

use std::time::Instant;

use wren_benches::frame::{Codec, FRAMES, SRTP_PROFILE, Str0mBwe, Str0mFramePair, WrenFramePair};

/// Twice round the frame list (keyframes included), after 60 warm-up frames as the bench.
const N: u64 = 2 * FRAMES as u64;

#[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
fn wall() -> Instant {
    Instant::now()
}

#[test]
fn wren_media_delivers_every_frame_intact() {
    for codec in Codec::ALL {
        let mut p = WrenFramePair::connect(wall(), codec, 60).expect("connect");
        assert_eq!(
            p.profiles(),
            [Some(SRTP_PROFILE); 2],
            "the profile str0m uses"
        );
        for k in 0..N {
            assert!(p.send_one().expect("frame"), "{codec:?} frame {k}");
        }
        let c = p.counts;
        assert_eq!((c.sent, c.intact, c.wrong), (N, N, 0), "{codec:?}: {c:?}");
        let (tx, rx) = (p.stats(0), p.stats(1));
        assert_eq!(tx.frames_refused, 0, "{codec:?}");
        assert_eq!(rx.frames_dropped, 0, "{codec:?}");
        let target = p.target_bitrate();
        println!("wren-media {codec:?}: {c:?}; target {target} bit/s; sender {tx:?}");
    }
}

#[test]
fn str0m_delivers_every_frame_intact() {
    for codec in Codec::ALL {
        for bwe in [Str0mBwe::On, Str0mBwe::Off] {
            let mut p = Str0mFramePair::connect(wall(), codec, bwe, 60).expect("connect");
            for k in 0..N {
                assert!(p.send_one().expect("frame"), "{codec:?} {bwe:?} frame {k}");
            }
            let c = p.counts;
            assert_eq!((c.sent, c.intact, c.wrong), (N, N, 0), "{codec:?}: {c:?}");
            println!("str0m {codec:?} BWE {bwe:?}: {c:?}");
        }
    }
}
