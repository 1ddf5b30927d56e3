//! Unit tests of the ICE-lite server.
