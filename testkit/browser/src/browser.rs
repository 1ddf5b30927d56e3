//! The browsers this crate starts: which program, with which switches or profile, and the
//! process that is killed (with its whole process group) when dropped.
#![allow(unsafe_code)] // kill(2) of the browser's process group, in Browser::drop

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::Netns;

/// Profiles made by this process so far, for unique directory names.
static PROFILES: AtomicU32 = AtomicU32::new(0);

/// What Firefox's fresh profile sets (shared/INTEROP.md, "Firefox"): fake media without a
/// prompt, host candidates on loopback and under their own addresses (no mDNS names), and
/// no offline mode when the namespace looks offline to it. The rest keeps a first run from
/// reaching for the network (updates, telemetry, remote settings, captive-portal checks);
/// in a [`Netns`] nothing could leave anyway.
const FIREFOX_PREFS: &str = r#"user_pref("media.navigator.streams.fake", true);
user_pref("media.navigator.permission.disabled", true);
user_pref("media.peerconnection.ice.loopback", true);
user_pref("media.peerconnection.ice.obfuscate_host_addresses", false);
user_pref("network.manage-offline-status", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.trr.mode", 5);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.safebrowsing.update.enabled", false);
user_pref("browser.safebrowsing.downloads.remote.enabled", false);
user_pref("app.update.auto", false);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("dom.push.connection.enabled", false);
"#;

/// A browser this crate can start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Headless Chromium (Debian's `chromium`, which `scripts/install-deps.sh` installs).
    Chromium,
    /// Headless Firefox ESR (Debian's `firefox-esr`, which `scripts/install-deps.sh`
    /// installs), with no driver: a fresh profile whose `user.js` sets the prefs of
    /// shared/INTEROP.md. Start it in a [`Netns`] ([`Kind::start_in`]): on the host it
    /// gathers only on the host's default address, and whatever it sends there could
    /// leave the machine.
    Firefox,
}

impl Kind {
    /// A short name, for files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chromium => "chromium",
            Kind::Firefox => "firefox",
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
            Kind::Firefox => (&["/usr/bin/firefox-esr", "/usr/bin/firefox"], "firefox-esr"),
        };
        paths
            .iter()
            .find(|p| Path::new(p).exists())
            .unwrap_or_else(|| {
                panic!(
                    "{package} is not installed (none of {paths:?}): scripts/install-deps.sh \
                     installs the apt package {package}"
                )
            })
    }

    /// Its version, as it prints it (`Chromium 148.0.7778.167 built on Debian ...`,
    /// `Mozilla Firefox 140.10.2esr`).
    #[must_use]
    pub fn version(self) -> String {
        Command::new(self.program())
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    }

    /// The major version: the first number of [`Kind::version`] (`148`, `140`), for names
    /// of fixtures.
    ///
    /// # Panics
    ///
    /// When the version printed has no number.
    #[must_use]
    pub fn major_version(self) -> u32 {
        let version = self.version();
        version
            .split(|c: char| !c.is_ascii_digit())
            .find(|n| !n.is_empty())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no version number in {version:?}"))
    }

    /// Starts it headless on `url` with a fresh profile, on the host's network.
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    #[must_use]
    pub fn start(self, url: &str) -> Browser {
        self.launch(None, url, &[])
    }

    /// As [`Kind::start`], with more command-line arguments for the browser (Chromium's
    /// `--ignore-certificate-errors` for a test's self-signed certificate,
    /// `--use-fake-device-for-media-stream` and `--use-fake-ui-for-media-stream` for a
    /// camera, ...).
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    #[must_use]
    pub fn start_with_args(self, url: &str, args: &[&str]) -> Browser {
        self.launch(None, url, args)
    }

    /// Starts it headless on `url` with a fresh profile, inside `ns` (through
    /// `ip netns exec`, which becomes the browser): serve the page there with
    /// [`Page::serve_in`](crate::Page::serve_in). Drop the browser before `ns`.
    ///
    /// # Panics
    ///
    /// When it cannot be started.
    #[must_use]
    pub fn start_in(self, ns: &Netns, url: &str) -> Browser {
        self.launch(Some(ns), url, &[])
    }

    fn launch(self, ns: Option<&Netns>, url: &str, extra: &[&str]) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "wren-{}-{}-{}",
            self.name(),
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("a profile directory");
        let program = self.program();
        let mut cmd = match ns {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns.name(), program]);
                cmd
            }
            None => Command::new(program),
        };
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
            Kind::Firefox => {
                std::fs::write(profile.join("user.js"), FIREFOX_PREFS).expect("write user.js");
                cmd.args(["--headless", "--no-remote", "--profile"])
                    .arg(&profile)
                    .env("MOZ_HEADLESS", "1")
                    .env("MOZ_CRASHREPORTER_DISABLE", "1");
            }
        }
        let stderr = if std::env::var_os("WREN_BROWSER_STDERR").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        };
        let child = cmd
            .args(extra)
            .arg(url)
            .stdout(Stdio::null())
            .stderr(stderr)
            // Its own process group, so that dropping it kills its helpers too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("{program} does not start: {e}"));
        Browser { child, profile }
    }
}

/// A running browser: killed with its process group, and its profile removed, when dropped.
#[derive(Debug)]
pub struct Browser {
    child: Child,
    profile: PathBuf,
}

impl Browser {
    /// Its process id: the leader of its process group, which holds all its processes.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its profile directory (made fresh at start, removed when dropped).
    #[must_use]
    pub fn profile(&self) -> &Path {
        &self.profile
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(group) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) reads no memory of ours. The group is the one the child leads
            // (process_group(0)); the child is not yet waited for, so its id cannot have
            // been reused for another group.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its helpers die a moment after the leader; the profile goes once they are gone
        // (or after a bounded wait, so that a stuck one cannot hang the test).
        if let Ok(group) = libc::pid_t::try_from(self.child.id()) {
            let deadline = Instant::now() + Duration::from_secs(5);
            // SAFETY: kill(2) reads no memory of ours, and signal 0 sends nothing: it only
            // asks whether a process of the group is left (the group's id stays reserved
            // while one is).
            while unsafe { libc::kill(-group, 0) } == 0 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}
