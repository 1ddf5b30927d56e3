//! The `m=` line (RFC 8866 s5.14).

use crate::ErrorKind;
use crate::media::MediaLine;
use crate::parse::number;

/// `<media> <port>[/<number of ports>] <proto> <fmt> ...`.
pub(crate) fn media_line(value: &str) -> Result<MediaLine<'_>, ErrorKind> {
    let mut f = value.splitn(4, ' ');
    let (Some(kind), Some(port), Some(proto), Some(formats)) =
        (f.next(), f.next(), f.next(), f.next())
    else {
        let found = value.split_ascii_whitespace().count();
        return Err(ErrorKind::MediaFields { found });
    };
    let formats = formats.trim();
    if kind.is_empty() || proto.is_empty() || formats.is_empty() {
        let found = value.split_ascii_whitespace().count();
        return Err(ErrorKind::MediaFields { found });
    }
    let (port, port_count) = match port.split_once('/') {
        Some((p, n)) => (p, Some(number(n).ok_or(ErrorKind::BadPort)?)),
        None => (port, None),
    };
    Ok(MediaLine {
        kind: kind.into(),
        port: number(port).ok_or(ErrorKind::BadPort)?,
        port_count,
        proto: proto.into(),
        formats: formats.into(),
    })
}
