//! What an [`super::Endpoint`] reports, and why a command was refused.

use crate::codes::{CipherSuite, SrtpProfileId};
use crate::fingerprint::Fingerprint;

use super::Failure;

/// The keying material for SRTP (RFC 5764 section 4.2): `client key | server key | client
/// salt | server salt`, from the exporter with label `EXTRACTOR-dtls_srtp`.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtpKeys {
    /// The profile negotiated.
    pub profile: SrtpProfileId,
    /// The keying material.
    pub material: Vec<u8>,
}

impl std::fmt::Debug for SrtpKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpKeys")
            .field("profile", &self.profile)
            .field("material", &format_args!("{} bytes", self.material.len()))
            .finish()
    }
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake is done.
    Connected {
        /// The suite.
        suite: CipherSuite,
        /// The peer's certificate's SHA-256 fingerprint.
        peer_fingerprint: Fingerprint,
        /// SRTP's keys, when use_srtp was negotiated.
        srtp: Option<SrtpKeys>,
    },
    /// Application data arrived.
    Data(Vec<u8>),
    /// The connection failed; nothing more happens.
    Failed(Failure),
    /// The peer closed (close_notify).
    Closed,
}

/// What [`super::Endpoint::receive`] made of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// Application data, now in the caller's buffer.
    Data,
    /// An application data record that was replayed or did not authenticate: dropped.
    Dropped,
    /// Not application data: handled by the machine (poll it).
    Handled,
}

/// A command that could not be carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The handshake is not done.
    #[error("not connected")]
    NotConnected,
    /// More than one record's worth.
    #[error("{0} bytes do not fit one record")]
    TooLarge(usize),
    /// The connection is closed or failed.
    #[error("the connection is closed")]
    Closed,
}

/// What an application asks of an endpoint (through a driver).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Send application data.
    Send(Vec<u8>),
    /// Send close_notify and stop.
    Close,
}
