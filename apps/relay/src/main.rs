//! wren-relay: a STUN (and, from the TURN issue on, TURN) server that can stand where coturn
//! stood. It takes coturn's option names on the command line and in a turnserver.conf.
//!
//! ```text
//! wren-relay                                  # STUN on 0.0.0.0:3478, UDP and TCP
//! wren-relay -L 127.0.0.1 -p 3478 -v          # loopback only, debug logging
//! wren-relay -c /etc/turnserver.conf          # coturn's configuration file
//! ```

mod config;
mod metrics;
mod serve;

use std::process::ExitCode;

use tracing::{error, warn};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, Verbosity};

fn main() -> ExitCode {
    let config = Config::from_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    if config.print_config {
        print!("{config}");
        return ExitCode::SUCCESS;
    }
    init_logging(&config);
    for u in config.unimplemented() {
        warn!("{u}");
    }
    match serve::run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr through `tracing`: info by default, debug with `-v`, trace with `-V`;
/// `RUST_LOG` overrides.
fn init_logging(config: &Config) {
    let level = match config.verbosity {
        Verbosity::Normal => "info",
        Verbosity::Verbose => "debug",
        Verbosity::Extra => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}
