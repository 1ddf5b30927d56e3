//! TCP and TLS allocations live and die with their connection (RFC 8656 section 3.1), and a
//! connection that never allocates is closed at `max_allocate_timeout` (issue 9, findings 1
//! and 2, at the level of the sans-IO server).

use super::*;

fn tcp_five() -> FiveTuple {
    FiveTuple {
        client: addr(CLIENT),
        server: addr(SERVER),
        transport: Transport::Tcp,
    }
}

impl Net {
    fn send_tcp(&mut self, bytes: &[u8]) -> Vec<(Transmit, Vec<u8>)> {
        self.server
            .handle_datagram(self.now, Datagram::tcp(addr(CLIENT), addr(SERVER), bytes));
        self.drain()
    }

    /// One response, over TCP, to a request from the client's connection.
    fn ask_tcp(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = self.send_tcp(bytes);
        assert_eq!(out.len(), 1, "expected one response, got {}", out.len());
        let (t, buf) = out.pop().unwrap();
        assert_eq!((t.proto, t.destination), (Transport::Tcp, addr(CLIENT)));
        buf
    }

    /// The driver reports `five`'s connection closed.
    fn disconnected(&mut self, five: FiveTuple) {
        self.server.handle_socket_result(
            self.now,
            SocketResult::Disconnected {
                local: five.server,
                remote: five.client,
                transport: five.transport,
            },
        );
        self.sockets();
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.server.poll_event()).collect()
    }
}

/// Allocates for alice over TCP; her credentials and the relayed address.
fn allocate_tcp(net: &mut Net) -> (Creds, SocketAddr) {
    let challenge = net.ask_tcp(&request(Method::ALLOCATE, None, udp));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    let ok = net.ask_tcp(&request(Method::ALLOCATE, Some(&c), udp));
    let m = Message::parse(&ok).unwrap();
    assert_eq!(m.class(), Class::SuccessResponse, "{:?}", code_of(&ok));
    (c, m.require::<XorRelayedAddress>().unwrap().0)
}

#[test]
fn a_tcp_allocation_goes_with_its_connection_and_a_newcomer_on_its_address_gets_nothing() {
    let mut net = Net::new(config());
    let (c, relayed) = allocate_tcp(&mut net);
    let permission = request(Method::CREATE_PERMISSION, Some(&c), |w| {
        w.add(&XorPeerAddress(addr(PEER))).unwrap()
    });
    assert_eq!(code_of(&net.ask_tcp(&permission)), None);
    assert_eq!(net.send_to(addr(PEER), relayed, b"media").len(), 1);
    net.events();

    net.disconnected(tcp_five());
    assert_eq!(
        net.events(),
        [Event::Closed {
            five: tcp_five(),
            reason: CloseReason::ConnectionClosed,
        }]
    );
    assert!(
        !net.bound.contains(&relayed),
        "the relayed socket is closed"
    );
    let stats = net.server.stats();
    assert_eq!((stats.allocations, stats.allocations_disconnected), (0, 1));
    assert_eq!(net.server.ports_in_use(), 0);

    // The peer's media goes nowhere: no delivery, and no connection dialled to the client.
    assert!(net.send_to(addr(PEER), relayed, b"media").is_empty());
    assert_eq!(
        net.server.stats().packets_to_clients,
        1,
        "only the one before"
    );

    // A newcomer connecting from the same address and port, replaying what the client
    // sent, has no allocation to use.
    assert_eq!(code_of(&net.ask_tcp(&permission)), Some(437));
    let mut cd = Vec::new();
    ChannelData::write(&mut cd, Ch::new(0x4000).unwrap(), b"x", true).unwrap();
    assert!(net.send_tcp(&cd).is_empty());
    assert_eq!(net.server.stats().packets_to_peers, 0);
}

#[test]
fn a_udp_five_tuple_or_an_unknown_connection_closing_changes_nothing() {
    let mut net = Net::new(config());
    let (_, relayed) = allocate(&mut net);
    net.events();
    let udp_five = FiveTuple {
        transport: Transport::Udp,
        ..tcp_five()
    };
    net.disconnected(udp_five);
    net.disconnected(tcp_five());
    assert!(net.events().is_empty());
    assert_eq!(net.server.stats().allocations, 1);
    assert!(net.bound.contains(&relayed));
}

#[test]
fn a_connection_that_never_allocates_is_closed_at_max_allocate_timeout() {
    let mut net = Net::new(config());
    let timeout = Config::default().max_allocate_timeout;
    assert_eq!(timeout, Duration::from_secs(60), "coturn's default");
    let binding = {
        let mut buf = Vec::new();
        MessageWriter::new(
            &mut buf,
            MessageType::new(Class::Request, Method::BINDING),
            TransactionId([3; 12]),
        )
        .finish();
        buf
    };
    let start = net.now;
    assert_eq!(net.send_tcp(&binding).len(), 1);
    // A UDP client is never closed.
    assert_eq!(net.send(&binding).len(), 1);
    assert_eq!(
        net.server.next_timer(),
        Some((start + timeout, Timer::Connection(tcp_five())))
    );
    // Talking without allocating does not put the deadline off.
    net.run_for(timeout - Duration::from_secs(1));
    assert_eq!(net.send_tcp(&binding).len(), 1);
    assert!(net.disconnects.is_empty());
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.disconnects, [tcp_five()]);
    assert_eq!(net.server.stats().connections_timed_out, 1);
    net.run_for(Duration::from_secs(600));
    assert_eq!(net.disconnects.len(), 1, "asked once");
}

#[test]
fn an_allocation_stops_the_deadline_and_its_end_starts_it_again() {
    let mut net = Net::new(config());
    let (c, _) = allocate_tcp(&mut net);
    net.run_for(Duration::from_secs(300));
    assert!(net.disconnects.is_empty(), "allocated connections stay");
    let r = net.ask_tcp(&request(Method::REFRESH, Some(&c), |w| {
        w.add(&Lifetime(Duration::ZERO)).unwrap()
    }));
    assert_eq!(code_of(&r), None);
    net.run_for(Duration::from_secs(59));
    assert!(net.disconnects.is_empty());
    net.run_for(Duration::from_secs(1));
    assert_eq!(net.disconnects, [tcp_five()]);
}

#[test]
fn no_deadline_when_max_allocate_timeout_is_zero() {
    let mut net = Net::new(Config {
        max_allocate_timeout: Duration::ZERO,
        ..config()
    });
    net.ask_tcp(&request(Method::ALLOCATE, None, udp));
    net.run_for(Duration::from_secs(3600));
    assert!(net.disconnects.is_empty());
}

#[test]
fn an_allocate_waiting_for_its_socket_when_the_connection_closes_is_dropped_and_its_port_returns() {
    let mut net = Net::new(config());
    let challenge = net.ask_tcp(&request(Method::ALLOCATE, None, udp));
    let c = creds("alice", "secret", &nonce_of(&challenge));
    net.server.handle_datagram(
        net.now,
        Datagram::tcp(
            addr(CLIENT),
            addr(SERVER),
            &request(Method::ALLOCATE, Some(&c), udp),
        ),
    );
    let Some(SocketRequest::Bind {
        addr: requested,
        transport,
        ..
    }) = net.server.poll_socket_request()
    else {
        panic!("the Allocate asks for a relay socket");
    };
    net.disconnected(tcp_five());
    assert_eq!(net.server.ports_in_use(), 1, "its bind is still in flight");
    net.server.handle_socket_result(
        net.now,
        SocketResult::Bound {
            requested,
            bound: requested,
            transport,
        },
    );
    assert_eq!(
        net.server.poll_socket_request(),
        Some(SocketRequest::Close {
            addr: requested,
            transport: Transport::Udp,
        })
    );
    assert_eq!(net.server.ports_in_use(), 0);
    assert_eq!(net.server.stats().allocations, 0);
    assert!(net.drain().is_empty(), "no answer to a closed connection");
    assert!(net.events().is_empty());
}
