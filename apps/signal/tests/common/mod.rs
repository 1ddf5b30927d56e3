//! Test support: wren-signal served over TLS with a self-signed certificate, and a client
//! that trusts it.
#![allow(dead_code, clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use wren_signal::server::{self, Config};

/// A server over TLS and a client that trusts its certificate.
pub(crate) struct Tls {
    pub(crate) addr: String,
    connector: TlsConnector,
}

/// Serves the default configuration over TLS.
pub(crate) async fn start() -> Tls {
    start_with(Config::default()).await
}

/// Serves `config` over TLS on 127.0.0.1 (a fresh self-signed certificate for `localhost`).
pub(crate) async fn start_with(config: Config) -> Tls {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key =
        rustls::pki_types::PrivateKeyDer::try_from(certified.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let client_config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let config = Config {
        tls_config: Some(Arc::new(server_config)),
        tls_handshake_timeout: Duration::from_secs(2),
        ..config
    };
    tokio::spawn(server::serve(listener, config, std::future::pending()));
    Tls {
        addr,
        connector: TlsConnector::from(Arc::new(client_config)),
    }
}

impl Tls {
    pub(crate) async fn stream(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        let tcp = TcpStream::connect(&self.addr).await.unwrap();
        self.connector
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap()
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let mut s = self.stream().await;
        let body = body.to_string();
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp).await;
        let resp = String::from_utf8(resp).unwrap();
        let status = resp[9..12].parse().unwrap();
        let json = resp
            .split_once("\r\n\r\n")
            .map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        (status, json)
    }
}
