//! Arbitrary sequences of datagrams from several clients and peers, signed requests, time
//! steps and bind failures into the TURN server.
#![no_main]
use wren_turn::fuzz::{ServerOp, server};
libfuzzer_sys::fuzz_target!(|ops: Vec<ServerOp>| server(&ops));
