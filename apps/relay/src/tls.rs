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
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::{info, warn};

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
    /// A file could not be read.
    #[error("cannot read the {what} file {}: {source}", path.display())]
    Read {
        /// "certificate" or "private key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file was read but holds no usable PEM of the kind wanted.
    #[error("the {what} file {} {reason}", path.display())]
    Malformed {
        /// "certificate" or "private key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it, and what PEM it should hold.
        reason: String,
    },
    /// rustls refused the pair (a key that does not match the certificate, an algorithm
    /// ring does not support).
    #[error("the certificate {} and key {} cannot serve TLS: {source}", cert.display(), pkey.display())]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        pkey: PathBuf,
        /// What rustls said.
        source: rustls::Error,
    },
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
    let chain = certificates(cert)?;
    let key = private_key(pkey)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let refused = |source| TlsError::Refused {
        cert: cert.clone(),
        pkey: pkey.clone(),
        source,
    };
    let server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(refused)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(refused)?;
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

/// Reads a file whole, naming it in the error.
fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// The `Malformed` error of `path`.
fn malformed(path: &Path, what: &'static str, reason: String) -> TlsError {
    TlsError::Malformed {
        what,
        path: path.to_owned(),
        reason,
    }
}

/// The certificate chain in `path`: its `CERTIFICATE` PEM blocks, leaf first.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    const WHAT: &str = "certificate";
    let pem = read(path, WHAT)?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| malformed(path, WHAT, format!("is not valid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(malformed(
            path,
            WHAT,
            "holds no PEM `CERTIFICATE` block".to_owned(),
        ));
    }
    Ok(chain)
}

/// The private key in `path`: its first unencrypted PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM
/// block.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    const WHAT: &str = "private key";
    let pem = read(path, WHAT)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        let reason = match e {
            pem::Error::NoItemsFound => "holds no unencrypted PEM private key (`PRIVATE KEY`, \
                                         `RSA PRIVATE KEY` or `EC PRIVATE KEY`)"
                .to_owned(),
            e => format!("is not valid PEM: {e}"),
        };
        malformed(path, WHAT, reason)
    })
}

#[cfg(test)]
mod tests {
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
