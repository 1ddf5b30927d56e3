//! A table of numbers written as CSV (RFC 4180: a header line, comma-separated values).

use std::fmt::Write as _;
use std::path::Path;

use crate::PlotError;

/// Named columns of `f64` rows, written as CSV with [`Table::write`].
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<f64>>,
}

impl Table {
    /// An empty table with these column names (written as they are: keep commas and
    /// quotes out of them).
    #[must_use]
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Table {
        Table {
            columns: columns.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    ///
    /// # Errors
    ///
    /// [`PlotError::RowLength`] when it does not have one value per column.
    pub fn row(&mut self, values: impl IntoIterator<Item = f64>) -> Result<(), PlotError> {
        let row: Vec<f64> = values.into_iter().collect();
        if row.len() != self.columns.len() {
            return Err(PlotError::RowLength {
                columns: self.columns.len(),
                got: row.len(),
            });
        }
        self.rows.push(row);
        Ok(())
    }

    /// The rows so far.
    #[must_use]
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }

    /// The CSV text: the header, then one line per row (`NaN` written empty).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = self.columns.join(",");
        out.push('\n');
        for row in &self.rows {
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !v.is_nan() {
                    let _ = write!(out, "{v}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`Table::to_csv`] to `path`.
    ///
    /// # Errors
    ///
    /// [`PlotError::Io`] when the file cannot be written.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        std::fs::write(path, self.to_csv())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_header_and_rows_and_refuses_short_rows() {
        let mut t = Table::new(["t", "x"]);
        t.row([0.5, 1.0]).expect("two values");
        t.row([1.0, f64::NAN]).expect("two values");
        assert!(matches!(
            t.row([1.0]),
            Err(PlotError::RowLength { columns: 2, got: 1 })
        ));
        assert_eq!(t.to_csv(), "t,x\n0.5,1\n1,\n");
    }
}
