//! CSV and PNG of recordings: one run alone, or several stacks side by side.

use std::path::{Path, PathBuf};

use wren_plot::{Figure, Panel, PlotError, Series, Table};

use crate::recorder::Recording;

/// The CSV columns [`write_csv`] writes.
pub const CSV_COLUMNS: [&str; 5] = [
    "time_s",
    "estimate_kbps",
    "send_kbps",
    "queue_delay_ms",
    "capacity_kbps",
];

/// The samples of `r` as a [`Table`] of [`CSV_COLUMNS`].
///
/// # Errors
///
/// Never in practice (every row has the header's length); typed for [`Table::row`].
pub fn table(r: &Recording) -> Result<Table, PlotError> {
    let mut t = Table::new(CSV_COLUMNS);
    for s in &r.samples {
        t.row([
            s.t.as_secs_f64(),
            s.estimate_bps / 1000.0,
            s.send_bps / 1000.0,
            s.queue_delay.as_secs_f64() * 1000.0,
            s.capacity_bps / 1000.0,
        ])?;
    }
    Ok(t)
}

/// `bwe_<scenario>_<stack>.csv` in `dir`; returns its path.
///
/// # Errors
///
/// When the file cannot be written.
pub fn write_csv(dir: &Path, r: &Recording) -> Result<PathBuf, PlotError> {
    let path = dir.join(format!("bwe_{}_{}.csv", r.kind.as_str(), r.stack));
    table(r)?.write(&path)?;
    Ok(path)
}

/// The figure of one or more recordings of the same scenario: panel 1 each stack's
/// estimate and send rate in kbit/s with the capacity as a step line, panel 2 each
/// stack's queueing delay in ms.
#[must_use]
pub fn figure(title: &str, runs: &[&Recording]) -> Figure {
    let kbps = |r: &Recording, f: fn(&crate::Sample) -> f64| {
        r.samples
            .iter()
            .map(|s| (s.t.as_secs_f64(), f(s) / 1000.0))
            .collect::<Vec<_>>()
    };
    let mut rates = Panel::new("kbit/s");
    let mut delay = Panel::new("queueing delay (ms)");
    for r in runs {
        rates = rates
            .series(Series::line(
                format!("{} estimate", r.stack),
                kbps(r, |s| s.estimate_bps),
            ))
            .series(Series::line(
                format!("{} send rate (500 ms)", r.stack),
                kbps(r, |s| s.send_bps),
            ));
        delay = delay.series(Series::line(
            format!("{} queueing delay", r.stack),
            r.samples
                .iter()
                .map(|s| (s.t.as_secs_f64(), s.queue_delay.as_secs_f64() * 1000.0))
                .collect(),
        ));
    }
    if let Some(r) = runs.first() {
        // The capacity as a step line: from 0, and a point at each sample where it
        // changed (phases start on sample times).
        let mut steps: Vec<(f64, f64)> = Vec::new();
        let mut last = None;
        for s in &r.samples {
            if last != Some(s.capacity_bps) {
                let x = if steps.is_empty() {
                    0.0
                } else {
                    s.t.as_secs_f64()
                };
                steps.push((x, s.capacity_bps / 1000.0));
                last = Some(s.capacity_bps);
            }
        }
        rates = rates.series(Series::step("capacity", steps));
    }
    Figure::new(title).panel(rates).panel(delay)
}

/// `bwe_<scenario>_<name>.png` in `dir` with [`figure`] of `runs`; returns its path.
///
/// # Errors
///
/// When the figure cannot be drawn or written.
pub fn write_png(
    dir: &Path,
    name: &str,
    title: &str,
    runs: &[&Recording],
) -> Result<PathBuf, PlotError> {
    let kind = runs.first().map_or("none", |r| r.kind.as_str());
    let path = dir.join(format!("bwe_{kind}_{name}.png"));
    figure(title, runs).write_png(&path)?;
    Ok(path)
}
