//! The dispatcher loop: the engine of `ecoute send` run over and over, one pass per
//! program, sleeping until the next message is due.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::watch;

use super::{Backoff, Daemon, pause, poll};
use crate::dispatch::engine::{self, Dispatch, Stop, Tally};

/// Sends what is due until `stop` turns true; then lets the messages in flight finish and
/// records them (the engine's own stop), so nothing is left in `sending`. A store or mail
/// server that cannot be reached is retried with a backoff; its messages wait as deferred.
pub async fn dispatch_loop(daemon: &Daemon, stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::default();
    let mut sleeper = stop.clone();
    while !*stop.borrow() {
        let mut next: Option<Timestamp> = None;
        let mut trouble = false;
        for program in daemon.programs().iter() {
            if *stop.borrow() {
                break;
            }
            let dispatch = Dispatch {
                store: daemon.store.clone(),
                program: Arc::clone(program),
                templates: Arc::clone(&daemon.templates),
                secret: daemon.secret.clone(),
                public_url: daemon.public_url.clone(),
                mail: daemon.mail.clone(),
            };
            match engine::run(dispatch, daemon.dispatch.clone(), stop.clone(), &|_| {}).await {
                Ok(report) => {
                    log(program.id(), &report.tally);
                    match &report.stop {
                        Some(Stop::Unreachable(error)) => {
                            trouble = true;
                            tracing::warn!(
                                "dispatcher: {}: the mail server cannot be reached ({error}); the messages wait as deferred",
                                program.id()
                            );
                        }
                        Some(Stop::Fatal(error)) => {
                            trouble = true;
                            tracing::error!("dispatcher: {}: {error}", program.id());
                        }
                        Some(Stop::Interrupted) | None => {}
                    }
                    if let Some(due) = report.next_due {
                        next = Some(next.map_or(due, |n| n.min(due)));
                    }
                }
                Err(error) => {
                    trouble = true;
                    tracing::warn!("dispatcher: {}: {error}", program.id());
                }
            }
        }
        let wait = if trouble {
            let wait = backoff.next();
            tracing::warn!("dispatcher: trying again in {} s", wait.as_secs());
            wait
        } else {
            backoff.reset();
            let limit = poll(&daemon.clock);
            next.map_or(limit, |at| daemon.clock.real_wait_until(at).min(limit))
        };
        if !wait.is_zero() {
            pause(wait, &mut sleeper, Some(&daemon.wake)).await;
        }
    }
}

/// One line per pass that did something.
fn log(program: &str, tally: &Tally) {
    if *tally == Tally::default() {
        return;
    }
    tracing::info!(
        "dispatcher: {program}: sent {} invitation(s) and {} reminder(s); deferred {}, failed {}, suppressed {}, expired {}, postponed {}, possibly twice {}",
        tally.sent,
        tally.reminders,
        tally.deferred,
        tally.failed,
        tally.suppressed,
        tally.expired,
        tally.postponed,
        tally.possibly_duplicate
    );
}
