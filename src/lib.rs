//! ecoute: a customer-listening program as code.
pub mod expr;
pub mod sampling;
