//! Test support: the bandwidth-estimation scenarios of issue 14, shared by the wren-media
//! run (two wren-rtc peers in frame mode) and the str0m 0.25 baseline
//! (`benches/tests/bwe_str0m.rs`), so both are judged and plotted the same way.
//!
//! - [`Scenario`]: the sender's access link over time on wren-netsim
//!   ([`Scenario::bottleneck`]: 1 Mbit/s, a 50-packet queue, 25 ms one way, 300 kbit/s
//!   from 30 s to 45 s; [`Scenario::loss`]: 5 Mbit/s with 5% random loss for 30 s), and
//!   the start and max bitrates both senders use ([`START_BPS`], [`MAX_BPS`]).
//! - [`Recorder`]: a [`Sample`] every 100 ms (estimate, send rate over the last 500 ms,
//!   queueing delay at the bottleneck, capacity), giving a [`Recording`].
//! - [`checks`]: settle, delay, follow and no collapse, each a [`Verdict`] (the module docs
//!   define them).
//! - [`report`]: CSV and the PNG (estimate, send rate and capacity over queueing delay).
//!
//! It does not drive the peers: the test owns its run loop. The shape of one run
//! (`Peer` stands for the stack's machine; the str0m test does exactly this):
//!
//! ```no_run
//! # use std::time::{Duration, Instant};
//! # use wren_netsim::{HostConfig, LinkConfig, Sim};
//! use wren_bwe_scenario::{Recorder, Scenario, checks, report};
//!
//! # fn estimate_bps(sim: &Sim) -> u64 { 0 }
//! # fn bytes_sent(sim: &Sim) -> u64 { 0 }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scenario = Scenario::bottleneck();
//! let mut sim = Sim::new(1, Instant::now());
//! let sender = sim.add_host(HostConfig::public("10.0.0.1".parse()?));
//! let _receiver =
//!     sim.add_host(HostConfig::public("10.0.0.2".parse()?).with_link(LinkConfig::ideal()));
//! // ... add both peers as machines, connect them (sim.run_until_cond) ...
//! let start = sim.now();
//! scenario.apply(&mut sim, sender, Duration::ZERO)?;
//! let mut rec = Recorder::new(&scenario, "wren", &mut sim, sender);
//! while !rec.done() {
//!     let at = rec.next_at();
//!     sim.run_until(start + at); // the peers send frames sized from their estimate
//!     scenario.apply(&mut sim, sender, at)?;
//!     let (estimate, sent) = (estimate_bps(&sim), bytes_sent(&sim));
//!     rec.sample(&mut sim, estimate, sent);
//! }
//! let wren = rec.finish();
//! for v in checks::verdicts(&wren) {
//!     println!("{v}");
//! }
//! let dir = std::path::Path::new("target"); // a test uses env!("CARGO_TARGET_TMPDIR")
//! report::write_csv(dir, &wren)?;
//! report::write_png(dir, "wren", "wren-media GCC, 1 Mbit/s then 300 kbit/s", &[&wren])?;
//! # Ok(()) }
//! ```
//!
//! Side by side with str0m: [`report::write_png`] takes several recordings of one
//! scenario (`&[&wren, &str0m]`) and draws them in the same panels; the str0m run is
//! `wren_benches::str0m_peer` driven by `benches/tests/bwe_str0m.rs`, which a wren-media
//! test can copy or depend on (wren-benches as a dev-dependency).

pub mod checks;
mod recorder;
pub mod report;
mod scenario;

pub use checks::{Check, Measured, Verdict};
pub use recorder::{RATE_WINDOW, Recorder, Recording, SAMPLE_EVERY, Sample};
pub use scenario::{MAX_BPS, ONE_WAY, Phase, QUEUE_PACKETS, START_BPS, Scenario, ScenarioKind};
