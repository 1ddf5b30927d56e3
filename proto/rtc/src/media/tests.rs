//! The coordinator's own paths: RTX received and unwrapped in place, streams refused,
//! flows, keyframe requests written.

use std::time::{Duration, Instant};

use wren_core::Rng;
use wren_rtp::rtcp::{Compound, Packet};
use wren_rtp::rtp::RtpPacket;
use wren_rtp::rtx;

use super::config::{MediaConfig, MediaKind, ReceiveStream, Rtx, SendStream, StreamError};
use super::{Media, Outgoing};
use crate::Event;
use crate::event::{FlowDirection, KeyframeKind};

fn media() -> (Media, Instant) {
    #[allow(clippy::disallowed_methods)] // an anchor for virtual time
    let now = Instant::now();
    let mut m = Media::new(now, MediaConfig::default(), Rng::from_seed([5; 32]));
    m.add_receive_stream(ReceiveStream {
        rtx: Some(Rtx {
            ssrc: 0x21,
            payload_types: vec![(96, 97)],
        }),
        nack: true,
        ..ReceiveStream::new(0x20, MediaKind::Video, 90_000)
    })
    .unwrap();
    (m, now)
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x20]);
    p.extend_from_slice(&[seq as u8; 30]);
    p
}

#[test]
fn an_rtx_packet_is_unwrapped_in_place_and_fills_its_gap() {
    let (mut m, now) = media();
    let mut scratch = Vec::new();
    for seq in [10u16, 11, 13] {
        let mut p = rtp(seq);
        assert!(m.handle_rtp(now, &mut p, &mut scratch));
        assert_eq!(p, rtp(seq), "an original is left as it came");
    }
    assert_eq!(m.recv[0].nack.len(), 1);
    // 12 comes back as RTX (RFC 4588: RTX SSRC and payload type, OSN first).
    let original = rtp(12);
    let mut buf = vec![0u8; 100];
    let n = rtx::wrap(
        &RtpPacket::parse(&original).unwrap(),
        rtx::Stream {
            ssrc: 0x21,
            payload_type: 97,
        },
        500,
        &mut buf,
    )
    .unwrap();
    buf.truncate(n);
    assert!(m.handle_rtp(now, &mut buf, &mut scratch));
    assert_eq!(buf, original, "the application gets the original");
    let s = m.stats();
    let inbound = &s.inbound[0];
    assert_eq!(
        (inbound.packets_received, inbound.packets_lost),
        (4, 0),
        "{inbound:?}"
    );
    assert_eq!(
        (
            inbound.retransmitted_packets_received,
            inbound.packets_recovered
        ),
        (1, 1)
    );
    assert_eq!(inbound.packets_missing, 0);
    // An RTX packet with no OSN (padding to probe bandwidth) is not delivered.
    let mut padding = vec![0x80, 97, 1, 245, 0, 0, 0, 0, 0, 0, 0, 0x21];
    assert!(!m.handle_rtp(now, &mut padding, &mut scratch));
    assert_eq!(m.stats().rtx_padding, 1);
    // An unknown SSRC passes through, counted.
    let mut other = rtp(1);
    other[11] = 0x99;
    assert!(m.handle_rtp(now, &mut other, &mut scratch));
    assert_eq!(m.stats().unknown_ssrc, 1);
}

#[test]
fn streams_with_a_taken_ssrc_or_no_clock_are_refused() {
    let (mut m, _) = media();
    let again = ReceiveStream::new(0x21, MediaKind::Video, 90_000);
    assert_eq!(
        m.add_receive_stream(again),
        Err(StreamError::SsrcInUse(0x21))
    );
    let zero = SendStream::new(1, MediaKind::Audio, 0);
    assert_eq!(m.add_send_stream(zero), Err(StreamError::ZeroClockRate));
    m.add_send_stream(SendStream::new(0x20, MediaKind::Video, 90_000))
        .unwrap();
    let self_rtx = SendStream {
        rtx: Some(Rtx {
            ssrc: 0x30,
            payload_types: Vec::new(),
        }),
        ..SendStream::new(0x30, MediaKind::Video, 90_000)
    };
    assert_eq!(
        m.add_send_stream(self_rtx),
        Err(StreamError::SsrcInUse(0x30))
    );
    assert_eq!(
        m.request_keyframe(0x77, KeyframeKind::Pli),
        Err(StreamError::UnknownSsrc(0x77))
    );
}

#[test]
fn flows_start_and_stop_and_keyframe_requests_are_written() {
    let (mut m, now) = media();
    let mut scratch = Vec::new();
    assert!(m.handle_rtp(now, &mut rtp(1), &mut scratch));
    let start = Event::MediaFlow {
        ssrc: 0x20,
        direction: FlowDirection::Incoming,
        flowing: true,
    };
    assert_eq!(m.poll_event(), Some(start));
    assert_eq!(m.poll_timeout(false), Some(now + Duration::from_secs(2)));
    m.handle_timeout(now + Duration::from_secs(2));
    assert_eq!(
        m.poll_event(),
        Some(Event::MediaFlow {
            ssrc: 0x20,
            direction: FlowDirection::Incoming,
            flowing: false,
        })
    );
    m.request_keyframe(0x20, KeyframeKind::Pli).unwrap();
    m.request_keyframe(0x20, KeyframeKind::Fir).unwrap();
    m.request_keyframe(0x20, KeyframeKind::Fir).unwrap();
    let mut fir_seqs = Vec::new();
    for want in ["PLI", "FIR", "FIR"] {
        let mut out = Vec::new();
        assert_eq!(m.poll_transmit(now, &mut out), Some(Outgoing::Rtcp));
        match Compound::parse(&out)
            .unwrap()
            .packets()
            .next()
            .unwrap()
            .unwrap()
        {
            Packet::Pli(p) if want == "PLI" => {
                assert_eq!((p.sender_ssrc, p.media_ssrc), (m.local_ssrc, 0x20));
            }
            Packet::Fir(f) if want == "FIR" => {
                assert_eq!(f.media_ssrc, 0, "RFC 5104 section 4.3.1.2");
                let e = f.entries.iter().next().unwrap();
                assert_eq!(e.ssrc, 0x20);
                fir_seqs.push(e.seq);
            }
            other => panic!("{other:?} for {want}"),
        }
    }
    // RFC 5104 section 4.3.1.2: a new request, a new command sequence number.
    assert_eq!(fir_seqs, [0, 1]);
    let s = &m.stats().inbound[0];
    assert_eq!((s.pli_count, s.fir_count), (1, 2));
}

#[test]
fn audio_alone_reports_every_5_s_and_video_every_second() {
    #[allow(clippy::disallowed_methods)] // an anchor for virtual time
    let now = Instant::now();
    let mut m = Media::new(now, MediaConfig::default(), Rng::from_seed([6; 32]));
    m.add_send_stream(SendStream::new(1, MediaKind::Audio, 48_000))
        .unwrap();
    let mut p = vec![0x80, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    m.handle_sent(now, &mut p);
    // The first report after half of 0.5 to 1.5 intervals, over e - 3/2.
    let first = m.reports.poll_timeout().unwrap() - now;
    assert!(
        first >= Duration::from_millis(1026) && first <= Duration::from_millis(3079),
        "{first:?}"
    );
    m.add_receive_stream(ReceiveStream::new(2, MediaKind::Video, 90_000))
        .unwrap();
    let t = now + first;
    assert_eq!(m.poll_transmit(t, &mut Vec::new()), Some(Outgoing::Rtcp));
    let next = m.reports.poll_timeout().unwrap() - t;
    assert!(
        next >= Duration::from_millis(410) && next <= Duration::from_millis(1232),
        "{next:?}"
    );
}
