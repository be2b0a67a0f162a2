//! ecoute: a customer-listening program as code.
pub mod expr;
pub mod metrics;
pub mod period;
