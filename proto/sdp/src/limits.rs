//! Limits on what a parse accepts, so that a description from the network cannot make the
//! parser work or allocate without bound.

/// Bounds checked before and while parsing. The defaults suit WebRTC: a Chromium offer with
/// three sections is about 7 KiB and 170 lines; one with fifty tracks stays far inside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The text's length in bytes. Default 128 KiB.
    pub max_size: usize,
    /// Lines in the whole text. Default 4096.
    pub max_lines: usize,
    /// Bytes in one line, without its ending. Default 4096.
    pub max_line_len: usize,
    /// Media sections (`m=` lines). Default 256.
    pub max_media: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_size: 128 * 1024,
            max_lines: 4096,
            max_line_len: 4096,
            max_media: 256,
        }
    }
}
