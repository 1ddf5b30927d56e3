//! Gathering (RFC 8445 section 5.1.1): host sockets asked of the driver, server-reflexive
//! candidates from STUN servers, relayed ones from TURN servers, and the candidate lines
//! written for each.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::{Machine, SocketOptions, SocketRequest, SocketResult, Transport};
use wren_stun::client::Event as ClientEvent;
use wren_turn::client::{
    Client as TurnClient, CloseReason, Config as TurnClientConfig, Event as TurnEvent,
};

use super::ids::{LocalId, RelayId};
use super::{Agent, Deadline, Event, GatherFailure, GatheringState, Local, Relay};
use crate::candidate::{Address, Candidate, CandidateTransport, CandidateType, TcpType, priority};

/// The type preference libwebrtc gives TCP host candidates, below every UDP type but
/// relayed: a TCP path is taken only when UDP fails.
const TCP_HOST_TYPE_PREFERENCE: u32 = 90;

impl Agent {
    /// Asks for the host sockets.
    pub(super) fn start_gathering(&mut self, now: Instant) {
        self.gathering.start();
        self.emit(Event::GatheringState(GatheringState::Gathering));
        self.deadlines
            .set(Deadline::Gather, now + self.config.timers.gather_timeout);
        let interfaces = self.config.interfaces.clone();
        for (i, ip) in interfaces.into_iter().enumerate() {
            let mut transports = vec![Transport::Udp];
            if self.config.tcp && !self.config.lite && !self.config.relay_only {
                transports.push(Transport::Tcp);
            }
            for transport in transports {
                let addr = SocketAddr::new(ip, 0);
                self.gathering.ask(addr, transport, i);
                self.output.request_socket(SocketRequest::Bind {
                    addr,
                    transport,
                    options: SocketOptions::default(),
                });
            }
        }
        // Sockets the owner bound: host candidates at once.
        let first = self.config.interfaces.len();
        for (j, (addr, transport)) in self.config.bound_sockets.clone().into_iter().enumerate() {
            let interface = first + j;
            self.gathering.given(addr, transport, interface);
            if transport == Transport::Udp {
                self.host_udp(now, addr, interface);
            } else {
                self.host_tcp(addr, interface);
            }
        }
        self.check_gathering_done(now);
    }

    /// The driver answered a bind.
    pub(super) fn socket_result(&mut self, now: Instant, result: SocketResult) {
        let (requested, transport, bound) = match result {
            SocketResult::Bound {
                requested,
                bound,
                transport,
            } => (requested, transport, Ok(bound)),
            SocketResult::Failed {
                requested,
                transport,
                error,
            } => (requested, transport, Err(error)),
            _ => return,
        };
        let Some(interface) = self.gathering.answer(requested, transport, bound.ok()) else {
            return;
        };
        match bound {
            Err(error) => {
                self.gather_failure(GatherFailure::Bind {
                    addr: requested,
                    transport,
                    error,
                });
            }
            Ok(bound) => {
                if transport == Transport::Udp {
                    self.host_udp(now, bound, interface);
                } else {
                    self.host_tcp(bound, interface);
                }
            }
        }
        self.check_gathering_done(now);
    }

    fn host_udp(&mut self, now: Instant, bound: SocketAddr, interface: usize) {
        let local_pref = host_local_preference(interface);
        let prio = priority(CandidateType::Host, local_pref, 1);
        self.add_local(
            Local {
                cand: Candidate::at(CandidateType::Host, CandidateTransport::Udp, bound, prio),
                kind: CandidateType::Host,
                transport: Transport::Udp,
                tcp_type: None,
                addr: bound,
                base: bound,
                priority: prio,
                local_pref,
                relay: None,
                relay_via: None,
                pairable: !self.config.relay_only,
                dead: false,
            },
            None,
        );
        if self.config.lite {
            return;
        }
        let stun_servers: Vec<SocketAddr> = self
            .config
            .stun_servers
            .iter()
            .map(|s| s.addr)
            .filter(|a| a.is_ipv4() == bound.is_ipv4())
            .collect();
        for server in stun_servers {
            match self.stun.binding(now, Transport::Udp, Some(bound), server) {
                Ok(tid) => self.gathering.query(tid, server, bound),
                Err(_) => self.gather_failure(GatherFailure::StunUnreachable {
                    server,
                    local: bound,
                }),
            }
        }
        for (i, server) in self.config.turn_servers.clone().into_iter().enumerate() {
            if server.addr.is_ipv4() != bound.is_ipv4() {
                continue;
            }
            let socket = match server.transport {
                Transport::Udp => Some(bound),
                // One TCP connection per server and family, started with the family's
                // first socket.
                _ if self.relays.has_client_for(i, bound.is_ipv4()) => {
                    continue;
                }
                _ => None,
            };
            let mut config = TurnClientConfig::new(
                server.addr,
                server.transport,
                server.username,
                server.password,
            );
            config.local = socket;
            config.rng_seed = Some(self.rng.bytes());
            let mut client = TurnClient::new(now, config);
            let started = client.allocate(now);
            self.relays.push(Relay::new(
                client,
                i,
                server.transport,
                socket,
                bound.is_ipv4(),
                started.is_err(),
            ));
        }
    }

    fn host_tcp(&mut self, bound: SocketAddr, interface: usize) {
        // RFC 6544 section 4.2: direction preference active 6, passive 4, so 2, in the top
        // three bits of the local preference.
        for (tcp_type, direction) in [(TcpType::Active, 6u32), (TcpType::Passive, 4)] {
            let local_pref = (direction << 13) | (8191 - (interface as u32).min(8191));
            let prio = (TCP_HOST_TYPE_PREFERENCE << 24) + (local_pref << 8) + 255;
            // An active candidate opens connections and has no port of its own: 9, the
            // discard port, as RFC 6544 section 4.5 says to write.
            let addr = match tcp_type {
                TcpType::Active => SocketAddr::new(bound.ip(), 9),
                _ => bound,
            };
            let mut cand = Candidate::at(CandidateType::Host, CandidateTransport::Udp, addr, prio);
            cand.transport = CandidateTransport::Tcp;
            cand.tcp_type = Some(tcp_type);
            self.add_local(
                Local {
                    cand,
                    kind: CandidateType::Host,
                    transport: Transport::Tcp,
                    tcp_type: Some(tcp_type),
                    addr,
                    base: addr,
                    priority: prio,
                    local_pref,
                    relay: None,
                    relay_via: None,
                    pairable: true,
                    dead: false,
                },
                None,
            );
        }
    }

    /// Adds a local candidate (finishing its line) and announces it; pairs it. `server` is
    /// the STUN or TURN server it came from, which its foundation depends on.
    pub(super) fn add_local(&mut self, mut local: Local, server: Option<IpAddr>) -> LocalId {
        local.cand.foundation =
            self.gathering
                .foundation(local.kind, local.base.ip(), server, local.transport);
        local.cand.generation = Some(self.keys.generation());
        local.cand.ufrag = Some(self.keys.local().ufrag.clone());
        let announce = local.kind != CandidateType::PeerReflexive
            && (!self.config.relay_only || local.kind == CandidateType::Relayed);
        let cand = local.cand.clone();
        let i = self.locals.push(local);
        if announce {
            self.emit(Event::LocalCandidate(cand));
        }
        if self.locals[i].pairable {
            self.pair_local(i);
        }
        i
    }

    pub(super) fn gather_failure(&mut self, failure: GatherFailure) {
        self.gathering.failed(failure.clone());
        self.emit(Event::GatherFailed(failure));
    }

    /// STUN client outcomes: server-reflexive candidates, or why not.
    pub(super) fn drain_stun(&mut self, now: Instant) {
        while let Some(ev) = self.stun.poll_event() {
            let (id, outcome) = match ev {
                ClientEvent::Success { id, mapped, .. } => (id, Ok(mapped)),
                ClientEvent::ErrorResponse {
                    id, code, reason, ..
                } => (id, Err(Some((code.code(), reason)))),
                ClientEvent::Failed { id, .. } => (id, Err(None)),
                _ => continue,
            };
            let Some((server, socket)) = self.gathering.answered(id) else {
                continue;
            };
            match outcome {
                Ok(Some(mapped)) => self.server_reflexive(socket, mapped, server),
                Ok(None) => self.gather_failure(GatherFailure::StunNoAddress { server }),
                Err(Some((code, reason))) => self.gather_failure(GatherFailure::StunError {
                    server,
                    code,
                    reason,
                }),
                Err(None) => self.gather_failure(GatherFailure::StunUnreachable {
                    server,
                    local: socket,
                }),
            }
        }
        self.check_gathering_done(now);
    }

    /// A server-reflexive candidate for the host socket `base`, unless it is the same
    /// address (no NAT) or already known.
    fn server_reflexive(&mut self, base: SocketAddr, mapped: SocketAddr, server: SocketAddr) {
        if mapped == base
            || self
                .locals
                .knows(mapped, base, Some(CandidateType::ServerReflexive))
        {
            return;
        }
        let Some(host) = self.locals.udp_host(base) else {
            return;
        };
        let reflexive = Local::reflexive(
            CandidateType::ServerReflexive,
            mapped,
            base,
            host.local_pref,
        );
        self.add_local(reflexive, Some(server.ip()));
    }

    /// TURN client outcomes: relayed candidates, permission refusals, relayed data.
    pub(super) fn drain_relays(&mut self, now: Instant) {
        for r in self.relays.ids() {
            while let Some(ev) = self.relays.client_mut(r).poll_event() {
                self.relay_event(now, r, ev);
            }
        }
        self.check_gathering_done(now);
    }

    fn relay_event(&mut self, now: Instant, r: RelayId, ev: TurnEvent) {
        match ev {
            TurnEvent::Allocated {
                relayed, mapped, ..
            } => {
                let server = self.relays[r].client.server();
                let transport = self.relays[r].transport;
                self.relays.settle(r);
                self.gathering.answered_late(server);
                // RFC 8445 section 5.1.2.2 leaves the local preference to the agent; like
                // browsers, a relay reached over UDP is preferred to one over TCP.
                let local_pref = match transport {
                    Transport::Udp => 65535,
                    _ => 32767,
                } - r.0.min(255);
                let prio = priority(CandidateType::Relayed, local_pref, 1);
                let mut cand = Candidate::at(
                    CandidateType::Relayed,
                    CandidateTransport::Udp,
                    relayed,
                    prio,
                );
                if let Some(m) = mapped {
                    cand.related = Some((Address::Ip(m.ip()), m.port()));
                }
                let l = self.add_local(
                    Local {
                        cand,
                        kind: CandidateType::Relayed,
                        transport: Transport::Udp,
                        tcp_type: None,
                        addr: relayed,
                        base: relayed,
                        priority: prio,
                        local_pref,
                        relay: Some(r),
                        relay_via: Some((server, transport)),
                        pairable: true,
                        dead: false,
                    },
                    Some(server.ip()),
                );
                self.relays.allocated(r, l);
                // The allocation's XOR-MAPPED-ADDRESS is a server-reflexive candidate too
                // (over UDP), as browsers gather it.
                if let (Some(m), Some(socket), false) =
                    (mapped, self.relays[r].socket, self.config.relay_only)
                {
                    self.server_reflexive(socket, m, server);
                }
            }
            TurnEvent::Closed {
                reason: CloseReason::Failed(failure),
            } => {
                let server = self.relays[r].client.server();
                let transport = self.relays[r].transport;
                match self.relays.settle(r) {
                    None => {
                        self.gathering.answered_late(server);
                        self.gather_failure(GatherFailure::Turn {
                            server,
                            transport,
                            failure,
                        });
                    }
                    Some(l) => {
                        self.locals.mark_dead(l);
                        self.fail_pairs_of_local(now, l, super::PairFailure::RelayClosed(failure));
                    }
                }
            }
            TurnEvent::PermissionFailed { peer, reason } => {
                if let Some(l) = self.relays[r].local {
                    self.fail_pairs_to(now, l, peer, super::PairFailure::RelayRefused(reason));
                }
            }
            TurnEvent::Data { peer, data } => {
                if let Some(l) = self.relays[r].local
                    && let Some(pair) = self.receive_on(now, l, peer, Transport::Udp, &data)
                {
                    self.emit_data(pair, &data);
                }
            }
            _ => {}
        }
    }

    /// Gathering is complete when every socket was answered and every server answered or
    /// gave up.
    pub(super) fn check_gathering_done(&mut self, _now: Instant) {
        if self.gathering.state() != GatheringState::Gathering {
            return;
        }
        let done = self.gathering.settled() && self.relays.settled();
        if done {
            self.finish_gathering();
        }
    }

    fn finish_gathering(&mut self) {
        self.gathering.finish();
        self.deadlines.stop(Deadline::Gather);
        self.emit(Event::GatheringState(GatheringState::Complete));
    }

    /// [`crate::Timers::gather_timeout`] passed: report who has not answered and call
    /// gathering complete; late answers still become candidates.
    pub(super) fn gather_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.deadlines.get(Deadline::Gather) else {
            return;
        };
        if now < deadline || self.gathering.state() != GatheringState::Gathering {
            return;
        }
        let after = self.config.timers.gather_timeout;
        let silent: Vec<(SocketAddr, Transport)> = self
            .gathering
            .silent()
            .map(|server| (server, Transport::Udp))
            .chain(self.relays.silent())
            .collect();
        for (server, transport) in silent {
            if !self.gathering.reported_silent(server) {
                self.gather_failure(GatherFailure::NotAnswered {
                    server,
                    transport,
                    after,
                });
            }
        }
        self.finish_gathering();
    }
}

/// The local preference of host candidates on the `interface`-th interface: the first
/// configured is preferred (RFC 8421 lets the agent order interfaces).
fn host_local_preference(interface: usize) -> u32 {
    65535 - (interface as u32).min(255) * 256
}
