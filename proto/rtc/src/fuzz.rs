//! The structured fuzz targets of the peer (not a public API).
//!
//! [`connected`] connects two peers in memory ([`crate::testing::Pair`]) and feeds them an
//! arbitrary sequence of [`Op`]s: raw datagrams of every RFC 7983 class from the other
//! peer's address (so they pass ICE's routing and reach DTLS, SRTP and SRTCP) or from a
//! stranger, real SRTP and SRTCP packets with one byte changed, raw SCTP packets, raw
//! user messages with any PPID (DCEP and channel messages), channels opened and used,
//! time steps and closes. After each step both peers are drained as a driver would, and checked: a
//! driver is never made to spin (a due timeout is cleared by `handle_timeout`), and what
//! `receive` hands out as RTP is a packet the other side sent.
//!
//! [`jsep`] runs one peer through an arbitrary sequence of JSEP calls: offers and answers
//! that are real descriptions (another peer's) with edits, or arbitrary text, transceivers,
//! data sections, stops, ICE restarts, our own offer as local description, candidates and
//! closes. Every call must return, never panic.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use wren_core::{Datagram, Machine};

use crate::testing::Pair;
use crate::{Peer, Received, SdpType, SessionDescription};

/// One step of [`connected`].
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// A datagram to peer `to % 2`: `first` is its first byte's class (STUN, DTLS, RTP,
    /// RTCP, ChannelData, other), then `bytes`.
    Datagram {
        /// Which peer.
        to: u8,
        /// From the other peer (`true`) or a stranger.
        from_peer: bool,
        /// The first byte's class.
        first: u8,
        /// The rest.
        bytes: Vec<u8>,
    },
    /// A real SRTP (or SRTCP) packet from peer `from % 2`, with byte `at` xored by `with`.
    Tampered {
        /// Which peer sends.
        from: u8,
        /// RTCP instead of RTP.
        rtcp: bool,
        /// The byte changed (modulo the length).
        at: u16,
        /// What it is xored with (0: delivered intact).
        with: u8,
        /// The payload.
        payload: Vec<u8>,
    },
    /// An SCTP packet to peer `to % 2` as if a DTLS record brought it.
    Sctp {
        /// Which peer.
        to: u8,
        /// The packet.
        bytes: Vec<u8>,
    },
    /// A user message with any PPID on any stream from peer `from % 2`, past every
    /// check of ours: the other side's DCEP and channel code meet it.
    RawMessage {
        /// Which peer sends.
        from: u8,
        /// The SCTP stream.
        stream: u16,
        /// The payload protocol identifier (RFC 8831 section 8).
        ppi: u32,
        /// The message.
        bytes: Vec<u8>,
    },
    /// Peer `from % 2` opens a channel (in band unless `negotiated`) and sends on it.
    Channel {
        /// Which peer.
        from: u8,
        /// `Some(id)`: negotiated with that id.
        negotiated: Option<u16>,
        /// Unordered.
        unordered: bool,
        /// Max retransmits, if partially reliable.
        max_retransmits: Option<u16>,
        /// The message.
        message: Vec<u8>,
    },
    /// Time passes (milliseconds).
    Wait(u16),
    /// Peer `which % 2` closes.
    Close(u8),
}

/// The first byte for a class (RFC 7983).
fn first_byte(class: u8, b: u8) -> u8 {
    match class % 6 {
        0 => b % 4,             // STUN
        1 => 20 + b % 44,       // DTLS
        2 => 0x80 | (b & 0x3f), // RTP or RTCP (the second byte decides)
        3 => 64 + b % 16,       // ChannelData
        4 => 0x80,
        _ => b,
    }
}

/// Drives both peers as a driver would; checks that a due timeout clears.
fn settle(pair: &mut Pair) {
    for _ in 0..4 {
        pair.drain();
        let now = pair.now;
        let mut due = false;
        for p in &mut pair.peers {
            if p.poll_timeout().is_some_and(|t| t <= now) {
                p.handle_timeout(now);
                due = true;
            }
        }
        if !due {
            return;
        }
    }
    pair.drain();
    for p in &pair.peers {
        // A peer whose deadline is still due after handle_timeout would spin a driver.
        assert!(
            p.poll_timeout().is_none_or(|t| t > pair.now),
            "a deadline stays due after handle_timeout"
        );
    }
}

/// The `rtc_peer` target: see the module docs.
pub fn connected(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(seed) = u8::arbitrary(&mut u) else {
        return;
    };
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let start = Instant::now();
    let Some(mut pair) = Pair::connected(start, seed) else {
        return;
    };
    let (Some(a), Some(b)) = (pair.address(0), pair.address(1)) else {
        return;
    };
    let addrs = [a, b];
    let stranger = std::net::SocketAddr::from(([192, 0, 2, 9], 9));
    let mut sent: HashSet<Vec<u8>> = HashSet::new();
    let (mut tx, mut rx) = (Vec::new(), Vec::new());
    let mut seq = 0u16;
    // Arbitrary makes values from zeros once the input is spent: stop there instead.
    while !u.is_empty() {
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        match op {
            Op::Datagram {
                to,
                from_peer,
                first,
                mut bytes,
            } => {
                let to = usize::from(to % 2);
                let b0 = first_byte(first, bytes.first().copied().unwrap_or(0));
                bytes.insert(0, b0);
                let from = if from_peer { addrs[1 - to] } else { stranger };
                let now = pair.now;
                let got =
                    pair.peers[to].receive(now, Datagram::udp(from, addrs[to], &bytes), &mut rx);
                // Arbitrary bytes never authenticate as SRTP.
                assert_eq!(got, Received::Handled, "forged media accepted");
            }
            Op::Tampered {
                from,
                rtcp,
                at,
                with,
                payload,
            } => {
                let from = usize::from(from % 2);
                seq = seq.wrapping_add(1);
                let mut packet = if rtcp {
                    vec![0x80, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe]
                } else {
                    let mut p = vec![0x80, 96];
                    p.extend_from_slice(&seq.to_be_bytes());
                    p.extend_from_slice(&[0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe]);
                    p
                };
                packet.extend_from_slice(&payload[..payload.len().min(1200)]);
                tx.clear();
                let now = pair.now;
                let result = if rtcp {
                    pair.peers[from].send_rtcp_into(now, &packet, &mut tx)
                } else {
                    pair.peers[from].send_rtp_into(now, &packet, &mut tx)
                };
                let Ok(Some(t)) = result else { continue };
                if !tx.is_empty() {
                    let i = usize::from(at) % tx.len();
                    tx[i] ^= with;
                }
                sent.insert(packet);
                let to = 1 - from;
                let source = t.source.unwrap_or(addrs[from]);
                match pair.peers[to].receive(
                    now,
                    Datagram::udp(source, t.destination, &tx),
                    &mut rx,
                ) {
                    Received::Rtp | Received::Rtcp => {
                        assert!(sent.contains(&rx), "unprotected to a packet nobody sent");
                    }
                    Received::Handled => {}
                }
            }
            Op::Sctp { to, bytes } => {
                let now = pair.now;
                pair.peers[usize::from(to % 2)].fuzz_sctp_packet(now, &bytes);
            }
            Op::RawMessage {
                from,
                stream,
                ppi,
                bytes,
            } => {
                let _ = pair.peers[usize::from(from % 2)].fuzz_send_raw(stream, ppi, &bytes);
            }
            Op::Channel {
                from,
                negotiated,
                unordered,
                max_retransmits,
                message,
            } => {
                let now = pair.now;
                let options = crate::ChannelOptions {
                    negotiated,
                    ordered: !unordered,
                    max_retransmits,
                    ..crate::ChannelOptions::reliable()
                };
                let p = &mut pair.peers[usize::from(from % 2)];
                if let Ok(id) = p.create_channel(now, "fuzz", options) {
                    let _ = p.send_channel(now, id, &message, true);
                }
            }
            Op::Wait(ms) => pair.now += Duration::from_millis(u64::from(ms)),
            Op::Close(which) => {
                let now = pair.now;
                pair.peers[usize::from(which % 2)].close(now);
            }
        }
        settle(&mut pair);
    }
}

/// One step of [`jsep`].
#[derive(Debug, Arbitrary)]
pub enum JsepOp {
    /// `create_offer`.
    CreateOffer,
    /// `create_answer`.
    CreateAnswer,
    /// The other peer's offer (made now), with `edits` applied, as an offer.
    TheirOffer {
        /// (position, byte) replacements.
        edits: Vec<(u16, u8)>,
    },
    /// Our last offer answered by the other peer, with `edits`, as an answer.
    TheirAnswer {
        /// (position, byte) replacements.
        edits: Vec<(u16, u8)>,
    },
    /// Arbitrary text as an offer or an answer.
    Text {
        /// Offer or answer.
        offer: bool,
        /// The text.
        sdp: String,
    },
    /// A transceiver of kind `kind % 2` (audio, video) and direction `dir % 4`.
    Transceiver {
        /// The kind.
        kind: u8,
        /// The direction.
        dir: u8,
    },
    /// A data section.
    Data,
    /// Stop transceiver `index`.
    Stop(u8),
    /// Restart ICE.
    RestartIce,
    /// Our last offer (or an edit of it) as our local description.
    SetLocal {
        /// (position, byte) replacements.
        edits: Vec<(u16, u8)>,
    },
    /// An arbitrary candidate line.
    Candidate(String),
    /// Close.
    Close,
}

fn edited(text: &str, edits: &[(u16, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, b) in edits.iter().take(8) {
        if !bytes.is_empty() {
            let i = usize::from(at) % bytes.len();
            bytes[i] = b;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `rtc_jsep` target: see the module docs.
pub fn jsep(data: &[u8]) {
    use wren_sdp::Direction;
    use wren_sdp::jsep::{MediaKind, Transceiver};
    let mut u = Unstructured::new(data);
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let make = |role| -> Option<Peer> {
        let identity = std::sync::Arc::new(wren_dtls::identity::Identity::generate().ok()?);
        let mut c = crate::Config::new(
            role,
            crate::DtlsRole::Server,
            vec![std::net::IpAddr::from([10, 0, 0, 1])],
            identity,
        );
        c.rng_seed = Some([7; 32]);
        Some(Peer::new(now, c))
    };
    let (Some(mut ours), Some(mut theirs)) = (
        make(wren_ice::Role::Controlled),
        make(wren_ice::Role::Controlling),
    ) else {
        return;
    };
    theirs.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendRecv));
    theirs.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendRecv));
    theirs.add_data_section();
    let mut last_offer: Option<String> = None;
    while !u.is_empty() {
        let Ok(op) = JsepOp::arbitrary(&mut u) else {
            break;
        };
        let take = |p: &mut Peer, kind, sdp: String| {
            let _ = p.set_remote_description(now, &SessionDescription { kind, sdp });
        };
        match op {
            JsepOp::CreateOffer => last_offer = ours.create_offer(now).ok(),
            JsepOp::CreateAnswer => {
                let _ = ours.create_answer(now);
            }
            JsepOp::TheirOffer { edits } => {
                if let Ok(offer) = theirs.create_offer(now) {
                    take(&mut ours, SdpType::Offer, edited(&offer, &edits));
                }
            }
            JsepOp::TheirAnswer { edits } => {
                let Some(offer) = &last_offer else { continue };
                take(&mut theirs, SdpType::Offer, offer.clone());
                if let Ok(answer) = theirs.create_answer(now) {
                    take(&mut ours, SdpType::Answer, edited(&answer, &edits));
                }
            }
            JsepOp::Text { offer, sdp } => {
                let kind = if offer {
                    SdpType::Offer
                } else {
                    SdpType::Answer
                };
                take(&mut ours, kind, sdp);
            }
            JsepOp::Transceiver { kind, dir } => {
                let kind = if kind % 2 == 0 {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                };
                let dir = [
                    Direction::SendRecv,
                    Direction::SendOnly,
                    Direction::RecvOnly,
                    Direction::Inactive,
                ][usize::from(dir % 4)];
                ours.add_transceiver(Transceiver::new(kind, dir));
            }
            JsepOp::Data => ours.add_data_section(),
            JsepOp::Stop(i) => ours.stop_transceiver(usize::from(i)),
            JsepOp::RestartIce => ours.restart_ice(now),
            JsepOp::SetLocal { edits } => {
                if let Some(offer) = &last_offer {
                    let desc = SessionDescription {
                        kind: SdpType::Offer,
                        sdp: edited(offer, &edits),
                    };
                    // Only our own pending offer, unedited, is taken.
                    if ours.set_local_description(&desc).is_ok() {
                        assert_eq!(desc.sdp, *offer, "an edited local description taken");
                    }
                }
            }
            JsepOp::Candidate(line) => {
                if let Ok(c) = line.parse() {
                    let _ = ours.add_remote_candidate(now, c);
                }
            }
            JsepOp::Close => ours.close(now),
        }
        while ours.poll_event().is_some() {}
    }
}

/// The `rtc_media` target: the media part (RTP mode's RTCP) fed a script of arbitrary
/// RTP, RTCP, sent packets and time steps. Must never panic.
pub fn rtc_media(data: &[u8]) {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    let _ = crate::media::fuzz::run(now, data);
}
