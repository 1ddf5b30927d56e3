//! Configuration of `wren-relay`, in coturn's words.
//!
//! `wren-relay` is meant to stand where coturn's `turnserver` stood, so it takes coturn's
//! option names on the command line (`-c FILE`, `-p/--listening-port`, `-L/--listening-ip`,
//! `-v/--verbose`, ...) and reads the same keys from a `turnserver.conf`, in coturn's file
//! syntax (`file.rs`).
//!
//! Each key is declared once, in `keys.rs`: its name, short flag, value type, help text,
//! README row, and whether it is acted on. From that one declaration come the typed
//! [`Values`] struct, the file parser (`file.rs`), the command line (`cli.rs`),
//! `--print-config` (`print.rs`), the warnings ([`Config::unimplemented`]) and the README's
//! table of keys (`readme.rs`, checked by a test).
//!
//! The command line overrides the file: a scalar given on the command line replaces the
//! file's value, and a list (`-L`, `--relay-ip`, `--external-ip`, `--user`) given on the
//! command line replaces the file's list. Inside one source, repeating a list key adds to the
//! list. (coturn itself appends command-line addresses to the file's; wren-relay lets the
//! command line win, so `-L 127.0.0.1` really means "only loopback".)
//!
//! Every key wren-relay knows is parsed and stored. Keys it stores but does not act on yet
//! (syslog, the user database, ...) are listed by [`Config::unimplemented`], and the
//! binary logs one warning for each, so nothing silently pretends. A key coturn knows but
//! wren-relay does not is an error of its own ([`ConfigError::UnsupportedOption`]), distinct
//! from a misspelt key ([`ConfigError::UnknownOption`], which suggests the closest known key).
//!
//! TURN is on when coturn would ask for credentials: `lt-cred-mech`, `use-auth-secret`,
//! `static-auth-secret` or a `user=` account ([`Config::turn_enabled`]). Unlike coturn, there
//! is no anonymous TURN: with none of those, wren-relay serves STUN only.
//! [`Config::turn_server_config`] turns the TURN keys into the machine's configuration
//! (`build.rs`), refusing combinations that cannot serve (no realm, no relay address, no way
//! to authenticate).

mod build;
mod cli;
mod conns;
mod error;
mod file;
mod key;
mod keys;
mod print;
mod readme;
mod value;

#[cfg(test)]
mod tests;

use std::ffi::OsString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

pub(crate) use error::ConfigError;
pub(crate) use keys::Values;

/// The port coturn and wren-relay listen on for STUN/TURN over UDP and TCP (RFC 8489).
pub(crate) const DEFAULT_LISTENING_PORT: u16 = 3478;
/// The SOFTWARE attribute wren-relay sends unless `no-software-attribute` is given.
pub(crate) const SOFTWARE: &str = concat!("wren-relay ", env!("CARGO_PKG_VERSION"));
/// The port of the Prometheus endpoint when `prometheus-port` is not given (coturn's).
pub(crate) const DEFAULT_PROMETHEUS_PORT: u16 = 9641;

/// How much to log: coturn's `-v` (moderate) and `-V` (extra verbose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Verbosity {
    /// Neither flag: the usual information and warnings.
    #[default]
    Normal,
    /// `-v`/`--verbose`/`verbose`: coturn's moderate verbose mode (debug level).
    Verbose,
    /// `-V`/`--Verbose`/`Verbose`: coturn's extra verbose mode (trace level).
    Extra,
}

/// A key wren-relay parsed and stored but does not act on yet; the binary logs each one as a
/// warning at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unimplemented {
    /// The key, as in turnserver.conf (and `--key` on the command line).
    pub(crate) key: &'static str,
    /// What is missing.
    pub(crate) why: &'static str,
}

impl fmt::Display for Unimplemented {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "option '{}' is accepted but not acted on yet: {}",
            self.key, self.why
        )
    }
}

/// The effective configuration of wren-relay: the `-c` file, then the command line over it.
///
/// [`Values`] holds what was given, one field per key; the listeners are filled in (the
/// listening IPs without duplicates, `0.0.0.0` when none, the port 3478 when none), so they
/// print as they will be served. The methods apply coturn's other defaults
/// ([`Config::relay_port_range`], [`Config::turn_server_config`], ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// The `-c` file that was read, if any.
    pub(crate) config_file: Option<PathBuf>,
    /// `--print-config` was given: print this configuration and exit.
    pub(crate) print_config: bool,
    /// The keys as given.
    pub(crate) values: Values,
}

impl Default for Config {
    /// The configuration with nothing given: STUN on 0.0.0.0:3478, UDP and TCP, no TURN.
    fn default() -> Config {
        Config::new(Values::default(), None, false)
    }
}

impl Config {
    /// Parse a command line (the first item is the program name, as in
    /// `std::env::args_os()`), read the `-c` file if one is named (unless `-n`), and combine:
    /// the command line overrides the file.
    pub(crate) fn from_args<I, T>(args: I) -> Result<Config, ConfigError>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let cli = cli::parse(&args)?;
        let file = match &cli.config_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                file::parse(file::utf8(&bytes, path)?, path)?
            }
            None => Values::default(),
        };
        Config::checked(cli.values.over(file), cli.config_file, cli.print_config)
    }

    /// Parse the text of a coturn turnserver.conf on its own (defaults for what it does not
    /// say). `path` names the file in error messages and in [`Config::config_file`].
    #[allow(
        dead_code,
        reason = "API for tests and tools; the binary reads files via from_args"
    )]
    pub(crate) fn parse_file(text: &str, path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        Config::checked(file::parse(text, path)?, Some(path.to_owned()), false)
    }

    /// The configuration, refused when it cannot serve anything: `min-port` above
    /// `max-port`, or `no-udp` with `no-tcp`.
    fn checked(
        values: Values,
        config_file: Option<PathBuf>,
        print_config: bool,
    ) -> Result<Config, ConfigError> {
        let config = Config::new(values, config_file, print_config);
        let (min, max) = config.relay_port_range();
        if min > max {
            return Err(ConfigError::PortRange { min, max });
        }
        if !config.udp() && !config.tcp() {
            return Err(ConfigError::NoListeners);
        }
        Ok(config)
    }

    /// The configuration with the listeners filled in.
    fn new(mut values: Values, config_file: Option<PathBuf>, print_config: bool) -> Config {
        let mut ips: Vec<IpAddr> = Vec::with_capacity(values.listening_ips.len().max(1));
        for ip in values.listening_ips {
            if !ips.contains(&ip) {
                ips.push(ip);
            }
        }
        if ips.is_empty() {
            ips.push(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        }
        values.listening_ips = ips;
        values.listening_port.get_or_insert(DEFAULT_LISTENING_PORT);
        Config {
            config_file,
            print_config,
            values,
        }
    }

    /// `listening-ip`: the addresses to listen on, never empty (default `0.0.0.0`), no
    /// duplicates.
    pub(crate) fn listening_ips(&self) -> &[IpAddr] {
        &self.values.listening_ips
    }

    /// `listening-port`: the STUN/TURN port on UDP and TCP (default 3478; 0 lets the OS
    /// choose).
    pub(crate) fn listening_port(&self) -> u16 {
        self.values.listening_port.unwrap_or(DEFAULT_LISTENING_PORT)
    }

    /// Every address the STUN server listens on: each listening IP with the listening port
    /// (the same list for UDP and TCP).
    pub(crate) fn listen_addrs(&self) -> Vec<SocketAddr> {
        let port = self.listening_port();
        self.listening_ips()
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect()
    }

    /// Serve UDP (false with `no-udp`).
    pub(crate) fn udp(&self) -> bool {
        !self.values.no_udp
    }

    /// Serve TCP (false with `no-tcp`).
    pub(crate) fn tcp(&self) -> bool {
        !self.values.no_tcp
    }

    /// `verbose` / `Verbose` (the louder wins).
    pub(crate) fn verbosity(&self) -> Verbosity {
        if self.values.extra_verbose {
            Verbosity::Extra
        } else if self.values.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }

    /// `prometheus-port` (default [`DEFAULT_PROMETHEUS_PORT`]; 0 lets the OS choose).
    pub(crate) fn prometheus_port(&self) -> u16 {
        self.values
            .prometheus_port
            .unwrap_or(DEFAULT_PROMETHEUS_PORT)
    }

    /// Where the Prometheus endpoint listens when `prometheus` is on: every IPv4 interface
    /// (as coturn's) on `prometheus-port`.
    pub(crate) fn prometheus_addr(&self) -> Option<SocketAddr> {
        self.values
            .prometheus
            .then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), self.prometheus_port()))
    }

    /// The keys that were set but are not acted on yet, in the order of the key table; the
    /// binary logs each as a warning. A flag counts as set when it is on; the RFC values of
    /// `channel-lifetime`/`permission-lifetime` are honoured and not listed.
    pub(crate) fn unimplemented(&self) -> Vec<Unimplemented> {
        keys::KEYS
            .iter()
            .filter_map(|key| {
                let why = key.not_yet?;
                (key.set)(&self.values).then_some(Unimplemented { key: key.name, why })
            })
            .collect()
    }
}
