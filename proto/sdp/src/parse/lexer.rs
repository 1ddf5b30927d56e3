//! Cuts a description into lines (RFC 8866 s5: `<type>=<value>`, ending in CRLF, or LF
//! alone), checking the line limits as it goes.

use crate::line::Ending;
use crate::{ErrorKind, Limits, ParseError};

/// One line: its number (from 1), its text without the ending, its type letter, its value
/// (after `=`) and its ending.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawLine<'a> {
    pub(crate) number: usize,
    pub(crate) text: &'a str,
    pub(crate) kind: u8,
    pub(crate) value: &'a str,
    pub(crate) ending: Ending,
}

/// The lines of a text, in order.
pub(crate) struct Lexer<'a> {
    rest: &'a str,
    number: usize,
    limits: Limits,
}

impl<'a> Lexer<'a> {
    /// A lexer over `text`, which must already be within `limits.max_size`.
    pub(crate) fn new(text: &'a str, limits: &Limits) -> Self {
        Lexer {
            rest: text,
            number: 0,
            limits: *limits,
        }
    }

    /// The text not yet cut.
    pub(crate) fn rest(&self) -> &'a str {
        self.rest
    }

    /// The next line, `Ok(None)` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<RawLine<'a>>, ParseError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        self.number += 1;
        let number = self.number;
        if number > self.limits.max_lines {
            return Err(ErrorKind::TooManyLines {
                max: self.limits.max_lines,
            }
            .at(number));
        }
        let (text, ending, rest) = match self.rest.find('\n') {
            Some(i) => {
                let line = &self.rest[..i];
                match line.strip_suffix('\r') {
                    Some(l) => (l, Ending::CrLf, &self.rest[i + 1..]),
                    None => (line, Ending::Lf, &self.rest[i + 1..]),
                }
            }
            None => (self.rest, Ending::None, ""),
        };
        self.rest = rest;
        if text.len() > self.limits.max_line_len {
            return Err(ErrorKind::LineTooLong {
                len: text.len(),
                max: self.limits.max_line_len,
            }
            .at(number));
        }
        let b = text.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_lowercase() || b[1] != b'=' {
            return Err(ErrorKind::BadLine.at(number));
        }
        Ok(Some(RawLine {
            number,
            text,
            kind: b[0],
            value: &text[2..],
            ending,
        }))
    }
}

/// How many lines `text` has up to its first line that starts with `m=` (all of them if
/// none does): the capacity of a section's line vector.
pub(crate) fn section_lines(text: &str) -> usize {
    let end = text.find("\nm=").map_or(text.len(), |i| i + 1);
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
