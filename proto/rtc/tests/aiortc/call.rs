//! Our side of a call: a wren-rtc [`Peer`] on its own UDP socket on 127.0.0.1, driven by
//! a small loop (transmits out, one wait for a datagram or the next timeout, datagrams in,
//! timeouts fired). Everything the peer reports comes back to the test.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{Config, DtlsRole, Event, Peer, Received};

/// Datagrams read in one turn at most, after the first.
const BURST: usize = 128;

/// A peer and its socket.
pub(crate) struct Call {
    pub(crate) peer: Peer,
    socket: UdpSocket,
    local: SocketAddr,
    rx: Vec<u8>,
    tx: Vec<u8>,
    media: Vec<u8>,
    /// RTP packets `send_rtp_into` refused.
    pub(crate) rtp_refused: u64,
}

impl Call {
    /// A peer on 127.0.0.1 with its socket bound. The roles given to the config do not
    /// matter with JSEP: the offerer controls ICE and `a=setup` gives the DTLS role.
    pub(crate) fn new() -> Call {
        let start = Instant::now();
        let identity = Arc::new(Identity::generate().expect("a DTLS certificate"));
        let config = Config::new(
            wren_ice::Role::Controlled,
            DtlsRole::Client,
            vec!["127.0.0.1".parse().expect("an address")],
            identity,
        );
        let mut peer = Peer::new(start, config);
        let mut socket = None;
        while let Some(req) = peer.poll_socket_request() {
            if let SocketRequest::Bind {
                addr,
                transport: Transport::Udp,
                ..
            } = req
            {
                let s = UdpSocket::bind(addr).expect("bind the peer's UDP socket");
                let bound = s.local_addr().expect("the socket's address");
                peer.handle_socket_result(
                    start,
                    SocketResult::of_bind(addr, Transport::Udp, Ok(bound)),
                );
                socket = Some(s);
            }
        }
        let socket = socket.expect("the agent asked for a UDP socket");
        let local = socket.local_addr().expect("the socket's address");
        Call {
            peer,
            socket,
            local,
            rx: vec![0; 2048],
            tx: Vec::new(),
            media: Vec::new(),
            rtp_refused: 0,
        }
    }

    /// Our socket's address.
    pub(crate) fn local(&self) -> SocketAddr {
        self.local
    }

    /// One turn: sends what the peer has, waits up to 10 ms (less when a timeout is due)
    /// for datagrams and feeds them in, fires the timeout when due. Events go to
    /// `events`; each RTP packet received (unprotected) goes to `on_rtp`, which may
    /// rewrite it in place and return `true` to have it sent back.
    pub(crate) fn turn(
        &mut self,
        events: &mut Vec<Event>,
        mut on_rtp: impl FnMut(&Peer, &mut Vec<u8>) -> bool,
    ) {
        let now = Instant::now();
        while let Some(t) = self.peer.poll_transmit(now, &mut self.tx) {
            // A full socket buffer loses the datagram, as a network would.
            let _ = self.socket.send_to(&self.tx, t.destination);
            self.tx.clear();
        }
        while let Some(e) = self.peer.poll_event() {
            events.push(e);
        }
        let wait = self
            .peer
            .poll_timeout()
            .map_or(Duration::from_millis(10), |t| {
                t.saturating_duration_since(now)
            })
            .clamp(Duration::from_millis(1), Duration::from_millis(10));
        self.socket
            .set_read_timeout(Some(wait))
            .expect("set the read timeout");
        let mut read = 0;
        while read <= BURST {
            let Ok((n, from)) = self.socket.recv_from(&mut self.rx) else {
                break;
            };
            if read == 0 {
                self.socket
                    .set_nonblocking(true)
                    .expect("make the socket non-blocking");
            }
            read += 1;
            let now = Instant::now();
            let d = Datagram::udp(from, self.local, &self.rx[..n]);
            match self.peer.receive(now, d, &mut self.media) {
                Received::Rtp if on_rtp(&self.peer, &mut self.media) => {
                    self.tx.clear();
                    match self.peer.send_rtp_into(now, &self.media, &mut self.tx) {
                        Ok(Some(t)) => {
                            let _ = self.socket.send_to(&self.tx, t.destination);
                        }
                        Ok(None) => {}
                        Err(_) => self.rtp_refused += 1,
                    }
                    self.tx.clear();
                }
                Received::Rtp | Received::Rtcp | Received::Handled => {}
            }
        }
        if read > 0 {
            self.socket
                .set_nonblocking(false)
                .expect("make the socket blocking");
        }
        let now = Instant::now();
        if self.peer.poll_timeout().is_some_and(|t| t <= now) {
            self.peer.handle_timeout(now);
        }
    }
}
