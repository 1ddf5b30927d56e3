//! DTLS and SRTP over the ICE transport: the handshake in the role the signalling gave,
//! the peer's certificate checked against its announced fingerprints (RFC 8122, done by
//! wren-dtls), and SRTP keyed from the exporter once it is done (RFC 5764 section 4.2).
//!
//! DTLS sees one fixed, virtual peer address ([`DTLS_PEER`]): where its datagrams really
//! go is ICE's selected pair, which may change under it (a better pair, a relay).

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Instant;

use wren_core::{Datagram, Machine};
use wren_dtls::endpoint::{self as dtls, Endpoint};
use wren_dtls::fingerprint::Fingerprint;
use wren_srtp::{Profile, Role as SrtpRole, Session};

use crate::event::{DtlsFailure, DtlsState};
use crate::{Config, DtlsRole, Event};

/// The address DTLS believes its peer has (never on the wire).
pub(crate) const DTLS_PEER: SocketAddr =
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 9));

/// The DTLS endpoint (once the peer's fingerprints are known) and SRTP (once keyed).
#[derive(Debug)]
pub(crate) struct Security {
    role: DtlsRole,
    dtls: Option<Endpoint>,
    srtp: Option<Session>,
    state: DtlsState,
}

impl Security {
    pub(crate) fn new(role: DtlsRole) -> Security {
        Security {
            role,
            dtls: None,
            srtp: None,
            state: DtlsState::New,
        }
    }

    /// Our role.
    pub(crate) fn role(&self) -> DtlsRole {
        self.role
    }

    /// Takes `role` (JSEP decides it from `a=setup`); only before DTLS started.
    pub(crate) fn set_role(&mut self, role: DtlsRole) {
        if self.dtls.is_none() {
            self.role = role;
        }
    }

    pub(crate) fn state(&self) -> DtlsState {
        self.state
    }

    /// Starts DTLS with the peer's fingerprints (a client sends its ClientHello at once:
    /// call when ICE has a pair to send it on; a server waits for it).
    pub(crate) fn start(
        &mut self,
        now: Instant,
        config: &Config,
        peer_fingerprints: Vec<Fingerprint>,
        events: &mut Vec<Event>,
    ) {
        if self.dtls.is_some() {
            return;
        }
        let role = match self.role {
            DtlsRole::Client => dtls::Role::Client { peer: DTLS_PEER },
            DtlsRole::Server => dtls::Role::Server,
        };
        let mut c = dtls::Config::new(role, config.identity.clone());
        c.peer_fingerprints = Some(peer_fingerprints);
        c.srtp_profiles.clone_from(&config.srtp_profiles);
        c.mtu = config.mtu;
        // The path is verified by ICE already (RFC 8842 section 5.1 leaves cookies to it).
        c.cookie = false;
        c.rng_seed = config.rng_seed.map(|mut s| {
            s[0] ^= 0x5a;
            s
        });
        self.dtls = Some(Endpoint::new(now, c));
        self.set_state(DtlsState::Connecting, events);
    }

    /// Whether DTLS was started.
    pub(crate) fn started(&self) -> bool {
        self.dtls.is_some()
    }

    fn set_state(&mut self, state: DtlsState, events: &mut Vec<Event>) {
        if self.state != state {
            self.state = state;
            events.push(Event::DtlsState(state));
        }
    }

    /// A DTLS datagram from the peer.
    pub(crate) fn handle_dtls(&mut self, now: Instant, payload: &[u8]) {
        if let Some(d) = &mut self.dtls {
            d.handle_datagram(now, Datagram::udp(DTLS_PEER, DTLS_PEER, payload));
        }
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        if let Some(d) = &mut self.dtls
            && d.poll_timeout().is_some_and(|t| t <= now)
        {
            d.handle_timeout(now);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.dtls.as_ref().and_then(Machine::poll_timeout)
    }

    /// The next DTLS datagram to send, written into `buf`.
    pub(crate) fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        self.dtls
            .as_mut()
            .is_some_and(|d| d.poll_transmit(now, buf).is_some())
    }

    /// Takes DTLS's events: keys SRTP when it connects; application data records (SCTP)
    /// go to `records`.
    pub(crate) fn drain_events(&mut self, events: &mut Vec<Event>, records: &mut Vec<Vec<u8>>) {
        let Some(d) = &mut self.dtls else { return };
        let mut happened = Vec::new();
        while let Some(e) = d.poll_event() {
            happened.push(e);
        }
        for e in happened {
            match e {
                dtls::Event::Connected { suite, srtp, .. } => {
                    let Some(keys) = srtp else {
                        // use_srtp refused: no media can flow; RFC 5764 makes it fatal.
                        self.set_state(DtlsState::Failed, events);
                        events.push(Event::DtlsFailed(DtlsFailure::NoSrtp));
                        continue;
                    };
                    let role = match self.role {
                        DtlsRole::Client => SrtpRole::Client,
                        DtlsRole::Server => SrtpRole::Server,
                    };
                    let keyed = Profile::from_dtls_id(keys.profile.0).and_then(|p| {
                        Session::from_keying_material(
                            p,
                            &keys.material,
                            role,
                            &wren_srtp::Config::default(),
                        )
                        .ok()
                    });
                    match keyed {
                        Some(s) => {
                            self.srtp = Some(s);
                            self.set_state(DtlsState::Connected, events);
                            events.push(Event::Connected {
                                suite,
                                profile: keys.profile,
                            });
                        }
                        None => {
                            self.set_state(DtlsState::Failed, events);
                            events.push(Event::DtlsFailed(DtlsFailure::UnsupportedProfile(
                                keys.profile,
                            )));
                        }
                    }
                }
                dtls::Event::Failed(f) => {
                    self.srtp = None;
                    self.set_state(DtlsState::Failed, events);
                    events.push(Event::DtlsFailed(DtlsFailure::Handshake(f)));
                }
                dtls::Event::Closed => {
                    self.srtp = None;
                    self.set_state(DtlsState::Closed, events);
                }
                dtls::Event::Data(d) => records.push(d),
                _ => {}
            }
        }
    }

    /// Whether SRTP is keyed.
    pub(crate) fn keyed(&self) -> bool {
        self.srtp.is_some()
    }

    /// Writes `data` (an SCTP packet) as one DTLS application data record into `buf`.
    pub(crate) fn seal(&mut self, data: &[u8], buf: &mut Vec<u8>) -> bool {
        self.dtls
            .as_mut()
            .is_some_and(|d| d.send_into(data, buf).is_ok())
    }

    /// SRTP, once keyed.
    pub(crate) fn srtp(&mut self) -> Option<&mut Session> {
        self.srtp.as_mut()
    }

    /// Sends close_notify and forgets the keys.
    pub(crate) fn close(&mut self, now: Instant) {
        if let Some(d) = &mut self.dtls {
            d.close(now);
        }
        self.srtp = None;
    }
}
