//! The session section and the order of sections (RFC 8866 s5): `v=0` first, `o=` and
//! `s=` once each before the first `m=`, then media sections.

use crate::fields::{Bandwidth, Connection, Origin, Timing};
use crate::line::{Entry, Line};
use crate::media::Media;
use crate::parse::lexer::{Lexer, RawLine, section_lines};
use crate::{Attribute, ErrorKind, Limits, ParseError, Session};

/// The meaning of a line other than `m=`, `v=`, `o=` and `s=`.
fn line<'a>(raw: &RawLine<'a>) -> Result<Line<'a>, ErrorKind> {
    Ok(match raw.kind {
        b'a' => {
            let (name, value) = match raw.value.split_once(':') {
                Some((n, v)) => (n, Some(v)),
                None => (raw.value, None),
            };
            Line::Attribute(Attribute::parse(name, value)?)
        }
        b'c' => Line::Connection(Connection::parse(raw.value)?),
        b'b' => Line::Bandwidth(Bandwidth::parse(raw.value)?),
        b't' => Line::Timing(Timing::parse(raw.value)?),
        k => Line::Other {
            kind: char::from(k),
            value: raw.value.into(),
        },
    })
}

/// Parses a whole description.
pub(crate) fn session<'a>(text: &'a str, limits: &Limits) -> Result<Session<'a>, ParseError> {
    if text.len() > limits.max_size {
        return Err(ErrorKind::TooLarge {
            size: text.len(),
            max: limits.max_size,
        }
        .at(0));
    }
    let mut lexer = Lexer::new(text, limits);
    let first = lexer.next_line().map_err(|e| match e.kind {
        ErrorKind::BadLine => ErrorKind::BadVersion.at(1),
        _ => e,
    })?;
    let Some(first) = first else {
        return Err(ErrorKind::Empty.at(0));
    };
    if first.text != "v=0" {
        return Err(ErrorKind::BadVersion.at(1));
    }
    let mut entries = Vec::with_capacity(section_lines(text));
    entries.push(Entry::parsed(Line::Version, first.text, first.ending));
    let (mut origin, mut name) = (false, false);
    let mut media: Vec<Media<'a>> = Vec::new();
    while let Some(raw) = lexer.next_line()? {
        let at = |k: ErrorKind| k.at(raw.number);
        if raw.kind == b'm' {
            if media.is_empty() {
                if !origin {
                    return Err(at(ErrorKind::Missing('o')));
                }
                if !name {
                    return Err(at(ErrorKind::Missing('s')));
                }
            }
            if media.len() == limits.max_media {
                return Err(at(ErrorKind::TooManyMedia {
                    max: limits.max_media,
                }));
            }
            media.push(Media {
                line: super::media::media_line(raw.value).map_err(at)?,
                raw: Some(raw.text.into()),
                ending: raw.ending,
                entries: Vec::with_capacity(section_lines(lexer.rest())),
            });
            continue;
        }
        let parsed = match (raw.kind, media.is_empty()) {
            (b'o', true) if !origin => {
                origin = true;
                Line::Origin(Box::new(Origin::parse(raw.value).map_err(at)?))
            }
            (b's', true) if !name => {
                name = true;
                Line::SessionName(raw.value.into())
            }
            (k @ (b'v' | b'o' | b's'), _) => return Err(at(ErrorKind::Unexpected(char::from(k)))),
            _ => line(&raw).map_err(at)?,
        };
        let entry = Entry::parsed(parsed, raw.text, raw.ending);
        match media.last_mut() {
            Some(m) => m.entries.push(entry),
            None => entries.push(entry),
        }
    }
    if media.is_empty() {
        let end = entries.len();
        if !origin {
            return Err(ErrorKind::Missing('o').at(end));
        }
        if !name {
            return Err(ErrorKind::Missing('s').at(end));
        }
    }
    Ok(Session { entries, media })
}
