//! `sdp answer`: the answer Wren's JSEP model (RFC 9429 s5.3.1) makes to an offer with
//! [`Capabilities::default`] (Opus, G.711, VP8, VP9, H.264, AV1, RTX, data channels).
//!
//! The transport parameters are placeholders, fixed so the output is the same from run to
//! run: ICE credentials that no agent holds, the fingerprint of no certificate, no
//! candidates. The answer shows what the negotiation keeps and refuses; it is not one to
//! send to a peer.

use std::fmt;

use wren_sdp::Session;
use wren_sdp::attribute::{Fingerprint, HashFunction};
use wren_sdp::jsep::{self, Answer, Capabilities, IceCredentials, Local, Refused, Transport};

/// The placeholder ICE username fragment of the answer.
pub const UFRAG: &str = "wren";
/// The placeholder ICE password of the answer (22 characters, RFC 8839 s5.4).
pub const PWD: &str = "placeholder0password00";
/// The `o=` session id of the answer.
pub const SESSION_ID: u64 = 1;

/// The answer to `offer` with the default capabilities and placeholder transport.
#[must_use]
pub fn answer(offer: &Session<'_>) -> Answer {
    let caps = Capabilities::default();
    let fingerprint = Fingerprint::new(HashFunction::Sha256, &[0; 32]);
    let transport = Transport::new(
        IceCredentials {
            ufrag: UFRAG.to_owned(),
            pwd: PWD.to_owned(),
        },
        fingerprint.into_iter().collect(),
    );
    jsep::answer(offer, &Local::new(&caps, &transport, SESSION_ID))
}

/// A codec an accepted section left out, and why: `sdp answer` prints these as notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut<'a> {
    /// The offered section's index.
    pub index: usize,
    /// Its mid.
    pub mid: Option<&'a str>,
    /// The codec and why.
    pub refused: &'a Refused,
}

impl fmt::Display for LeftOut<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "section {}", self.index)?;
        if let Some(mid) = self.mid {
            write!(f, " (mid {mid})")?;
        }
        write!(
            f,
            ": PT {} {} left out: {}",
            self.refused.codec.payload_type, self.refused.codec, self.refused.why
        )
    }
}

/// The codecs each accepted section of `answer` to `offer` left out.
#[must_use]
pub fn left_out<'a>(offer: &'a Session<'_>, answer: &'a Answer) -> Vec<LeftOut<'a>> {
    answer
        .refused_codecs
        .iter()
        .flat_map(|(index, refused)| {
            let mid = offer.media().get(*index).and_then(|m| m.mid());
            refused.iter().map(move |r| LeftOut {
                index: *index,
                mid,
                refused: r,
            })
        })
        .collect()
}
