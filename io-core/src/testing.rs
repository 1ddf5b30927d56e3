//! Helpers for the adapters' socket tests; only with the `testing` feature (enabled by
//! their `[dev-dependencies]`).

use std::net::{IpAddr, SocketAddr};

/// Ports the OS never hands out for a bind to port 0 start here (Linux's default
/// `net.ipv4.ip_local_port_range`, when it cannot be read).
const EPHEMERAL_LOW: u16 = 32768;
/// The lowest port [`quiet_addrs`] offers: above the well-known and common service ports.
const QUIET_LOW: u16 = 10_000;

/// Addresses on `ip` whose ports lie below the OS's ephemeral range
/// (`/proc/sys/net/ipv4/ip_local_port_range`), each once, starting at a point that
/// depends on the process id so that parallel test processes spread out.
///
/// A test that closes a socket and then checks that its port is free again binds it to
/// one of these: a port from the ephemeral range can be handed to any other process's
/// bind to port 0 the moment it is free, which on a loaded machine made such a check fail
/// for reasons that were not the driver's. Try them in turn until a bind succeeds.
pub fn quiet_addrs(ip: IpAddr) -> impl Iterator<Item = SocketAddr> {
    let low = ephemeral_low().max(QUIET_LOW + 1);
    let span = u32::from(low - QUIET_LOW);
    let start = std::process::id().wrapping_mul(7919) % span;
    (0..span).map(move |i| {
        let offset = u16::try_from((start + i) % span).unwrap_or(0);
        SocketAddr::new(ip, QUIET_LOW + offset)
    })
}

/// The first port of the OS's ephemeral range.
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(EPHEMERAL_LOW)
}

/// Opens `/dev/null` until the process has no descriptor left (`EMFILE`), and returns them:
/// a test fills the table this way, on its own thread, to know which call of the driver's
/// gets the last free descriptor. Lower the soft limit first
/// ([`crate::sockopt::set_nofile_soft_limit`]) so this takes a moment, not the machine.
///
/// # Panics
///
/// When an open fails for another reason than `EMFILE`.
#[must_use]
pub fn fill_descriptors() -> Vec<std::fs::File> {
    let mut files = Vec::new();
    loop {
        match std::fs::File::open("/dev/null") {
            Ok(f) => files.push(f),
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(libc::EMFILE), "{e}");
                return files;
            }
        }
    }
}
