//! Every coturn key wren-relay takes, each declared once: its name, short flag, how it is
//! stored ([`Flag`], [`One`] or [`List`] of a [`value`](super::value) type, which also
//! fixes how the value is read and printed), its `--help` text (the doc comment), its row
//! in the README table, and, for a key not acted on yet, the warning the binary logs. The
//! file parser, the command line, `--print-config`, the warnings and the README table all
//! read this declaration; adding a key is one entry here, plus its use where the servers'
//! configurations are built (`build.rs`).
//!
//! The order is the order of `--help`, `--print-config` and the warnings.

use super::key::{Flag, Key, List, One, declare_keys};
use super::value::{
    Account, Bps, Bytes, Cap, ChannelLifetime, Count, File, Ip, Lifetime, LogFile, Name, PeerIp,
    PermissionLifetime, Port, PublicIp, Quota, Realm, RelayIp, RelayPort, Reserve, SharedSecret,
    StaleNonce, Timeout,
};

declare_keys! {
    // -- listeners --
    /// Port for STUN over UDP and TCP [default: 3478; 0 lets the OS choose].
    listening_port: One<Port> = "listening-port" { short: 'p', readme: Listening, },
    /// Address to listen on; repeat for several [default: 0.0.0.0].
    listening_ips: List<Ip> = "listening-ip" { short: 'L', readme: Listening, },
    /// Do not listen on UDP.
    no_udp: Flag = "no-udp" { readme: Listening, },
    /// Do not listen on TCP.
    no_tcp: Flag = "no-tcp" { readme: Listening, },
    /// Do not start DTLS listeners (wren-relay has none).
    no_dtls: Flag = "no-dtls" {},
    /// Turn off coturn's telnet CLI (wren-relay has none).
    no_cli: Flag = "no-cli" {},

    // -- relaying --
    /// Relay address; repeat for several [default: the listening IPs that are not 0.0.0.0/::].
    relay_ips: List<RelayIp> = "relay-ip" { short: 'E', readme: Relaying, },
    /// Lowest relay port [default: 49152].
    min_port: One<RelayPort> = "min-port" { readme: Relaying, },
    /// Highest relay port [default: 65535].
    max_port: One<RelayPort> = "max-port" { readme: Relaying, },
    /// STUN only: no TURN, even with credentials configured.
    stun_only: Flag = "stun-only" { short: 'S', },

    // -- long-term credentials --
    /// Use the long-term credential mechanism (turns TURN on).
    lt_cred_mech: Flag = "lt-cred-mech" { short: 'a', readme: LongTermCredentials, },
    /// User account name:password, or name:0x<key from turnadmin -k>; repeat for several.
    users: List<Account> = "user" {
        short: 'u',
        readme: LongTermCredentials "`name:password` or `name:0x<key>`",
    },
    /// Realm of the long-term credentials (TURN needs one).
    realm: One<Realm> = "realm" { short: 'r', readme: LongTermCredentials, },
    /// Nonce lifetime in seconds (600 without a value; 0 or above 3600: 3600, the cap) [default: 600].
    stale_nonce: One<StaleNonce> = "stale-nonce" { readme: LongTermCredentials, },
    /// coturn user database file (not read yet).
    userdb: One<File> = "userdb" {
        short: 'b',
        not_yet: "the user database is not read; only user= accounts and static-auth-secret authenticate",
    },

    // -- TURN REST API --
    /// TURN REST API credentials (turns TURN on; needs --static-auth-secret).
    use_auth_secret: Flag = "use-auth-secret" { readme: RestApi, },
    /// TURN REST API shared secret (implies --use-auth-secret, as in coturn).
    static_auth_secret: One<SharedSecret> = "static-auth-secret" { readme: RestApi, },
    /// Server name for oAuth (not used yet).
    server_name: One<Name> = "server-name" {
        not_yet: "there is no oAuth or ORIGIN support that would use it",
    },

    // -- peer policy --
    /// Peer address, range first-last, or prefix a/n always allowed; repeat for several.
    allowed_peer_ips: List<PeerIp> = "allowed-peer-ip" {
        readme: PeerPolicy "an address, an `a-b` range or an `a/n` prefix",
    },
    /// Peer address, range or prefix refused (unless also allowed); repeat for several.
    denied_peer_ips: List<PeerIp> = "denied-peer-ip" {
        readme: PeerPolicy "the same forms; allowed beats denied",
    },
    /// Allow peers on loopback addresses.
    allow_loopback_peers: Flag = "allow-loopback-peers" { readme: PeerPolicy, },
    /// Refuse multicast and broadcast peers.
    no_multicast_peers: Flag = "no-multicast-peers" { readme: PeerPolicy, },

    // -- quotas and lifetimes --
    /// Most allocations one user may hold at once [default: 0, no limit].
    user_quota: One<Quota> = "user-quota" { short: 'q', readme: Quotas, },
    /// Most allocations in total [default: 0, no limit].
    total_quota: One<Quota> = "total-quota" { short: 'Q', readme: Quotas, },
    /// Most permissions (peer IPs) one allocation may hold; more get 508 [default: 1024].
    max_permissions: One<Cap> = "max-permissions" { readme: Quotas "per allocation", },
    /// Most channel bindings one allocation may hold; more get 508 [default: 1024].
    max_channels: One<Cap> = "max-channels" { readme: Quotas "per allocation", },
    /// Bytes per second one allocation may relay, each direction apart [default: 0, no limit].
    max_bps: One<Bps> = "max-bps" { short: 's', readme: Quotas "per allocation", },
    /// Longest allocation lifetime granted, in seconds [default: 3600].
    max_allocate_lifetime: One<Lifetime> = "max-allocate-lifetime" {},
    /// Channel binding lifetime (only RFC 8656's 600 s is supported).
    channel_lifetime: One<ChannelLifetime> = "channel-lifetime" {
        not_yet: "channel bindings keep the RFC 8656 lifetime of 600 s",
    },
    /// Permission lifetime (only RFC 8656's 300 s is supported).
    permission_lifetime: One<PermissionLifetime> = "permission-lifetime" {
        not_yet: "permissions keep the RFC 8656 lifetime of 300 s",
    },

    // -- connections (TCP and TLS; serve.rs gives them to the driver) --
    /// Most TCP and TLS connections open at once [default: 65536; 0: no limit].
    max_connections: One<Count> = "max-connections" { readme: Connections "default 65536", },
    /// Most TCP and TLS connections open at once from one IP address [default: 1024; 0: no limit].
    max_connections_per_ip: One<Count> = "max-connections-per-ip" {
        readme: Connections "default 1024",
    },
    /// Seconds a TCP or TLS connection has to deliver its first whole message [default: 10; 0: none].
    first_message_timeout: One<Timeout> = "first-message-timeout" {
        readme: Connections "default 10 s",
    },
    /// Seconds a TLS connection has to complete its handshake [default: 10; 0: none].
    tls_handshake_timeout: One<Timeout> = "tls-handshake-timeout" {
        readme: Connections "default 10 s",
    },
    /// Seconds a TCP or TLS connection may go without an allocation before it is closed [default: 60; 0: never].
    max_allocate_timeout: One<Timeout> = "max-allocate-timeout" {
        readme: Connections "default 60 s, as coturn",
    },
    /// Most bytes one TCP or TLS connection may buffer (a partial message, replies not yet sent) [default: 98304; 0: no limit].
    connection_buffer_limit: One<Bytes> = "connection-buffer-limit" {
        readme: Connections "default 96 KiB",
    },
    /// Most bytes all TCP and TLS connections may buffer together [default: 67108864; 0: no limit].
    total_buffer_limit: One<Bytes> = "total-buffer-limit" {
        readme: Connections "default 64 MiB",
    },
    /// Descriptors kept free for relayed addresses: no connection is accepted past the limit less these [default: 64].
    fd_reserve: One<Reserve> = "fd-reserve" { readme: Connections "default 64", },

    // -- TLS (tls.rs) --
    /// TLS certificate chain file, PEM; with --pkey, TLS (turns:) is served.
    cert: One<File> = "cert" { readme: Tls "PEM", },
    /// TLS private key file, PEM (unencrypted PKCS#8, RSA or EC).
    pkey: One<File> = "pkey" { readme: Tls "PEM", },
    /// Port of the TLS listeners (default 5349; there are no DTLS listeners).
    tls_listening_port: One<Port> = "tls-listening-port" {
        readme: Tls "default 5349, on each `listening-ip`",
    },
    /// Do not start TLS listeners, even with --cert and --pkey.
    no_tls: Flag = "no-tls" { readme: Tls, },

    // -- STUN and TURN messages --
    /// Add FINGERPRINT to every STUN response (otherwise: when the request had one).
    fingerprint: Flag = "fingerprint" { short: 'f', readme: Messages, },
    /// Do not send the SOFTWARE attribute.
    no_software_attribute: Flag = "no-software-attribute" { readme: Messages, },
    /// Send RESPONSE-ORIGIN only with RFC 5780, which wren-relay lacks: so never.
    response_origin_only_with_rfc5780: Flag = "response-origin-only-with-rfc5780" {},
    /// Turn off RFC 5780 NAT behaviour discovery (wren-relay has none).
    no_rfc5780: Flag = "no-rfc5780" {},
    /// Refuse classic RFC 3489 Binding requests (not implemented yet).
    no_stun_backward_compatibility: Flag = "no-stun-backward-compatibility" {
        not_yet: "the STUN server does not apply this setting yet",
    },

    // -- NAT --
    /// Public address, or public/private mapping, behind NAT: advertised in relayed addresses.
    external_ips: List<PublicIp> = "external-ip" {
        short: 'X',
        readme: Nat "`public[/private]`: the public address advertised for relayed addresses",
    },

    // -- logging --
    /// Moderate verbose logging (debug level).
    verbose: Flag = "verbose" { short: 'v', readme: Logging, },
    /// Extra verbose logging (trace level).
    extra_verbose: Flag = "Verbose" { short: 'V', readme: Logging, },
    /// Log file path (appended to), or `stdout`.
    log_file: One<LogFile> = "log-file" { short: 'l', readme: Logging "appended", },
    /// Do not log to standard output (with a log file).
    no_stdout_log: Flag = "no-stdout-log" { readme: Logging, },
    /// No log file rollover (wren-relay never rotates its log).
    simple_log: Flag = "simple-log" {},
    /// Log to syslog (not implemented yet).
    syslog: Flag = "syslog" { not_yet: "logs still go to standard output, not syslog", },
    /// Write the process id to this file (removed at exit).
    pidfile: One<File> = "pidfile" { readme: Logging, },

    // -- metrics (metrics.rs) --
    /// Serve Prometheus metrics on HTTP (port 9641 unless --prometheus-port), at /metrics.
    prometheus: Flag = "prometheus" { readme: Metrics, },
    /// Port of the Prometheus endpoint [default: 9641].
    prometheus_port: One<Port> = "prometheus-port" { readme: Metrics "default 9641", },
}

/// Keys coturn 4.6 knows (its `--help` and Debian's sample turnserver.conf) that wren-relay
/// does not: rejected with [`ConfigError::UnsupportedOption`](super::ConfigError::UnsupportedOption) rather than "unknown".
pub(crate) const COTURN_ONLY: &[&str] = &[
    "CA-file",
    "acme-redirect",
    "allocation-default-address-family",
    "alt-listening-port",
    "alt-tls-listening-port",
    "alternate-server",
    "aux-server",
    "bps-capacity",
    "check-origin-consistency",
    "cipher-list",
    "cli-ip",
    "cli-max-output-sessions",
    "cli-password",
    "cli-port",
    "daemon",
    "db",
    "dh-file",
    "dh1066",
    "dh566",
    "ec-curve-name",
    "keep-address-family",
    "listening-device",
    "log-binding",
    "mobility",
    "mongo-userdb",
    "mysql-userdb",
    "ne",
    "new-log-timestamp",
    "new-log-timestamp-format",
    "no-auth",
    "no-auth-pings",
    "no-dynamic-ip-list",
    "no-dynamic-realms",
    "no-stun",
    "no-tcp-relay",
    "no-tlsv1",
    "no-tlsv1_1",
    "no-tlsv1_2",
    "no-udp-relay",
    "oauth",
    "pkey-pwd",
    "proc-group",
    "proc-user",
    "prod",
    "psql-userdb",
    "redis-statsdb",
    "redis-userdb",
    "relay-device",
    "relay-threads",
    "rest-api-separator",
    "secret-key-file",
    "secure-stun",
    "server-relay",
    "sql-userdb",
    "syslog-facility",
    "tcp-proxy-port",
    "tls-alternate-server",
    "udp-self-balance",
    "web-admin",
    "web-admin-ip",
    "web-admin-listen-on-workers",
    "web-admin-port",
];

/// The key named `name` exactly (names are case-sensitive: `verbose` and `Verbose` differ).
pub(crate) fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}
