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
use wren_core::{BindError, SocketOptions};

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
    /// Binds a non-blocking UDP socket to `addr`, sets `options` on it, and adds it;
    /// returns its slot and bound address. It is queued at once, so that its first poll
    /// registers its waker. An option that cannot be set is [`BindError::Unsupported`]
    /// (the socket is dropped, so closed).
    pub(crate) fn bind(
        &mut self,
        addr: SocketAddr,
        options: SocketOptions,
    ) -> Result<(usize, SocketAddr), BindError> {
        let sock = std::net::UdpSocket::bind(addr).map_err(|e| bind_error(&e))?;
        sock.set_nonblocking(true).map_err(|e| bind_error(&e))?;
        let local = sock.local_addr().map_err(|e| bind_error(&e))?;
        if options.dont_fragment {
            set_dont_fragment(&sock, local.is_ipv4()).map_err(|error| {
                tracing::debug!(%local, %error, "DF could not be set");
                BindError::Unsupported
            })?;
        }
        let sock = UdpSocket::from_std(sock).map_err(|e| bind_error(&e))?;
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
        Ok((slot, local))
    }

    /// Drops the socket in `slot` (tokio deregisters it). A wake already queued for it is
    /// skipped, or polls whatever socket takes the slot next, which is harmless.
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

/// Sets the DF bit on every datagram `sock` sends (RFC 8656 DONT-FRAGMENT):
/// `IP_MTU_DISCOVER = IP_PMTUDISC_DO` on an IPv4 socket, `IPV6_DONTFRAG = 1` on an IPv6 one.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub(crate) fn set_dont_fragment(sock: &std::net::UdpSocket, ipv4: bool) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let (level, name, value): (libc::c_int, libc::c_int, libc::c_int) = if ipv4 {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_DO,
        )
    } else {
        (libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, 1)
    };
    // SAFETY: `sock` is borrowed, so its fd is open for the call; the option value is one
    // c_int, which the kernel only reads, during the call, for the length given.
    let r = unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(&value).cast(),
            libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>())
                .unwrap_or(libc::socklen_t::MAX),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// DF is only set on Linux.
#[cfg(not(target_os = "linux"))]
pub(crate) fn set_dont_fragment(_sock: &std::net::UdpSocket, _ipv4: bool) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "DF is only set on Linux",
    ))
}

/// What the machine is told when binding fails: [`BindError::from_io`], except that running
/// out of descriptors, buffers or memory is [`BindError::Exhausted`] (`std` has no
/// `ErrorKind` for `EMFILE`).
fn bind_error(e: &io::Error) -> BindError {
    #[cfg(target_os = "linux")]
    if let Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM | libc::ENOSPC) =
        e.raw_os_error()
    {
        return BindError::Exhausted;
    }
    BindError::from_io(e.kind())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Reads an `int` socket option.
    #[allow(unsafe_code)]
    fn getsockopt_int(sock: &std::net::UdpSocket, level: libc::c_int, name: libc::c_int) -> i32 {
        use std::os::fd::AsRawFd;
        let mut value: libc::c_int = 0;
        let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap();
        // SAFETY: `value` is a c_int and `len` says so; both live until the call returns.
        let r = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                level,
                name,
                std::ptr::from_mut(&mut value).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0, "{}", io::Error::last_os_error());
        value
    }

    #[test]
    fn dont_fragment_is_set_on_ipv4_and_ipv6_sockets() {
        let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        set_dont_fragment(&v4, true).unwrap();
        assert_eq!(
            getsockopt_int(&v4, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER),
            libc::IP_PMTUDISC_DO
        );
        // IPv6 may be disabled on the host running the tests.
        if let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") {
            set_dont_fragment(&v6, false).unwrap();
            assert_eq!(
                getsockopt_int(&v6, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG),
                1
            );
        }
    }
}
