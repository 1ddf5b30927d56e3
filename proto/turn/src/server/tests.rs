//! Server tests on a virtual clock, with this module standing in for the driver (binding
//! relay sockets on request) and for clients and peers.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use wren_core::{
    BindError, Datagram, SocketOptions, SocketRequest, SocketResult, Transmit, Transport,
};
use wren_stun::attr::*;
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use super::*;
use crate::wire::{ChannelData, ChannelNumber as Ch};

mod connections;

const SERVER: &str = "127.0.0.1:3478";
const CLIENT: &str = "192.0.2.10:50000";
const PEER: &str = "198.51.100.7:6000";
const REALM_: &str = "example.org";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

fn config() -> Config {
    Config {
        realm: REALM_.into(),
        users: [("alice".to_owned(), UserSecret::Password("secret".into()))].into(),
        relay_ips: vec!["127.0.0.1".parse().unwrap()],
        min_port: 50000,
        max_port: 50009,
        rng_seed: Some([1; 32]),
        wall_clock: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        // The peers of these tests live in documentation ranges, which the default policy
        // refuses; allow them (and so test the allow list).
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().unwrap()],
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The server with this test as its driver.
struct Net {
    server: Server,
    now: Instant,
    bound: HashSet<SocketAddr>,
    /// Answer the next binds with this error instead.
    refuse: Vec<BindError>,
    /// The options of every bind asked for, in order.
    options: Vec<SocketOptions>,
    /// The connections the server asked to close, in order.
    disconnects: Vec<FiveTuple>,
}

impl Net {
    fn new(config: Config) -> Net {
        let now = t0();
        Net {
            server: Server::new(now, config).unwrap(),
            now,
            bound: HashSet::new(),
            refuse: Vec::new(),
            options: Vec::new(),
            disconnects: Vec::new(),
        }
    }

    /// Carries out socket requests (answering binds at once) until none are left.
    fn sockets(&mut self) {
        while let Some(req) = self.server.poll_socket_request() {
            match req {
                SocketRequest::Bind {
                    addr,
                    transport,
                    options,
                } => {
                    self.options.push(options);
                    let result = match self.refuse.pop() {
                        Some(error) => SocketResult::Failed {
                            requested: addr,
                            transport,
                            error,
                        },
                        None => {
                            assert!(self.bound.insert(addr), "{addr} bound twice");
                            SocketResult::Bound {
                                requested: addr,
                                bound: addr,
                                transport,
                            }
                        }
                    };
                    self.server.handle_socket_result(self.now, result);
                }
                SocketRequest::Close { addr, .. } => {
                    assert!(self.bound.remove(&addr), "closing {addr}, never bound")
                }
                SocketRequest::Disconnect {
                    local,
                    remote,
                    transport,
                } => self.disconnects.push(FiveTuple {
                    client: remote,
                    server: local,
                    transport,
                }),
                _ => unreachable!(),
            }
        }
    }

    /// Feeds `bytes` from `from` to `to`, returns everything the server sends.
    fn send_to(
        &mut self,
        from: SocketAddr,
        to: SocketAddr,
        bytes: &[u8],
    ) -> Vec<(Transmit, Vec<u8>)> {
        self.server
            .handle_datagram(self.now, Datagram::udp(from, to, bytes));
        self.drain()
    }

    fn drain(&mut self) -> Vec<(Transmit, Vec<u8>)> {
        self.sockets();
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(t) = self.server.poll_transmit(self.now, &mut buf) {
            out.push((t, std::mem::take(&mut buf)));
        }
        out
    }

    fn send(&mut self, bytes: &[u8]) -> Vec<(Transmit, Vec<u8>)> {
        self.send_to(addr(CLIENT), addr(SERVER), bytes)
    }

    /// One response to a request from the client.
    fn ask(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = self.send(bytes);
        assert_eq!(out.len(), 1, "expected one response, got {}", out.len());
        let (t, buf) = out.pop().unwrap();
        assert_eq!(
            (t.destination, t.source),
            (addr(CLIENT), Some(addr(SERVER)))
        );
        buf
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.server.handle_timeout(self.now);
        self.sockets();
    }

    /// Runs every timer up to `now + d`, firing each deadline at its time.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        while let Some(t) = self.server.poll_timeout() {
            if t > end {
                break;
            }
            self.now = self.now.max(t);
            self.server.handle_timeout(self.now);
            self.sockets();
        }
        self.now = end;
        self.server.handle_timeout(self.now);
        self.sockets();
    }
}

/// A request from a client with long-term credentials.
struct Creds {
    user: &'static str,
    key: Key,
    nonce: String,
}

fn creds(user: &'static str, password: &str, nonce: &str) -> Creds {
    Creds {
        user,
        key: Key::long_term(user, REALM_, password).unwrap(),
        nonce: nonce.to_owned(),
    }
}

fn request(
    method: Method,
    creds: Option<&Creds>,
    build: impl FnOnce(&mut MessageWriter<'_>),
) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut tid = [0u8; 12];
    tid[..8].copy_from_slice(&(method.number() as u64 ^ 0x5a5a).to_be_bytes());
    let mut w = MessageWriter::new(
        &mut buf,
        MessageType::new(Class::Request, method),
        TransactionId(tid),
    );
    build(&mut w);
    if let Some(c) = creds {
        w.add(&Username(c.user)).unwrap();
        w.add(&Realm(REALM_)).unwrap();
        w.add(&Nonce(&c.nonce)).unwrap();
        w.add_message_integrity(&c.key).unwrap();
    }
    w.finish();
    buf
}

fn udp(w: &mut MessageWriter<'_>) {
    w.add(&RequestedTransport::UDP).unwrap();
}

fn code_of(response: &[u8]) -> Option<u16> {
    let m = Message::parse(response).unwrap();
    (m.class() == Class::ErrorResponse).then(|| m.require::<ErrorCode<'_>>().unwrap().code.code())
}

/// The nonce of a 401/438.
fn nonce_of(response: &[u8]) -> String {
    Message::parse(response)
        .unwrap()
        .require::<Nonce<'_>>()
        .unwrap()
        .0
        .to_owned()
}

/// Allocates for alice; returns her credentials and the relayed address.
fn allocate(net: &mut Net) -> (Creds, SocketAddr) {
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    assert_eq!(code_of(&challenge), Some(401));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), udp));
    let m = Message::parse(&ok).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse, "{:?}", code_of(&ok));
    m.verify_integrity(&c.key).unwrap();
    let relayed = m.require::<XorRelayedAddress>().unwrap().0;
    (c, relayed)
}

fn permit(net: &mut Net, c: &Creds, peer: &str) -> Option<u16> {
    let r = net.ask(&request(Method::CREATE_PERMISSION, Some(c), |w| {
        w.add(&XorPeerAddress(addr(peer))).unwrap()
    }));
    code_of(&r)
}

fn bind(net: &mut Net, c: &Creds, number: u16, peer: &str) -> Option<u16> {
    let r = net.ask(&request(Method::CHANNEL_BIND, Some(c), |w| {
        w.add(&ChannelNumber(number)).unwrap();
        w.add(&XorPeerAddress(addr(peer))).unwrap();
    }));
    code_of(&r)
}

fn loopback_peers() -> Config {
    let mut c = config();
    c.peer_policy.allow_loopback = true;
    c
}

// ---------------------------------------------------------------------------------------

#[test]
fn allocate_after_the_401_challenge() {
    let mut net = Net::new(config());
    let (_, relayed) = allocate(&mut net);
    assert_eq!(relayed.ip().to_string(), "127.0.0.1");
    assert!((50000..=50009).contains(&relayed.port()));
    assert!(
        net.bound.contains(&relayed),
        "the relay socket was asked for and bound"
    );
    assert_eq!(net.server.stats().allocations, 1);
    assert!(matches!(
        net.server.poll_event(),
        Some(Event::Allocated { .. })
    ));
}

#[test]
fn allocate_response_carries_mapped_address_and_lifetime() {
    let mut net = Net::new(config());
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&Lifetime(Duration::from_secs(99_999))).unwrap();
    }));
    let m = Message::parse(&ok).unwrap();
    assert_eq!(m.require::<XorMappedAddress>().unwrap().0, addr(CLIENT));
    assert_eq!(
        m.require::<Lifetime>().unwrap().0,
        Duration::from_secs(3600),
        "capped at max"
    );
    // The retransmitted Allocate gets the same allocation, not 437.
    let again = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&Lifetime(Duration::from_secs(99_999))).unwrap();
    }));
    let again = Message::parse(&again).unwrap();
    assert_eq!(
        again.require::<XorRelayedAddress>().unwrap(),
        m.require::<XorRelayedAddress>().unwrap()
    );
}

#[test]
fn bad_password_is_401_then_401_and_creates_nothing() {
    let mut net = Net::new(config());
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    assert_eq!(code_of(&challenge), Some(401));
    let wrong = creds("alice", "not-secret", &nonce_of(&challenge));
    let r = net.ask(&request(Method::ALLOCATE, Some(&wrong), udp));
    assert_eq!(code_of(&r), Some(401));
    let unknown = creds("mallory", "secret", &nonce_of(&challenge));
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&unknown), udp))),
        Some(401)
    );
    assert_eq!(net.server.stats().allocations, 0);
    assert_eq!(net.server.ports_in_use(), 0);
    assert!(net.bound.is_empty());
    assert_eq!(net.server.stats().auth_failures, 2);
}

#[test]
fn stale_nonce_is_438_then_recovers() {
    let mut net = Net::new(config());
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    let old = nonce_of(&challenge);
    net.advance(Duration::from_secs(601));
    let c = creds("alice", "secret", &old);
    let r = net.ask(&request(Method::ALLOCATE, Some(&c), udp));
    assert_eq!(code_of(&r), Some(438));
    let fresh = nonce_of(&r);
    assert_ne!(fresh, old);
    assert_eq!(
        Message::parse(&r)
            .unwrap()
            .require::<Realm<'_>>()
            .unwrap()
            .0,
        REALM_
    );
    assert_eq!(net.server.stats().allocations, 0, "a 438 creates nothing");
    let c = creds("alice", "secret", &fresh);
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), udp));
    assert_eq!(code_of(&ok), None);
    // A nonce that was never issued is stale too.
    let forged = creds("alice", "secret", "00000000ffffffff0123456789abcdef");
    assert_eq!(
        code_of(&net.ask(&request(Method::REFRESH, Some(&forged), |_| {}))),
        Some(438)
    );
}

#[test]
fn rest_api_credentials_and_expired_usernames() {
    let mut cfg = config();
    cfg.users.clear();
    cfg.rest_secret = Some("north".into());
    let mut net = Net::new(cfg);
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    // Valid until 1_700_000_600 (the server's wall clock is at 1_700_000_000).
    let user: &'static str = "1700000600:bob";
    let c = Creds {
        user,
        key: Key::long_term(user, REALM_, &rest_password("north", user)).unwrap(),
        nonce: nonce.clone(),
    };
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), udp))),
        None
    );
    // Expired: refused, no state.
    let old: &'static str = "1699999999:carol";
    let expired = Creds {
        user: old,
        key: Key::long_term(old, REALM_, &rest_password("north", old)).unwrap(),
        nonce,
    };
    let before = net.server.ports_in_use();
    let r = net.send_to(
        addr("192.0.2.11:1"),
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&expired), udp),
    );
    assert_eq!(code_of(&r[0].1), Some(401));
    assert_eq!(net.server.ports_in_use(), before);
    assert!(net.server.poll_event().is_some()); // Allocated
    assert_eq!(
        net.server.poll_event(),
        Some(Event::AuthFailed {
            client: addr("192.0.2.11:1"),
            reason: Refused::Expired
        })
    );
}

#[test]
fn forbidden_peer_is_403_and_creates_no_permission() {
    let mut net = Net::new(config());
    let (c, _) = allocate(&mut net);
    for peer in [
        "127.0.0.1:9",
        "10.0.0.1:9",
        "192.168.1.1:9",
        "169.254.0.1:9",
        "0.0.0.0:9",
    ] {
        assert_eq!(permit(&mut net, &c, peer), Some(403), "{peer}");
        assert_eq!(bind(&mut net, &c, 0x4000, peer), Some(403), "{peer}");
    }
    assert_eq!(net.server.stats().permissions, 0);
    assert_eq!(net.server.stats().channels, 0);
    assert_eq!(permit(&mut net, &c, PEER), None);
    assert_eq!(net.server.stats().permissions, 1);
}

#[test]
fn quota_is_486_and_creates_nothing() {
    let mut cfg = config();
    cfg.user_quota = 1;
    let mut net = Net::new(cfg);
    let (c, _) = allocate(&mut net);
    let other = addr("192.0.2.10:50001");
    let r = net.send_to(
        other,
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&c), udp),
    );
    assert_eq!(code_of(&r[0].1), Some(486));
    assert_eq!(net.server.stats().allocations, 1);
    assert_eq!(net.server.ports_in_use(), 1);
    // A total quota applies across users.
    let mut cfg = config();
    cfg.total_quota = 1;
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    let (c, _) = allocate(&mut net);
    let bob = creds("bob", "pw", &c.nonce);
    let r = net.send_to(
        other,
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&bob), udp),
    );
    assert_eq!(code_of(&r[0].1), Some(486));
}

#[test]
fn allocation_mismatch_is_437() {
    let mut net = Net::new(config());
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    // Refresh, permissions and channels without an allocation.
    assert_eq!(
        code_of(&net.ask(&request(Method::REFRESH, Some(&c), |_| {}))),
        Some(437)
    );
    assert_eq!(permit(&mut net, &c, PEER), Some(437));
    assert_eq!(bind(&mut net, &c, 0x4000, PEER), Some(437));
    // A second Allocate (another transaction) on a 5-tuple that has one.
    allocate(&mut net);
    let mut second = request(Method::ALLOCATE, Some(&c), udp);
    second[19] ^= 0xFF; // another transaction ID; MESSAGE-INTEGRITY recomputed below
    let second = {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::Request, Method::ALLOCATE),
            TransactionId([9; 12]),
        );
        udp(&mut w);
        w.add(&Username("alice")).unwrap();
        w.add(&Realm(REALM_)).unwrap();
        w.add(&Nonce(&c.nonce)).unwrap();
        w.add_message_integrity(&c.key).unwrap();
        w.finish();
        buf
    };
    assert_eq!(code_of(&net.ask(&second)), Some(437));
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn other_refusals_400_420_440_441_442_443() {
    let mut cfg = config();
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    // 400: no REQUESTED-TRANSPORT.
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), |_| {}))),
        Some(400)
    );
    // 442: TCP relaying.
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
            w.add(&RequestedTransport::TCP).unwrap()
        }))),
        Some(442)
    );
    // 440: IPv6 asked of an IPv4-only relay.
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
            udp(w);
            w.add(&RequestedAddressFamily(AddressFamily::V6)).unwrap();
        }))),
        Some(440)
    );
    // 400: both address family attributes.
    assert_eq!(
        code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
            udp(w);
            w.add(&RequestedAddressFamily(AddressFamily::V4)).unwrap();
            w.add(&AdditionalAddressFamily(AddressFamily::V6)).unwrap();
        }))),
        Some(400)
    );
    assert_eq!(
        net.server.stats().allocations,
        0,
        "none of these created an allocation"
    );
    assert_eq!(net.server.ports_in_use(), 0);
    allocate(&mut net);
    // 441: another user on alice's 5-tuple.
    let bob = creds("bob", "pw", &nonce);
    assert_eq!(
        code_of(&net.ask(&request(Method::REFRESH, Some(&bob), |_| {}))),
        Some(441)
    );
    // 443: an IPv6 peer for an IPv4 allocation.
    assert_eq!(permit(&mut net, &c, "[2a00:1450::1]:9"), Some(443));
    // 400: a channel number out of range.
    assert_eq!(bind(&mut net, &c, 0x3FFF, PEER), Some(400));
    assert_eq!(bind(&mut net, &c, 0x8000, PEER), Some(400));
    // 400: a method TURN does not have.
    assert_eq!(
        code_of(&net.ask(&request(Method::CONNECT, Some(&c), |_| {}))),
        Some(400)
    );
}

#[test]
fn channel_rebinding_rules() {
    let mut net = Net::new(config());
    let (c, _) = allocate(&mut net);
    assert_eq!(bind(&mut net, &c, 0x4001, PEER), None);
    assert_eq!(
        bind(&mut net, &c, 0x4001, PEER),
        None,
        "refresh of the same binding"
    );
    assert_eq!(
        bind(&mut net, &c, 0x4001, "198.51.100.8:6000"),
        Some(400),
        "number taken"
    );
    assert_eq!(bind(&mut net, &c, 0x4002, PEER), Some(400), "peer taken");
    assert_eq!(net.server.stats().channels, 1);
}

#[test]
fn relays_send_indications_and_data_indications() {
    let mut net = Net::new(config());
    let (c, relayed) = allocate(&mut net);
    let send = |data: &[u8]| {
        let mut buf = Vec::new();
        let mut w = MessageWriter::new(
            &mut buf,
            MessageType::new(Class::Indication, Method::SEND),
            TransactionId([3; 12]),
        );
        w.add(&XorPeerAddress(addr(PEER))).unwrap();
        w.add(&Data(data)).unwrap();
        w.finish();
        buf
    };
    // No permission yet: dropped.
    assert!(net.send(&send(b"early")).is_empty());
    assert_eq!(net.server.stats().dropped_no_permission, 1);
    assert_eq!(permit(&mut net, &c, PEER), None);
    let out = net.send(&send(b"hello peer"));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0.source, out[0].0.destination),
        (Some(relayed), addr(PEER))
    );
    assert_eq!(out[0].1, b"hello peer");
    // The peer answers: a Data indication to the client.
    let out = net.send_to(addr(PEER), relayed, b"hello client");
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0.source, out[0].0.destination),
        (Some(addr(SERVER)), addr(CLIENT))
    );
    let m = Message::parse(&out[0].1).unwrap();
    assert_eq!(
        m.message_type(),
        MessageType::new(Class::Indication, Method::DATA)
    );
    assert_eq!(m.require::<XorPeerAddress>().unwrap().0, addr(PEER));
    assert_eq!(m.require::<Data<'_>>().unwrap().0, b"hello client");
    // A peer without permission is not relayed.
    assert!(
        net.send_to(addr("198.51.100.99:1"), relayed, b"spam")
            .is_empty()
    );
}

#[test]
fn relays_channel_data_both_ways_and_pads_over_tcp() {
    let mut net = Net::new(config());
    let (c, relayed) = allocate(&mut net);
    assert_eq!(bind(&mut net, &c, 0x4000, PEER), None);
    let mut cd = Vec::new();
    ChannelData::write(&mut cd, Ch::new(0x4000).unwrap(), b"to peer", false).unwrap();
    let out = net.send(&cd);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].0.source, out[0].0.destination, &out[0].1[..]),
        (Some(relayed), addr(PEER), &b"to peer"[..])
    );
    let out = net.send_to(addr(PEER), relayed, b"back");
    let back = ChannelData::parse(&out[0].1).unwrap();
    assert_eq!((back.channel.get(), back.data), (0x4000, &b"back"[..]));
    assert_eq!(out[0].1.len(), 8, "no padding over UDP");
    // An unbound channel is dropped.
    let mut other = Vec::new();
    ChannelData::write(&mut other, Ch::new(0x4001).unwrap(), b"x", false).unwrap();
    assert!(net.send(&other).is_empty());
    assert_eq!(net.server.stats().dropped_unknown_channel, 1);

    // Over TCP, ChannelData to the client is padded to four bytes.
    let mut net = Net::new(config());
    let challenge = {
        net.server.handle_datagram(
            net.now,
            Datagram::tcp(
                addr(CLIENT),
                addr(SERVER),
                &request(Method::ALLOCATE, None, udp),
            ),
        );
        net.drain().pop().unwrap().1
    };
    let c = creds("alice", "secret", &nonce_of(&challenge));
    net.server.handle_datagram(
        net.now,
        Datagram::tcp(
            addr(CLIENT),
            addr(SERVER),
            &request(Method::ALLOCATE, Some(&c), udp),
        ),
    );
    let (t, ok) = net.drain().pop().unwrap();
    assert_eq!(t.proto, Transport::Tcp);
    let relayed = Message::parse(&ok)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    let bind_req = request(Method::CHANNEL_BIND, Some(&c), |w| {
        w.add(&ChannelNumber(0x4000)).unwrap();
        w.add(&XorPeerAddress(addr(PEER))).unwrap();
    });
    net.server.handle_datagram(
        net.now,
        Datagram::tcp(addr(CLIENT), addr(SERVER), &bind_req),
    );
    assert_eq!(code_of(&net.drain().pop().unwrap().1), None);
    let out = net.send_to(addr(PEER), relayed, b"back");
    assert_eq!(out[0].0.proto, Transport::Tcp);
    assert_eq!(out[0].1, [0x40, 0x00, 0x00, 0x04, b'b', b'a', b'c', b'k']);
    let out = net.send_to(addr(PEER), relayed, b"odd");
    assert_eq!(out[0].1, [0x40, 0x00, 0x00, 0x03, b'o', b'd', b'd', 0]);
}

#[test]
fn permissions_channels_and_allocations_expire_on_time_and_ports_return() {
    let mut net = Net::new(config());
    let (c, relayed) = allocate(&mut net);
    let _ = net.server.poll_event();
    assert_eq!(permit(&mut net, &c, PEER), None);
    assert_eq!(bind(&mut net, &c, 0x4000, "198.51.100.8:7000"), None);
    let s = net.server.stats();
    assert_eq!((s.allocations, s.permissions, s.channels), (1, 2, 1));
    // At 299 s all is there; at 300 s the CreatePermission permission is gone, the channel's
    // own permission too (both were made at t=0), the channel stays.
    net.run_for(Duration::from_secs(299));
    assert_eq!(net.server.stats().permissions, 2);
    net.run_for(Duration::from_secs(1));
    let s = net.server.stats();
    assert_eq!((s.permissions, s.channels), (0, 1));
    assert!(
        net.send_to(addr(PEER), relayed, b"late").is_empty(),
        "expired permission: dropped"
    );
    // At 600 s the channel and the allocation (default lifetime) end together.
    net.run_for(Duration::from_secs(299));
    assert_eq!(net.server.stats().channels, 1);
    assert_eq!(net.server.stats().allocations, 1);
    net.run_for(Duration::from_secs(1));
    let s = net.server.stats();
    assert_eq!(
        (s.allocations, s.channels, s.allocations_expired),
        (0, 0, 1)
    );
    assert_eq!(net.server.ports_in_use(), 0, "the port is back in the pool");
    assert!(net.bound.is_empty(), "the relay socket was closed");
    assert!(matches!(
        net.server.poll_event(),
        Some(Event::Closed {
            reason: CloseReason::Expired,
            ..
        })
    ));
    assert_eq!(net.server.poll_timeout(), None, "nothing left to wake for");
    // A refresh keeps an allocation alive past its first lifetime.
    let (c, _) = allocate(&mut net);
    net.run_for(Duration::from_secs(500));
    let r = net.ask(&request(Method::REFRESH, Some(&c), |w| {
        w.add(&Lifetime(Duration::from_secs(600))).unwrap()
    }));
    assert_eq!(
        Message::parse(&r).unwrap().require::<Lifetime>().unwrap().0,
        Duration::from_secs(600)
    );
    net.run_for(Duration::from_secs(599));
    assert_eq!(net.server.stats().allocations, 1);
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.server.stats().allocations, 0);
}

#[test]
fn next_timer_names_reservations_permissions_channels_and_allocations() {
    let mut net = Net::new(config());
    let start = net.now;
    let secs = |n: u64| start + Duration::from_secs(n);
    let five = FiveTuple {
        client: addr(CLIENT),
        server: addr(SERVER),
        transport: Transport::Udp,
    };
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&EvenPort { reserve: true }).unwrap();
    }));
    let relayed = Message::parse(&ok)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    let kept = SocketAddr::new(relayed.ip(), relayed.port() + 1);
    // The reservation (30 s) comes before the allocation's lifetime (600 s).
    assert_eq!(
        net.server.next_timer(),
        Some((secs(30), Timer::Reservation(kept)))
    );
    assert_eq!(net.server.poll_timeout(), Some(secs(30)));
    assert_eq!(
        wren_core::TimerName(&net.server).to_string(),
        format!("Reservation({kept})"),
        "what a driver logs"
    );
    net.run_for(Duration::from_secs(30));
    assert_eq!(net.server.ports_in_use(), 1, "the kept port is back");
    assert_eq!(
        net.server.next_timer(),
        Some((secs(600), Timer::Allocation(five)))
    );

    assert_eq!(permit(&mut net, &c, PEER), None);
    let peer_ip = addr(PEER).ip();
    assert_eq!(
        net.server.next_timer(),
        Some((secs(330), Timer::Permission(five, peer_ip)))
    );
    net.run_for(Duration::from_secs(10));
    assert_eq!(bind(&mut net, &c, 0x4001, PEER), None);
    // Binding the channel at 40 s refreshed the peer's permission (to 340 s); the channel
    // itself lasts until 640 s.
    assert_eq!(
        net.server.next_timer(),
        Some((secs(340), Timer::Permission(five, peer_ip)))
    );
    net.run_for(Duration::from_secs(300));
    assert_eq!(net.server.stats().permissions, 0);
    assert_eq!(
        net.server.next_timer(),
        Some((secs(600), Timer::Allocation(five)))
    );
    // Refreshed past the channel: the channel is next, then the allocation.
    let r = net.ask(&request(Method::REFRESH, Some(&c), |w| {
        w.add(&Lifetime(Duration::from_secs(900))).unwrap()
    }));
    assert_eq!(code_of(&r), None);
    assert_eq!(
        net.server.next_timer(),
        Some((secs(640), Timer::Channel(five, 0x4001)))
    );
    net.run_for(Duration::from_secs(300));
    assert_eq!(net.server.stats().channels, 0);
    assert_eq!(
        net.server.next_timer(),
        Some((secs(340 + 900), Timer::Allocation(five)))
    );
    // Deallocating disarms everything (the nonce went stale at 600 s: take the new one).
    let dealloc = |c: &Creds| {
        request(Method::REFRESH, Some(c), |w| {
            w.add(&Lifetime(Duration::ZERO)).unwrap()
        })
    };
    let stale = net.ask(&dealloc(&c));
    assert_eq!(code_of(&stale), Some(438));
    let c = creds("alice", "secret", &nonce_of(&stale));
    let r = net.ask(&dealloc(&c));
    assert_eq!(code_of(&r), None);
    assert_eq!(net.server.next_timer(), None);
    assert_eq!(net.server.poll_timeout(), None);
}

#[test]
fn refresh_with_zero_lifetime_deallocates() {
    let mut net = Net::new(config());
    let (c, _) = allocate(&mut net);
    let r = net.ask(&request(Method::REFRESH, Some(&c), |w| {
        w.add(&Lifetime(Duration::ZERO)).unwrap()
    }));
    assert_eq!(
        Message::parse(&r).unwrap().require::<Lifetime>().unwrap().0,
        Duration::ZERO
    );
    assert_eq!(net.server.stats().allocations, 0);
    assert_eq!(net.server.ports_in_use(), 0);
    assert!(net.bound.is_empty());
}

#[test]
fn allocate_with_dont_fragment_binds_with_df_set() {
    let mut net = Net::new(config());
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&DontFragment).unwrap();
    }));
    let m = Message::parse(&ok).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse);
    let relayed = m.require::<XorRelayedAddress>().unwrap().0;
    assert!(net.bound.contains(&relayed));
    assert_eq!(
        net.options,
        [SocketOptions::default().with_dont_fragment(true)],
        "one bind, with DF"
    );
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn allocate_without_dont_fragment_binds_without_df() {
    let mut net = Net::new(config());
    allocate(&mut net);
    assert_eq!(net.options, [SocketOptions::default()]);
}

#[test]
fn dont_fragment_the_driver_cannot_set_is_420_and_leaves_nothing() {
    let mut net = Net::new(config());
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    net.refuse.push(BindError::Unsupported);
    let r = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&DontFragment).unwrap();
    }));
    assert_eq!(code_of(&r), Some(420));
    let unknown: Vec<u16> = Message::parse(&r)
        .unwrap()
        .require::<UnknownAttributes<'_>>()
        .unwrap()
        .0
        .iter()
        .collect();
    assert_eq!(unknown, [AttrType::DONT_FRAGMENT.0]);
    assert_eq!(net.options.len(), 1, "no retry");
    assert!(net.options[0].dont_fragment);
    assert_eq!(net.server.stats().allocations, 0);
    assert_eq!(net.server.ports_in_use(), 0);
    assert!(net.bound.is_empty());
    assert!(net.server.pending.is_empty());
    // Without DONT-FRAGMENT the same client is then served.
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), udp));
    assert_eq!(Message::parse(&ok).unwrap().class(), Class::SuccessResponse);
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn port_pool_exhaustion_is_508_and_bind_failures_retry() {
    let mut cfg = config();
    cfg.max_port = 50001; // two ports
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    // The first port the server picks is in use by another program: it tries another.
    net.refuse.push(BindError::AddrInUse);
    let (c, _) = allocate(&mut net);
    assert_eq!(net.server.ports_in_use(), 1);
    // The one port left is held by another program: after retries, 508, nothing kept.
    net.refuse.extend([BindError::AddrInUse; 8]);
    let bob = creds("bob", "pw", &c.nonce);
    let r = net.send_to(
        addr("192.0.2.12:1"),
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&bob), udp),
    );
    assert_eq!(code_of(&r[0].1), Some(508));
    assert_eq!(net.server.stats().allocations, 1);
    assert_eq!(net.server.ports_in_use(), 1);
    assert!(net.refuse.is_empty(), "eight binds were tried");
}

#[test]
fn even_port_with_reservation_token() {
    let mut cfg = config();
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    let ok = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&EvenPort { reserve: true }).unwrap();
    }));
    let m = Message::parse(&ok).unwrap();
    let relayed = m.require::<XorRelayedAddress>().unwrap().0;
    assert_eq!(relayed.port() % 2, 0);
    let token = m.require::<ReservationToken>().unwrap();
    assert_eq!(net.server.ports_in_use(), 2, "the next port is kept");
    // Bob redeems the token from another 5-tuple and gets the odd port.
    let bob = creds("bob", "pw", &nonce);
    let r = net.send_to(
        addr("192.0.2.12:1"),
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&bob), |w| {
            udp(w);
            w.add(&token).unwrap();
        }),
    );
    let got = Message::parse(&r[0].1)
        .unwrap()
        .require::<XorRelayedAddress>()
        .unwrap()
        .0;
    assert_eq!(got.port(), relayed.port() + 1);
    // A token used twice is worth nothing.
    let r = net.send_to(
        addr("192.0.2.13:1"),
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&bob), |w| {
            udp(w);
            w.add(&token).unwrap();
        }),
    );
    assert_eq!(code_of(&r[0].1), Some(508));
}

#[test]
fn binding_requests_are_answered_without_credentials() {
    let mut net = Net::new(config());
    let mut buf = Vec::new();
    MessageWriter::new(
        &mut buf,
        MessageType::BINDING_REQUEST,
        TransactionId([1; 12]),
    )
    .finish();
    let r = net.ask(&buf);
    let m = Message::parse(&r).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse);
    assert_eq!(m.require::<XorMappedAddress>().unwrap().0, addr(CLIENT));
}

#[test]
fn external_ip_is_advertised_for_the_relay_address() {
    let mut cfg = config();
    cfg.external_ips = vec![ExternalIp {
        public: "203.0.113.5".parse().unwrap(),
        private: Some("127.0.0.1".parse().unwrap()),
    }];
    let mut net = Net::new(cfg);
    let (c, relayed) = allocate(&mut net);
    assert_eq!(
        relayed.ip().to_string(),
        "203.0.113.5",
        "the public address is advertised"
    );
    assert!((50000..=50009).contains(&relayed.port()));
    // Peers still reach the local relay socket, which carries the same port.
    assert_eq!(permit(&mut net, &c, PEER), None);
    let local = SocketAddr::new("127.0.0.1".parse().unwrap(), relayed.port());
    assert!(net.bound.contains(&local));
    assert_eq!(net.send_to(addr(PEER), local, b"hi").len(), 1);
    // Without a private address the mapping applies to every relay address of the family.
    let mut cfg = config();
    cfg.external_ips = vec![ExternalIp {
        public: "203.0.113.6".parse().unwrap(),
        private: None,
    }];
    let mut net = Net::new(cfg);
    assert_eq!(allocate(&mut net).1.ip().to_string(), "203.0.113.6");
}

#[test]
fn loopback_peers_when_allowed() {
    let mut net = Net::new(loopback_peers());
    let (c, _) = allocate(&mut net);
    assert_eq!(permit(&mut net, &c, "127.0.0.1:9"), None);
}

#[test]
fn bandwidth_limit_drops_over_budget() {
    let mut cfg = config();
    cfg.max_bps = 1000;
    let mut net = Net::new(cfg);
    let (c, _) = allocate(&mut net);
    assert_eq!(bind(&mut net, &c, 0x4000, PEER), None);
    let mut cd = Vec::new();
    ChannelData::write(&mut cd, Ch::new(0x4000).unwrap(), &[7u8; 400], false).unwrap();
    let sent: usize = (0..5).map(|_| net.send(&cd).len()).sum();
    assert_eq!(sent, 2, "1000 bytes of budget: two 400-byte packets");
    assert_eq!(net.server.stats().dropped_bandwidth, 3);
    net.advance(Duration::from_secs(1));
    assert_eq!(net.send(&cd).len(), 1, "the budget refills");
}
