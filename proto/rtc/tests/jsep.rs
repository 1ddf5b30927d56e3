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
    ChannelId, ChannelOptions, ChannelState, Command, Config, DtlsRole, DtlsState, Event,
    JsepError, Peer, SdpType, SessionDescription,
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

/// An RTP packet of `ssrc` and payload type `pt`.
fn rtp(pt: u8, seq: u16, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x10, 0]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

#[test]
fn media_and_data_flow_on_what_the_exchange_negotiated() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(12, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    let b = peer(&mut sim, "10.0.0.2");
    sim.run_for(Duration::from_millis(10));
    let offer = sim.with(a, |p: &mut Peer, now| {
        p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
        p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
        p.add_data_section();
        p.create_offer(now).unwrap()
    });
    // B wants to send too, as a page that added tracks before taking the offer.
    let answer = sim.with(b, |p: &mut Peer, now| {
        p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
        p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
        let desc = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer.clone(),
        };
        p.set_remote_description(now, &desc).unwrap();
        p.create_answer(now).unwrap()
    });
    sim.with(a, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer,
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
    for s in &seen {
        assert_eq!(s.iter().filter(|e| **e == Event::Negotiated).count(), 1);
    }
    let na = sim.with(a, |p: &mut Peer, _| p.negotiated_media().to_vec());
    let nb = sim.with(b, |p: &mut Peer, _| p.negotiated_media().to_vec());
    assert_eq!(na.len(), 2);
    for (x, y) in na.iter().zip(&nb) {
        assert_eq!(x.mid, y.mid);
        assert_eq!(x.codecs, y.codecs, "both sides took the same codecs");
        // What one sends is what the other expects.
        assert_eq!(y.remote_ssrcs, vec![x.send_ssrc.unwrap()]);
        assert_eq!(x.remote_ssrcs, vec![y.send_ssrc.unwrap()]);
    }
    let video = &na[1];
    let pt = video.primary_codec().unwrap().payload_type;
    let ssrc = video.send_ssrc.unwrap();
    for seq in 0..20u16 {
        let packet = rtp(pt, seq, ssrc, b"frame");
        sim.with(a, |p: &mut Peer, now| {
            p.handle_command(now, Command::SendRtp(packet))
        })
        .unwrap();
        sim.run_for(Duration::from_millis(5));
    }
    sim.run_for(Duration::from_millis(100));
    let got: Vec<Event> = sim.events::<Peer>(b);
    let rtp_in: Vec<&Vec<u8>> = got
        .iter()
        .filter_map(|e| match e {
            Event::Rtp(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(rtp_in.len(), 20);
    assert_eq!(
        sim.with(b, |p: &mut Peer, _| p.mid_of_ssrc(ssrc).map(str::to_owned))
            .as_deref(),
        Some("1")
    );
    // The receive stream JSEP configured counted them.
    let inbound = sim.with(b, |p: &mut Peer, _| p.media_stats().inbound);
    let video_in = inbound
        .iter()
        .find(|s| s.ssrc == ssrc)
        .expect("a receive stream for A's video");
    assert_eq!(video_in.packets_received, 20);
    // The data section: a channel of A's opens on B, and a message arrives.
    let id = sim
        .with(a, |p: &mut Peer, now| {
            p.create_channel(now, "chat", ChannelOptions::reliable())
        })
        .unwrap();
    sim.run_for(Duration::from_millis(200));
    sim.with(a, |p: &mut Peer, now| {
        p.send_channel(now, id, b"hello", false)
    })
    .unwrap();
    sim.run_for(Duration::from_millis(200));
    let got = sim.events::<Peer>(b);
    assert!(
        got.iter()
            .any(|e| matches!(e, Event::ChannelOpen { label, .. } if label == "chat")),
        "{got:#?}"
    );
    assert!(
        got.iter().any(
            |e| matches!(e, Event::ChannelMessage { data, binary: false, .. } if data == b"hello")
        ),
        "{got:#?}"
    );
    // The getStats-shaped report says the same.
    let (ra, rb) = (
        sim.with(a, |p: &mut Peer, _| p.get_stats()),
        sim.with(b, |p: &mut Peer, _| p.get_stats()),
    );
    for r in [&ra, &rb] {
        assert_eq!(r.transport.ice_state, wren_ice::ConnectionState::Connected);
        assert_eq!(r.transport.dtls_state, DtlsState::Connected);
        let selected = r.transport.selected_pair.as_ref().expect("a selected pair");
        assert!(
            r.candidate_pairs
                .iter()
                .any(|p| p.state == wren_ice::PairState::Succeeded
                    && p.local.addr == selected.local.addr
                    && p.remote.addr == selected.remote.addr),
            "{:#?}",
            r.candidate_pairs
        );
    }
    assert_eq!(ra.transport.dtls_role, DtlsRole::Server);
    assert_eq!(rb.transport.dtls_role, DtlsRole::Client);
    let (ca, cb) = (&ra.data_channels[0], &rb.data_channels[0]);
    assert_eq!((ca.label.as_str(), ca.state), ("chat", ChannelState::Open));
    assert_eq!((cb.label.as_str(), cb.state), ("chat", ChannelState::Open));
    assert_eq!(
        (ca.messages_sent, ca.bytes_sent, ca.messages_received),
        (1, 5, 0)
    );
    assert_eq!(
        (cb.messages_received, cb.bytes_received, cb.messages_sent),
        (1, 5, 0)
    );
    assert_eq!(
        rb.media
            .inbound
            .iter()
            .map(|s| s.packets_received)
            .sum::<u64>(),
        20
    );
    assert_eq!(
        ra.media
            .outbound
            .iter()
            .map(|s| s.packets_sent)
            .sum::<u64>(),
        20
    );
}

/// Runs until both peers' ICE (again, after a restart) and DTLS are connected, or panics.
fn until_connected(sim: &mut Sim, nodes: [NodeId; 2]) {
    let end = sim.now() + Duration::from_secs(10);
    loop {
        sim.run_for(Duration::from_millis(10));
        let up = nodes.iter().all(|&n| {
            sim.with(n, |p: &mut Peer, _| {
                let t = p.get_stats().transport;
                t.ice_state == wren_ice::ConnectionState::Connected
                    && t.selected_pair.is_some()
                    && t.dtls_state == DtlsState::Connected
            })
        });
        if up {
            return;
        }
        assert!(sim.now() < end, "ICE did not reconnect");
    }
}

/// One offer/answer exchange, `offerer` to `answerer`.
fn exchange(sim: &mut Sim, offerer: NodeId, answerer: NodeId) -> (String, String) {
    let offer = sim.with(offerer, |p: &mut Peer, now| p.create_offer(now).unwrap());
    sim.with(offerer, |p: &mut Peer, _| {
        p.set_local_description(&SessionDescription {
            kind: SdpType::Offer,
            sdp: offer.clone(),
        })
    })
    .unwrap();
    let answer = sim.with(answerer, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Offer,
            sdp: offer.clone(),
        };
        p.set_remote_description(now, &desc).unwrap();
        p.create_answer(now).unwrap()
    });
    sim.with(offerer, |p: &mut Peer, now| {
        let desc = SessionDescription {
            kind: SdpType::Answer,
            sdp: answer.clone(),
        };
        p.set_remote_description(now, &desc)
    })
    .unwrap();
    (offer, answer)
}

/// RTP packets of `from`'s track in section `mid`, and how many of them `to` received.
fn media_through(sim: &mut Sim, from: NodeId, to: NodeId, mid: &str, seq: u16) -> usize {
    let (ssrc, pt) = sim.with(from, |p: &mut Peer, _| {
        let n = p.negotiated_media().iter().find(|n| n.mid == mid).unwrap();
        (
            n.send_ssrc.unwrap(),
            n.primary_codec().unwrap().payload_type,
        )
    });
    let _ = sim.events::<Peer>(to);
    for i in 0..10 {
        let packet = rtp(pt, seq + i, ssrc, b"media");
        sim.with(from, |p: &mut Peer, now| {
            p.handle_command(now, Command::SendRtp(packet))
        })
        .unwrap();
        sim.run_for(Duration::from_millis(5));
    }
    sim.run_for(Duration::from_millis(100));
    let got = sim.events::<Peer>(to);
    let n = got
        .iter()
        .filter(|e| matches!(e, Event::Rtp(p) if p[8..12] == ssrc.to_be_bytes()))
        .count();
    assert_eq!(
        sim.with(to, |p: &mut Peer, _| p.mid_of_ssrc(ssrc).map(str::to_owned))
            .as_deref(),
        Some(mid)
    );
    n
}

#[test]
fn an_ice_restart_a_new_video_section_and_a_stopped_one_keep_the_call_going() {
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(13, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    let b = peer(&mut sim, "10.0.0.2");
    sim.run_for(Duration::from_millis(10));
    for n in [a, b] {
        sim.with(n, |p: &mut Peer, _| {
            p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv))
        });
    }
    exchange(&mut sim, a, b);
    until_connected(&mut sim, [a, b]);
    assert_eq!(media_through(&mut sim, a, b, "0", 0), 10);

    // A restarts ICE: new credentials on both sides, checks again, media still flows.
    let ufrags = |sim: &mut Sim| {
        [a, b].map(|n| sim.with(n, |p: &mut Peer, _| p.local_parameters().credentials.ufrag))
    };
    let before = ufrags(&mut sim);
    let checks = sim.with(a, |p: &mut Peer, _| p.get_stats().transport.ice.checks_sent);
    sim.with(a, |p: &mut Peer, now| p.restart_ice(now));
    let (offer, answer) = exchange(&mut sim, a, b);
    let after = ufrags(&mut sim);
    assert_ne!(before[0], after[0]);
    assert_ne!(before[1], after[1], "the answerer restarts too");
    assert!(
        offer.contains(&format!("a=ice-ufrag:{}", after[0])),
        "{offer}"
    );
    assert!(
        answer.contains(&format!("a=ice-ufrag:{}", after[1])),
        "{answer}"
    );
    until_connected(&mut sim, [a, b]);
    assert!(sim.with(a, |p: &mut Peer, _| p.get_stats().transport.ice.checks_sent) > checks);
    assert_eq!(media_through(&mut sim, a, b, "0", 100), 10);
    assert_eq!(media_through(&mut sim, b, a, "0", 100), 10);

    // B adds video and offers: A answers with a receiving section, and B's video arrives.
    sim.with(b, |p: &mut Peer, _| {
        p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendOnly))
    });
    let (offer, _) = exchange(&mut sim, b, a);
    assert!(offer.contains("m=video "), "{offer}");
    let video = sim.with(a, |p: &mut Peer, _| p.negotiated_media()[1].clone());
    assert_eq!(
        (video.mid.as_str(), video.direction),
        ("1", Direction::RecvOnly)
    );
    assert_eq!(media_through(&mut sim, b, a, "1", 200), 10);

    // A stops its audio: the section is gone from both sides' negotiated media.
    sim.with(a, |p: &mut Peer, _| p.stop_transceiver(0));
    let (offer, _) = exchange(&mut sim, a, b);
    assert!(offer.contains("m=audio 0 "), "{offer}");
    for n in [a, b] {
        let mids: Vec<String> = sim.with(n, |p: &mut Peer, _| {
            p.negotiated_media().iter().map(|m| m.mid.clone()).collect()
        });
        assert_eq!(mids, vec!["1".to_owned()]);
    }
    assert_eq!(media_through(&mut sim, b, a, "1", 300), 10);
}

#[test]
fn set_local_description_takes_only_what_we_made() {
    #[allow(clippy::disallowed_methods)]
    let mut sim = Sim::new(14, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    sim.run_for(Duration::from_millis(10));
    sim.with(a, |p: &mut Peer, now| {
        p.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
        let offer = p.create_offer(now).unwrap();
        let munged = offer.replace("a=sendrecv", "a=sendonly");
        assert_eq!(
            p.set_local_description(&SessionDescription {
                kind: SdpType::Offer,
                sdp: munged,
            }),
            Err(JsepError::NotOurs(SdpType::Offer))
        );
        p.set_local_description(&SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        })
    })
    .unwrap();
}

#[test]
fn a_source_the_sdp_did_not_announce_is_learned_from_its_mid_and_rid_extensions() {
    use wren_rtp::rtp::{ExtensionForm, RtpHeader, RtpWriter};
    use wren_sdp::jsep::capabilities::uri;
    #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
    let mut sim = Sim::new(15, Instant::now());
    let a = peer(&mut sim, "10.0.0.1");
    let b = peer(&mut sim, "10.0.0.2");
    sim.run_for(Duration::from_millis(10));
    sim.with(a, |p: &mut Peer, _| {
        p.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendOnly))
    });
    exchange(&mut sim, a, b);
    until_connected(&mut sim, [a, b]);
    let video = sim.with(a, |p: &mut Peer, _| p.negotiated_media()[0].clone());
    let (mid_id, rid_id) = (
        video.extension_id(uri::MID).expect("mid negotiated"),
        video.extension_id(uri::RID).expect("rid negotiated"),
    );
    let pt = video.primary_codec().unwrap().payload_type;
    // Simulcast layers as Chromium sends them: SSRCs no a=ssrc line gave, mid and rid on
    // each packet.
    let layer = |ssrc: u32, seq: u16, mid: &str, rid: &str| {
        let mut buf = vec![0u8; 200];
        let header = RtpHeader {
            payload_type: pt,
            sequence_number: seq,
            ssrc,
            ..Default::default()
        };
        let mut w = RtpWriter::new(&mut buf, &header).unwrap();
        w.extensions(ExtensionForm::OneByte).unwrap();
        w.extension(mid_id, mid.as_bytes()).unwrap();
        w.extension(rid_id, rid.as_bytes()).unwrap();
        let n = w.finish(b"layer", 0).unwrap();
        buf.truncate(n);
        buf
    };
    let mut sent = Vec::new();
    for seq in 0..5u16 {
        sent.push(layer(0x5100_0001, seq, "0", "h"));
        sent.push(layer(0x5100_0002, seq, "0", "l"));
        // A mid of no section: not learned, still handed over.
        sent.push(layer(0x5100_0003, seq, "7", "x"));
    }
    let _ = sim.events::<Peer>(b);
    for packet in sent {
        sim.with(a, |p: &mut Peer, now| {
            p.handle_command(now, Command::SendRtp(packet))
        })
        .unwrap();
        sim.run_for(Duration::from_millis(2));
    }
    sim.run_for(Duration::from_millis(100));
    let got = sim.events::<Peer>(b);
    let learned: Vec<(String, u32, Option<String>)> = got
        .iter()
        .filter_map(|e| match e {
            Event::RemoteSource { mid, ssrc, rid } => Some((mid.clone(), *ssrc, rid.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        learned,
        vec![
            ("0".to_owned(), 0x5100_0001, Some("h".to_owned())),
            ("0".to_owned(), 0x5100_0002, Some("l".to_owned())),
        ]
    );
    assert_eq!(
        got.iter().filter(|e| matches!(e, Event::Rtp(_))).count(),
        15
    );
    let (n, inbound) = sim.with(b, |p: &mut Peer, _| {
        (p.negotiated_media()[0].clone(), p.media_stats().inbound)
    });
    assert_eq!(
        n.remote_rids,
        vec![(0x5100_0001, "h".to_owned()), (0x5100_0002, "l".to_owned())]
    );
    assert_eq!(
        sim.with(b, |p: &mut Peer, _| p
            .mid_of_ssrc(0x5100_0002)
            .map(str::to_owned))
            .as_deref(),
        Some("0")
    );
    for ssrc in [0x5100_0001, 0x5100_0002] {
        let s = inbound
            .iter()
            .find(|s| s.ssrc == ssrc)
            .expect("a receive stream");
        assert_eq!(s.packets_received, 5);
    }
    assert!(inbound.iter().all(|s| s.ssrc != 0x5100_0003));
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
