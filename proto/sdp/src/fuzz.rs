//! Entry point for the fuzz target in `fuzz/` (not a public API).

use crate::{Entry, Limits, Session};

/// The session with every line made anew from its meaning (so written canonically).
#[must_use]
pub fn canonical<'a>(session: &Session<'a>) -> Session<'a> {
    let mut fresh = session.clone();
    let renew = |v: &mut Vec<Entry<'a>>| {
        for e in v.iter_mut() {
            *e = Entry::new(e.line().clone());
        }
    };
    renew(fresh.entries_mut());
    for m in fresh.media_mut() {
        let line = m.media_line().clone();
        m.set_media_line(line);
        renew(m.entries_mut());
    }
    fresh
}

/// The small limits the fuzz targets parse under (the inputs stay short and fast).
pub(crate) const LIMITS: Limits = Limits {
    max_size: 16 * 1024,
    max_lines: 256,
    max_line_len: 1024,
    max_media: 8,
};

/// Parses `data` (if UTF-8) under small limits; a session that parses must write back to
/// the same text (and so must its owned copy), and its canonical text must parse back to
/// the same meaning. Must never
/// panic.
pub fn sdp_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(session) = Session::parse_with(text, &LIMITS) else {
        return;
    };
    assert_eq!(session.to_string(), text, "not written back as read");
    let owned = session.clone().into_owned();
    assert_eq!(
        owned.to_string(),
        text,
        "owned copy not written back as read"
    );
    let written = canonical(&session).to_string();
    let again = Session::parse(&written).expect("canonical text parses");
    assert_eq!(again, session, "canonical text means something else");
}
