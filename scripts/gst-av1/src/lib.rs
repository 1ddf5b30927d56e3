//! Empty: this crate exists only to build its dependency `gst-plugin-rtp` (see Cargo.toml).
