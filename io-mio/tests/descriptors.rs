//! The mio driver when the process runs out of descriptors, with the echo machine on
//! 127.0.0.1. A file of its own, one test, because it lowers the process's
//! `RLIMIT_NOFILE` and fills the descriptor table: no other test may share the process.
//!
//! Filling the table with `/dev/null` descriptors on the test's thread makes it
//! deterministic: the driver opens descriptors only when it accepts or binds, so the test
//! knows which call gets the last free one.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use wren_core::testing::{Command, Echo, Event, reversed, stun};
use wren_mio::{ConnLimits, Driver, Handle, Stats};

/// Every wait in this test is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

fn stats_until(handle: &Handle<Command>, ok: impl Fn(&Stats) -> bool) -> Stats {
    for _ in 0..2000 {
        let s = handle.stats();
        if ok(&s) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("counters never got there: {:?}", handle.stats());
}

fn round_trip(stream: &mut TcpStream, fill: u8) {
    let msg = stun(8, fill);
    stream.write_all(&msg).unwrap();
    let mut back = vec![0; msg.len()];
    stream.read_exact(&mut back).expect("the echo in time");
    assert_eq!(back, reversed(&msg));
}

#[test]
fn out_of_descriptors_the_listener_backs_off_and_accepts_again_and_the_reserve_keeps_binds_working()
{
    wren_io::sockopt::set_nofile_soft_limit(256).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server: SocketAddr = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .unwrap()
        .tcp_listener(listener)
        .unwrap()
        .conn_limits(ConnLimits {
            fd_reserve: 0,
            ..ConnLimits::default()
        });
    let handle = driver.handle();
    let (tx, events) = mpsc::channel();
    let thread = driver
        .spawn(move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
    let mut before = TcpStream::connect(server).unwrap();
    before.set_read_timeout(Some(LIMIT)).unwrap();
    round_trip(&mut before, 1);

    // EMFILE at accept: the client gets the last descriptor, the driver none.
    let mut files = wren_io::testing::fill_descriptors();
    drop(files.pop());
    let mut late = TcpStream::connect(server).expect("the client takes the last descriptor");
    late.set_read_timeout(Some(LIMIT)).unwrap();
    late.write_all(&stun(8, 2)).unwrap();
    let s = stats_until(&handle, |s| s.accept_errors >= 2 && s.accept_backoffs >= 2);
    assert_eq!(s.tcp_accepted, 1, "{s:?}");
    // Descriptors free again: the listener, retrying on its own, accepts it and more.
    drop(files);
    let mut back = vec![0; 28];
    late.read_exact(&mut back)
        .expect("answered once descriptors are free");
    assert_eq!(back, reversed(&stun(8, 2)));
    let mut after = TcpStream::connect(server).unwrap();
    after.set_read_timeout(Some(LIMIT)).unwrap();
    round_trip(&mut after, 3);
    round_trip(&mut before, 4);
    handle.shutdown();
    let _ = thread.join().unwrap().unwrap();
    drop((before, late, after));

    // The reserve: connections are refused while the descriptors open reach the limit
    // less the reserve, and the machine can still bind its sockets.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server: SocketAddr = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .unwrap()
        .tcp_listener(listener)
        .unwrap()
        .conn_limits(ConnLimits {
            fd_reserve: 32,
            ..ConnLimits::default()
        });
    let handle = driver.handle();
    let (tx, events2) = mpsc::channel();
    let thread = driver
        .spawn(move |e| {
            let _ = tx.send(e);
        })
        .unwrap();
    drop(events);
    let mut files = wren_io::testing::fill_descriptors();
    // Leave 16 free, under the reserve of 32: a connection in is refused.
    for _ in 0..16 {
        drop(files.pop());
    }
    let mut refused = TcpStream::connect(server).unwrap();
    refused.set_read_timeout(Some(LIMIT)).unwrap();
    let mut buf = [0u8; 16];
    assert!(
        matches!(refused.read(&mut buf), Ok(0) | Err(_)),
        "refused: closed at once"
    );
    let s = stats_until(&handle, |s| s.conns_refused_descriptors == 1);
    assert_eq!((s.tcp_accepted, s.accept_errors), (0, 0), "{s:?}");
    handle
        .send(Command::bind_udp("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    match events2.recv_timeout(LIMIT).expect("an event in time") {
        Event::Bound { .. } => {}
        other => panic!("the bind failed: {other:?}"),
    }
    drop(files);
    handle.shutdown();
    let _ = thread.join().unwrap().unwrap();
}
