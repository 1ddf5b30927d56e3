//! TLS (`turns:`, RFC 8656 section 3.1): the certificate chain and private key that `cert`
//! and `pkey` name, read as PEM into a rustls server configuration on the `ring` provider,
//! and the addresses the TLS listeners bind (each `listening-ip` on `tls-listening-port`).
//!
//! As coturn: TLS is served when a certificate and key are configured and `no-tls` is not
//! given. Unlike coturn, a missing, unreadable or malformed file stops the relay with the
//! path in the message, instead of a TLS listener that silently never starts. TLS 1.3 and
//! 1.2 are offered (rustls's safe defaults); no ALPN is required, no client certificate is
//! asked for, and DTLS is not served.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::ServerConfig;
use tracing::{info, warn};
use wren_io::tls::{TlsFilesError, server_config_from_files};

use crate::config::Config;

/// The port TLS listeners use when `tls-listening-port` is not given (coturn's, RFC 8656's
/// default for `turns:`).
pub(crate) const DEFAULT_TLS_LISTENING_PORT: u16 = 5349;

/// Why the TLS configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    /// Only one of `cert` and `pkey` is set.
    #[error("both `cert` and `pkey` are needed, and `{missing}` is not set (or give `no-tls`)")]
    Incomplete {
        /// The key not set.
        missing: &'static str,
    },
    /// The files could not be read, parsed or used together.
    #[error(transparent)]
    Files(#[from] TlsFilesError),
}

/// The TLS server configuration when TLS is to be served: `cert` and `pkey` set and
/// `no-tls` not given. `Ok(None)` otherwise (with a warning when `tls-listening-port` was
/// given but there is no certificate to serve on it).
///
/// # Errors
///
/// When only one of the files is set, or either cannot be read or parsed, or rustls refuses
/// them together.
pub(crate) fn server_config(config: &Config) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let keys = &config.values;
    let (cert, pkey) = match (&keys.cert, &keys.pkey) {
        _ if keys.no_tls => {
            if keys.cert.is_some() {
                info!("no-tls: the certificate is not used, no TLS listener");
            }
            return Ok(None);
        }
        (None, None) => {
            if keys.tls_listening_port.is_some() {
                warn!("tls-listening-port is set but cert and pkey are not: no TLS listener");
            }
            return Ok(None);
        }
        (Some(_), None) => return Err(TlsError::Incomplete { missing: "pkey" }),
        (None, Some(_)) => return Err(TlsError::Incomplete { missing: "cert" }),
        (Some(cert), Some(pkey)) => (cert, pkey),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = server_config_from_files(cert, pkey, provider)?;
    Ok(Some(Arc::new(server)))
}

/// Where the TLS listeners bind: every `listening-ip` on `tls-listening-port` (default
/// [`DEFAULT_TLS_LISTENING_PORT`]).
pub(crate) fn listen_addr(config: &Config, plain: SocketAddr) -> SocketAddr {
    let port = config
        .values
        .tls_listening_port
        .unwrap_or(DEFAULT_TLS_LISTENING_PORT);
    SocketAddr::new(plain.ip(), port)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A fresh directory removed on drop.
    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let path =
                std::env::temp_dir().join(format!("wren-relay-tls-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&path).expect("create a temporary directory");
            Dir(path)
        }

        fn file(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, text).expect("write a test file");
            path
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn with_files(cert: Option<PathBuf>, pkey: Option<PathBuf>) -> Config {
        let mut config = Config::default();
        config.values.cert = cert;
        config.values.pkey = pkey;
        config
    }

    fn error(cert: Option<PathBuf>, pkey: Option<PathBuf>) -> String {
        server_config(&with_files(cert, pkey))
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn no_files_no_tls_and_no_tls_wins() {
        assert!(server_config(&Config::default()).expect("ok").is_none());
        let mut c = with_files(Some("/nonexistent/c.pem".into()), None);
        c.values.no_tls = true;
        assert!(server_config(&c).expect("no-tls reads nothing").is_none());
    }

    #[test]
    fn a_self_signed_pair_serves_and_the_port_defaults_to_5349() {
        let dir = Dir::new("good");
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        let cert = dir.file("cert.pem", &certified.cert.pem());
        let pkey = dir.file("pkey.pem", &certified.signing_key.serialize_pem());
        let c = with_files(Some(cert), Some(pkey));
        assert!(server_config(&c).expect("a valid pair").is_some());
        let plain: SocketAddr = "127.0.0.1:3478".parse().expect("addr");
        assert_eq!(
            listen_addr(&c, plain),
            "127.0.0.1:5349".parse().expect("addr")
        );
        let mut c = c;
        c.values.tls_listening_port = Some(15349);
        assert_eq!(listen_addr(&c, plain).port(), 15349);
    }

    #[test]
    fn errors_name_the_file_and_what_is_wrong() {
        let dir = Dir::new("bad");
        let certified =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("rcgen");
        let other = rcgen::KeyPair::generate().expect("another key");
        let cert = dir.file("cert.pem", &certified.cert.pem());
        let pkey = dir.file("pkey.pem", &certified.signing_key.serialize_pem());
        let wrong_key = dir.file("wrong.pem", &other.serialize_pem());
        let text = dir.file("text.pem", "not a certificate\n");
        let truncated = dir.file("truncated.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n");
        let missing = dir.0.join("missing.pem");

        let e = error(Some(cert.clone()), None);
        assert!(e.contains("`pkey` is not set"), "{e}");
        let e = error(None, Some(pkey.clone()));
        assert!(e.contains("`cert` is not set"), "{e}");

        let e = error(Some(missing.clone()), Some(pkey.clone()));
        assert!(
            e.starts_with(&format!(
                "cannot read the certificate file {}",
                missing.display()
            )),
            "{e}"
        );
        let e = error(Some(cert.clone()), Some(missing.clone()));
        assert!(e.contains("private key file"), "{e}");

        let e = error(Some(text.clone()), Some(pkey.clone()));
        assert!(e.contains(&text.display().to_string()), "{e}");
        assert!(e.contains("no PEM `CERTIFICATE` block"), "{e}");
        let e = error(Some(truncated.clone()), Some(pkey.clone()));
        assert!(e.contains("is not valid PEM"), "{e}");
        // A certificate where the key should be.
        let e = error(Some(cert.clone()), Some(cert.clone()));
        assert!(e.contains("holds no unencrypted PEM private key"), "{e}");

        let e = error(Some(cert.clone()), Some(wrong_key.clone()));
        assert!(
            e.contains(&cert.display().to_string()) && e.contains(&wrong_key.display().to_string()),
            "{e}"
        );
        assert!(e.contains("cannot serve TLS"), "{e}");
    }
}
