//! JSEP offer/answer (RFC 9429) as a model: codecs matched per m= section (RFC 3264 s6.1),
//! H.264's profile-level-id rules (RFC 6184 s8.2.2), and the reasons an offered codec is
//! refused.

pub mod codec;
pub mod h264;
pub mod negotiate;

pub use codec::{Codec, CodecKind, Feedback};
pub use negotiate::{Negotiated, NoCommonCodec, Refusal, Refused};
