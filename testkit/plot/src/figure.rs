//! A figure: a title over panels stacked top to bottom that share the x axis, each with
//! its y label, its series and a legend.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use plotters::prelude::*;

use crate::PlotError;
use crate::font::{self, FAMILY};

/// Series colours, in the order series are added to a panel.
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(80, 80, 80),
];

/// How a series joins its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesKind {
    /// Straight lines from point to point.
    Line,
    /// A staircase: each value holds until the next point's x, and the last one to the
    /// end of the x axis (a configured capacity that changes at given times).
    Step,
}

/// One named series of `(x, y)` points (non-finite points are left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The name in the legend.
    pub name: String,
    /// How points are joined.
    pub kind: SeriesKind,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A [`SeriesKind::Line`] series.
    #[must_use]
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            kind: SeriesKind::Line,
            points,
        }
    }

    /// A [`SeriesKind::Step`] series.
    #[must_use]
    pub fn step(name: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            name: name.into(),
            kind: SeriesKind::Step,
            points,
        }
    }

    fn finite(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    }

    /// The points to draw, steps expanded, up to `x_end`.
    fn path(&self, x_end: f64) -> Vec<(f64, f64)> {
        match self.kind {
            SeriesKind::Line => self.finite().collect(),
            SeriesKind::Step => {
                let mut out: Vec<(f64, f64)> = Vec::new();
                for (x, y) in self.finite() {
                    if let Some(&(_, prev)) = out.last() {
                        out.push((x, prev));
                    }
                    out.push((x, y));
                }
                if let Some(&(x, y)) = out.last()
                    && x < x_end
                {
                    out.push((x_end, y));
                }
                out
            }
        }
    }
}

/// One panel: a y axis label and its series.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The y axis label (with the unit).
    pub y_label: String,
    /// The series, drawn in order.
    pub series: Vec<Series>,
}

impl Panel {
    /// A panel without series.
    #[must_use]
    pub fn new(y_label: impl Into<String>) -> Panel {
        Panel {
            y_label: y_label.into(),
            series: Vec::new(),
        }
    }

    /// Adds a series.
    #[must_use]
    pub fn series(mut self, s: Series) -> Panel {
        self.series.push(s);
        self
    }

    /// From 0 (or below, for negative values) to 10% over the largest value.
    fn y_range(&self) -> (f64, f64) {
        let ys = self.series.iter().flat_map(|s| s.finite().map(|(_, y)| y));
        let (lo, hi) = ys.fold((0.0f64, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
        let hi = if hi > lo { hi * 1.1 } else { lo + 1.0 };
        (lo, hi)
    }
}

/// A titled figure of stacked panels sharing the x axis, written with
/// [`Figure::write_png`].
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The title over the panels.
    pub title: String,
    /// The x axis label, under each panel.
    pub x_label: String,
    /// The panels, top to bottom.
    pub panels: Vec<Panel>,
    /// Width of the image in pixels (default 1200).
    pub width: u32,
    /// Height of each panel in pixels (default 400); the title adds 40.
    pub panel_height: u32,
}

impl Figure {
    /// A figure without panels, 1200 pixels wide, x labelled "time (s)".
    #[must_use]
    pub fn new(title: impl Into<String>) -> Figure {
        Figure {
            title: title.into(),
            x_label: "time (s)".into(),
            panels: Vec::new(),
            width: 1200,
            panel_height: 400,
        }
    }

    /// Sets [`Figure::x_label`].
    #[must_use]
    pub fn x_label(mut self, label: impl Into<String>) -> Figure {
        self.x_label = label.into();
        self
    }

    /// Adds a panel under the others.
    #[must_use]
    pub fn panel(mut self, p: Panel) -> Figure {
        self.panels.push(p);
        self
    }

    /// The image size in pixels: width, and 40 for the title plus each panel's height.
    #[must_use]
    pub fn size(&self) -> (u32, u32) {
        let n = u32::try_from(self.panels.len()).unwrap_or(u32::MAX);
        (
            self.width,
            self.panel_height.saturating_mul(n).saturating_add(40),
        )
    }

    fn x_range(&self) -> Option<(f64, f64)> {
        let xs = self
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .flat_map(|s| s.finite().map(|(x, _)| x));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if lo > hi {
            return None;
        }
        Some(if hi > lo { (lo, hi) } else { (lo, lo + 1.0) })
    }

    /// Renders the figure as 8-bit RGB pixels, row by row ([`Figure::size`]).
    ///
    /// # Errors
    ///
    /// [`PlotError::Empty`] without a point to draw, a font error, or
    /// [`PlotError::Draw`].
    pub fn render(&self) -> Result<Vec<u8>, PlotError> {
        font::ensure()?;
        let (x0, x1) = self.x_range().ok_or(PlotError::Empty)?;
        let (w, h) = self.size();
        let mut buf = vec![0u8; w as usize * h as usize * 3];
        let draw = |e: &dyn std::fmt::Display| PlotError::Draw(e.to_string());
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| draw(&e))?;
            let root = root
                .titled(&self.title, (FAMILY, 26).into_font())
                .map_err(|e| draw(&e))?;
            let areas = root.split_evenly((self.panels.len(), 1));
            for (area, panel) in areas.iter().zip(&self.panels) {
                let (y0, y1) = panel.y_range();
                let mut chart = ChartBuilder::on(area)
                    .margin(12)
                    .x_label_area_size(40)
                    .y_label_area_size(70)
                    .build_cartesian_2d(x0..x1, y0..y1)
                    .map_err(|e| draw(&e))?;
                chart
                    .configure_mesh()
                    .x_desc(self.x_label.as_str())
                    .y_desc(panel.y_label.as_str())
                    .label_style((FAMILY, 15))
                    .axis_desc_style((FAMILY, 17))
                    .light_line_style(RGBColor(235, 235, 235))
                    .draw()
                    .map_err(|e| draw(&e))?;
                for (i, s) in panel.series.iter().enumerate() {
                    let color = COLORS[i % COLORS.len()];
                    let style = color.stroke_width(2);
                    chart
                        .draw_series(LineSeries::new(s.path(x1), style))
                        .map_err(|e| draw(&e))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
                        });
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font((FAMILY, 15))
                    .draw()
                    .map_err(|e| draw(&e))?;
            }
            root.present().map_err(|e| draw(&e))?;
        }
        Ok(buf)
    }

    /// Renders the figure and writes it to `path` as an 8-bit RGB PNG.
    ///
    /// # Errors
    ///
    /// As [`Figure::render`], or [`PlotError::Io`] / [`PlotError::Png`] when writing.
    pub fn write_png(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let pixels = self.render()?;
        let (w, h) = self.size();
        let file = BufWriter::new(File::create(path)?);
        let mut enc = png::Encoder::new(file, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_series_holds_each_value_to_the_next_point_and_the_end() {
        let s = Series::step("c", vec![(0.0, 1000.0), (30.0, 300.0)]);
        assert_eq!(
            s.path(45.0),
            vec![(0.0, 1000.0), (30.0, 1000.0), (30.0, 300.0), (45.0, 300.0)]
        );
    }
}
