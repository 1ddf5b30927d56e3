//! What `benches/ice.rs` times is what it claims: both agents answer the check with a
//! success response signed with the local password and mapped to the peer, nothing else
//! piles up while they answer, and both emit the 100 Binding requests of the generation
//! bench.

use std::time::Instant;

use wren_benches::ice::{
    CANDIDATES, CHECKS, LOCAL_ADDR, LOCAL_PWD, PEER_ADDR, check_request, str0m_agent, str0m_answer,
    str0m_answering, str0m_generate, wren_agent, wren_answer, wren_answering, wren_drain,
    wren_generate,
};
use wren_ice::Role;
use wren_stun::attr::XorMappedAddress;
use wren_stun::{Class, Key, Message, Method};

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

/// A success response to `request`, signed with the agent's password, mapped to the peer.
fn assert_answer(response: &[u8], request: &[u8]) {
    let m = Message::parse(response).expect("the response parses");
    assert_eq!(m.class(), Class::SuccessResponse);
    assert_eq!(m.method(), Method::BINDING);
    assert_eq!(
        m.transaction_id(),
        Message::parse(request).unwrap().transaction_id()
    );
    m.verify_integrity(&Key::short_term(LOCAL_PWD).unwrap())
        .expect("signed with the local password");
    m.verify_fingerprint().expect("fingerprinted");
    assert_eq!(m.require::<XorMappedAddress>().unwrap().0, PEER_ADDR);
}

#[test]
fn wren_answers_the_check_and_nothing_piles_up() {
    let now = t0();
    let request = check_request([0x42; 12], false);
    let mut agent = wren_answering(now);
    assert_eq!(agent.selected_pair(), None);
    let mut buf = Vec::new();
    for _ in 0..1000 {
        wren_answer(&mut agent, now, &request, &mut buf);
        assert_answer(&buf, &request);
    }
    assert!(
        wren_drain(&mut agent, now).is_empty(),
        "only responses are sent"
    );
    assert_eq!(agent.stats().requests_answered, 1000);
    let pair = &agent.pairs()[0];
    assert_eq!((pair.local.addr, pair.remote.addr), (LOCAL_ADDR, PEER_ADDR));
    assert_eq!(pair.state, wren_ice::PairState::Succeeded);
}

#[test]
fn str0m_answers_the_check_and_nothing_piles_up() {
    let now = t0();
    let request = check_request([0x42; 12], false);
    let mut agent = str0m_answering(now);
    for _ in 0..1000 {
        str0m_answer(&mut agent, now, &request);
        // `str0m_answer` drops the bytes; answer once more to look at them.
    }
    let message = is::stun::StunMessage::parse(&request).unwrap();
    agent.handle_packet(
        now,
        is::stun::StunPacket {
            proto: is::Protocol::Udp,
            source: PEER_ADDR,
            destination: LOCAL_ADDR,
            message,
        },
    );
    let t = agent.poll_transmit().expect("answered");
    assert_answer(&t.contents, &request);
    assert!(agent.poll_transmit().is_none(), "only responses are sent");
    assert!(agent.poll_event().is_none(), "no events pile up");
    assert_eq!(agent.stats().bind_request_recv, 1001);
    assert_eq!(
        agent.stats().bind_success_recv,
        1,
        "the pair was made valid"
    );
}

#[test]
fn both_check_every_pair_of_ten_by_ten_candidates() {
    let now = t0();
    let mut w = wren_agent(now, Role::Controlling, CANDIDATES, CANDIDATES);
    assert_eq!(w.pairs().len(), CHECKS);
    let run = wren_generate(&mut w, now, CHECKS);
    assert_eq!(run.pairs, CHECKS, "{run:?}");
    assert!(run.requests >= CHECKS && run.end > now, "{run:?}");
    let mut s = str0m_agent(Role::Controlling, CANDIDATES, CANDIDATES);
    let run = str0m_generate(&mut s, now, CHECKS);
    assert_eq!(run.pairs, CHECKS, "{run:?}");
    assert!(run.requests >= CHECKS && run.end > now, "{run:?}");
}
