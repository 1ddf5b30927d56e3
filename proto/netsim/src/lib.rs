//! wren-netsim: a deterministic network for tests (work in progress).
#![forbid(unsafe_code)]
