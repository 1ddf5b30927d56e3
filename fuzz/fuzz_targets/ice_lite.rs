//! The ICE-lite server (many sessions on shared sockets) fed arbitrary sessions, checks
//! for any ufrag signed with any key, raw bytes, data, sends and time steps; see
//! `wren_ice::lite::fuzz` for the invariants checked after each step.
#![no_main]
use wren_ice::lite::fuzz::{Input, server};
libfuzzer_sys::fuzz_target!(|input: Input| {
    let _ = server(&input);
});
