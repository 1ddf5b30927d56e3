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
        self.post_as(path, body, None).await
    }

    /// [`Tls::post`], signed with `key` when given (SigV4 `Authorization` header).
    pub(crate) async fn post_as(
        &self,
        path: &str,
        body: &Value,
        key: Option<(&str, &str)>,
    ) -> (u16, Value) {
        let mut s = self.stream().await;
        s.write_all(post_request("localhost", path, body, key).as_bytes())
            .await
            .unwrap();
        let mut resp = Vec::new();
        let _ = s.read_to_end(&mut resp).await;
        parse_response(&String::from_utf8(resp).unwrap())
    }
}

/// The region tests sign for (the server's default).
pub(crate) const REGION: &str = "us-west-2";

/// An HTTP/1.1 POST of `body` as JSON to `path` on `host`, closing after the answer; signed
/// with `key` (access key id, secret) as an AWS SDK signs a KVS call when given.
pub(crate) fn post_request(
    host: &str,
    path: &str,
    body: &Value,
    key: Option<(&str, &str)>,
) -> String {
    use wren_signal::auth::sigv4::header;
    let body = body.to_string();
    let mut headers = vec![
        ("Host".to_owned(), host.to_owned()),
        ("Content-Type".to_owned(), "application/json".to_owned()),
    ];
    if let Some((access_key, secret)) = key {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        headers.push((
            "X-Amz-Date".to_owned(),
            wren_signal::auth::sigv4::amz_date(now),
        ));
        let auth = header::authorization(
            &header::Request {
                method: "POST",
                path,
                query: &[],
                headers: &headers,
                payload: body.as_bytes(),
            },
            &header::Credentials {
                access_key,
                secret,
                region: REGION,
                service: "kinesisvideo",
            },
        )
        .unwrap();
        headers.push(("Authorization".to_owned(), auth));
    }
    let mut req = format!("POST {path} HTTP/1.1\r\n");
    for (n, v) in &headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    req
}

/// The status and JSON body of an HTTP/1.1 response (`Null` when the body is not JSON).
pub(crate) fn parse_response(resp: &str) -> (u16, Value) {
    let status = resp[9..12].parse().unwrap();
    let json = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, json)
}

/// `packages` installed from the npm registry into `CARGO_TARGET_TMPDIR/dir` once (when
/// `marker`, a path below its `node_modules`, is not there yet); the `node_modules` path.
pub(crate) fn npm_install(dir: &str, packages: &[&str], marker: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let modules = dir.join("node_modules");
    if !modules.join(marker).exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let out = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(&dir)
            .args(packages)
            .output()
            .expect("npm runs (scripts/install-deps.sh installs it)");
        assert!(
            out.status.success(),
            "npm install {packages:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    modules
}
