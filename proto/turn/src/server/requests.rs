//! Requests: Allocate (with the socket binding it waits for), Refresh, CreatePermission and
//! ChannelBind (RFC 8656 sections 7, 9 and 11), and the responses to them.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use wren_core::{BindError, SocketOptions, SocketRequest, SocketResult, Transmit, Transport};
use wren_stun::attr::{
    AdditionalAddressFamily, AddressErrorCode, AddressFamily, AttrType, ChannelNumber, ErrorCode,
    ErrorCodeValue, EvenPort, Lifetime, Nonce, Realm, RequestedAddressFamily, RequestedTransport,
    ReservationToken, Software, U16List, UnknownAttributes, XorMappedAddress, XorPeerAddress,
    XorRelayedAddress,
};
use wren_stun::{Class, Key, Message, MessageType, MessageWriter, Method, TransactionId};

use super::allocation::{Allocation, Bucket, CHANNEL_LIFETIME, Channel, FiveTuple};
use super::auth::AuthError;
use super::{Event, Server};

/// How many ports to try when the driver reports one in use.
const BIND_ATTEMPTS: u8 = 8;

/// What a response adds besides the usual (SOFTWARE, MESSAGE-INTEGRITY, FINGERPRINT).
enum Extra<'a> {
    None,
    /// REALM and a fresh NONCE (401, 438).
    Challenge,
    /// UNKNOWN-ATTRIBUTES (420).
    Unknown(&'a [u16]),
}

/// An Allocate accepted and waiting for its relay sockets.
#[derive(Debug)]
pub(crate) struct Pending {
    five: FiveTuple,
    tid: TransactionId,
    user: String,
    key: Key,
    lifetime: Duration,
    /// Each relayed address asked for, whether it is bound, and the binds tried.
    addrs: Vec<(SocketAddr, bool, u8)>,
    even: bool,
    /// The odd port kept for a RESERVATION-TOKEN (R bit of EVEN-PORT).
    reserve_next: Option<SocketAddr>,
    /// The IPv6 relay was asked for (ADDITIONAL-ADDRESS-FAMILY) but none is configured.
    v6_error: bool,
    /// DONT-FRAGMENT was asked for: the relay sockets are bound with
    /// [`SocketOptions::dont_fragment`], and a driver that cannot set it gets the Allocate
    /// answered 420.
    dont_fragment: bool,
    fingerprint: bool,
}

/// Comprehension-required attributes TURN requests may carry that this server handles.
const UNDERSTOOD: &[AttrType] = &[
    AttrType::USERNAME,
    AttrType::MESSAGE_INTEGRITY,
    AttrType::MESSAGE_INTEGRITY_SHA256,
    AttrType::REALM,
    AttrType::NONCE,
    AttrType::USERHASH,
    AttrType::PASSWORD_ALGORITHM,
    AttrType::LIFETIME,
    AttrType::XOR_PEER_ADDRESS,
    AttrType::DATA,
    AttrType::CHANNEL_NUMBER,
    AttrType::REQUESTED_TRANSPORT,
    AttrType::REQUESTED_ADDRESS_FAMILY,
    AttrType::EVEN_PORT,
    AttrType::RESERVATION_TOKEN,
    AttrType::PADDING,
    AttrType::XOR_MAPPED_ADDRESS,
    // Allocate: the relay sockets are bound with DF set (RFC 8656 section 7.2); Send
    // indications are not checked here (see `send_indication`).
    AttrType::DONT_FRAGMENT,
];

impl Server {
    /// Answers a TURN request from `five`.
    pub(super) fn request(&mut self, now: Instant, five: FiveTuple, msg: &Message<'_>) {
        let (key, user) = match self.creds.authenticate(msg, now) {
            Ok(ok) => ok,
            Err(e) => {
                if let AuthError::Refused(reason) = e {
                    self.stats.auth_failures += 1;
                    self.event(Event::AuthFailed {
                        client: five.client,
                        reason,
                    });
                }
                let extra = if matches!(e, AuthError::Incomplete) {
                    Extra::None
                } else {
                    Extra::Challenge
                };
                self.respond_error(now, five, msg, e.code(), None, extra);
                return;
            }
        };
        // Comprehension-required attributes we do not handle. DONT-FRAGMENT is handled: an
        // Allocate carrying it asks the driver for relay sockets with DF set, and is
        // answered 420 only if the driver cannot (`handle_socket_result`).
        let mut unknown = [0u16; 8];
        let mut n = 0;
        for t in msg.attributes().map(|a| a.typ) {
            if t.is_comprehension_required()
                && !UNDERSTOOD.contains(&t)
                && n < 8
                && !unknown[..n].contains(&t.0)
            {
                unknown[n] = t.0;
                n += 1;
            }
        }
        if n > 0 {
            self.respond_error(
                now,
                five,
                msg,
                ErrorCodeValue::UNKNOWN_ATTRIBUTE,
                Some(&key),
                Extra::Unknown(&unknown[..n]),
            );
            return;
        }
        let result = match msg.method() {
            Method::ALLOCATE => self.allocate(now, five, msg, key.clone(), user),
            Method::REFRESH => self.refresh(now, five, msg, &user),
            Method::CREATE_PERMISSION => self.create_permission(now, five, msg, &user),
            Method::CHANNEL_BIND => self.channel_bind(now, five, msg, &user),
            _ => Err(ErrorCodeValue::BAD_REQUEST),
        };
        if let Err(code) = result {
            self.respond_error(now, five, msg, code, Some(&key), Extra::None);
        }
    }

    /// The allocation of `five`, checked to belong to `user` (437, 441).
    fn own(&self, five: FiveTuple, user: &str) -> Result<usize, ErrorCodeValue> {
        let slot = *self
            .table
            .by_tuple
            .get(&five)
            .ok_or(ErrorCodeValue::ALLOCATION_MISMATCH)?;
        match self.table.get(slot) {
            Some(a) if a.user == user => Ok(slot),
            Some(_) => Err(ErrorCodeValue::WRONG_CREDENTIALS),
            None => Err(ErrorCodeValue::ALLOCATION_MISMATCH),
        }
    }

    fn lifetime(&self, msg: &Message<'_>, floor: bool) -> Result<Duration, ErrorCodeValue> {
        match msg.get::<Lifetime>() {
            Ok(Some(Lifetime(l))) if l.is_zero() => Ok(Duration::ZERO),
            Ok(Some(Lifetime(l))) if floor => {
                Ok(l.clamp(self.limits.default_lifetime, self.limits.max_lifetime))
            }
            Ok(Some(Lifetime(l))) => Ok(l.min(self.limits.max_lifetime)),
            Ok(None) => Ok(self.limits.default_lifetime),
            Err(_) => Err(ErrorCodeValue::BAD_REQUEST),
        }
    }

    fn relay_ip(&self, v4: bool) -> Option<IpAddr> {
        self.limits
            .relay_ips
            .iter()
            .copied()
            .find(|ip| ip.is_ipv4() == v4)
    }

    /// Allocate (RFC 8656 section 7.2): checks, ports, and a bind request per relayed address.
    fn allocate(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        key: Key,
        user: String,
    ) -> Result<(), ErrorCodeValue> {
        let bad = ErrorCodeValue::BAD_REQUEST;
        let tid = msg.transaction_id();
        if let Some(&slot) = self.table.by_tuple.get(&five) {
            // A retransmission of the Allocate that made it gets the same answer.
            return match self.table.get(slot) {
                Some(a) if a.allocate_tid == tid => {
                    self.respond_allocated(now, slot, msg.fingerprint_offset().is_some());
                    Ok(())
                }
                _ => Err(ErrorCodeValue::ALLOCATION_MISMATCH),
            };
        }
        if let Some(p) = self.pending.iter().find(|p| p.five == five) {
            return if p.tid == tid {
                Ok(())
            } else {
                Err(ErrorCodeValue::ALLOCATION_MISMATCH)
            };
        }
        match msg.get::<RequestedTransport>() {
            Ok(Some(RequestedTransport(17))) => {}
            Ok(Some(_)) => return Err(ErrorCodeValue::UNSUPPORTED_TRANSPORT),
            _ => return Err(bad),
        }
        let even = msg.get::<EvenPort>().map_err(|_| bad)?;
        let token = msg.get::<ReservationToken>().map_err(|_| bad)?;
        let requested = msg.get::<RequestedAddressFamily>().map_err(|_| bad)?;
        let additional = msg.get::<AdditionalAddressFamily>().map_err(|_| bad)?;
        if (token.is_some() && (even.is_some() || requested.is_some()))
            || (requested.is_some() && additional.is_some())
            || matches!(additional, Some(AdditionalAddressFamily(AddressFamily::V4)))
        {
            return Err(bad);
        }
        let lifetime = self.lifetime(msg, true)?;
        let held = self.table.per_user.get(&user).copied().unwrap_or(0)
            + self.pending.iter().filter(|p| p.user == user).count() as u32;
        let total = self.table.by_tuple.len() + self.pending.len();
        if (self.limits.user_quota > 0 && held >= self.limits.user_quota)
            || (self.limits.total_quota > 0 && total >= self.limits.total_quota as usize)
        {
            return Err(ErrorCodeValue::ALLOCATION_QUOTA_REACHED);
        }
        // Addresses to bind.
        let mut addrs = Vec::with_capacity(2);
        let mut reserve_next = None;
        let mut v6_error = false;
        if let Some(ReservationToken(t)) = token {
            let addr = self
                .ports
                .redeem(u64::from_be_bytes(t), now)
                .ok_or(ErrorCodeValue::INSUFFICIENT_CAPACITY)?;
            addrs.push(addr);
        } else {
            let v4 = !matches!(requested, Some(RequestedAddressFamily(AddressFamily::V6)));
            let ip = self
                .relay_ip(v4)
                .ok_or(ErrorCodeValue::ADDRESS_FAMILY_NOT_SUPPORTED)?;
            let reserve = matches!(even, Some(EvenPort { reserve: true }));
            let addr = self
                .take_port(ip, even.is_some(), reserve)
                .ok_or(ErrorCodeValue::INSUFFICIENT_CAPACITY)?;
            if reserve {
                reserve_next = Some(SocketAddr::new(ip, addr.port() + 1));
            }
            addrs.push(addr);
            if additional.is_some() {
                match self
                    .relay_ip(false)
                    .and_then(|ip6| self.take_port(ip6, false, false))
                {
                    Some(a6) => addrs.push(a6),
                    None => v6_error = true,
                }
            }
        }
        // RFC 8656 section 7.2: with DONT-FRAGMENT the server sets DF on what the relayed
        // address sends, or, if it cannot, answers 420 naming DONT-FRAGMENT.
        let dont_fragment = msg.attributes().any(|a| a.typ == AttrType::DONT_FRAGMENT);
        let options = SocketOptions::default().with_dont_fragment(dont_fragment);
        for addr in &addrs {
            self.sockets.push_back(SocketRequest::Bind {
                addr: *addr,
                transport: Transport::Udp,
                options,
            });
        }
        self.pending.push(Pending {
            five,
            tid,
            user,
            key,
            lifetime,
            addrs: addrs.into_iter().map(|a| (a, false, 1)).collect(),
            even: even.is_some(),
            reserve_next,
            v6_error,
            dont_fragment,
            fingerprint: msg.fingerprint_offset().is_some(),
        });
        Ok(())
    }

    /// A free port on `ip`; with `reserve`, an even one whose successor is free too, taken
    /// as well.
    fn take_port(&mut self, ip: IpAddr, even: bool, reserve: bool) -> Option<SocketAddr> {
        if !reserve {
            return self.ports.take(ip, even, &mut self.rng);
        }
        let mut tried = Vec::new();
        let found = loop {
            let Some(addr) = self.ports.take(ip, true, &mut self.rng) else {
                break None;
            };
            let next = SocketAddr::new(ip, addr.port().wrapping_add(1));
            if addr.port() < u16::MAX && self.ports.take_exact(next) {
                break Some(addr);
            }
            tried.push(addr);
        };
        for addr in tried {
            self.ports.release(addr);
        }
        found
    }

    /// The driver's answer to a [`SocketRequest::Bind`]: finishes the pending Allocate
    /// waiting for it (answering it once all its relayed addresses are bound), or retries
    /// another port when the address was in use, or answers 508 — or 420 naming
    /// DONT-FRAGMENT when the Allocate asked for DF and the driver answered
    /// [`BindError::Unsupported`] (RFC 8656 section 7.2).
    pub(super) fn relayed_socket_answered(&mut self, now: Instant, result: SocketResult) {
        let now = self.clamp(now);
        let (requested, outcome) = match result {
            SocketResult::Bound {
                requested, bound, ..
            } => (requested, Ok(bound)),
            SocketResult::Failed {
                requested, error, ..
            } => (requested, Err(error)),
            _ => return,
        };
        let Some(pi) = self
            .pending
            .iter()
            .position(|p| p.addrs.iter().any(|(a, _, _)| *a == requested))
        else {
            // Nobody waits for it (the Allocate was abandoned): close what was opened, and
            // the port of an Allocate whose connection closed meanwhile is free again.
            if let Some(i) = self.orphaned.iter().position(|a| *a == requested) {
                self.orphaned.swap_remove(i);
                self.ports.release(requested);
            }
            if let Ok(bound) = outcome {
                self.sockets.push_back(SocketRequest::Close {
                    addr: bound,
                    transport: Transport::Udp,
                });
            }
            return;
        };
        let ai = self.pending[pi]
            .addrs
            .iter()
            .position(|(a, _, _)| *a == requested)
            .unwrap_or(0);
        match outcome {
            Ok(bound) => {
                let p = &mut self.pending[pi];
                if bound != requested {
                    // A driver that bound elsewhere: follow it, keeping the pool consistent.
                    self.ports.release(requested);
                    self.ports.take_exact(bound);
                    p.addrs[ai].0 = bound;
                }
                p.addrs[ai].1 = true;
                if p.addrs.iter().all(|(_, b, _)| *b) {
                    let p = self.pending.swap_remove(pi);
                    self.finish_allocate(now, p);
                }
            }
            Err(error) => {
                let (addr, _, attempts) = self.pending[pi].addrs[ai];
                self.ports.release(addr);
                let retry = (error == BindError::AddrInUse && attempts < BIND_ATTEMPTS)
                    .then(|| {
                        let even = self.pending[pi].even
                            && ai == 0
                            && self.pending[pi].reserve_next.is_none();
                        self.ports.take(addr.ip(), even, &mut self.rng)
                    })
                    .flatten();
                match retry {
                    Some(next) => {
                        self.pending[pi].addrs[ai] = (next, false, attempts + 1);
                        let options = SocketOptions::default()
                            .with_dont_fragment(self.pending[pi].dont_fragment);
                        self.sockets.push_back(SocketRequest::Bind {
                            addr: next,
                            transport: Transport::Udp,
                            options,
                        });
                    }
                    None => {
                        let p = self.pending.swap_remove(pi);
                        let no_df = p.dont_fragment && error == BindError::Unsupported;
                        self.abandon(now, p, ai, no_df);
                    }
                }
            }
        }
    }

    /// Gives up a pending Allocate with 508 (or, with `no_df`, 420 with DONT-FRAGMENT in
    /// UNKNOWN-ATTRIBUTES: the driver cannot set DF): returns its ports and closes bound
    /// sockets. The address at `failed` was released already.
    fn abandon(&mut self, now: Instant, p: Pending, failed: usize, no_df: bool) {
        for (i, (addr, bound, _)) in p.addrs.iter().enumerate() {
            if i == failed {
                continue;
            }
            if *bound {
                self.sockets.push_back(SocketRequest::Close {
                    addr: *addr,
                    transport: Transport::Udp,
                });
            }
            self.ports.release(*addr);
        }
        if let Some(next) = p.reserve_next {
            self.ports.release(next);
        }
        let mut buf = self.out.buffer();
        let typ = MessageType::new(Class::ErrorResponse, Method::ALLOCATE);
        let mut w = MessageWriter::new(&mut buf, typ, p.tid);
        let encoded = (|| {
            if no_df {
                w.add(&ErrorCode::from_code(ErrorCodeValue::UNKNOWN_ATTRIBUTE))?;
                w.add(&UnknownAttributes(U16List::Values(&[
                    AttrType::DONT_FRAGMENT.0,
                ])))?;
            } else {
                w.add(&ErrorCode::from_code(ErrorCodeValue::INSUFFICIENT_CAPACITY))?;
            }
            self.seal(&mut w, Some(&p.key), p.fingerprint)
        })();

        self.stats.error_responses += 1;
        self.queue(now, p.five, buf, encoded.is_ok());
    }

    /// The connection of `five` closed: its Allocates waiting for relay sockets are
    /// dropped unanswered. Bound sockets close and their ports return; a port whose bind
    /// is still in flight returns when the driver answers (until then another Allocate
    /// could ask for it and take the answer for its own).
    pub(super) fn abandon_pending(&mut self, five: &FiveTuple) {
        while let Some(i) = self.pending.iter().position(|p| p.five == *five) {
            let p = self.pending.swap_remove(i);
            for (addr, bound, _) in p.addrs {
                if bound {
                    self.sockets.push_back(SocketRequest::Close {
                        addr,
                        transport: Transport::Udp,
                    });
                    self.ports.release(addr);
                } else {
                    self.orphaned.push(addr);
                }
            }
            if let Some(next) = p.reserve_next {
                self.ports.release(next);
            }
        }
    }

    fn finish_allocate(&mut self, now: Instant, p: Pending) {
        let reservation = p.reserve_next.map(|next| {
            let token = self.rng.next_u64();
            self.ports
                .reserve(token, next, now + self.limits.reservation_lifetime);
            token
        });
        let relayed: Vec<SocketAddr> = p.addrs.iter().map(|(a, _, _)| *a).collect();
        let bucket = (self.limits.max_bps > 0).then(|| Bucket::new(self.limits.max_bps, now));
        let allocation = Allocation {
            five: p.five,
            user: p.user.clone(),
            key: p.key,
            relayed: relayed.clone(),
            expires: now + p.lifetime,
            permissions: Vec::new(),
            channels: Vec::new(),
            allocate_tid: p.tid,
            reservation,
            bucket,
            v6_error: p.v6_error,
        };
        let slot = self.table.insert(allocation);
        self.connections.allocated(&p.five);
        self.stats.allocations_created += 1;
        self.event(Event::Allocated {
            five: p.five,
            user: p.user,
            relayed,
        });
        self.respond_allocated(now, slot, p.fingerprint);
    }

    /// The success response to the Allocate that made allocation `slot`.
    fn respond_allocated(&mut self, now: Instant, slot: usize, fingerprint: bool) {
        let Some(a) = self.table.get(slot) else {
            return;
        };
        let mut buf = self.out.buffer();
        let typ = MessageType::new(Class::SuccessResponse, Method::ALLOCATE);
        let mut w = MessageWriter::new(&mut buf, typ, a.allocate_tid);
        let lifetime = a.expires.saturating_duration_since(now);
        let encoded = (|| {
            for r in &a.relayed {
                w.add(&XorRelayedAddress(self.limits.advertised(*r)))?;
            }
            w.add(&Lifetime(Duration::from_secs(lifetime.as_secs())))?;
            w.add(&XorMappedAddress(a.five.client))?;
            if let Some(token) = a.reservation {
                w.add(&ReservationToken(token.to_be_bytes()))?;
            }
            if a.v6_error {
                w.add(&AddressErrorCode {
                    family: AddressFamily::V6,
                    code: ErrorCodeValue::ADDRESS_FAMILY_NOT_SUPPORTED,
                    reason: ErrorCodeValue::ADDRESS_FAMILY_NOT_SUPPORTED.default_reason(),
                })?;
            }
            self.seal(&mut w, Some(&a.key), fingerprint)
        })();

        let five = a.five;
        self.queue(now, five, buf, encoded.is_ok());
    }

    /// Refresh (RFC 8656 section 7.3).
    fn refresh(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        user: &str,
    ) -> Result<(), ErrorCodeValue> {
        let slot = self.own(five, user)?;
        if let Ok(Some(RequestedAddressFamily(family))) = msg.get::<RequestedAddressFamily>() {
            let v4 = family == AddressFamily::V4;
            let has = self
                .table
                .get(slot)
                .is_some_and(|a| a.relayed.iter().any(|r| r.is_ipv4() == v4));
            if !has {
                return Err(ErrorCodeValue::PEER_ADDRESS_FAMILY_MISMATCH);
            }
        }
        let lifetime = self.lifetime(msg, false)?;
        let key = self.table.get(slot).map(|a| a.key.clone());
        if lifetime.is_zero() {
            self.delete(slot, super::CloseReason::Deallocated);
        } else if let Some(a) = self.table.get_mut(slot) {
            a.expires = now + lifetime;
            self.table.rearm(slot);
        }
        self.respond_ok(now, five, msg, key.as_ref(), |w| {
            w.add(&Lifetime(Duration::from_secs(lifetime.as_secs())))
        });
        Ok(())
    }

    /// The peers of a CreatePermission or ChannelBind, checked (400, 443, 403).
    fn peers(&self, slot: usize, msg: &Message<'_>) -> Result<Vec<SocketAddr>, ErrorCodeValue> {
        let tid = msg.transaction_id();
        let mut peers = Vec::new();
        for raw in msg
            .attributes()
            .filter(|a| a.typ == AttrType::XOR_PEER_ADDRESS)
        {
            let peer = <XorPeerAddress as wren_stun::Attribute<'_>>::decode(raw.value, &tid)
                .map_err(|_| ErrorCodeValue::BAD_REQUEST)?
                .0;
            peers.push(peer);
        }
        if peers.is_empty() {
            return Err(ErrorCodeValue::BAD_REQUEST);
        }
        let a = self
            .table
            .get(slot)
            .ok_or(ErrorCodeValue::ALLOCATION_MISMATCH)?;
        for peer in &peers {
            if a.relayed_for(peer.ip()).is_none() {
                return Err(ErrorCodeValue::PEER_ADDRESS_FAMILY_MISMATCH);
            }
            if self.policy.check(peer.ip()).is_err() {
                return Err(ErrorCodeValue::FORBIDDEN);
            }
        }
        Ok(peers)
    }

    /// CreatePermission (RFC 8656 section 9): all listed peers or none.
    fn create_permission(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        user: &str,
    ) -> Result<(), ErrorCodeValue> {
        let slot = self.own(five, user)?;
        let peers = self.peers(slot, msg)?;
        let Some(a) = self.table.get_mut(slot) else {
            return Err(ErrorCodeValue::ALLOCATION_MISMATCH);
        };
        for peer in peers {
            a.permit(peer.ip(), now);
        }
        let key = a.key.clone();
        self.table.rearm(slot);
        self.respond_ok(now, five, msg, Some(&key), |_| Ok(()));
        Ok(())
    }

    /// ChannelBind (RFC 8656 section 11).
    fn channel_bind(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        user: &str,
    ) -> Result<(), ErrorCodeValue> {
        let bad = ErrorCodeValue::BAD_REQUEST;
        let slot = self.own(five, user)?;
        let number = match msg.get::<ChannelNumber>() {
            // RFC 5766 clients use up to 0x7FFF; RFC 8656 narrowed it to 0x4FFF.
            Ok(Some(ChannelNumber(n))) if (0x4000..=0x7FFF).contains(&n) => n,
            _ => return Err(bad),
        };
        let peers = self.peers(slot, msg)?;
        let [peer] = peers[..] else { return Err(bad) };
        let Some(a) = self.table.get_mut(slot) else {
            return Err(ErrorCodeValue::ALLOCATION_MISMATCH);
        };
        let expires = now + CHANNEL_LIFETIME;
        let by_number = a.channels.iter().position(|c| c.number == number);
        let by_peer = a.channels.iter().position(|c| c.peer == peer);
        match (by_number, by_peer) {
            (Some(i), Some(j)) if i == j => a.channels[i].expires = expires,
            (None, None) => a.channels.push(Channel {
                number,
                peer,
                expires,
            }),
            // The number is bound to another peer, or the peer to another number.
            _ => return Err(bad),
        }
        a.permit(peer.ip(), now);
        let key = a.key.clone();
        self.table.rearm(slot);
        self.respond_ok(now, five, msg, Some(&key), |_| Ok(()));
        Ok(())
    }

    /// Adds SOFTWARE, MESSAGE-INTEGRITY (when a key is given) and FINGERPRINT.
    fn seal(
        &self,
        w: &mut MessageWriter<'_>,
        key: Option<&Key>,
        fingerprint: bool,
    ) -> Result<(), wren_stun::Error> {
        if let Some(s) = &self.limits.software {
            w.add(&Software(s))?;
        }
        if let Some(key) = key {
            w.add_message_integrity(key)?;
        }
        if fingerprint || self.limits.fingerprint {
            w.add_fingerprint()?;
        }
        Ok(())
    }

    fn queue(&mut self, _now: Instant, five: FiveTuple, buf: Vec<u8>, encoded: bool) {
        if !encoded {
            self.out.recycle(buf);
            return;
        }
        let t = Transmit::new(five.transport, Some(five.server), five.client);
        if !self.out.push(t, buf) {
            self.stats.dropped_queue_full += 1;
        }
    }

    fn respond_ok(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        key: Option<&Key>,
        add: impl FnOnce(&mut MessageWriter<'_>) -> Result<(), wren_stun::Error>,
    ) {
        let mut buf = self.out.buffer();
        let typ = msg.message_type().with_class(Class::SuccessResponse);
        let mut w = MessageWriter::new(&mut buf, typ, msg.transaction_id());
        let encoded =
            add(&mut w).and_then(|()| self.seal(&mut w, key, msg.fingerprint_offset().is_some()));

        self.queue(now, five, buf, encoded.is_ok());
    }

    fn respond_error(
        &mut self,
        now: Instant,
        five: FiveTuple,
        msg: &Message<'_>,
        code: ErrorCodeValue,
        key: Option<&Key>,
        extra: Extra<'_>,
    ) {
        self.stats.error_responses += 1;
        let nonce = matches!(extra, Extra::Challenge).then(|| self.creds.nonce(now));
        let mut buf = self.out.buffer();
        let typ = msg.message_type().with_class(Class::ErrorResponse);
        let mut w = MessageWriter::new(&mut buf, typ, msg.transaction_id());
        let encoded = (|| {
            w.add(&ErrorCode::from_code(code))?;
            match extra {
                Extra::None => {}
                Extra::Challenge => {
                    w.add(&Realm(&self.creds.realm))?;
                    w.add(&Nonce(nonce.as_deref().unwrap_or_default()))?;
                }
                Extra::Unknown(list) => w.add(&UnknownAttributes(U16List::Values(list)))?,
            }
            self.seal(&mut w, key, msg.fingerprint_offset().is_some())
        })();

        self.queue(now, five, buf, encoded.is_ok());
    }
}
