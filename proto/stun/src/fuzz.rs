//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::attr::AnyAttribute;
use crate::{Key, Message, MessageWriter};

/// Decodes `data` as a message, walks and decodes every attribute, checks integrity and
/// fingerprint, and re-encodes what decoded. Must never panic.
pub fn decode(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let key = Key::from_bytes(b"fuzz");
    let _ = msg.verify_integrity(&key);
    let _ = msg.verify_fingerprint();
    let _ = msg.unknown_comprehension_required().count();
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut w = MessageWriter::new(&mut out, msg.message_type(), msg.transaction_id());
    for raw in msg.attributes() {
        if let Ok(attr) = AnyAttribute::decode(raw, &msg.transaction_id()) {
            let _ = attr.write_to(&mut w);
        }
    }
    let _ = w.add_message_integrity(&key);
    let _ = w.add_fingerprint();
    let len = w.finish();
    // What we write must always parse back.
    assert!(
        Message::parse(&out[..len]).is_ok(),
        "re-encoded message does not parse"
    );
}

#[cfg(feature = "fuzzing")]
pub use structured::*;

#[cfg(feature = "fuzzing")]
mod structured {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    use std::time::{Duration, Instant};

    use arbitrary::Arbitrary;
    use wren_core::{Datagram, Machine, Transport};

    use crate::client::{Auth, Client, Config as ClientConfig};
    use crate::server::{Config as ServerConfig, FingerprintPolicy, Server as BindingServer};
    use crate::{MessageType, MessageWriter, TransactionId};

    /// One step of a Binding server fuzz run.
    #[derive(Debug, Arbitrary)]
    pub enum ServerOp {
        /// Raw bytes from client number `from`.
        Raw { from: u8, tcp: bool, bytes: Vec<u8> },
        /// A well-formed request with arbitrary attributes appended raw.
        Request {
            from: u8,
            legacy: bool,
            attrs: Vec<(u16, Vec<u8>)>,
            fingerprint: bool,
        },
        /// Drain `n` transmits.
        Drain(u8),
        /// Time passes.
        Wait(u16),
    }

    fn addr(n: u8) -> SocketAddr {
        SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)),
            40000 + u16::from(n),
        )
    }

    /// Runs a Binding server (with and without credentials) over the ops. Every response it
    /// sends must parse and answer a request.
    pub fn binding_server(ops: &[ServerOp], with_auth: bool) {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let mut now = Instant::now();
        let users = if with_auth {
            [("user".to_owned(), "pass".to_owned())].into()
        } else {
            Default::default()
        };
        let config = ServerConfig {
            software: Some("fuzz".into()),
            fingerprint: FingerprintPolicy::Always,
            short_term_users: users,
            queue_capacity: 16,
            ..Default::default()
        };
        let Ok(mut server) = BindingServer::new(config) else {
            return;
        };
        let local: SocketAddr = "127.0.0.1:3478".parse().unwrap_or_else(|_| unreachable!());
        let mut buf = Vec::new();
        let mut scratch = Vec::new();
        for op in ops {
            match op {
                ServerOp::Raw { from, tcp, bytes } => {
                    let proto = if *tcp { Transport::Tcp } else { Transport::Udp };
                    let d = Datagram {
                        proto,
                        source: addr(*from),
                        destination: local,
                        ecn: None,
                        payload: bytes,
                    };
                    server.handle_datagram(now, d);
                }
                ServerOp::Request {
                    from,
                    legacy,
                    attrs,
                    fingerprint,
                } => {
                    scratch.clear();
                    let mut w = if *legacy {
                        MessageWriter::new_rfc3489(
                            &mut scratch,
                            MessageType::BINDING_REQUEST,
                            [7; 16],
                        )
                    } else {
                        MessageWriter::new(
                            &mut scratch,
                            MessageType::BINDING_REQUEST,
                            TransactionId([7; 12]),
                        )
                    };
                    for (t, v) in attrs {
                        let _ = w.add_raw(crate::AttrType(*t), v);
                    }
                    if *fingerprint {
                        let _ = w.add_fingerprint();
                    }
                    w.finish();
                    server.handle_datagram(now, Datagram::udp(addr(*from), local, &scratch));
                }
                ServerOp::Drain(n) => {
                    for _ in 0..*n {
                        buf.clear();
                        if server.poll_transmit(now, &mut buf).is_none() {
                            break;
                        }
                        assert!(
                            crate::Message::parse(&buf).is_ok(),
                            "the server sent a malformed message"
                        );
                    }
                }
                ServerOp::Wait(ms) => now += Duration::from_millis(u64::from(*ms)),
            }
        }
    }

    /// One step of a client fuzz run.
    #[derive(Debug, Arbitrary)]
    pub enum ClientOp {
        /// Start a Binding transaction, with long-term credentials when `long_term`.
        Start { tcp: bool, long_term: bool },
        /// Bytes from the server (or, with `spoofed`, from elsewhere).
        Response { spoofed: bool, bytes: Vec<u8> },
        /// A response echoing the transaction ID of the `n`-th request transmitted.
        Echo {
            n: u8,
            class: u8,
            attrs: Vec<(u16, Vec<u8>)>,
        },
        /// Time passes, then timers run.
        Wait(u16),
        /// Drain transmits and events.
        Drain,
    }

    /// Runs a client over the ops; it must stay consistent (every started transaction ends
    /// in exactly one event, eventually).
    pub fn client(ops: &[ClientOp]) {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let mut now = Instant::now();
        let config = ClientConfig {
            rng_seed: Some([3; 32]),
            max_transactions: 8,
            ..Default::default()
        };
        let mut client = Client::new(now, config);
        let server: SocketAddr = "127.0.0.1:3478".parse().unwrap_or_else(|_| unreachable!());
        let local: SocketAddr = "127.0.0.1:50000".parse().unwrap_or_else(|_| unreachable!());
        let mut sent = Vec::new();
        let mut buf = Vec::new();
        let mut scratch = Vec::new();
        for op in ops {
            match op {
                ClientOp::Start { tcp, long_term } => {
                    let proto = if *tcp { Transport::Tcp } else { Transport::Udp };
                    let auth = if *long_term {
                        Auth::LongTerm {
                            username: "user".into(),
                            password: "pass".into(),
                        }
                    } else {
                        Auth::None
                    };
                    let started = client.request(
                        now,
                        proto,
                        None,
                        server,
                        crate::Method::BINDING,
                        auth,
                        |_| Ok(()),
                    );
                    // Refused only when too many are in flight; the run goes on.
                    let _ = started;
                }
                ClientOp::Response { spoofed, bytes } => {
                    let from = if *spoofed { local } else { server };
                    client.handle_datagram(now, Datagram::udp(from, local, bytes));
                }
                ClientOp::Echo { n, class, attrs } => {
                    let Some(id) = sent.get(usize::from(*n) % sent.len().max(1)) else {
                        continue;
                    };
                    scratch.clear();
                    let class = [crate::Class::SuccessResponse, crate::Class::ErrorResponse]
                        [usize::from(*class % 2)];
                    let typ = MessageType::new(class, crate::Method::BINDING);
                    let mut w = MessageWriter::new(&mut scratch, typ, *id);
                    for (t, v) in attrs {
                        let _ = w.add_raw(crate::AttrType(*t), v);
                    }
                    w.finish();
                    client.handle_datagram(now, Datagram::udp(server, local, &scratch));
                }
                ClientOp::Wait(ms) => {
                    now += Duration::from_millis(u64::from(*ms));
                    client.handle_timeout(now);
                }
                ClientOp::Drain => {
                    buf.clear();
                    while client.poll_transmit(now, &mut buf).is_some() {
                        if let Ok(m) = crate::Message::parse(&buf) {
                            sent.push(m.transaction_id());
                        }
                        buf.clear();
                    }
                    while client.poll_event().is_some() {}
                }
            }
        }
        // Whatever happened, running the clock out ends every transaction.
        for _ in 0..64 {
            let Some(t) = client.poll_timeout() else {
                break;
            };
            now = now.max(t);
            client.handle_timeout(now);
        }
        assert_eq!(client.in_flight(), 0, "a transaction outlived its timeout");
    }
}
