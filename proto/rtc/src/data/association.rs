//! The SCTP association (RFC 8831 section 5: SCTP over DTLS, one association per DTLS
//! connection) through sctp-proto's sans-IO `Endpoint` and `Association`, driven with
//! our `Instant`s.
//!
//! sctp-proto addresses packets to a `SocketAddr`; over DTLS there is none, so it sees one
//! fixed, virtual peer ([`SCTP_PEER`]) whose port is the SCTP port (RFC 8841: 5000 unless
//! SDP says otherwise).
//!
//! Two things in sctp-proto 0.10 are not ours to pass in: it draws verification tags,
//! initial TSNs and state cookies from the thread's generator (`rand::random`; its
//! association-id generator trait is not public, so no seeded one can be given), and
//! `Endpoint::connect` anchors the first INIT timer on the OS clock. Both stay inside
//! DTLS: what goes on the wire has the same lengths at the same times under one seed,
//! but the SCTP bytes inside are not replayed.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use sctp_proto::{
    Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig, Payload,
    ServerConfig, TransportConfig,
};

use super::DataConfig;

/// The address sctp-proto believes its peer has (never on the wire).
pub(crate) const SCTP_PEER: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5000));

/// One SCTP association and the endpoint that makes it.
pub(crate) struct Sctp {
    endpoint: Endpoint,
    association: Option<(AssociationHandle, Association)>,
    client: bool,
    transport: Arc<TransportConfig>,
    /// Packets sctp-proto gathered, each one DTLS record.
    out: VecDeque<Bytes>,
}

impl std::fmt::Debug for Sctp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sctp")
            .field("client", &self.client)
            .field("associated", &self.association.is_some())
            .field("out", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Sctp {
    /// An endpoint: the DTLS client initiates (sends INIT), the server waits for it.
    pub(crate) fn new(config: &DataConfig, client: bool) -> Sctp {
        let endpoint_config = EndpointConfig::new();
        let transport = Arc::new(
            TransportConfig::default()
                .with_local_port(config.local_port)
                .with_remote_port(config.remote_port)
                .with_max_receive_message_size(config.max_message_size)
                .with_max_send_message_size(config.remote_max_message_size)
                // WebRTC keeps trying while DTLS is up (RFC 8831 section 6.2 leaves it to
                // the transport; browsers do not give up on INIT or DATA).
                .with_max_init_retransmits(None)
                .with_max_data_retransmits(None),
        );
        // Both sides can accept an INIT: browsers send one whatever their DTLS role (both
        // ends initiate, RFC 9260 section 5.2.1 resolves the collision), and sctp-proto
        // 0.10 panics on an INIT reaching an endpoint without a server configuration. Once
        // there is an association the endpoint refuses new ones (one per DTLS connection,
        // RFC 8841 section 5), so a peer's INIT during our own handshake is dropped and
        // the collision resolves on the peer's side, and repeated INITs cost nothing.
        let mut server = ServerConfig::new();
        server.transport = transport.clone();
        Sctp {
            endpoint: Endpoint::new(Arc::new(endpoint_config), Some(Arc::new(server))),
            association: None,
            client,
            transport,
            out: VecDeque::new(),
        }
    }

    /// The client sends its INIT (RFC 9260 section 5.1); the server waits.
    pub(crate) fn start(&mut self) {
        if !self.client || self.association.is_some() {
            return;
        }
        let mut config = ClientConfig::new();
        config.transport = self.transport.clone();
        if let Ok(a) = self.endpoint.connect(config, SCTP_PEER) {
            self.association = Some(a);
            self.endpoint.reject_new_associations();
        }
    }

    /// One SCTP packet from a DTLS record. `false`: sctp-proto refused it (a malformed
    /// common header, a bad checksum, a tag of no association, a second association's INIT).
    pub(crate) fn handle_packet(&mut self, now: Instant, packet: &[u8]) -> bool {
        let data = Bytes::copy_from_slice(packet);
        let Some((handle, event)) = self.endpoint.handle(now, SCTP_PEER, None, None, data) else {
            return false;
        };
        match event {
            DatagramEvent::NewAssociation(a) => {
                if self.association.is_some() {
                    return false;
                }
                self.association = Some((handle, a));
                self.endpoint.reject_new_associations();
            }
            DatagramEvent::AssociationEvent(e) => match &mut self.association {
                Some((h, a)) if *h == handle => a.handle_event(e),
                _ => return false,
            },
        }
        self.drain_endpoint_events();
        true
    }

    fn drain_endpoint_events(&mut self) {
        if let Some((h, a)) = &mut self.association {
            while let Some(e) = a.poll_endpoint_event() {
                let _ = self.endpoint.handle_event(*h, e);
            }
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Some((_, a)) = &mut self.association
            && a.poll_timeout().is_some_and(|t| t <= now)
        {
            a.handle_timeout(now);
        }
        self.drain_endpoint_events();
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.association
            .as_ref()
            .and_then(|(_, a)| a.poll_timeout())
    }

    /// The next SCTP packet to send.
    pub(crate) fn poll_transmit(&mut self, now: Instant) -> Option<Bytes> {
        if let Some(p) = self.out.pop_front() {
            return Some(p);
        }
        let gather = |t: sctp_proto::Transmit, out: &mut VecDeque<Bytes>| {
            if let Payload::RawEncode(packets) = t.payload {
                out.extend(packets);
            }
        };
        while let Some(t) = self.endpoint.poll_transmit() {
            gather(t, &mut self.out);
        }
        if self.out.is_empty()
            && let Some((_, a)) = &mut self.association
            && let Some(t) = a.poll_transmit(now)
        {
            gather(t, &mut self.out);
        }
        self.out.pop_front()
    }

    /// The association's next event.
    pub(crate) fn poll_event(&mut self) -> Option<sctp_proto::Event> {
        self.association.as_mut().and_then(|(_, a)| a.poll())
    }

    /// The association, once there is one.
    pub(crate) fn association(&mut self) -> Option<&mut Association> {
        self.association.as_mut().map(|(_, a)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The INIT a freshly started client sends.
    fn init() -> Bytes {
        let mut peer = Sctp::new(&DataConfig::default(), true);
        peer.start();
        #[allow(clippy::disallowed_methods)] // a virtual clock's anchor
        let now = Instant::now();
        peer.poll_transmit(now).expect("an INIT")
    }

    #[test]
    fn a_peers_init_during_our_own_handshake_is_dropped_not_a_panic() {
        // Browsers initiate whatever their DTLS role: the INIT meets our client endpoint.
        let mut ours = Sctp::new(&DataConfig::default(), true);
        ours.start();
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        assert!(
            !ours.handle_packet(now, &init()),
            "a second association is refused"
        );
        assert!(ours.association.is_some(), "our own handshake goes on");
    }

    #[test]
    fn a_client_not_yet_started_accepts_the_peers_init_and_does_not_start_another() {
        let mut ours = Sctp::new(&DataConfig::default(), true);
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        assert!(ours.handle_packet(now, &init()));
        let answer = ours.poll_transmit(now).expect("an INIT ACK");
        // The common header (12 bytes), then the first chunk's type: INIT ACK is 2.
        assert_eq!(answer.get(12), Some(&2));
        ours.start();
        assert_eq!(ours.poll_transmit(now), None, "no INIT of our own follows");
    }
}
