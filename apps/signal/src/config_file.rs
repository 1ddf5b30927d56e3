//! The configuration file: the command line's keys, one per line, so that every flag has the
//! same key in the file by construction. `key = value`, `key value` or a bare `key` (a flag);
//! `#` starts a comment (outside double quotes); a value in double quotes is taken without
//! them (`redis = "redis://127.0.0.1:6379"`); a key given several times adds values, as the
//! flag repeated does.
//! The file's keys come first and the command line's after, so the command line wins for
//! single values.

use std::path::Path;

/// Why the file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A key the command line does not have.
    #[error("{path}:{line}: unknown key {key:?} (the keys are the long flags of --help)")]
    UnknownKey {
        /// The file.
        path: String,
        /// The line, from 1.
        line: usize,
        /// The key.
        key: String,
    },
}

/// The file's lines as command-line arguments (`--key`, then the value if any), checking
/// each key against `known` (the long flag names).
///
/// # Errors
///
/// When the file cannot be read or names a key not in `known`.
pub fn arguments(path: &Path, known: &[String]) -> Result<Vec<String>, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse(&text, &path.display().to_string(), known)
}

/// [`arguments`] of `text` (named `path` in errors).
///
/// # Errors
///
/// When a key is not in `known`.
pub fn parse(text: &str, path: &str, known: &[String]) -> Result<Vec<String>, ConfigFileError> {
    let mut args = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = match line.find(|c: char| c == '=' || c.is_whitespace()) {
            Some(at) => (
                line[..at].trim(),
                Some(line[at + 1..].trim().trim_start_matches('=').trim()),
            ),
            None => (line, None),
        };
        let key = key.trim_start_matches("--");
        if !known.iter().any(|k| k == key) {
            return Err(ConfigFileError::UnknownKey {
                path: path.to_owned(),
                line: i + 1,
                key: key.to_owned(),
            });
        }
        args.push(format!("--{key}"));
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            args.push(unquote(v).to_owned());
        }
    }
    Ok(args)
}

/// `line` up to a `#` that is not inside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => return &line[..i],
            _ => {}
        }
    }
    line
}

/// `v` without the double quotes around it, if it has them.
fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["listen", "turn-uri", "access-key", "tls-cert"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    #[test]
    fn lines_become_the_flags_they_name() {
        let text = "# wren-signal\nlisten = 0.0.0.0:443\nturn-uri turn:a:3478  # first\n\nturn-uri=turn:b:3478\n--access-key AK:SECRET\n";
        assert_eq!(
            parse(text, "f", &known()).unwrap(),
            [
                "--listen",
                "0.0.0.0:443",
                "--turn-uri",
                "turn:a:3478",
                "--turn-uri",
                "turn:b:3478",
                "--access-key",
                "AK:SECRET"
            ]
        );
    }

    #[test]
    fn quoted_values_lose_their_quotes_and_keep_their_hashes() {
        let known = vec!["redis".to_owned(), "token-secret".to_owned()];
        let text = "redis = \"redis://127.0.0.1:6379\"  # shared\ntoken-secret \"a#b\"\n";
        assert_eq!(
            parse(text, "f", &known).unwrap(),
            ["--redis", "redis://127.0.0.1:6379", "--token-secret", "a#b"]
        );
    }

    #[test]
    fn an_unknown_key_names_its_line() {
        let e = parse("listen 1\nlisten-port 3\n", "signal.conf", &known()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "signal.conf:2: unknown key \"listen-port\" (the keys are the long flags of --help)"
        );
    }
}
