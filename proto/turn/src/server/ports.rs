//! The relay port pool: ports in `min..=max` on each relay address, handed out at random
//! without collision, with EVEN-PORT and reservations (RFC 8656 section 7.2, 14.7).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use wren_core::{Deadlines, Rng};

/// Free and taken ports per relay address.
#[derive(Debug)]
pub(crate) struct PortPool {
    min: u16,
    max: u16,
    /// For each relay IP, a bitmap of taken ports (bit `p - min`).
    taken: HashMap<IpAddr, Vec<u64>>,
    /// Ports kept for a later Allocate with RESERVATION-TOKEN, by token, with the account
    /// (quota name) of the user who made it.
    reservations: HashMap<u64, (SocketAddr, String)>,
    /// Reservations held per account: they count against its `user-quota` while held.
    per_account: HashMap<String, u32>,
    /// When each reservation runs out, by token.
    expiry: Deadlines<u64>,
}

impl PortPool {
    pub(crate) fn new(ips: &[IpAddr], min: u16, max: u16) -> PortPool {
        let (min, max) = (min.min(max), min.max(max));
        let words = (usize::from(max - min) + 1).div_ceil(64);
        let taken = ips.iter().map(|ip| (*ip, vec![0u64; words])).collect();
        PortPool {
            min,
            max,
            taken,
            reservations: HashMap::new(),
            per_account: HashMap::new(),
            expiry: Deadlines::new(),
        }
    }

    fn span(&self) -> u32 {
        u32::from(self.max - self.min) + 1
    }

    fn bit(&self, port: u16) -> Option<(usize, u64)> {
        (self.min..=self.max).contains(&port).then(|| {
            (
                usize::from(port - self.min) / 64,
                1u64 << (usize::from(port - self.min) % 64),
            )
        })
    }

    pub(crate) fn is_taken(&self, addr: SocketAddr) -> bool {
        match (self.taken.get(&addr.ip()), self.bit(addr.port())) {
            (Some(words), Some((w, b))) => words[w] & b != 0,
            _ => false,
        }
    }

    fn set(&mut self, addr: SocketAddr, on: bool) {
        if let Some((w, b)) = self.bit(addr.port())
            && let Some(words) = self.taken.get_mut(&addr.ip())
        {
            if on {
                words[w] |= b;
            } else {
                words[w] &= !b;
            }
        }
    }

    /// Takes a free port on `ip` (an even one when `even`), starting from a random point.
    pub(crate) fn take(&mut self, ip: IpAddr, even: bool, rng: &mut Rng) -> Option<SocketAddr> {
        if !self.taken.contains_key(&ip) {
            return None;
        }
        let span = self.span();
        let start = u32::try_from(rng.below(u64::from(span))).unwrap_or(0);
        for i in 0..span {
            let offset = (start + i) % span;
            let port = self.min + u16::try_from(offset).unwrap_or(0);
            let addr = SocketAddr::new(ip, port);
            if (even && port % 2 != 0) || self.is_taken(addr) {
                continue;
            }
            self.set(addr, true);
            return Some(addr);
        }
        None
    }

    /// Takes exactly `addr` if it is free.
    pub(crate) fn take_exact(&mut self, addr: SocketAddr) -> bool {
        if self.bit(addr.port()).is_none()
            || !self.taken.contains_key(&addr.ip())
            || self.is_taken(addr)
        {
            return false;
        }
        self.set(addr, true);
        true
    }

    /// Returns a port to the pool.
    pub(crate) fn release(&mut self, addr: SocketAddr) {
        self.set(addr, false);
    }

    /// Keeps `addr` (already taken) for `token` until `expires`, on `account`'s quota.
    pub(crate) fn reserve(
        &mut self,
        token: u64,
        addr: SocketAddr,
        expires: Instant,
        account: &str,
    ) {
        *self.per_account.entry(account.to_owned()).or_insert(0) += 1;
        if let Some((_, old)) = self.reservations.insert(token, (addr, account.to_owned())) {
            self.forget(&old);
        }
        self.expiry.set(token, expires);
    }

    /// One reservation of `account` less.
    fn forget(&mut self, account: &str) {
        if let Some(n) = self.per_account.get_mut(account) {
            *n -= 1;
            if *n == 0 {
                self.per_account.remove(account);
            }
        }
    }

    /// Reservations `account` holds.
    pub(crate) fn reserved_by(&self, account: &str) -> u32 {
        self.per_account.get(account).copied().unwrap_or(0)
    }

    /// Reservations held in all.
    pub(crate) fn reserved(&self) -> usize {
        self.reservations.len()
    }

    /// The account that holds the reservation `token`.
    pub(crate) fn holder(&self, token: u64) -> Option<&str> {
        self.reservations.get(&token).map(|(_, a)| a.as_str())
    }

    /// Hands out the port kept for `token`, if the reservation is still valid.
    pub(crate) fn redeem(&mut self, token: u64, now: Instant) -> Option<SocketAddr> {
        let (addr, account) = self.reservations.remove(&token)?;
        self.forget(&account);
        let expires = self.expiry.stop(&token);
        expires
            .is_some_and(|e| e > now)
            .then_some(addr)
            .or_else(|| {
                self.release(addr);
                None
            })
    }

    /// Releases reservations that ran out; returns the earliest remaining expiry.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Instant> {
        while let Some((_, token)) = self.expiry.pop_expired(now) {
            if let Some((addr, account)) = self.reservations.remove(&token) {
                self.forget(&account);
                self.release(addr);
            }
        }
        self.next_deadline()
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.expiry.next_deadline()
    }

    /// The reservation that runs out next: when, and the port it keeps.
    pub(crate) fn next_timer(&self) -> Option<(Instant, SocketAddr)> {
        let (at, token) = self.expiry.next()?;
        Some((at, self.reservations.get(&token)?.0))
    }

    /// Ports taken on `ip` (for tests and stats).
    pub(crate) fn taken_count(&self) -> usize {
        self.taken
            .values()
            .flatten()
            .map(|w| w.count_ones() as usize)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hands_out_every_port_once_then_none() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let mut pool = PortPool::new(&[ip], 50000, 50009);
        let mut rng = Rng::from_seed([4; 32]);
        let mut got: Vec<u16> = (0..10)
            .map(|_| pool.take(ip, false, &mut rng).unwrap().port())
            .collect();
        got.sort_unstable();
        assert_eq!(got, (50000..=50009).collect::<Vec<_>>());
        assert_eq!(pool.take(ip, false, &mut rng), None);
        pool.release(SocketAddr::new(ip, 50004));
        assert_eq!(
            pool.take(ip, false, &mut rng),
            Some(SocketAddr::new(ip, 50004))
        );
        assert_eq!(
            pool.take("10.0.0.1".parse().unwrap(), false, &mut rng),
            None,
            "not a relay address"
        );
    }

    #[test]
    fn even_ports_and_reservations() {
        #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
        let now = Instant::now();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let mut pool = PortPool::new(&[ip], 50000, 50009);
        let mut rng = Rng::from_seed([5; 32]);
        let even = pool.take(ip, true, &mut rng).unwrap();
        assert_eq!(even.port() % 2, 0);
        let next = SocketAddr::new(ip, even.port() + 1);
        assert!(pool.take_exact(next));
        pool.reserve(7, next, now + Duration::from_secs(30), "alice");
        assert_eq!((pool.reserved_by("alice"), pool.reserved()), (1, 1));
        assert_eq!(pool.redeem(8, now), None);
        assert_eq!(pool.redeem(7, now + Duration::from_secs(1)), Some(next));
        assert_eq!((pool.reserved_by("alice"), pool.reserved()), (0, 0));
        // An expired reservation returns its port.
        pool.reserve(9, next, now + Duration::from_secs(30), "bob");
        assert_eq!(pool.holder(9), Some("bob"));
        assert_eq!(pool.expire(now + Duration::from_secs(31)), None);
        assert_eq!(pool.reserved_by("bob"), 0);
        assert!(!pool.is_taken(next));
        assert_eq!(pool.taken_count(), 1);
    }
}
