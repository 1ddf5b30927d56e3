//! The report of two stacks side by side: one PNG with both in the same panels, one CSV
//! each.

use std::path::Path;
use std::time::Duration;

use wren_bwe_scenario::{Recording, Sample, ScenarioKind, report};

fn made_up(stack: &str, level: f64) -> Recording {
    Recording {
        kind: ScenarioKind::Bottleneck,
        stack: stack.into(),
        samples: (1..=450)
            .map(|i| {
                let t = Duration::from_millis(i * 100);
                let cap = if i < 300 { 1e6 } else { 3e5 };
                Sample {
                    t,
                    estimate_bps: level * cap,
                    send_bps: level * cap * 1.05,
                    queue_delay: Duration::from_millis(i % 50),
                    capacity_bps: cap,
                }
            })
            .collect(),
    }
}

#[test]
fn two_stacks_go_in_one_png_and_a_csv_each() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (a, b) = (made_up("alpha", 0.9), made_up("beta", 0.7));
    let fig = report::figure("alpha beside beta", &[&a, &b]);
    assert_eq!(fig.panels.len(), 2);
    let names: Vec<&str> = fig.panels[0]
        .series
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "alpha estimate",
            "alpha send rate (500 ms)",
            "beta estimate",
            "beta send rate (500 ms)",
            "capacity"
        ]
    );
    // The capacity steps from 1000 to 300 kbit/s at 30 s.
    assert_eq!(
        fig.panels[0].series[4].points,
        vec![(0.0, 1000.0), (30.0, 300.0)]
    );
    let png = report::write_png(dir, "alpha_vs_beta", "alpha beside beta", &[&a, &b])
        .expect("the PNG is written");
    assert!(png.ends_with("bwe_bottleneck_alpha_vs_beta.png"));
    let decoder = png::Decoder::new(std::fs::File::open(&png).expect("the file"));
    let reader = decoder.read_info().expect("a PNG");
    assert_eq!((reader.info().width, reader.info().height), (1200, 840));
    let csv = report::write_csv(dir, &b).expect("the CSV is written");
    let text = std::fs::read_to_string(&csv).expect("the CSV");
    assert_eq!(text.lines().count(), 451);
    assert!(csv.ends_with("bwe_bottleneck_beta.csv"));
}
