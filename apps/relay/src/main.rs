//! wren-relay: a STUN and TURN server that can stand where coturn stood. It takes coturn's
//! option names on the command line and in a turnserver.conf; it serves TURN once
//! credentials are configured (`lt-cred-mech` + `user`, or `use-auth-secret`).
//!
//! ```text
//! wren-relay                                  # STUN on 0.0.0.0:3478, UDP and TCP
//! wren-relay -L 127.0.0.1 -p 3478 -v          # loopback only, debug logging
//! wren-relay -c /etc/turnserver.conf          # coturn's configuration file
//! wren-relay --relay-ip 192.0.2.10 --realm example.org --lt-cred-mech --user alice:secret
//! ```

mod config;
mod logging;
mod metrics;
mod serve;
mod tls;

use std::process::ExitCode;

use tracing::{error, warn};

use crate::config::Config;

fn main() -> ExitCode {
    let config = Config::from_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    if config.print_config {
        print!("{config}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = logging::init(&config) {
        eprintln!("wren-relay: {e}");
        return ExitCode::FAILURE;
    }
    for u in config.unimplemented() {
        warn!("{u}");
    }
    let _pidfile = match config
        .values
        .pidfile
        .as_deref()
        .map(logging::PidFile::create)
        .transpose()
    {
        Ok(p) => p,
        Err(e) => {
            error!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match serve::run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            ExitCode::FAILURE
        }
    }
}
