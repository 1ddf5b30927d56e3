//! Sockets a machine asks its driver for: the relayed transport addresses of a TURN server,
//! later the host candidates of an ICE agent.
//!
//! A machine owns no socket. When it needs one it queues a [`SocketRequest`]; the driver
//! (an io adapter or the simulator) drains them with [`crate::Machine::poll_socket_request`]
//! in the same drain as transmits and events, carries each out, and answers a
//! [`SocketRequest::Bind`] with [`crate::Machine::handle_socket_result`]. Datagrams that
//! arrive on a bound socket reach the machine with `destination` = the bound address, and a
//! [`crate::Transmit`] whose `source` is that address leaves through it.

use std::collections::HashMap;
use std::net::SocketAddr;

use crate::{Transmit, Transport};

/// What a machine asks of its driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketRequest {
    /// Open a socket of `transport` bound to `addr` (port 0 lets the OS choose) and answer
    /// with [`SocketResult`].
    Bind {
        /// The local address to bind.
        addr: SocketAddr,
        /// UDP for a TURN relayed address.
        transport: Transport,
        /// Options to set on the socket once bound. A driver that cannot set one that was
        /// asked for closes the socket and answers [`SocketResult::Failed`] with
        /// [`BindError::Unsupported`].
        options: SocketOptions,
    },
    /// Close the socket bound to `addr`. No answer is sent; datagrams already read from it
    /// may still arrive.
    Close {
        /// The bound address, as [`SocketResult::Bound`] reported it.
        addr: SocketAddr,
        /// Its transport.
        transport: Transport,
    },
    /// Close the stream connection (TCP, or TLS over it) between `local` and `remote`,
    /// as datagrams from it named them (`destination` and `source`). No answer is sent
    /// beyond the [`SocketResult::Disconnected`] every closed connection gets; a server
    /// uses it for clients that hold a connection without using it (coturn's
    /// `max-allocate-timeout`).
    Disconnect {
        /// The connection's local address.
        local: SocketAddr,
        /// The connection's remote address.
        remote: SocketAddr,
        /// TCP or TLS.
        transport: Transport,
    },
}

/// Options a [`SocketRequest::Bind`] asks the driver to set on the socket it binds.
///
/// `Default` asks for nothing beyond the bind. The type is `#[non_exhaustive]`: make one
/// with `SocketOptions::default()` and set the fields wanted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SocketOptions {
    /// Set the DF (Don't Fragment) bit on every datagram the socket sends, so that routers
    /// drop, instead of fragment, one too large for the path: on Linux `IP_MTU_DISCOVER =
    /// IP_PMTUDISC_DO` for IPv4 and `IPV6_DONTFRAG = 1` for IPv6. A TURN server asks for it
    /// for the relayed address of an Allocate carrying DONT-FRAGMENT (RFC 8656 section
    /// 7.2).
    pub dont_fragment: bool,
}

impl SocketOptions {
    /// Options with [`SocketOptions::dont_fragment`] set to `yes`.
    #[must_use]
    pub fn with_dont_fragment(mut self, yes: bool) -> Self {
        self.dont_fragment = yes;
        self
    }
}

/// Why a socket could not be bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BindError {
    /// Another socket holds the address (`EADDRINUSE`): try another port.
    AddrInUse,
    /// The address is not local to this host (`EADDRNOTAVAIL`).
    AddrNotAvailable,
    /// Not allowed (a privileged port, a policy).
    PermissionDenied,
    /// The driver ran out of something (file descriptors, memory).
    Exhausted,
    /// The driver cannot open sockets of this transport, or cannot set one of the
    /// [`SocketOptions`] asked for.
    Unsupported,
    /// Anything else.
    Other,
}

impl BindError {
    /// The error kind of an OS error, as drivers see it.
    #[must_use]
    pub fn from_io(kind: std::io::ErrorKind) -> BindError {
        use std::io::ErrorKind as K;
        match kind {
            K::AddrInUse => BindError::AddrInUse,
            K::AddrNotAvailable => BindError::AddrNotAvailable,
            K::PermissionDenied => BindError::PermissionDenied,
            K::OutOfMemory => BindError::Exhausted,
            K::Unsupported => BindError::Unsupported,
            _ => BindError::Other,
        }
    }
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BindError::AddrInUse => "address in use",
            BindError::AddrNotAvailable => "address not available",
            BindError::PermissionDenied => "permission denied",
            BindError::Exhausted => "out of sockets or memory",
            BindError::Unsupported => "transport or socket option not supported",
            BindError::Other => "bind failed",
        })
    }
}

/// What a driver reports about sockets: the answer to a [`SocketRequest::Bind`], or a
/// stream connection gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketResult {
    /// The socket is open.
    Bound {
        /// The address that was asked for.
        requested: SocketAddr,
        /// The address it is bound to (differs from `requested` when port 0 was asked).
        bound: SocketAddr,
        /// Its transport.
        transport: Transport,
    },
    /// It could not be opened.
    Failed {
        /// The address that was asked for.
        requested: SocketAddr,
        /// Its transport.
        transport: Transport,
        /// Why.
        error: BindError,
    },
    /// A stream connection (TCP, or TLS over it) that carried datagrams to the machine is
    /// gone: the peer closed or reset it, the driver closed it (a limit, a deadline, a
    /// [`SocketRequest::Disconnect`]), or it failed. Sent once per connection, whether or
    /// not the machine asked for anything. RFC 8656 section 3.1 ties a TURN allocation
    /// made over TCP or TLS to its connection: the server deletes it on this.
    Disconnected {
        /// The connection's local address (`destination` of its datagrams).
        local: SocketAddr,
        /// The connection's remote address (`source` of its datagrams).
        remote: SocketAddr,
        /// TCP or TLS.
        transport: Transport,
    },
}

impl SocketResult {
    /// The answer to a bind of `requested` that ended in `outcome` (the bound address, or
    /// why not): what a driver hands to [`crate::Machine::handle_socket_result`].
    #[must_use]
    pub fn of_bind(
        requested: SocketAddr,
        transport: Transport,
        outcome: Result<SocketAddr, BindError>,
    ) -> SocketResult {
        match outcome {
            Ok(bound) => SocketResult::Bound {
                requested,
                bound,
                transport,
            },
            Err(error) => SocketResult::Failed {
                requested,
                transport,
                error,
            },
        }
    }
}

/// Which of a driver's UDP sockets a [`Transmit`] leaves from, found by lookup instead of
/// a scan: a TURN relay may hold tens of thousands of relayed-address sockets.
///
/// A driver indexes two kinds of sockets, each under a slot of its own choosing (`S`, say
/// an index into its socket table):
///
/// - the sockets the application handed it ([`SocketIndex::insert_listening`]), chosen as
///   [`Transmit::choose_socket`] chooses among them, in the order they were inserted: with
///   a `source`, the socket bound to exactly that address, else one bound to the
///   unspecified address of the same family and port; without, the first socket of the
///   destination's family;
/// - the sockets bound at the machine's request ([`SocketIndex::insert_requested`],
///   answering a [`SocketRequest::Bind`]), chosen the same way by `source`, but **never**
///   for a transmit without one: a relayed address belongs to one allocation and must not
///   carry another's traffic. Only these can be removed ([`SocketIndex::remove_requested`],
///   for a [`SocketRequest::Close`]).
///
/// Every lookup is a hash-map lookup (or two): no scan, whatever the number of sockets.
/// Maps are only looked up, never iterated, so their hashing order changes nothing.
#[derive(Debug, Clone)]
pub struct SocketIndex<S> {
    exact: HashMap<SocketAddr, Indexed<S>>,
    /// Sockets bound to an unspecified address, by family (`true` for IPv4) and port.
    wildcard: HashMap<(bool, u16), S>,
    default_v4: Option<S>,
    default_v6: Option<S>,
    requested: usize,
}

#[derive(Debug, Clone, Copy)]
struct Indexed<S> {
    slot: S,
    requested: bool,
}

impl<S> Default for SocketIndex<S> {
    fn default() -> Self {
        SocketIndex {
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            default_v4: None,
            default_v6: None,
            requested: 0,
        }
    }
}

impl<S: Copy + PartialEq> SocketIndex<S> {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        SocketIndex::default()
    }

    /// Indexes a socket the application handed the driver, bound to `local`. When two
    /// sockets share an address, the one inserted first keeps it (as with
    /// [`Transmit::choose_socket`], which takes the first that fits).
    pub fn insert_listening(&mut self, local: SocketAddr, slot: S) {
        self.exact.entry(local).or_insert(Indexed {
            slot,
            requested: false,
        });
        self.insert_wildcard(local, slot);
        let default = if local.is_ipv4() {
            &mut self.default_v4
        } else {
            &mut self.default_v6
        };
        default.get_or_insert(slot);
    }

    /// Indexes a socket bound at the machine's request to `local` (the address
    /// [`SocketResult::Bound`] reports). Returns `false`, indexing nothing, when a socket
    /// with that exact address is indexed already.
    pub fn insert_requested(&mut self, local: SocketAddr, slot: S) -> bool {
        if self.exact.contains_key(&local) {
            return false;
        }
        self.exact.insert(
            local,
            Indexed {
                slot,
                requested: true,
            },
        );
        self.insert_wildcard(local, slot);
        self.requested += 1;
        true
    }

    /// Removes the socket bound at the machine's request to `local` and returns its slot;
    /// `None` (removing nothing) when no such socket is indexed, or when `local` is a
    /// socket of the application's.
    pub fn remove_requested(&mut self, local: SocketAddr) -> Option<S> {
        let slot = match self.exact.get(&local) {
            Some(i) if i.requested => i.slot,
            _ => return None,
        };
        self.exact.remove(&local);
        let key = (local.is_ipv4(), local.port());
        if local.ip().is_unspecified() && self.wildcard.get(&key) == Some(&slot) {
            self.wildcard.remove(&key);
        }
        self.requested -= 1;
        Some(slot)
    }

    /// The slot of the socket bound to exactly `local`.
    #[must_use]
    pub fn get(&self, local: SocketAddr) -> Option<S> {
        self.exact.get(&local).map(|i| i.slot)
    }

    /// How many sockets bound at the machine's request are indexed.
    #[must_use]
    pub fn requested(&self) -> usize {
        self.requested
    }

    /// The slot of the socket `t` leaves from (see the type's docs); `None` when no socket
    /// fits.
    #[must_use]
    pub fn choose(&self, t: &Transmit) -> Option<S> {
        match t.source {
            Some(src) => self
                .get(src)
                .or_else(|| self.wildcard.get(&(src.is_ipv4(), src.port())).copied()),
            None if t.destination.is_ipv4() => self.default_v4,
            None => self.default_v6,
        }
    }

    fn insert_wildcard(&mut self, local: SocketAddr, slot: S) {
        if local.ip().is_unspecified() {
            self.wildcard
                .entry((local.is_ipv4(), local.port()))
                .or_insert(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn of_bind_answers_both_ways() {
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        assert_eq!(
            SocketResult::of_bind(a, Transport::Udp, Ok(b)),
            SocketResult::Bound {
                requested: a,
                bound: b,
                transport: Transport::Udp
            }
        );
        assert_eq!(
            SocketResult::of_bind(a, Transport::Udp, Err(BindError::AddrInUse)),
            SocketResult::Failed {
                requested: a,
                transport: Transport::Udp,
                error: BindError::AddrInUse
            }
        );
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// A small pool, so that generated lists share addresses, ports and families.
    fn pool() -> impl Strategy<Value = SocketAddr> {
        let ips = ["127.0.0.1", "127.0.0.2", "0.0.0.0", "::1", "::", "fe80::1"];
        (0..ips.len(), 1000u16..1003)
            .prop_map(move |(i, port)| SocketAddr::new(ips[i].parse().unwrap(), port))
    }

    proptest! {
        #[test]
        fn the_index_chooses_as_choose_socket_among_listening_sockets(
            locals in proptest::collection::vec(pool(), 0..8),
            source in proptest::option::of(pool()),
            destination in pool(),
        ) {
            let mut index = SocketIndex::new();
            for (slot, &local) in locals.iter().enumerate() {
                index.insert_listening(local, slot);
            }
            let t = Transmit::new(Transport::Udp, source, destination);
            prop_assert_eq!(index.choose(&t), t.choose_socket(locals.iter().copied()));
        }
    }

    #[test]
    fn requested_sockets_route_by_source_only_and_can_be_removed() {
        let mut index = SocketIndex::new();
        index.insert_listening(addr("127.0.0.1:3478"), 0);
        assert!(index.insert_requested(addr("127.0.0.1:50000"), 1));
        assert!(index.insert_requested(addr("[::1]:50001"), 2));
        assert!(index.insert_requested(addr("0.0.0.0:50002"), 3));
        assert!(!index.insert_requested(addr("127.0.0.1:3478"), 4), "taken");
        assert!(!index.insert_requested(addr("127.0.0.1:50000"), 4), "taken");
        assert_eq!(index.requested(), 3);
        let from = |index: &SocketIndex<usize>, src: Option<&str>, to: &str| {
            index.choose(&Transmit::new(Transport::Udp, src.map(addr), addr(to)))
        };
        assert_eq!(
            from(&index, Some("127.0.0.1:50000"), "127.0.0.1:9"),
            Some(1)
        );
        assert_eq!(from(&index, Some("[::1]:50001"), "[::1]:9"), Some(2));
        assert_eq!(from(&index, Some("10.0.0.1:50002"), "10.0.0.2:9"), Some(3));
        assert_eq!(from(&index, None, "127.0.0.1:9"), Some(0));
        assert_eq!(
            from(&index, None, "[::1]:9"),
            None,
            "never a relayed address"
        );

        assert_eq!(
            index.remove_requested(addr("127.0.0.1:3478")),
            None,
            "not ours"
        );
        assert_eq!(index.remove_requested(addr("127.0.0.1:50000")), Some(1));
        assert_eq!(index.remove_requested(addr("127.0.0.1:50000")), None);
        assert_eq!(index.remove_requested(addr("0.0.0.0:50002")), Some(3));
        assert_eq!(index.requested(), 1);
        assert_eq!(from(&index, Some("127.0.0.1:50000"), "127.0.0.1:9"), None);
        assert_eq!(from(&index, Some("10.0.0.1:50002"), "10.0.0.2:9"), None);
        assert_eq!(from(&index, Some("127.0.0.1:3478"), "127.0.0.1:9"), Some(0));
        assert!(
            index.insert_requested(addr("127.0.0.1:50000"), 1),
            "free again"
        );
    }

    #[test]
    fn io_errors_map_to_bind_errors() {
        use std::io::ErrorKind as K;
        assert_eq!(BindError::from_io(K::AddrInUse), BindError::AddrInUse);
        assert_eq!(BindError::from_io(K::OutOfMemory), BindError::Exhausted);
        assert_eq!(BindError::from_io(K::TimedOut), BindError::Other);
    }
}
