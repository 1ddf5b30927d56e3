//! Data channels between two peers on wren-netsim: in-band (DCEP) and negotiated channels
//! open both ways; ordered, unordered and partially reliable delivery, with and without
//! loss; buffered-amount low events; close seen by the other side; max-message-size.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_dtls::identity::Identity;
use wren_netsim::{HostConfig, LinkConfig, NodeId, Sim};
use wren_rtc::{
    ChannelError, ChannelId, ChannelOptions, Config, DtlsRole, Error, Event, Peer, RemoteParameters,
};

struct Call {
    sim: Sim,
    nodes: [NodeId; 2],
    /// Everything each reported, in order.
    seen: [Vec<Event>; 2],
}

impl Call {
    /// Two peers (A: DTLS client, B: server) on links `link`, told each other's
    /// parameters; `setup` changes each one's config.
    fn new(seed: u64, link: LinkConfig, setup: impl Fn(usize, &mut Config)) -> Call {
        #[allow(clippy::disallowed_methods)] // the anchor of the virtual clock
        let mut sim = Sim::new(seed, Instant::now());
        sim.set_event_capacity(1 << 20);
        let mut nodes = Vec::new();
        for (i, (ip, ice, dtls)) in [
            ("10.0.0.1", wren_ice::Role::Controlling, DtlsRole::Client),
            ("10.0.0.2", wren_ice::Role::Controlled, DtlsRole::Server),
        ]
        .into_iter()
        .enumerate()
        {
            let mut host = HostConfig::public(ip.parse().unwrap());
            host.link = link;
            let host = sim.add_host(host);
            let identity = Arc::new(Identity::generate().unwrap());
            let mut config = Config::new(ice, dtls, vec![ip.parse().unwrap()], identity);
            config.rng_seed = Some(sim.fork_seed());
            setup(i, &mut config);
            let now = sim.now();
            nodes.push(sim.add_machine(host, Peer::new(now, config)));
        }
        let nodes = [nodes[0], nodes[1]];
        let remote = |l: wren_rtc::LocalParameters| RemoteParameters {
            credentials: l.credentials,
            fingerprints: vec![l.fingerprint],
            dtls_role: l.dtls_role,
        };
        let p: Vec<_> = nodes
            .iter()
            .map(|&n| sim.with(n, |p: &mut Peer, _| p.local_parameters()))
            .collect();
        sim.with(nodes[0], |x: &mut Peer, now| {
            x.set_remote(now, remote(p[1].clone()))
        })
        .unwrap();
        sim.with(nodes[1], |x: &mut Peer, now| {
            x.set_remote(now, remote(p[0].clone()))
        })
        .unwrap();
        Call {
            sim,
            nodes,
            seen: [Vec::new(), Vec::new()],
        }
    }

    /// Runs until `done` or `limit`, trickling each side's candidates to the other.
    fn run_until(&mut self, limit: Duration, done: impl Fn(&Call) -> bool) -> bool {
        let end = self.sim.now() + limit;
        while !done(self) {
            if self.sim.now() >= end {
                return false;
            }
            self.sim.run_for(Duration::from_millis(5));
            self.collect();
        }
        true
    }

    fn collect(&mut self) {
        for i in 0..2 {
            for e in self.sim.events::<Peer>(self.nodes[i]) {
                if let Event::LocalCandidate(c) = &e {
                    let c = c.clone();
                    self.sim
                        .with(self.nodes[1 - i], |p: &mut Peer, now| {
                            p.add_remote_candidate(now, c)
                        })
                        .unwrap();
                }
                self.seen[i].push(e);
            }
        }
    }

    fn with<R>(&mut self, i: usize, f: impl FnOnce(&mut Peer, Instant) -> R) -> R {
        self.sim.with(self.nodes[i], f)
    }

    fn connect(&mut self) {
        let up = |c: &Call, i: usize| {
            c.seen[i]
                .iter()
                .any(|e| matches!(e, Event::Connected { .. }))
        };
        assert!(
            self.run_until(Duration::from_secs(30), |c| up(c, 0) && up(c, 1)),
            "{:#?}",
            self.seen
        );
    }

    /// The channels side `i` saw open, in order.
    fn opened(&self, i: usize) -> Vec<(ChannelId, String, String, ChannelOptions)> {
        self.seen[i]
            .iter()
            .filter_map(|e| match e {
                Event::ChannelOpen {
                    id,
                    label,
                    protocol,
                    options,
                } => Some((*id, label.clone(), protocol.clone(), options.clone())),
                _ => None,
            })
            .collect()
    }

    fn is_open(&self, i: usize, id: ChannelId) -> bool {
        self.opened(i).iter().any(|o| o.0 == id)
    }

    /// The messages side `i` received on `id`: (binary, data).
    fn messages(&self, i: usize, id: ChannelId) -> Vec<(bool, Vec<u8>)> {
        self.seen[i]
            .iter()
            .filter_map(|e| match e {
                Event::ChannelMessage {
                    id: got,
                    binary,
                    data,
                } if *got == id => Some((*binary, data.clone())),
                _ => None,
            })
            .collect()
    }

    fn closed(&self, i: usize, id: ChannelId) -> bool {
        self.seen[i]
            .iter()
            .any(|e| matches!(e, Event::ChannelClosed { id: got } if *got == id))
    }

    /// A channel A opens in band, open on both sides.
    fn open_channel(&mut self, options: ChannelOptions) -> ChannelId {
        let id = self
            .with(0, |p, now| p.create_channel(now, "chan", options))
            .unwrap();
        assert!(
            self.run_until(Duration::from_secs(10), |c| c.is_open(0, id)
                && c.is_open(1, id)),
            "{:#?}",
            self.seen
        );
        id
    }
}

/// A message of `len` bytes numbered `n` (its first bytes say which).
fn message(n: u32, len: usize) -> Vec<u8> {
    let mut m: Vec<u8> = (0..len)
        .map(|i| b'a' + ((i + n as usize) % 26) as u8)
        .collect();
    let tag = n.to_be_bytes();
    for (d, s) in m.iter_mut().zip(tag) {
        *d = s;
    }
    m
}

#[test]
fn in_band_and_negotiated_channels_open_both_ways() {
    let mut call = Call::new(11, LinkConfig::default(), |_, _| {});
    // Created before DTLS is up: opened when SCTP is.
    let early = call
        .with(0, |p, now| {
            p.create_channel(
                now,
                "from-a",
                ChannelOptions {
                    protocol: "chat".into(),
                    ..ChannelOptions::reliable()
                },
            )
        })
        .unwrap();
    let negotiated = ChannelOptions {
        negotiated: Some(42),
        ..ChannelOptions::reliable()
    };
    for i in 0..2 {
        let id = call
            .with(i, |p, now| {
                p.create_channel(now, "both", negotiated.clone())
            })
            .unwrap();
        assert_eq!(id, ChannelId(42));
    }
    call.connect();
    let late = call
        .with(1, |p, now| {
            p.create_channel(
                now,
                "from-b",
                ChannelOptions {
                    ordered: false,
                    max_retransmits: Some(3),
                    ..ChannelOptions::reliable()
                },
            )
        })
        .unwrap();
    // RFC 8832 section 6: the DTLS client takes even ids, the server odd ones.
    assert_eq!((early, late), (ChannelId(0), ChannelId(1)));
    let all = |c: &Call, i: usize| {
        [early, late, ChannelId(42)]
            .iter()
            .all(|&id| c.is_open(i, id))
    };
    assert!(
        call.run_until(Duration::from_secs(10), |c| all(c, 0) && all(c, 1)),
        "{:#?}",
        call.seen
    );
    for i in 0..2 {
        let opened = call.opened(i);
        let find = |id| opened.iter().find(|o| o.0 == id).unwrap().clone();
        let (_, label, protocol, _) = find(early);
        assert_eq!((label.as_str(), protocol.as_str()), ("from-a", "chat"));
        let (_, label, _, options) = find(late);
        assert_eq!(label, "from-b");
        assert!(!options.ordered);
        assert_eq!(options.max_retransmits, Some(3));
        assert_eq!(find(ChannelId(42)).1, "both");
        assert_eq!(opened.len(), 3, "each opens once: {opened:?}");
    }
    // Messages both ways on each.
    for id in [early, late, ChannelId(42)] {
        call.with(0, |p, now| p.send_channel(now, id, b"ping", false))
            .unwrap();
        call.with(1, |p, now| p.send_channel(now, id, b"pong", true))
            .unwrap();
    }
    let got = |c: &Call| {
        [early, late, ChannelId(42)]
            .iter()
            .all(|&id| !c.messages(0, id).is_empty() && !c.messages(1, id).is_empty())
    };
    assert!(call.run_until(Duration::from_secs(5), got));
    for id in [early, late, ChannelId(42)] {
        assert_eq!(call.messages(1, id), vec![(false, b"ping".to_vec())]);
        assert_eq!(call.messages(0, id), vec![(true, b"pong".to_vec())]);
    }
    // A negotiated id twice is refused.
    let again = call.with(0, |p, now| p.create_channel(now, "x", negotiated.clone()));
    assert_eq!(
        again,
        Err(Error::Channel(ChannelError::IdInUse(ChannelId(42))))
    );
}

/// Sends `messages` on `id` from A, keeping at most `window` bytes buffered in SCTP, and
/// runs until B has `expect` of them or `limit` passes.
fn pump(
    call: &mut Call,
    id: ChannelId,
    messages: &[(bool, Vec<u8>)],
    window: usize,
    limit: Duration,
    expect: usize,
) {
    let mut next = 0;
    let end = call.sim.now() + limit;
    while call.sim.now() < end {
        while next < messages.len() && call.with(0, |p, _| p.buffered_amount(id)).unwrap() < window
        {
            let (binary, m) = &messages[next];
            call.with(0, |p, now| p.send_channel(now, id, m, *binary))
                .unwrap();
            next += 1;
        }
        call.sim.run_for(Duration::from_millis(10));
        call.collect();
        if next == messages.len() && call.messages(1, id).len() >= expect {
            return;
        }
    }
}

#[test]
fn a_thousand_ordered_messages_of_1_b_to_64_kib_arrive_in_order_strings_and_binary_apart() {
    let mut call = Call::new(12, LinkConfig::default(), |_, _| {});
    call.connect();
    let id = call.open_channel(ChannelOptions::reliable());
    let sent: Vec<(bool, Vec<u8>)> = (0..1000u32)
        .map(|n| {
            // 1 B, 64 KiB, and sizes spread between.
            let len = match n {
                0 => 1,
                1 => 64 * 1024,
                _ => 1 + (n as usize * 7919) % (64 * 1024),
            };
            (n % 3 == 0, message(n, len))
        })
        .collect();
    pump(
        &mut call,
        id,
        &sent,
        1 << 20,
        Duration::from_secs(600),
        sent.len(),
    );
    let got = call.messages(1, id);
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "a message differs, or its kind, or the order");
    let stats = call.with(1, |p, _| p.data_stats());
    assert_eq!(stats.messages_received, 1000);
    assert_eq!(
        stats.bytes_received,
        sent.iter().map(|m| m.1.len() as u64).sum::<u64>()
    );
    assert_eq!((stats.sctp_dropped, stats.dcep_dropped), (0, 0));
}

#[test]
fn unordered_messages_all_arrive_over_a_reordering_link() {
    let mut link = LinkConfig::default();
    link.jitter = Duration::from_millis(20);
    link.reorder = 0.2;
    let mut call = Call::new(13, link, |_, _| {});
    call.connect();
    let id = call.open_channel(ChannelOptions {
        ordered: false,
        ..ChannelOptions::reliable()
    });
    let sent: Vec<(bool, Vec<u8>)> = (0..300u32).map(|n| (true, message(n, 900))).collect();
    pump(
        &mut call,
        id,
        &sent,
        64 * 1024,
        Duration::from_secs(60),
        sent.len(),
    );
    let mut got = call.messages(1, id);
    assert_eq!(got.len(), sent.len());
    let in_order = got == sent;
    got.sort();
    let mut want = sent.clone();
    want.sort();
    assert_eq!(got, want);
    // Not a proof of unordered delivery, but what a reordering link gives it.
    assert!(
        !in_order,
        "unordered delivery kept the sending order over reordering"
    );
}

/// A link losing `loss` of its packets, both ways.
fn lossy(loss: f64) -> LinkConfig {
    let mut link = LinkConfig::default();
    link.loss = loss;
    link.delay = Duration::from_millis(20);
    link
}

#[test]
fn partial_reliability_under_loss_loses_some_and_reliable_loses_none() {
    let mut call = Call::new(14, lossy(0.15), |_, _| {});
    call.connect();
    let sent: Vec<(bool, Vec<u8>)> = (0..400u32).map(|n| (true, message(n, 200))).collect();
    let mut results = Vec::new();
    for options in [
        ChannelOptions {
            ordered: false,
            max_retransmits: Some(0),
            ..ChannelOptions::reliable()
        },
        ChannelOptions {
            ordered: false,
            max_packet_lifetime: Some(Duration::from_millis(1)),
            ..ChannelOptions::reliable()
        },
        ChannelOptions::reliable(),
    ] {
        let id = call.open_channel(options.clone());
        pump(
            &mut call,
            id,
            &sent,
            8 * 1024,
            Duration::from_secs(120),
            sent.len(),
        );
        // Let retransmissions and FORWARD TSN settle.
        call.run_until(Duration::from_secs(20), |_| false);
        let got = call.messages(1, id);
        // What arrives is what was sent, each once.
        let mut seen = std::collections::HashSet::new();
        for m in &got {
            assert!(sent.contains(m), "a message that was not sent");
            assert!(seen.insert(m.1.clone()), "a message twice");
        }
        results.push((options, got));
    }
    for (options, got) in &results[..2] {
        assert!(
            !got.is_empty() && got.len() < sent.len(),
            "{options:?}: {} of {} arrived",
            got.len(),
            sent.len()
        );
    }
    assert_eq!(results[2].1, sent, "reliable and ordered: all, in order");
}

#[test]
fn buffered_amount_low_fires_at_the_threshold() {
    let mut call = Call::new(15, LinkConfig::default(), |_, _| {});
    call.connect();
    let id = call.open_channel(ChannelOptions::reliable());
    call.with(0, |p, _| p.set_buffered_low_threshold(id, 16 * 1024))
        .unwrap();
    for n in 0..8 {
        call.with(0, |p, now| {
            p.send_channel(now, id, &message(n, 64 * 1024), true)
        })
        .unwrap();
    }
    let buffered = call.with(0, |p, _| p.buffered_amount(id)).unwrap();
    assert!(buffered > 16 * 1024, "{buffered}");
    let low = |c: &Call| {
        c.seen[0]
            .iter()
            .any(|e| matches!(e, Event::ChannelBufferedLow { id: got } if *got == id))
    };
    assert!(
        call.run_until(Duration::from_secs(30), low),
        "{:#?}",
        call.seen[0]
    );
    assert!(call.with(0, |p, _| p.buffered_amount(id)).unwrap() <= 16 * 1024);
    assert!(call.run_until(Duration::from_secs(30), |c| c.messages(1, id).len() == 8));
}

#[test]
fn closing_a_channel_is_seen_by_the_other_side() {
    let mut call = Call::new(16, LinkConfig::default(), |_, _| {});
    call.connect();
    let a = call.open_channel(ChannelOptions::reliable());
    let b = call.open_channel(ChannelOptions::reliable());
    call.with(0, |p, now| p.send_channel(now, a, b"last", false))
        .unwrap();
    call.with(0, |p, now| p.close_channel(now, a)).unwrap();
    assert!(
        call.run_until(Duration::from_secs(10), |c| c.closed(0, a)
            && c.closed(1, a)),
        "{:#?}",
        call.seen
    );
    assert_eq!(call.messages(1, a), vec![(false, b"last".to_vec())]);
    // The other channel is still open; the closed one is gone on both sides.
    assert!(!call.closed(0, b) && !call.closed(1, b));
    for i in 0..2 {
        let r = call.with(i, |p, now| p.send_channel(now, a, b"x", false));
        assert_eq!(r, Err(Error::Channel(ChannelError::Unknown(a))));
    }
    call.with(1, |p, now| p.send_channel(now, b, b"still", false))
        .unwrap();
    assert!(call.run_until(Duration::from_secs(5), |c| !c.messages(0, b).is_empty()));
    // Closing the peer closes every channel on both sides.
    call.with(0, |p, now| p.close(now));
    assert!(
        call.run_until(Duration::from_secs(10), |c| c.closed(0, b)
            && c.closed(1, b)),
        "{:#?}",
        call.seen
    );
}

#[test]
fn a_message_past_the_peers_max_message_size_is_a_typed_error() {
    let mut call = Call::new(17, LinkConfig::default(), |i, c| {
        if i == 1 {
            c.data.remote_max_message_size = 1000;
        }
    });
    call.connect();
    let id = call.open_channel(ChannelOptions::reliable());
    let r = call.with(0, |p, now| p.send_channel(now, id, &vec![0; 262_145], true));
    assert_eq!(
        r,
        Err(Error::Channel(ChannelError::TooLarge {
            size: 262_145,
            max: 262_144
        }))
    );
    call.with(0, |p, now| p.send_channel(now, id, &vec![1; 262_144], true))
        .unwrap();
    let r = call.with(1, |p, now| p.send_channel(now, id, &[2; 1001], false));
    assert_eq!(
        r,
        Err(Error::Channel(ChannelError::TooLarge {
            size: 1001,
            max: 1000
        }))
    );
    call.with(1, |p, now| p.send_channel(now, id, &[], false))
        .unwrap();
    assert!(call.run_until(Duration::from_secs(10), |c| {
        c.messages(1, id).len() == 1 && c.messages(0, id).len() == 1
    }));
    assert_eq!(call.messages(1, id)[0].1.len(), 262_144);
    // An empty string arrives empty (RFC 8831 section 6.6: PPID 56 and one dummy byte).
    assert_eq!(call.messages(0, id), vec![(false, Vec::new())]);
}

#[test]
fn hostile_dcep_and_garbage_sctp_never_panic_and_are_counted() {
    let mut call = Call::new(18, LinkConfig::default(), |_, _| {});
    call.connect();
    let good = call.open_channel(ChannelOptions::reliable());
    // A DATA_CHANNEL_OPEN whose label length runs past its end (RFC 8832 section 5.1),
    // one with an unknown channel type, one that is not UTF-8, an unknown DCEP type, an
    // empty one, a stray ACK, and an OPEN for a stream that has a channel.
    let mut long_label = vec![0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0, 0];
    long_label.extend_from_slice(b"short");
    let bad_type = [0x03, 0x7f, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, b'x'];
    let not_utf8 = [0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0xc3, 0x28];
    let mut duplicate = Vec::new();
    wren_rtc::dcep::Open {
        unordered: false,
        reliability: wren_rtc::dcep::Reliability::Reliable,
        priority: 0,
        label: "again",
        protocol: "",
    }
    .write(&mut duplicate)
    .unwrap();
    let hostile: [(u16, &[u8]); 7] = [
        (101, &long_label),
        (103, &bad_type),
        (105, &not_utf8),
        (107, &[0x09, 1, 2]),
        (109, &[0x03]),
        (111, &[0x02]),
        (good.0, &duplicate),
    ];
    for (stream, bytes) in hostile {
        assert!(call.with(0, |p, _| p.fuzz_send_raw(stream, 50, bytes)));
    }
    // User messages on streams of no channel, and a PPID that is not WebRTC's.
    assert!(call.with(0, |p, _| p.fuzz_send_raw(113, 53, b"nobody")));
    assert!(call.with(0, |p, _| p.fuzz_send_raw(good.0, 1234, b"odd ppid")));
    call.run_until(Duration::from_secs(2), |_| false);
    let stats = call.with(1, |p, _| p.data_stats());
    assert_eq!(stats.dcep_dropped, 7, "{stats:?}");
    assert_eq!(stats.messages_dropped, 2, "{stats:?}");
    // No channel came of them.
    assert_eq!(call.opened(1).len(), 1, "{:?}", call.opened(1));
    // Garbage SCTP: not a packet, a bad checksum, a stranger's verification tag.
    let mut packet = vec![0x13, 0x88, 0x13, 0x88, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0];
    packet.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 1]);
    for garbage in [&b""[..], &[0xff; 3], &packet, &[0u8; 1500]] {
        call.with(1, |p, now| p.fuzz_sctp_packet(now, garbage));
    }
    let after = call.with(1, |p, _| p.data_stats());
    assert_eq!(after.sctp_dropped - stats.sctp_dropped, 4, "{after:?}");
    // The channel still works both ways.
    call.with(0, |p, now| p.send_channel(now, good, b"fine", false))
        .unwrap();
    call.with(1, |p, now| p.send_channel(now, good, b"fine too", false))
        .unwrap();
    assert!(call.run_until(Duration::from_secs(5), |c| {
        !c.messages(1, good).is_empty() && !c.messages(0, good).is_empty()
    }));
}
