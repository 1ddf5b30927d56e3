//! JSEP offer/answer (RFC 9429) as a model, not string editing.
//!
//! - [`answer()`] answers an offer from our [`Capabilities`] and [`Transport`]
//!   (RFC 9429 s5.3.1): per section, in the offer's order, codecs
//!   ([`negotiate`]: RFC 3264 s6.1 with the offerer's payload types, H.264's
//!   profile-level-id rules of RFC 6184 s8.2.2, RTX bound by `apt`), header extensions
//!   (RFC 8285), direction (RFC 3264 s6.1), DTLS role (RFC 8842 s5.3), BUNDLE
//!   (RFC 9143), simulcast reversed (RFC 8853 s5.3) and the data channel (RFC 8841); a
//!   section we cannot take is answered with port 0 and a typed [`Rejection`].
//! - [`create_offer`] offers our transceivers and a data channel (RFC 9429 s5.2.1).
//! - [`Negotiation`] keeps the current descriptions for renegotiation (RFC 9429 s5.2.2,
//!   s5.3.2): mids kept in order, sections added at the end or in a stopped one's place,
//!   stopped sections, the `o=` version, ICE restarts.
//!
//! This module makes no randomness: session ids, ICE credentials and SSRCs come from the
//! caller.
//!
//! ```
//! use wren_sdp::Session;
//! use wren_sdp::jsep::{self, Capabilities, IceCredentials, Local, Transport};
//!
//! let offer = Session::parse(
//!     "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
//!      a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n\
//!      a=fingerprint:sha-256 1F:35:F2:FE:E7:99:2F:2D:CD:CF:55:55:32:72:69:94:B7:DB:2D:BF:B8:A0:92:CB:F4:EE:FA:D9:89:74:8B:B2\r\n\
//!      m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=setup:actpass\r\na=sendonly\r\n\
//!      a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n",
//! )?;
//! let caps = Capabilities::default();
//! let ice = IceCredentials { ufrag: "wren".into(), pwd: "0123456789abcdefghijkl".into() };
//! let transport = Transport::new(ice, Vec::new());
//! let answer = jsep::answer(&offer, &Local::new(&caps, &transport, 42));
//! assert!(answer.rejected.is_empty());
//! let text = answer.to_sdp();
//! assert!(text.contains("a=recvonly\r\n") && text.contains("a=setup:active\r\n"));
//! # Ok::<(), wren_sdp::ParseError>(())
//! ```

pub mod answer;
pub mod bundle;
pub mod capabilities;
pub mod codec;
pub mod codec_lines;
pub mod direction;
pub mod extmap;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzz;
pub mod h264;
pub mod local;
pub mod negotiate;
pub mod offer;
pub mod rejection;
pub mod setup;
pub mod simulcast;
pub mod state;
pub mod transceiver;
pub mod transport;

pub use answer::{Answer, answer};
pub use capabilities::{Capabilities, DataChannels, Extension, MediaKind};
pub use codec::{Codec, CodecKind, Feedback};
pub use local::Local;
pub use negotiate::{Negotiated, NoCommonCodec, Refusal, Refused};
pub use offer::{OfferSection, create_offer};
pub use rejection::{Reason, Rejection};
pub use state::{Negotiation, StateError};
pub use transceiver::{Track, Transceiver};
pub use transport::{IceCredentials, SetupPreference, Transport};
