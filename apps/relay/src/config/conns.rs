//! The bounds on TCP and TLS connections the driver is given (`max-connections`,
//! `max-connections-per-ip`, `first-message-timeout`, `tls-handshake-timeout`,
//! `connection-buffer-limit`, `total-buffer-limit`, `fd-reserve`), with the driver's safe
//! defaults where a key is not given and 0 read as "no limit" as coturn reads its quotas.
//! `max-allocate-timeout` is the TURN server's (`build.rs`).

use std::time::Duration;

use wren_mio::{ConnLimits, DEFAULT_TCP_BUFFER_LIMIT};

use super::Config;

/// A count from a key: the default when absent, no limit for 0.
fn cap(value: Option<u64>, default: usize) -> usize {
    match value {
        None => default,
        Some(0) => usize::MAX,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

/// A deadline from a key: the default when absent, none for 0.
fn deadline(value: Option<Duration>, default: Option<Duration>) -> Option<Duration> {
    match value {
        None => default,
        Some(Duration::ZERO) => None,
        Some(d) => Some(d),
    }
}

impl Config {
    /// The driver's bounds on accepted TCP and TLS connections.
    pub(crate) fn conn_limits(&self) -> ConnLimits {
        let v = &self.values;
        let defaults = ConnLimits::default();
        ConnLimits {
            max_connections: cap(v.max_connections, defaults.max_connections),
            max_per_source: cap(v.max_connections_per_ip, defaults.max_per_source),
            first_message_timeout: deadline(
                v.first_message_timeout,
                defaults.first_message_timeout,
            ),
            tls_handshake_timeout: deadline(
                v.tls_handshake_timeout,
                defaults.tls_handshake_timeout,
            ),
            total_buffer_limit: cap(v.total_buffer_limit, defaults.total_buffer_limit),
            fd_reserve: v.fd_reserve.map_or(defaults.fd_reserve, |n| {
                usize::try_from(n).unwrap_or(usize::MAX)
            }),
        }
    }

    /// The most bytes one connection may buffer (`connection-buffer-limit`; 0: no limit).
    pub(crate) fn connection_buffer_limit(&self) -> usize {
        cap(
            self.values.connection_buffer_limit,
            DEFAULT_TCP_BUFFER_LIMIT,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["wren-relay"];
        all.extend_from_slice(args);
        Config::from_args(all).unwrap()
    }

    #[test]
    fn the_driver_defaults_when_no_key_is_given() {
        let c = config(&[]);
        assert_eq!(c.conn_limits(), ConnLimits::default());
        assert_eq!(c.connection_buffer_limit(), DEFAULT_TCP_BUFFER_LIMIT);
    }

    #[test]
    fn each_key_lands_in_its_field_and_zero_means_no_limit() {
        let c = config(&[
            "--max-connections=100",
            "--max-connections-per-ip=3",
            "--first-message-timeout=2",
            "--tls-handshake-timeout=0",
            "--total-buffer-limit=0",
            "--fd-reserve=10",
            "--connection-buffer-limit=4096",
        ]);
        assert_eq!(
            c.conn_limits(),
            ConnLimits {
                max_connections: 100,
                max_per_source: 3,
                first_message_timeout: Some(Duration::from_secs(2)),
                tls_handshake_timeout: None,
                total_buffer_limit: usize::MAX,
                fd_reserve: 10,
            }
        );
        assert_eq!(c.connection_buffer_limit(), 4096);
        let c = config(&["--max-connections=0", "--max-connections-per-ip=0"]);
        let l = c.conn_limits();
        assert_eq!(
            (l.max_connections, l.max_per_source),
            (usize::MAX, usize::MAX)
        );
    }
}
