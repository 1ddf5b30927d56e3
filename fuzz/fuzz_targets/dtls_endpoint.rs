//! A DTLS endpoint, client or server, fed arbitrary datagram sequences from its peer's
//! address and from others, with time passing between them. Nothing may panic; the queues
//! stay bounded; a failed endpoint stays quiet.
#![no_main]
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use wren_core::{Datagram, Machine};
use wren_dtls::endpoint::{Config, Endpoint, Role};
use wren_dtls::identity::Identity;

#[derive(Debug, Arbitrary)]
struct Step {
    /// Milliseconds that pass before it.
    wait: u16,
    /// From the peer's address (else from a stranger's).
    from_peer: bool,
    bytes: Vec<u8>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    client: bool,
    cookie: bool,
    steps: Vec<Step>,
}

fn identity() -> Arc<Identity> {
    static ID: OnceLock<Arc<Identity>> = OnceLock::new();
    Arc::clone(ID.get_or_init(|| Arc::new(Identity::generate().expect("an identity"))))
}

fn start() -> Instant {
    static T0: OnceLock<Instant> = OnceLock::new();
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    *T0.get_or_init(Instant::now)
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let peer: SocketAddr = ([10, 0, 0, 2], 6000).into();
    let stranger: SocketAddr = ([10, 0, 0, 3], 7000).into();
    let local: SocketAddr = ([10, 0, 0, 1], 5000).into();
    let role = if input.client { Role::Client { peer } } else { Role::Server };
    let mut config = Config::new(role, identity());
    config.cookie = input.cookie;
    config.rng_seed = Some([7; 32]);
    let mut now = start();
    let mut ep = Endpoint::new(now, config);
    let mut buf = Vec::new();
    for s in input.steps.iter().take(64) {
        now += Duration::from_millis(u64::from(s.wait));
        ep.handle_timeout(now);
        let from = if s.from_peer { peer } else { stranger };
        ep.handle_datagram(now, Datagram::udp(from, local, &s.bytes));
        let mut n = 0;
        while ep.poll_transmit(now, &mut buf).is_some() {
            n += 1;
            assert!(buf.len() <= 1200 + 64, "a datagram past the MTU: {}", buf.len());
        }
        assert!(n < 1000, "{n} datagrams from one input");
        let mut events = 0;
        while ep.poll_event().is_some() {
            events += 1;
        }
        assert!(events <= 1100);
    }
});
