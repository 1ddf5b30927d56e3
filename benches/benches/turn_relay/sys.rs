//! The few system calls the load generator and the bare forwarder need, through libc:
//! `sendmmsg` of one frame repeated, `recvmmsg` into fixed slots, CPU pinning, a forced
//! receive buffer, and signals.

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::RawFd;

/// Pins the calling thread (and the threads it spawns later) to `cpu`.
pub(crate) fn pin_to_cpu(cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is a plain bit array; zeroed is its empty set, CPU_SET writes inside
    // it (cpu < CPU_SETSIZE is checked by the caller's cpu count), and sched_setaffinity
    // only reads `size_of` bytes of it.
    let r = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set)
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets SO_RCVBUF (the kernel doubles it; without `force`, capped at
/// `net.core.rmem_max`). With `force`, SO_RCVBUFFORCE passes the cap when allowed
/// (CAP_NET_ADMIN); without it the plain option is tried.
pub(crate) fn set_rcvbuf(fd: RawFd, bytes: usize, force: bool) -> io::Result<()> {
    let v = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let opts: &[libc::c_int] = if force {
        &[libc::SO_RCVBUFFORCE, libc::SO_RCVBUF]
    } else {
        &[libc::SO_RCVBUF]
    };
    for &opt in opts {
        // SAFETY: `v` is a c_int that lives across the call, and its size is passed.
        let r = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                opt,
                (&raw const v).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            return Ok(());
        }
    }
    Err(io::Error::last_os_error())
}

/// Sends `sig` to process `pid`.
pub(crate) fn kill(pid: u32, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill has no memory arguments.
        unsafe { libc::kill(pid, sig) };
    }
}

/// Clock ticks per second, the unit of utime and stime in /proc/PID/stat.
pub(crate) fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no memory arguments.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// One frame sent `n` times by one `sendmmsg` on a connected socket: every header points at
/// the same iovec, which points at the same bytes. Nothing is copied per call.
pub(crate) struct Burst {
    // The heap blocks the headers point into; kept alive and never moved or resized.
    _frame: Box<[u8]>,
    _iov: Box<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

impl Burst {
    pub(crate) fn new(frame: &[u8], n: usize) -> Burst {
        let mut frame: Box<[u8]> = frame.into();
        let mut iov = Box::new(libc::iovec {
            iov_base: frame.as_mut_ptr().cast(),
            iov_len: frame.len(),
        });
        let iov_ptr: *mut libc::iovec = &mut *iov;
        let hdrs = (0..n.max(1))
            .map(|_| {
                // SAFETY: mmsghdr is a plain C struct for which all zeroes is valid (null
                // name and control, no iovecs).
                let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
                h.msg_hdr.msg_iov = iov_ptr;
                h.msg_hdr.msg_iovlen = 1;
                h
            })
            .collect();
        Burst {
            _frame: frame,
            _iov: iov,
            hdrs,
        }
    }

    /// Sends the burst on connected socket `fd` without blocking; how many datagrams left.
    pub(crate) fn send(&mut self, fd: RawFd) -> io::Result<usize> {
        // SAFETY: every header points at `_iov`, which points at `_frame`; both are owned by
        // self and outlive the call; the kernel writes only `msg_len` of each header.
        let r = unsafe {
            libc::sendmmsg(
                fd,
                self.hdrs.as_mut_ptr(),
                self.hdrs.len() as libc::c_uint,
                libc::MSG_DONTWAIT,
            )
        };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }
}

/// `n` receive slots of `slot` bytes, read by one `recvmmsg`, and (for the forwarder) the
/// headers that send their payloads on with one `sendmmsg`.
pub(crate) struct Batch {
    buf: Vec<u8>,
    slot: usize,
    in_iovs: Vec<libc::iovec>,
    in_names: Vec<libc::sockaddr_in>,
    in_hdrs: Vec<libc::mmsghdr>,
    out_iovs: Vec<libc::iovec>,
    out_hdrs: Vec<libc::mmsghdr>,
    dest: Box<libc::sockaddr_in>,
}

impl Batch {
    pub(crate) fn new(n: usize, slot: usize) -> Batch {
        let mut buf = vec![0u8; n * slot];
        let base = buf.as_mut_ptr();
        let empty = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        let mut in_iovs: Vec<libc::iovec> = (0..n)
            .map(|i| libc::iovec {
                // SAFETY (of the pointer arithmetic): i * slot < buf.len().
                iov_base: unsafe { base.add(i * slot) }.cast(),
                iov_len: slot,
            })
            .collect();
        let mut out_iovs = vec![empty; n];
        // SAFETY: all zeroes is a valid mmsghdr and sockaddr_in.
        let zero_hdr: libc::mmsghdr = unsafe { std::mem::zeroed() };
        let mut dest: Box<libc::sockaddr_in> = Box::new(unsafe { std::mem::zeroed() });
        let dest_ptr: *mut libc::sockaddr_in = &mut *dest;
        // SAFETY: all zeroes is a valid sockaddr_in.
        let mut in_names = vec![unsafe { std::mem::zeroed::<libc::sockaddr_in>() }; n];
        let in_hdrs = in_iovs
            .iter_mut()
            .zip(in_names.iter_mut())
            .map(|(iov, name)| {
                let mut h = zero_hdr;
                h.msg_hdr.msg_iov = iov;
                h.msg_hdr.msg_iovlen = 1;
                h.msg_hdr.msg_name = (name as *mut libc::sockaddr_in).cast();
                h
            })
            .collect();
        let out_hdrs = out_iovs
            .iter_mut()
            .map(|iov| {
                let mut h = zero_hdr;
                h.msg_hdr.msg_iov = iov;
                h.msg_hdr.msg_iovlen = 1;
                h.msg_hdr.msg_name = dest_ptr.cast();
                h.msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
                h
            })
            .collect();
        Batch {
            buf,
            slot,
            in_iovs,
            in_names,
            in_hdrs,
            out_iovs,
            out_hdrs,
            dest,
        }
    }

    /// Receives up to n datagrams with `flags` (MSG_DONTWAIT, or MSG_WAITFORONE on a
    /// socket with a receive timeout). `Ok(0)` when nothing was waiting.
    pub(crate) fn recv(&mut self, fd: RawFd, flags: libc::c_int) -> io::Result<usize> {
        for (h, iov) in self.in_hdrs.iter_mut().zip(&self.in_iovs) {
            h.msg_hdr.msg_flags = 0;
            h.msg_hdr.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            debug_assert_eq!(iov.iov_len, self.slot);
        }
        // SAFETY: each header points at its own iovec in `in_iovs` and its own name in
        // `in_names`, each iovec at its own `slot` bytes of `buf`; all owned by self, never
        // resized after `new`.
        let r = unsafe {
            libc::recvmmsg(
                fd,
                self.in_hdrs.as_mut_ptr(),
                self.in_hdrs.len() as libc::c_uint,
                flags,
                std::ptr::null_mut(),
            )
        };
        if r >= 0 {
            return Ok(r as usize);
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(0),
            _ => Err(e),
        }
    }

    /// Datagram `i` of the last receive.
    pub(crate) fn datagram(&self, i: usize) -> &[u8] {
        let len = (self.in_hdrs[i].msg_len as usize).min(self.slot);
        &self.buf[i * self.slot..][..len]
    }

    /// The source (IPv4 address and port, network order) of datagram `i` of the last receive.
    pub(crate) fn source(&self, i: usize) -> (u32, u16) {
        let n = &self.in_names[i];
        (n.sin_addr.s_addr, n.sin_port)
    }

    /// Where [`Batch::forward`] sends.
    pub(crate) fn set_destination(&mut self, to: SocketAddrV4) {
        self.dest.sin_family = libc::AF_INET as libc::sa_family_t;
        self.dest.sin_port = to.port().to_be();
        self.dest.sin_addr = libc::in_addr {
            s_addr: u32::from(*to.ip()).to_be(),
        };
    }

    /// Sends, from `fd` to the destination, `bytes[start..end]` of each received datagram
    /// listed in `parts` (datagram index, start, end), with as few `sendmmsg` as the kernel
    /// allows (blocking socket). Returns how many were sent, and in how many calls.
    pub(crate) fn forward(&mut self, fd: RawFd, parts: &[(usize, usize, usize)]) -> (usize, usize) {
        let base = self.buf.as_mut_ptr();
        for (k, &(i, start, end)) in parts.iter().enumerate() {
            debug_assert!(start <= end && end <= self.slot);
            self.out_iovs[k] = libc::iovec {
                // SAFETY (of the pointer arithmetic): i * slot + start <= buf.len().
                iov_base: unsafe { base.add(i * self.slot + start) }.cast(),
                iov_len: end - start,
            };
        }
        let (mut sent, mut calls) = (0, 0);
        let mut tries = 0;
        while sent < parts.len() && tries < 64 {
            tries += 1;
            // SAFETY: headers sent..parts.len() point at their iovecs (just set, into
            // `buf`) and at `dest`; all owned by self and unchanged during the call.
            let r = unsafe {
                libc::sendmmsg(
                    fd,
                    self.out_hdrs[sent..].as_mut_ptr(),
                    (parts.len() - sent) as libc::c_uint,
                    0,
                )
            };
            if r > 0 {
                sent += r as usize;
                calls += 1;
            } else if r < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
                break;
            }
        }
        (sent, calls)
    }

    /// Sends the `parts` (as in [`Batch::forward`], all `segment` bytes long but maybe the
    /// last) as one UDP GSO datagram (UDP_SEGMENT): one `sendmsg`, cut into datagrams by
    /// the kernel. Returns how many datagrams that made (0 on failure).
    pub(crate) fn forward_gso(
        &mut self,
        fd: RawFd,
        parts: &[(usize, usize, usize)],
        segment: usize,
    ) -> usize {
        let base = self.buf.as_mut_ptr();
        for (k, &(i, start, end)) in parts.iter().enumerate() {
            self.out_iovs[k] = libc::iovec {
                // SAFETY (of the pointer arithmetic): i * slot + start <= buf.len().
                iov_base: unsafe { base.add(i * self.slot + start) }.cast(),
                iov_len: end - start,
            };
        }
        let seg = u16::try_from(segment).unwrap_or(u16::MAX);
        // Room for one cmsghdr and a u16, 8-aligned.
        let mut control = [0u64; 4];
        // SAFETY: msghdr is plain C; it points at `dest`, at the first parts.len() iovecs
        // (set above, into `buf`) and at `control`, which CMSG_SPACE(2) fits; the cmsg
        // macros stay inside it. All of it lives across the call.
        let r = unsafe {
            let mut msg: libc::msghdr = std::mem::zeroed();
            msg.msg_name = (&raw mut *self.dest).cast();
            msg.msg_namelen = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            msg.msg_iov = self.out_iovs.as_mut_ptr();
            msg.msg_iovlen = parts.len();
            msg.msg_control = control.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(size_of::<u16>() as u32) as usize;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_UDP;
            (*cmsg).cmsg_type = libc::UDP_SEGMENT;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<u16>(), seg);
            libc::sendmsg(fd, &msg, 0)
        };
        if r > 0 { parts.len() } else { 0 }
    }
}

/// The round trip of a cache line between this thread and a thread pinned to `cpu`, in
/// nanoseconds (median of 5 runs of 1000 trips; NaN if the other thread did not answer
/// within 100 ms). On a virtual machine this shows where the host has put the two vCPUs
/// right now: sharing a last-level cache (short) or not (several times longer), which
/// changes the cost of every packet that crosses from one CPU to the other.
pub(crate) fn cache_line_round_trip(cpu: usize) -> f64 {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    const TRIPS: u64 = 1000;
    const RUNS: usize = 5;
    let flag = Arc::new(AtomicU64::new(0));
    let other = Arc::clone(&flag);
    // Waits until `flag` holds `want`, for at most 100 ms after `since`.
    fn wait(flag: &AtomicU64, want: u64, since: Instant) -> bool {
        let mut spins = 0u32;
        while flag.load(Ordering::Acquire) != want {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(4096) && since.elapsed() > Duration::from_millis(100) {
                return false;
            }
        }
        true
    }
    let t = std::thread::spawn(move || {
        if pin_to_cpu(cpu).is_err() {
            return;
        }
        let start = Instant::now();
        for i in 0..TRIPS * RUNS as u64 {
            if !wait(&other, 2 * i + 1, start) {
                return;
            }
            other.store(2 * i + 2, Ordering::Release);
        }
    });
    let mut runs = Vec::with_capacity(RUNS);
    let begin = Instant::now();
    'outer: for r in 0..RUNS as u64 {
        let start = Instant::now();
        for i in r * TRIPS..(r + 1) * TRIPS {
            flag.store(2 * i + 1, Ordering::Release);
            if !wait(&flag, 2 * i + 2, begin) {
                break 'outer;
            }
        }
        runs.push(start.elapsed().as_nanos() as f64 / TRIPS as f64);
    }
    let _ = t.join();
    if runs.len() < RUNS {
        return f64::NAN;
    }
    runs.sort_by(f64::total_cmp);
    runs[RUNS / 2]
}
