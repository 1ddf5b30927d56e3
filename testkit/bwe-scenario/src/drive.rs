//! The run loop of a scenario, for any stack: link phases applied, a sample every
//! [`crate::SAMPLE_EVERY`], until the scenario's end.

use std::time::Duration;

use wren_netsim::{HostId, Sim, TopologyError};

use crate::recorder::{Recorder, Recording};
use crate::scenario::Scenario;

/// What the sender says at a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    /// Its current bandwidth estimate (target bitrate), bit/s.
    pub estimate_bps: u64,
    /// UDP payload bytes it has sent so far (a running total; only differences count).
    pub bytes_sent: u64,
}

/// Runs `scenario` from now (time 0): reads the sender's byte count (the base of the send
/// rate), applies the first phase to `sender`'s link, calls `start_media` (which tells the
/// sender to start sending, e.g. through `sim.with`), then every [`crate::SAMPLE_EVERY`]
/// runs the simulation to the sample time, applies the phase in force and takes a sample
/// with what `read` gives, until the scenario's duration.
///
/// Call it once the peers are connected. `read` sees the simulation, so it can look at the
/// sender's machine (`sim.machine::<M>(node)`).
///
/// # Errors
///
/// When `sender` is not a host of `sim`.
pub fn drive(
    scenario: &Scenario,
    stack: &str,
    sim: &mut Sim,
    sender: HostId,
    start_media: impl FnOnce(&mut Sim),
    mut read: impl FnMut(&Sim) -> Reading,
) -> Result<Recording, TopologyError> {
    let start = sim.now();
    let base = read(sim).bytes_sent;
    scenario.apply(sim, sender, Duration::ZERO)?;
    let mut rec = Recorder::new(scenario, stack, sim, sender);
    start_media(sim);
    while !rec.done() {
        let at = rec.next_at();
        sim.run_until(start + at);
        scenario.apply(sim, sender, at)?;
        let r = read(sim);
        rec.sample(sim, r.estimate_bps, r.bytes_sent.saturating_sub(base));
    }
    Ok(rec.finish())
}
