//! The findings 3 to 8 of issue 9 (wren-relay under attack), each as an attacker would try
//! it, at the level of the sans-IO server: replayed nonces, IPv6 spellings of refused peers,
//! unbounded permissions and channels, quotas that leak, the relay as its own peer, noise.

use super::*;

/// A client other than [`CLIENT`].
const OTHER: &str = "192.0.2.66:40000";

/// Allocates for alice from `from`; her credentials (with a nonce for `from`) and the
/// relayed addresses.
fn allocate_from(
    net: &mut Net,
    from: SocketAddr,
    build: impl Fn(&mut MessageWriter<'_>),
) -> (Creds, Vec<SocketAddr>) {
    let c = creds("alice", "secret", &nonce_for(net, from));
    let r = net.send_to(
        from,
        addr(SERVER),
        &request(Method::ALLOCATE, Some(&c), |w| build(w)),
    );
    let m = Message::parse(&r[0].1).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse, "{:?}", code_of(&r[0].1));
    let relayed = m
        .attributes()
        .filter(|a| a.typ == AttrType::XOR_RELAYED_ADDRESS)
        .map(|a| {
            <XorRelayedAddress as wren_stun::Attribute<'_>>::decode(a.value, &m.transaction_id())
                .unwrap()
                .0
        })
        .collect();
    (c, relayed)
}

/// A signed request from `from`; its error code (None: success).
fn ask_from(
    net: &mut Net,
    from: SocketAddr,
    c: &Creds,
    method: Method,
    build: impl FnOnce(&mut MessageWriter<'_>),
) -> Option<u16> {
    let r = net.send_to(from, addr(SERVER), &request(method, Some(c), build));
    assert_eq!(r.len(), 1, "one answer");
    code_of(&r[0].1)
}

// -- finding 3: nonces bound to the client -----------------------------------------------

#[test]
fn a_signed_request_replayed_from_another_five_tuple_is_438() {
    let mut net = Net::new(config());
    let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    let allocate = request(Method::ALLOCATE, Some(&c), udp);
    // Captured on the wire and replayed byte for byte from elsewhere: another address, the
    // same address over TCP, the same address to another listening address of the relay.
    let elsewhere = [
        (addr(OTHER), addr(SERVER), Transport::Udp),
        (addr(CLIENT), addr(SERVER), Transport::Tcp),
        (addr(CLIENT), addr("127.0.0.2:3478"), Transport::Udp),
    ];
    for (i, (from, to, proto)) in elsewhere.into_iter().enumerate() {
        net.server.handle_datagram(
            net.now,
            Datagram {
                proto,
                source: from,
                destination: to,
                ecn: None,
                payload: &allocate,
            },
        );
        let out = net.drain();
        assert_eq!(out.len(), 1);
        assert_eq!(code_of(&out[0].1), Some(438), "replay {i}");
        let fresh = nonce_of(&out[0].1);
        assert_ne!(fresh, c.nonce, "a nonce of the replayer's own");
        assert_eq!(net.server.stats().nonces_foreign, i as u64 + 1);
    }
    assert_eq!(
        net.server.stats().allocations,
        0,
        "the replays allocated nothing"
    );
    assert_eq!(net.server.ports_in_use(), 0);
    // The victim's own request still works, from its own 5-tuple.
    assert_eq!(code_of(&net.ask(&allocate)), None);
    // A CreatePermission replayed from another 5-tuple: 438 too (not 437, which would say
    // the nonce was good).
    let permit = request(Method::CREATE_PERMISSION, Some(&c), |w| {
        w.add(&XorPeerAddress(addr(PEER))).unwrap()
    });
    let r = net.send_to(addr(OTHER), addr(SERVER), &permit);
    assert_eq!(code_of(&r[0].1), Some(438));
    assert_eq!(code_of(&net.ask(&permit)), None);
    assert_eq!(net.server.stats().nonces_foreign, 4);
    assert_eq!(net.server.stats().nonces_stale, 0);
}

#[test]
fn a_nonce_lives_an_hour_at_most_whatever_is_configured() {
    for lifetime in [Duration::ZERO, Duration::from_secs(u64::from(u32::MAX))] {
        let mut cfg = config();
        cfg.nonce_lifetime = lifetime;
        let mut net = Net::new(cfg);
        let challenge = net.ask(&request(Method::ALLOCATE, None, udp));
        let c = creds("alice", "secret", &nonce_of(&challenge));
        net.advance(Duration::from_secs(3599));
        assert_eq!(
            code_of(&net.ask(&request(Method::ALLOCATE, Some(&c), udp))),
            None,
            "{lifetime:?}: good for 3599 s"
        );
        net.advance(Duration::from_secs(2));
        assert_eq!(
            code_of(&net.ask(&request(Method::REFRESH, Some(&c), |_| {}))),
            Some(438),
            "{lifetime:?}: stale after 3600 s"
        );
        assert_eq!(net.server.stats().nonces_stale, 1);
    }
}

// -- finding 4: IPv6 spellings of refused IPv4 peers ---------------------------------------

/// Every spelling issue 9 lists (and the site-local and discard prefixes), as peers.
const SPELLINGS: &[&str] = &[
    "[::127.0.0.1]:9",
    "[::10.0.0.1]:9",
    "[64:ff9b::7f00:1]:9",
    "[64:ff9b::a9fe:a9fe]:80",
    "[64:ff9b:1::a00:1]:9",
    "[2002:7f00:1::1]:9",
    "[::ffff:0:a00:1]:9",
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]:9",
    "[2001:0:a00:1:8000:63bf:f7f7:f7f7]:9",
    "[fec0::1]:9",
    "[100::1]:9",
    "[::ffff:127.0.0.1]:9",
];

/// A relay with an IPv4 and an IPv6 address.
fn dual_stack() -> Config {
    let mut cfg = config();
    cfg.relay_ips.push("::1".parse().unwrap());
    cfg
}

fn dual(w: &mut MessageWriter<'_>) {
    udp(w);
    w.add(&AdditionalAddressFamily(AddressFamily::V6)).unwrap();
}

#[test]
fn ipv6_spellings_of_refused_peers_are_403_on_a_dual_stack_allocation() {
    let mut net = Net::new(dual_stack());
    let (c, relayed) = allocate_from(&mut net, addr(CLIENT), dual);
    assert_eq!(relayed.len(), 2, "dual stack");
    for (i, peer) in SPELLINGS.iter().enumerate() {
        assert_eq!(permit(&mut net, &c, peer), Some(403), "{peer}");
        assert_eq!(bind(&mut net, &c, 0x4000, peer), Some(403), "{peer}");
        assert_eq!(
            net.server.stats().peers_refused.iter().sum::<u64>(),
            2 * (i as u64 + 1)
        );
    }
    assert_eq!(net.server.stats().permissions, 0);
    assert_eq!(net.server.stats().channels, 0);
    // A public IPv6 peer is fine.
    assert_eq!(permit(&mut net, &c, "[2a00:1450::1]:9"), None);
}

#[test]
fn ipv6_spellings_of_a_denied_ipv4_range_are_403() {
    let spellings = [
        "[::ffff:8.8.8.8]:9",
        "[::8.8.8.8]:9",
        "[::ffff:0:808:808]:9",
        "[64:ff9b::808:808]:9",
        "[64:ff9b:1::808:808]:9",
        "[64:ff9b:1:808:8:800::]:9",
        "[2002:808:808::1]:9",
        "[2001:0:808:808:8000:63bf:fefd:fcfb]:9",
        "[2001:0:4136:e378:8000:63bf:f7f7:f7f7]:9",
    ];
    // Without the deny range each is a public peer...
    let mut net = Net::new(dual_stack());
    let (c, _) = allocate_from(&mut net, addr(CLIENT), dual);
    for peer in spellings {
        assert_eq!(permit(&mut net, &c, peer), None, "{peer}");
    }
    // ...with it, each is refused as 8.8.8.8 is.
    let mut cfg = dual_stack();
    cfg.peer_policy.deny = vec!["8.8.8.0/24".parse().unwrap()];
    let mut net = Net::new(cfg);
    let (c, _) = allocate_from(&mut net, addr(CLIENT), dual);
    assert_eq!(permit(&mut net, &c, "8.8.8.8:9"), Some(403));
    for peer in spellings {
        assert_eq!(permit(&mut net, &c, peer), Some(403), "{peer}");
        assert_eq!(bind(&mut net, &c, 0x4001, peer), Some(403), "{peer}");
    }
    let denied = net.server.stats().peers_refused[Refusal::Denied.index()];
    assert_eq!(denied, 1 + 2 * spellings.len() as u64);
}

// -- finding 5: permissions and channels capped --------------------------------------------

/// A public peer address, distinct for each `i` below 65536.
fn public_peer(i: u32) -> String {
    let ip = std::net::Ipv4Addr::from(0x0808_0000 + i);
    format!("{ip}:9")
}

#[test]
fn the_1025th_permission_is_508() {
    let mut net = Net::new(config());
    let (c, _) = allocate(&mut net);
    for i in 0..1024 {
        assert_eq!(
            permit(&mut net, &c, &public_peer(i)),
            None,
            "permission {i}"
        );
    }
    assert_eq!(net.server.stats().permissions, 1024);
    assert_eq!(permit(&mut net, &c, &public_peer(1024)), Some(508));
    assert_eq!(net.server.stats().permissions, 1024, "refused, not added");
    assert_eq!(net.server.stats().permission_cap_hits, 1);
    // A ChannelBind that would add a permission is refused too.
    assert_eq!(bind(&mut net, &c, 0x4000, &public_peer(2000)), Some(508));
    assert_eq!(net.server.stats().permission_cap_hits, 2);
    // Refreshing a permission held, and a channel to a permitted peer, still work.
    assert_eq!(permit(&mut net, &c, &public_peer(7)), None);
    assert_eq!(bind(&mut net, &c, 0x4000, &public_peer(8)), None);
    // All or none: a request for a held peer and one more is refused whole.
    let r = net.ask(&request(Method::CREATE_PERMISSION, Some(&c), |w| {
        w.add(&XorPeerAddress(addr(&public_peer(9)))).unwrap();
        w.add(&XorPeerAddress(addr(&public_peer(3000)))).unwrap();
    }));
    assert_eq!(code_of(&r), Some(508));
    // Once they expire there is room again.
    net.run_for(PERMISSION_LIFETIME + Duration::from_secs(1));
    assert_eq!(permit(&mut net, &c, &public_peer(1024)), None);
}

#[test]
fn channels_and_permissions_are_capped_as_configured() {
    let mut cfg = config();
    cfg.max_channels = 3;
    cfg.max_permissions = 5;
    let mut net = Net::new(cfg);
    let (c, _) = allocate(&mut net);
    for i in 0..3u16 {
        // Three channels to ports of one peer IP: one permission.
        let peer = format!("198.51.100.7:{}", 6000 + i);
        assert_eq!(bind(&mut net, &c, 0x4000 + i, &peer), None);
    }
    assert_eq!(bind(&mut net, &c, 0x4003, "198.51.100.7:7000"), Some(508));
    assert_eq!(net.server.stats().channel_cap_hits, 1);
    // A refresh of a channel held is no new channel; a conflict is still 400.
    assert_eq!(bind(&mut net, &c, 0x4001, "198.51.100.7:6001"), None);
    assert_eq!(bind(&mut net, &c, 0x4001, "198.51.100.7:7001"), Some(400));
    for i in 0..4 {
        assert_eq!(permit(&mut net, &c, &public_peer(i)), None);
    }
    assert_eq!(permit(&mut net, &c, &public_peer(4)), Some(508));
    assert_eq!(net.server.stats().permission_cap_hits, 1);
    assert_eq!(net.server.stats().permissions, 5);
    assert_eq!(net.server.stats().channels, 3);
}

// -- finding 6: quotas ----------------------------------------------------------------------

/// REST API credentials for `username` (secret "north").
fn rest(username: &'static str, nonce: String) -> Creds {
    Creds {
        user: username,
        key: Key::long_term(username, REALM_, &rest_password("north", username)).unwrap(),
        nonce,
    }
}

#[test]
fn user_quota_counts_rest_users_across_timestamps() {
    let mut cfg = config();
    cfg.users.clear();
    cfg.rest_secret = Some("north".into());
    cfg.user_quota = 2;
    let mut net = Net::new(cfg);
    let names = [
        "1700000600:bob",
        "1700000601:bob",
        "1700000602:bob",
        "1700000603:bob",
        "1700000604:bob",
        "1700000605:bob",
    ];
    let mut answers = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let from = SocketAddr::new("192.0.2.20".parse().unwrap(), 1000 + i as u16);
        let c = rest(name, nonce_for(&mut net, from));
        answers.push(ask_from(&mut net, from, &c, Method::ALLOCATE, udp));
    }
    assert_eq!(
        answers,
        [None, None, Some(486), Some(486), Some(486), Some(486)],
        "one user, six timestamps: user-quota allocations"
    );
    assert_eq!(net.server.stats().user_quota_refusals, 4);
    // Another user has a quota of its own; and `expiry:bob` is not `bob` of another
    // separator position: `1700000600:bobby` is someone else.
    for (i, name) in ["1700000600:carol", "1700000600:bobby"]
        .into_iter()
        .enumerate()
    {
        let from = SocketAddr::new("192.0.2.21".parse().unwrap(), 1000 + i as u16);
        let c = rest(name, nonce_for(&mut net, from));
        assert_eq!(
            ask_from(&mut net, from, &c, Method::ALLOCATE, udp),
            None,
            "{name}"
        );
    }
}

#[test]
fn even_port_reservations_count_against_user_and_total_quotas() {
    let mut cfg = config();
    cfg.user_quota = 2;
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    let even = |w: &mut MessageWriter<'_>| {
        udp(w);
        w.add(&EvenPort { reserve: true }).unwrap();
    };
    // An allocation and its reservation: two of alice's two.
    let (c, _) = allocate_from(&mut net, addr(CLIENT), even);
    assert_eq!(net.server.ports_in_use(), 2);
    // Allocate and delete: the reservation stays, and still counts.
    assert_eq!(
        ask_from(&mut net, addr(CLIENT), &c, Method::REFRESH, |w| {
            w.add(&Lifetime(Duration::ZERO)).unwrap()
        }),
        None
    );
    assert_eq!(
        net.server.ports_in_use(),
        1,
        "the reservation holds its port"
    );
    let other = addr(OTHER);
    let c2 = creds("alice", "secret", &nonce_for(&mut net, other));
    assert_eq!(
        ask_from(&mut net, other, &c2, Method::ALLOCATE, even),
        Some(486),
        "one reservation held, and two more asked for"
    );
    assert_eq!(net.server.stats().user_quota_refusals, 1);
    assert_eq!(net.server.ports_in_use(), 1, "nothing pinned");
    // A plain allocation fits (one reservation + one allocation).
    assert_eq!(ask_from(&mut net, other, &c2, Method::ALLOCATE, udp), None);
    // Bob's quota is his own.
    let third = addr("192.0.2.67:1");
    let bob = creds("bob", "pw", &nonce_for(&mut net, third));
    assert_eq!(
        ask_from(&mut net, third, &bob, Method::ALLOCATE, even),
        None
    );
    // When the reservation runs out, alice has room again.
    net.run_for(Duration::from_secs(31));
    let fourth = addr("192.0.2.68:1");
    let c4 = creds("alice", "secret", &nonce_for(&mut net, fourth));
    assert_eq!(ask_from(&mut net, fourth, &c4, Method::ALLOCATE, udp), None);

    // The total quota counts reservations too.
    let mut cfg = config();
    cfg.total_quota = 2;
    cfg.users
        .insert("bob".into(), UserSecret::Password("pw".into()));
    let mut net = Net::new(cfg);
    allocate_from(&mut net, addr(CLIENT), even);
    let bob = creds("bob", "pw", &nonce_for(&mut net, other));
    assert_eq!(
        ask_from(&mut net, other, &bob, Method::ALLOCATE, udp),
        Some(486)
    );
    assert_eq!(net.server.stats().total_quota_refusals, 1);
}

#[test]
fn redeeming_a_reservation_at_the_quota_is_allowed() {
    let mut cfg = config();
    cfg.user_quota = 2;
    let mut net = Net::new(cfg);
    let (_, relayed) = allocate_from(&mut net, addr(CLIENT), |w| {
        udp(w);
        w.add(&EvenPort { reserve: true }).unwrap();
    });
    // Read the token from a retransmission of the Allocate (same answer).
    let challenge_nonce = nonce_for(&mut net, addr(CLIENT));
    let c = creds("alice", "secret", &challenge_nonce);
    let again = net.ask(&request(Method::ALLOCATE, Some(&c), |w| {
        udp(w);
        w.add(&EvenPort { reserve: true }).unwrap();
    }));
    let token = Message::parse(&again)
        .unwrap()
        .require::<ReservationToken>()
        .unwrap();
    // Alice holds two (allocation + reservation); redeeming turns the reservation into an
    // allocation, which fits.
    let other = addr(OTHER);
    let c2 = creds("alice", "secret", &nonce_for(&mut net, other));
    assert_eq!(
        ask_from(&mut net, other, &c2, Method::ALLOCATE, |w| {
            udp(w);
            w.add(&token).unwrap();
        }),
        None
    );
    assert_eq!(net.server.stats().allocations, 2);
    assert_eq!(net.server.ports_in_use(), 2);
    assert_eq!(relayed[0].port() % 2, 0);
}

// -- finding 7: the relay as its own peer; broadcast and link-local multicast ----------------

fn own_address_config() -> Config {
    let mut cfg = loopback_peers();
    cfg.listening = vec![addr(SERVER), addr("127.0.0.1:5349")];
    cfg.relay_ips.push("::1".parse().unwrap());
    cfg
}

#[test]
fn the_relays_own_listening_addresses_are_refused_as_peers() {
    let mut net = Net::new(own_address_config());
    let (c, relayed) = allocate_from(&mut net, addr(CLIENT), dual);
    for own in [
        SERVER,
        "127.0.0.1:5349",
        "[::ffff:127.0.0.1]:3478",
        "[::127.0.0.1]:3478",
    ] {
        assert_eq!(permit(&mut net, &c, own), Some(403), "{own}");
        assert_eq!(bind(&mut net, &c, 0x4000, own), Some(403), "{own}");
    }
    let own = net.server.stats().peers_refused[Refusal::OwnAddress.index()];
    assert_eq!(own, 8);
    // Another port of the relay's IP (where other allocations' relayed addresses live) is a
    // peer like any other; with that permission (by IP) a Send indication to the listening
    // port is dropped and counted.
    assert_eq!(permit(&mut net, &c, "127.0.0.1:9"), None);
    let mut send = Vec::new();
    let mut w = MessageWriter::new(
        &mut send,
        MessageType::new(Class::Indication, Method::SEND),
        TransactionId([9; 12]),
    );
    w.add(&XorPeerAddress(addr(SERVER))).unwrap();
    w.add(&Data(b"an Allocate, TURN in TURN")).unwrap();
    w.finish();
    assert!(net.send(&send).is_empty(), "not relayed");
    assert_eq!(net.server.stats().dropped_own_address, 1);
    assert_eq!(net.server.stats().packets_to_peers, 0);
    assert_eq!(relayed.len(), 2);
}

#[test]
fn two_clients_of_one_relay_talk_through_it() {
    let mut net = Net::new(own_address_config());
    let (a, ra) = allocate_from(&mut net, addr(CLIENT), udp);
    let (b, rb) = allocate_from(&mut net, addr(OTHER), udp);
    let (ra, rb) = (ra[0], rb[0]);
    let perm =
        |peer: SocketAddr| move |w: &mut MessageWriter<'_>| w.add(&XorPeerAddress(peer)).unwrap();
    assert_eq!(
        ask_from(
            &mut net,
            addr(CLIENT),
            &a,
            Method::CREATE_PERMISSION,
            perm(rb)
        ),
        None
    );
    assert_eq!(
        ask_from(
            &mut net,
            addr(OTHER),
            &b,
            Method::CREATE_PERMISSION,
            perm(ra)
        ),
        None
    );
    assert_eq!(
        ask_from(&mut net, addr(OTHER), &b, Method::CHANNEL_BIND, |w| {
            w.add(&ChannelNumber(0x4001)).unwrap();
            w.add(&XorPeerAddress(ra)).unwrap();
        }),
        None
    );
    // A's Send indication to B's relayed address leaves from A's relayed address...
    let mut send = Vec::new();
    let mut w = MessageWriter::new(
        &mut send,
        MessageType::new(Class::Indication, Method::SEND),
        TransactionId([3; 12]),
    );
    w.add(&XorPeerAddress(rb)).unwrap();
    w.add(&Data(b"hello b")).unwrap();
    w.finish();
    let out = net.send(&send);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].0.source, out[0].0.destination), (Some(ra), rb));
    // ...and, as the kernel loops it back, reaches B on its channel.
    let out = net.send_to(ra, rb, &out[0].1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.destination, addr(OTHER));
    let cd = ChannelData::parse(&out[0].1).unwrap();
    assert_eq!((cd.channel.get(), cd.data), (0x4001, &b"hello b"[..]));
    // B answers on its channel; A gets a Data indication from B's relayed address.
    let mut back = Vec::new();
    ChannelData::write(&mut back, Ch::new(0x4001).unwrap(), b"hello a", false).unwrap();
    let out = net.send_to(addr(OTHER), addr(SERVER), &back);
    assert_eq!((out[0].0.source, out[0].0.destination), (Some(rb), ra));
    let out = net.send_to(rb, ra, &out[0].1);
    assert_eq!(out[0].0.destination, addr(CLIENT));
    let m = Message::parse(&out[0].1).unwrap();
    assert_eq!(m.require::<XorPeerAddress>().unwrap().0, rb);
    assert_eq!(m.require::<Data<'_>>().unwrap().0, b"hello a");
}

#[test]
fn broadcast_and_link_local_multicast_are_refused_even_with_multicast_allowed() {
    let mut cfg = dual_stack();
    cfg.peer_policy.allow_multicast = true;
    let mut net = Net::new(cfg);
    let (c, _) = allocate_from(&mut net, addr(CLIENT), dual);
    for peer in [
        "255.255.255.255:9",
        "224.0.0.1:9",
        "224.0.0.251:5353",
        "[ff02::1]:9",
    ] {
        assert_eq!(permit(&mut net, &c, peer), Some(403), "{peer}");
    }
    assert_eq!(permit(&mut net, &c, "239.255.255.250:1900"), None);
    assert_eq!(
        net.server.stats().peers_refused[Refusal::Multicast.index()],
        4
    );
}

// -- finding 8: noise ----------------------------------------------------------------------

#[test]
fn a_request_of_an_unknown_method_is_a_short_400() {
    let mut net = Net::new(config());
    for method in [Method::CONNECT, Method::CONNECTION_BIND, Method::DATA] {
        let r = net.ask(&request(method, None, |_| {}));
        let m = Message::parse(&r).unwrap();
        assert_eq!(code_of(&r), Some(400), "{method:?}");
        assert!(m.get::<Realm<'_>>().unwrap().is_none(), "no challenge");
        assert!(m.get::<Nonce<'_>>().unwrap().is_none(), "no nonce");
        assert!(r.len() <= 40, "{} bytes", r.len());
    }
    // Signed, it is still 400 (and no authentication failure).
    let nonce = nonce_of(&net.ask(&request(Method::ALLOCATE, None, udp)));
    let c = creds("alice", "secret", &nonce);
    assert_eq!(
        code_of(&net.ask(&request(Method::CONNECT, Some(&c), |_| {}))),
        Some(400)
    );
    assert_eq!(net.server.stats().unknown_methods, 4);
    assert_eq!(net.server.stats().auth_failures, 0);
}
