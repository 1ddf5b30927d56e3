//! Socket options, in one place for every adapter: DF (`IP_MTU_DISCOVER`,
//! `IPV6_DONTFRAG`), buffer sizes (`SO_RCVBUF`/`SO_SNDBUF`, `FORCE` first), the
//! `SO_REUSEADDR` rule, and the process's descriptor limit (`RLIMIT_NOFILE`: read it,
//! raise the soft limit to the hard one, count the descriptors open). The only `unsafe` code of the crate, each block with its `SAFETY`
//! comment; everything here is Linux-only, and elsewhere says so with an error.
//!
//! # `SO_REUSEADDR` and `SO_REUSEPORT`: never on a socket bound for the machine
//!
//! A socket bound at the machine's request ([`bind_udp`]) is a TURN relayed address: it
//! must be the only socket on its address, or a second one would take (some of) its
//! datagrams. So neither option is ever set on it, and the OS's `EADDRINUSE` is final
//! ([`wren_core::BindError::AddrInUse`]: the machine tries another port). The
//! application's own sockets are its business: the adapters take them as they are.
//!
//! # Why `libc` and not `socket2`
//!
//! `socket2` (0.6, already in the build through tokio) sets `SO_RCVBUF`, `SO_SNDBUF` and
//! `SO_REUSEADDR`, but has no `IP_MTU_DISCOVER`, `IPV6_DONTFRAG`, `SO_RCVBUFFORCE` or
//! `SO_SNDBUFFORCE`: those would still need `libc` and `unsafe` beside it. Three small
//! `setsockopt`/`getsockopt` wrappers over `libc`, which the adapters use anyway, are
//! less than a second way of doing the same thing.
#![allow(unsafe_code)]

use std::io;
use std::net::{SocketAddr, UdpSocket};

use wren_core::{BindError, SocketOptions};

use crate::error::bind_error;

/// The buffer sizes asked for a UDP socket (`SO_RCVBUF`/`SO_SNDBUF`); `None` leaves the
/// OS default (`net.core.rmem_default`, often 208 KiB).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Buffers {
    /// The receive buffer, in bytes.
    pub recv: Option<usize>,
    /// The send buffer, in bytes.
    pub send: Option<usize>,
}

/// Which socket buffer [`set_buffer`] sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buffer {
    /// `SO_RCVBUF`.
    Receive,
    /// `SO_SNDBUF`.
    Send,
}

/// Binds a non-blocking UDP socket to `addr` for the machine (no `SO_REUSEADDR`, see the
/// module docs), sets `options` on it and sizes its buffers; returns it and its bound
/// address. An option that cannot be set is [`BindError::Unsupported`] (the socket is
/// dropped, so closed); buffers that cannot be sized are logged and left as they are.
///
/// # Errors
///
/// The OS's refusal as a [`BindError`] ([`bind_error`]).
pub fn bind_udp(
    addr: SocketAddr,
    options: SocketOptions,
    buffers: Buffers,
) -> Result<(UdpSocket, SocketAddr), BindError> {
    let sock = UdpSocket::bind(addr).map_err(|e| bind_error(&e))?;
    sock.set_nonblocking(true).map_err(|e| bind_error(&e))?;
    let local = sock.local_addr().map_err(|e| bind_error(&e))?;
    if options.dont_fragment {
        set_dont_fragment(&sock).map_err(|error| {
            tracing::debug!(%local, %error, "DF could not be set");
            BindError::Unsupported
        })?;
    }
    size_buffers(&sock, buffers);
    Ok((sock, local))
}

/// Sizes `sock`'s buffers as `sizes` asks ([`set_buffer`]) and logs (debug) what the
/// kernel granted. A refusal is logged at warn and the socket keeps its size: never fatal.
pub fn size_buffers(sock: &impl AsFd, sizes: Buffers) {
    for (which, asked) in [(Buffer::Receive, sizes.recv), (Buffer::Send, sizes.send)] {
        let Some(asked) = asked else { continue };
        match set_buffer(sock, which, asked) {
            Ok(granted) => tracing::debug!(?which, asked, granted, "UDP socket buffer sized"),
            Err(error) => tracing::warn!(?which, asked, %error, "UDP socket buffer not sized"),
        }
    }
}

/// What the functions here take: a socket of any runtime, by its descriptor.
#[cfg(unix)]
pub use std::os::fd::AsFd;

/// What the functions here take (they only say "unsupported" outside Linux).
#[cfg(not(unix))]
pub trait AsFd {}
#[cfg(not(unix))]
impl<T> AsFd for T {}

/// Sets the DF bit on every datagram `sock` sends (RFC 8656 DONT-FRAGMENT, section 7.2):
/// `IP_MTU_DISCOVER = IP_PMTUDISC_DO` on an IPv4 socket, `IPV6_DONTFRAG = 1` on an IPv6
/// one (the family is the socket's own).
///
/// # Errors
///
/// What `setsockopt` or `getsockname` said; `Unsupported` outside Linux.
pub fn set_dont_fragment(sock: &impl AsFd) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        if is_ipv4(sock)? {
            setsockopt(
                sock,
                libc::IPPROTO_IP,
                libc::IP_MTU_DISCOVER,
                libc::IP_PMTUDISC_DO,
            )
        } else {
            setsockopt(sock, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, 1)
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = sock;
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "DF is only set on Linux",
        ))
    }
}

/// Asks for a socket buffer of `bytes`: first with `SO_RCVBUFFORCE`/`SO_SNDBUFFORCE`
/// (which pass `net.core.rmem_max`/`wmem_max` but need `CAP_NET_ADMIN`), then, if refused,
/// with `SO_RCVBUF`/`SO_SNDBUF` (capped by those limits). Returns the size the kernel
/// granted, as `getsockopt` reports it (Linux doubles what it is asked for, for its own
/// bookkeeping).
///
/// # Errors
///
/// What `setsockopt` said; `Unsupported` outside Linux.
pub fn set_buffer(sock: &impl AsFd, which: Buffer, bytes: usize) -> io::Result<usize> {
    #[cfg(target_os = "linux")]
    {
        let (force, plain) = match which {
            Buffer::Receive => (libc::SO_RCVBUFFORCE, libc::SO_RCVBUF),
            Buffer::Send => (libc::SO_SNDBUFFORCE, libc::SO_SNDBUF),
        };
        let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
        if setsockopt(sock, libc::SOL_SOCKET, force, value).is_err() {
            setsockopt(sock, libc::SOL_SOCKET, plain, value)?;
        }
        let granted = getsockopt(sock, libc::SOL_SOCKET, plain)?;
        Ok(usize::try_from(granted).unwrap_or(0))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (sock, which, bytes);
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "socket buffers are only sized on Linux",
        ))
    }
}

/// Whether `sock` is an IPv4 socket (its family, from `getsockname`).
#[cfg(target_os = "linux")]
fn is_ipv4(sock: &impl AsFd) -> io::Result<bool> {
    Ok(getsockopt(sock, libc::SOL_SOCKET, libc::SO_DOMAIN)? == libc::AF_INET)
}

/// The value of an `int` socket option.
///
/// # Errors
///
/// What `getsockopt` said.
#[cfg(target_os = "linux")]
pub fn getsockopt(
    sock: &impl AsFd,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    use std::os::fd::AsRawFd;
    let mut value: libc::c_int = 0;
    let mut len = int_len();
    let fd = sock.as_fd();
    // SAFETY: `fd` is borrowed from `sock`, so open for the call; `value` is a c_int and
    // `len` says so; the kernel writes at most `len` bytes into it, during the call only.
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    if r == 0 {
        Ok(value)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sets an `int` socket option.
#[cfg(target_os = "linux")]
fn setsockopt(
    sock: &impl AsFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = sock.as_fd();
    // SAFETY: `fd` is borrowed from `sock`, so open for the call; the option value is one
    // c_int, which the kernel only reads, during the call, for the length given.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            std::ptr::from_ref(&value).cast(),
            int_len(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The process's descriptor limit (`RLIMIT_NOFILE`): `(soft, hard)`.
///
/// # Errors
///
/// What `getrlimit` said; outside Linux, [`io::ErrorKind::Unsupported`].
pub fn nofile_limit() -> io::Result<(u64, u64)> {
    #[cfg(target_os = "linux")]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a valid, writable `rlimit` for the call; the kernel writes
        // it and keeps no pointer to it.
        let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        if r == 0 {
            Ok((limit.rlim_cur, limit.rlim_max))
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(target_os = "linux"))]
    Err(io::ErrorKind::Unsupported.into())
}

/// Raises the soft descriptor limit (`RLIMIT_NOFILE`) to the hard one, as coturn does at
/// start, and returns the limits now in force, `(soft, hard)`. A server holding one
/// descriptor per connection and per relayed address needs far more than the usual soft
/// limit of 1024; the hard limit is what the administrator allows.
///
/// # Errors
///
/// What `getrlimit` or `setrlimit` said; outside Linux, [`io::ErrorKind::Unsupported`].
pub fn raise_nofile_limit() -> io::Result<(u64, u64)> {
    let (soft, hard) = nofile_limit()?;
    if soft >= hard {
        return Ok((soft, hard));
    }
    set_nofile_soft_limit(hard)
}

/// Sets the soft `RLIMIT_NOFILE` of this process to `soft` (at most the hard limit), and
/// returns the limits (soft, hard) now. Tests use it to run out of descriptors on purpose.
///
/// # Errors
///
/// What `getrlimit` or `setrlimit` said; outside Linux, [`io::ErrorKind::Unsupported`].
pub fn set_nofile_soft_limit(soft: u64) -> io::Result<(u64, u64)> {
    #[cfg(target_os = "linux")]
    {
        let (_, hard) = nofile_limit()?;
        let limit = libc::rlimit {
            rlim_cur: soft.min(hard),
            rlim_max: hard,
        };
        // SAFETY: `limit` is a valid `rlimit`, read by the kernel during the call only.
        let r = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
        if r == 0 {
            nofile_limit()
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = soft;
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// Sets the backlog of a listening TCP socket (a second `listen` on it, which Linux
/// allows): the connections the kernel completes and queues while the application is busy.
/// std's `TcpListener::bind` asks for 128, which a burst of clients fills in a moment;
/// past it the kernel drops their SYNs and they retry a second later. The kernel caps it
/// at `net.core.somaxconn`.
///
/// # Errors
///
/// What `listen` said; outside Linux, [`io::ErrorKind::Unsupported`].
pub fn set_listen_backlog(sock: &impl AsFd, backlog: u32) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let backlog = libc::c_int::try_from(backlog).unwrap_or(libc::c_int::MAX);
        let fd = sock.as_fd();
        // SAFETY: `fd` is borrowed from `sock`, so open for the call; `listen` takes no
        // pointer.
        let r = unsafe { libc::listen(fd.as_raw_fd(), backlog) };
        if r == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (sock, backlog);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// How many descriptors the process has open now (the entries of `/proc/self/fd`, less
/// the one that reading it opens); `None` where that cannot be read. A directory read,
/// not a system call per descriptor: call it once at start, not per connection.
#[must_use]
pub fn open_descriptors() -> Option<usize> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    Some(entries.count().saturating_sub(1))
}

#[cfg(target_os = "linux")]
fn int_len() -> libc::socklen_t {
    libc::socklen_t::try_from(std::mem::size_of::<libc::c_int>()).unwrap_or(libc::socklen_t::MAX)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_listener_takes_a_deeper_backlog() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        set_listen_backlog(&listener, 1024).unwrap();
        // Still listening: a connection is accepted.
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        listener.accept().unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(set_listen_backlog(&udp, 16).is_err(), "not a stream socket");
    }

    #[test]
    fn the_soft_descriptor_limit_is_raised_to_the_hard_one() {
        let (soft, hard) = raise_nofile_limit().unwrap();
        assert_eq!(soft, hard);
        assert_eq!(nofile_limit().unwrap(), (soft, hard));
        let before = open_descriptors().unwrap();
        let socks: Vec<_> = (0..3)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        // Other tests of this process open and close sockets meanwhile: at least ours.
        assert!(open_descriptors().unwrap() >= 3, "{before} then {socks:?}");
    }

    #[test]
    fn dont_fragment_is_set_on_ipv4_and_ipv6_sockets() {
        let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = getsockopt(&v4, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER).unwrap();
        assert_ne!(before, libc::IP_PMTUDISC_DO, "not the default");
        set_dont_fragment(&v4).unwrap();
        assert_eq!(
            getsockopt(&v4, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER).unwrap(),
            libc::IP_PMTUDISC_DO
        );
        // IPv6 may be disabled on the host running the tests.
        if let Ok(v6) = UdpSocket::bind("[::1]:0") {
            set_dont_fragment(&v6).unwrap();
            assert_eq!(
                getsockopt(&v6, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG).unwrap(),
                1
            );
        }
    }

    #[test]
    fn socket_buffers_are_granted_as_asked_below_the_limits() {
        // 100 KiB is under the default net.core.rmem_max/wmem_max (208 KiB), so it is
        // granted with or without CAP_NET_ADMIN; Linux reports twice what it was asked.
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        for which in [Buffer::Receive, Buffer::Send] {
            let granted = set_buffer(&sock, which, 100 * 1024).unwrap();
            assert_eq!(granted, 200 * 1024, "{which:?}");
        }
    }

    #[test]
    fn a_socket_bound_for_the_machine_is_non_blocking_without_reuseaddr_and_has_its_options() {
        let options = SocketOptions::default().with_dont_fragment(true);
        let (sock, local) =
            bind_udp("127.0.0.1:0".parse().unwrap(), options, Buffers::default()).unwrap();
        assert_eq!(sock.local_addr().unwrap(), local);
        assert_eq!(
            getsockopt(&sock, libc::SOL_SOCKET, libc::SO_REUSEADDR).unwrap(),
            0
        );
        assert_eq!(
            getsockopt(&sock, libc::IPPROTO_IP, libc::IP_MTU_DISCOVER).unwrap(),
            libc::IP_PMTUDISC_DO
        );
        let mut buf = [0u8; 8];
        let e = sock.recv_from(&mut buf).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock, "non-blocking");
        // Its address is its own: a second bind of it is refused, as the machine is told.
        assert_eq!(
            bind_udp(local, SocketOptions::default(), Buffers::default()).unwrap_err(),
            BindError::AddrInUse
        );
    }
}
