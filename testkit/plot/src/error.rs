//! What can go wrong while writing a plot or a table.

use std::path::PathBuf;

/// Why a [`crate::Figure`] or [`crate::Table`] was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// No font file was found (run `scripts/install-deps.sh`, which installs Debian's
    /// `fonts-dejavu-core`, or set `WREN_PLOT_FONT`).
    #[error("no font found (tried {tried:?}): run scripts/install-deps.sh or set WREN_PLOT_FONT")]
    FontMissing {
        /// The paths tried.
        tried: Vec<PathBuf>,
    },
    /// The font file is not a TrueType/OpenType font.
    #[error("{0} is not a usable font")]
    FontInvalid(PathBuf),
    /// A figure without panels, or with no point in any series.
    #[error("nothing to plot")]
    Empty,
    /// A table row whose length differs from the header's.
    #[error("a row of {got} values in a table of {columns} columns")]
    RowLength {
        /// Columns of the table.
        columns: usize,
        /// Values in the row.
        got: usize,
    },
    /// plotters failed to draw (its error, as text: its type is generic over the backend).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Writing the file failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// PNG encoding failed.
    #[error("png: {0}")]
    Png(#[from] png::EncodingError),
}
