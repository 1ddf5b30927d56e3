//! Test support: the bandwidth-estimation scenarios of issue 14, shared by the wren-media
//! run (two wren-rtc peers in frame mode) and the str0m 0.25 baseline
//! (`benches/tests/bwe_str0m.rs`), so both are judged and plotted the same way.
//!
//! - [`Scenario`]: the sender's access link over time on wren-netsim
//!   ([`Scenario::bottleneck`]: 1 Mbit/s, a 50-packet queue, 25 ms one way, 300 kbit/s
//!   from 30 s to 45 s; [`Scenario::loss`]: 5 Mbit/s with 5% random loss for 30 s), and
//!   the start and max bitrates both senders use ([`START_BPS`], [`MAX_BPS`]).
//! - [`drive`]: the run loop (phases applied, samples taken) around the test's
//!   simulation, for any stack.
//! - [`Recorder`]: a [`Sample`] every 100 ms (estimate, send rate over the last 500 ms,
//!   queueing delay at the bottleneck, capacity), giving a [`Recording`].
//! - [`checks`]: settle, delay, follow and no collapse, each a [`Verdict`] (the module docs
//!   define them).
//! - [`report`]: CSV and the PNG (estimate, send rate and capacity over queueing delay).
//!
//! It does not build the peers: the test does and connects them, then hands the
//! simulation to [`drive`] with a closure that starts the sender's media and one that
//! reads the sender's estimate and byte count (`Peer` stands for the stack's machine; `benches/src/bwe.rs` does exactly this
//! for str0m):
//!
//! ```no_run
//! # use std::time::Instant;
//! # use wren_netsim::{HostConfig, LinkConfig, Sim};
//! use wren_bwe_scenario::{Reading, Scenario, checks, drive, report};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = Scenario::bottleneck();
//! let mut sim = Sim::new(1, Instant::now());
//! let sender = sim.add_host(
//!     HostConfig::public("10.0.0.1".parse()?).with_link(LinkConfig::ideal().with_delay(wren_bwe_scenario::ONE_WAY)),
//! );
//! let _receiver =
//!     sim.add_host(HostConfig::public("10.0.0.2".parse()?).with_link(LinkConfig::ideal()));
//! // ... add both peers as machines (the sender's start bitrate START_BPS, its max
//! // MAX_BPS), connect them (sim.run_until_cond) ...
//! let start_media = |sim: &mut Sim| {
//!     // e.g. sim.with(node, |p: &mut Peer, now| p.start_media(now));
//! };
//! let wren = drive(&scenario, "wren", &mut sim, sender, start_media, |sim| {
//!     // e.g. let p = sim.machine::<Peer>(node);
//!     Reading { estimate_bps: 0, bytes_sent: 0 }
//! })?;
//! for v in checks::verdicts(&wren) {
//!     println!("{v}");
//! }
//! let dir = std::path::Path::new("target"); // a test uses env!("CARGO_TARGET_TMPDIR")
//! report::write_csv(dir, &wren)?;
//! report::write_png(dir, "wren", "wren-media GCC, 1 Mbit/s then 300 kbit/s", &[&wren])?;
//! # Ok(()) }
//! ```
//!
//! [`Recorder`] is the loop's sampling part, for a test that drives the simulation its
//! own way.
//!
//! Side by side with str0m: [`report::write_png`] takes several recordings of one
//! scenario (`&[&wren, &str0m]`) and draws them in the same panels; the str0m run is
//! `wren_benches::bwe::str0m_run`, which a test in benches/ can call beside the wren run.

pub mod checks;
mod drive;
mod recorder;
pub mod report;
mod scenario;

pub use checks::{Check, Measured, Verdict};
pub use drive::{Reading, drive};
pub use recorder::{RATE_WINDOW, Recorder, Recording, SAMPLE_EVERY, Sample};
pub use scenario::{MAX_BPS, ONE_WAY, Phase, QUEUE_PACKETS, START_BPS, Scenario, ScenarioKind};
