//! The command line, built from the key table: every key is `--name` (and its short flag,
//! if coturn has one), checked by the same parser as in the file, plus `-c FILE`, `-n`,
//! `--print-config` and `--version`. clap reports usage errors and prints `--help`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use super::error::{ConfigError, Location, ValueError};
use super::key::{Key, Kind};
use super::keys::{COTURN_ONLY, KEYS, Values};

/// The first paragraph of `--help`, and `-h`'s whole description.
const ABOUT: &str = "wren-relay: a STUN/TURN server that takes coturn's options";
/// The description `--help` prints.
const LONG_ABOUT: &str = "wren-relay: a STUN/TURN server that takes coturn's options.

Options may also be given in a coturn turnserver.conf with `-c FILE`; the command line \
overrides the file.";

/// Argument ids of the options that are not keys.
const CONFIG_FILE: &str = "config_file";
const NO_CONFIG_FILE: &str = "no_config_file";
const PRINT_CONFIG: &str = "print_config";
const VERSION: &str = "version";

/// What the command line said.
#[derive(Debug)]
pub(crate) struct CommandLine {
    /// `-c FILE`, unless `-n` was given too.
    pub(crate) config_file: Option<PathBuf>,
    /// `--print-config`.
    pub(crate) print_config: bool,
    /// The keys given.
    pub(crate) values: Values,
}

/// Parse a command line (the first item is the program name).
pub(crate) fn parse(args: &[OsString]) -> Result<CommandLine, ConfigError> {
    check_coturn_only(args)?;
    let matches = command().try_get_matches_from(args)?;
    let mut values = Values::default();
    for key in KEYS {
        for value in given(&matches, key)? {
            (key.put)(&mut values, &value)
                .map_err(|e| e.at(Location::CommandLine, key.name, &value))?;
        }
    }
    let config_file = if flag(&matches, NO_CONFIG_FILE)? {
        None
    } else {
        matches
            .try_get_one::<PathBuf>(CONFIG_FILE)
            .map_err(internal)?
            .cloned()
    };
    Ok(CommandLine {
        config_file,
        print_config: flag(&matches, PRINT_CONFIG)?,
        values,
    })
}

/// The clap command: the options that are not keys, then one argument per key.
pub(super) fn command() -> Command {
    let command = Command::new("wren-relay")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .disable_version_flag(true)
        .arg(
            Arg::new(CONFIG_FILE)
                .short('c')
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Set)
                .help("Read options from this coturn-style turnserver.conf"),
        )
        .arg(
            Arg::new(NO_CONFIG_FILE)
                .short('n')
                .action(ArgAction::SetTrue)
                .help("Do not read a configuration file, even if -c is given (as coturn's -n)"),
        )
        .arg(
            Arg::new(PRINT_CONFIG)
                .long("print-config")
                .action(ArgAction::SetTrue)
                .help("Print the effective configuration in turnserver.conf syntax and exit"),
        )
        .arg(
            Arg::new(VERSION)
                .long("version")
                .action(ArgAction::Version)
                .help("Print the version and exit"),
        );
    command.args(KEYS.iter().map(arg))
}

/// The argument of one key.
fn arg(key: &'static Key) -> Arg {
    let help = key.help();
    let mut arg = Arg::new(key.name)
        .long(key.name)
        // As clap's derive: one sentence of help loses its period.
        .help(help.strip_suffix('.').unwrap_or(&help).to_owned());
    if let Some(short) = key.short {
        arg = arg.short(short);
    }
    if let Some(name) = key.value_name {
        arg = arg.value_name(name);
    }
    // The value is checked by the key's own parser, and kept as text for `Key::put`.
    let check = move |value: &str| -> Result<String, String> {
        (key.put)(&mut Values::default(), value)
            .map(|()| value.to_owned())
            .map_err(ValueError::expected)
    };
    match key.kind {
        Kind::Flag => arg.action(ArgAction::SetTrue),
        Kind::Scalar => arg.action(ArgAction::Set).value_parser(check),
        // As coturn's getopt: an optional value needs '='.
        Kind::OptionalScalar => arg
            .action(ArgAction::Set)
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("")
            .value_parser(check),
        Kind::List => arg.action(ArgAction::Append).value_parser(check),
    }
}

/// The values given for a key, in order; `""` for a flag that is on.
fn given(matches: &ArgMatches, key: &Key) -> Result<Vec<String>, ConfigError> {
    if key.kind == Kind::Flag {
        return Ok(if flag(matches, key.name)? {
            vec![String::new()]
        } else {
            Vec::new()
        });
    }
    Ok(matches
        .try_get_many::<String>(key.name)
        .map_err(internal)?
        .map(|values| values.cloned().collect())
        .unwrap_or_default())
}

/// Whether a `SetTrue` argument was given.
fn flag(matches: &ArgMatches, id: &str) -> Result<bool, ConfigError> {
    Ok(matches
        .try_get_one::<bool>(id)
        .map_err(internal)?
        .copied()
        .unwrap_or(false))
}

/// An argument read back with another type than it was declared with: a bug here, reported
/// as a command-line error rather than a panic.
fn internal(e: clap::parser::MatchesError) -> ConfigError {
    ConfigError::Cli(clap::Error::raw(clap::error::ErrorKind::Io, e))
}

/// Report a coturn long option that wren-relay lacks as "unsupported", before clap calls it
/// merely unexpected.
fn check_coturn_only(args: &[OsString]) -> Result<(), ConfigError> {
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let Some(long) = arg.strip_prefix("--") else {
            continue;
        };
        let name = long.split_once('=').map_or(long, |(name, _)| name);
        if COTURN_ONLY.contains(&name) {
            return Err(ConfigError::UnsupportedOption {
                at: Location::CommandLine,
                key: name.to_owned(),
            });
        }
    }
    Ok(())
}
