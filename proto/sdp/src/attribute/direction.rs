//! Media direction: `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 8866
//! s6.7), also the direction of `a=extmap` (RFC 8285 s8).

use std::fmt;

/// Which way media flows, from the point of view of the description's writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Send and receive (s6.7.1), the default of a section without a direction attribute.
    #[default]
    SendRecv,
    /// Send only (s6.7.3).
    SendOnly,
    /// Receive only (s6.7.2).
    RecvOnly,
    /// Neither (s6.7.4).
    Inactive,
}

impl Direction {
    /// The attribute's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction named `s`, if it is one.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The direction the other side sees: send and receive swapped (RFC 9429 s5.3.1 answers
    /// a `sendonly` offer with `recvonly` at most).
    #[must_use]
    pub fn reversed(self) -> Self {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Whether the writer sends.
    #[must_use]
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the writer receives.
    #[must_use]
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
