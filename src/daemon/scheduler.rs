//! The scheduler loop: keeps each program's wave ticks in the store, runs the due ones once
//! (across restarts and daemons) by planning their period, and closes periods.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use tokio::sync::watch;

use super::{Backoff, Daemon, pause, poll};
use crate::period::Period;
use crate::plan::{self, PlanError};
use crate::program::{CalendarError, Program};
use crate::schedule;
use crate::schedule::DueTick;
use crate::store::StoreError;

/// How long a tick stays claimed by the daemon planning it (real time): a daemon that dies
/// while planning leaves it to another after this.
const TICK_CLAIM: std::time::Duration = std::time::Duration::from_secs(300);

/// Why a scheduler pass stopped; the loop logs it and tries again after a backoff.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The store failed (PostgreSQL unreachable…).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A program's periods cannot be placed in time.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

/// What the scheduler remembers between passes to avoid rewriting the same ticks: per
/// program, the file version and the periods last seeded. Only a cache: the ticks
/// themselves are in the store.
type Seeded = HashMap<String, (String, Vec<Period>)>;

/// Runs scheduler passes until `stop` turns true, sleeping until the next tick or close the
/// store knows of (or a reload).
pub async fn schedule_loop(daemon: &Daemon, mut stop: watch::Receiver<bool>) {
    let mut seeded = Seeded::new();
    let mut backoff = Backoff::default();
    let mut programs = daemon.programs.subscribe();
    while !*stop.borrow() {
        let wait = match pass(daemon, &mut seeded).await {
            Ok(next) => {
                backoff.reset();
                daemon.liveness.beat();
                let limit = poll(&daemon.clock);
                next.map_or(limit, |at| daemon.clock.real_wait_until(at).min(limit))
            }
            Err(error) => {
                let wait = backoff.next();
                tracing::warn!("scheduler: {error}; trying again in {} s", wait.as_secs());
                wait
            }
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            () = pause(wait, &mut stop, None) => {}
            _ = programs.changed() => {}
        }
    }
}

/// One pass: seed ticks, run the due ones, close what is due; returns when something next
/// becomes due.
async fn pass(daemon: &Daemon, seeded: &mut Seeded) -> Result<Option<Timestamp>, SchedulerError> {
    let programs = daemon.programs();
    let now = daemon.clock.now();
    for program in programs.iter() {
        seed(daemon, program, now, seeded).await?;
    }
    run_due_ticks(daemon, &programs, now).await?;
    let mut next = daemon.store.next_tick().await?;
    for program in programs.iter() {
        if let Some(close) = close_due_periods(daemon, program, now).await? {
            next = Some(next.map_or(close, |n| n.min(close)));
        }
    }
    Ok(next)
}

/// Writes the program's ticks for the periods it watches, when its file or those periods
/// changed since the last pass.
async fn seed(
    daemon: &Daemon,
    program: &Program,
    now: Timestamp,
    seeded: &mut Seeded,
) -> Result<(), SchedulerError> {
    let calendar = program.calendar();
    let periods = schedule::watched_periods(calendar, now)?;
    let memo = (program.sha256.clone(), periods.clone());
    if seeded.get(program.id()) == Some(&memo) {
        return Ok(());
    }
    let ticks = schedule::ticks(calendar, &periods, &plan::planned_surveys(program))?;
    let keys: Vec<String> = periods.iter().map(ToString::to_string).collect();
    daemon
        .store
        .seed_ticks(program.id(), &keys, &ticks, now)
        .await?;
    if let Some(first) = ticks
        .iter()
        .filter(|t| t.fire_at > now)
        .min_by_key(|t| t.fire_at)
    {
        tracing::info!(
            "scheduler: program {}: next wave {} of {} at {}",
            program.id(),
            first.wave,
            first.period,
            first
                .fire_at
                .to_zoned(calendar.zone().clone())
                .strftime("%Y-%m-%d %H:%M %Z")
        );
    }
    seeded.insert(program.id().to_owned(), memo);
    Ok(())
}

/// Claims each due tick and plans its period (once per period and pass: one plan makes
/// every wave of the period); a tick whose period closed before anyone ran it is `missed`.
async fn run_due_ticks(
    daemon: &Daemon,
    programs: &[std::sync::Arc<Program>],
    now: Timestamp,
) -> Result<(), SchedulerError> {
    let until = now
        .checked_add(daemon.clock.scaled(TICK_CLAIM))
        .unwrap_or(Timestamp::MAX);
    let mut planned: HashSet<(String, String)> = HashSet::new();
    for tick in daemon.store.due_ticks(now).await? {
        if !daemon
            .store
            .claim_tick(tick.id, &daemon.owner, now, until)
            .await?
        {
            continue;
        }
        let Some(program) = programs.iter().find(|p| p.id() == tick.program_id) else {
            daemon.store.finish_tick(tick.id, "dropped", now).await?;
            continue;
        };
        let key = (tick.program_id.clone(), tick.key.period.clone());
        let outcome = if planned.contains(&key) {
            "planned"
        } else {
            match run_tick(daemon, program, &tick, now).await {
                Ok(outcome) => outcome,
                Err(error) => {
                    // Left claimed: tried again when the claim runs out.
                    tracing::warn!(
                        "scheduler: program {} wave {} of {}: {error}",
                        program.id(),
                        tick.key.wave,
                        tick.key.period
                    );
                    continue;
                }
            }
        };
        planned.insert(key);
        daemon.store.finish_tick(tick.id, outcome, now).await?;
    }
    Ok(())
}

/// Plans the tick's period unless it has closed; returns the tick's outcome.
async fn run_tick(
    daemon: &Daemon,
    program: &Program,
    tick: &DueTick,
    now: Timestamp,
) -> Result<&'static str, PlanError> {
    let Ok(period) = tick.key.period.parse::<Period>() else {
        return Ok("dropped");
    };
    if program.calendar().closes_at(&period)?.timestamp() <= now {
        tracing::warn!(
            "scheduler: program {} wave {} of {} was due at {} but its period has closed: skipped",
            program.id(),
            tick.key.wave,
            tick.key.period,
            tick.key.fire_at
        );
        return Ok("missed");
    }
    let built = plan::build(&daemon.store, program, period, now).await?;
    for survey in &built.surveys {
        for notice in &survey.notices {
            tracing::warn!(
                "program {} survey {}: {notice}",
                program.id(),
                survey.survey
            );
        }
    }
    for wave in plan::commit(&daemon.store, program, period, &built).await? {
        if wave.created {
            tracing::info!(
                "scheduler: planned {} {} wave {} of {}: {} invitation(s)",
                program.id(),
                wave.survey,
                wave.wave,
                period,
                wave.invitations
            );
        }
    }
    daemon.wake.notify_one();
    Ok("planned")
}

/// Closes the program's periods whose close time has come; returns the next close time.
async fn close_due_periods(
    daemon: &Daemon,
    program: &Program,
    now: Timestamp,
) -> Result<Option<Timestamp>, SchedulerError> {
    let mut next: Option<Timestamp> = None;
    for key in daemon.store.open_periods(program.id()).await? {
        let Ok(period) = key.parse::<Period>() else {
            continue;
        };
        let closes = program.calendar().closes_at(&period)?.timestamp();
        if closes > now {
            next = Some(next.map_or(closes, |n| n.min(closes)));
            continue;
        }
        if let Some(expired) = daemon.store.close_period(program.id(), &key, now).await? {
            tracing::info!(
                "scheduler: closed {} {key}: {expired} pending invitation(s) expired, its report is final",
                program.id()
            );
        }
    }
    Ok(next)
}
