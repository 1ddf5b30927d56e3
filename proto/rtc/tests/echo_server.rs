//! The `echo` example's server (its `examples/echo/` modules, in-process on wren-tokio, on
//! 127.0.0.1) over plain HTTP and with wren-rtc peers of this test as callers: the status
//! codes and headers of its API, and its calls' lifetimes (several at once, each gone when
//! its caller closes or hangs up).
#![allow(clippy::disallowed_methods)] // real sockets and a runtime: the real clock

#[path = "../examples/echo/mod.rs"]
mod echo;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use echo::calls::Calls;
use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transport};
use wren_dtls::identity::Identity;
use wren_rtc::{ChannelId, ChannelOptions, Config, DtlsRole, Event, Peer, SdpType};
use wren_rtc::{Received, SessionDescription};

/// The server on a runtime of its own thread, stopped when dropped.
struct Server {
    addr: SocketAddr,
    calls: Arc<Calls<echo::Echo>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let identity = Arc::new(Identity::generate().expect("a certificate"));
        let calls = Calls::new(
            "127.0.0.1".parse().expect("an address"),
            echo::Echo::new(identity),
        );
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = Arc::clone(&calls);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the HTTP port");
                addr_tx
                    .send(listener.local_addr().expect("its address"))
                    .expect("the test waits");
                echo::serve(listener, serving, async {
                    let _ = stopped.await;
                })
                .await
                .expect("the server runs");
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server listens");
        Server {
            addr,
            calls,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// One request (HTTP/1.1, `Connection: close`): the status, the headers (names in
    /// lower case) and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut s = TcpStream::connect(self.addr).expect("connect to the server");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        let ctype = content_type.map_or(String::new(), |c| format!("Content-Type: {c}\r\n"));
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{ctype}Content-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .expect("send the request");
        let mut response = String::new();
        s.read_to_string(&mut response).expect("read the response");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {response}"));
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        (status, headers, body.to_owned())
    }

    /// Waits (up to 20 s) until `n` calls run; whether they do.
    fn wait_running(&self, n: usize) -> bool {
        let end = Instant::now() + Duration::from_secs(20);
        while self.calls.running() != n && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.calls.running() == n
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A caller: a wren-rtc peer on a std socket, driven by hand.
struct Caller {
    peer: Peer,
    socket: UdpSocket,
    local: SocketAddr,
    channel: Option<ChannelId>,
    echoed: Vec<Vec<u8>>,
}

impl Caller {
    /// A peer that offers a data channel section (and gathered its one host candidate).
    fn new() -> (Caller, String) {
        let mut caller = Caller::bound();
        let now = Instant::now();
        caller.peer.add_data_section();
        let offer = caller.peer.create_offer(now).expect("an offer");
        (caller, offer)
    }

    /// A peer with its one host candidate gathered (JSEP gives it its roles).
    fn bound() -> Caller {
        let now = Instant::now();
        let identity = Arc::new(Identity::generate().expect("a certificate"));
        let config = Config::new(
            wren_ice::Role::Controlling,
            DtlsRole::Server,
            vec!["127.0.0.1".parse().expect("an address")],
            identity,
        );
        let mut peer = Peer::new(now, config);
        let mut socket = None;
        while let Some(req) = peer.poll_socket_request() {
            if let SocketRequest::Bind {
                addr,
                transport: Transport::Udp,
                ..
            } = req
            {
                let s = UdpSocket::bind(addr).expect("bind");
                let bound = s.local_addr().expect("its address");
                peer.handle_socket_result(
                    now,
                    SocketResult::of_bind(addr, Transport::Udp, Ok(bound)),
                );
                socket = Some(s);
            }
        }
        let socket = socket.expect("a UDP socket asked for");
        let local = socket.local_addr().expect("its address");
        Caller {
            peer,
            socket,
            local,
            channel: None,
            echoed: Vec::new(),
        }
    }

    fn answered(&mut self, answer: String) {
        let now = Instant::now();
        self.peer
            .set_remote_description(
                now,
                &SessionDescription {
                    kind: SdpType::Answer,
                    sdp: answer,
                },
            )
            .expect("the server's answer is taken");
        self.channel = Some(
            self.peer
                .create_channel(now, "echo", ChannelOptions::reliable())
                .expect("a channel"),
        );
    }

    /// One turn of the loop: transmits out, events in, at most 10 ms waiting for a
    /// datagram, timers. Sends `message` once the channel opens.
    fn step(&mut self, message: &[u8], sent: &mut bool) {
        let now = Instant::now();
        let mut tx = Vec::new();
        while let Some(t) = self.peer.poll_transmit(now, &mut tx) {
            let _ = self.socket.send_to(&tx, t.destination);
            tx.clear();
        }
        while let Some(e) = self.peer.poll_event() {
            match e {
                Event::ChannelOpen { id, .. } if Some(id) == self.channel && !*sent => {
                    self.peer
                        .send_channel(now, id, message, true)
                        .expect("send");
                    *sent = true;
                }
                Event::ChannelMessage { data, .. } => self.echoed.push(data),
                _ => {}
            }
        }
        self.socket
            .set_read_timeout(Some(Duration::from_millis(10)))
            .expect("a read timeout");
        let mut rx = [0u8; 2048];
        if let Ok((n, from)) = self.socket.recv_from(&mut rx) {
            let mut media = Vec::new();
            let d = Datagram::udp(from, self.local, &rx[..n]);
            let _: Received = self.peer.receive(Instant::now(), d, &mut media);
        }
        let now = Instant::now();
        if self.peer.poll_timeout().is_some_and(|t| t <= now) {
            self.peer.handle_timeout(now);
        }
    }

    /// Closes (DTLS close_notify) and sends what that makes.
    fn close(&mut self) {
        let now = Instant::now();
        self.peer.close(now);
        let mut tx = Vec::new();
        while let Some(t) = self.peer.poll_transmit(now, &mut tx) {
            let _ = self.socket.send_to(&tx, t.destination);
            tx.clear();
        }
    }
}

#[test]
fn a_body_that_is_not_sdp_is_refused_with_415() {
    let server = Server::start();
    let (status, _, _) = server.request("POST", "/", Some("text/plain"), "v=0\r\n");
    assert_eq!(status, 415);
    let (status, _, _) = server.request("POST", "/", None, "v=0\r\n");
    assert_eq!(status, 415);
    assert_eq!(server.calls.running(), 0);
}

#[test]
fn an_offer_that_does_not_parse_is_refused_with_400_and_the_jsep_error() {
    let server = Server::start();
    let (status, _, body) = server.request("POST", "/", Some("application/sdp"), "x=1\r\n");
    assert_eq!(status, 400);
    // JsepError::Parse's text, with the line it names.
    assert!(body.starts_with("the SDP does not parse: line 1"), "{body}");
    assert_eq!(server.calls.running(), 0);
}

#[test]
fn a_whip_post_is_answered_201_with_sdp_a_location_and_cors() {
    let server = Server::start();
    let (mut caller, offer) = Caller::new();
    let (status, headers, answer) = server.request("POST", "/", Some("application/sdp"), &offer);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(header(&headers, "content-type"), Some("application/sdp"));
    let location = header(&headers, "location").expect("a Location");
    assert!(location.starts_with("/calls/"), "{location}");
    assert_eq!(header(&headers, "access-control-allow-origin"), Some("*"));
    assert!(answer.starts_with("v=0"), "{answer}");
    caller.answered(answer);
    assert!(server.wait_running(1));
}

#[test]
fn our_offer_waits_for_the_answer_patched_to_its_location() {
    let server = Server::start();
    let (status, headers, offer) = server.request("POST", "/offer", None, "");
    assert_eq!(status, 201);
    let location = header(&headers, "location").expect("a Location").to_owned();
    assert!(offer.contains("m=application"), "{offer}");
    assert_eq!(server.calls.running(), 0, "no call before the answer");
    // Not SDP, and an answer that does not parse: refused, and the offer still waits.
    let (status, _, _) = server.request("PATCH", &location, Some("text/plain"), "v=0");
    assert_eq!(status, 415);
    let (status, _, body) = server.request("PATCH", &location, Some("application/sdp"), "x");
    assert_eq!(status, 400, "{body}");
    let (status, _, _) = server.request("PATCH", "/calls/0", Some("application/sdp"), "v=0");
    assert_eq!(status, 404);
    // A wren-rtc peer answers it (and is not driven: the call stays in its checks).
    let now = Instant::now();
    let mut answerer = Caller::bound();
    let peer = &mut answerer.peer;
    peer.set_remote_description(
        now,
        &SessionDescription {
            kind: SdpType::Offer,
            sdp: offer,
        },
    )
    .expect("the server's offer is taken");
    let answer = peer.create_answer(now).expect("an answer");
    let (status, _, body) = server.request("PATCH", &location, Some("application/sdp"), &answer);
    assert_eq!(status, 204, "{body}");
    assert!(server.wait_running(1));
    // Taken once: the offer no longer waits.
    let (status, _, _) = server.request("PATCH", &location, Some("application/sdp"), &answer);
    assert_eq!(status, 404);
    let (status, _, _) = server.request("DELETE", &location, None, "");
    assert_eq!(status, 200);
    assert!(server.wait_running(0), "a call hung up is gone");
}

#[test]
fn calls_run_at_once_each_echoes_and_each_goes_when_closed_or_hung_up() {
    let server = Server::start();
    let mut callers = Vec::new();
    let mut locations = Vec::new();
    for _ in 0..3 {
        let (mut caller, offer) = Caller::new();
        let (status, headers, answer) =
            server.request("POST", "/", Some("application/sdp"), &offer);
        assert_eq!(status, 201, "{answer}");
        locations.push(header(&headers, "location").expect("a Location").to_owned());
        caller.answered(answer);
        callers.push(caller);
    }
    assert_eq!(server.calls.running(), 3);
    locations.dedup();
    assert_eq!(locations.len(), 3, "one call per POST");
    // Each caller's own message comes back to it.
    let messages: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i; 1000 + usize::from(i)]).collect();
    let mut sent = [false; 3];
    let end = Instant::now() + Duration::from_secs(20);
    while callers.iter().any(|c| c.echoed.is_empty()) && Instant::now() < end {
        for (i, c) in callers.iter_mut().enumerate() {
            c.step(&messages[i], &mut sent[i]);
        }
    }
    for (i, c) in callers.iter().enumerate() {
        assert_eq!(c.echoed, vec![messages[i].clone()], "caller {i}");
    }
    // The first closes (DTLS close_notify): its call ends, the others run on.
    callers[0].close();
    assert!(server.wait_running(2), "a closed call is gone");
    // The second is hung up (DELETE): its peer closes and the call ends.
    let (status, _, _) = server.request("DELETE", &locations[1], None, "");
    assert_eq!(status, 200);
    assert!(server.wait_running(1), "a call hung up is gone");
    assert_eq!(server.calls.ended().len(), 2);
    let echoed: u64 = server
        .calls
        .ended()
        .iter()
        .map(|(_, s)| s.messages_echoed)
        .sum();
    assert_eq!(echoed, 2, "each ended call echoed its caller's one message");
}
