//! `ecoute daemon`: the scheduler, the dispatcher and the web server in one process, so
//! waves, reminders, event-triggered invitations and period closes happen by themselves.
//!
//! The store is the source of truth for what is due. The scheduler keeps one tick per wave
//! of each program (survey, channel, period, wave) in the `daemon_ticks` table, with fire
//! times computed in the program's time zone ([`crate::schedule`]); it claims the due ones,
//! plans their period idempotently ([`crate::plan::commit`], unique keys) and closes
//! periods `close_after_days` after their end. The dispatcher is the engine of `ecoute send`
//! ([`crate::dispatch::engine`]) run over and over. Each loop sleeps until the next instant
//! the store says something is due (`tokio::time::sleep_until`), so restarts, missed ticks
//! and several daemons on one PostgreSQL database all behave: nothing lives only in memory.

mod dispatcher;
mod scheduler;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{Notify, watch};

use crate::clock::Clock;
use crate::dispatch::engine::DispatchOptions;
use crate::dispatch::transport::MailSettings;
use crate::program::Program;
use crate::store::{Store, StoreError};
use crate::templates::Templates;
use crate::token::LinkSecret;

pub use dispatcher::dispatch_loop;
pub use scheduler::{SchedulerError, schedule_loop};

/// When the scheduler loop last completed a pass (real time, whatever the rehearsal clock
/// says), for `/healthz`: a scheduler that stopped passing is a dead daemon. Cheap to clone;
/// every clone sees the same instant.
#[derive(Debug, Clone, Default)]
pub struct Liveness(Arc<AtomicI64>);

impl Liveness {
    /// Records a successful pass now.
    pub fn beat(&self) {
        self.0
            .store(Timestamp::now().as_second(), Ordering::Relaxed);
    }

    /// The instant of the last successful pass, `None` before the first.
    pub fn last_pass(&self) -> Option<Timestamp> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            seconds => Timestamp::from_second(seconds).ok(),
        }
    }
}

/// The programs a daemon runs, replaced as a whole by a reload.
pub type Programs = Arc<Vec<Arc<Program>>>;

/// What the scheduler and the dispatcher share.
pub struct Daemon {
    /// The store.
    pub store: Store,
    /// Who claims ticks and messages (host and process), kept in leases.
    pub owner: String,
    /// The clock every loop reads.
    pub clock: Clock,
    /// The dispatcher's knobs (clock and owner included).
    pub dispatch: DispatchOptions,
    /// Email templates.
    pub templates: Arc<Templates>,
    /// Key of the personal links.
    pub secret: LinkSecret,
    /// Base of the links.
    pub public_url: String,
    /// Where emails go.
    pub mail: MailSettings,
    /// The programs in force; a reload sends new ones.
    pub programs: watch::Sender<Programs>,
    /// Wakes the dispatcher at once (a wave was planned).
    pub wake: Notify,
    /// The scheduler's heartbeat.
    pub liveness: Liveness,
}

impl Daemon {
    /// The programs in force now.
    pub fn programs(&self) -> Programs {
        self.programs.borrow().clone()
    }

    /// Puts reloaded programs in force from the next tick; returns one line per program
    /// that is new or changed, with its file's SHA-256 (also recorded in the store), or the
    /// reason the reload is refused (a program file vanished) while the previous programs
    /// keep running.
    pub async fn reload(&self, fresh: Vec<Program>) -> Result<Vec<String>, ReloadError> {
        let current = self.programs();
        let vanished = vanished(&current, &fresh);
        if !vanished.is_empty() {
            return Err(ReloadError::Vanished(vanished));
        }
        let before: HashMap<&str, &str> = current
            .iter()
            .map(|p| (p.id(), p.sha256.as_str()))
            .collect();
        let mut changes = Vec::new();
        for program in &fresh {
            if before.get(program.id()) != Some(&program.sha256.as_str()) {
                self.store
                    .record_program_version(program.id(), &program.sha256)
                    .await?;
                changes.push(format!(
                    "program {} from {} (sha256 {})",
                    program.id(),
                    program.path.display(),
                    program.sha256
                ));
            }
        }
        self.programs
            .send_replace(Arc::new(fresh.into_iter().map(Arc::new).collect()));
        self.wake.notify_one();
        Ok(changes)
    }
}

/// The three tasks of a running daemon: the web server, the scheduler and the dispatcher.
pub struct Tasks {
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    scheduler: tokio::task::JoinHandle<()>,
    dispatcher: tokio::task::JoinHandle<()>,
}

impl Tasks {
    /// Starts the web server on `listener` and the scheduler and dispatcher loops of
    /// `daemon`; all three stop when `stop` turns true.
    pub fn spawn(
        daemon: &Arc<Daemon>,
        listener: tokio::net::TcpListener,
        state: crate::collect::AppState,
        stop: &watch::Receiver<bool>,
    ) -> Tasks {
        let mut server_stop = stop.clone();
        let server = tokio::spawn(crate::collect::serve(listener, state, async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        }));
        let scheduler = tokio::spawn({
            let (daemon, stop) = (Arc::clone(daemon), stop.clone());
            async move { schedule_loop(&daemon, stop).await }
        });
        let dispatcher = tokio::spawn({
            let (daemon, stop) = (Arc::clone(daemon), stop.clone());
            async move { dispatch_loop(&daemon, stop).await }
        });
        Tasks {
            server,
            scheduler,
            dispatcher,
        }
    }

    /// Waits until the three have stopped.
    pub async fn join(self) {
        let _ = tokio::join!(self.server, self.scheduler, self.dispatcher);
    }
}

/// Why a reload was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// Files of running programs are gone.
    #[error(
        "{} vanished: restore {} (to stop running a program, remove its file and restart the daemon)",
        list(.0),
        if .0.len() == 1 { "it" } else { "them" }
    )]
    Vanished(Vec<PathBuf>),
    /// The store could not record the new versions.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The files of running programs that a reload no longer finds: a reload never stops a
/// program because its file went missing by accident.
pub fn vanished(current: &[Arc<Program>], fresh: &[Program]) -> Vec<PathBuf> {
    current
        .iter()
        .filter(|p| !fresh.iter().any(|f| f.path == p.path))
        .map(|p| p.path.clone())
        .collect()
}

/// Why a daemon cannot run on an SQLite database.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another daemon holds the lock.
    #[error(
        "another `ecoute daemon` already runs on the SQLite database {database}{holder}: stop \
         it first; to run several daemons, use PostgreSQL (--database-url postgres://…)"
    )]
    Held {
        /// The database file.
        database: String,
        /// ` (process N)` when the holder wrote its id.
        holder: String,
    },
    /// The lock file cannot be created.
    #[error("cannot create the lock file {path}: {source}")]
    Io {
        /// The lock file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// An exclusive lock on `DATABASE.daemon-lock`, held for the daemon's life (the OS drops it
/// when the process ends, even after `kill -9`), so two daemons never run on one SQLite
/// file. The holder writes its process id into the file for the refusal message.
pub fn lock_sqlite(database: &str) -> Result<File, LockError> {
    let path = format!("{database}.daemon-lock");
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0).map_err(io)?;
            file.rewind().map_err(io)?;
            writeln!(file, "{}", std::process::id()).map_err(io)?;
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            Err(LockError::Held {
                database: database.to_owned(),
                holder: if pid.is_empty() {
                    String::new()
                } else {
                    format!(" (process {pid})")
                },
            })
        }
        Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
    }
}

/// Exponential backoff in real time for a loop whose store or mail server is unreachable:
/// 1 s, 2 s, 4 s… up to a minute, back to 1 s after a success.
#[derive(Debug, Default)]
struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let wait = Duration::from_secs(1 << self.0.min(6)).min(Duration::from_secs(60));
        self.0 = self.0.saturating_add(1);
        wait
    }

    fn reset(&mut self) {
        self.0 = 0;
    }
}

/// The longest real wait of a loop: ticks seeded, events posted and messages planned by
/// another daemon are seen within it. Shorter under a fast rehearsal clock, so a test's
/// compressed hours keep their order.
fn poll(clock: &Clock) -> Duration {
    clock
        .real_wait_until(clock.now() + jiff::SignedDuration::from_mins(1))
        .clamp(Duration::from_millis(20), Duration::from_secs(2))
}

/// Waits `wait` (real time), or less when `stop` turns true or `wake` is notified.
async fn pause(wait: Duration, stop: &mut watch::Receiver<bool>, wake: Option<&Notify>) {
    if *stop.borrow() {
        return;
    }
    let woken = async {
        match wake {
            Some(notify) => notify.notified().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        _ = stop.changed() => {}
        () = woken => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_minute_and_starts_over_after_a_success() {
        let mut backoff = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| backoff.next().as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
        backoff.reset();
        assert_eq!(backoff.next(), Duration::from_secs(1));
    }

    #[test]
    fn liveness_is_empty_before_the_first_pass() {
        let liveness = Liveness::default();
        assert_eq!(liveness.last_pass(), None);
        let before = Timestamp::now().as_second();
        liveness.clone().beat();
        let last = liveness.last_pass().expect("a pass").as_second();
        assert!(last >= before);
    }

    #[test]
    fn a_second_lock_on_one_database_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().expect("folder");
        let database = dir.path().join("ecoute.db").display().to_string();
        let held = lock_sqlite(&database).expect("first lock");
        let error = lock_sqlite(&database).expect_err("second lock").to_string();
        assert!(
            error.contains("another `ecoute daemon` already runs"),
            "{error}"
        );
        assert!(
            error.contains(&format!("(process {})", std::process::id())),
            "{error}"
        );
        drop(held);
        assert!(lock_sqlite(&database).is_ok(), "free again once dropped");
    }

    #[test]
    fn the_poll_is_two_seconds_in_real_time_and_shorter_under_a_fast_clock() {
        assert_eq!(poll(&Clock::real()), Duration::from_secs(2));
        let fast = Clock::starting_at(Timestamp::now(), 60_000.0);
        assert_eq!(poll(&fast), Duration::from_millis(20));
    }
}
