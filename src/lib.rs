//! ecoute: a customer-listening program as code.
pub mod cli;
pub mod config;
pub mod expr;
pub mod program;
pub mod templates;
