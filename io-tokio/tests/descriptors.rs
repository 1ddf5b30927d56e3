//! The tokio driver when the process runs out of descriptors, with the echo machine on
//! 127.0.0.1. A file of its own, one test, because it lowers the process's
//! `RLIMIT_NOFILE` and fills the descriptor table: no other test may share the process.
//! The driver runs on a current-thread runtime, so nothing else opens descriptors while
//! the test fills the table.

#![cfg(target_os = "linux")]

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, timeout};
use wren_core::testing::{Echo, reversed, stun};
use wren_tokio::{ConnLimits, Driver, Stats, StatsHandle};

/// Every wait in this test is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

async fn stats_until(stats: &StatsHandle, ok: impl Fn(&Stats) -> bool) -> Stats {
    let start = Instant::now();
    loop {
        let s = stats.get();
        if ok(&s) {
            return s;
        }
        assert!(start.elapsed() < LIMIT, "counters never got there: {s:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn out_of_descriptors_the_listener_backs_off_and_accepts_again() {
    wren_io::sockopt::set_nofile_soft_limit(256).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = listener.local_addr().unwrap();
    let driver = Driver::new(Echo::default())
        .tcp_listener(listener)
        .unwrap()
        .conn_limits(ConnLimits {
            fd_reserve: 0,
            ..ConnLimits::default()
        });
    let stats = driver.stats();
    let (_commands, commands_rx) = mpsc::channel(8);
    let (events, mut events_rx) = mpsc::channel(1024);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(driver.run(commands_rx, events, async move {
        let _ = stopped.await;
    }));
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });

    // EMFILE at accept: the client gets the last descriptor, the driver none.
    let mut files = wren_io::testing::fill_descriptors();
    drop(files.pop());
    let mut late = TcpStream::connect(server)
        .await
        .expect("the last descriptor");
    let msg = stun(8, 2);
    late.write_all(&msg).await.unwrap();
    let s = stats_until(&stats, |s| s.accept_errors >= 2 && s.accept_backoffs >= 2).await;
    assert_eq!(s.tcp_accepted, 0, "{s:?}");
    drop(files);
    let mut back = vec![0; msg.len()];
    timeout(LIMIT, late.read_exact(&mut back))
        .await
        .expect("answered once descriptors are free")
        .unwrap();
    assert_eq!(back, reversed(&msg));
    stop.send(()).unwrap();
    timeout(LIMIT, task).await.unwrap().unwrap().unwrap();
}
