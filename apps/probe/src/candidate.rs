//! The candidates a server gives, as [`wren_ice::Candidate`]s (RFC 8445 section 5.1).
//!
//! - Foundation (section 5.1.1.3): candidates share one when they have the same type, base
//!   IP address, server IP address and transport. It is the decimal FNV-1a hash of those
//!   four, so it is stable from run to run and small.
//! - Priority (section 5.1.2.1): the type preference of the type, component 1, and a local
//!   preference of 65535 for server-reflexive candidates; relayed candidates rank the way
//!   to the TURN server, as browsers do: UDP 65535, TCP 32767, TLS 16383.
//! - A relayed candidate's transport is UDP, the relayed transport, whatever carries the
//!   messages to the TURN server; its related address is the mapped address the server
//!   reported (or the base when none came). A server-reflexive candidate found over TCP
//!   or TLS is a `tcp` candidate, `tcptype active` (RFC 6544: it was an outgoing
//!   connection).

use std::net::{IpAddr, SocketAddr};

use wren_ice::candidate::priority;
use wren_ice::{Candidate, CandidateTransport, CandidateType, TcpType};

use crate::uri::UriTransport;

/// The component of every candidate (1, RTP).
const COMPONENT: u16 = 1;

/// A server-reflexive candidate: `mapped`, found from `base` by asking `server` over `via`.
#[must_use]
pub fn server_reflexive(
    mapped: SocketAddr,
    base: SocketAddr,
    server: SocketAddr,
    via: UriTransport,
) -> Candidate {
    let kind = CandidateType::ServerReflexive;
    let (transport, tcp_type) = match via {
        UriTransport::Udp => (CandidateTransport::Udp, None),
        UriTransport::Tcp | UriTransport::Tls => (CandidateTransport::Tcp, Some(TcpType::Active)),
    };
    Candidate {
        foundation: foundation(kind, base.ip(), server.ip(), via),
        priority: priority(kind, 65535, COMPONENT),
        tcp_type,
        ..candidate(kind, transport, mapped, base)
    }
}

/// A relayed candidate: `relayed`, allocated on `server` reached from `base` over `via`;
/// `mapped` is the client's address as the server saw it, when reported.
#[must_use]
pub fn relayed(
    relayed: SocketAddr,
    mapped: Option<SocketAddr>,
    base: SocketAddr,
    server: SocketAddr,
    via: UriTransport,
) -> Candidate {
    let kind = CandidateType::Relayed;
    let local_preference = match via {
        UriTransport::Udp => 65535,
        UriTransport::Tcp => 32767,
        UriTransport::Tls => 16383,
    };
    Candidate {
        foundation: foundation(kind, base.ip(), server.ip(), via),
        priority: priority(kind, local_preference, COMPONENT),
        ..candidate(
            kind,
            CandidateTransport::Udp,
            relayed,
            mapped.unwrap_or(base),
        )
    }
}

/// A candidate with no extension.
fn candidate(
    kind: CandidateType,
    transport: CandidateTransport,
    at: SocketAddr,
    related: SocketAddr,
) -> Candidate {
    Candidate::at(kind, transport, at, 0).with_related(related)
}

/// The foundation of (type, base IP, server IP, transport): a decimal 32-bit FNV-1a hash.
fn foundation(kind: CandidateType, base: IpAddr, server: IpAddr, via: UriTransport) -> String {
    let key = format!("{}|{base}|{server}|{}", kind.token(), via.name());
    let mut hash: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn srflx_line_parses_back() {
        let c = server_reflexive(
            addr("203.0.113.7:50001"),
            addr("0.0.0.0:50001"),
            addr("198.51.100.1:3478"),
            UriTransport::Udp,
        );
        let line = c.to_string();
        assert!(
            line.ends_with(
                " 1 udp 1694498815 203.0.113.7 50001 typ srflx raddr 0.0.0.0 rport 50001"
            )
        );
        assert_eq!(line.parse::<Candidate>().unwrap(), c);
    }

    #[test]
    fn relay_over_tcp_is_udp() {
        let c = relayed(
            addr("198.51.100.1:49200"),
            Some(addr("203.0.113.7:40000")),
            addr("10.0.0.2:40000"),
            addr("198.51.100.1:3478"),
            UriTransport::Tcp,
        );
        assert_eq!(c.transport, CandidateTransport::Udp);
        assert_eq!(c.priority, priority(CandidateType::Relayed, 32767, 1));
        let line = c.to_string();
        assert!(
            line.contains(" typ relay raddr 203.0.113.7 rport 40000"),
            "{line}"
        );
        assert_eq!(line.parse::<Candidate>().unwrap(), c);
    }

    #[test]
    fn foundations_follow_rfc8445() {
        let (base, server) = (addr("10.0.0.2:1"), addr("198.51.100.1:3478"));
        let a = server_reflexive(addr("203.0.113.7:1"), base, server, UriTransport::Udp);
        let b = server_reflexive(
            addr("203.0.113.7:2"),
            addr("10.0.0.2:2"),
            server,
            UriTransport::Udp,
        );
        assert_eq!(
            a.foundation, b.foundation,
            "same type, base IP, server, transport"
        );
        let r = relayed(
            addr("198.51.100.1:49200"),
            None,
            base,
            server,
            UriTransport::Udp,
        );
        assert_ne!(a.foundation, r.foundation);
        let t = server_reflexive(addr("203.0.113.7:1"), base, server, UriTransport::Tcp);
        assert_ne!(a.foundation, t.foundation);
        assert!(a.foundation.len() <= 10);
    }
}
