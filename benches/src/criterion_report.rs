//! What the ICE benchmarks (`benches/ice.rs`, `benches/ice_data_path.rs`) share for their
//! markdown reports: where criterion wrote this run's estimates, the median of one
//! benchmark, and writing the report beside them.

use std::path::{Path, PathBuf};

/// `<target>`: `CARGO_TARGET_DIR` or the workspace's `target/` (where criterion writes too).
#[must_use]
pub fn target_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(&manifest).to_path_buf();
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// The median (ns) criterion estimated for `group/function` in this run, if any.
#[must_use]
pub fn median(target: &Path, group: &str, function: &str) -> Option<f64> {
    let path = target
        .join("criterion")
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// After a real `cargo bench` run (criterion is given `--bench`; `--test` runs measure
/// nothing), prints the report `report(target)` makes and writes it to `<target>/<file>`.
pub fn publish(file: &str, report: impl FnOnce(&Path) -> String) {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let target = target_dir();
    let text = report(&target);
    println!("\n{text}");
    let path = target.join(file);
    match std::fs::write(&path, &text) {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => eprintln!("cannot write {}: {e}", path.display()),
    }
}
