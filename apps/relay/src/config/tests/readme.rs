//! The README's table of coturn keys is the one the key declarations give.

use super::super::readme::{Row, table};
use super::*;

/// README.md at the top of the workspace.
const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
/// The heading of the section that holds the table.
const SECTION: &str = "## wren-relay in place of coturn";
/// The table's first line.
const HEADER: &str = "| what | keys |";

/// The byte range of the table in the section: from its header to its last `|` line.
fn table_span(text: &str) -> Option<(usize, usize)> {
    let section = text.find(SECTION)?;
    let start = section + text[section..].find(HEADER)?;
    let mut end = start;
    for line in text[start..].split_inclusive('\n') {
        if !line.starts_with('|') {
            break;
        }
        end += line.len();
    }
    Some((start, end))
}

/// README.md holds exactly the table rendered from `keys.rs`; `WREN_UPDATE_README=1`
/// rewrites it (the prose around it is kept).
#[test]
fn readme_table_follows_the_key_declarations() {
    let text = std::fs::read_to_string(README).expect("README.md");
    let (start, end) = table_span(&text).unwrap_or_else(|| {
        panic!("README.md has no `{HEADER}` table under `{SECTION}`; add the header line there")
    });
    let want = table();
    if text[start..end] == want {
        return;
    }
    if std::env::var_os("WREN_UPDATE_README").is_some_and(|v| v == "1") {
        let updated = format!("{}{want}{}", &text[..start], &text[end..]);
        std::fs::write(README, updated).expect("rewrite README.md");
        return;
    }
    panic!(
        "README.md's table of keys (section \"wren-relay in place of coturn\") differs from the \
         key declarations in apps/relay/src/config/keys.rs.\n\
         Update it with: WREN_UPDATE_README=1 cargo test -p wren-relay readme\n\n\
         --- expected ---\n{want}--- in README.md ---\n{}",
        &text[start..end]
    );
}

/// Every row has keys, each key with a row appears once, and the not-yet keys stay out.
#[test]
fn every_row_has_keys_and_no_key_is_shown_twice() {
    let table = table();
    for row in Row::ALL {
        assert!(
            KEYS.iter().any(|k| k.readme.is_some_and(|r| r.row == row)),
            "{row:?} has no keys"
        );
    }
    for key in KEYS {
        let shown = table.matches(&format!("`{}`", key.name)).count();
        match key.readme {
            Some(_) => assert!(shown >= 1, "{} not in the table", key.name),
            None => assert_eq!(shown, 0, "{} has no row", key.name),
        }
        if key.not_yet.is_some() {
            assert!(key.readme.is_none(), "{} is not acted on yet", key.name);
        }
    }
    assert_eq!(table.lines().count(), 2 + Row::ALL.len());
}
