//! What the mio driver's tests share: a driver running the echo machine on its own thread,
//! and the test's ends of it (each test file adds the constructors and helpers it needs).
#![allow(dead_code)] // each test file uses its part

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use wren_core::testing::{Command, Echo, Event};
use wren_mio::{Driver, DriverError, Handle, Stats};

/// Every wait on the driver is bounded by this.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// A driver running on its own thread, and the test's ends of it.
pub(crate) struct Running {
    pub handle: Handle<Command>,
    pub events: mpsc::Receiver<Event>,
    pub thread: JoinHandle<Result<Echo, DriverError>>,
    /// The listener's address, for a driver started on one.
    addr: Option<SocketAddr>,
}

impl Running {
    /// Runs `driver` on its own thread.
    pub(crate) fn start(driver: Driver<Echo>) -> Running {
        let handle = driver.handle();
        let (tx, events) = mpsc::channel();
        let thread = driver
            .spawn(move |e| {
                let _ = tx.send(e);
            })
            .unwrap();
        Running {
            handle,
            events,
            thread,
            addr: None,
        }
    }

    /// Remembers the address of the listener the driver serves.
    pub(crate) fn with_addr(mut self, addr: SocketAddr) -> Running {
        self.addr = Some(addr);
        self
    }

    /// The address of the listener the driver serves.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr.expect("started with_addr")
    }

    pub(crate) fn command(&self, cmd: Command) {
        self.handle.send(cmd).unwrap();
    }

    pub(crate) fn event(&self) -> Event {
        self.events.recv_timeout(WAIT).expect("an event in time")
    }

    /// The next event that is not a datagram received.
    pub(crate) fn other_event(&self) -> Event {
        loop {
            match self.event() {
                Event::Received { .. } => {}
                other => return other,
            }
        }
    }

    /// Waits (bounded) until the counters satisfy `ok`.
    pub(crate) fn stats_until(&self, ok: impl Fn(&Stats) -> bool) -> Stats {
        let end = std::time::Instant::now() + WAIT;
        while std::time::Instant::now() < end {
            let s = self.handle.stats();
            if ok(&s) {
                return s;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        panic!("counters never got there: {:?}", self.handle.stats());
    }

    pub(crate) fn stop(self) -> Echo {
        self.handle.shutdown();
        self.thread
            .join()
            .expect("no panic")
            .expect("stops cleanly")
    }
}
