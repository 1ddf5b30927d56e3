//! One ICE agent (full or lite, either role, with STUN and TURN servers) fed arbitrary
//! socket results, datagrams, signed checks and responses, server answers, time steps and
//! commands; see `wren_ice::fuzz` for the invariants checked after each step.
#![no_main]
use wren_ice::fuzz::{Input, agent};
libfuzzer_sys::fuzz_target!(|input: Input| {
    agent(&input);
});
