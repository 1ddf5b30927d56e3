//! Serving: sockets for each listening address, the STUN Binding machine, the mio driver,
//! and SIGINT/SIGTERM for a clean stop.

use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::time::Instant;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use tracing::{debug, info};
use wren_core::{Datagram, Machine, Transmit};
use wren_stun::server::BindingServer;

use crate::config::Config;

/// Why the relay could not serve.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// A listening socket could not be bound.
    #[error("cannot listen on {transport} {addr}: {source}")]
    Bind {
        /// "UDP" or "TCP".
        transport: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The STUN configuration was refused (a credential OpaqueString refuses).
    #[error("STUN configuration: {0}")]
    Stun(#[from] wren_stun::PrepError),
    /// Signal handlers could not be installed, or the driver thread failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The driver stopped on a socket error.
    #[error("driver: {0}")]
    Driver(#[from] wren_mio::DriverError),
}

/// The Binding server with a debug line per answer (who was told which address).
#[derive(Debug)]
struct Logged(BindingServer);

impl Machine for Logged {
    type Event = Infallible;
    type Command = Infallible;
    type Error = Infallible;

    fn handle_datagram(&mut self, now: Instant, d: Datagram<'_>) -> Result<(), Infallible> {
        self.0.handle_datagram(now, d);
        Ok(())
    }

    fn handle_command(&mut self, _now: Instant, cmd: Infallible) -> Result<(), Infallible> {
        match cmd {}
    }

    fn handle_timeout(&mut self, _now: Instant) {}

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        let t = self.0.poll_transmit(now, buf)?;
        debug!(client = %t.destination, transport = ?t.proto, bytes = buf.len(), "STUN response");
        Some(t)
    }

    fn poll_event(&mut self) -> Option<Infallible> {
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

/// Binds every listening address and serves until SIGINT or SIGTERM.
pub(crate) fn run(config: &Config) -> Result<(), ServeError> {
    let server = BindingServer::new(config.stun_server_config())?;
    let mut driver = wren_mio::Driver::new(Logged(server))?;
    for addr in config.listen_addrs() {
        if config.udp {
            let sock = UdpSocket::bind(addr).map_err(|source| ServeError::Bind {
                transport: "UDP",
                addr,
                source,
            })?;
            info!(addr = %sock.local_addr()?, "listening on UDP");
            driver = driver.udp(sock)?;
        }
        if config.tcp {
            let listener = TcpListener::bind(addr).map_err(|source| ServeError::Bind {
                transport: "TCP",
                addr,
                source,
            })?;
            info!(addr = %listener.local_addr()?, "listening on TCP");
            driver = driver.tcp_listener(listener)?;
        }
    }
    let handle = driver.handle();
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    let signal_handle = handle.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                info!(signal, "stopping");
                signal_handle.shutdown();
            }
        })?;
    let result = driver.run(|never| match never {});
    let stats = handle.stats();
    match result {
        Ok(Logged(server)) => {
            info!(?stats, stun = ?server.stats(), "stopped");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
