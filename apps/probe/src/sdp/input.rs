//! Reading a description from a file or standard input (`-`), under wren-sdp's size limit
//! ([`Limits::max_size`]), and parsing it with the line a parse error names.

use std::io::Read;
use std::path::Path;

use wren_sdp::{ErrorKind, Limits, ParseError, Session};

/// Why a description could not be read or parsed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file (or standard input) could not be read.
    #[error("{name}: cannot read: {source}")]
    Unreadable {
        /// The file's name, or `-`.
        name: String,
        /// Why.
        source: std::io::Error,
    },
    /// More bytes than wren-sdp parses ([`Limits::max_size`]).
    #[error(
        "{name}: more than {max} bytes, over wren-sdp's limit for a description (a browser's \
         offer is a few KiB); is this an SDP?"
    )]
    TooLarge {
        /// The file's name, or `-`.
        name: String,
        /// The limit, in bytes.
        max: usize,
    },
    /// The bytes are not UTF-8 (RFC 8866 s5: SDP is UTF-8 text).
    #[error("{name}:{line}: not UTF-8 text (RFC 8866 s5)")]
    NotUtf8 {
        /// The file's name, or `-`.
        name: String,
        /// The line of the first byte that is not UTF-8, from 1.
        line: usize,
    },
    /// wren-sdp refused the text: the line (from 1; 0 for the text as a whole) and what
    /// was expected there.
    #[error("{name}:{}: {}", error.line, error.kind)]
    Parse {
        /// The file's name, or `-`.
        name: String,
        /// wren-sdp's error.
        error: ParseError,
        /// The text of the line the error names, when it names one.
        line_text: Option<String>,
    },
}

impl InputError {
    /// A likely cause, for errors that have a common one: an ICE credential with a space
    /// is what a signalling layer that URL-decodes makes of a `+` (RFC 8839 s5.4 allows
    /// `+` in ice-char, and browsers' passwords often have one).
    #[must_use]
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            InputError::Parse {
                error:
                    ParseError {
                        kind: ErrorKind::BadAttribute { name, .. },
                        ..
                    },
                ..
            } if matches!(*name, "ice-ufrag" | "ice-pwd") => Some(
                "a space in an ICE credential is often a + that a signalling layer URL-decoded \
                 (form encoding reads + as a space)",
            ),
            _ => None,
        }
    }
}

/// The text of `name`: the file, or standard input for `-`, at most [`Limits::max_size`]
/// bytes.
///
/// # Errors
///
/// [`InputError::Unreadable`], [`InputError::TooLarge`] or [`InputError::NotUtf8`].
pub fn read(name: &str) -> Result<String, InputError> {
    let max = Limits::default().max_size;
    let unreadable = |source| InputError::Unreadable {
        name: name.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    // One byte more than the limit tells a text at the limit from one over it, without
    // reading a large file whole.
    let cap = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if name == "-" {
        std::io::stdin()
            .lock()
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
    } else {
        std::fs::File::open(Path::new(name))
            .and_then(|f| f.take(cap).read_to_end(&mut bytes))
            .map_err(unreadable)?;
    }
    if bytes.len() > max {
        return Err(InputError::TooLarge {
            name: name.to_owned(),
            max,
        });
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        InputError::NotUtf8 {
            name: name.to_owned(),
            line: 1 + good.iter().filter(|&&b| b == b'\n').count(),
        }
    })
}

/// `text` parsed under the default [`Limits`].
///
/// # Errors
///
/// [`InputError::Parse`] with the line's text.
pub fn parse<'a>(name: &str, text: &'a str) -> Result<Session<'a>, InputError> {
    Session::parse(text).map_err(|error| InputError::Parse {
        name: name.to_owned(),
        line_text: line_text(text, error.line),
        error,
    })
}

/// Line `line` (from 1) of `text` without its ending, `None` for 0 or past the end.
fn line_text(text: &str, line: usize) -> Option<String> {
    let l = text.split('\n').nth(line.checked_sub(1)?)?;
    Some(l.strip_suffix('\r').unwrap_or(l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parse_error_keeps_its_line_and_text() {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9\r\n";
        let Err(InputError::Parse {
            error, line_text, ..
        }) = parse("x.sdp", text)
        else {
            panic!("parsed");
        };
        assert_eq!(error.line, 5);
        assert_eq!(line_text.as_deref(), Some("m=video 9"));
    }

    #[test]
    fn a_space_in_an_ice_password_hints_at_url_decoding() {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-pwd:bP XJMM09aR8AiX1jdukzR6Y\r\n";
        let e = parse("-", text).unwrap_err();
        assert!(e.hint().is_some_and(|h| h.contains("URL-decoded")), "{e}");
        let e = parse("-", "v=0\r\nx").unwrap_err();
        assert_eq!(e.hint(), None);
    }

    #[test]
    fn line_text_is_none_for_the_whole_text() {
        assert_eq!(line_text("a\nb", 0), None);
        assert_eq!(line_text("a\r\nb", 1).as_deref(), Some("a"));
        assert_eq!(line_text("a\nb", 3), None);
    }
}
