//! Dispatch: turns due invitations and reminders into emails, politely and exactly once
//! where the protocol allows it.
pub mod decide;
pub mod engine;
pub mod message;
pub mod outbox;
pub mod pace;
pub mod pipelining;
pub mod policy;
pub mod transport;
