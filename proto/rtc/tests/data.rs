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
            host.link = link.clone();
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
