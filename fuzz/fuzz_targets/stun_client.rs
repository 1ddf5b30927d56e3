//! Arbitrary transactions, responses (forged, echoed, garbage) and time steps into a client.
#![no_main]
use wren_stun::fuzz::{ClientOp, client};
libfuzzer_sys::fuzz_target!(|ops: Vec<ClientOp>| client(&ops));
