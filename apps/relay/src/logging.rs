//! Logging through `tracing`: to standard error, to coturn's `log-file` (appended to), or
//! both; and the `pidfile`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{Config, Verbosity};

/// Where log lines go: the log file and/or standard error.
#[derive(Clone)]
struct Sinks {
    file: Option<Arc<Mutex<File>>>,
    stderr: bool,
}

/// One log line's writer.
struct SinkWriter(Sinks);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(file) = &self.0.file {
            // A poisoned lock only means another thread panicked mid-line; keep logging.
            let mut f = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f.write_all(buf)?;
        }
        if self.0.stderr {
            io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(file) = &self.0.file {
            file.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .flush()?;
        }
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sinks {
    type Writer = SinkWriter;

    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter(self.clone())
    }
}

/// A file that could not be opened or written.
#[derive(Debug, thiserror::Error)]
#[error("{what} {path}: {source}")]
pub(crate) struct FileError {
    what: &'static str,
    path: PathBuf,
    source: io::Error,
}

/// Sets up logging: info by default, debug with `-v`, trace with `-V` (`RUST_LOG`
/// overrides); to the `log-file` when one is given (other than `stdout`), and to standard
/// error unless `no-stdout-log` is set with a log file.
pub(crate) fn init(config: &Config) -> Result<(), FileError> {
    let level = match config.verbosity() {
        Verbosity::Normal => "info",
        Verbosity::Verbose => "debug",
        Verbosity::Extra => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let path = config.values.log_file.as_deref().filter(|f| *f != "stdout");
    let file = match path {
        Some(p) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|source| FileError {
                    what: "cannot open the log file",
                    path: PathBuf::from(p),
                    source,
                })?;
            Some(Arc::new(Mutex::new(f)))
        }
        None => None,
    };
    let stderr = file.is_none() || !config.values.no_stdout_log;
    let ansi = file.is_none() && std::io::IsTerminal::is_terminal(&io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(Sinks { file, stderr })
        .init();
    Ok(())
}

/// The pid file, removed when dropped.
pub(crate) struct PidFile(PathBuf);

impl PidFile {
    /// Writes this process's id to `path`.
    pub(crate) fn create(path: &Path) -> Result<PidFile, FileError> {
        std::fs::write(path, format!("{}\n", std::process::id())).map_err(|source| FileError {
            what: "cannot write the pid file",
            path: path.to_owned(),
            source,
        })?;
        Ok(PidFile(path.to_owned()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
