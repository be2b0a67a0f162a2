//! ecoute: a customer-listening program as code.
pub mod contacts;
pub mod expr;
pub mod store;
