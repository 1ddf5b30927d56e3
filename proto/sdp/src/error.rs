//! Errors: why a text is not an SDP this crate accepts (RFC 8866 s9 grammar, the typed
//! attributes' own RFCs, and the [`Limits`](crate::Limits)).

/// Why parsing failed, and on which line (1-based; 0 for the text as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// The line, counted from 1; 0 when the error is about the whole text (its size).
    pub line: usize,
    /// What was wrong.
    pub kind: ErrorKind,
}

/// What was wrong with a line, or with the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The text is longer than [`Limits::max_size`](crate::Limits::max_size).
    #[error("text of {size} bytes is over the limit of {max}")]
    TooLarge {
        /// The text's length.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// More lines than [`Limits::max_lines`](crate::Limits::max_lines).
    #[error("more than {max} lines")]
    TooManyLines {
        /// The limit.
        max: usize,
    },
    /// A line longer than [`Limits::max_line_len`](crate::Limits::max_line_len).
    #[error("line of {len} bytes is over the limit of {max}")]
    LineTooLong {
        /// The line's length, without its ending.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More media sections than [`Limits::max_media`](crate::Limits::max_media).
    #[error("more than {max} media sections")]
    TooManyMedia {
        /// The limit.
        max: usize,
    },
    /// The bytes are not UTF-8 (SDP is UTF-8 text, RFC 8866 s5).
    #[error("not UTF-8")]
    NotUtf8,
    /// The text is empty.
    #[error("empty description: expected v=0")]
    Empty,
    /// A line is not `<type>=<value>` with a lower-case letter as type (RFC 8866 s5).
    #[error("expected <letter>=<value>")]
    BadLine,
    /// The first line is not `v=0` (RFC 8866 s5.1).
    #[error("expected v=0 as the first line")]
    BadVersion,
    /// A line that the session section must have (o=, s=) is missing (RFC 8866 s5).
    #[error("missing {0}= line in the session section")]
    Missing(char),
    /// A session-level line appears twice, or after the first m= line, where only one is
    /// allowed (v=, o=, s=).
    #[error("unexpected {0}= line here")]
    Unexpected(char),
    /// An `o=` line without its six fields (RFC 8866 s5.2).
    #[error("o=: expected {0}")]
    BadOrigin(&'static str),
    /// A `c=` line without its three fields (RFC 8866 s5.7).
    #[error("c=: expected <nettype> <addrtype> <connection-address>")]
    BadConnection,
    /// A `t=` line that is not two decimal times (RFC 8866 s5.9).
    #[error("t=: expected <start-time> <stop-time>")]
    BadTiming,
    /// A `b=` line that is not `<bwtype>:<bandwidth>` (RFC 8866 s5.8).
    #[error("b=: expected <bwtype>:<bandwidth>")]
    BadBandwidth,
    /// An `m=` line with fewer than four fields (RFC 8866 s5.14).
    #[error("m=: expected <media> <port> <proto> <fmt> ..., found {found} fields")]
    MediaFields {
        /// How many fields the line has.
        found: usize,
    },
    /// An `m=` port that is not a number up to 65535, or a bad `/<number of ports>`.
    #[error("m=: expected a port 0-65535 (and an optional /<number of ports>)")]
    BadPort,
    /// A known attribute whose value does not follow its grammar.
    #[error("a={name}: expected {expected}")]
    BadAttribute {
        /// The attribute's name.
        name: &'static str,
        /// What was expected where the value went wrong.
        expected: &'static str,
    },
}

impl ErrorKind {
    /// This kind at `line`.
    pub(crate) fn at(self, line: usize) -> ParseError {
        ParseError { line, kind: self }
    }
}
