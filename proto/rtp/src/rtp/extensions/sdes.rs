//! The SDES-item extensions: sdes:mid (RFC 9143 s15), rtp-stream-id and
//! repaired-rtp-stream-id (RFC 8852 s3). Each carries the item's text (RFC 7941 s4).

use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind};

fn text<'a>(what: &'static str, data: &'a [u8]) -> Result<&'a str, Error> {
    if data.is_empty() {
        return Err(Error::BadLength {
            what,
            claimed: 1,
            available: 0,
        });
    }
    // RFC 7941 s4: the value is UTF-8; a trailing NUL is not part of it (some senders
    // fill the element to its length), but then the bytes would not write back the same,
    // so it is refused like any other non-text byte.
    std::str::from_utf8(data).map_err(|e| Error::InvalidValue {
        what,
        value: e.valid_up_to() as u64,
    })
}

fn put(what: &'static str, value: &str, out: &mut [u8]) -> Result<usize, Error> {
    let n = value.len();
    if n == 0 || n > 255 {
        return Err(Error::InvalidValue {
            what,
            value: n as u64,
        });
    }
    room(what, out, n)?.copy_from_slice(value.as_bytes());
    Ok(n)
}

macro_rules! sdes_extension {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub &'a str);

        impl<'a> Extension<'a> for $name<'a> {
            const KIND: ExtensionKind = ExtensionKind::$kind;

            fn parse(data: &'a [u8]) -> Result<Self, Error> {
                text($what, data).map($name)
            }

            fn encoded_len(&self) -> usize {
                self.0.len()
            }

            fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
                put($what, self.0, out)
            }
        }
    };
}

sdes_extension!(
    /// The media section's `a=mid` (RFC 9143 s15): how a BUNDLE receiver finds the m= line
    /// of an SSRC it has not seen.
    Mid,
    Mid,
    "sdes:mid extension"
);
sdes_extension!(
    /// The RTP stream id, the `a=rid` of a simulcast layer (RFC 8852 s3.1).
    RtpStreamId,
    RtpStreamId,
    "rtp-stream-id extension"
);
sdes_extension!(
    /// The rid of the stream a repair stream (RTX, FEC) repairs (RFC 8852 s3.2).
    RepairedRtpStreamId,
    RepairedRtpStreamId,
    "repaired-rtp-stream-id extension"
);
