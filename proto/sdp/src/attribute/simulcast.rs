//! RTP stream identifiers and simulcast: `a=rid` (RFC 8851 s4) and `a=simulcast`
//! (RFC 8853 s5.1).

use std::borrow::Cow;
use std::fmt;

use super::rtp::word;
use crate::parse::number;

/// The direction of an `a=rid` (RFC 8851 s10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// The writer sends this stream.
    Send,
    /// The writer receives this stream.
    Recv,
}

impl RidDirection {
    /// `send` or `recv`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }

    /// The other direction.
    #[must_use]
    pub fn reversed(self) -> Self {
        match self {
            RidDirection::Send => RidDirection::Recv,
            RidDirection::Recv => RidDirection::Send,
        }
    }
}

/// `a=rid:<rid-id> <send|recv> [pt=<fmt>,...;<restriction>=<value>;...]` (RFC 8851 s10):
/// the parameters kept as text, read through [`Rid::payload_types`] and
/// [`Rid::restrictions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rid<'a> {
    /// The RTP stream id (`rid-id`: letters, digits, `-` and `_`).
    pub id: Cow<'a, str>,
    /// Send or receive.
    pub direction: RidDirection,
    /// The text after the direction (may be empty).
    pub params: Cow<'a, str>,
}

impl<'a> Rid<'a> {
    fn pairs(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            })
    }

    /// The payload types of `pt=` (RFC 8851 s4), empty if the line names none.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.pairs()
            .filter(|(k, _)| *k == "pt")
            .flat_map(|(_, v)| v.unwrap_or("").split(','))
            .filter_map(number)
    }

    /// The restrictions other than `pt` (`max-width`, `max-fps`, `depend`, ...), with
    /// their values when they have one.
    pub fn restrictions(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.pairs().filter(|(k, _)| *k != "pt")
    }

    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let (id, rest) = word(value);
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("a rid-id of letters, digits, '-' and '_'");
        }
        let (dir, params) = word(rest);
        let direction = match dir {
            "send" => RidDirection::Send,
            "recv" => RidDirection::Recv,
            _ => return Err("<rid-id> send|recv"),
        };
        let params = params.trim_end();
        for (k, v) in params.split(';').filter_map(|p| p.split_once('=')) {
            if k.trim() == "pt" && v.split(',').any(|pt| number::<u8>(pt).is_none()) {
                return Err("pt=<payload type>,...");
            }
        }
        Ok(Rid {
            id: id.into(),
            direction,
            params: params.into(),
        })
    }
}

impl fmt::Display for Rid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.direction.as_str())?;
        if !self.params.is_empty() {
            write!(f, " {}", self.params)?;
        }
        Ok(())
    }
}

/// One rid in a simulcast list, paused if written with `~` (RFC 8853 s5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulcastRid<'a> {
    /// The rid-id.
    pub id: Cow<'a, str>,
    /// Whether the stream starts paused.
    pub paused: bool,
}

/// A simulcast stream list: each stream (`;`-separated) has one or more alternative rids
/// (`,`-separated), in order of preference.
pub type SimulcastStreams<'a> = Vec<Vec<SimulcastRid<'a>>>;

/// `a=simulcast:[send <list>] [recv <list>]` (RFC 8853 s5.1), at least one direction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Simulcast<'a> {
    /// The streams the writer sends.
    pub send: SimulcastStreams<'a>,
    /// The streams the writer receives.
    pub recv: SimulcastStreams<'a>,
}

impl<'a> Simulcast<'a> {
    /// Send and receive swapped: what an answer says to an offer's lists (RFC 8853 s5.3).
    #[must_use]
    pub fn reversed(self) -> Self {
        Simulcast {
            send: self.recv,
            recv: self.send,
        }
    }

    fn list(s: &'a str) -> Result<SimulcastStreams<'a>, &'static str> {
        // The draft grammar Firefox once wrote (draft-ietf-mmusic-sdp-simulcast-03):
        // `recv rid=foo;bar`. RFC 8853 dropped the `rid=` prefix.
        let s = s.strip_prefix("rid=").unwrap_or(s);
        s.split(';')
            .map(|stream| {
                stream
                    .split(',')
                    .map(|alt| {
                        let (paused, id) = match alt.strip_prefix('~') {
                            Some(id) => (true, id),
                            None => (false, alt),
                        };
                        if id.is_empty()
                            || !id
                                .bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                        {
                            return Err("rid-ids separated by ';' and ','");
                        }
                        Ok(SimulcastRid {
                            id: id.into(),
                            paused,
                        })
                    })
                    .collect()
            })
            .collect()
    }

    pub(crate) fn parse(value: &'a str) -> Result<Self, &'static str> {
        let mut sim = Simulcast::default();
        let mut f = value.split_ascii_whitespace();
        let mut any = false;
        while let Some(dir) = f.next() {
            let list = f.next().ok_or("send|recv <stream list>")?;
            let slot = match dir {
                "send" if sim.send.is_empty() => &mut sim.send,
                "recv" if sim.recv.is_empty() => &mut sim.recv,
                _ => return Err("send <list> and/or recv <list>, each once"),
            };
            *slot = Self::list(list)?;
            any = true;
        }
        if !any {
            return Err("send <list> and/or recv <list>");
        }
        Ok(sim)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, list: &SimulcastStreams<'_>) -> fmt::Result {
    for (i, stream) in list.iter().enumerate() {
        if i > 0 {
            f.write_str(";")?;
        }
        for (j, alt) in stream.iter().enumerate() {
            if j > 0 {
                f.write_str(",")?;
            }
            if alt.paused {
                f.write_str("~")?;
            }
            f.write_str(&alt.id)?;
        }
    }
    Ok(())
}

impl fmt::Display for Simulcast<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.send.is_empty() {
            f.write_str("send ")?;
            write_list(f, &self.send)?;
        }
        if !self.recv.is_empty() {
            if !self.send.is_empty() {
                f.write_str(" ")?;
            }
            f.write_str("recv ")?;
            write_list(f, &self.recv)?;
        }
        Ok(())
    }
}
