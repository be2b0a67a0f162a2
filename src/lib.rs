//! ecoute: a customer-listening program as code.
pub mod cli;
pub mod collect;
pub mod config;
pub mod contacts;
pub mod dispatch;
pub mod expr;
pub mod metrics;
pub mod period;
pub mod plan;
pub mod program;
pub mod report;
pub mod responses;
pub mod sampling;
pub mod schedule;
pub mod store;
pub mod templates;
pub mod token;
