//! A server's `main`: the HTTP API of a [`Calls`] (`http.rs`) on `--listen`, its calls'
//! UDP sockets on `--media-ip`, until Ctrl-C; then every call is stopped and finished
//! ([`Calls::stop_all`]) before it returns. The `echo` example's, and wren-media's `play`
//! and `record` examples'.

use std::error::Error;
use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use wren_dtls::identity::Identity;

use super::calls::{Calls, Service};

/// A boxed error: what can stop a server from starting.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The flags every such server takes (flatten them into the example's own).
#[derive(Debug, Clone, clap::Args)]
pub struct ServerArgs {
    /// The HTTP address to listen on (port 0: any free port; the one taken is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The IP address of the calls' UDP sockets (their host candidates); by default the
    /// IP of `--listen` (which must then not be unspecified).
    #[arg(long)]
    pub media_ip: Option<IpAddr>,
}

/// Runs the server named `name` (for messages) with `args` and the [`Service`] that
/// `service` makes from the server's DTLS certificate; the process's exit code. Errors
/// (the service's, a port that cannot be bound) are printed as `name: error`.
///
/// It prints `name listening on http://ADDR/` on stdout once it listens, and logs with
/// `tracing` (`RUST_LOG`, `info` by default) on stderr.
pub fn main<S: Service>(
    name: &str,
    args: &ServerArgs,
    service: impl FnOnce(Arc<Identity>) -> Result<S, BoxError>,
) -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours for a terminal, plain text for a log file or a test's pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let run = Identity::generate()
        .map_err(BoxError::from)
        .and_then(|identity| service(Arc::new(identity)))
        .and_then(|service| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(BoxError::from)
                .and_then(|rt| rt.block_on(serve(name, args, service)))
        });
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Serves until Ctrl-C, then stops every call.
async fn serve<S: Service>(name: &str, args: &ServerArgs, service: S) -> Result<(), BoxError> {
    let media_ip = args.media_ip.unwrap_or(args.listen.ip());
    if media_ip.is_unspecified() {
        return Err(
            "--media-ip must be given when --listen is an unspecified address \
                    (a host candidate needs a real address)"
                .into(),
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let local = listener.local_addr()?;
    println!("{name} listening on http://{local}/");
    tracing::info!(listen = %local, %media_ip, "{name} server ready");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let calls = Calls::new(media_ip, service);
    super::http::serve(listener, Arc::clone(&calls), shutdown).await?;
    calls.stop_all().await;
    tracing::info!(ended = calls.ended().len(), "{name} server stopped");
    Ok(())
}
