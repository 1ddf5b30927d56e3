//! The drain's order and limits with a scripted machine, and socket requests carried out
//! with a host of plain std sockets: no runtime, no poller.

use std::collections::VecDeque;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Instant;

use wren_core::testing::{Command, Echo, Event};
use wren_core::{BindError, Datagram, Machine, SocketRequest, SocketResult, Transmit, Transport};

use crate::{
    Counters, Drain, Host, Route, Sockets, Step, TurnLimits, command, report_disconnected,
};

/// A machine that hands out what it was given: `transmits` transmits (one byte each),
/// `events` events, and the socket requests queued; each answer to a bind brings one more
/// transmit, as a TURN server's Allocate success does.
#[derive(Default)]
struct Script {
    transmits: usize,
    events: VecDeque<u32>,
    requests: VecDeque<SocketRequest>,
    answers: Vec<SocketResult>,
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Machine for Script {
    type Event = u32;
    type Command = ();
    type Error = Never;

    fn handle_datagram(&mut self, _now: Instant, _d: Datagram<'_>) {}
    fn handle_command(&mut self, _now: Instant, (): ()) -> Result<(), Never> {
        Ok(())
    }
    fn handle_timeout(&mut self, _now: Instant) {}
    fn poll_transmit(&mut self, _now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.transmits = self.transmits.checked_sub(1)?;
        buf.push(1);
        Some(Transmit::new(Transport::Udp, None, addr("127.0.0.1:9")))
    }
    fn poll_event(&mut self) -> Option<u32> {
        self.events.pop_front()
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.requests.pop_front()
    }
    fn handle_socket_result(&mut self, _now: Instant, result: SocketResult) {
        self.answers.push(result);
        self.transmits += 1;
    }
}

/// What a drain did, in a letter per step: `T`ransmit, `F`lush, `E`vent, `R`equest, and
/// whether it ended with `more`.
fn steps(m: &mut Script, limits: TurnLimits, room: bool) -> (String, bool) {
    let (mut drain, mut buf, mut seen) = (Drain::new(limits), Vec::new(), String::new());
    let now = Instant::now();
    loop {
        let step = drain.next(m, now, room.then_some(&mut buf));
        match step {
            Step::Transmit(_) => seen.push('T'),
            Step::Flush => seen.push('F'),
            Step::Event(_) => seen.push('E'),
            Step::Request(r) => {
                seen.push('R');
                let SocketRequest::Bind {
                    addr, transport, ..
                } = r
                else {
                    continue;
                };
                m.handle_socket_result(now, SocketResult::of_bind(addr, transport, Ok(addr)));
            }
            Step::Done { more } => return (seen, more),
        }
    }
}

fn bind_request() -> SocketRequest {
    SocketRequest::Bind {
        addr: addr("127.0.0.1:0"),
        transport: Transport::Udp,
        options: wren_core::SocketOptions::default(),
    }
}

#[test]
fn a_drain_takes_transmits_then_events_then_requests_and_rounds_again_after_a_bind() {
    let mut m = Script {
        transmits: 2,
        events: [1, 2].into(),
        requests: [bind_request(), bind_request()].into(),
        ..Script::default()
    };
    let (seen, more) = steps(&mut m, TurnLimits::default(), true);
    // The two answers bring two transmits, sent in a second round; the third round finds
    // nothing and ends the drain.
    assert_eq!(seen, "TTFEERRTTF");
    assert!(!more);
    assert_eq!(m.answers.len(), 2);
}

#[test]
fn a_busy_machine_is_stopped_by_each_limit_and_told_to_come_back() {
    let limits = TurnLimits {
        transmits: 3,
        events: 2,
        socket_requests: 1,
        commands: 1,
    };
    let mut m = Script {
        transmits: 5,
        events: [1, 2, 3].into(),
        ..Script::default()
    };
    assert_eq!(steps(&mut m, limits, true), ("TTTFEE".into(), true));
    assert_eq!(steps(&mut m, limits, true), ("TTFE".into(), false));

    let mut m = Script {
        requests: [bind_request(), bind_request()].into(),
        ..Script::default()
    };
    assert_eq!(steps(&mut m, limits, true), ("FR".into(), true));
    assert_eq!(
        steps(&mut m, limits, true),
        ("TFR".into(), true),
        "the answer's transmit first"
    );
    assert_eq!(steps(&mut m, limits, true), ("TF".into(), false));
}

#[test]
fn without_room_to_send_the_machine_keeps_its_transmits_and_the_rest_is_drained() {
    let mut m = Script {
        transmits: 2,
        events: [7].into(),
        ..Script::default()
    };
    assert_eq!(
        steps(&mut m, TurnLimits::default(), false),
        ("FE".into(), false)
    );
    assert_eq!(m.transmits, 2);
}

#[test]
fn a_refused_command_is_counted_and_not_fatal() {
    let counters = Counters::default();
    let mut echo = Echo::default();
    let now = Instant::now();
    command(&mut echo, now, Command::Refuse, &counters);
    command(
        &mut echo,
        now,
        Command::Timer(std::time::Duration::ZERO),
        &counters,
    );
    let s = counters.snapshot();
    assert_eq!((s.commands, s.command_errors), (2, 1));
}

/// A host of plain std sockets in a table of slots.
#[derive(Default)]
struct Table {
    socks: Vec<Option<UdpSocket>>,
    refuse: bool,
    /// Stream connections it pretends to have.
    conns: Vec<(SocketAddr, SocketAddr, Transport)>,
}

impl Host for Table {
    type Slot = usize;
    type Socket = UdpSocket;

    fn adopt(&mut self, sock: UdpSocket, _local: SocketAddr) -> Result<usize, BindError> {
        if self.refuse {
            return Err(BindError::Exhausted);
        }
        self.socks.push(Some(sock));
        Ok(self.socks.len() - 1)
    }

    fn release(&mut self, slot: usize) -> Option<UdpSocket> {
        self.socks.get_mut(slot)?.take()
    }

    fn disconnect(&mut self, local: SocketAddr, remote: SocketAddr, transport: Transport) -> bool {
        let before = self.conns.len();
        self.conns.retain(|c| *c != (local, remote, transport));
        self.conns.len() < before
    }
}

#[test]
fn a_disconnect_goes_to_the_host_and_one_it_does_not_have_is_counted() {
    let (mut echo, mut table) = (Echo::default(), Table::default());
    let (local, remote) = (addr("127.0.0.1:3478"), addr("127.0.0.1:50000"));
    table.conns.push((local, remote, Transport::Tcp));
    let mut sockets = Sockets::new(Arc::default());
    let disconnect = |transport| Command::Disconnect {
        local,
        remote,
        transport,
    };
    carry_out(
        &mut echo,
        &mut sockets,
        &mut table,
        disconnect(Transport::Tls),
    );
    assert_eq!(table.conns.len(), 1, "another transport's connection stays");
    carry_out(
        &mut echo,
        &mut sockets,
        &mut table,
        disconnect(Transport::Tcp),
    );
    assert!(table.conns.is_empty());
    carry_out(
        &mut echo,
        &mut sockets,
        &mut table,
        disconnect(Transport::Tcp),
    );
    assert_eq!(sockets.counters().snapshot().disconnect_unknown, 2);

    report_disconnected(
        &mut echo,
        Instant::now(),
        (local, remote, Transport::Tcp),
        sockets.counters(),
    );
    assert_eq!(
        echo.poll_event(),
        Some(Event::Disconnected {
            local,
            remote,
            transport: Transport::Tcp
        })
    );
    assert_eq!(sockets.counters().snapshot().disconnects_reported, 1);
}

/// Feeds `cmd` to the echo machine and carries out the socket requests it makes.
fn carry_out(echo: &mut Echo, sockets: &mut Sockets<usize>, table: &mut Table, cmd: Command) {
    let now = Instant::now();
    command(echo, now, cmd, sockets.counters());
    while let Some(r) = echo.poll_socket_request() {
        sockets.request(echo, now, r, table);
    }
}

fn bound(echo: &mut Echo) -> SocketAddr {
    match echo.poll_event() {
        Some(Event::Bound { bound, .. }) => bound,
        other => panic!("expected Bound, got {other:?}"),
    }
}

#[test]
fn a_close_is_counted_only_once_the_port_is_free_again() {
    let (mut echo, mut table) = (Echo::default(), Table::default());
    let mut sockets = Sockets::new(Arc::default());
    carry_out(
        &mut echo,
        &mut sockets,
        &mut table,
        Command::bind_udp(addr("127.0.0.1:0")),
    );
    let relay = bound(&mut echo);
    let t = Transmit::new(Transport::Udp, Some(relay), addr("127.0.0.1:9"));
    assert_eq!(sockets.route(&t), Route::Udp(0));

    carry_out(&mut echo, &mut sockets, &mut table, Command::Close(relay));
    assert_eq!(sockets.counters().snapshot().sockets_closed, 1);
    // At once, with no wait: the close was counted after the socket was closed.
    let again = UdpSocket::bind(relay).expect("the port is free when the close is counted");
    drop(again);
    assert_eq!(
        sockets.route(&t),
        Route::Dropped,
        "no socket left for that source"
    );

    carry_out(&mut echo, &mut sockets, &mut table, Command::Close(relay));
    let s = sockets.counters().snapshot();
    assert_eq!(
        (
            s.sockets_bound,
            s.sockets_closed,
            s.close_unknown,
            s.dropped_no_route
        ),
        (1, 1, 1, 1)
    );
}

#[test]
fn binds_past_the_bound_of_another_transport_or_refused_by_the_host_fail() {
    let (mut echo, mut table) = (Echo::default(), Table::default());
    let mut sockets = Sockets::new(Arc::default());
    sockets.set_max_bound(1);
    let any = addr("127.0.0.1:0");
    let failed = |echo: &mut Echo| match echo.poll_event() {
        Some(Event::BindFailed { error, .. }) => error,
        other => panic!("expected BindFailed, got {other:?}"),
    };
    let tcp = Command::Bind {
        addr: any,
        transport: Transport::Tcp,
        options: wren_core::SocketOptions::default(),
    };
    carry_out(&mut echo, &mut sockets, &mut table, tcp);
    assert_eq!(failed(&mut echo), BindError::Unsupported);
    carry_out(&mut echo, &mut sockets, &mut table, Command::bind_udp(any));
    let first = bound(&mut echo);
    carry_out(&mut echo, &mut sockets, &mut table, Command::bind_udp(any));
    assert_eq!(failed(&mut echo), BindError::Exhausted);
    carry_out(
        &mut echo,
        &mut sockets,
        &mut table,
        Command::bind_udp(first),
    );
    assert_eq!(
        failed(&mut echo),
        BindError::Exhausted,
        "the bound comes first"
    );
    carry_out(&mut echo, &mut sockets, &mut table, Command::Close(first));
    table.refuse = true;
    carry_out(&mut echo, &mut sockets, &mut table, Command::bind_udp(any));
    assert_eq!(failed(&mut echo), BindError::Exhausted, "the host's answer");
    let s = sockets.counters().snapshot();
    assert_eq!(
        (s.sockets_bound, s.bind_failures, s.sockets_closed),
        (1, 4, 1)
    );
}

#[test]
fn transmits_route_to_application_sockets_streams_or_nowhere() {
    let mut sockets = Sockets::new(Arc::default());
    sockets.insert_listening(addr("127.0.0.1:3478"), 7);
    let to = addr("127.0.0.1:9");
    let route = |s: &Sockets<usize>, proto, from: Option<&str>| {
        s.route(&Transmit::new(proto, from.map(addr), to))
    };
    assert_eq!(route(&sockets, Transport::Udp, None), Route::Udp(7));
    assert_eq!(
        route(&sockets, Transport::Udp, Some("127.0.0.1:3478")),
        Route::Udp(7)
    );
    assert_eq!(
        route(&sockets, Transport::Udp, Some("127.0.0.1:1")),
        Route::Dropped
    );
    assert_eq!(route(&sockets, Transport::Tcp, None), Route::Stream);
    assert_eq!(route(&sockets, Transport::Tls, None), Route::Dropped);
    sockets.set_tls(true);
    assert_eq!(route(&sockets, Transport::Tls, None), Route::Stream);
    let s = sockets.counters().snapshot();
    assert_eq!((s.dropped_no_route, s.dropped_unsupported), (1, 1));
}
