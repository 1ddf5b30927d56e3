//! Writing (RFC 8866 s5): every parsed line as it was read, with its own ending; every new
//! line from its meaning, ending in CRLF. Into a `String` the caller owns.

use std::fmt::{self, Write};

use crate::Session;
use crate::line::{Ending, Entry, Line};
use crate::media::Media;

fn line(out: &mut String, line: &Line<'_>) {
    // Writing into a String cannot fail.
    let _ = match line {
        Line::Version => out.write_str("v=0"),
        Line::Origin(o) => write!(out, "o={o}"),
        Line::SessionName(s) => write!(out, "s={s}"),
        Line::Connection(c) => write!(out, "c={c}"),
        Line::Bandwidth(b) => write!(out, "b={b}"),
        Line::Timing(t) => write!(out, "t={t}"),
        Line::Attribute(a) => write!(out, "a={a}"),
        Line::Other { kind, value } => write!(out, "{kind}={value}"),
    };
}

/// Writes lines, each with its ending; a line that had none (the last of a parsed text)
/// gets CRLF if something follows it.
struct Writer<'o> {
    out: &'o mut String,
    open: bool,
}

impl Writer<'_> {
    fn start(&mut self) {
        if self.open {
            self.out.push_str("\r\n");
            self.open = false;
        }
    }

    fn end(&mut self, ending: Ending) {
        self.out.push_str(ending.as_str());
        self.open = ending == Ending::None;
    }

    fn entry(&mut self, e: &Entry<'_>) {
        self.start();
        match e.raw() {
            Some(raw) => self.out.push_str(raw),
            None => line(self.out, e.line()),
        }
        self.end(e.ending());
    }

    fn media(&mut self, m: &Media<'_>) {
        self.start();
        match &m.raw {
            Some(raw) => self.out.push_str(raw),
            None => {
                let _ = write!(self.out, "m={}", m.line);
            }
        }
        self.end(m.ending);
        for e in &m.entries {
            self.entry(e);
        }
    }
}

impl Session<'_> {
    /// Appends the description's text to `out`.
    pub fn write(&self, out: &mut String) {
        let mut w = Writer { out, open: false };
        for e in &self.entries {
            w.entry(e);
        }
        for m in &self.media {
            w.media(m);
        }
    }
}

impl fmt::Display for Session<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write(&mut s);
        f.write_str(&s)
    }
}
