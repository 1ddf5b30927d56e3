//! wren-probe (work in progress).
fn main() {}
