//! Unit tests of the ICE-lite server: the demultiplexing (ufrag lookup, wrong key, address
//! routing, removal), role conflicts, consent expiry and keepalives, driven by checks
//! written here as a browser writes them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_stun::attr::{
    ErrorCode, IceControlled, IceControlling, Priority, UseCandidate, Username, XorMappedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use super::*;

const PORT: &str = "192.0.2.1:3478";
const LISTENER: &str = "192.0.2.1:443";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("a socket address")
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

fn creds(ufrag: &str) -> Credentials {
    Credentials {
        ufrag: ufrag.into(),
        pwd: format!("{ufrag}passwordpasswordpassword"),
    }
}

fn server(now: Instant) -> Server {
    let config = Config {
        rng_seed: Some([3; 32]),
        ..Config::new(vec![
            LocalSocket::udp(addr(PORT)),
            LocalSocket::tcp(addr(LISTENER)),
        ])
    };
    Server::new(now, config).expect("valid")
}

/// What a check carries.
#[derive(Clone, Copy)]
struct Check<'a> {
    /// `server-ufrag:peer-ufrag`.
    username: &'a str,
    /// The password it is signed with.
    pwd: &'a str,
    nominate: bool,
    controlled: bool,
    tid: u8,
}

impl<'a> Check<'a> {
    /// A check from the peer `peer` to the server's session `local`.
    fn to(local: &'a Credentials, username: &'a str) -> Check<'a> {
        Check {
            username,
            pwd: &local.pwd,
            nominate: false,
            controlled: false,
            tid: 1,
        }
    }

    fn nominate(self) -> Self {
        Check {
            nominate: true,
            ..self
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = MessageWriter::new(
            &mut out,
            MessageType::new(Class::Request, Method::BINDING),
            TransactionId([self.tid; 12]),
        );
        w.add(&Username(self.username)).expect("fits");
        w.add(&Priority(1_853_824_767)).expect("fits");
        if self.controlled {
            w.add(&IceControlled(7)).expect("fits");
        } else {
            w.add(&IceControlling(7)).expect("fits");
        }
        if self.nominate {
            w.add(&UseCandidate).expect("fits");
        }
        let key = Key::short_term(self.pwd).expect("a password");
        w.add_message_integrity(&key).expect("fits");
        w.add_fingerprint().expect("fits");
        w.finish();
        out
    }
}

/// Feeds a check from `from` to the UDP socket; returns what the server sent.
fn check(s: &mut Server, now: Instant, from: &str, c: Check<'_>) -> Vec<(Transmit, Vec<u8>)> {
    let bytes = c.bytes();
    assert_eq!(
        s.route(now, Datagram::udp(addr(from), addr(PORT), &bytes)),
        Routed::Stun
    );
    drain(s, now)
}

fn drain(s: &mut Server, now: Instant) -> Vec<(Transmit, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        let mut buf = Vec::new();
        let Some(t) = s.poll_transmit(now, &mut buf) else {
            return out;
        };
        out.push((t, buf));
    }
}

fn events(s: &mut Server) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Two sessions, A ("aaaa", peer "pa") and B ("bbbb", peer "pb").
fn two(now: Instant) -> (Server, SessionId, SessionId, Credentials, Credentials) {
    let mut s = server(now);
    let (ca, cb) = (creds("aaaa"), creds("bbbb"));
    let a = s
        .add_session(now, &ca, Some(&creds("pa00")))
        .expect("added");
    let b = s
        .add_session(now, &cb, Some(&creds("pb00")))
        .expect("added");
    (s, a, b, ca, cb)
}

#[test]
fn a_check_is_answered_with_the_source_signed_with_the_sessions_key() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00"),
    );
    assert_eq!(out.len(), 1);
    let (t, bytes) = &out[0];
    assert_eq!(t.destination, addr("198.51.100.7:5000"));
    assert_eq!(t.source, Some(addr(PORT)));
    assert_eq!(t.proto, Transport::Udp);
    let msg = Message::parse(bytes).expect("STUN");
    assert_eq!(msg.class(), Class::SuccessResponse);
    assert_eq!(msg.transaction_id(), TransactionId([1; 12]));
    msg.verify_integrity(&Key::short_term(&ca.pwd).expect("a password"))
        .expect("signed with A's key");
    msg.verify_fingerprint().expect("fingerprinted");
    let mapped = msg
        .get::<XorMappedAddress>()
        .expect("valid")
        .expect("present");
    assert_eq!(mapped.0, addr("198.51.100.7:5000"));
    assert_eq!(s.state(a), Some(ConnectionState::Checking));
    assert_eq!(s.stats().checks_answered, 1);
}

#[test]
fn the_ufrag_picks_the_session_and_an_unknown_one_is_dropped() {
    let now = t0();
    let (mut s, a, b, _, cb) = two(now);
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&cb, "bbbb:pb00").nominate(),
    );
    assert_eq!(out.len(), 1);
    let path = Path {
        local: addr(PORT),
        remote: addr("198.51.100.7:5000"),
        transport: Transport::Udp,
    };
    assert_eq!(events(&mut s), [Event::Connected { session: b, path }]);
    assert_eq!(s.state(a), Some(ConnectionState::New));
    assert_eq!(s.selected_path(b), Some(path));

    // A ufrag no session has, signed with B's password: dropped, unanswered.
    let out = check(
        &mut s,
        now,
        "198.51.100.8:5000",
        Check::to(&cb, "cccc:pb00"),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().unknown_ufrag, 1);
    assert!(events(&mut s).is_empty());
}

#[test]
fn a_right_ufrag_with_a_wrong_key_is_dropped() {
    let now = t0();
    let (mut s, a, b, ca, _) = two(now);
    // B's ufrag, signed with A's password.
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "bbbb:pb00").nominate(),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().bad_integrity, 1);
    assert_eq!(s.state(b), Some(ConnectionState::New));
    assert_eq!(s.state(a), Some(ConnectionState::New));
    assert_eq!(s.routed_paths(), 0);
    assert!(events(&mut s).is_empty());
}

#[test]
fn the_remote_ufrag_must_be_the_peers_once_known() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:zzzz").nominate(),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().wrong_remote_ufrag, 1);
    // Unknown remote credentials accept any: set later, they bind.
    let c = creds("cccc");
    let id = s.add_session(now, &c, None).expect("added");
    let out = check(
        &mut s,
        now,
        "198.51.100.9:5000",
        Check::to(&c, "cccc:early"),
    );
    assert_eq!(out.len(), 1);
    s.set_remote_credentials(now, id, &creds("late"))
        .expect("known");
    let out = check(
        &mut s,
        now,
        "198.51.100.9:5000",
        Check::to(&c, "cccc:early"),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().wrong_remote_ufrag, 2);
    assert_eq!(s.state(a), Some(ConnectionState::New));
}

#[test]
fn data_is_routed_by_path_and_borrowed() {
    let now = t0();
    let (mut s, a, b, ca, cb) = two(now);
    let media = [0x80u8, 96, 0, 1, 0, 0, 0, 0];
    // Before any check, data from the peer's address is nobody's.
    let d = Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &media);
    assert_eq!(s.route(now, d), Routed::Dropped);
    assert_eq!(s.stats().data_unrouted, 1);

    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    let _ = check(
        &mut s,
        now,
        "198.51.100.8:6000",
        Check::to(&cb, "bbbb:pb00").nominate(),
    );
    let _ = events(&mut s);
    for (from, want) in [("198.51.100.7:5000", a), ("198.51.100.8:6000", b)] {
        let d = Datagram::udp(addr(from), addr(PORT), &media);
        let Routed::Data { session, payload } = s.route(now, d) else {
            panic!("data of a proved path is routed")
        };
        assert_eq!(session, want);
        assert!(std::ptr::eq(payload, media.as_slice()), "not copied");
    }
    // The same remote address on the TCP listener, or another port: no route.
    for d in [
        Datagram::tcp(addr("198.51.100.7:5000"), addr(LISTENER), &media),
        Datagram::udp(addr("198.51.100.7:5001"), addr(PORT), &media),
    ] {
        assert_eq!(s.route(now, d), Routed::Dropped);
    }
    // An address that is none of the sockets.
    let d = Datagram::udp(addr("198.51.100.7:5000"), addr("192.0.2.1:1"), &media);
    assert_eq!(s.route(now, d), Routed::Dropped);
    assert_eq!(s.stats().unknown_socket, 1);
    assert_eq!(s.stats().data_routed, 2);
    // Through the Machine interface data is counted, not routed.
    s.handle_datagram(
        now,
        Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &media),
    );
    assert_eq!(s.stats().data_unclaimed, 1);
}

#[test]
fn a_known_remote_address_with_another_sessions_ufrag_is_dropped() {
    let now = t0();
    let (mut s, a, b, ca, cb) = two(now);
    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    let _ = events(&mut s);
    // From A's peer's address, B's ufrag signed with A's key: the key decides.
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "bbbb:pb00").nominate(),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().bad_integrity, 1);
    // Even signed with B's key, the path is A's while A lives: dropped, not re-routed.
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&cb, "bbbb:pb00").nominate(),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().address_conflicts, 1);
    assert_eq!(s.state(b), Some(ConnectionState::New));
    assert!(events(&mut s).is_empty());
    let media = [0x80u8, 96];
    let d = Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &media);
    assert!(matches!(s.route(now, d), Routed::Data { session, .. } if session == a));
    // Once A is removed the path is free for B.
    s.remove_session(now, a).expect("known");
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&cb, "bbbb:pb00").nominate(),
    );
    assert_eq!(out.len(), 1);
    assert!(matches!(s.route(now, d), Routed::Data { session, .. } if session == b));
}

#[test]
fn a_removed_session_forgets_its_ufrag_and_paths_and_its_id() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    let _ = events(&mut s);
    assert_eq!(s.routed_paths(), 1);
    s.remove_session(now, a).expect("known");
    assert_eq!(events(&mut s), [Event::Closed { session: a }]);
    assert_eq!(s.routed_paths(), 0);
    assert_eq!(s.session_count(), 1);
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00"),
    );
    assert!(out.is_empty());
    assert_eq!(s.stats().unknown_ufrag, 1);
    let media = [0x80u8, 96];
    let d = Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &media);
    assert_eq!(s.route(now, d), Routed::Dropped);
    assert_eq!(s.remove_session(now, a), Err(Error::UnknownSession(a)));
    let mut buf = Vec::new();
    assert_eq!(
        s.send_into(now, a, &media, &mut buf),
        Err(Error::UnknownSession(a))
    );
    // The slot is reused under a new id; the old id reaches nothing.
    let a2 = s
        .add_session(now, &ca, None)
        .expect("the ufrag is free again");
    assert_ne!(a2, a);
    assert_eq!(a2.index(), a.index());
    assert_eq!(s.state(a), None);
    assert_eq!(s.state(a2), Some(ConnectionState::New));
}

#[test]
fn a_check_answered_before_removal_is_not_sent_after_it() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let bytes = Check::to(&ca, "aaaa:pa00").bytes();
    let _ = s.route(
        now,
        Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &bytes),
    );
    s.remove_session(now, a).expect("known");
    assert!(drain(&mut s, now).is_empty());
}

#[test]
fn a_peer_that_is_controlled_too_gets_a_signed_487() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let c = Check {
        controlled: true,
        ..Check::to(&ca, "aaaa:pa00").nominate()
    };
    let out = check(&mut s, now, "198.51.100.7:5000", c);
    assert_eq!(out.len(), 1);
    let msg = Message::parse(&out[0].1).expect("STUN");
    assert_eq!(msg.class(), Class::ErrorResponse);
    let code = msg.get::<ErrorCode<'_>>().expect("valid").expect("present");
    assert_eq!(code.code.code(), 487);
    msg.verify_integrity(&Key::short_term(&ca.pwd).expect("a password"))
        .expect("signed");
    assert_eq!(s.stats().role_conflicts, 1);
    assert_eq!(s.state(a), Some(ConnectionState::New));
    assert_eq!(s.routed_paths(), 0);
    // The peer switches to controlling and checks again.
    let out = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(s.state(a), Some(ConnectionState::Connected));
}

/// Runs the server's deadlines up to `until`, a check from the peer every `every` (none
/// when `None`); returns the events and the transmits.
fn run(
    s: &mut Server,
    from: Instant,
    until: Instant,
    every: Option<(Duration, &str, Check<'_>)>,
) -> (Vec<Event>, Vec<(Transmit, Vec<u8>)>) {
    let (mut evs, mut out) = (Vec::new(), Vec::new());
    let mut next_check = every.map(|(d, ..)| from + d);
    loop {
        let timer = s.poll_timeout().filter(|&t| t <= until);
        let check_at = next_check.filter(|&t| t <= until);
        let now = match (timer, check_at) {
            (None, None) => break,
            (Some(t), Some(c)) if c <= t => c,
            (_, Some(c)) if timer.is_none() => c,
            (Some(t), _) => t,
            (None, Some(c)) => c,
        };
        if Some(now) == check_at {
            let (d, peer, c) = every.expect("a check");
            out.extend(check(s, now, peer, c));
            next_check = Some(now + d);
        } else {
            s.handle_timeout(now);
            out.extend(drain(s, now));
        }
        evs.extend(events(s));
    }
    (evs, out)
}

#[test]
fn consent_lapses_to_disconnected_comes_back_then_expires() {
    let now = t0();
    let (mut s, a, b, ca, _) = two(now);
    s.remove_session(now, b).expect("known");
    let peer = "198.51.100.7:5000";
    let _ = check(&mut s, now, peer, Check::to(&ca, "aaaa:pa00").nominate());
    let _ = events(&mut s);
    let path = s.selected_path(a).expect("selected");

    // Checks every 5 s keep it connected for a minute.
    let c = Check::to(&ca, "aaaa:pa00");
    let (evs, _) = run(
        &mut s,
        now,
        now + Duration::from_secs(60),
        Some((Duration::from_secs(5), peer, c)),
    );
    assert!(evs.is_empty(), "{evs:?}");
    let now = now + Duration::from_secs(60);
    assert_eq!(s.state(a), Some(ConnectionState::Connected));

    // Silence: disconnected after 8 s.
    let (evs, _) = run(&mut s, now, now + Duration::from_secs(9), None);
    assert_eq!(evs, [Event::Disconnected { session: a }]);
    let mut buf = Vec::new();
    assert!(
        s.send_into(now + Duration::from_secs(9), a, b"x", &mut buf)
            .is_ok(),
        "consent is not lost yet"
    );
    // A check on the selected path brings it back.
    let _ = check(&mut s, now + Duration::from_secs(10), peer, c);
    assert_eq!(events(&mut s), [Event::Connected { session: a, path }]);

    // Silence again: disconnected, then failed 30 s after the last check.
    let last = now + Duration::from_secs(10);
    let (evs, _) = run(&mut s, last, last + Duration::from_secs(29), None);
    assert_eq!(evs, [Event::Disconnected { session: a }]);
    let (evs, _) = run(&mut s, last, last + Duration::from_secs(31), None);
    assert_eq!(
        evs,
        [Event::Failed {
            session: a,
            cause: Failure::ConsentExpired
        }]
    );
    assert_eq!(s.state(a), Some(ConnectionState::Failed));
    assert_eq!(s.routed_paths(), 0);
    buf.clear();
    assert_eq!(
        s.send_into(last + Duration::from_secs(31), a, b"x", &mut buf),
        Err(Error::NotConnected(a))
    );
    // A late check is dropped: consent lost is final (RFC 7675 section 5.1).
    let out = check(&mut s, last + Duration::from_secs(32), peer, c);
    assert!(out.is_empty());
    assert_eq!(s.stats().session_over, 1);
}

#[test]
fn checks_on_a_path_not_selected_do_not_keep_consent() {
    let now = t0();
    let (mut s, a, b, ca, _) = two(now);
    s.remove_session(now, b).expect("known");
    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    let _ = events(&mut s);
    let c = Check::to(&ca, "aaaa:pa00");
    let (evs, _) = run(
        &mut s,
        now,
        now + Duration::from_secs(9),
        Some((Duration::from_secs(2), "198.51.100.7:6000", c)),
    );
    assert_eq!(evs, [Event::Disconnected { session: a }]);
}

#[test]
fn an_idle_selected_path_gets_keepalives_and_data_defers_them() {
    let now = t0();
    let (mut s, a, b, ca, _) = two(now);
    s.remove_session(now, b).expect("known");
    let peer = "198.51.100.7:5000";
    let _ = check(&mut s, now, peer, Check::to(&ca, "aaaa:pa00").nominate());
    let _ = events(&mut s);
    let c = Check::to(&ca, "aaaa:pa00");
    let (_, out) = run(
        &mut s,
        now,
        now + Duration::from_secs(31),
        Some((Duration::from_secs(5), peer, c)),
    );
    let keepalives: Vec<_> = out
        .iter()
        .filter(|(_, b)| Message::parse(b).is_ok_and(|m| m.class() == Class::Indication))
        .collect();
    // Nothing was sent but check responses: one keepalive at 15 s, one at 30 s.
    assert_eq!(keepalives.len(), 2, "{:?}", keepalives.len());
    for (t, b) in keepalives {
        assert_eq!(t.destination, addr(peer));
        Message::parse(b)
            .expect("STUN")
            .verify_fingerprint()
            .expect("fingerprinted");
    }
    assert_eq!(s.stats().keepalives_sent, 2);
    // Data every second: no keepalive.
    let start = now + Duration::from_secs(31);
    let mut keepalives = 0;
    for i in 1..=30u64 {
        let at = start + Duration::from_secs(i);
        let mut buf = Vec::new();
        let t = s.send_into(at, a, b"media", &mut buf).expect("connected");
        assert_eq!(
            (t.destination, buf.as_slice()),
            (addr(peer), b"media".as_slice())
        );
        if i % 5 == 0 {
            let _ = check(&mut s, at, peer, c);
        }
        s.handle_timeout(at);
        keepalives += drain(&mut s, at).len();
    }
    assert_eq!(keepalives, 0);
}

#[test]
fn a_session_never_nominated_fails_after_the_connect_timeout() {
    let now = t0();
    let (mut s, a, b, ca, _) = two(now);
    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00"),
    );
    let (evs, _) = run(&mut s, now, now + Duration::from_secs(31), None);
    assert_eq!(
        evs,
        [
            Event::Failed {
                session: a,
                cause: Failure::ConnectTimeout
            },
            Event::Failed {
                session: b,
                cause: Failure::ConnectTimeout
            },
        ]
    );
    assert_eq!(s.routed_paths(), 0);
}

#[test]
fn a_passive_tcp_check_is_answered_over_tcp() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let bytes = Check::to(&ca, "aaaa:pa00").nominate().bytes();
    let from = addr("198.51.100.7:40000");
    assert_eq!(
        s.route(now, Datagram::tcp(from, addr(LISTENER), &bytes)),
        Routed::Stun
    );
    let out = drain(&mut s, now);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.proto, Transport::Tcp);
    assert_eq!(out[0].0.source, Some(addr(LISTENER)));
    let path = s.selected_path(a).expect("selected");
    assert_eq!(path.transport, Transport::Tcp);
    let media = [23u8, 0xfe, 0xfd];
    let d = Datagram::tcp(from, addr(LISTENER), &media);
    assert!(matches!(s.route(now, d), Routed::Data { session, .. } if session == a));
    let mut buf = Vec::new();
    let t = s.send_into(now, a, &media, &mut buf).expect("connected");
    assert_eq!((t.proto, t.destination), (Transport::Tcp, from));
    let tcp = &s.local_candidates(a).expect("known")[1];
    assert_eq!(
        tcp.to_string(),
        "candidate:2 1 tcp 2124414719 192.0.2.1 443 typ host tcptype passive"
    );
}

#[test]
fn a_peer_with_many_candidates_keeps_a_few_paths_and_never_loses_the_selected_one() {
    let now = t0();
    let (mut s, a, _, ca, _) = two(now);
    let _ = check(
        &mut s,
        now,
        "198.51.100.7:5000",
        Check::to(&ca, "aaaa:pa00").nominate(),
    );
    for port in 5001..5020 {
        let _ = check(
            &mut s,
            now,
            &format!("198.51.100.7:{port}"),
            Check::to(&ca, "aaaa:pa00"),
        );
    }
    assert_eq!(s.routed_paths(), MAX_PATHS);
    assert_eq!(
        s.selected_path(a).map(|p| p.remote),
        Some(addr("198.51.100.7:5000"))
    );
    let d = Datagram::udp(addr("198.51.100.7:5000"), addr(PORT), &[0x80, 96]);
    assert!(matches!(s.route(now, d), Routed::Data { .. }));
    let d = Datagram::udp(addr("198.51.100.7:5019"), addr(PORT), &[0x80, 96]);
    assert!(matches!(s.route(now, d), Routed::Data { .. }));
    let d = Datagram::udp(addr("198.51.100.7:5001"), addr(PORT), &[0x80, 96]);
    assert_eq!(s.route(now, d), Routed::Dropped);
}

#[test]
fn queues_are_bounded_and_drops_counted() {
    let now = t0();
    let config = Config {
        max_transmits: 2,
        max_events: 1,
        rng_seed: Some([1; 32]),
        ..Config::new(vec![LocalSocket::udp(addr(PORT))])
    };
    let mut s = Server::new(now, config).expect("valid");
    let c = creds("aaaa");
    let _ = s.add_session(now, &c, None).expect("added");
    let b = s.add_session(now, &creds("bbbb"), None).expect("added");
    for i in 0..5u8 {
        let bytes = Check {
            tid: i,
            ..Check::to(&c, "aaaa:x000").nominate()
        }
        .bytes();
        let from = SocketAddr::new(addr(PORT).ip(), 7000 + u16::from(i));
        let _ = s.route(now, Datagram::udp(from, addr(PORT), &bytes));
    }
    s.remove_session(now, b).expect("known");
    assert_eq!(s.stats().transmits_dropped, 3);
    assert_eq!(s.stats().events_dropped, 5);
    assert_eq!(drain(&mut s, now).len(), 2);
    assert_eq!(events(&mut s).len(), 1);
}

#[test]
fn credentials_and_sockets_are_checked() {
    let now = t0();
    assert_eq!(
        Server::new(now, Config::new(Vec::new())).err(),
        Some(Error::NoSockets)
    );
    let mut s = server(now);
    let bad = [
        Credentials {
            ufrag: "abc".into(),
            pwd: "p".repeat(22),
        },
        Credentials {
            ufrag: "ab:c".into(),
            pwd: "p".repeat(22),
        },
        Credentials {
            ufrag: "abcd".into(),
            pwd: "p".repeat(21),
        },
    ];
    for c in bad {
        assert!(
            matches!(
                s.add_session(now, &c, None),
                Err(Error::InvalidCredentials(_))
            ),
            "{c:?}"
        );
    }
    let c = creds("abcd");
    let id = s.add_session(now, &c, None).expect("valid");
    assert_eq!(s.add_session(now, &c, None), Err(Error::UfragInUse));
    assert_eq!(s.local_candidates(id).expect("known").len(), 2);
    assert_eq!(
        s.local_candidates(id).expect("known")[0].to_string(),
        "candidate:1 1 udp 2130706431 192.0.2.1 3478 typ host"
    );
    let limited = Config {
        max_sessions: 1,
        ..Config::new(vec![LocalSocket::udp(addr(PORT))])
    };
    let mut one = Server::new(now, limited).expect("valid");
    one.add_session(now, &c, None).expect("room for one");
    assert_eq!(
        one.add_session(now, &creds("efgh"), None),
        Err(Error::TooManySessions(1))
    );
}

#[test]
fn stun_that_is_no_check_is_counted() {
    let now = t0();
    let (mut s, _, _, ca, _) = two(now);
    let from = addr("198.51.100.7:5000");
    // Garbage with a STUN first byte.
    let _ = s.route(now, Datagram::udp(from, addr(PORT), &[0, 1, 0, 0]));
    // A check without integrity.
    let mut unsigned = Vec::new();
    let mut w = MessageWriter::new(
        &mut unsigned,
        MessageType::new(Class::Request, Method::BINDING),
        TransactionId([9; 12]),
    );
    w.add(&Username("aaaa:pa00")).expect("fits");
    w.finish();
    let _ = s.route(now, Datagram::udp(from, addr(PORT), &unsigned));
    // A keepalive indication and a response.
    for class in [Class::Indication, Class::SuccessResponse] {
        let mut b = Vec::new();
        let mut w = MessageWriter::new(
            &mut b,
            MessageType::new(class, Method::BINDING),
            TransactionId([9; 12]),
        );
        w.add_fingerprint().expect("fits");
        w.finish();
        let _ = s.route(now, Datagram::udp(from, addr(PORT), &b));
    }
    // A check whose fingerprint is broken.
    let mut bytes = Check::to(&ca, "aaaa:pa00").bytes();
    let n = bytes.len();
    bytes[n - 1] ^= 1;
    let _ = s.route(now, Datagram::udp(from, addr(PORT), &bytes));
    let st = s.stats();
    assert_eq!((st.malformed, st.indications, st.unexpected), (3, 1, 1));
    assert!(drain(&mut s, now).is_empty());
}

/// The fuzz harness on random inputs (`--features fuzzing`), so its invariants run in CI
/// without libFuzzer.
#[cfg(feature = "fuzzing")]
mod fuzz_smoke {
    use arbitrary::{Arbitrary, Unstructured};
    use proptest::prelude::*;

    #[test]
    fn a_connecting_sequence_passes_the_harness() {
        use super::super::fuzz::{Input, Op, server};
        let check = |ufrag, key, nominate| Op::Check {
            ufrag,
            remote: 4,
            key,
            from: 1,
            socket: 0,
            nominate,
            controlled: false,
        };
        let st = server(&Input {
            seed: 1,
            tight: false,
            ops: vec![
                Op::Add {
                    local: 0,
                    remote: true,
                },
                Op::Add {
                    local: 1,
                    remote: false,
                },
                check(0, 1, true),
                check(0, 0, true),
                Op::Data {
                    from: 1,
                    socket: 0,
                    machine: false,
                },
                Op::Send {
                    session: 0,
                    len: 10,
                },
                check(1, 1, true),
                Op::Remove {
                    session: 0,
                    command: true,
                },
                check(1, 1, true),
                Op::Data {
                    from: 1,
                    socket: 0,
                    machine: false,
                },
                Op::Wait { ms: 4000 },
            ],
        });
        // A refuses a wrong key and connects; B's check from A's path waits for A's
        // removal; data goes to A, then to B; B's consent expires.
        assert_eq!(
            (
                st.checks_answered,
                st.bad_integrity,
                st.address_conflicts,
                st.data_routed
            ),
            (2, 1, 1, 2),
            "{st:?}"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn the_fuzz_invariants_hold(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let mut u = Unstructured::new(&bytes);
            if let Ok(input) = super::super::fuzz::Input::arbitrary(&mut u) {
                super::super::fuzz::server(&input);
            }
        }
    }
}
