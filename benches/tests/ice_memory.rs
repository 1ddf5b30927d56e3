//! Memory per ICE agent with 10 local and 10 remote host candidates (100 pairs): 1000
//! agents of wren-ice, then 1000 of str0m's (`is::IceAgent`), set up as in
//! `benches/ice.rs` and drained, measured as live bytes with a counting allocator. Prints
//! both and the ratio (`-- --nocapture`); holds wren-ice to a budget.
//!
//! One test in this binary: live bytes are counted for the whole process.

use std::time::Instant;

use wren_benches::ice::{CANDIDATES, str0m_agent, wren_agent};
use wren_ice::Role;

#[global_allocator]
static GLOBAL: wren_alloc_count::Counting = wren_alloc_count::Counting;

const AGENTS: usize = 1000;

/// Live bytes per item of what `make` builds, `AGENTS` of them kept at once.
fn per_agent<T>(mut make: impl FnMut() -> T) -> i64 {
    let mut kept = Vec::with_capacity(AGENTS);
    let before = wren_alloc_count::live_bytes();
    for _ in 0..AGENTS {
        kept.push(make());
    }
    let after = wren_alloc_count::live_bytes();
    // The Vec's own buffer was allocated before; each agent's inline size is in it.
    let inline = i64::try_from(std::mem::size_of::<T>()).unwrap_or(0);
    drop(kept);
    (after - before) / AGENTS as i64 + inline
}

#[test]
fn memory_per_agent_with_ten_by_ten_candidates() {
    #[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
    let now = Instant::now();
    // Warm up lazily allocated process state (str0m's tracing callsites, the RNGs).
    drop(wren_agent(now, Role::Controlling, CANDIDATES, CANDIDATES));
    drop(str0m_agent(Role::Controlling, CANDIDATES, CANDIDATES));

    let wren = per_agent(|| {
        let a = wren_agent(now, Role::Controlling, CANDIDATES, CANDIDATES);
        assert_eq!(a.pairs().len(), 100);
        a
    });
    let str0m = per_agent(|| str0m_agent(Role::Controlling, CANDIDATES, CANDIDATES));
    println!(
        "memory per ICE agent, 10 local x 10 remote host candidates (100 pairs), {AGENTS} agents:"
    );
    println!("  wren-ice: {wren} bytes");
    println!("  str0m:    {str0m} bytes");
    println!(
        "  ratio str0m / wren-ice: {:.2}x",
        str0m as f64 / wren as f64
    );
    // A regression guard, with room: 43,140 bytes when this was written.
    assert!(wren < 64 * 1024, "{wren} bytes per agent");
}
