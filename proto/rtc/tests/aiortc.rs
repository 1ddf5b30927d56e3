//! aiortc (the Python WebRTC stack, from PyPI) calls a wren-rtc [`Peer`] over real UDP on
//! 127.0.0.1, as offerer and as answerer. aiortc runs `tests/aiortc/peer.py` in a virtual
//! environment the test makes once under the target directory (`tests/aiortc/python.rs`);
//! the descriptions go through its stdin and stdout as JSON lines, and our peer is driven
//! by a small loop on its own socket (`tests/aiortc/call.rs`).
//!
//! Data channels, both ways, on one call: aiortc opens three in band (ordered reliable;
//! unordered with maxRetransmits 0; ordered with maxPacketLifeTime 3000 ms), we open the
//! same three in band, and both create one with `negotiated` and the same id. Each side
//! sends 500 messages on every open channel, strings and binary alternating, up to 64 KiB
//! (`tests/aiortc/channels.rs`), and the receiver checks each one byte for byte. On the
//! reliable channels all 500 arrive in order on each side; on the partially reliable ones
//! each message that arrives is intact and arrives once, and on the ordered one in order
//! (loopback loses little, but a full socket buffer does drop datagrams, and then an
//! unreliable message may be abandoned: no count is promised). The reliability each side
//! announced in DCEP is the one the other side reports, and both use the same stream ids.
//! Then each side closes one channel, and both sides see both close.
//!
//! Media, on another call: one audio and one video transceiver, sendrecv on both sides.
//! aiortc sends its synthetic tracks (silence as Opus, green frames as VP8); we count its
//! RTP per mid ([`Peer::mid_of_ssrc`]) and send every packet back on our own track of the
//! same section (the `send_ssrc` of [`Peer::negotiated_media`], the payload type as
//! negotiated), so aiortc's receivers decode its own media coming back: they must decode
//! 100 audio and 60 video frames (`tests/aiortc/media.rs`). Halfway we ask for a keyframe
//! of aiortc's video ([`Peer::request_keyframe`], a PLI), and a VP8 keyframe must follow
//! (aiortc's encoder makes one only at the start and when asked: without the PLI, one
//! came in 60 s).
//!
//! Needs python3 with venv (scripts/install-deps.sh) and PyPI for the first run.
//! `WREN_AIORTC_LOG=DEBUG` makes aiortc log its inner workings to its stderr, which a
//! failing test prints.
#![allow(clippy::disallowed_methods)] // a real socket and a real aiortc: the real clock

#[path = "aiortc/call.rs"]
mod call;
#[path = "aiortc/channels.rs"]
mod channels;
#[path = "aiortc/media.rs"]
mod media;
#[path = "aiortc/python.rs"]
mod python;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wren_rtc::{ChannelId, ChannelOptions, Event, KeyframeKind, Peer, SdpType, SessionDescription};
use wren_sdp::Direction;
use wren_sdp::jsep::{MediaKind, Transceiver};

use call::Call;
use channels::{ALL, NEGOTIATED, RELIABLE, Received, Sender};
use media::Echo;
use python::{Aiortc, Role, Script};

/// Messages each side sends on every channel.
const MESSAGES: usize = 500;
/// The id of the channel both sides create with `negotiated`.
const NEGOTIATED_ID: u16 = 42;

#[test]
fn aiortc_offers_and_data_channels_flow_both_ways() {
    data_call(Role::Offerer);
}

#[test]
fn aiortc_answers_and_data_channels_flow_both_ways() {
    data_call(Role::Answerer);
}

#[test]
fn aiortc_offers_media_and_decodes_what_we_send_back() {
    media_call(Role::Offerer);
}

#[test]
fn aiortc_answers_media_and_decodes_what_we_send_back() {
    media_call(Role::Answerer);
}

/// Frames aiortc's receivers must decode from what we send back.
const AUDIO_FRAMES: u64 = 100;
const VIDEO_FRAMES: u64 = 60;

fn media_call(role: Role) {
    let mut aiortc = Aiortc::start(&Script {
        role,
        messages: 0,
        negotiated_id: NEGOTIATED_ID,
        media: true,
    });
    let start = Instant::now();
    let mut call = negotiate(&mut aiortc, role, true);
    let mut echo = Echo::default();
    let mut events = Vec::new();
    let (mut negotiated, mut connected) = (false, false);
    let mut frames: BTreeMap<String, u64> = BTreeMap::new();
    let mut py_state = String::new();
    let deadline = start + Duration::from_secs(60);
    let frames_of = |f: &BTreeMap<String, u64>, kind: &str| f.get(kind).copied().unwrap_or(0);
    // The VP8 keyframes aiortc had sent when we asked for one (RFC 4585 PLI).
    let mut asked: Option<u64> = None;
    let keyframe_after =
        |asked: Option<u64>, echo: &Echo| asked.is_some_and(|k| echo.vp8_keyframes > k);
    while frames_of(&frames, "audio") < AUDIO_FRAMES
        || frames_of(&frames, "video") < VIDEO_FRAMES
        || !keyframe_after(asked, &echo)
    {
        if asked.is_none() && frames_of(&frames, "video") >= VIDEO_FRAMES / 2 {
            asked = Some(echo.vp8_keyframes);
            let video = call
                .peer
                .negotiated_media()
                .iter()
                .find(|n| n.kind == MediaKind::Video)
                .and_then(|n| n.remote_ssrcs.first().copied())
                .expect("aiortc's video source");
            call.peer
                .request_keyframe(video, KeyframeKind::Pli)
                .expect("request a keyframe of aiortc's video");
        }
        call.turn(&mut events, |peer, packet| echo.rewrite(peer, packet));
        for e in events.drain(..) {
            match e {
                Event::Negotiated => negotiated = true,
                Event::Connected { .. } => connected = true,
                Event::KeyframeRequest { ssrc, .. } => {
                    echo.keyframe_requested(&mut call.peer, ssrc);
                }
                Event::DtlsFailed(f) => panic!("DTLS failed: {f}\n{}", aiortc.stderr()),
                Event::IceFailed(r) => panic!("ICE failed: {r:?}\n{}", aiortc.stderr()),
                _ => {}
            }
        }
        while let Some(v) = aiortc.try_next() {
            match v["event"].as_str() {
                Some("frames") => {
                    let kind = v["kind"].as_str().unwrap_or("").to_owned();
                    frames.insert(kind, v["count"].as_u64().unwrap_or(0));
                }
                Some("state") => py_state = v["state"].as_str().unwrap_or("").to_owned(),
                Some("error") => panic!("peer.py failed: {v}\n{}", aiortc.stderr()),
                _ => {}
            }
        }
        assert!(
            Instant::now() < deadline,
            "not done in 60 s: negotiated {negotiated}, connected {connected}, aiortc \
             {py_state:?}; {echo:?}; aiortc decoded {frames:?}; keyframes before our PLI \
             {asked:?}\n{}",
            aiortc.stderr()
        );
    }
    let elapsed = start.elapsed();
    let summary = aiortc.finish(Duration::from_secs(10));
    let sections = call.peer.negotiated_media().to_vec();
    println!(
        "aiortc as {role:?}, media: done after {elapsed:?}; RTP received by mid {:?}, sent \
         back {:?} ({:?}); aiortc received {} and decoded {}; its keyframe requests {}; VP8 \
         keyframes from it {} ({:?} before our PLI); {:?}",
        echo.received,
        echo.sent,
        echo.codecs,
        summary["inbound"],
        summary["frames"],
        echo.keyframe_requests,
        echo.vp8_keyframes,
        asked,
        call.peer.stats()
    );
    assert!(
        negotiated && connected,
        "negotiated {negotiated}, connected {connected}"
    );
    assert_eq!(py_state, "connected");
    // One audio and one video section, both ways, each with our track and aiortc's.
    let kinds: Vec<_> = sections.iter().map(|n| n.kind).collect();
    assert_eq!(kinds.len(), 2, "{sections:#?}");
    assert!(
        kinds.contains(&MediaKind::Audio) && kinds.contains(&MediaKind::Video),
        "{sections:#?}"
    );
    for n in &sections {
        assert_eq!(n.direction, Direction::SendRecv, "{n:#?}");
        assert!(n.send_ssrc.is_some(), "{n:#?}");
        assert!(!n.remote_ssrcs.is_empty(), "{n:#?}");
        // Every section's media came in, and went back out.
        assert!(
            echo.received.get(&n.mid).is_some_and(|&c| c > 0),
            "{echo:?}"
        );
        assert!(echo.sent.get(&n.mid).is_some_and(|&c| c > 0), "{echo:?}");
    }
    assert_eq!(echo.unknown_ssrc, 0, "{echo:?}");
    assert_eq!(echo.foreign_payload_type, 0, "{echo:?}");
    assert_eq!(echo.no_track, 0, "{echo:?}");
    assert_eq!(call.rtp_refused, 0, "send_rtp_into refused packets");
    assert_eq!(call.peer.stats().srtp_dropped, 0, "{:?}", call.peer.stats());
    // Its first keyframe came before our PLI, another after it.
    assert!(
        asked.is_some_and(|k| k >= 1 && echo.vp8_keyframes > k),
        "{echo:?}"
    );
    // aiortc received our packets of each kind (its getStats inbound-rtp), no more than
    // we sent, and decoded frames of both tracks.
    for n in &sections {
        let kind = match n.kind {
            MediaKind::Audio => "audio",
            _ => "video",
        };
        let there = summary["inbound"][kind].as_u64().unwrap_or(0);
        assert!(
            there > 0 && there <= echo.sent[&n.mid],
            "{kind}: aiortc received {there} of {}: {summary}",
            echo.sent[&n.mid]
        );
    }
    assert!(
        summary["frames"]["audio"].as_u64() >= Some(AUDIO_FRAMES),
        "{summary}"
    );
    assert!(
        summary["frames"]["video"].as_u64() >= Some(VIDEO_FRAMES),
        "{summary}"
    );
}

/// What the call saw, for the checks.
#[derive(Default)]
struct Seen {
    /// Everything but channel messages.
    events: Vec<Event>,
    connected: bool,
    /// Channels that opened on our side: label -> (id, options).
    opened: BTreeMap<String, (ChannelId, ChannelOptions)>,
    labels: BTreeMap<ChannelId, String>,
    received: BTreeMap<String, Received>,
    /// aiortc's lines: its connection state, its channels' `open` lines, the labels whose
    /// 500 messages all arrived there.
    py_state: String,
    py_opened: BTreeMap<String, Value>,
    py_complete: BTreeSet<String>,
    /// Channels that closed here, and labels aiortc said closed.
    closed: BTreeSet<ChannelId>,
    py_closed: BTreeSet<String>,
    /// Why our side failed (ICE or DTLS), if it did.
    failure: Option<String>,
}

impl Seen {
    fn take(&mut self, sender: &mut Sender, e: Event) {
        match &e {
            Event::Connected { .. } => self.connected = true,
            Event::ChannelOpen {
                id, label, options, ..
            } => {
                self.opened.insert(label.clone(), (*id, options.clone()));
                self.labels.insert(*id, label.clone());
                sender.open(*id, label);
            }
            Event::ChannelMessage { id, binary, data } => {
                let label = self.labels.get(id).cloned().unwrap_or_default();
                self.received
                    .entry(label.clone())
                    .or_default()
                    .take(&label, *binary, data);
            }
            Event::ChannelClosed { id } => {
                self.closed.insert(*id);
            }
            Event::DtlsFailed(f) => self.failure = Some(format!("DTLS failed: {f}")),
            Event::IceFailed(r) => self.failure = Some(format!("ICE failed: {r:?}")),
            _ => {}
        }
        // Kept for failure messages; the messages are in `received`.
        if !matches!(e, Event::ChannelMessage { .. }) {
            self.events.push(e);
        }
    }

    fn take_line(&mut self, v: Value, aiortc: &Aiortc) {
        match v["event"].as_str() {
            Some("state") => self.py_state = v["state"].as_str().unwrap_or("").to_owned(),
            Some("open") => {
                let label = v["label"].as_str().unwrap_or("").to_owned();
                self.py_opened.insert(label, v);
            }
            Some("close") => {
                self.py_closed
                    .insert(v["label"].as_str().unwrap_or("").to_owned());
            }
            Some("complete") => {
                self.py_complete
                    .insert(v["label"].as_str().unwrap_or("").to_owned());
            }
            Some("error") => panic!("peer.py failed: {v}\n{}", aiortc.stderr()),
            _ => {}
        }
    }

    fn count(&self, label: &str) -> usize {
        self.received.get(label).map_or(0, |r| r.indices.len())
    }

    /// Every reliable channel complete on both sides, and everything of ours sent.
    fn reliable_done(&self, sender: &Sender) -> bool {
        self.connected
            && self.py_state == "connected"
            && RELIABLE
                .iter()
                .all(|l: &&str| self.count(l) == MESSAGES && self.py_complete.contains(*l))
            && ALL
                .iter()
                .filter(|l| !l.starts_with("py-"))
                .all(|l| sender.sent(l) == MESSAGES)
    }
}

/// Exchanges descriptions with aiortc in `role` and returns our peer's call; with
/// `media`, we send and receive audio and video (a transceiver of each, sendrecv).
fn negotiate(aiortc: &mut Aiortc, role: Role, media: bool) -> Call {
    let mut call = Call::new();
    let now = Instant::now();
    if media {
        for kind in [MediaKind::Audio, MediaKind::Video] {
            call.peer
                .add_transceiver(Transceiver::new(kind, Direction::SendRecv));
        }
    }
    let wait_for = |aiortc: &Aiortc, kind: &str| -> String {
        let line = aiortc
            .next(Duration::from_secs(60))
            .unwrap_or_else(|| panic!("no {kind} from peer.py:\n{}", aiortc.stderr()));
        assert_eq!(line["type"], kind, "{line}\n{}", aiortc.stderr());
        line["sdp"].as_str().expect("an sdp string").to_owned()
    };
    match role {
        Role::Offerer => {
            let offer = wait_for(aiortc, "offer");
            call.peer
                .set_remote_description(
                    now,
                    &SessionDescription {
                        kind: SdpType::Offer,
                        sdp: offer.clone(),
                    },
                )
                .unwrap_or_else(|e| panic!("aiortc's offer: {e}\n{offer}"));
            let answer = call.peer.create_answer(now).expect("our answer");
            aiortc.send(&json!({"type": "answer", "sdp": answer}));
        }
        Role::Answerer => {
            call.peer.add_data_section();
            let offer = call.peer.create_offer(now).expect("our offer");
            assert!(
                offer.contains(&format!(" {} typ host", call.local().port())),
                "{offer}"
            );
            aiortc.send(&json!({"type": "offer", "sdp": offer}));
            let answer = wait_for(aiortc, "answer");
            call.peer
                .set_remote_description(
                    now,
                    &SessionDescription {
                        kind: SdpType::Answer,
                        sdp: answer.clone(),
                    },
                )
                .unwrap_or_else(|e| panic!("aiortc's answer: {e}\n{answer}"));
        }
    }
    call
}

/// Our channels: the three in band and the negotiated one.
fn open_channels(peer: &mut Peer) {
    let now = Instant::now();
    for (label, options) in channels::ours() {
        peer.create_channel(now, label, options)
            .unwrap_or_else(|e| panic!("create {label}: {e}"));
    }
    let negotiated = ChannelOptions {
        negotiated: Some(NEGOTIATED_ID),
        ..ChannelOptions::reliable()
    };
    peer.create_channel(now, NEGOTIATED, negotiated)
        .expect("create the negotiated channel");
}

fn data_call(role: Role) {
    let mut aiortc = Aiortc::start(&Script {
        role,
        messages: MESSAGES,
        negotiated_id: NEGOTIATED_ID,
        media: false,
    });
    let start = Instant::now();
    let mut call = negotiate(&mut aiortc, role, false);
    open_channels(&mut call.peer);

    let mut seen = Seen::default();
    let mut sender = Sender::default();
    let mut events = Vec::new();
    let deadline = start + Duration::from_secs(90);
    // Once the reliable channels are done: how long the partial ones may stay quiet.
    let mut quiet_since: Option<(Instant, usize)> = None;
    let mut connected_after = None;
    loop {
        call.turn(&mut events, |_, _| false);
        for e in events.drain(..) {
            seen.take(&mut sender, e);
        }
        if seen.connected && connected_after.is_none() {
            connected_after = Some(start.elapsed());
        }
        while let Some(v) = aiortc.try_next() {
            seen.take_line(v, &aiortc);
        }
        if let Some(f) = &seen.failure {
            panic!(
                "{f}\nour events: {:#?}\naiortc: {}",
                seen.events,
                aiortc.stderr()
            );
        }
        sender.pump(&mut call.peer, Instant::now(), MESSAGES);
        assert!(
            Instant::now() < deadline,
            "not done in 90 s: connected {} / aiortc {:?}; received {:?}; aiortc complete {:?}; \
             opened here {:?}, there {:?}\n{}",
            seen.connected,
            seen.py_state,
            ALL.map(|l| (l, seen.count(l))),
            seen.py_complete,
            seen.opened.keys().collect::<Vec<_>>(),
            seen.py_opened.keys().collect::<Vec<_>>(),
            aiortc.stderr()
        );
        if seen.reliable_done(&sender) {
            let partial: usize = ["py-unordered-rtx0", "py-lifetime"]
                .iter()
                .map(|l| seen.count(l))
                .sum();
            if partial == 2 * MESSAGES {
                break;
            }
            match quiet_since {
                Some((t, n)) if n == partial => {
                    if t.elapsed() > Duration::from_secs(2) {
                        break;
                    }
                }
                _ => quiet_since = Some((Instant::now(), partial)),
            }
        }
    }
    let elapsed = start.elapsed();

    // Each side closes one of its reliable channels (RFC 8831 section 6.7: a stream
    // reset); both sides see both close.
    call.peer
        .close_channel(Instant::now(), seen.opened["rs-reliable"].0)
        .expect("close rs-reliable");
    aiortc.send(&json!({"type": "close", "label": "py-reliable"}));
    let closing = ["rs-reliable", "py-reliable"];
    let closed_everywhere = |seen: &Seen| {
        closing
            .iter()
            .all(|l| seen.closed.contains(&seen.opened[*l].0) && seen.py_closed.contains(*l))
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !closed_everywhere(&seen) {
        call.turn(&mut events, |_, _| false);
        for e in events.drain(..) {
            seen.take(&mut sender, e);
        }
        while let Some(v) = aiortc.try_next() {
            seen.take_line(v, &aiortc);
        }
        assert!(
            Instant::now() < deadline,
            "closes not seen in 20 s: here {:?}, in aiortc {:?}\n{}",
            seen.closed,
            seen.py_closed,
            aiortc.stderr()
        );
    }
    // Only those two.
    assert_eq!(seen.closed.len(), 2, "{:?}", seen.closed);
    assert_eq!(
        seen.py_closed,
        closing.iter().map(|l| (*l).to_owned()).collect(),
        "closed in aiortc"
    );

    let summary = aiortc.finish(Duration::from_secs(10));
    let stats = call.peer.data_stats();

    // Both sides opened all seven, with the reliability the other announced.
    assert_eq!(
        seen.opened
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        ALL.into_iter().collect(),
        "channels open here"
    );
    assert_eq!(
        seen.py_opened
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        ALL.into_iter().collect(),
        "channels open in aiortc"
    );
    let expect_options = |label: &str| -> ChannelOptions {
        let base = ChannelOptions::reliable();
        match label.trim_start_matches("py-").trim_start_matches("rs-") {
            "unordered-rtx0" => ChannelOptions {
                ordered: false,
                max_retransmits: Some(0),
                ..base
            },
            "lifetime" => ChannelOptions {
                max_packet_lifetime: Some(Duration::from_millis(channels::LIFETIME_MS)),
                ..base
            },
            NEGOTIATED => ChannelOptions {
                negotiated: Some(NEGOTIATED_ID),
                ..base
            },
            _ => base,
        }
    };
    for label in ["py-reliable", "py-unordered-rtx0", "py-lifetime"] {
        let (_, options) = &seen.opened[label];
        let want = expect_options(label);
        assert_eq!(options.ordered, want.ordered, "{label}: {options:?}");
        assert_eq!(options.max_retransmits, want.max_retransmits, "{label}");
        assert_eq!(
            options.max_packet_lifetime, want.max_packet_lifetime,
            "{label}"
        );
    }
    assert_eq!(seen.opened[NEGOTIATED].0, ChannelId(NEGOTIATED_ID));
    for label in ALL {
        let there = &seen.py_opened[label];
        let want = expect_options(label);
        assert_eq!(there["ordered"], want.ordered, "{label}: {there}");
        assert_eq!(
            there["maxRetransmits"].as_u64(),
            want.max_retransmits.map(u64::from),
            "{label}: {there}"
        );
        assert_eq!(
            there["maxPacketLifeTime"].as_u64(),
            want.max_packet_lifetime.map(|d| d.as_millis() as u64),
            "{label}: {there}"
        );
        // The same stream id on both sides (RFC 8831 section 6.4).
        assert_eq!(
            there["id"].as_u64(),
            Some(u64::from(seen.opened[label].0.0)),
            "{label}: {there}"
        );
    }
    assert_eq!(seen.py_opened[NEGOTIATED]["negotiated"], true);

    // What arrived here, and there.
    println!(
        "aiortc as {role:?}: connected after {connected_after:?}, done after {elapsed:?}; \
         our data stats {stats:?}"
    );
    for label in ALL {
        let here = seen.received.get(label);
        let there = &summary["channels"][label];
        println!(
            "  {label:18} received here {:4} (all in order: {}), there {:4} (all in order: {})",
            here.map_or(0, |r| r.indices.len()),
            here.is_some_and(Received::in_order),
            there["received"],
            there["in_order"],
        );
        if let Some(r) = here.filter(|r| r.indices.len() < MESSAGES) {
            let got: BTreeSet<_> = r.indices.iter().copied().collect();
            let missing: Vec<_> = (0..MESSAGES).filter(|i| !got.contains(i)).collect();
            println!("  {label:18} missing here: {missing:?}");
        }
        assert_eq!(summary["sent"][label], MESSAGES, "aiortc sent on {label}");
        let here = here.unwrap_or_else(|| panic!("nothing arrived here on {label}"));
        assert_eq!(here.damaged, 0, "{label}: damaged messages here");
        assert_eq!(there["intact"], true, "{label}: damaged messages in aiortc");
        // Each message once, whatever the reliability.
        let distinct: BTreeSet<_> = here.indices.iter().collect();
        assert_eq!(distinct.len(), here.indices.len(), "{label}: repeats here");
        assert_eq!(
            there["distinct"], there["received"],
            "{label}: repeats in aiortc"
        );
        if seen.opened[label].1.ordered {
            // Ordered delivery holds whatever is abandoned (RFC 3758 section 3.6).
            assert!(here.increasing(), "{label} out of order here");
            assert_eq!(
                there["increasing"], true,
                "{label} out of order in aiortc: {there}"
            );
        }
        if RELIABLE.contains(&label) {
            assert_eq!(here.indices.len(), MESSAGES, "{label} here");
            assert!(here.in_order(), "{label} out of order here");
            assert_eq!((here.strings, here.binary), (MESSAGES / 2, MESSAGES / 2));
            assert_eq!(there["received"], MESSAGES, "{label} in aiortc: {there}");
            assert_eq!(there["in_order"], true, "{label} in aiortc: {there}");
            assert_eq!(there["strings"], MESSAGES / 2, "{label} in aiortc: {there}");
            assert_eq!(there["binary"], MESSAGES / 2, "{label} in aiortc: {there}");
        } else {
            assert!(!here.indices.is_empty(), "{label}: nothing arrived here");
            assert!(
                there["received"].as_u64().is_some_and(|n| n > 0),
                "{label}: nothing arrived in aiortc: {there}"
            );
        }
    }
}
