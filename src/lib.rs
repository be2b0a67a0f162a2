//! ecoute: a customer-listening program as code.
<<<<<<< HEAD
pub mod agenda;
=======
pub mod cases;
>>>>>>> loop
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
pub mod redact;
pub mod report;
pub mod responses;
pub mod rollup;
pub mod sampling;
pub mod schedule;
pub mod store;
pub mod templates;
pub mod token;
pub mod typography;
