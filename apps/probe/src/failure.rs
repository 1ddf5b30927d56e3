//! Why a server gave no candidate: one typed reason per way a probe can fail, each with a
//! message that says what happened in the words an operator searches for.

use std::io;
use std::time::Duration;

use wren_stun::client::AuthFailure;
use wren_turn::client::TurnFailure;

/// Why a server gave no candidate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The host name did not resolve.
    #[error("DNS lookup of {host} failed: {source}")]
    Dns {
        /// The name.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The host name resolved to no address.
    #[error("DNS lookup of {0} gave no address")]
    NoAddress(String),
    /// Nothing answered before the deadline (`--timeout`).
    #[error("timeout: no answer within {} s", secs(*.0))]
    Timeout(Duration),
    /// The request was sent again and again and never answered (the STUN client's own
    /// timeout, RFC 8489 section 6.2.1).
    #[error("timeout: no answer to {0} requests")]
    NoResponse(u32),
    /// The server refused the TCP connection.
    #[error("connection refused")]
    Refused,
    /// The TCP connection could not be made for another reason.
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    /// The TLS handshake or the TLS session failed.
    #[error("TLS failure: {0}")]
    Tls(rustls::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// The stream from the server could not be split into STUN messages.
    #[error("garbage from the server: {0}")]
    Garbage(wren_core::stream::ReadError),
    /// A socket error.
    #[error("socket error: {0}")]
    Io(io::Error),
    /// An error response to a Binding request.
    #[error("{code} {reason}")]
    ErrorResponse {
        /// The error code.
        code: u16,
        /// The reason phrase the server gave.
        reason: String,
    },
    /// A success response without a mapped address.
    #[error("the response carries no XOR-MAPPED-ADDRESS")]
    NoMappedAddress,
    /// The TURN allocation failed.
    #[error("{}", turn_message(.failure, .username))]
    Turn {
        /// Why.
        failure: TurnFailure,
        /// The username that was tried.
        username: String,
    },
    /// The state machine refused the request (a bug, not the server's fault).
    #[error("cannot make the request: {0}")]
    Local(String),
}

impl Failure {
    /// The failure an I/O error on a socket means: TLS errors are told apart.
    #[must_use]
    pub fn from_io(e: io::Error) -> Failure {
        if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            return Failure::Tls(tls.clone());
        }
        match e.kind() {
            io::ErrorKind::ConnectionRefused => Failure::Refused,
            io::ErrorKind::UnexpectedEof => Failure::Closed,
            _ => Failure::Io(e),
        }
    }
}

/// Seconds, without a fraction when there is none.
fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.3}", d.as_secs_f64())
    }
}

/// A TURN failure with its code and standard reason phrase (RFC 8656 section 19).
fn turn_message(failure: &TurnFailure, username: &str) -> String {
    match failure {
        TurnFailure::Unauthorized => {
            format!("401 Unauthorized: credentials refused (username {username:?})")
        }
        TurnFailure::Forbidden { .. } => "403 Forbidden".into(),
        TurnFailure::AllocationMismatch => "437 Allocation Mismatch".into(),
        TurnFailure::AddressFamilyNotSupported => "440 Address Family not Supported".into(),
        TurnFailure::WrongCredentials => "441 Wrong Credentials".into(),
        TurnFailure::UnsupportedTransport => "442 Unsupported Transport Protocol".into(),
        TurnFailure::QuotaReached => "486 Allocation Quota Reached".into(),
        TurnFailure::InsufficientCapacity => "508 Insufficient Capacity".into(),
        TurnFailure::ServerError { code: 0, reason } => reason.clone(),
        TurnFailure::ServerError { code, reason } => format!("{code} {reason}"),
        TurnFailure::Timeout { .. } => "timeout: no answer to the Allocate request".into(),
        TurnFailure::Auth(a) => format!("authentication failed: {}", auth_message(*a)),
        other => other.to_string(),
    }
}

/// What an authentication failure means.
fn auth_message(a: AuthFailure) -> &'static str {
    match a {
        AuthFailure::Refused => "credentials refused",
        AuthFailure::ChallengeIncomplete => "the 401 challenge has no REALM or NONCE",
        AuthFailure::MissingPasswordAlgorithms => {
            "the nonce announces password algorithms but PASSWORD-ALGORITHMS is missing"
        }
        AuthFailure::NoCommonAlgorithm => "no password algorithm in common",
        AuthFailure::Preparation => "the realm or password is refused by OpaqueString",
        AuthFailure::TooManyRetries => "stale nonces kept coming",
        _ => "unknown reason",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let f = Failure::Turn {
            failure: TurnFailure::Unauthorized,
            username: "u".into(),
        };
        assert_eq!(
            f.to_string(),
            "401 Unauthorized: credentials refused (username \"u\")"
        );
        let f = Failure::Turn {
            failure: TurnFailure::ServerError {
                code: 420,
                reason: "Unknown Attribute".into(),
            },
            username: "u".into(),
        };
        assert_eq!(f.to_string(), "420 Unknown Attribute");
        assert_eq!(
            Failure::Timeout(Duration::from_secs(1)).to_string(),
            "timeout: no answer within 1 s"
        );
        assert_eq!(
            Failure::Timeout(Duration::from_millis(1500)).to_string(),
            "timeout: no answer within 1.500 s"
        );
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(matches!(Failure::from_io(refused), Failure::Refused));
        let tls = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert!(matches!(Failure::from_io(tls), Failure::Tls(_)));
    }
}
