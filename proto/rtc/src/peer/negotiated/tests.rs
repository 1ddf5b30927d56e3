//! The binding of a real browser's offer to RTP mode: the Chromium 156 offer of the SDP
//! corpus answered by a peer with an audio and a video transceiver.

use std::sync::Arc;
use std::time::Instant;

use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind as SdpKind, Transceiver};

use crate::{Config, DtlsRole, Event, Peer, SdpType, SessionDescription};

const CHROMIUM_OFFER: &str = include_str!("../../../../sdp/tests/corpus/chromium-156-offer.sdp");

fn answerer() -> (Peer, Instant) {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let identity = Arc::new(wren_dtls::identity::Identity::generate().unwrap());
    let mut c = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec!["10.0.0.2".parse().unwrap()],
        identity,
    );
    c.rng_seed = Some([3; 32]);
    let mut p = Peer::new(now, c);
    p.add_transceiver(Transceiver::new(SdpKind::Audio, Direction::SendRecv));
    p.add_transceiver(Transceiver::new(SdpKind::Video, Direction::SendRecv));
    (p, now)
}

#[test]
fn a_chromium_offer_binds_its_sources_and_our_tracks_per_mid() {
    let (mut p, now) = answerer();
    let offer = SessionDescription {
        kind: SdpType::Offer,
        sdp: CHROMIUM_OFFER
            .replace('\n', "\r\n")
            .replace("\r\r\n", "\r\n"),
    };
    p.set_remote_description(now, &offer).unwrap();
    assert!(
        p.negotiated_media().is_empty(),
        "not before the answer is ours"
    );
    let answer = p.create_answer(now).unwrap();
    let n = p.negotiated_media().to_vec();
    assert_eq!(n.len(), 2, "{n:#?}");
    let (audio, video) = (&n[0], &n[1]);
    assert_eq!((audio.mid.as_str(), audio.kind), ("0", SdpKind::Audio));
    assert_eq!((video.mid.as_str(), video.kind), ("1", SdpKind::Video));
    assert_eq!(audio.direction, Direction::SendRecv);
    // The browser's sources, its RTX paired by FID.
    assert_eq!(audio.remote_ssrcs, vec![1_913_187_065]);
    assert_eq!(video.remote_ssrcs, vec![2_103_970_485]);
    assert_eq!(video.remote_rtx_ssrcs, vec![(2_103_970_485, 2_591_854_670)]);
    assert_eq!(p.mid_of_ssrc(2_591_854_670), Some("1"));
    assert_eq!(p.mid_of_ssrc(1_913_187_065), Some("0"));
    assert_eq!(p.mid_of_ssrc(7), None);
    // Our tracks: announced in the answer, with an RTX source for video.
    let (a, v, r) = (
        audio.send_ssrc.unwrap(),
        video.send_ssrc.unwrap(),
        video.send_rtx_ssrc.unwrap(),
    );
    assert_eq!(audio.send_rtx_ssrc, None);
    assert!(
        answer.contains(&format!("a=ssrc-group:FID {v} {r}\r\n")),
        "{answer}"
    );
    assert!(answer.contains(&format!("a=ssrc:{a} cname:")), "{answer}");
    // The codecs both took, with the offer's payload types: Opus 111, VP8 96 + RTX 97.
    assert_eq!(audio.primary_codec().unwrap().payload_type, 111);
    assert_eq!(video.primary_codec().unwrap().name, "VP8");
    assert!(video.rtx_payload_types().contains(&(96, 97)));
    assert!(video.nack() && !audio.nack());
    // The media part has the streams.
    let stats = p.media_stats();
    let mut sent: Vec<u32> = stats.outbound.iter().map(|s| s.ssrc).collect();
    sent.sort_unstable();
    let mut want = vec![a, v];
    want.sort_unstable();
    assert_eq!(sent, want);
    let mut received: Vec<u32> = stats.inbound.iter().map(|s| s.ssrc).collect();
    received.sort_unstable();
    assert_eq!(received, vec![1_913_187_065, 2_103_970_485]);
    let mut negotiated = 0;
    while let Some(e) = wren_core::Machine::poll_event(&mut p) {
        negotiated += usize::from(e == Event::Negotiated);
    }
    assert_eq!(negotiated, 1);
}

#[test]
fn a_receive_only_transceiver_gets_no_track_and_sends_nothing() {
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    let identity = Arc::new(wren_dtls::identity::Identity::generate().unwrap());
    let c = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec!["10.0.0.2".parse().unwrap()],
        identity,
    );
    let mut p = Peer::new(now, c);
    p.add_transceiver(Transceiver::new(SdpKind::Video, Direction::RecvOnly));
    let offer = SessionDescription {
        kind: SdpType::Offer,
        sdp: CHROMIUM_OFFER
            .replace('\n', "\r\n")
            .replace("\r\r\n", "\r\n"),
    };
    p.set_remote_description(now, &offer).unwrap();
    let answer = p.create_answer(now).unwrap();
    assert!(!answer.contains("a=ssrc:"), "{answer}");
    let video = p.negotiated_media().iter().find(|n| n.mid == "1").unwrap();
    assert_eq!(video.direction, Direction::RecvOnly);
    assert_eq!(video.send_ssrc, None);
    assert_eq!(video.remote_ssrcs, vec![2_103_970_485]);
}
