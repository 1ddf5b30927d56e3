//! Tests of the configuration, one file per part: `file.rs` (turnserver.conf syntax and its
//! errors), `cli.rs` (the command line, and the two together), `build.rs` (the STUN and TURN
//! servers' configurations), `keys.rs` (the key table), `print.rs` (`--print-config`),
//! `readme.rs` (the README table), `props.rs` (property tests). The helpers are here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use wren_turn::server::{IpRange, PeerPolicy, UserSecret};

use super::build::{TurnConfig, UNLIMITED_NONCE};
use super::file::{edit_distance, split_line};
use super::key::{Key, Kind};
use super::keys::{COTURN_ONLY, KEYS, Values, find};
use super::value::{
    DEFAULT_STALE_NONCE, ExternalIp, PeerRange, Secret, UserAccount, parse_peer_range,
};
use super::{Config, ConfigError, SOFTWARE, Verbosity};

mod build;
mod cli;
mod file;
mod keys;
mod print;
mod props;
mod readme;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn range(s: &str) -> IpRange {
    s.parse().expect("test range")
}

fn args(line: &str) -> Vec<String> {
    std::iter::once("wren-relay")
        .chain(line.split_whitespace())
        .map(str::to_owned)
        .collect()
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse_file(text, "turnserver.conf")
}

fn err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(c) => panic!("expected an error for {text:?}, got {c:?}"),
        Err(e) => e,
    }
}

/// A file in a fresh temporary directory, removed on drop.
struct TempConf {
    dir: PathBuf,
    path: PathBuf,
}

impl TempConf {
    fn new(text: &[u8]) -> TempConf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wren-relay-config-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("turnserver.conf");
        std::fs::write(&path, text).expect("temp file");
        TempConf { dir, path }
    }

    fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for TempConf {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
