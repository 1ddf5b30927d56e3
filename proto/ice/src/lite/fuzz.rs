//! Fuzz entry.
