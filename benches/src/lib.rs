//! Criterion benchmarks: Wren beside peer crates on the same inputs
