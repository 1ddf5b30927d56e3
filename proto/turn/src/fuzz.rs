//! The structured fuzz target of the TURN server (not a public API): arbitrary sequences of
//! datagrams from several clients (5-tuples over UDP and TCP) and peers (IPv4, and IPv6 in
//! every spelling the peer policy unwraps), well-formed requests with valid credentials and
//! the nonce each 5-tuple was given (or another's), byte-for-byte replays of earlier requests
//! from other 5-tuples, time steps and socket results.
//!
//! Besides "no panic, every datagram sent parses, nothing outlives its lifetime", it checks
//! the hostile-client guarantees of issue 9: a replay from another 5-tuple never succeeds,
//! and nothing is relayed to a peer the policy refuses or to the relay's own address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};

use arbitrary::Arbitrary;
use wren_core::{BindError, Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_stun::attr::{
    AdditionalAddressFamily, AddressFamily, ChannelNumber, Data, EvenPort, Lifetime, Nonce, Realm,
    RequestedTransport, Username, XorPeerAddress,
};
use wren_stun::{AttrType, Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use crate::server::{Config as ServerConfig, PeerPolicy, Server as TurnServer, UserSecret};
use crate::wire::{ChannelData, ChannelNumber as Ch};

/// What a request carries.
#[derive(Debug, Arbitrary)]
pub enum Req {
    /// Allocate (REQUESTED-TRANSPORT UDP, optional EVEN-PORT, optionally dual-stack).
    Allocate { even: Option<bool>, dual: bool },
    /// Refresh with a lifetime in seconds.
    Refresh(u16),
    /// CreatePermission for peer `n`.
    Permit(u8),
    /// ChannelBind of channel 0x4000 + `ch` to peer `n`.
    Bind { ch: u16, peer: u8 },
}

/// One step.
#[derive(Debug, Arbitrary)]
pub enum ServerOp {
    /// Raw bytes from client `from` over UDP or TCP.
    Raw { from: u8, tcp: bool, bytes: Vec<u8> },
    /// A request from client `from` (over TCP when `tcp`), signed or not, with the nonce
    /// given to its 5-tuple or, with `nonce_of`, the one given to another's; with extra raw
    /// attributes.
    Request {
        from: u8,
        tcp: bool,
        signed: bool,
        nonce_of: Option<u8>,
        req: Req,
        extra: Vec<(u16, Vec<u8>)>,
    },
    /// One of the last signed requests sent, replayed byte for byte from client `from`.
    Replay { which: u8, from: u8, tcp: bool },
    /// A Send indication from client `from` to peer `peer`.
    Send { from: u8, peer: u8, data: Vec<u8> },
    /// ChannelData from client `from`.
    ChannelData { from: u8, ch: u16, data: Vec<u8> },
    /// A datagram from peer `peer` to relayed address number `relay`.
    FromPeer { peer: u8, relay: u8, data: Vec<u8> },
    /// Time passes.
    Wait(u16),
    /// The next bind fails.
    RefuseNextBind,
}

fn client(n: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, n % 8)),
        40000 + u16::from(n % 8),
    )
}

/// IPv6 peers: public ones, and spellings of refused IPv4 addresses (loopback, private,
/// link-local through NAT64, 6to4, Teredo, SIIT, IPv4-compatible and -mapped forms), and the
/// relay's own address as IPv4-mapped.
const V6_PEERS: [[u16; 8]; 10] = [
    [0x2a00, 0x1450, 0, 0, 0, 0, 0, 1],
    [0x2a00, 0x1450, 0, 0, 0, 0, 0, 2],
    [0, 0, 0, 0, 0, 0, 0x7f00, 1],
    [0x64, 0xff9b, 0, 0, 0, 0, 0xa9fe, 0xa9fe],
    [0x64, 0xff9b, 1, 0, 0, 0, 0x0a00, 1],
    [0x2002, 0x7f00, 1, 0, 0, 0, 0, 1],
    [0x2001, 0, 0x4136, 0xe378, 0x8000, 0x63bf, 0x80ff, 0xfffe],
    [0, 0, 0, 0, 0xffff, 0, 0x0a00, 1],
    [0xfec0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1],
];

/// Peer `n`: IPv4 peers in the allowed range, IPv6 ones of [`V6_PEERS`], and the relay's
/// own listening address.
fn peer(n: u8) -> SocketAddr {
    match n % 20 {
        i @ 0..8 => SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, i)), 6000),
        i @ 8..18 => SocketAddr::new(
            IpAddr::V6(Ipv6Addr::from(V6_PEERS[usize::from(i - 8)])),
            // The last one is the relay's own address, on its port.
            if i == 17 { 3478 } else { 6000 },
        ),
        _ => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3478),
    }
}

/// How many signed requests are kept for [`ServerOp::Replay`].
const REPLAYS: usize = 8;

/// A datagram from `source` to the server, over TCP or UDP.
fn from_client<'a>(
    source: SocketAddr,
    tcp: bool,
    listen: SocketAddr,
    bytes: &'a [u8],
) -> Datagram<'a> {
    Datagram {
        proto: if tcp { Transport::Tcp } else { Transport::Udp },
        source,
        destination: listen,
        ecn: None,
        payload: bytes,
    }
}

/// Runs the server over `ops`. Every datagram it sends must parse; once time runs past
/// every lifetime, no allocation, port or socket is left.
pub fn server(ops: &[ServerOp]) {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let mut now = Instant::now();
    let listen: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3478);
    let config = ServerConfig {
        realm: "fuzz".into(),
        users: [("u".to_owned(), UserSecret::Password("p".into()))].into(),
        relay_ips: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        min_port: 50000,
        max_port: 50015,
        peer_policy: PeerPolicy {
            allow: vec!["198.51.100.0/24".parse().unwrap_or_else(|_| unreachable!())],
            allow_loopback: true,
            ..Default::default()
        },
        listening: vec![listen],
        max_permissions: 6,
        max_channels: 4,
        user_quota: 6,
        max_bps: 100_000,
        queue_capacity: 64,
        rng_seed: Some([6; 32]),
        wall_clock: SystemTime::UNIX_EPOCH,
        ..Default::default()
    };
    let policy = config.peer_policy.clone();
    let Ok(mut server) = TurnServer::new(now, config) else {
        return;
    };
    let key = Key::long_term("u", "fuzz", "p").unwrap_or_else(|_| unreachable!());
    // The nonce each 5-tuple was given: (client, over TCP).
    let mut nonces: HashMap<(SocketAddr, bool), String> = HashMap::new();
    // The last signed requests and the 5-tuple whose nonce signs them (the only one it can
    // succeed from).
    let mut sent: Vec<(SocketAddr, bool, Vec<u8>)> = Vec::new();
    // A replay from another 5-tuple is being answered: to whom.
    let mut replayer: Option<SocketAddr> = None;
    let mut relays: Vec<SocketAddr> = Vec::new();
    let mut bound: Vec<SocketAddr> = Vec::new();
    let mut refuse = false;
    let mut buf = Vec::new();
    let mut scratch = Vec::new();
    let mut tid = 0u64;
    for op in ops {
        match op {
            ServerOp::Raw { from, tcp, bytes } => {
                let proto = if *tcp { Transport::Tcp } else { Transport::Udp };
                let d = Datagram {
                    proto,
                    source: client(*from),
                    destination: listen,
                    ecn: None,
                    payload: bytes,
                };
                server.handle_datagram(now, d);
            }
            ServerOp::Request {
                from,
                tcp,
                signed,
                nonce_of,
                req,
                extra,
            } => {
                scratch.clear();
                tid += 1;
                let mut id = [0u8; 12];
                id[..8].copy_from_slice(&tid.to_be_bytes());
                let method = match req {
                    Req::Allocate { .. } => Method::ALLOCATE,
                    Req::Refresh(_) => Method::REFRESH,
                    Req::Permit(_) => Method::CREATE_PERMISSION,
                    Req::Bind { .. } => Method::CHANNEL_BIND,
                };
                let mut w = MessageWriter::new(
                    &mut scratch,
                    MessageType::new(Class::Request, method),
                    TransactionId(id),
                );
                let _ = match req {
                    Req::Allocate { even, dual } => w
                        .add(&RequestedTransport::UDP)
                        .and_then(|()| match even {
                            Some(r) => w.add(&EvenPort { reserve: *r }),
                            None => Ok(()),
                        })
                        .and_then(|()| {
                            if *dual {
                                w.add(&AdditionalAddressFamily(AddressFamily::V6))
                            } else {
                                Ok(())
                            }
                        }),
                    Req::Refresh(s) => w.add(&Lifetime(Duration::from_secs(u64::from(*s)))),
                    Req::Permit(p) => w.add(&XorPeerAddress(peer(*p))),
                    Req::Bind { ch, peer: p } => w
                        .add(&ChannelNumber(0x4000u16.wrapping_add(*ch % 0x1100)))
                        .and_then(|()| w.add(&XorPeerAddress(peer(*p)))),
                };
                for (t, v) in extra.iter().take(4) {
                    let _ = w.add_raw(AttrType(*t), v);
                }
                let source = client(*from);
                let owner = match nonce_of {
                    Some(o) => (client(*o), *tcp),
                    None => (source, *tcp),
                };
                if *signed {
                    let nonce = nonces.get(&owner).map_or("none", String::as_str);
                    let _ = w.add(&Username("u"));
                    let _ = w.add(&Realm("fuzz"));
                    let _ = w.add(&Nonce(nonce));
                    let _ = w.add_message_integrity(&key);
                }
                w.finish();
                if *signed {
                    if sent.len() == REPLAYS {
                        sent.remove(0);
                    }
                    sent.push((owner.0, owner.1, scratch.clone()));
                }
                server.handle_datagram(now, from_client(source, *tcp, listen, &scratch));
            }
            ServerOp::Replay { which, from, tcp } => {
                if let Some((owner, owner_tcp, bytes)) =
                    sent.get(usize::from(*which) % sent.len().max(1))
                {
                    let source = client(*from);
                    if (source, *tcp) != (*owner, *owner_tcp) {
                        replayer = Some(source);
                    }
                    server.handle_datagram(now, from_client(source, *tcp, listen, bytes));
                }
            }
            ServerOp::Send {
                from,
                peer: p,
                data,
            } => {
                scratch.clear();
                let typ = MessageType::new(Class::Indication, Method::SEND);
                let mut w = MessageWriter::new(&mut scratch, typ, TransactionId([1; 12]));
                let _ = w
                    .add(&XorPeerAddress(peer(*p)))
                    .and_then(|()| w.add(&Data(data)));
                w.finish();
                server.handle_datagram(now, Datagram::udp(client(*from), listen, &scratch));
            }
            ServerOp::ChannelData { from, ch, data } => {
                scratch.clear();
                if let Some(ch) = Ch::new(0x4000u16.wrapping_add(*ch % 0x1000)) {
                    let _ = ChannelData::write(&mut scratch, ch, data, false);
                }
                server.handle_datagram(now, Datagram::udp(client(*from), listen, &scratch));
            }
            ServerOp::FromPeer {
                peer: p,
                relay,
                data,
            } => {
                if let Some(r) = relays.get(usize::from(*relay) % relays.len().max(1)) {
                    server.handle_datagram(now, Datagram::udp(peer(*p), *r, data));
                }
            }
            ServerOp::Wait(ms) => {
                now += Duration::from_millis(u64::from(*ms) * 50);
                server.handle_timeout(now);
            }
            ServerOp::RefuseNextBind => refuse = true,
        }
        // The driver: sockets, then transmits.
        while let Some(req) = server.poll_socket_request() {
            match req {
                SocketRequest::Bind {
                    addr, transport, ..
                } => {
                    let result = if std::mem::take(&mut refuse) {
                        SocketResult::Failed {
                            requested: addr,
                            transport,
                            error: BindError::AddrInUse,
                        }
                    } else {
                        assert!(!bound.contains(&addr), "{addr} bound twice");
                        bound.push(addr);
                        relays.push(addr);
                        SocketResult::Bound {
                            requested: addr,
                            bound: addr,
                            transport,
                        }
                    };
                    server.handle_socket_result(now, result);
                }
                SocketRequest::Close { addr, .. } => {
                    let at = bound.iter().position(|b| *b == addr);
                    assert!(at.is_some(), "closing {addr}, which is not bound");
                    if let Some(at) = at {
                        bound.swap_remove(at);
                    }
                }
                _ => {}
            }
        }
        loop {
            buf.clear();
            let Some(t) = server.poll_transmit(now, &mut buf) else {
                break;
            };
            if t.source.is_some_and(|s| relays.contains(&s)) {
                // Relayed to a peer: never one the policy refuses, never the relay itself.
                let to = t.destination;
                assert!(
                    policy.check(to.ip()).is_ok(),
                    "relayed to refused peer {to}"
                );
                assert!(to != listen, "relayed to the relay's own address");
                continue;
            }
            match wren_core::demux::classify_turn(&buf) {
                Some(wren_core::demux::TurnKind::ChannelData) => {
                    assert!(ChannelData::parse(&buf).is_ok(), "bad ChannelData sent")
                }
                _ => {
                    let msg = Message::parse(&buf);
                    assert!(msg.is_ok(), "bad STUN sent");
                    let Ok(msg) = msg else { continue };
                    if replayer == Some(t.destination) && msg.class() == Class::SuccessResponse {
                        // A Binding request replayed is answered, as any Binding is.
                        assert!(
                            msg.method() == Method::BINDING,
                            "a replay from another 5-tuple succeeded"
                        );
                    }
                    if let Ok(Some(n)) = msg.get::<Nonce<'_>>() {
                        let tcp = t.proto == Transport::Tcp;
                        nonces.insert((t.destination, tcp), n.0.to_owned());
                    }
                }
            }
        }
        while server.poll_event().is_some() {}
        replayer = None;
    }
    // Past every lifetime nothing is left.
    now += Duration::from_secs(4000);
    server.handle_timeout(now);
    while let Some(req) = server.poll_socket_request() {
        if let SocketRequest::Close { addr, .. } = req {
            bound.retain(|b| *b != addr);
        }
    }
    let stats = server.stats();
    assert_eq!(stats.allocations, 0, "allocations outlived their lifetime");
    assert_eq!(server.ports_in_use(), 0, "ports not returned to the pool");
    assert!(bound.is_empty(), "relay sockets left open: {bound:?}");
}
