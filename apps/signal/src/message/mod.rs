//! The KVS signaling messages on the WebSocket (the "WebSocket endpoint APIs" and
//! "Asynchronous message reception" of the KVS WebRTC developer guide): what clients send
//! ([`inbound`]) and what the server sends them ([`outbound`]).

pub mod inbound;
pub mod outbound;

use std::fmt;

/// What a client asks the server to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// An SDP offer (base64 of the JSON RTCSessionDescription).
    SdpOffer,
    /// An SDP answer.
    SdpAnswer,
    /// A trickled ICE candidate (base64 of the JSON RTCIceCandidate).
    IceCandidate,
}

impl Action {
    /// The action's name on the wire, which is also the delivered `messageType`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SdpOffer => "SDP_OFFER",
            Action::SdpAnswer => "SDP_ANSWER",
            Action::IceCandidate => "ICE_CANDIDATE",
        }
    }

    /// The action a wire name names.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Action> {
        [Action::SdpOffer, Action::SdpAnswer, Action::IceCandidate]
            .into_iter()
            .find(|a| a.as_str() == name)
    }

    /// Whether this action is an offer or an answer (rate-limited apart from candidates).
    #[must_use]
    pub fn is_sdp(self) -> bool {
        !matches!(self, Action::IceCandidate)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
