//! Unit tests of the TURN client against a small fake TURN server written here, on a
//! virtual clock: every message is delivered at once, time jumps from deadline to deadline.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::demux::{TurnKind, classify_turn};
use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_stun::attr::{
    AddressFamily, AlternateServer, ChannelNumber as ChannelNumberAttr, Data, DontFragment,
    ErrorCode, ErrorCodeValue, Lifetime, Nonce, Realm, RequestedAddressFamily, RequestedTransport,
    Username, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use super::*;
use crate::ChannelNumber;
use crate::wire::ChannelData;

const USER: &str = "test";
const PASSWORD: &str = "secret";
const REALM: &str = "example.org";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn server_addr() -> SocketAddr {
    addr("192.0.2.1:3478")
}

fn local() -> SocketAddr {
    addr("10.0.0.2:5000")
}

fn relayed() -> SocketAddr {
    addr("192.0.2.1:49152")
}

fn peer() -> SocketAddr {
    addr("198.51.100.7:6000")
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// What a fake server got: when (since the start), and the bytes.
#[derive(Debug, Clone)]
struct Received {
    at: Duration,
    bytes: Vec<u8>,
    /// Whether it was a request that passed authentication (so it was acted on).
    authenticated: bool,
}

/// A small TURN server: long-term credentials (401 with REALM and NONCE, a 438 once when
/// asked), Allocate, Refresh, CreatePermission, ChannelBind, Send indications and
/// ChannelData; error codes and silence on demand.
struct FakeServer {
    addr: SocketAddr,
    nonce: String,
    key: Key,
    /// The lifetime granted to Allocate (Refresh grants what it asks for).
    lifetime: Duration,
    /// Answer these methods with this error code (after authentication).
    errors: HashMap<Method, u16>,
    /// Answer the next authenticated request of this method with 438 and a new nonce.
    stale_once: Option<Method>,
    /// Ignore requests of these methods.
    ignore: HashSet<Method>,
    /// Ignore everything.
    silent: bool,
    /// Answer Allocate with 300 (Try Alternate) to this server.
    alternate: Option<SocketAddr>,
    received: Vec<Received>,
    permissions: HashSet<IpAddr>,
    channels: HashMap<u16, SocketAddr>,
}

impl FakeServer {
    fn new(addr: SocketAddr) -> FakeServer {
        FakeServer {
            addr,
            nonce: "nonce-1".into(),
            key: Key::long_term(USER, REALM, PASSWORD).unwrap(),
            lifetime: Duration::from_secs(600),
            errors: HashMap::new(),
            stale_once: None,
            ignore: HashSet::new(),
            silent: false,
            alternate: None,
            received: Vec::new(),
            permissions: HashSet::new(),
            channels: HashMap::new(),
        }
    }

    /// The authenticated requests of `method`, in order.
    fn requests(&self, method: Method) -> Vec<&Received> {
        self.received
            .iter()
            .filter(|r| {
                r.authenticated && Message::parse(&r.bytes).is_ok_and(|m| m.method() == method)
            })
            .collect()
    }

    /// The times of the authenticated requests of `method`, in seconds since the start.
    fn times(&self, method: Method) -> Vec<u64> {
        self.requests(method)
            .iter()
            .map(|r| r.at.as_secs())
            .collect()
    }

    /// Send indications received: (peer, data).
    fn indications(&self) -> Vec<(SocketAddr, Vec<u8>)> {
        self.received
            .iter()
            .filter_map(|r| {
                let m = Message::parse(&r.bytes).ok()?;
                if m.class() != Class::Indication || m.method() != Method::SEND {
                    return None;
                }
                let peer = m.require::<XorPeerAddress>().ok()?.0;
                let data = m.require::<Data<'_>>().ok()?.0.to_vec();
                Some((peer, data))
            })
            .collect()
    }

    /// ChannelData received, raw (padding included).
    fn channel_data(&self) -> Vec<Vec<u8>> {
        self.received
            .iter()
            .filter(|r| classify_turn(&r.bytes) == Some(TurnKind::ChannelData))
            .map(|r| r.bytes.clone())
            .collect()
    }

    fn error(&self, req: &Message<'_>, code: u16, with_challenge: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let typ = req.message_type().with_class(Class::ErrorResponse);
        let mut w = MessageWriter::new(&mut out, typ, req.transaction_id());
        w.add(&ErrorCode::from_code(ErrorCodeValue::new(code).unwrap()))
            .unwrap();
        if with_challenge {
            w.add(&Realm(REALM)).unwrap();
            w.add(&Nonce(&self.nonce)).unwrap();
        }
        if let (300, Some(alt)) = (code, self.alternate) {
            w.add(&AlternateServer(alt)).unwrap();
        }
        w.add_fingerprint().unwrap();
        w.finish();
        out
    }

    /// Handles one message from `from`; returns the answer, if any.
    fn handle(&mut self, at: Duration, from: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
        let mut received = Received {
            at,
            bytes: bytes.to_vec(),
            authenticated: false,
        };
        if self.silent {
            self.received.push(received);
            return None;
        }
        if classify_turn(bytes) == Some(TurnKind::ChannelData) {
            let cd = ChannelData::parse(bytes).expect("ChannelData from the client");
            assert!(
                self.channels.contains_key(&cd.channel.get()),
                "bound channel"
            );
            self.received.push(received);
            return None;
        }
        let req = Message::parse(bytes).expect("STUN from the client");
        if req.class() == Class::Indication {
            self.received.push(received);
            return None;
        }
        assert_eq!(req.class(), Class::Request);
        req.verify_fingerprint()
            .expect("requests carry FINGERPRINT");
        let method = req.method();
        if self.ignore.contains(&method) {
            self.received.push(received);
            return None;
        }
        if method == Method::ALLOCATE && self.alternate.is_some() {
            self.received.push(received);
            return Some(self.error(&req, 300, false));
        }
        let signed = req.integrity_offset().is_some();
        let nonce_ok = req.get::<Nonce<'_>>().ok().flatten().map(|n| n.0) == Some(&self.nonce);
        let user_ok = req.get::<Username<'_>>().ok().flatten().map(|u| u.0) == Some(USER);
        if !signed || !user_ok || req.verify_integrity(&self.key).is_err() {
            self.received.push(received);
            return Some(self.error(&req, 401, true));
        }
        if !nonce_ok || self.stale_once == Some(method) {
            self.stale_once = None;
            self.nonce = format!("{}x", self.nonce);
            self.received.push(received);
            return Some(self.error(&req, 438, true));
        }
        received.authenticated = true;
        self.received.push(received);
        if let Some(&code) = self.errors.get(&method) {
            return Some(self.error(&req, code, false));
        }
        let mut out = Vec::new();
        let typ = req.message_type().with_class(Class::SuccessResponse);
        let mut w = MessageWriter::new(&mut out, typ, req.transaction_id());
        match method {
            Method::ALLOCATE => {
                assert_eq!(
                    req.require::<RequestedTransport>().unwrap(),
                    RequestedTransport::UDP
                );
                w.add(&XorRelayedAddress(relayed())).unwrap();
                w.add(&XorMappedAddress(from)).unwrap();
                w.add(&Lifetime(self.lifetime)).unwrap();
            }
            Method::REFRESH => {
                let asked = req.require::<Lifetime>().unwrap().0;
                w.add(&Lifetime(asked)).unwrap();
            }
            Method::CREATE_PERMISSION => {
                let peer = req.require::<XorPeerAddress>().unwrap().0;
                self.permissions.insert(peer.ip());
            }
            Method::CHANNEL_BIND => {
                let peer = req.require::<XorPeerAddress>().unwrap().0;
                let n = req.require::<ChannelNumberAttr>().unwrap().0;
                assert!(ChannelNumber::new(n).is_some());
                self.channels.insert(n, peer);
                self.permissions.insert(peer.ip());
            }
            other => panic!("unexpected method {other}"),
        }
        w.add_message_integrity(&self.key).unwrap();
        w.add_fingerprint().unwrap();
        w.finish();
        Some(out)
    }

    /// A Data indication from `peer` carrying `data`.
    fn data_indication(peer: SocketAddr, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let typ = MessageType::new(Class::Indication, Method::DATA);
        let mut w = MessageWriter::new(&mut out, typ, TransactionId([9; 12]));
        w.add(&XorPeerAddress(peer)).unwrap();
        w.add(&Data(data)).unwrap();
        w.add_fingerprint().unwrap();
        w.finish();
        out
    }
}

/// A TURN client and its servers on a virtual clock, with lossless, instant delivery.
struct Sim {
    start: Instant,
    now: Instant,
    client: Client,
    servers: Vec<FakeServer>,
    events: Vec<(Duration, Event)>,
    /// Every transmit the client made: when, where, and the bytes.
    sent: Vec<(Duration, Transmit, Vec<u8>)>,
}

impl Sim {
    fn new(config: Config) -> Sim {
        let start = t0();
        let server = FakeServer::new(config.server);
        Sim {
            start,
            now: start,
            client: Client::new(start, config),
            servers: vec![server],
            events: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn config() -> Config {
        let mut c = Config::new(server_addr(), Transport::Udp, USER, PASSWORD);
        c.rng_seed = Some([7; 32]);
        c.software = Some("wren-turn test".into());
        c
    }

    /// Allocates (answering the 401) and drains.
    fn allocated(config: Config) -> Sim {
        let mut sim = Sim::new(config);
        sim.client.allocate(sim.now).unwrap();
        sim.drain();
        assert!(
            sim.client.relayed().is_some(),
            "allocated: {:?}",
            sim.events
        );
        sim
    }

    fn server(&mut self) -> &mut FakeServer {
        &mut self.servers[0]
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Hands every transmit to its server and every answer back; collects events.
    fn drain(&mut self) {
        let mut buf = Vec::new();
        for _ in 0..10_000 {
            buf.clear();
            let Some(t) = self.client.poll_transmit(self.now, &mut buf) else {
                break;
            };
            let at = self.elapsed();
            self.sent.push((at, t, buf.clone()));
            let Some(server) = self.servers.iter_mut().find(|s| s.addr == t.destination) else {
                continue;
            };
            let from = server.addr;
            if let Some(reply) = server.handle(at, local(), &buf) {
                self.deliver_from(from, t.proto, &reply);
            }
        }
        while let Some(e) = self.client.poll_event() {
            self.events.push((self.elapsed(), e));
        }
    }

    /// Feeds `bytes` to the client as if from `from`.
    fn deliver_from(&mut self, from: SocketAddr, proto: Transport, bytes: &[u8]) {
        let d = Datagram {
            proto,
            source: from,
            destination: local(),
            ecn: None,
            payload: bytes,
        };
        self.client.handle_datagram(self.now, d);
    }

    /// Feeds `bytes` from the (first) server, then drains.
    fn deliver(&mut self, bytes: &[u8]) {
        let from = self.servers[0].addr;
        let proto = self.client.config.transport;
        self.deliver_from(from, proto, bytes);
        self.drain();
    }

    /// Runs until `secs` after the start, firing every deadline on the way.
    fn run_until(&mut self, secs_since_start: f64) {
        let end = self.start + secs(secs_since_start);
        loop {
            self.drain();
            match self.client.poll_timeout() {
                Some(t) if t <= end => {
                    assert!(
                        t >= self.now || t + secs(1e-3) >= self.now,
                        "deadline in the past"
                    );
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                }
                _ => break,
            }
        }
        self.now = end;
        self.drain();
    }

    /// The events so far, without their times.
    fn event_list(&self) -> Vec<Event> {
        self.events.iter().map(|(_, e)| e.clone()).collect()
    }

    fn closed(&self) -> Option<CloseReason> {
        self.events.iter().find_map(|(_, e)| match e {
            Event::Closed { reason } => Some(reason.clone()),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Allocation.

#[test]
fn allocation_answers_the_401_and_reports_the_addresses() {
    let mut sim = Sim::new(Sim::config());
    assert_eq!(sim.client.poll_timeout(), None, "nothing before allocate");
    sim.client.allocate(sim.now).unwrap();
    sim.drain();

    let allocates: Vec<&Received> = sim.server().received.iter().collect();
    assert_eq!(allocates.len(), 2, "a challenge, then the signed request");
    let first = Message::parse(&allocates[0].bytes).unwrap();
    assert_eq!(first.method(), Method::ALLOCATE);
    assert!(
        first.integrity_offset().is_none(),
        "the first Allocate is unsigned"
    );
    assert_eq!(
        first.require::<RequestedTransport>().unwrap(),
        RequestedTransport::UDP
    );
    assert_eq!(first.require::<Lifetime>().unwrap().0, secs(600.0));
    assert!(first.get::<RequestedAddressFamily>().unwrap().is_none());
    let second = Message::parse(&allocates[1].bytes).unwrap();
    assert!(allocates[1].authenticated);
    assert_eq!(second.require::<Realm<'_>>().unwrap().0, REALM);
    assert_eq!(second.require::<Nonce<'_>>().unwrap().0, "nonce-1");

    assert_eq!(
        sim.event_list(),
        [Event::Allocated {
            relayed: relayed(),
            mapped: Some(local()),
            lifetime: secs(600.0),
        }]
    );
    assert_eq!(sim.client.relayed(), Some(relayed()));
    assert_eq!(sim.client.mapped(), Some(local()));
    assert_eq!(sim.client.lifetime(), Some(secs(600.0)));
    assert_eq!(sim.client.allocate(sim.now), Err(Error::AlreadyAllocating));
}

#[test]
fn wrong_password_closes_unauthorized() {
    let mut config = Sim::config();
    config.password = "wrong".into();
    let mut sim = Sim::new(config);
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    assert_eq!(
        sim.closed(),
        Some(CloseReason::Failed(TurnFailure::Unauthorized))
    );
    assert_eq!(
        sim.server().received.len(),
        2,
        "one challenge, one signed try"
    );
    assert!(sim.client.is_closed());
    assert_eq!(sim.client.poll_timeout(), None);
}

#[test]
fn quota_reached_on_allocate_closes_with_quota_reached() {
    let mut sim = Sim::new(Sim::config());
    sim.server().errors.insert(Method::ALLOCATE, 486);
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    assert_eq!(
        sim.event_list(),
        [Event::Closed {
            reason: CloseReason::Failed(TurnFailure::QuotaReached)
        }]
    );
}

#[test]
fn allocate_error_codes_are_typed() {
    for (code, failure) in [
        (437, TurnFailure::AllocationMismatch),
        (440, TurnFailure::AddressFamilyNotSupported),
        (442, TurnFailure::UnsupportedTransport),
        (508, TurnFailure::InsufficientCapacity),
        (403, TurnFailure::Forbidden { peer: None }),
        (
            500,
            TurnFailure::ServerError {
                code: 500,
                reason: "Server Error".into(),
            },
        ),
    ] {
        let mut sim = Sim::new(Sim::config());
        sim.server().errors.insert(Method::ALLOCATE, code);
        sim.client.allocate(sim.now).unwrap();
        sim.drain();
        assert_eq!(
            sim.closed(),
            Some(CloseReason::Failed(failure)),
            "code {code}"
        );
    }
}

#[test]
fn requested_address_family_is_sent() {
    let mut config = Sim::config();
    config.address_family = Some(AddressFamily::V6);
    let mut sim = Sim::new(config);
    sim.server().errors.insert(Method::ALLOCATE, 440);
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    let req = sim.server().requests(Method::ALLOCATE)[0].bytes.clone();
    assert_eq!(
        Message::parse(&req)
            .unwrap()
            .require::<RequestedAddressFamily>()
            .unwrap(),
        RequestedAddressFamily(AddressFamily::V6)
    );
    assert_eq!(
        sim.closed(),
        Some(CloseReason::Failed(TurnFailure::AddressFamilyNotSupported))
    );
}

#[test]
fn silent_server_times_out_after_the_rfc_8489_schedule() {
    let mut sim = Sim::new(Sim::config());
    sim.server().silent = true;
    sim.client.allocate(sim.now).unwrap();
    sim.run_until(100.0);
    let sent: Vec<f64> = sim.sent.iter().map(|(at, _, _)| at.as_secs_f64()).collect();
    assert_eq!(sent, [0.0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]);
    assert_eq!(
        sim.events,
        [(
            secs(39.5),
            Event::Closed {
                reason: CloseReason::Failed(TurnFailure::Timeout {
                    request: Request::Allocate
                })
            }
        )]
    );
    assert_eq!(sim.client.poll_timeout(), None);
}

#[test]
fn alternate_server_is_followed_and_kept() {
    let alternate = addr("192.0.2.99:3478");
    let mut sim = Sim::new(Sim::config());
    sim.server().alternate = Some(alternate);
    sim.servers.push(FakeServer::new(alternate));
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    assert_eq!(
        sim.event_list()[..2],
        [
            Event::Redirected {
                from: server_addr(),
                to: alternate
            },
            Event::Allocated {
                relayed: relayed(),
                mapped: Some(local()),
                lifetime: secs(600.0)
            }
        ]
    );
    assert_eq!(sim.client.server(), alternate);
    assert_eq!(
        sim.servers[0].received.len(),
        1,
        "one Allocate, answered 300"
    );

    // Everything after goes to the alternate: permissions, data, refreshes.
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    sim.client
        .send(sim.now, peer(), b"to the alternate")
        .unwrap();
    sim.run_until(600.0);
    assert_eq!(
        sim.servers[0].received.len(),
        1,
        "nothing more to the first server"
    );
    assert!(
        sim.sent[2..]
            .iter()
            .all(|(_, t, _)| t.destination == alternate)
    );
    assert_eq!(
        sim.servers[1].times(Method::CREATE_PERMISSION),
        [0, 240, 480]
    );
    assert_eq!(sim.servers[1].times(Method::REFRESH), [540]);
    assert!(sim.servers[1].permissions.contains(&peer().ip()));
    // ChannelData from the alternate is taken; the first server is no longer listened to.
    let channel = sim.client.channel(peer()).unwrap();
    let mut cd = Vec::new();
    ChannelData::write(&mut cd, channel, b"back", false).unwrap();
    sim.deliver_from(server_addr(), Transport::Udp, &cd);
    assert_eq!(sim.client.stats().unexpected, 1);
    sim.deliver_from(alternate, Transport::Udp, &cd);
    sim.drain();
    assert_eq!(
        sim.events.last().map(|(_, e)| e.clone()),
        Some(Event::Data {
            peer: peer(),
            data: b"back".to_vec()
        })
    );
}

// ---------------------------------------------------------------------------------------
// Refreshes.

#[test]
fn allocation_is_refreshed_before_it_expires() {
    let mut sim = Sim::allocated(Sim::config());
    sim.run_until(2000.0);
    // Granted 600 s; refreshed 60 s before the end, each time counted from the last one.
    assert_eq!(sim.server().times(Method::REFRESH), [540, 1080, 1620]);
    for r in sim.server().requests(Method::REFRESH) {
        let m = Message::parse(&r.bytes).unwrap();
        assert_eq!(m.require::<Lifetime>().unwrap().0, secs(600.0));
        assert!(m.integrity_offset().is_some(), "signed from the start");
    }
    let refreshed: Vec<u64> = sim
        .events
        .iter()
        .filter(|(_, e)| matches!(e, Event::Refreshed { .. }))
        .map(|(at, _)| at.as_secs())
        .collect();
    assert_eq!(refreshed, [540, 1080, 1620]);
    assert_eq!(sim.closed(), None);
}

#[test]
fn a_short_lifetime_is_refreshed_at_its_half() {
    let mut sim = Sim::new(Sim::config());
    sim.server().lifetime = secs(100.0);
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    sim.run_until(120.0);
    // 100 s granted: 100 - 60 = 40 < 50, so at 50; the Refresh asks 600 and gets it.
    assert_eq!(sim.server().times(Method::REFRESH), [50]);
    assert_eq!(sim.client.lifetime(), Some(secs(600.0)));
}

#[test]
fn stale_nonce_on_a_refresh_is_recovered_by_the_stun_client() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().stale_once = Some(Method::REFRESH);
    sim.run_until(600.0);
    assert_eq!(sim.server().times(Method::REFRESH), [540]);
    let refresh = sim.server().requests(Method::REFRESH)[0].bytes.clone();
    assert_eq!(
        Message::parse(&refresh)
            .unwrap()
            .require::<Nonce<'_>>()
            .unwrap()
            .0,
        "nonce-1x"
    );
    assert_eq!(sim.closed(), None);
}

#[test]
fn allocation_mismatch_on_refresh_closes() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().errors.insert(Method::REFRESH, 437);
    sim.run_until(600.0);
    assert_eq!(
        sim.events.last().cloned(),
        Some((
            secs(540.0),
            Event::Closed {
                reason: CloseReason::Failed(TurnFailure::AllocationMismatch)
            }
        ))
    );
}

#[test]
fn unanswered_refresh_closes_with_a_timeout_before_expiry() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().ignore.insert(Method::REFRESH);
    sim.run_until(700.0);
    assert_eq!(
        sim.events.last().cloned(),
        Some((
            secs(579.5),
            Event::Closed {
                reason: CloseReason::Failed(TurnFailure::Timeout {
                    request: Request::Refresh
                })
            }
        ))
    );
}

#[test]
fn permissions_and_channels_are_refreshed_on_time_while_wanted() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::allocated(config);
    sim.run_until(10.0);
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    sim.drain();
    assert_eq!(
        sim.events.last().cloned(),
        Some((secs(10.0), Event::PermissionCreated { peer: peer().ip() }))
    );
    sim.run_until(20.0);
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    assert_eq!(
        sim.events.last().cloned(),
        Some((
            secs(20.0),
            Event::ChannelBound {
                peer: peer(),
                channel: ChannelNumber::MIN
            }
        ))
    );
    sim.run_until(1200.0);
    // Permissions last 300 s: refreshed at 240 s intervals. Channels last 600 s: at 540 s.
    assert_eq!(
        sim.server().times(Method::CREATE_PERMISSION),
        [10, 250, 490, 730, 970]
    );
    assert_eq!(sim.server().times(Method::CHANNEL_BIND), [20, 560, 1100]);
    for r in sim.server().requests(Method::CHANNEL_BIND) {
        let m = Message::parse(&r.bytes).unwrap();
        assert_eq!(m.require::<ChannelNumberAttr>().unwrap().0, 0x4000);
        assert_eq!(m.require::<XorPeerAddress>().unwrap().0, peer());
    }
    assert_eq!(
        sim.events
            .iter()
            .filter(|(_, e)| matches!(
                e,
                Event::PermissionCreated { .. } | Event::ChannelBound { .. }
            ))
            .count(),
        2,
        "refreshes say nothing"
    );

    // No longer wanted: no more refreshes (the server lets them expire).
    sim.client.remove_permission(sim.now, peer().ip()).unwrap();
    sim.run_until(3000.0);
    assert_eq!(sim.server().times(Method::CREATE_PERMISSION).len(), 5);
    assert_eq!(sim.server().times(Method::CHANNEL_BIND).len(), 3);
    assert_eq!(sim.client.channel(peer()), None);
    assert!(!sim.client.has_permission(peer().ip()));
    assert_eq!(sim.closed(), None, "the allocation itself lives on");
}

#[test]
fn next_timer_names_requests_refreshes_and_peers() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::allocated(config);
    let start = sim.start;
    let at = |s: f64| start + secs(s);
    assert_eq!(sim.client.next_timer(), Some((at(540.0), Timer::Refresh)));
    assert_eq!(sim.client.poll_timeout(), Some(at(540.0)));
    sim.run_until(10.0);
    // A request in flight: its retransmission comes first.
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    assert!(matches!(
        sim.client.next_timer(),
        Some((t, Timer::Request(stun::Timer::Retransmit(_)))) if t == at(10.5)
    ));
    sim.drain();
    assert_eq!(
        sim.client.next_timer(),
        Some((at(250.0), Timer::PermissionRefresh(peer().ip())))
    );
    sim.run_until(20.0);
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    sim.run_until(500.0);
    // Permission refreshed at 250 and 490; the allocation's refresh (540) is next, then the
    // channel's (560).
    assert_eq!(sim.client.next_timer(), Some((at(540.0), Timer::Refresh)));
    sim.run_until(545.0);
    assert_eq!(
        sim.client.next_timer(),
        Some((at(560.0), Timer::ChannelRefresh(peer())))
    );
    assert_eq!(sim.client.poll_timeout(), Some(at(560.0)));
    // Removed: its refreshes are disarmed.
    sim.client.remove_permission(sim.now, peer().ip()).unwrap();
    assert_eq!(sim.client.next_timer(), Some((at(1080.0), Timer::Refresh)));
    sim.client.close(sim.now);
    sim.drain();
    assert_eq!(sim.client.next_timer(), None);
}

#[test]
fn permissions_wanted_before_the_allocation_are_requested_when_it_exists() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::new(config);
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    sim.client
        .bind_channel(sim.now, addr("198.51.100.8:1"))
        .unwrap();
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    assert_eq!(sim.server().times(Method::CREATE_PERMISSION), [0, 0]);
    assert_eq!(sim.server().times(Method::CHANNEL_BIND), [0]);
    assert!(sim.client.has_permission(peer().ip()));
    assert!(sim.client.has_permission("198.51.100.8".parse().unwrap()));
}

// ---------------------------------------------------------------------------------------
// Data.

#[test]
fn data_goes_as_send_indications_before_the_channel_and_channel_data_after() {
    let mut config = Sim::config();
    config.dont_fragment = true;
    let mut sim = Sim::allocated(config);
    // The ChannelBind goes unanswered at first (lost), so the channel is not bound yet.
    sim.server().ignore.insert(Method::CHANNEL_BIND);
    sim.client.send(sim.now, peer(), b"first").unwrap();
    sim.drain();
    assert_eq!(sim.server().indications(), [(peer(), b"first".to_vec())]);
    let ind = sim.server().received.last().unwrap().bytes.clone();
    let ind = Message::parse(&ind).unwrap();
    assert!(ind.get::<DontFragment>().unwrap().is_some());
    ind.verify_fingerprint().unwrap();
    assert_eq!(sim.client.channel(peer()), None);

    // The retransmission at 0.5 s is answered: the channel is bound.
    sim.server().ignore.clear();
    sim.run_until(1.0);
    let channel = sim.client.channel(peer()).expect("bound");
    assert!(sim.event_list().contains(&Event::ChannelBound {
        peer: peer(),
        channel
    }));
    sim.client.send(sim.now, peer(), b"second").unwrap();
    sim.drain();
    let cd = sim.server().channel_data();
    assert_eq!(cd.len(), 1);
    let parsed = ChannelData::parse(&cd[0]).unwrap();
    assert_eq!((parsed.channel, parsed.data), (channel, &b"second"[..]));
    assert_eq!(cd[0].len(), 4 + 6, "no padding over UDP");
    assert_eq!(sim.server().indications().len(), 1);
    let stats = sim.client.stats();
    assert_eq!((stats.indications_sent, stats.channel_data_sent), (1, 1));
}

#[test]
fn data_waits_for_the_permission_and_keeps_its_order() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::new(config);
    // Several calls before any drain: nothing is lost or reordered (no drain invariant).
    sim.client.send(sim.now, peer(), b"one").unwrap();
    sim.client
        .send(sim.now, addr("198.51.100.9:9"), b"other")
        .unwrap();
    sim.client.send(sim.now, peer(), b"two").unwrap();
    sim.client.allocate(sim.now).unwrap();
    sim.client.send(sim.now, peer(), b"three").unwrap();
    sim.drain();
    let got: Vec<(SocketAddr, Vec<u8>)> = sim.server().indications();
    let to_peer: Vec<&[u8]> = got
        .iter()
        .filter(|(p, _)| *p == peer())
        .map(|(_, d)| d.as_slice())
        .collect();
    assert_eq!(to_peer, [&b"one"[..], b"two", b"three"]);
    assert_eq!(got.len(), 4);
    // Every indication came after its permission was installed at the server.
    let first_data = sim
        .server()
        .received
        .iter()
        .position(|r| Message::parse(&r.bytes).is_ok_and(|m| m.class() == Class::Indication))
        .unwrap();
    let permissions_done = sim
        .server()
        .received
        .iter()
        .rposition(|r| {
            r.authenticated
                && Message::parse(&r.bytes).is_ok_and(|m| m.method() == Method::CREATE_PERMISSION)
        })
        .unwrap();
    assert!(permissions_done < first_data);
}

#[test]
fn the_queue_is_bounded_and_counts_drops() {
    let mut config = Sim::config();
    config.max_queued = 2;
    let mut sim = Sim::new(config);
    for i in 0..5u8 {
        sim.client.send(sim.now, peer(), &[i]).unwrap();
    }
    assert_eq!(sim.client.stats().dropped_queue_full, 3);
    sim.client.allocate(sim.now).unwrap();
    sim.drain();
    let datagrams = sim.server().indications().len() + sim.server().channel_data().len();
    assert_eq!(datagrams, 2);
    assert_eq!(
        sim.client.send(sim.now, peer(), &vec![0; MAX_DATA_LEN + 1]),
        Err(Error::TooLong(MAX_DATA_LEN + 1))
    );
}

#[test]
fn send_into_writes_straight_into_the_callers_buffer() {
    let mut sim = Sim::allocated(Sim::config());
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    let channel = sim.client.channel(peer()).unwrap();
    let mut buf = Vec::with_capacity(1500);
    let t = sim
        .client
        .send_into(sim.now, peer(), b"hot path", &mut buf)
        .unwrap()
        .expect("ready: written at once");
    assert_eq!(t.destination, server_addr());
    assert_eq!(t.proto, Transport::Udp);
    let cd = ChannelData::parse(&buf).unwrap();
    assert_eq!((cd.channel, cd.data), (channel, &b"hot path"[..]));
    // A peer that is not ready yet: queued, sent by poll_transmit once it is.
    buf.clear();
    let other = addr("198.51.100.10:10");
    assert_eq!(
        sim.client.send_into(sim.now, other, b"later", &mut buf),
        Ok(None)
    );
    assert!(buf.is_empty());
    sim.drain();
    assert_eq!(
        sim.server().indications().len() + sim.server().channel_data().len(),
        1
    );
}

#[test]
fn channel_data_over_tcp_is_padded() {
    let mut config = Sim::config();
    config.transport = Transport::Tcp;
    let mut sim = Sim::allocated(config);
    assert!(sim.sent.iter().all(|(_, t, _)| t.proto == Transport::Tcp));
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    sim.client.send(sim.now, peer(), b"hello").unwrap();
    sim.drain();
    let cd = sim.server().channel_data();
    assert_eq!(cd.len(), 1);
    assert_eq!(cd[0].len(), 12, "4 + 5 bytes padded to 12 on a stream");
    assert_eq!(&cd[0][9..], [0, 0, 0]);
    assert_eq!(ChannelData::parse(&cd[0]).unwrap().data, b"hello");
    assert_eq!(sim.sent.last().unwrap().1.proto, Transport::Tcp);
}

#[test]
fn data_indications_and_channel_data_are_received() {
    let mut sim = Sim::allocated(Sim::config());
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    let channel = sim.client.channel(peer()).unwrap();
    sim.events.clear();

    sim.deliver(&FakeServer::data_indication(peer(), b"by indication"));
    let mut cd = Vec::new();
    ChannelData::write(&mut cd, channel, b"by channel", false).unwrap();
    sim.deliver(&cd);
    assert_eq!(
        sim.event_list(),
        [
            Event::Data {
                peer: peer(),
                data: b"by indication".to_vec()
            },
            Event::Data {
                peer: peer(),
                data: b"by channel".to_vec()
            },
        ]
    );

    // What must be dropped is counted, not delivered.
    let stranger = addr("203.0.113.5:5");
    sim.deliver(&FakeServer::data_indication(stranger, b"no permission"));
    let mut unknown = Vec::new();
    ChannelData::write(
        &mut unknown,
        ChannelNumber::new(0x4abc).unwrap(),
        b"?",
        false,
    )
    .unwrap();
    sim.deliver(&unknown);
    sim.deliver_from(addr("203.0.113.9:3478"), Transport::Udp, &cd);
    sim.deliver(&[0x80, 1, 2, 3]);
    sim.deliver(&[0x40, 0x00, 0x00, 0x09, 1]);
    let mut truncated = FakeServer::data_indication(peer(), b"x");
    truncated.truncate(24);
    sim.deliver(&truncated);
    sim.drain();
    assert_eq!(sim.event_list().len(), 2, "{:?}", sim.events);
    let stats = sim.client.stats();
    assert_eq!(stats.data_received, 2);
    assert_eq!(stats.unexpected, 3);
    assert_eq!(stats.malformed + stats.stun.malformed, 3);
}

#[test]
fn send_channel_into_writes_channel_data_only_when_a_channel_is_bound() {
    let mut sim = Sim::allocated(Sim::config());
    let mut buf = Vec::new();
    assert_eq!(
        sim.client
            .send_channel_into(sim.now, peer(), b"early", &mut buf),
        None,
        "no channel yet"
    );
    assert!(buf.is_empty());
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    let channel = sim.client.channel(peer()).unwrap();
    let sent_before = sim.client.stats().channel_data_sent;
    let t = sim
        .client
        .send_channel_into(sim.now, peer(), b"by channel", &mut buf)
        .expect("written");
    assert_eq!(t.destination, sim.servers[0].addr);
    let cd = ChannelData::parse(&buf).unwrap();
    assert_eq!((cd.channel, cd.data), (channel, &b"by channel"[..]));
    assert_eq!(sim.client.stats().channel_data_sent, sent_before + 1);
    // The same bytes send_into writes.
    let mut other = Vec::new();
    let _ = sim
        .client
        .send_into(sim.now, peer(), b"by channel", &mut other)
        .unwrap()
        .expect("written");
    assert_eq!(buf, other);
}

#[test]
fn peer_data_borrows_what_handle_datagram_would_deliver() {
    let mut sim = Sim::allocated(Sim::config());
    sim.client.bind_channel(sim.now, peer()).unwrap();
    sim.drain();
    let channel = sim.client.channel(peer()).unwrap();
    sim.events.clear();
    let datagram = |bytes| Datagram {
        proto: Transport::Udp,
        source: addr("192.0.2.1:3478"),
        destination: local(),
        ecn: None,
        payload: bytes,
    };
    let server = sim.servers[0].addr;

    let indication = FakeServer::data_indication(peer(), b"by indication");
    let d = Datagram {
        source: server,
        ..datagram(&indication)
    };
    let (from, data) = sim.client.peer_data(&d).expect("a Data indication");
    assert_eq!((from, data), (peer(), &b"by indication"[..]));
    // The slice is the DATA attribute inside the input, not a copy.
    assert!(indication.as_ptr_range().contains(&data.as_ptr()));

    let mut cd = Vec::new();
    ChannelData::write(&mut cd, channel, b"by channel", false).unwrap();
    let d = Datagram {
        source: server,
        ..datagram(&cd)
    };
    let (from, data) = sim.client.peer_data(&d).expect("ChannelData");
    assert_eq!((from, data), (peer(), &b"by channel"[..]));
    assert_eq!(data.as_ptr(), cd[4..].as_ptr());

    // Not data, or not from the server: left to handle_datagram.
    let stranger = FakeServer::data_indication(addr("203.0.113.5:5"), b"no permission");
    let d = Datagram {
        source: server,
        ..datagram(&stranger)
    };
    assert_eq!(sim.client.peer_data(&d), None);
    let d = Datagram {
        source: addr("203.0.113.9:3478"),
        ..datagram(&cd)
    };
    assert_eq!(sim.client.peer_data(&d), None);
    let d = Datagram {
        source: server,
        ..datagram(&[0x80, 1, 2, 3])
    };
    assert_eq!(sim.client.peer_data(&d), None);
    assert_eq!(sim.client.stats().data_received, 2);
    assert!(sim.event_list().is_empty(), "no event for borrowed data");
}

// ---------------------------------------------------------------------------------------
// Per-peer failures.

#[test]
fn forbidden_peer_fails_its_permission_and_drops_its_data() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::allocated(config);
    sim.server().errors.insert(Method::CREATE_PERMISSION, 403);
    sim.client.send(sim.now, peer(), b"never relayed").unwrap();
    sim.drain();
    assert_eq!(
        sim.events.last().cloned().map(|(_, e)| e),
        Some(Event::PermissionFailed {
            peer: peer().ip(),
            reason: TurnFailure::Forbidden {
                peer: Some(peer().ip())
            }
        })
    );
    assert!(sim.server().indications().is_empty());
    assert_eq!(sim.client.stats().dropped_no_permission, 1);
    assert!(!sim.client.has_permission(peer().ip()));
    assert_eq!(sim.closed(), None, "the allocation lives on");
    // The allocation is still refreshed.
    sim.run_until(600.0);
    assert_eq!(sim.server().times(Method::REFRESH), [540]);
}

#[test]
fn a_channel_failure_leaves_data_on_send_indications() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().errors.insert(Method::CHANNEL_BIND, 400);
    sim.client.send(sim.now, peer(), b"a").unwrap();
    sim.drain();
    assert!(sim.event_list().contains(&Event::ChannelFailed {
        peer: peer(),
        reason: TurnFailure::ServerError {
            code: 400,
            reason: "Bad Request".into()
        }
    }));
    sim.client.send(sim.now, peer(), b"b").unwrap();
    sim.drain();
    assert_eq!(
        sim.server().indications(),
        [(peer(), b"a".to_vec()), (peer(), b"b".to_vec())]
    );
    assert_eq!(
        sim.server().times(Method::CHANNEL_BIND),
        [0],
        "not retried by itself"
    );
}

#[test]
fn a_permission_timeout_is_typed() {
    let mut config = Sim::config();
    config.auto_channel = false;
    let mut sim = Sim::allocated(config);
    sim.server().ignore.insert(Method::CREATE_PERMISSION);
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    sim.run_until(60.0);
    assert!(sim.events.contains(&(
        secs(39.5),
        Event::PermissionFailed {
            peer: peer().ip(),
            reason: TurnFailure::Timeout {
                request: Request::CreatePermission
            }
        }
    )));
}

#[test]
fn allocation_mismatch_on_a_permission_closes_the_client() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().errors.insert(Method::CREATE_PERMISSION, 437);
    sim.client.add_permission(sim.now, peer().ip()).unwrap();
    sim.drain();
    assert_eq!(
        sim.closed(),
        Some(CloseReason::Failed(TurnFailure::AllocationMismatch))
    );
}

// ---------------------------------------------------------------------------------------
// Close.

#[test]
fn close_deallocates_with_lifetime_zero() {
    let mut sim = Sim::allocated(Sim::config());
    sim.client.send(sim.now, peer(), b"x").unwrap();
    sim.drain();
    sim.run_until(100.0);
    sim.client.close(sim.now);
    sim.drain();
    let refreshes = sim.server().requests(Method::REFRESH);
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].at, secs(100.0));
    let m = Message::parse(&refreshes[0].bytes).unwrap();
    assert_eq!(m.require::<Lifetime>().unwrap().0, Duration::ZERO);
    assert!(m.integrity_offset().is_some());
    assert_eq!(
        sim.events.last().cloned(),
        Some((
            secs(100.0),
            Event::Closed {
                reason: CloseReason::Requested
            }
        ))
    );
    assert!(sim.client.is_closed());
    assert_eq!(sim.client.poll_timeout(), None);
    assert_eq!(sim.client.send(sim.now, peer(), b"y"), Err(Error::Closed));
    assert_eq!(
        sim.client.handle_command(sim.now, Command::Allocate),
        Err(Error::Closed)
    );
    let before = sim.server().received.len();
    sim.run_until(2000.0);
    assert_eq!(sim.server().received.len(), before, "nothing after Closed");
    sim.client.close(sim.now);
    assert_eq!(sim.client.poll_event(), None, "closing twice says nothing");
}

#[test]
fn close_while_allocating_deallocates_what_is_granted() {
    let mut sim = Sim::new(Sim::config());
    sim.client.allocate(sim.now).unwrap();
    sim.client.close(sim.now);
    sim.drain();
    let refreshes = sim.server().requests(Method::REFRESH);
    assert_eq!(refreshes.len(), 1);
    assert_eq!(
        sim.event_list().last(),
        Some(&Event::Closed {
            reason: CloseReason::Requested
        })
    );
    // Closing an idle client needs no server.
    let mut idle = Sim::new(Sim::config());
    idle.client.close(idle.now);
    idle.drain();
    assert_eq!(
        idle.event_list(),
        [Event::Closed {
            reason: CloseReason::Requested
        }]
    );
    assert!(idle.sent.is_empty());
}

#[test]
fn unanswered_close_still_closes() {
    let mut sim = Sim::allocated(Sim::config());
    sim.server().silent = true;
    sim.client.close(sim.now);
    sim.run_until(100.0);
    assert_eq!(
        sim.events.last().cloned(),
        Some((
            secs(39.5),
            Event::Closed {
                reason: CloseReason::Requested
            }
        ))
    );
}

// ---------------------------------------------------------------------------------------
// Time, determinism, commands.

#[test]
fn time_only_moves_forward_and_poll_timeout_is_pure() {
    let mut sim = Sim::allocated(Sim::config());
    sim.run_until(100.0);
    let deadline = sim.client.poll_timeout();
    assert_eq!(deadline, sim.client.poll_timeout());
    assert_eq!(deadline, Some(sim.start + secs(540.0)));
    // An earlier `now` is taken as the latest seen: nothing fires, nothing goes back.
    sim.client.handle_timeout(sim.start);
    sim.client.send(sim.start, peer(), b"late clock").unwrap();
    sim.drain();
    let sent_at = sim.server().requests(Method::CREATE_PERMISSION)[0].at;
    assert_eq!(sent_at, secs(100.0));
    let permission_refresh = sim.start + secs(100.0 + 240.0);
    sim.run_until(400.0);
    assert_eq!(sim.server().times(Method::CREATE_PERMISSION), [100, 340]);
    assert!(permission_refresh < sim.start + secs(400.0));
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let run = || {
        let mut sim = Sim::allocated(Sim::config());
        sim.client.send(sim.now, peer(), b"a").unwrap();
        sim.client
            .send(sim.now, addr("198.51.100.20:2"), b"b")
            .unwrap();
        sim.run_until(1300.0);
        sim.sent
            .iter()
            .map(|(at, t, b)| (*at, t.destination, b.clone()))
            .collect::<Vec<_>>()
    };
    let (a, b) = (run(), run());
    assert!(a.len() > 10);
    assert_eq!(a, b);
}

#[test]
fn commands_drive_the_same_methods() {
    let mut sim = Sim::new(Sim::config());
    let now = sim.now;
    sim.client.handle_command(now, Command::Allocate).unwrap();
    sim.drain();
    sim.client
        .handle_command(
            now,
            Command::Send {
                peer: peer(),
                data: b"cmd".to_vec(),
            },
        )
        .unwrap();
    sim.drain();
    assert_eq!(
        sim.server().channel_data().len(),
        1,
        "auto channel: ChannelData"
    );
    sim.client
        .handle_command(now, Command::RemovePermission(peer().ip()))
        .unwrap();
    sim.client.handle_command(now, Command::Close).unwrap();
    sim.drain();
    assert_eq!(sim.closed(), Some(CloseReason::Requested));
    // Only the server's messages are the client's.
    let stun = [0u8, 1, 0, 0];
    let d = Datagram::udp(server_addr(), local(), &stun);
    assert!(sim.client.accepts(&d));
    assert!(!sim.client.accepts(&Datagram::udp(peer(), local(), &stun)));
    assert!(
        !sim.client
            .accepts(&Datagram::udp(server_addr(), local(), &[0x80]))
    );
}

#[test]
fn huge_limits_do_not_overflow() {
    let mut config = Sim::config();
    config.max_permissions = usize::MAX;
    config.max_channels = usize::MAX;
    config.max_queued = usize::MAX;
    config.max_events = usize::MAX;
    let mut sim = Sim::new(config);
    sim.client.allocate(sim.now).unwrap();
    sim.client.send(sim.now, peer(), b"x").unwrap();
    sim.drain();
    assert_eq!(sim.server().channel_data().len(), 1);
}

proptest::proptest! {
    /// Whatever the server (or anyone) sends, at any point of the allocation's life, the
    /// client neither panics nor stops keeping its deadlines in order.
    #[test]
    fn arbitrary_input_never_panics(
        inputs in proptest::collection::vec(
            (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120), 0u8..4, 0u16..700),
            0..40,
        )
    ) {
        let mut sim = Sim::allocated(Sim::config());
        sim.client.bind_channel(sim.now, peer()).unwrap();
        sim.drain();
        for (mut bytes, kind, wait) in inputs {
            match kind {
                // A ChannelData header on the bound channel, or a STUN-looking first byte.
                0 if bytes.len() >= 4 => bytes[..2].copy_from_slice(&[0x40, 0x00]),
                1 if !bytes.is_empty() => bytes[0] &= 0x01,
                _ => {}
            }
            sim.deliver(&bytes);
            let until = (sim.elapsed() + Duration::from_secs(u64::from(wait))).as_secs_f64();
            sim.run_until(until);
            if let Some(t) = sim.client.poll_timeout() {
                proptest::prop_assert!(t >= sim.now);
            }
        }
    }
}
