//! The one font the plots use, loaded once and registered with plotters as
//! `sans-serif`.

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::style::FontStyle;

use crate::PlotError;

/// Where the font is looked for, in order, after the `WREN_PLOT_FONT` environment
/// variable: DejaVu Sans as Debian (`fonts-dejavu-core`) and Fedora install it.
pub const FONT_PATHS: [&str; 2] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
];

/// The family name the figures draw text with.
pub(crate) const FAMILY: &str = "sans-serif";

static LOADED: OnceLock<Result<(), PlotError>> = OnceLock::new();

/// Loads and registers the font the first time; later calls give the same outcome.
pub(crate) fn ensure() -> Result<(), PlotError> {
    match LOADED.get_or_init(load) {
        Ok(()) => Ok(()),
        Err(PlotError::FontInvalid(p)) => Err(PlotError::FontInvalid(p.clone())),
        Err(PlotError::FontMissing { tried }) => Err(PlotError::FontMissing {
            tried: tried.clone(),
        }),
        Err(e) => Err(PlotError::Draw(e.to_string())),
    }
}

fn load() -> Result<(), PlotError> {
    let mut tried: Vec<PathBuf> = std::env::var_os("WREN_PLOT_FONT")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    tried.extend(FONT_PATHS.iter().map(PathBuf::from));
    let Some((path, bytes)) = tried
        .iter()
        .find_map(|p| std::fs::read(p).ok().map(|b| (p.clone(), b)))
    else {
        return Err(PlotError::FontMissing { tried });
    };
    // plotters keeps `&'static` font data; the font is loaded once per process.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
        .map_err(|_| PlotError::FontInvalid(path.clone()))?;
    plotters::style::register_font(FAMILY, FontStyle::Bold, bytes)
        .map_err(|_| PlotError::FontInvalid(path))?;
    Ok(())
}
