//! A figure is written as a PNG that decodes to the size asked for and is not blank.

use std::fs::File;

use wren_plot::{Figure, Panel, Series};

#[test]
fn a_two_panel_figure_is_written_as_a_png_that_decodes_and_has_ink() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("wren_plot_two_panels.png");
    let _ = std::fs::remove_file(&path);
    let t: Vec<f64> = (0..450).map(|i| f64::from(i) / 10.0).collect();
    let est: Vec<(f64, f64)> = t
        .iter()
        .map(|&x| (x, 900.0 * (1.0 - (-x / 5.0).exp())))
        .collect();
    let delay: Vec<(f64, f64)> = t.iter().map(|&x| (x, 40.0 + 30.0 * x.sin())).collect();
    let fig = Figure::new("two panels")
        .panel(
            Panel::new("kbit/s")
                .series(Series::line("estimate", est))
                .series(Series::step("capacity", vec![(0.0, 1000.0), (30.0, 300.0)])),
        )
        .panel(Panel::new("queueing delay (ms)").series(Series::line("delay", delay)));
    fig.write_png(&path).expect("the PNG is written");

    let decoder = png::Decoder::new(File::open(&path).expect("the file exists"));
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (1200, 2 * 400 + 40));
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let pixels = &pixels[..info.buffer_size()];
    let white = pixels.chunks(3).filter(|p| p == &[255, 255, 255]).count();
    let total = pixels.len() / 3;
    assert!(white > total / 2, "mostly background: {white} of {total}");
    // The first series' colour (the estimate line) and black (axes, text) are drawn.
    let blue = pixels.chunks(3).filter(|p| p == &[31, 119, 180]).count();
    let dark = pixels
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 60))
        .count();
    assert!(blue > 500, "{blue} pixels of the estimate's colour");
    assert!(dark > 2000, "{dark} dark pixels of axes and text");
}

#[test]
fn a_figure_without_points_is_refused() {
    let fig = Figure::new("empty").panel(Panel::new("y"));
    assert!(matches!(fig.render(), Err(wren_plot::PlotError::Empty)));
}
