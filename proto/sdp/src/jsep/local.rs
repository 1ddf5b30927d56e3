//! What we bring to an offer or an answer (RFC 9429 s5.2.1, s5.3.1): capabilities,
//! transport parameters, transceivers, and the `o=` line's session id and version.

use super::capabilities::Capabilities;
use super::transceiver::Transceiver;
use super::transport::Transport;

/// What we bring to an answer (or an offer): capabilities, transport parameters, our
/// transceivers, and the `o=` line's session id and version.
#[derive(Debug, Clone, Copy)]
pub struct Local<'l> {
    /// What we support.
    pub capabilities: &'l Capabilities,
    /// Our ICE and DTLS parameters.
    pub transport: &'l Transport,
    /// Our transceivers: an offered section is matched to the one with its mid, else to the
    /// first of its kind with no mid yet (RFC 9429 s5.10); without one we receive only.
    pub transceivers: &'l [Transceiver],
    /// The `o=` session id (random, at most 63 bits, RFC 9429 s5.2.1).
    pub session_id: u64,
    /// The `o=` version: one more for each new description of the session.
    pub version: u64,
}

impl<'l> Local<'l> {
    /// `capabilities` and `transport` with no transceivers, version 1.
    #[must_use]
    pub fn new(capabilities: &'l Capabilities, transport: &'l Transport, session_id: u64) -> Self {
        Local {
            capabilities,
            transport,
            transceivers: &[],
            session_id,
            version: 1,
        }
    }
}
