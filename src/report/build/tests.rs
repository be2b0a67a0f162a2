//! Unit tests of report building.
