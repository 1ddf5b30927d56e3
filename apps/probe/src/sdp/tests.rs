//! Unit tests of the explanation as data.
