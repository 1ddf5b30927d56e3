//! Frame mode's own unit tests (the calls between two peers are in `tests/frame_mode.rs`).

#[cfg(feature = "fuzzing")]
#[test]
fn the_fuzz_script_runs_on_random_inputs() {
    // The media_peer fuzz target's entry point on a spread of deterministic inputs: two
    // negotiated peers fed frames, RTP and RTCP of any content, datagrams, waits, closes.
    let mut bytes = crate::fuzz::ScriptBytes::new(0x2545_f491_4f6c_dd1d);
    for len in [0usize, 1, 40, 300, 1200, 4000] {
        super::fuzz::media_peer(&bytes.next(len));
    }
}
