//! Drives any wren-core Machine over tokio sockets and timers
