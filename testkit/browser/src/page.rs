//! The page a browser opens: served by a thread of the test, with channels to what it posts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use crate::Netns;

/// A page served on 127.0.0.1 and the channels to what it posts.
#[derive(Debug)]
pub struct Page {
    url: String,
    offers: mpsc::Receiver<String>,
    answers: mpsc::Sender<String>,
    reports: mpsc::Receiver<String>,
}

impl Page {
    /// Serves `html` at `/` on 127.0.0.1 of the host from a thread of its own until the test
    /// ends.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound.
    #[must_use]
    pub fn serve(html: String) -> Page {
        let http = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        Page::serve_on(http, html)
    }

    /// Serves `html` at `/` on 127.0.0.1 inside `ns` (for a browser started there with
    /// [`Kind::start_in`](crate::Kind::start_in)), until the test ends. The listener is
    /// made inside the namespace and keeps it; the thread that serves it need not be there.
    ///
    /// # Panics
    ///
    /// When no loopback port can be bound there.
    #[must_use]
    pub fn serve_in(ns: &Netns, html: String) -> Page {
        let http = ns
            .run(|| TcpListener::bind("127.0.0.1:0"))
            .expect("bind a loopback port in the namespace");
        Page::serve_on(http, html)
    }

    fn serve_on(http: TcpListener, html: String) -> Page {
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
