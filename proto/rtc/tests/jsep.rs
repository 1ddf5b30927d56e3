//! Two peers negotiate with SDP (RFC 9429) on wren-netsim, as two browsers' peer
//! connections would: A offers audio, video and a data section with its candidates; B
//! answers; the offerer controls ICE, the answerer takes `a=setup:active` and is the DTLS
//! client; both connect and SRTP flows. A description that lies about the certificate
//! fails DTLS; a broken one is refused naming its line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::Machine;
use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, NodeId, Sim};
use wren_rtc::{
    ChannelId, ChannelOptions, Command, Config, DtlsRole, DtlsState, Event, JsepError, Peer,
    SdpType, SessionDescription,
};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

fn peer(sim: &mut Sim, ip: &str) -> NodeId {
    let host = sim.add_host(HostConfig::public(ip.parse().unwrap()));
    let identity = Arc::new(Identity::generate().unwrap());
    // The roles given here are the direct API's: JSEP decides them.
    let mut config = Config::new(
        wren_ice::Role::Controlled,
        DtlsRole::Server,
        vec![ip.parse().unwrap()],
        identity,
    );
    config.rng_seed = Some(sim.fork_seed());
    let now = sim.now();
    sim.add_machine(host, Peer::new(now, config))
}

fn connected(events: &[Event]) -> bool {
    events.iter().any(|e| matches!(e, Event::Connected { .. }))
}

#[test]
fn an_offer_and_its_answer_connect_two_peers() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(11, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    let b = peer(&mut sim, "10.0.0.2");
    // Host candidates are gathered once the sockets are bound.
    sim.run_for(Duration::from_millis(10));
    let offer = sim.with(a, |p: &mut Peer, now| {
        p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
        p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
        p.add_data_section();
        p.create_offer(now).unwrap()
    });
    assert!(offer.contains("a=setup:actpass\r\n"), "{offer}");
    assert!(offer.contains("a=candidate:"), "{offer}");
    assert!(offer.contains("m=application "), "{offer}");
    let answer = sim.with(b, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer.clone(),
        };
        p.set_remote_description(now, &desc).unwrap();
        p.create_answer(now).unwrap()
    });
    assert!(answer.contains("a=setup:active\r\n"), "{answer}");
    assert!(answer.contains("a=candidate:"), "{answer}");
    sim.with(a, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer.clone(),
        };
        p.set_remote_description(now, &desc)
    })
    .unwrap();
    let mut seen: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let end = sim.now() + Duration::from_secs(10);
    while !(connected(&seen[0]) && connected(&seen[1])) && sim.now() < end {
        sim.run_for(Duration::from_millis(10));
        seen[0].extend(sim.events::<Peer>(a));
        seen[1].extend(sim.events::<Peer>(b));
    }
    assert!(connected(&seen[0]) && connected(&seen[1]), "{seen:#?}");
    // The offerer controlled ICE; the answerer was the DTLS client.
    assert_eq!(
        sim.with(a, |p: &mut Peer, _| p.ice().role()),
        wren_ice::Role::Controlling
    );
    assert_eq!(
        sim.with(b, |p: &mut Peer, _| p.local_parameters().dtls_role),
        DtlsRole::Client
    );
    assert_eq!(
        sim.with(a, |p: &mut Peer, _| p.dtls_state()),
        DtlsState::Connected
    );
    assert!(
        seen.iter()
            .flatten()
            .all(|e| !matches!(e, Event::SectionRejected(_)))
    );
    assert_eq!(
        sim.with(a, |p: &mut Peer, _| p
            .local_description()
            .map(str::to_owned)),
        Some(offer)
    );
    // SRTP flows.
    let rtp = vec![0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, b'o', b'k'];
    sim.with(b, |p: &mut Peer, now| {
        p.handle_command(now, Command::SendRtp(rtp.clone()))
    })
    .unwrap();
    sim.run_for(Duration::from_millis(50));
    assert!(sim.events::<Peer>(a).contains(&Event::Rtp(rtp)));
}

#[test]
fn a_section_with_no_common_codec_is_rejected_with_the_codecs_named() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(12, Instant::now());
    let b = peer(&mut sim, "10.0.0.2");
    let identity = Identity::generate().unwrap();
    let fp = identity.fingerprint().to_string();
    // Video with only a codec we do not have.
    let offer = format!(
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
         a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\na=fingerprint:{fp}\r\n\
         m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=setup:actpass\r\n\
         a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n\
         m=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=setup:actpass\r\n\
         a=sendrecv\r\na=rtcp-mux\r\na=rtpmap:120 H266/90000\r\n"
    );
    let answer = sim.with(b, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        };
        p.set_remote_description(now, &desc).unwrap();
        p.create_answer(now).unwrap()
    });
    assert!(answer.contains("m=video 0 "), "{answer}");
    let rejected: Vec<_> = sim
        .events::<Peer>(b)
        .into_iter()
        .filter_map(|e| match e {
            Event::SectionRejected(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].mid.as_deref(), Some("1"));
    let why = rejected[0].to_string();
    assert!(why.contains("H266"), "{why}");
}

#[test]
fn descriptions_that_cannot_be_taken_are_refused_with_the_reason() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(13, Instant::now());
    let b = peer(&mut sim, "10.0.0.2");
    let take = |sim: &mut Sim, kind, sdp: &str| {
        sim.with(b, |p: &mut Peer, now| {
            let desc = SessionDescription {
                kind,
                sdp: sdp.to_owned(),
            };
            p.set_remote_description(now, &desc)
        })
    };
    // An m= line with too few fields: the parse error names line 5.
    let broken = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9\r\n";
    match take(&mut sim, SdpType::Offer, broken) {
        Err(JsepError::Parse(e)) => assert!(e.to_string().contains("line 5"), "{e}"),
        other => panic!("{other:?}"),
    }
    let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";
    let audio =
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n";
    assert_eq!(
        take(&mut sim, SdpType::Offer, &format!("{head}{audio}")),
        Err(JsepError::NoIceCredentials)
    );
    let ice = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n";
    assert_eq!(
        take(&mut sim, SdpType::Offer, &format!("{head}{ice}{audio}")),
        Err(JsepError::NoFingerprint)
    );
    // An answer with nothing offered.
    let fp = Identity::generate().unwrap().fingerprint().to_string();
    let answer = format!("{head}{ice}a=fingerprint:{fp}\r\n{audio}a=setup:active\r\n");
    assert!(matches!(
        take(&mut sim, SdpType::Answer, &answer),
        Err(JsepError::State(_))
    ));
    assert!(matches!(
        sim.with(b, |p: &mut Peer, now| p.create_answer(now)),
        Err(JsepError::NoRemoteOffer)
    ));
}

/// The DTLS role JSEP settles, not the one in the config, decides the data channels' side:
/// the answerer (`a=setup:active`) is the DTLS client and its in-band channels take even
/// ids, the offerer's odd ones (RFC 8832 section 6). Both configs here say `Server`, so a
/// peer that kept its config's role would give both channels id 1. aiortc found this: it
/// refuses a DATA_CHANNEL_OPEN on an id of its own parity and closes the connection.
#[test]
fn in_band_channels_take_the_parity_of_the_negotiated_dtls_role() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(14, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    let b = peer(&mut sim, "10.0.0.2");
    sim.run_for(Duration::from_millis(10));
    let offer = sim.with(a, |p: &mut Peer, now| {
        p.add_data_section();
        p.create_offer(now).unwrap()
    });
    let (answer, b_id) = sim.with(b, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        };
        p.set_remote_description(now, &desc).unwrap();
        let answer = p.create_answer(now).unwrap();
        let id = p
            .create_channel(now, "from b", ChannelOptions::reliable())
            .unwrap();
        (answer, id)
    });
    let a_id = sim.with(a, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer,
        };
        p.set_remote_description(now, &desc).unwrap();
        p.create_channel(now, "from a", ChannelOptions::reliable())
            .unwrap()
    });
    assert_eq!((a_id, b_id), (ChannelId(1), ChannelId(0)));
    let opened = |events: &[Event]| -> Vec<(ChannelId, String)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::ChannelOpen { id, label, .. } => Some((*id, label.clone())),
                _ => None,
            })
            .collect()
    };
    let mut seen: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let end = sim.now() + Duration::from_secs(10);
    while (opened(&seen[0]).len() < 2 || opened(&seen[1]).len() < 2) && sim.now() < end {
        sim.run_for(Duration::from_millis(10));
        seen[0].extend(sim.events::<Peer>(a));
        seen[1].extend(sim.events::<Peer>(b));
    }
    for events in &seen {
        let mut channels = opened(events);
        channels.sort();
        assert_eq!(
            channels,
            [
                (ChannelId(0), "from b".to_owned()),
                (ChannelId(1), "from a".to_owned())
            ],
            "{events:#?}"
        );
    }
}
