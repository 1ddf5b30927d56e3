//! Files a person can play: IVF (VP8, VP9, AV1) read and written, Ogg Opus (RFC 7845)
//! read and written, and WebM (Matroska) written with VP8, VP9 or AV1 video and Opus audio,
//! so a call can be recorded without transcoding and played with common tools.

pub mod ivf;
pub mod ogg;
pub mod webm;

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The reader or writer failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not what the format says.
    #[error("not a valid file: {0}")]
    Format(&'static str),
}
