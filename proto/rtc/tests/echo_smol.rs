//! The `echo_smol` example's run loop (on smol, in a thread of its own) answers a wren-rtc
//! peer of this test, driven by hand on a std UDP socket on 127.0.0.1: the test offers
//! audio and a data channel; every message it sends comes back intact and in order on its
//! channel, and every RTP packet it sends on its audio section comes back on that section
//! as the echo's own stream (the SSRC our peer learnt from the echo's answer); a PLI for
//! the echo's stream makes the echo ask for a keyframe of ours.
#![allow(clippy::disallowed_methods)] // a real socket and a runtime: the real clock

#[path = "../examples/echo_smol.rs"]
#[allow(dead_code, unreachable_pub)] // its main is the example's; `pub` is for this test
mod echo_smol;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{
    ChannelId, ChannelOptions, Config, DtlsRole, Event, KeyframeKind, Peer, Received, SdpType,
    SessionDescription,
};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

/// Messages sent (sizes 1 B to 16 KiB).
const MESSAGES: usize = 200;
/// RTP packets sent once the channel echoes (both sides have SRTP keys then).
const PACKETS: u16 = 100;

fn message(i: usize) -> Vec<u8> {
    let len = 1 + (i * 7919) % (16 * 1024);
    (0..len).map(|j| (i * 31 + j * 7) as u8).collect()
}

/// An RTP packet (RFC 3550 section 5.1) of `ssrc` with payload type `pt`.
fn rtp(ssrc: u32, pt: u8, seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, pt & 0x7f];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&(u32::from(seq) * 960).to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xab; 80]);
    p
}

#[test]
fn the_smol_echo_sends_back_every_message_in_order_loops_audio_back_and_passes_keyframe_requests_on()
 {
    let start = Instant::now();
    let identity = Arc::new(Identity::generate().expect("a certificate"));
    let config = Config::new(
        wren_ice::Role::Controlling,
        DtlsRole::Server,
        vec!["127.0.0.1".parse().expect("an address")],
        Arc::clone(&identity),
    );
    let mut peer = Peer::new(start, config);
    let mut socket = None;
    while let Some(req) = peer.poll_socket_request() {
        if let SocketRequest::Bind {
            addr,
            transport: Transport::Udp,
            ..
        } = req
        {
            let s = UdpSocket::bind(addr).expect("bind our socket");
            let bound = s.local_addr().expect("its address");
            peer.handle_socket_result(
                start,
                SocketResult::of_bind(addr, Transport::Udp, Ok(bound)),
            );
            socket = Some(s);
        }
    }
    let socket = socket.expect("the agent asked for a UDP socket");
    let local = socket.local_addr().expect("its address");
    peer.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    peer.add_data_section();
    let offer = peer.create_offer(start).expect("an offer");

    // The echo, answered and run on smol.
    let echo_socket =
        smol::block_on(smol::net::UdpSocket::bind("127.0.0.1:0")).expect("bind the echo's socket");
    let echo_addr: SocketAddr = echo_socket.local_addr().expect("its address");
    let (echo, answer) = echo_smol::peer::EchoPeer::answer(start, echo_addr, identity, &offer)
        .unwrap_or_else(|e| panic!("{e}\n{offer}"));
    let (done, echo_done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(smol::block_on(echo_smol::run(echo, echo_socket)));
    });

    peer.set_remote_description(
        start,
        &SessionDescription {
            kind: SdpType::Answer,
            sdp: answer.clone(),
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{answer}"));
    let audio = peer
        .negotiated_media()
        .iter()
        .find(|n| n.kind == MediaKind::Audio)
        .cloned()
        .unwrap_or_else(|| panic!("an audio section: {answer}"));
    let ours = audio.send_ssrc.expect("we send audio");
    let theirs = *audio
        .remote_ssrcs
        .first()
        .unwrap_or_else(|| panic!("the echo announces its audio source: {answer}"));
    let pt = audio.primary_codec().expect("a codec").payload_type;
    let channel: ChannelId = peer
        .create_channel(start, "echo", ChannelOptions::reliable())
        .expect("a channel");

    let (mut rx, mut tx, mut media) = (vec![0u8; 65536], Vec::new(), Vec::new());
    let (mut open, mut sent, mut echoed, mut intact) = (false, 0, 0, 0);
    let (mut rtp_sent, mut rtp_back, mut rtp_back_as_theirs) = (0u16, 0u32, 0u32);
    // A PLI for the echo's stream, sent once its RTP comes back; the echo asks for a
    // keyframe of ours in turn.
    let (mut asked, mut asked_back) = (false, 0);
    let deadline = start + Duration::from_secs(30);
    while (echoed < MESSAGES || rtp_back < u32::from(PACKETS) || asked_back == 0)
        && Instant::now() < deadline
    {
        let now = Instant::now();
        // As many messages as the channel holds; RTP once the echo answers on it.
        while open && sent < MESSAGES && peer.buffered_amount(channel).unwrap_or(0) < 256 * 1024 {
            peer.send_channel(now, channel, &message(sent), true)
                .expect("send a message");
            sent += 1;
        }
        while echoed > 0 && rtp_sent < PACKETS {
            tx.clear();
            if let Ok(Some(t)) = peer.send_rtp_into(now, &rtp(ours, pt, rtp_sent), &mut tx) {
                let _ = socket.send_to(&tx, t.destination);
            }
            rtp_sent += 1;
        }
        if rtp_back > 0 && !asked {
            peer.request_keyframe(theirs, KeyframeKind::Pli)
                .expect("the echo's stream is one we receive");
            asked = true;
        }
        loop {
            tx.clear();
            let Some(t) = peer.poll_transmit(now, &mut tx) else {
                break;
            };
            let _ = socket.send_to(&tx, t.destination);
        }
        while let Some(e) = peer.poll_event() {
            match e {
                Event::ChannelOpen { id, .. } if id == channel => open = true,
                Event::ChannelMessage { id, data, .. } if id == channel => {
                    if data == message(echoed) {
                        intact += 1;
                    }
                    echoed += 1;
                }
                Event::KeyframeRequest { ssrc, .. } if ssrc == ours => asked_back += 1,
                _ => {}
            }
        }
        let wait = peer
            .poll_timeout()
            .map_or(Duration::from_millis(20), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(20));
        socket.set_read_timeout(Some(wait)).expect("a read timeout");
        if let Ok((n, from)) = socket.recv_from(&mut rx) {
            let now = Instant::now();
            if let Received::Rtp =
                peer.receive(now, Datagram::udp(from, local, &rx[..n]), &mut media)
            {
                rtp_back += 1;
                if media.get(8..12) == Some(&theirs.to_be_bytes()[..]) {
                    rtp_back_as_theirs += 1;
                }
            }
        }
        let now = Instant::now();
        if peer.poll_timeout().is_some_and(|t| t <= now) {
            peer.handle_timeout(now);
        }
    }
    peer.close(Instant::now());
    loop {
        tx.clear();
        let Some(t) = peer.poll_transmit(Instant::now(), &mut tx) else {
            break;
        };
        let _ = socket.send_to(&tx, t.destination);
    }
    // The close ends the echo's call, and its loop returns.
    let stats = echo_done
        .recv_timeout(Duration::from_secs(10))
        .expect("the echo's loop returns once the call is closed")
        .expect("the echo's socket");
    println!(
        "smol echo: {echoed} of {MESSAGES} messages back ({intact} intact, in order), \
         {rtp_back} of {PACKETS} RTP packets back, {asked_back} keyframe request passed on; \
         echo: {stats:?}"
    );
    assert_eq!(echoed, MESSAGES, "{stats:?}");
    assert_eq!(intact, MESSAGES, "damaged or out of order: {stats:?}");
    assert_eq!(rtp_back, u32::from(PACKETS), "{stats:?}");
    assert_eq!(rtp_back_as_theirs, rtp_back, "the echo's own SSRC {theirs}");
    assert_eq!(stats.messages_echoed, MESSAGES as u64);
    assert_eq!(stats.rtp_looped, u64::from(PACKETS));
    assert_eq!(
        asked_back, 1,
        "our PLI for the echo's stream comes back for ours"
    );
    assert_eq!(stats.keyframe_requests, 1);
}
