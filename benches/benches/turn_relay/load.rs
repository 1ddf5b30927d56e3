//! The load: the sink peer, the clients' TURN setup, and the paced sender.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime};

use crate::servers::Kind;
use crate::sys::{self, Batch, Burst};
use crate::{CHANNEL, PAYLOAD, Phase, turn};

/// The peer every client's channel points at: counts what arrives, answers nothing.
pub(crate) struct Sink {
    sock: UdpSocket,
    batch: Batch,
    pub(crate) received: u64,
}

impl Sink {
    pub(crate) fn new() -> Sink {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the sink");
        sock.set_nonblocking(true).expect("sink: non-blocking");
        // Room for bursts while the generator is sending (root may pass rmem_max).
        let _ = sys::set_rcvbuf(sock.as_raw_fd(), 32 << 20, true);
        Sink {
            sock,
            batch: Batch::new(64, 256),
            received: 0,
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.sock.local_addr().expect("sink address")
    }

    /// Reads what is waiting (at most `calls` recvmmsg); how many datagrams.
    pub(crate) fn drain(&mut self, calls: usize) -> u64 {
        let mut got = 0;
        for _ in 0..calls {
            let n = self
                .batch
                .recv(self.sock.as_raw_fd(), libc::MSG_DONTWAIT)
                .unwrap_or(0);
            got += n as u64;
            if n < 64 {
                break;
            }
        }
        self.received += got;
        got
    }

    /// Drains until nothing came for 150 ms (at most 3 s).
    pub(crate) fn drain_until_quiet(&mut self) {
        let end = Instant::now() + Duration::from_secs(3);
        let mut quiet_since = Instant::now();
        while Instant::now() < end {
            if self.drain(1024) > 0 {
                quiet_since = Instant::now();
            } else if quiet_since.elapsed() > Duration::from_millis(150) {
                break;
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}

/// The K client sockets, connected to the relay, set up (TURN) and non-blocking.
pub(crate) fn clients(
    kind: Kind,
    server: SocketAddr,
    sink: SocketAddr,
    k: usize,
) -> Result<Vec<UdpSocket>, String> {
    let mut ids = turn::Ids::new(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    );
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| e.to_string())?;
        sock.connect(server).map_err(|e| e.to_string())?;
        if kind.is_turn() {
            turn::allocate_channel(&sock, &mut ids, sink, CHANNEL)
                .map_err(|e| format!("client {i}: {e}"))?;
        }
        sock.set_nonblocking(true).map_err(|e| e.to_string())?;
        out.push(sock);
    }
    Ok(out)
}

/// Sends the phase's load from all clients for `secs`, round-robin, `burst` datagrams per
/// client per sendmmsg, paced to the offered rate; drains the sink in between. Returns the
/// datagrams the kernel took and the time it took.
pub(crate) fn drive(clients: &[UdpSocket], sink: &mut Sink, phase: Phase, secs: f64) -> (u64, f64) {
    let frame = turn::channel_data(CHANNEL, PAYLOAD);
    let mut burst = Burst::new(&frame, phase.burst);
    let fds: Vec<_> = clients.iter().map(AsRawFd::as_raw_fd).collect();
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    let mut sent = 0u64;
    let mut c = 0;
    let mut steps = 0u64;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if let Some(rate) = phase.rate {
            let due = now.duration_since(start).as_secs_f64() * rate as f64;
            let next = (sent + phase.burst as u64) as f64;
            if next > due {
                // Ahead of the rate: read the sink, and sleep when far ahead.
                if sink.drain(8) == 0 {
                    let ahead = (next - due) / rate as f64;
                    if ahead > 200e-6 {
                        std::thread::sleep(Duration::from_secs_f64(ahead - 100e-6));
                    } else {
                        std::hint::spin_loop();
                    }
                }
                continue;
            }
        }
        if let Ok(n) = burst.send(fds[c]) {
            sent += n as u64;
        }
        c = (c + 1) % fds.len();
        steps += 1;
        if steps.is_multiple_of(4) {
            sink.drain(8);
        }
    }
    (sent, start.elapsed().as_secs_f64())
}
