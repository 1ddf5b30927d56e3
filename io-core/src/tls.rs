//! A TLS server configuration from the PEM files an operator names (a certificate chain and
//! its private key), with errors that name the file and what is wrong with it. The
//! servers' TLS listeners (wren-relay's `turns:`, wren-signal's `wss:`) read their files
//! through this, each with the crypto provider it chose.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why the files could not make a TLS server configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsFilesError {
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
    /// the provider does not support).
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

/// A TLS server configuration (TLS 1.3 and 1.2, rustls's safe defaults, no client
/// certificate) serving the chain in `cert` with the key in `pkey`, on `provider`.
///
/// # Errors
///
/// When either file cannot be read or parsed, or rustls refuses them together.
pub fn server_config_from_files(
    cert: &Path,
    pkey: &Path,
    provider: Arc<CryptoProvider>,
) -> Result<ServerConfig, TlsFilesError> {
    let chain = certificates(cert)?;
    let key = private_key(pkey)?;
    let refused = |source| TlsFilesError::Refused {
        cert: cert.to_owned(),
        pkey: pkey.to_owned(),
        source,
    };
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(refused)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(refused)
}

/// Reads a file whole, naming it in the error.
fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsFilesError> {
    std::fs::read(path).map_err(|source| TlsFilesError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// The `Malformed` error of `path`.
fn malformed(path: &Path, what: &'static str, reason: String) -> TlsFilesError {
    TlsFilesError::Malformed {
        what,
        path: path.to_owned(),
        reason,
    }
}

/// The certificate chain in `path`: its `CERTIFICATE` PEM blocks, leaf first.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsFilesError> {
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
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsFilesError> {
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
