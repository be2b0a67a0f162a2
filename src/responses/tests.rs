//! Unit tests of response CSV parsing.
