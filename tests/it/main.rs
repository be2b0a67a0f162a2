//! The one integration-test binary (as in ripgrep): each area of ecoute is a module here.
//!
//! A failed set-up step should stop the test with its reason, so the panicking shortcuts that
//! the crate's lints forbid in library code are allowed here.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod actions;
mod alert_crash;
mod answers;
mod audits;
mod calendar;
mod case_follow_up;
mod cases;
mod check;
mod collect;
mod contacts;
mod daemon;
mod daemon_outages;
mod demo;
mod dispatch;
mod drivers;
mod harness;
mod import_batches;
mod indicators;
mod ingest;
mod newcomer_check;
mod newcomer_form;
mod newcomer_ops;
mod newcomer_send;
mod ops;
mod plan;
mod precision;
mod properties;
mod question_changes;
mod report_display;
mod reports;
mod safety_data;
mod safety_dispatch;
mod safety_files;
mod safety_web;
mod store;
mod support;
