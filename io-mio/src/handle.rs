//! [`Handle`]: how other threads reach a running driver.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError};

use mio::Waker;

use wren_io::{Counters, Stats};

/// What the driver shares with its handles.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) waker: Waker,
    pub(crate) shutdown: AtomicBool,
    pub(crate) counters: Arc<Counters>,
}

impl Shared {
    pub(crate) fn new(waker: Waker) -> Shared {
        Shared {
            waker,
            shutdown: AtomicBool::new(false),
            counters: Arc::default(),
        }
    }

    pub(crate) fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            tracing::debug!(error = %e, "waking the driver failed");
        }
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }
}

/// Sends commands to a driver, stops it, and reads its counters, from any thread.
///
/// Get one from [`crate::Driver::handle`] before running the driver; clone it freely.
/// Dropping every handle does not stop the driver (it goes on without commands).
#[derive(Debug)]
pub struct Handle<C> {
    pub(crate) commands: SyncSender<C>,
    pub(crate) shared: Arc<Shared>,
}

impl<C> Clone for Handle<C> {
    fn clone(&self) -> Self {
        Handle {
            commands: self.commands.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<C> Handle<C> {
    /// Queues a command for the machine and wakes the driver.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when [`crate::COMMAND_CAPACITY`] commands are already waiting,
    /// [`TrySendError::Disconnected`] when the driver is gone; either way the command is
    /// handed back.
    pub fn send(&self, cmd: C) -> Result<(), TrySendError<C>> {
        self.commands.try_send(cmd)?;
        self.shared.wake();
        Ok(())
    }

    /// Asks the driver to stop: [`crate::Driver::run`] returns the machine at its next
    /// wake-up, which this causes at once.
    pub fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::Release);
        self.shared.wake();
    }

    /// The driver's counters as they are now.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }
}
