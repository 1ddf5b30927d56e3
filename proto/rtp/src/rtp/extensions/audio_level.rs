//! The client-to-mixer audio level (RFC 6464 s3): a voice activity flag and the level in
//! -dBov.

use crate::error::{Error, room};
use crate::rtp::extensions::{Extension, ExtensionKind};

/// The audio level of the packet's audio (RFC 6464 s3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// The V bit: the sender's voice activity detection says this is speech.
    pub voice: bool,
    /// The level in -dBov, 0 (loudest) to 127 (silence).
    pub level: u8,
}

impl Extension<'_> for AudioLevel {
    const KIND: ExtensionKind = ExtensionKind::AudioLevel;

    fn parse(data: &[u8]) -> Result<Self, Error> {
        // RFC 6464 s3 allows padding the one-byte element to more bytes; the level is the
        // first.
        if data.is_empty() {
            return Err(Error::BadLength {
                what: "audio-level extension",
                claimed: 1,
                available: 0,
            });
        }
        Ok(AudioLevel {
            voice: data[0] & 0x80 != 0,
            level: data[0] & 0x7f,
        })
    }

    fn encoded_len(&self) -> usize {
        1
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        if self.level > 127 {
            return Err(Error::InvalidValue {
                what: "audio-level extension level",
                value: u64::from(self.level),
            });
        }
        room("audio-level extension", out, 1)?[0] = u8::from(self.voice) << 7 | self.level;
        Ok(1)
    }
}
