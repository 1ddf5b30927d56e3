//! A network namespace of the test's own, shaped for a browser (shared/INTEROP.md, "Firefox").
//!
//! ```text
//!   lo 127.0.0.1          the page's server, the test's sockets, the browser
//!   v0 10.255.255.1/24 ── v1 (no address)     both ends inside the namespace
//!   default dev v0        a default route that goes nowhere
//! ```
//!
//! Firefox finds its "default address" by connecting a UDP socket towards a public address
//! (no packet is sent); with `lo` alone that fails and it gathers no candidate at all. The
//! veth pair gives it a default route, and since both ends stay in the namespace and `v1`
//! has no address, whatever it sends towards any other address is dropped there: nothing
//! the browser sends can reach the host's network.
//!
//! Making the namespace needs root and `ip` (iproute2); without them [`Netns::new`] panics
//! with the command's output, so a test fails, never skips.
#![allow(unsafe_code)] // setns(2): one call, in Netns::run

use std::fs::File;
use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// Namespaces made by this process so far, for unique names.
static MADE: AtomicU32 = AtomicU32::new(0);

/// A network namespace made by the test (`wren-br-<pid>-<n>`), deleted when dropped.
///
/// Drop every process started in it first (a [`Browser`](crate::Browser) started with
/// [`Kind::start_in`](crate::Kind::start_in) is killed when it is dropped). Sockets made in
/// it with [`Netns::run`] keep it alive after that, but no address outside it reaches them.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// The namespace's address on `v0`: where the browser's default route points, and an
    /// address a test may offer as its candidate.
    pub const DEFAULT_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 255, 255, 1);

    /// Makes a namespace with `lo` up and the veth pair and default route drawn in the
    /// module doc ([`Netns::DEFAULT_ADDRESS`] on `v0`).
    ///
    /// # Panics
    ///
    /// When a step fails (not root, no `ip`); the namespace made so far is deleted.
    #[must_use]
    pub fn new() -> Netns {
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let ns = Netns {
            name: format!("wren-br-{}-{n}", std::process::id()),
        };
        // `ns` exists before the namespace does, so a half-made one is deleted too.
        ip(&["netns", "add", &ns.name]);
        let address = format!("{}/24", Netns::DEFAULT_ADDRESS);
        for args in [
            &["link", "set", "lo", "up"][..],
            &["link", "add", "v0", "type", "veth", "peer", "name", "v1"],
            &["addr", "add", &address, "dev", "v0"],
            &["link", "set", "v0", "up"],
            &["link", "set", "v1", "up"],
            &["route", "add", "default", "dev", "v0"],
        ] {
            let mut all = vec!["-n", &ns.name];
            all.extend_from_slice(args);
            ip(&all);
        }
        ns
    }

    /// Its name, as `ip netns` knows it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `f` on a thread that has entered the namespace, and returns what it returns.
    /// Sockets made by `f` belong to the namespace for good, whichever thread uses them.
    ///
    /// # Panics
    ///
    /// When the namespace cannot be entered, or when `f` panics.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.name);
        let file = File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
        std::thread::scope(|s| {
            s.spawn(|| {
                // SAFETY: setns(2) is given a descriptor that `file` keeps open for the
                // whole call and a namespace type; it touches no memory of ours and moves
                // only this thread (made here, ended when `f` returns) into the namespace.
                let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(
                    rc,
                    0,
                    "setns into {path}: {}",
                    std::io::Error::last_os_error()
                );
                f()
            })
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
        })
    }
}

impl Default for Netns {
    fn default() -> Netns {
        Netns::new()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs `ip args`; panics with its output when it fails.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip ({e}): a browser's namespace needs iproute2"));
    assert!(
        out.status.success(),
        "`ip {}` failed ({}): {}{}\n(a browser's network namespace needs root)",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}
