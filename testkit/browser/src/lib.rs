//! Test support for real browsers (shared/INTEROP.md): a tiny HTTP server on 127.0.0.1 that
//! serves one page and takes what the page posts, and a headless browser started on it and
//! killed when dropped.
//!
//! The page talks to the test with `fetch`: `POST /offer` hands an SDP offer to the test
//! and waits for the answer the test gives ([`Page::answer`]); `POST /result` reports
//! anything (JSON, by convention), which the test reads with [`Page::report`].
//!
//! A browser runs on the host ([`Kind::start`]) or inside a network namespace of the test's
//! own ([`Netns`], [`Kind::start_in`]), where the page's server and the test's sockets are
//! made too ([`Page::serve_in`], [`Netns::run`]). Firefox needs the namespace: it finds its
//! default address by a UDP connect towards a public address, and the namespace gives it a
//! default route that goes nowhere (a veth pair whose two ends stay inside), so nothing it
//! sends can leave the machine.
//!
//! Set `WREN_BROWSER_STDERR=1` to see a browser's stderr (with `MOZ_LOG=signaling:4,jsep:4`
//! for Firefox's ICE and JSEP log, say, and `--no-capture` under nextest).
#![allow(clippy::disallowed_methods)] // test support with real processes: the real clock

mod browser;
mod netns;
mod page;

pub use browser::{Browser, Kind};
pub use netns::Netns;
pub use page::Page;
