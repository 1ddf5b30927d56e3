//! coturn's turnserver.conf syntax:
//!
//! ```text
//! # a comment (only at the start of a line, as in coturn)
//! listening-port=3478        # `key=value`
//! listening-ip 127.0.0.1     # `key value` (runs of ' ', '\t' and '=' separate them)
//! pidfile="/run/wren.pid"    # one pair of double quotes around a value is removed
//! verbose                    # a bare flag means "on"
//! no-tcp=off                 # a flag may carry a boolean: on/off, yes/no, true/false, 1/0
//! ```
//!
//! Inside one file, repeating a list key adds to the list and repeating another key replaces
//! its value. A key coturn knows but wren-relay does not is
//! [`ConfigError::UnsupportedOption`]; any other unknown key is
//! [`ConfigError::UnknownOption`], with the closest known key as a suggestion.

use std::path::Path;

use super::error::{ConfigError, Location};
use super::key::Key;
use super::keys::{COTURN_ONLY, KEYS, Values, find};

/// Parse turnserver.conf text into what it says. `path` is only used in error messages.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Values, ConfigError> {
    let mut values = Values::default();
    for (index, raw) in text.lines().enumerate() {
        let at = || Location::File {
            path: path.to_owned(),
            line: index + 1,
        };
        let Some((key, value)) = split_line(raw) else {
            continue;
        };
        let key = lookup(key, at)?;
        (key.apply)(&mut values, value).map_err(|e| e.at(at(), key.name, value))?;
    }
    Ok(values)
}

/// UTF-8 text of a file, or the line of its first bad byte.
pub(crate) fn utf8<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, ConfigError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        ConfigError::NotUtf8 {
            at: Location::File {
                path: path.to_owned(),
                line,
            },
        }
    })
}

/// Split one file line the way coturn does: skip leading blanks, skip `#` comments and blank
/// lines, cut the key at the first ' ', '\t' or '=', skip the run of those that follows, and
/// remove one pair of double quotes around the value. Unlike coturn, trailing blanks of an
/// unquoted value are dropped too.
pub(crate) fn split_line(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let is_sep = |c: char| c == ' ' || c == '\t' || c == '=';
    let (key, rest) = match line.find(is_sep) {
        Some(i) => (&line[..i], line[i..].trim_start_matches(is_sep)),
        None => (line, ""),
    };
    let value = match rest.strip_prefix('"') {
        Some(inner) => {
            let inner = inner.trim_end();
            inner.strip_suffix('"').unwrap_or(inner)
        }
        None => rest,
    };
    Some((key, value))
}

/// Find the declaration of a key, or say precisely why there is none.
fn lookup(key: &str, at: impl Fn() -> Location) -> Result<&'static Key, ConfigError> {
    if let Some(key) = find(key) {
        return Ok(key);
    }
    if COTURN_ONLY.contains(&key) {
        return Err(ConfigError::UnsupportedOption {
            at: at(),
            key: key.to_owned(),
        });
    }
    Err(ConfigError::UnknownOption {
        at: at(),
        key: key.to_owned(),
        suggestion: suggest(key),
    })
}

/// The known key closest to a misspelt one, if one is close enough to be a likely typo.
fn suggest(key: &str) -> Option<&'static str> {
    // `--verbose` written in a file: the key without its dashes.
    let bare = key.trim_start_matches('-');
    if bare != key {
        if let Some(key) = find(bare) {
            return Some(key.name);
        }
    }
    let bare = bare.to_ascii_lowercase();
    let limit = (bare.chars().count() / 3).clamp(1, 3);
    KEYS.iter()
        .map(|k| k.name)
        .chain(COTURN_ONLY.iter().copied())
        .map(|name| (edit_distance(&bare, &name.to_ascii_lowercase()), name))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, name)| name)
}

/// Optimal string alignment distance: Levenshtein plus adjacent transpositions
/// (`listening-prot` is one edit from `listening-port`).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rolling rows: i-2, i-1, i.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}
