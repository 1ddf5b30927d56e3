//! The handles of the things a [`crate::Sim`] holds: NATs, hosts and machines.

/// A NAT of the simulation, from [`crate::Sim::add_nat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NatId(pub(crate) u32);

/// A host of the simulation, from [`crate::Sim::add_host`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostId(pub(crate) u32);

/// A machine of the simulation, from [`crate::Sim::add_machine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

macro_rules! index {
    ($t:ty) => {
        impl $t {
            /// The position of this handle in creation order (0 for the first).
            #[must_use]
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index!(NatId);
index!(HostId);
index!(NodeId);
