//! What the two sides tell each other (the direct API: no SDP). JSEP carries the same in
//! `a=ice-ufrag`, `a=ice-pwd`, `a=fingerprint` and `a=setup`.

use wren_dtls::fingerprint::Fingerprint;
use wren_ice::Credentials;

use crate::DtlsRole;

/// What to send the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalParameters {
    /// Our ICE username fragment and password.
    pub credentials: Credentials,
    /// Our certificate's SHA-256 fingerprint.
    pub fingerprint: Fingerprint,
    /// Our DTLS role.
    pub dtls_role: DtlsRole,
}

/// What the other side sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteParameters {
    /// Its ICE username fragment and password.
    pub credentials: Credentials,
    /// The fingerprints of its certificate: the certificate it presents must match one.
    pub fingerprints: Vec<Fingerprint>,
    /// Its DTLS role: the opposite of ours.
    pub dtls_role: DtlsRole,
}
