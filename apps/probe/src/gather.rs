//! Gathering from one server: resolve its host, connect, and run a STUN Binding (`stun:`,
//! `stuns:`) with [`wren_stun::client::Client`] or a TURN Allocate (`turn:`, `turns:`)
//! with [`wren_turn::client::Client`]; every candidate and every failure is sent as a
//! [`Report`] with the time it took.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wren_core::Machine;

use tokio::sync::mpsc::UnboundedSender;
use wren_ice::Candidate;
use wren_stun::client::{Client, Config as ClientConfig, Event as ClientEvent, FailureReason};
use wren_turn::client::{Client as TurnClient, CloseReason, Config as TurnClientConfig, Event};

use crate::candidate;
use crate::failure::Failure;
use crate::link::{Link, TlsTarget};
use crate::uri::{Host, IceUri, Scheme, UriTransport};

/// How long a successful TURN probe waits for its deallocation to be answered.
const DEALLOCATE_WAIT: Duration = Duration::from_secs(1);

/// What the probe was asked to do with every server.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The TURN username (`--username`).
    pub username: String,
    /// The TURN password (`--credential`).
    pub credential: String,
    /// How long one server may take, DNS and connection included (`--timeout`).
    pub timeout: Duration,
    /// The TLS configuration for `turns:` and `stuns:`.
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// One line of the result.
#[derive(Debug)]
pub enum Report {
    /// A candidate from `server`.
    Candidate {
        /// The server, as given on the command line.
        server: String,
        /// From the start of this server's probe to the answer.
        elapsed: Duration,
        /// The candidate.
        candidate: Candidate,
    },
    /// `server` gave nothing.
    Failed {
        /// The server, as given on the command line.
        server: String,
        /// From the start of this server's probe to the failure.
        elapsed: Duration,
        /// Why.
        failure: Failure,
    },
}

/// Probes the server of `uri` (written `label` on the command line) and sends what it found
/// to `out`. Returns whether the server answered with at least one candidate.
pub async fn probe(
    label: String,
    uri: IceUri,
    settings: Arc<Settings>,
    out: UnboundedSender<Report>,
) -> bool {
    let start = Instant::now();
    let deadline = start + settings.timeout;
    let emit = |candidate: Candidate| {
        let _ = out.send(Report::Candidate {
            server: label.clone(),
            elapsed: start.elapsed(),
            candidate,
        });
    };
    let result = tokio::time::timeout_at(deadline.into(), gather(&uri, &settings, emit)).await;
    let failure = match result {
        Ok(Ok(())) => return true,
        Ok(Err(failure)) => failure,
        Err(_) => Failure::Timeout(settings.timeout),
    };
    let _ = out.send(Report::Failed {
        server: label,
        elapsed: start.elapsed(),
        failure,
    });
    false
}

/// Resolves, connects and gathers; `emit` takes each candidate as it comes.
async fn gather(
    uri: &IceUri,
    settings: &Settings,
    mut emit: impl FnMut(Candidate),
) -> Result<(), Failure> {
    let server = resolve(&uri.host, uri.port).await?;
    let tls = match (uri.transport, &settings.tls) {
        (UriTransport::Tls, Some(config)) => Some(TlsTarget {
            config: Arc::clone(config),
            name: server_name(&uri.host)?,
        }),
        _ => None,
    };
    let mut link = Link::open(uri.transport, server, tls).await?;
    match uri.scheme {
        Scheme::Stun | Scheme::Stuns => {
            let mapped = binding(&mut link).await?;
            emit(candidate::server_reflexive(
                mapped,
                link.local(),
                server,
                uri.transport,
            ));
        }
        Scheme::Turn | Scheme::Turns => {
            let (mut turn, relayed, mapped) = allocate(&mut link, settings).await?;
            if let Some(mapped) = mapped {
                emit(candidate::server_reflexive(
                    mapped,
                    link.local(),
                    server,
                    uri.transport,
                ));
            }
            emit(candidate::relayed(
                relayed,
                mapped,
                link.local(),
                server,
                uri.transport,
            ));
            // Give the allocation back; the candidates are reported whatever happens.
            let _ = tokio::time::timeout(DEALLOCATE_WAIT, deallocate(&mut link, &mut turn)).await;
        }
    }
    Ok(())
}

/// The first address `host` resolves to.
///
/// # Errors
///
/// When the name does not resolve, or to no address.
pub async fn resolve(host: &Host, port: u16) -> Result<SocketAddr, Failure> {
    match host {
        Host::Ip(ip) => Ok(SocketAddr::new(*ip, port)),
        Host::Name(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .map_err(|source| Failure::Dns {
                host: name.clone(),
                source,
            })?
            .next()
            .ok_or_else(|| Failure::NoAddress(name.clone())),
    }
}

/// The name the server's certificate must carry.
fn server_name(host: &Host) -> Result<rustls::pki_types::ServerName<'static>, Failure> {
    match host {
        Host::Ip(ip) => Ok((*ip).into()),
        Host::Name(name) => rustls::pki_types::ServerName::try_from(name.clone())
            .map_err(|e| Failure::Local(format!("{name:?} is not a TLS server name: {e}"))),
    }
}

/// A Binding transaction: the server-reflexive address.
async fn binding(link: &mut Link) -> Result<SocketAddr, Failure> {
    let mut client = Client::new(Instant::now(), ClientConfig::default());
    client
        .binding(Instant::now(), link.proto(), None, link.server())
        .map_err(|e| Failure::Local(e.to_string()))?;
    loop {
        link.flush(&mut client).await?;
        while let Some(event) = client.poll_event() {
            match event {
                ClientEvent::Success { mapped, .. } => {
                    return mapped.ok_or(Failure::NoMappedAddress);
                }
                ClientEvent::ErrorResponse { code, reason, .. } => {
                    return Err(Failure::ErrorResponse {
                        code: code.code(),
                        reason,
                    });
                }
                ClientEvent::Failed { reason, .. } => {
                    return Err(match reason {
                        FailureReason::TimedOut { transmissions } => {
                            Failure::NoResponse(transmissions)
                        }
                        other => Failure::Local(format!("{other:?}")),
                    });
                }
                _ => {}
            }
        }
        link.wait(&mut client).await?;
    }
}

/// An Allocate: the TURN client, the relayed address and the mapped address.
async fn allocate(
    link: &mut Link,
    settings: &Settings,
) -> Result<(TurnClient, SocketAddr, Option<SocketAddr>), Failure> {
    let config = TurnClientConfig::new(
        link.server(),
        link.proto(),
        settings.username.clone(),
        settings.credential.clone(),
    );
    let mut turn = TurnClient::new(Instant::now(), config);
    turn.allocate(Instant::now())
        .map_err(|e| Failure::Local(e.to_string()))?;
    loop {
        link.flush(&mut turn).await?;
        while let Some(event) = turn.poll_event() {
            match event {
                Event::Allocated {
                    relayed, mapped, ..
                } => return Ok((turn, relayed, mapped)),
                Event::Closed { reason } => {
                    return Err(match reason {
                        CloseReason::Failed(failure) => Failure::Turn {
                            failure,
                            username: settings.username.clone(),
                        },
                        other => Failure::Local(format!("closed: {other:?}")),
                    });
                }
                _ => {}
            }
        }
        link.wait(&mut turn).await?;
    }
}

/// Deallocates and waits for the answer (the caller bounds the wait).
async fn deallocate(link: &mut Link, turn: &mut TurnClient) -> Result<(), Failure> {
    turn.close(Instant::now());
    loop {
        link.flush(turn).await?;
        while let Some(event) = turn.poll_event() {
            if matches!(event, Event::Closed { .. }) {
                return Ok(());
            }
        }
        link.wait(turn).await?;
    }
}
