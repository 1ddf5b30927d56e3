//! Sockets bound at the machine's request ([`wren_core::socket`]): a TURN server's relayed
//! addresses, thousands of them, read without polling each on every wake-up.
//!
//! The driver's own sockets are few and polled in turn ([`crate::net`]). These are not:
//! each has a waker of its own ([`SlotWake`]), with which it is polled. When tokio's
//! reactor finds the socket readable it wakes that waker, which puts the socket's slot in
//! a shared ready queue (once: a flag says it is queued) and wakes the driver's task. The
//! driver then polls only the sockets in the queue, reading each datagram straight into
//! its one receive buffer, and puts a socket back at the end of the queue after each
//! datagram until it returns `Pending` (which registers its waker again): a wake-up costs
//! the sockets that have input, and a busy socket cannot starve the others.
//!
//! Allocation: binding one costs the socket's registration with the reactor, its waker
//! (one `Arc`) and maybe room in the slot table and the queue (whose capacity is kept at
//! the number of sockets, so that a wake never grows it). Receiving costs nothing: no
//! task per socket, no channel, no copy of the datagram.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use wren_core::BindError;

use crate::udp::Udp;

/// Polls in a row that find nothing before [`Bound::poll_recv`] yields.
const IDLE_POLLS: usize = 64;

/// The slots of woken sockets, and the waker of the driver's task.
#[derive(Debug, Default)]
struct Ready {
    slots: VecDeque<usize>,
    task: Option<Waker>,
}

/// The shared ready queue. A poisoned lock is used as is: the queue is only slot numbers.
#[derive(Debug, Default)]
struct Queue(Mutex<Ready>);

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Ready> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The waker a bound socket is polled with: it queues the socket's slot.
#[derive(Debug)]
struct SlotWake {
    slot: usize,
    /// Whether the slot is in the queue (so that it is there at most once).
    queued: AtomicBool,
    queue: Arc<Queue>,
}

impl SlotWake {
    /// Puts the slot in the queue unless it is there; `Some` waker of the driver's task
    /// when it was put there.
    fn enqueue(&self) -> Option<Waker> {
        if self.queued.swap(true, Ordering::AcqRel) {
            return None;
        }
        let mut ready = self.queue.lock();
        ready.slots.push_back(self.slot);
        ready.task.clone()
    }
}

impl Wake for SlotWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The driver's task is woken outside the lock.
        if let Some(task) = self.enqueue() {
            task.wake();
        }
    }
}

/// One bound socket and its waker.
#[derive(Debug)]
struct Slot {
    udp: Udp,
    wake: Arc<SlotWake>,
    waker: Waker,
}

/// The sockets bound at the machine's request, in slots, and their ready queue.
#[derive(Debug, Default)]
pub(crate) struct Bound {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    live: usize,
    queue: Arc<Queue>,
}

impl Bound {
    /// Takes a socket bound for the machine ([`wren_io::Sockets`] bound it, with its
    /// options) into tokio and adds it; returns its slot. It is queued at once, so that
    /// its first poll registers its waker.
    pub(crate) fn adopt(
        &mut self,
        sock: std::net::UdpSocket,
        local: SocketAddr,
    ) -> Result<usize, BindError> {
        let sock = UdpSocket::from_std(sock).map_err(|e| wren_io::bind_error(&e))?;
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let wake = Arc::new(SlotWake {
            slot,
            queued: AtomicBool::new(false),
            queue: Arc::clone(&self.queue),
        });
        let waker = Waker::from(Arc::clone(&wake));
        let entry = Some(Slot {
            udp: Udp { sock, local },
            wake,
            waker,
        });
        if slot == self.slots.len() {
            self.slots.push(entry);
        } else {
            self.slots[slot] = entry;
        }
        self.live += 1;
        {
            let mut ready = self.queue.lock();
            let room = self.live.saturating_sub(ready.slots.len());
            ready.slots.reserve(room);
        }
        if let Some(s) = &self.slots[slot] {
            // The driver polls the queue next; no need to wake it.
            let _ = s.wake.enqueue();
        }
        Ok(slot)
    }

    /// Takes the socket in `slot` out and gives it back (dropping it deregisters and closes
    /// it). A wake already queued for it is skipped, or polls whatever socket takes the
    /// slot next, which is harmless.
    pub(crate) fn remove(&mut self, slot: usize) -> Option<Udp> {
        let s = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.live -= 1;
        Some(s.udp)
    }

    /// The socket in `slot`.
    pub(crate) fn get(&self, slot: usize) -> Option<&Udp> {
        self.slots.get(slot)?.as_ref().map(|s| &s.udp)
    }

    /// Receives one datagram into `rx` from a socket in the ready queue: `(slot, result)`.
    ///
    /// Looks at most at the sockets queued when called, and gives up after
    /// [`IDLE_POLLS`] of them in a row had nothing (waking the task to come back): when
    /// tokio's cooperative budget runs out every poll is `Pending`, and each socket then
    /// queues itself again once the task yields, so going through thousands would be work
    /// for nothing.
    pub(crate) fn poll_recv(
        &mut self,
        cx: &mut Context<'_>,
        rx: &mut [u8],
    ) -> Poll<(usize, io::Result<(usize, SocketAddr)>)> {
        let queued = {
            let mut ready = self.queue.lock();
            if !ready.task.as_ref().is_some_and(|t| t.will_wake(cx.waker())) {
                ready.task = Some(cx.waker().clone());
            }
            ready.slots.len()
        };
        let mut idle = 0;
        for _ in 0..queued {
            let Some(slot) = self.queue.lock().slots.pop_front() else {
                break;
            };
            let Some(s) = self.slots.get(slot).and_then(Option::as_ref) else {
                continue;
            };
            s.wake.queued.store(false, Ordering::Release);
            let mut buf = ReadBuf::new(rx);
            let mut own = Context::from_waker(&s.waker);
            if let Poll::Ready(result) = s.udp.sock.poll_recv_from(&mut own, &mut buf) {
                // More may wait: back to the end of the queue, after the others.
                let _ = s.wake.enqueue();
                return Poll::Ready((slot, result.map(|source| (buf.filled().len(), source))));
            }
            idle += 1;
            if idle == IDLE_POLLS {
                cx.waker().wake_by_ref();
                break;
            }
        }
        Poll::Pending
    }
}
