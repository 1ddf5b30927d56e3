//! Arbitrary sequences of datagrams from several clients and time steps, into a Binding
//! server with and without short-term credentials.
#![no_main]
use wren_stun::fuzz::{ServerOp, binding_server};
libfuzzer_sys::fuzz_target!(|input: (bool, Vec<ServerOp>)| binding_server(&input.1, input.0));
