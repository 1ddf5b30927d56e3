//! The ICE agent benchmark's inputs, for Wren's agent (`wren_ice::Agent`) and str0m's
//! (`is::IceAgent`, which `str0m` 0.25 uses for its ICE; see `peers/str0m.rs` for why the
//! bench depends on `is` 0.12 rather than `str0m`).
//!
//! Both agents get the same setup and the same bytes:
//!
//! - **answering a check**: a controlled agent with the local credentials
//!   [`LOCAL_UFRAG`]/[`LOCAL_PWD`], one host candidate [`LOCAL_ADDR`], the peer's credentials
//!   [`PEER_UFRAG`]/[`PEER_PWD`] and its host candidate [`PEER_ADDR`], and the pair between
//!   them valid (the agent's own check on it was answered, as in a call under way). The input
//!   is [`check_request`]: a Binding request from the peer (USERNAME, PRIORITY,
//!   ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT). One answer is the request in and the
//!   success response out: `handle_datagram` then `poll_transmit` for Wren;
//!   `StunMessage::parse`, `handle_packet` and `poll_transmit` for str0m (its
//!   `handle_packet` takes a parsed message).
//! - **check generation**: a controlling agent with [`CANDIDATES`] host candidates and the
//!   peer's [`CANDIDATES`] host candidates (100 pairs), driven by its own `poll_timeout` on a
//!   virtual clock with nobody answering: the wall time until every one of the [`CHECKS`]
//!   pairs has been checked (one new check every Ta, 50 ms, for both; the retransmissions
//!   each agent sends meanwhile are part of the work and counted in [`Generated`]).
//! - **memory**: the same 10 x 10 agent as set up for check generation (drained after each
//!   step, before any `handle_timeout`), counted with a counting allocator
//!   (`tests/ice_memory.rs`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use ::is::stun::{StunMessage, StunPacket};
use ::is::{Candidate as IsCandidate, IceAgent, IceCreds};
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_ice::{Agent, Candidate, Credentials, Role, agent::Config as AgentConfig};
use wren_stun::attr::{IceControlling, Priority, UseCandidate, Username, XorMappedAddress};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

/// The agent's ice-ufrag.
pub const LOCAL_UFRAG: &str = "wrenbench";
/// The agent's ice-pwd.
pub const LOCAL_PWD: &str = "wrenbench-password-0123";
/// The peer's ice-ufrag.
pub const PEER_UFRAG: &str = "peer";
/// The peer's ice-pwd.
pub const PEER_PWD: &str = "peer-password-0123456789";
/// The agent's host candidate in the check-answering bench.
pub const LOCAL_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
/// The peer's host candidate in the check-answering bench.
pub const PEER_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)), 50000);
/// Local and remote host candidates in the check-generation and memory benches.
pub const CANDIDATES: u8 = 10;
/// Pairs checked in the check-generation bench: all of them.
pub const CHECKS: usize = CANDIDATES as usize * CANDIDATES as usize;

/// The peer's tie-breaker in [`check_request`].
const PEER_TIEBREAKER: u64 = 0x1234_5678_9abc_def0;

/// The `i`-th local host address (`10.0.0.<i+1>:40000`).
#[must_use]
pub fn local_addr(i: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, i + 1)), 40000)
}

/// The `i`-th remote host address (`10.0.1.<i+1>:50000`).
#[must_use]
pub fn peer_addr(i: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, i + 1)), 50000)
}

fn peer_creds() -> Credentials {
    Credentials {
        ufrag: PEER_UFRAG.into(),
        pwd: PEER_PWD.into(),
    }
}

fn is_creds(ufrag: &str, pwd: &str) -> IceCreds {
    IceCreds {
        ufrag: ufrag.into(),
        pass: pwd.into(),
    }
}

/// The peer's host candidate line for `addr`.
fn peer_candidate(i: u8, addr: SocketAddr) -> Candidate {
    format!(
        "candidate:{} 1 udp 2130706431 {} {} typ host",
        i + 1,
        addr.ip(),
        addr.port()
    )
    .parse()
    .expect("a valid candidate line")
}

/// The peer's connectivity check to the agent: `LOCAL_UFRAG:PEER_UFRAG`, PRIORITY of a
/// peer-reflexive candidate, ICE-CONTROLLING, signed with [`LOCAL_PWD`], fingerprinted.
#[must_use]
pub fn check_request(tid: [u8; 12], use_candidate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::Request, Method::BINDING),
        TransactionId(tid),
    );
    let key = Key::short_term(LOCAL_PWD).expect("an ice-char password");
    w.add(&Username(&format!("{LOCAL_UFRAG}:{PEER_UFRAG}")))
        .and_then(|()| w.add(&Priority(1_853_824_767)))
        .and_then(|()| w.add(&IceControlling(PEER_TIEBREAKER)))
        .and_then(|()| {
            if use_candidate {
                w.add(&UseCandidate)
            } else {
                Ok(())
            }
        })
        .and_then(|()| w.add_message_integrity(&key))
        .and_then(|()| w.add_fingerprint())
        .expect("a small message");
    w.finish();
    out
}

/// The peer's success response to the agent's check `request` (sent from `from`), signed
/// with [`PEER_PWD`].
#[must_use]
pub fn check_response(request: &[u8], from: SocketAddr) -> Vec<u8> {
    let tid = Message::parse(request)
        .expect("the agent's check parses")
        .transaction_id();
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::SuccessResponse, Method::BINDING),
        tid,
    );
    let key = Key::short_term(PEER_PWD).expect("an ice-char password");
    w.add(&XorMappedAddress(from))
        .and_then(|()| w.add_message_integrity(&key))
        .and_then(|()| w.add_fingerprint())
        .expect("a small message");
    w.finish();
    out
}

/// Whether `bytes` is a Binding request.
#[must_use]
pub fn is_binding_request(bytes: &[u8]) -> bool {
    Message::parse(bytes)
        .is_ok_and(|m| m.class() == Class::Request && m.method() == Method::BINDING)
}

// ---------------------------------------------------------------------------------------
// Wren.

/// A Wren agent in `role` on the first `n` local addresses, the peer's credentials set and
/// the peer's first `m` host candidates added; drained after each step, as a driver does
/// (so that the event queue keeps the capacity a driver's agent has, not room for every
/// event of the setup at once).
#[must_use]
pub fn wren_agent(now: Instant, role: Role, n: u8, m: u8) -> Agent {
    let interfaces = (0..n).map(|i| local_addr(i).ip()).collect();
    let config = AgentConfig {
        credentials: Some(Credentials {
            ufrag: LOCAL_UFRAG.into(),
            pwd: LOCAL_PWD.into(),
        }),
        rng_seed: Some([7; 32]),
        ..AgentConfig::new(role, interfaces)
    };
    let mut agent = Agent::new(now, config);
    while let Some(req) = agent.poll_socket_request() {
        if let SocketRequest::Bind {
            addr, transport, ..
        } = req
        {
            let bound = SocketAddr::new(addr.ip(), 40000);
            agent.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(bound)));
            wren_drain(&mut agent, now);
        }
    }
    agent
        .set_remote_credentials(now, peer_creds())
        .expect("valid credentials");
    wren_drain(&mut agent, now);
    for i in 0..m {
        agent
            .add_remote_candidate(now, peer_candidate(i, peer_addr(i)))
            .expect("a valid candidate");
        wren_drain(&mut agent, now);
    }
    agent
}

/// Drains transmits and events; returns the transmits' bytes.
pub fn wren_drain(agent: &mut Agent, now: Instant) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    let mut buf = Vec::new();
    while agent.poll_transmit(now, &mut buf).is_some() {
        sent.push(std::mem::take(&mut buf));
    }
    while agent.poll_event().is_some() {}
    sent
}

/// The check-answering Wren agent: controlled, one host candidate, the pair to
/// [`PEER_ADDR`] valid.
#[must_use]
pub fn wren_answering(now: Instant) -> Agent {
    let mut agent = wren_agent(now, Role::Controlled, 1, 0);
    agent
        .add_remote_candidate(now, peer_candidate(0, PEER_ADDR))
        .expect("a valid candidate");
    agent.handle_timeout(now);
    let sent = wren_drain(&mut agent, now);
    let check = sent
        .iter()
        .find(|b| is_binding_request(b))
        .expect("the agent checks the pair");
    let response = check_response(check, LOCAL_ADDR);
    agent.handle_datagram(now, Datagram::udp(PEER_ADDR, LOCAL_ADDR, &response));
    wren_drain(&mut agent, now);
    agent
}

/// One answer: the check in, the response out (into `buf`, cleared first).
pub fn wren_answer(agent: &mut Agent, now: Instant, request: &[u8], buf: &mut Vec<u8>) -> usize {
    agent.handle_datagram(now, Datagram::udp(PEER_ADDR, LOCAL_ADDR, request));
    buf.clear();
    let t = agent
        .poll_transmit(now, buf)
        .expect("the check is answered");
    debug_assert_eq!(t.destination, PEER_ADDR);
    debug_assert_eq!(t.proto, Transport::Udp);
    buf.len()
}

/// What a check-generation run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Binding requests sent, retransmissions included.
    pub requests: usize,
    /// Pairs checked (at least one request from its local to its remote candidate).
    pub pairs: usize,
    /// The virtual clock at the end.
    pub end: Instant,
}

/// Which of the 10 x 10 pairs a request from `source` to `destination` checks.
fn pair_index(source: SocketAddr, destination: SocketAddr) -> Option<usize> {
    let (IpAddr::V4(s), IpAddr::V4(d)) = (source.ip(), destination.ip()) else {
        return None;
    };
    let (l, r) = (usize::from(s.octets()[3]), usize::from(d.octets()[3]));
    let n = usize::from(CANDIDATES);
    (1..=n)
        .contains(&l)
        .then_some(())
        .filter(|()| (1..=n).contains(&r))
        .map(|()| (l - 1) * n + (r - 1))
}

/// Counts one transmit into `g` and `seen`.
fn count(
    g: &mut Generated,
    seen: &mut [bool; CHECKS],
    bytes: &[u8],
    source: SocketAddr,
    to: SocketAddr,
) {
    if bytes.first() != Some(&0x00) || bytes.get(1) != Some(&0x01) {
        return; // not a Binding request
    }
    g.requests += 1;
    if let Some(i) = pair_index(source, to)
        && !std::mem::replace(&mut seen[i], true)
    {
        g.pairs += 1;
    }
}

/// Drives `agent` by its own `poll_timeout` from `now` until it has checked `pairs` pairs
/// (or 60 virtual seconds passed).
pub fn wren_generate(agent: &mut Agent, mut now: Instant, pairs: usize) -> Generated {
    let limit = now + std::time::Duration::from_secs(60);
    let mut g = Generated {
        requests: 0,
        pairs: 0,
        end: now,
    };
    let mut seen = [false; CHECKS];
    let mut buf = Vec::with_capacity(256);
    while g.pairs < pairs && now < limit {
        let Some(t) = agent.poll_timeout() else {
            break;
        };
        now = now.max(t);
        agent.handle_timeout(now);
        loop {
            buf.clear();
            let Some(t) = agent.poll_transmit(now, &mut buf) else {
                break;
            };
            let source = t.source.unwrap_or(t.destination);
            count(&mut g, &mut seen, &buf, source, t.destination);
        }
        while agent.poll_event().is_some() {}
    }
    g.end = now;
    g
}

// ---------------------------------------------------------------------------------------
// str0m (`is` 0.12).

/// A str0m agent in `role` with host candidates on the first `n` local addresses, the
/// peer's credentials set and its first `m` host candidates added; drained after each
/// step, as for Wren's.
#[must_use]
pub fn str0m_agent(role: Role, n: u8, m: u8) -> IceAgent {
    let mut agent = IceAgent::new(is_creds(LOCAL_UFRAG, LOCAL_PWD));
    agent.set_controlling(role == Role::Controlling);
    let drain = |agent: &mut IceAgent| {
        while agent.poll_transmit().is_some() {}
        while agent.poll_event().is_some() {}
    };
    for i in 0..n {
        agent.add_local_candidate(
            IsCandidate::host(local_addr(i), "udp").expect("a valid host candidate"),
        );
        drain(&mut agent);
    }
    agent.set_remote_credentials(is_creds(PEER_UFRAG, PEER_PWD));
    drain(&mut agent);
    for i in 0..m {
        agent.add_remote_candidate(
            IsCandidate::host(peer_addr(i), "udp").expect("a valid host candidate"),
        );
        drain(&mut agent);
    }
    agent
}

/// The check-answering str0m agent: controlled, one host candidate, the pair to
/// [`PEER_ADDR`] valid.
#[must_use]
pub fn str0m_answering(now: Instant) -> IceAgent {
    let mut agent = str0m_agent(Role::Controlled, 1, 0);
    agent.add_remote_candidate(IsCandidate::host(PEER_ADDR, "udp").expect("valid"));
    let mut check = None;
    let mut t = now;
    // Its first check goes after a Ta or two.
    for _ in 0..10 {
        agent.handle_timeout(t);
        while let Some(tx) = agent.poll_transmit() {
            if is_binding_request(&tx.contents) {
                check = Some(tx.contents.to_vec());
            }
        }
        if check.is_some() {
            break;
        }
        t = agent.poll_timeout().unwrap_or(t).max(t);
    }
    let check = check.expect("the agent checks the pair");
    let response = check_response(&check, LOCAL_ADDR);
    let message = StunMessage::parse(&response).expect("parses");
    let taken = agent.handle_packet(t, is_packet(message));
    assert!(taken, "str0m takes the response");
    while agent.poll_event().is_some() {}
    while agent.poll_transmit().is_some() {}
    agent
}

fn is_packet(message: StunMessage<'_>) -> StunPacket<'_> {
    StunPacket {
        proto: ::is::Protocol::Udp,
        source: PEER_ADDR,
        destination: LOCAL_ADDR,
        message,
    }
}

/// One answer: the check in (parsed, as str0m's API takes it), the response out.
pub fn str0m_answer(agent: &mut IceAgent, now: Instant, request: &[u8]) -> usize {
    let message = StunMessage::parse(request).expect("the check parses");
    let taken = agent.handle_packet(now, is_packet(message));
    debug_assert!(taken);
    let t = agent.poll_transmit().expect("the check is answered");
    debug_assert_eq!(t.destination, PEER_ADDR);
    t.contents.len()
}

/// Drives `agent` by its own `poll_timeout` from `now` until it has checked `pairs` pairs
/// (or 60 virtual seconds passed).
pub fn str0m_generate(agent: &mut IceAgent, mut now: Instant, pairs: usize) -> Generated {
    let limit = now + std::time::Duration::from_secs(60);
    let mut g = Generated {
        requests: 0,
        pairs: 0,
        end: now,
    };
    let mut seen = [false; CHECKS];
    // Its `poll_timeout` is `None` until the first `handle_timeout`.
    agent.handle_timeout(now);
    loop {
        while let Some(t) = agent.poll_transmit() {
            count(&mut g, &mut seen, &t.contents, t.source, t.destination);
        }
        while agent.poll_event().is_some() {}
        if g.pairs >= pairs || now >= limit {
            break;
        }
        let Some(t) = agent.poll_timeout() else {
            break;
        };
        now = now.max(t);
        agent.handle_timeout(now);
    }
    g.end = now;
    g
}
