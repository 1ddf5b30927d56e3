//! Test support for real browsers (shared/INTEROP.md): a tiny HTTP server on 127.0.0.1 that
//! serves one page and takes what the page posts, and a headless browser started on it and
//! killed when dropped.
//!
//! The page talks to the test with `fetch`: `POST /offer` hands an SDP offer to the test
//! and waits for the answer the test gives ([`Page::answer`]); `POST /result` reports
//! anything (JSON, by convention), which the test reads with [`Page::report`].
#![allow(clippy::disallowed_methods)] // test support with real processes: the real clock

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A page served on 127.0.0.1 and the channels to what it posts.
#[derive(Debug)]
pub struct Page {
    url: String,
    offers: mpsc::Receiver<String>,
    answers: mpsc::Sender<String>,
    reports: mpsc::Receiver<String>,
}

impl Page {
    /// Serves `html` at `/` from a thread of its own until the test ends.
    #[must_use]
    pub fn serve(html: String) -> Page {
        let http = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/", http.local_addr().expect("its address"));
        let (offer_tx, offers) = mpsc::channel();
        let (answers, answer_rx) = mpsc::channel();
        let (report_tx, reports) = mpsc::channel();
        std::thread::spawn(move || serve(&http, &html, &offer_tx, &answer_rx, &report_tx));
        Page {
            url,
            offers,
            answers,
            reports,
        }
    }

    /// The page's address.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The next offer the page posts.
    ///
    /// # Panics
    ///
    /// When none comes within `timeout`.
    #[must_use]
    pub fn offer(&self, timeout: Duration) -> String {
        self.offers
            .recv_timeout(timeout)
            .expect("the page posts its offer")
    }

    /// Answers the offer the page posted.
    pub fn answer(&self, sdp: String) {
        let _ = self.answers.send(sdp);
    }

    /// The next report, if one comes within `timeout`.
    #[must_use]
    pub fn report(&self, timeout: Duration) -> Option<String> {
        self.reports.recv_timeout(timeout).ok()
    }

    /// The reports posted so far and not read.
    pub fn reports(&self) -> impl Iterator<Item = String> + '_ {
        self.reports.try_iter()
    }
}

fn serve(
    http: &TcpListener,
    html: &str,
    offers: &mpsc::Sender<String>,
    answers: &mpsc::Receiver<String>,
    reports: &mpsc::Sender<String>,
) {
    for conn in http.incoming() {
        let Ok(mut conn) = conn else { return };
        let Ok(clone) = conn.try_clone() else {
            continue;
        };
        let mut reader = BufReader::new(clone);
        let mut request = String::new();
        if reader.read_line(&mut request).is_err() {
            continue;
        }
        let mut length = 0;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        let body = String::from_utf8_lossy(&body).into_owned();
        let (ctype, reply) = if request.starts_with("GET / ") {
            ("text/html", html.to_owned())
        } else if request.starts_with("POST /offer") {
            let _ = offers.send(body);
            ("application/sdp", answers.recv().unwrap_or_default())
        } else if request.starts_with("POST /result") {
            let _ = reports.send(body);
            ("text/plain", String::new())
        } else {
            ("text/plain", String::new())
        };
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{reply}",
            reply.len()
        );
    }
}

/// A browser this crate can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Headless Chromium (Debian's `chromium`, which `scripts/install-deps.sh` installs).
    Chromium,
}

impl Kind {
    /// A short name, for files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chromium => "chromium",
        }
    }

    /// The program.
    ///
    /// # Panics
    ///
    /// When it is not installed (the message says which package to install).
    #[must_use]
    pub fn program(self) -> &'static str {
        let (paths, package): (&[&str], _) = match self {
            Kind::Chromium => (
                &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
                "chromium",
            ),
        };
        paths
            .iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| panic!("scripts/install-deps.sh installs the apt package {package}"))
    }

    /// Its version, as it prints it.
    #[must_use]
    pub fn version(self) -> String {
        Command::new(self.program())
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    /// Starts it headless on `url` with a fresh profile.
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    #[must_use]
    pub fn start(self, url: &str) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "wren-{}-{}-{}",
            self.name(),
            std::process::id(),
            url.rsplit(':').next().unwrap_or("").trim_end_matches('/')
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("a profile directory");
        let mut cmd = Command::new(self.program());
        match self {
            Kind::Chromium => {
                cmd.args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ])
                .arg(format!("--user-data-dir={}", profile.display()));
            }
        }
        let child = cmd
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the browser starts");
        Browser { child, profile }
    }
}

/// A running browser: killed, and its profile removed, when dropped.
#[derive(Debug)]
pub struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
