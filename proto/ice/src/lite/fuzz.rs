//! The structured fuzz target of the ICE-lite server (not a public API).
//!
//! [`server`] runs one [`Server`] on two UDP sockets and a TCP listener over an arbitrary
//! sequence of [`Op`]s: sessions added (valid, invalid or duplicate credentials), removed
//! and given remote credentials by method or command; connectivity checks for any ufrag,
//! signed with any session's key, from any of a few addresses, nominating or not, claiming
//! either role; raw bytes; data; `send_into`; time steps. After every step the harness
//! drains the server as a driver would and checks:
//!
//! - every transmit is STUN that parses, from one of the sockets; a response to a check
//!   verifies with the key of the session the check named, and that check was signed with
//!   that key (a check is never answered for another session);
//! - data is routed only to the session whose check from that path was last answered;
//! - `send_into` succeeds only for a connected session, to its selected path;
//! - the server settles: after `handle_timeout(now)`, `poll_timeout` is not still due after
//!   a few more calls; the transmit and event queues stay within their bounds.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use wren_core::{Datagram, Machine};
use wren_stun::attr::{IceControlled, IceControlling, Priority, UseCandidate, Username};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use super::{Command, Config, Credentials, LocalSocket, Routed, Server, SessionId};

/// Credentials the fuzzer can name: the first are sessions', the last are a peer's.
const CREDS: [(&str, &str); 5] = [
    ("sesA", "sesApassword0123456789+/"),
    ("sesB", "sesBpasswordabcdefghij+/"),
    ("sesC", "sesCpasswordklmnopqrst+/"),
    ("x:y!", "short"),
    ("peer", "peerpassword0123456789+/"),
];

const SOCKETS: [SocketAddr; 3] = [
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 3478),
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 3479),
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 443),
];

fn creds(n: u8) -> Credentials {
    let (ufrag, pwd) = CREDS[usize::from(n) % CREDS.len()];
    Credentials {
        ufrag: ufrag.into(),
        pwd: pwd.into(),
    }
}

fn from(n: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 20 + n % 3)),
        5000 + u16::from(n / 3 % 3),
    )
}

/// Where a datagram arrives: socket `n` (the third is the TCP listener; a fourth value is
/// an address none of them has).
fn arrival<'a>(src: SocketAddr, socket: u8, payload: &'a [u8]) -> Datagram<'a> {
    match socket % 4 {
        2 => Datagram::tcp(src, SOCKETS[2], payload),
        3 => Datagram::udp(src, SocketAddr::new(SOCKETS[0].ip(), 1), payload),
        n => Datagram::udp(src, SOCKETS[usize::from(n)], payload),
    }
}

/// One step.
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// A session with credentials `local` (and the peer's when `remote`).
    Add {
        /// Which credentials.
        local: u8,
        /// Whether the peer's are given.
        remote: bool,
    },
    /// New remote credentials for a session, by method or by command.
    SetRemote {
        /// Which session (of those added).
        session: u8,
        /// Which credentials.
        remote: u8,
        /// Through `handle_command`.
        command: bool,
    },
    /// Removes a session, by method or by command.
    Remove {
        /// Which session.
        session: u8,
        /// Through `handle_command`.
        command: bool,
    },
    /// A check naming ufrag `ufrag` and signed with the password of `key`.
    Check {
        /// Whose ufrag is before the colon.
        ufrag: u8,
        /// Whose ufrag is after it.
        remote: u8,
        /// Whose password signs it.
        key: u8,
        /// From where.
        from: u8,
        /// To which socket.
        socket: u8,
        /// USE-CANDIDATE.
        nominate: bool,
        /// ICE-CONTROLLED instead of ICE-CONTROLLING.
        controlled: bool,
    },
    /// Any bytes.
    Raw {
        /// From where.
        from: u8,
        /// To which socket.
        socket: u8,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Data (an RTP-looking first byte) from an address.
    Data {
        /// From where.
        from: u8,
        /// To which socket.
        socket: u8,
        /// Through `handle_datagram` instead of `route`.
        machine: bool,
    },
    /// `send_into` for a session.
    Send {
        /// Which session.
        session: u8,
        /// How many bytes.
        len: u16,
    },
    /// Time passes.
    Wait {
        /// Milliseconds, times 16.
        ms: u16,
    },
}

/// A fuzz input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// The seed (all 32 bytes this value).
    pub seed: u8,
    /// Small queues (two transmits, two events).
    pub tight: bool,
    /// The steps.
    pub ops: Vec<Op>,
}

fn check_bytes(op: &Op) -> Vec<u8> {
    let Op::Check {
        ufrag,
        remote,
        key,
        nominate,
        controlled,
        ..
    } = *op
    else {
        return Vec::new();
    };
    let username = format!("{}:{}", creds(ufrag).ufrag, creds(remote).ufrag);
    let mut out = Vec::new();
    let mut w = MessageWriter::new(
        &mut out,
        MessageType::new(Class::Request, Method::BINDING),
        TransactionId([ufrag; 12]),
    );
    let _ = w.add(&Username(&username));
    let _ = w.add(&Priority(1));
    let _ = if controlled {
        w.add(&IceControlled(1))
    } else {
        w.add(&IceControlling(1))
    };
    if nominate {
        let _ = w.add(&UseCandidate);
    }
    if let Ok(k) = Key::short_term(&creds(key).pwd) {
        let _ = w.add_message_integrity(&k);
    }
    let _ = w.add_fingerprint();
    w.finish();
    out
}

/// Runs `input`; panics when an invariant above breaks. Returns the server's counters.
pub fn server(input: &Input) -> super::Stats {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let mut config = Config::new(vec![
        LocalSocket::udp(SOCKETS[0]),
        LocalSocket::udp(SOCKETS[1]),
        LocalSocket::tcp(SOCKETS[2]),
    ]);
    config.rng_seed = Some([input.seed; 32]);
    if input.tight {
        config.max_transmits = 2;
        config.max_events = 2;
    }
    let (max_transmits, max_events) = (config.max_transmits, config.max_events);
    let Ok(mut s) = Server::new(now, config) else {
        panic!("a valid configuration is refused")
    };
    let mut sessions: Vec<(SessionId, u8)> = Vec::new();
    // The session whose check from a path (socket, source) was last answered.
    let mut owner: HashMap<(u8, SocketAddr), SessionId> = HashMap::new();
    for op in &input.ops {
        let pick =
            |n: u8| (!sessions.is_empty()).then(|| sessions[usize::from(n) % sessions.len()]);
        // The check of this step and whom it was for: (session, signed with its key).
        let mut asked: Option<(SessionId, u8, bool, u8, SocketAddr)> = None;
        match op {
            Op::Add { local, remote } => {
                let r = creds(4);
                if let Ok(id) = s.add_session(now, &creds(*local), remote.then_some(&r)) {
                    sessions.push((id, *local % 5));
                }
            }
            Op::SetRemote {
                session,
                remote,
                command,
            } => {
                if let Some((id, _)) = pick(*session) {
                    let _ = if *command {
                        s.handle_command(
                            now,
                            Command::SetRemoteCredentials {
                                session: id,
                                credentials: creds(*remote),
                            },
                        )
                    } else {
                        s.set_remote_credentials(now, id, &creds(*remote))
                    };
                }
            }
            Op::Remove { session, command } => {
                if let Some((id, _)) = pick(*session) {
                    let _ = if *command {
                        s.handle_command(now, Command::RemoveSession(id))
                    } else {
                        s.remove_session(now, id)
                    };
                    sessions.retain(|(x, _)| *x != id);
                }
            }
            Op::Check {
                ufrag,
                key,
                from: f,
                socket,
                ..
            } => {
                let bytes = check_bytes(op);
                let src = from(*f);
                if let Some(&(id, c)) = sessions.iter().find(|(_, c)| *c == *ufrag % 5) {
                    asked = Some((id, c, *key % 5 == c, *socket % 4, src));
                }
                let _ = s.route(now, arrival(src, *socket, &bytes));
            }
            Op::Raw {
                from: f,
                socket,
                bytes,
            } => {
                let _ = s.route(now, arrival(from(*f), *socket, bytes));
            }
            Op::Data {
                from: f,
                socket,
                machine,
            } => {
                let payload = [0x80, 96, 0, 1];
                let d = arrival(from(*f), *socket, &payload);
                if *machine {
                    s.handle_datagram(now, d);
                } else if let Routed::Data {
                    session,
                    payload: p,
                } = s.route(now, d)
                {
                    assert_eq!(p, payload.as_slice());
                    assert_eq!(
                        owner.get(&(*socket % 4, from(*f))),
                        Some(&session),
                        "data routed to a session that did not prove the path"
                    );
                }
            }
            Op::Send { session, len } => {
                if let Some((id, _)) = pick(*session) {
                    let data = vec![0x80; usize::from(*len)];
                    let mut buf = Vec::new();
                    if let Ok(t) = s.send_into(now, id, &data, &mut buf) {
                        let path = s.selected_path(id).expect("a sending session has a path");
                        assert_eq!((t.destination, t.source), (path.remote, Some(path.local)));
                        assert_eq!(buf, data);
                        assert!(s.state(id).is_some_and(|st| matches!(
                            st,
                            super::ConnectionState::Connected
                                | super::ConnectionState::Disconnected
                        )));
                    }
                }
            }
            Op::Wait { ms } => now += Duration::from_millis(u64::from(*ms) * 16),
        }
        // Drain as a driver would: one `handle_timeout` leaves nothing due.
        if s.poll_timeout().is_some_and(|t| t <= now) {
            s.handle_timeout(now);
        }
        assert!(
            s.poll_timeout().is_none_or(|t| t > now),
            "the server settles"
        );
        let mut sent = 0;
        loop {
            let mut buf = Vec::new();
            let Some(t) = s.poll_transmit(now, &mut buf) else {
                break;
            };
            sent += 1;
            assert!(t.source.is_some_and(|a| SOCKETS.contains(&a)), "{t:?}");
            let msg = Message::parse(&buf).expect("the server writes STUN that parses");
            if msg.class().is_response() {
                let (id, c, signed_right, socket, src) =
                    asked.expect("a response answers this step's check");
                assert!(signed_right, "a check signed with another key was answered");
                let k = Key::short_term(CREDS[usize::from(c)].1).expect("a password");
                msg.verify_integrity(&k)
                    .expect("signed with the session's key");
                if msg.class() == Class::SuccessResponse {
                    owner.insert((socket, src), id);
                }
            }
        }
        assert!(sent <= max_transmits.max(1) + 1);
        let mut events = 0;
        while let Some(e) = s.poll_event() {
            events += 1;
            assert!(
                sessions.iter().any(|(id, _)| *id == e.session())
                    || matches!(e, super::Event::Closed { .. }),
                "{e:?} is about no session"
            );
        }
        assert!(events <= max_events);
    }
    s.stats()
}
