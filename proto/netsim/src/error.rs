//! Mistakes in building a topology.

use std::net::IpAddr;

use crate::ids::{HostId, NatId};

/// Why a NAT or host could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// Another host or NAT already has this address in the same address space (the
    /// public internet, or one NAT's private side).
    #[error("address {0} is already taken")]
    AddressTaken(IpAddr),
    /// The NAT does not exist in this simulation.
    #[error("no such NAT: {0:?}")]
    NoSuchNat(NatId),
    /// The host does not exist in this simulation.
    #[error("no such host: {0:?}")]
    NoSuchHost(HostId),
}
