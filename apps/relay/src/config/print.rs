//! `--print-config`: the configuration in turnserver.conf syntax, each key given written by
//! its declaration, in the order of the key table, then the warnings as comments. Secrets
//! are replaced by `<redacted>`; everything else reads back to an equal [`Config`].

use std::fmt;

use super::Config;
use super::keys::KEYS;

impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# wren-relay effective configuration (turnserver.conf syntax)"
        )?;
        if let Some(path) = &self.config_file {
            writeln!(f, "# read from {}", path.display())?;
        }
        for key in KEYS {
            (key.write)(&self.values, f)?;
        }
        for warning in self.unimplemented() {
            writeln!(f, "# warning: {warning}")?;
        }
        Ok(())
    }
}
