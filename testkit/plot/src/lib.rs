//! Test support: a PNG of several time series in stacked panels ([`Figure`]) and a CSV
//! table ([`Table`]), for scenario tests that want a picture and the numbers behind it.
//!
//! It draws nothing on screen and needs no display: the chart is rendered by `plotters`
//! into an RGB buffer and written with `png`. Text uses DejaVu Sans, read once from
//! [`FONT_PATHS`] (Debian's `fonts-dejavu-core`, installed by `scripts/install-deps.sh`;
//! `WREN_PLOT_FONT` names another TTF).
//!
//! ```no_run
//! use wren_plot::{Figure, Panel, Series, Table};
//!
//! let t: Vec<f64> = (0..300).map(|i| f64::from(i) / 10.0).collect();
//! let estimate: Vec<(f64, f64)> = t.iter().map(|&x| (x, 1000.0 * (1.0 - (-x).exp()))).collect();
//! Figure::new("Bandwidth estimate")
//!     .x_label("time (s)")
//!     .panel(
//!         Panel::new("kbit/s")
//!             .series(Series::line("estimate", estimate.clone()))
//!             .series(Series::step("capacity", vec![(0.0, 1000.0), (30.0, 300.0)])),
//!     )
//!     .panel(Panel::new("queueing delay (ms)").series(Series::line("delay", vec![(0.0, 0.0)])))
//!     .write_png("bwe.png")?;
//!
//! let mut table = Table::new(["time_s", "estimate_kbps"]);
//! for (x, y) in estimate {
//!     table.row([x, y])?;
//! }
//! table.write("bwe.csv")?;
//! # Ok::<(), wren_plot::PlotError>(())
//! ```

mod csv;
mod error;
mod figure;
mod font;

pub use csv::Table;
pub use error::PlotError;
pub use figure::{Figure, Panel, Series, SeriesKind};
pub use font::FONT_PATHS;
