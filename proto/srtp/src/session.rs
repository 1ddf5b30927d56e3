//! Both directions of one DTLS-SRTP association (RFC 5764 s4.2): an [`Outbound`] keyed
//! with our half of the keying material and an [`Inbound`] keyed with the peer's.

use crate::config::Config;
use crate::error::{Error, SetupError};
use crate::inbound::Inbound;
use crate::keys::{MasterKey, Role, split_keying_material};
use crate::outbound::Outbound;
use crate::profile::Profile;

/// An SRTP session: what we send is protected with the local master key, what we receive
/// unprotected with the remote one. The methods are those of [`Outbound`] and [`Inbound`];
/// [`Session::into_parts`] splits the two directions (to drive them from two threads).
#[derive(Debug)]
pub struct Session {
    outbound: Outbound,
    inbound: Inbound,
}

impl Session {
    /// A session from the two master keys.
    pub fn new(
        local: &MasterKey,
        remote: &MasterKey,
        config: &Config,
    ) -> Result<Session, SetupError> {
        Ok(Session {
            outbound: Outbound::new(local, config)?,
            inbound: Inbound::new(remote, config)?,
        })
    }

    /// A session from DTLS-SRTP keying material (RFC 5764 s4.2: the DTLS exporter's
    /// output for the label `EXTRACTOR-dtls_srtp`, [`Profile::keying_material_len`] bytes,
    /// laid out `client_key | server_key | client_salt | server_salt`) for our DTLS `role`.
    pub fn from_keying_material(
        profile: Profile,
        material: &[u8],
        role: Role,
        config: &Config,
    ) -> Result<Session, SetupError> {
        let (local, remote) = split_keying_material(profile, material, role)?;
        Session::new(&local, &remote, config)
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.outbound.profile()
    }

    /// [`Outbound::protect_rtp`].
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        self.outbound.protect_rtp(buf, len)
    }

    /// [`Outbound::protect_rtcp`].
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, Error> {
        self.outbound.protect_rtcp(buf, len)
    }

    /// [`Inbound::unprotect_rtp`].
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.inbound.unprotect_rtp(buf)
    }

    /// [`Inbound::unprotect_rtcp`].
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
        self.inbound.unprotect_rtcp(buf)
    }

    /// The sending direction.
    pub fn outbound(&mut self) -> &mut Outbound {
        &mut self.outbound
    }

    /// The receiving direction.
    pub fn inbound(&mut self) -> &mut Inbound {
        &mut self.inbound
    }

    /// The two directions, apart.
    pub fn into_parts(self) -> (Outbound, Inbound) {
        (self.outbound, self.inbound)
    }
}
