//! Our transport parameters and the lines every description of ours writes from them
//! (RFC 9429 s5.2.1, s5.3.1): `o=`, `c=`, ICE credentials and options (RFC 8839 s5.4,
//! s5.6), fingerprints and the setup role (RFC 8842 s5), candidates and
//! `a=end-of-candidates` (RFC 8840 s8.2).

use std::borrow::Cow;

use crate::attribute::{Candidate, Fingerprint, IceOption, IceOptions, Setup};
use crate::{Attribute, Connection, Line, Media, Origin};

/// ICE credentials (RFC 8839 s5.4): `ice-ufrag` (4-256 characters) and `ice-pwd` (22-256).
/// This crate makes no randomness: the caller draws them from its seeded generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceCredentials {
    /// The username fragment.
    pub ufrag: String,
    /// The password.
    pub pwd: String,
}

/// The DTLS role we take when the offer leaves it to us (`a=setup:actpass`, RFC 8842
/// s5.3): active by default, as browsers answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetupPreference {
    /// Answer `active`: we start the handshake (DTLS client).
    #[default]
    Active,
    /// Answer `passive`: we wait for it (DTLS server).
    Passive,
}

/// The transport parameters of our descriptions: one set for all bundled sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transport {
    /// Our ICE credentials.
    pub ice: IceCredentials,
    /// Whether we are an ICE-lite agent (`a=ice-lite`, RFC 8839 s5.3).
    pub ice_lite: bool,
    /// The fingerprints of our DTLS certificate (RFC 8122 s5).
    pub fingerprints: Vec<Fingerprint>,
    /// Our role when offered `actpass`.
    pub setup: SetupPreference,
    /// Our candidates, as `a=candidate` values (RFC 8839 s5.1), written in the first
    /// section of the bundle.
    pub candidates: Vec<String>,
    /// Whether gathering is over (`a=end-of-candidates`, RFC 8840 s8.2).
    pub end_of_candidates: bool,
}

impl Transport {
    /// Transport parameters with no candidates yet, the setup preference active.
    #[must_use]
    pub fn new(ice: IceCredentials, fingerprints: Vec<Fingerprint>) -> Transport {
        Transport {
            ice,
            ice_lite: false,
            fingerprints,
            setup: SetupPreference::Active,
            candidates: Vec::new(),
            end_of_candidates: false,
        }
    }
}

/// `o=- <session id> <version> IN IP4 127.0.0.1`, as browsers write it (RFC 9429 s5.2.1).
#[must_use]
pub fn origin(session_id: u64, version: u64) -> Origin<'static> {
    Origin {
        username: Cow::Borrowed("-"),
        session_id,
        session_version: version,
        net_type: Cow::Borrowed("IN"),
        addr_type: Cow::Borrowed("IP4"),
        address: Cow::Borrowed("127.0.0.1"),
    }
}

/// `c=IN IP4 0.0.0.0`: JSEP's placeholder address (RFC 9429 s5.2.1).
pub fn push_connection(media: &mut Media<'static>) {
    media.push(Line::Connection(Connection {
        net_type: Cow::Borrowed("IN"),
        addr_type: Cow::Borrowed("IP4"),
        address: Cow::Borrowed("0.0.0.0"),
    }));
}

/// `a=ice-ufrag`, `a=ice-pwd`, `a=ice-options:trickle`, `a=fingerprint` (each), `a=setup`.
pub fn push_transport(media: &mut Media<'static>, transport: &Transport, setup: Setup) {
    media.push(Attribute::IceUfrag(Cow::Owned(transport.ice.ufrag.clone())));
    media.push(Attribute::IcePwd(Cow::Owned(transport.ice.pwd.clone())));
    media.push(Attribute::IceOptions(IceOptions::new([IceOption::Trickle])));
    for f in &transport.fingerprints {
        media.push(Attribute::Fingerprint(*f));
    }
    media.push(Attribute::Setup(setup));
}

/// Inserts our candidates after the section's `c=` line, and `a=end-of-candidates` at its
/// end if gathering is over.
pub fn insert_candidates(media: &mut Media<'static>, transport: &Transport) {
    let at = media
        .entries()
        .iter()
        .position(|e| matches!(e.line(), Line::Connection(_)))
        .map_or(0, |i| i + 1);
    let lines = transport
        .candidates
        .iter()
        .map(|c| Attribute::Candidate(Candidate(Cow::Owned(c.clone()))).into());
    media.entries_mut().splice(at..at, lines);
    if transport.end_of_candidates {
        media.push(Attribute::EndOfCandidates);
    }
}
