//! Any bytes as a sequence of connects, messages, disconnects, timeouts, drains and channel
//! changes on the signaling machine, alone or clustered (messages from other nodes,
//! evictions, failed forwards).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| wren_signal::fuzz::machine(data));
