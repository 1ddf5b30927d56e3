//! `recvmmsg(2)` and `sendmmsg(2)` (with `UDP_SEGMENT` control messages for GSO) through
//! `libc`: the only unsafe code of the crate. Socket options (DF, buffer sizes) are
//! `wren_io::sockopt`'s, shared with wren-tokio.
//!
//! The headers of the batched calls ([`Headers`], about 7 KiB for a batch of 32) are made
//! and zeroed once per driver run; each call fills the entries it uses, points them at the
//! caller's buffers, makes one system call, and reads the results back: no allocation and
//! no zeroing per call, and no pointer left behind is ever read again.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;
use std::ptr;

use crate::udp::{BATCH, IOVS, Received};

/// `UDP_SEGMENT` (linux/udp.h), at level `SOL_UDP`: the GSO segment size, a `u16`.
const UDP_SEGMENT: libc::c_int = 103;
/// Room for one control message per header: a `UDP_SEGMENT` takes `CMSG_SPACE(2)` bytes
/// (24 on 64-bit targets); `u64`s keep it aligned for a `cmsghdr`.
type Control = [u64; 4];

/// The headers of one `recvmmsg` or `sendmmsg` call (about 9 KiB for a batch of
/// [`BATCH`]), kept by the driver between calls: zeroed once when made, never per call.
/// Each call fills only the entries it uses, and points them at its own buffers; the
/// pointers left behind are never read again (the next call overwrites those it uses).
/// The control message buffers (one `UDP_SEGMENT` per message at most) are part of it:
/// GSO allocates nothing per call either.
pub(crate) struct Headers {
    names: [libc::sockaddr_storage; BATCH],
    iovs: [libc::iovec; IOVS],
    hdrs: [libc::mmsghdr; BATCH],
    controls: [Control; BATCH],
}

impl Headers {
    /// Zeroed headers, on the heap (made once per driver run, not per call).
    pub(crate) fn new() -> Box<Headers> {
        // SAFETY: sockaddr_storage, iovec and mmsghdr are plain C structs of integers and
        // raw pointers, for which all-zero bytes are a valid value (null pointers, no
        // control messages, zero lengths and flags).
        Box::new(unsafe { mem::zeroed() })
    }

    /// Points `hdrs[..n]` at `names[i]` and `iovs[i]`, with the name lengths `namelen(i)`.
    /// The pointers are taken after `names` and `iovs` were written, so they are the
    /// latest borrows of those arrays when the kernel uses them.
    fn link(&mut self, n: usize, namelen: impl Fn(usize) -> libc::socklen_t) {
        let (names_at, iovs_at) = (self.names.as_mut_ptr(), self.iovs.as_mut_ptr());
        for (i, h) in self.hdrs.iter_mut().take(n).enumerate() {
            h.msg_hdr.msg_name = names_at.wrapping_add(i).cast();
            h.msg_hdr.msg_namelen = namelen(i);
            h.msg_hdr.msg_iov = iovs_at.wrapping_add(i);
            h.msg_hdr.msg_iovlen = 1;
            h.msg_hdr.msg_control = ptr::null_mut();
            h.msg_hdr.msg_controllen = 0;
        }
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Headers").finish_non_exhaustive()
    }
}

/// Receives up to [`BATCH`] datagrams with one `recvmmsg`, datagram `i` into
/// `rx[i * slot..][..slot]`; describes each in `out` (cleared first). Returns how many.
pub(crate) fn recvmmsg(
    fd: RawFd,
    rx: &mut [u8],
    slot: usize,
    out: &mut Vec<Received>,
    h: &mut Headers,
) -> io::Result<usize> {
    out.clear();
    let mut n = 0;
    for (iov, chunk) in h.iovs.iter_mut().zip(rx.chunks_exact_mut(slot.max(1))) {
        iov.iov_base = chunk.as_mut_ptr().cast();
        iov.iov_len = chunk.len();
        n += 1;
    }
    if n == 0 {
        return Ok(0);
    }
    // The kernel writes back each name's length, so every call sets it again.
    h.link(n, |_| socklen(mem::size_of::<libc::sockaddr_storage>()));
    // SAFETY: hdrs[..n] each point at one iovec over a distinct `slot`-sized part of `rx`
    // (exclusively borrowed for this call, so nothing else reads or writes it meanwhile) and
    // at a sockaddr_storage, which holds any address; `h` is exclusively borrowed too, so
    // all of them live, untouched by anything else, until the call returns; hdrs[..n] have
    // no control messages (zeroed once, never set); and n <= BATCH = hdrs.len().
    let got = unsafe { libc::recvmmsg(fd, h.hdrs.as_mut_ptr(), n as _, 0, ptr::null_mut()) };
    let got = usize::try_from(got).map_err(|_| io::Error::last_os_error())?;
    for (m, name) in h.hdrs.iter().zip(&h.names).take(got) {
        out.push(Received {
            len: m.msg_len as usize,
            source: to_std(name),
            truncated: m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0,
        });
    }
    Ok(got)
}

/// Sends up to [`BATCH`] of `msgs` with one `sendmmsg`; returns how many messages went
/// out (the rest, if any, are for the next call).
///
/// A message is `(destination, gso, parts)`: its payload is `parts` joined (adjacent parts
/// of one buffer share an iovec). With `gso` > 0 it carries a `UDP_SEGMENT` control
/// message and the kernel cuts it into datagrams of `gso` bytes (the last may be
/// shorter); with 0 it is one datagram. At most [`IOVS`] iovecs per call: a message that
/// would need more is left for the next call (the caller plans within that bound).
pub(crate) fn sendmmsg<'a, P>(
    fd: RawFd,
    msgs: impl Iterator<Item = (SocketAddr, u16, P)>,
    h: &mut Headers,
) -> io::Result<usize>
where
    P: Iterator<Item = &'a [u8]>,
{
    // Per message: its name length, first iovec, iovec count and GSO size.
    let mut plan: [(libc::socklen_t, usize, usize, u16); BATCH] = [(0, 0, 0, 0); BATCH];
    let (mut n, mut k) = (0, 0);
    'msgs: for (i, (dest, gso, parts)) in msgs.take(BATCH).enumerate() {
        let first = k;
        for part in parts {
            if k > first {
                let prev = &mut h.iovs[k - 1];
                // A part that starts where the previous one ends (the next segment of
                // one buffer) extends its iovec.
                if prev.iov_base.cast::<u8>().wrapping_add(prev.iov_len) == part.as_ptr().cast_mut()
                {
                    prev.iov_len += part.len();
                    continue;
                }
            }
            if k == IOVS {
                break 'msgs;
            }
            // The kernel only reads through iov_base on send; the cast to *mut is what
            // iovec wants.
            h.iovs[k].iov_base = part.as_ptr().cast_mut().cast();
            h.iovs[k].iov_len = part.len();
            k += 1;
        }
        plan[i] = (from_std(dest, &mut h.names[i]), first, k - first, gso);
        n = i + 1;
    }
    if n == 0 {
        return Ok(0);
    }
    // SAFETY: CMSG_SPACE/CMSG_LEN only compute sizes.
    let (space, len) = unsafe { (libc::CMSG_SPACE(2), libc::CMSG_LEN(2)) };
    debug_assert!(space as usize <= mem::size_of::<Control>());
    let (names_at, iovs_at) = (h.names.as_mut_ptr(), h.iovs.as_mut_ptr());
    let controls_at = h.controls.as_mut_ptr();
    for (i, (m, &(namelen, first, count, gso))) in h.hdrs.iter_mut().zip(&plan).take(n).enumerate()
    {
        let hdr = &mut m.msg_hdr;
        hdr.msg_name = names_at.wrapping_add(i).cast();
        hdr.msg_namelen = namelen;
        hdr.msg_iov = iovs_at.wrapping_add(first);
        hdr.msg_iovlen = count as _;
        if gso == 0 {
            hdr.msg_control = ptr::null_mut();
            hdr.msg_controllen = 0;
            continue;
        }
        hdr.msg_control = controls_at.wrapping_add(i).cast();
        hdr.msg_controllen = space as _;
        // SAFETY: msg_control points at controls[i], CMSG_SPACE(2) <= its size bytes,
        // aligned for a cmsghdr (u64s), so CMSG_FIRSTHDR returns it (not null) and the
        // header and its two data bytes at CMSG_DATA fit in it; the data may be unaligned
        // for a u16, hence write_unaligned.
        unsafe {
            let c = libc::CMSG_FIRSTHDR(hdr);
            (*c).cmsg_level = libc::SOL_UDP;
            (*c).cmsg_type = UDP_SEGMENT;
            (*c).cmsg_len = len as _;
            libc::CMSG_DATA(c).cast::<u16>().write_unaligned(gso);
        }
    }
    // SAFETY: hdrs[..n] each point at msg_iovlen iovecs of iovs (all within IOVS, written
    // above) over payload slices borrowed for 'a (alive for the whole call; the kernel
    // only reads them), at an address initialised for msg_namelen bytes by `from_std`, and
    // at either no control message or one UDP_SEGMENT written above into controls[i];
    // `h` is exclusively borrowed for the call, and n <= BATCH = hdrs.len().
    let sent = unsafe { libc::sendmmsg(fd, h.hdrs.as_mut_ptr(), n as _, 0) };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

fn socklen(len: usize) -> libc::socklen_t {
    libc::socklen_t::try_from(len).unwrap_or(libc::socklen_t::MAX)
}

/// The address the kernel wrote into `name`; `None` for a family other than IPv4/IPv6.
fn to_std(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(name.ss_family) {
        libc::AF_INET => {
            // SAFETY: ss_family says the kernel wrote a sockaddr_in here; sockaddr_storage
            // is larger than sockaddr_in and aligned for it.
            let a = unsafe { &*ptr::from_ref(name).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe { &*ptr::from_ref(name).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            let port = u16::from_be(a.sin6_port);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port,
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Writes `addr` into `name` as the kernel expects it; returns its length.
fn from_std(addr: SocketAddr, name: &mut libc::sockaddr_storage) -> libc::socklen_t {
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in and aligned for it.
            unsafe { ptr::from_mut(name).cast::<libc::sockaddr_in>().write(sin) };
            socklen(mem::size_of::<libc::sockaddr_in>())
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in6 and aligned for it.
            unsafe { ptr::from_mut(name).cast::<libc::sockaddr_in6>().write(sin6) };
            socklen(mem::size_of::<libc::sockaddr_in6>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_sockaddr_storage() {
        for addr in ["127.0.0.1:3478", "[::1]:5349", "[fe80::1%2]:9"] {
            let addr: SocketAddr = addr.parse().unwrap();
            // SAFETY: all-zero bytes are a valid sockaddr_storage.
            let mut name: libc::sockaddr_storage = unsafe { mem::zeroed() };
            let len = from_std(addr, &mut name);
            assert!(len as usize <= mem::size_of::<libc::sockaddr_storage>());
            assert_eq!(to_std(&name), Some(addr));
        }
    }
}
