//! The one integration-test binary (as in ripgrep): each area of ecoute is a module here.

mod contacts;
mod store;
mod support;
