//! Query strings decoded exactly (percent-escapes only; `+` stays `+`), as SigV4's
//! canonical form needs them.

/// The pairs of `query` (the part after `?`), percent-decoded; `None` when an escape or
/// the decoded text is not valid.
#[must_use]
pub fn parse(query: &str) -> Option<Vec<(String, String)>> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            Some((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_plus_is_kept() {
        assert_eq!(
            parse("a=x%3Ay&b=1+2&c").unwrap(),
            [
                ("a".to_owned(), "x:y".to_owned()),
                ("b".to_owned(), "1+2".to_owned()),
                ("c".to_owned(), String::new())
            ]
        );
        assert_eq!(parse("a=%zz"), None);
        assert_eq!(parse("a=%4"), None);
        assert_eq!(parse("a=%ff"), None);
        assert_eq!(parse("").unwrap(), []);
    }
}
