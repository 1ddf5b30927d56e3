//! The bare forwarder: the machine's ceiling for this load. One UDP socket (a 4 MiB receive
//! buffer, as coturn's); one `recvmmsg`
//! of up to 32 ChannelData messages, the 4-byte header checked and cut off, the payloads
//! sent to the sink with one `sendmmsg`. No TURN state, no authentication, no per-client
//! sockets: only the system calls a relay cannot avoid.
//!
//! It runs as a child process (this bench binary started again with
//! `WREN_TURN_BENCH_ROLE=forwarder`) so that it can be pinned and its CPU time read like the
//! relays'. With `WREN_FWD_GSO=1` (relay `bare-gso`, not in the default run) each run of
//! datagrams from one client leaves as one UDP GSO send (`UDP_SEGMENT`), which shows what
//! GSO would change. It stops by itself after `WREN_FWD_SECS` seconds, or on SIGTERM, and then
//! prints its counters to stderr in the words of wren-mio's `Stats`.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::sys::Batch;

/// Datagrams per `recvmmsg`, as wren-mio's `BATCH`.
const BATCH: usize = 32;
/// Bytes per receive slot.
const SLOT: usize = 2048;

/// Set by SIGTERM.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

fn env_u64(name: &str) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("forwarder: {name} is not set"))
}

pub(crate) fn main() {
    let port = u16::try_from(env_u64("WREN_FWD_PORT")).expect("WREN_FWD_PORT: a port");
    let sink = u16::try_from(env_u64("WREN_FWD_SINK")).expect("WREN_FWD_SINK: a port");
    let gso = std::env::var("WREN_FWD_GSO").as_deref() == Ok("1");
    let deadline = Instant::now() + Duration::from_secs(env_u64("WREN_FWD_SECS"));
    let sock = UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).expect("forwarder: bind");
    // A timeout so that the loop sees its deadline even when nothing arrives.
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .expect("forwarder: SO_RCVTIMEO");
    let fd = sock.as_raw_fd();
    // The receive buffer coturn's listening socket gets (2 MiB asked, 4 MiB given here):
    // the ceiling should not lose packets to a small default buffer.
    let _ = crate::sys::set_rcvbuf(fd, 2 << 20, false);
    let mut batch = Batch::new(BATCH, SLOT);
    batch.set_destination(SocketAddrV4::new(Ipv4Addr::LOCALHOST, sink));
    let mut parts = Vec::with_capacity(BATCH);
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(
            libc::SIGTERM,
            on_sigterm as extern "C" fn(libc::c_int) as libc::sighandler_t,
        )
    };
    println!("ready");
    let _ = std::io::stdout().flush();
    let (mut datagrams_in, mut batches_in, mut datagrams_out, mut batches_out) = (0, 0, 0, 0);
    while Instant::now() < deadline && !STOP.load(Ordering::Relaxed) {
        let n = match batch.recv(fd, libc::MSG_WAITFORONE) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("forwarder: recvmmsg: {e}");
                break;
            }
        };
        if n > 0 {
            batches_in += 1;
            datagrams_in += n;
        }
        parts.clear();
        let mut sources = [(0u32, 0u16); BATCH];
        for i in 0..n {
            let d = batch.datagram(i);
            // ChannelData: first byte 0x40..=0x7F, then the length, then the payload.
            if d.len() >= 4 && (0x40..=0x7F).contains(&d[0]) {
                let len = usize::from(u16::from_be_bytes([d[2], d[3]]));
                if 4 + len <= d.len() {
                    sources[parts.len()] = batch.source(i);
                    parts.push((i, 4, 4 + len));
                }
            }
        }
        if gso {
            // Runs from one client with equal lengths: one GSO datagram each.
            let mut at = 0;
            while at < parts.len() {
                let len = parts[at].2 - parts[at].1;
                let mut end = at + 1;
                while end < parts.len()
                    && sources[end] == sources[at]
                    && parts[end].2 - parts[end].1 == len
                {
                    end += 1;
                }
                datagrams_out += batch.forward_gso(fd, &parts[at..end], len);
                batches_out += 1;
                at = end;
            }
        } else if !parts.is_empty() {
            let (sent, calls) = batch.forward(fd, &parts);
            datagrams_out += sent;
            batches_out += calls;
        }
    }
    eprintln!(
        "forwarder stopped: datagrams_in: {datagrams_in}, datagrams_out: {datagrams_out}, batches_in: {batches_in}, batches_out: {batches_out}"
    );
}
