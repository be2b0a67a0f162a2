//! The one integration-test binary (as in ripgrep): each area of ecoute is a module here.

mod answers;
mod check;
mod collect;
mod contacts;
mod dispatch;
mod harness;
mod plan;
mod reports;
mod store;
mod support;
