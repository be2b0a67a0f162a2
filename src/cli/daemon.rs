//! `ecoute daemon`: the scheduler, the dispatcher and the web server in one process (see
//! [`crate::daemon`]); this file only reads the settings, starts them and handles signals.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::sync::{Notify, watch};

use super::Exit;
use super::options::{
    DispatchArgs, LogArgs, MailArgs, SecretArgs, StoreArgs, TemplatesArgs, WebArgs,
};
use super::serve::{listen, load_programs, open_store, server_options, shutdown_signal};
use crate::clock::Clock;
use crate::collect::{AppState, SchedulerProbe};
use crate::config::Settings;
use crate::daemon::{self, Daemon, Liveness};
use crate::dispatch::transport::MailSettings;
use crate::program::Program;
use crate::redact::redact_url;
use crate::templates::Templates;
use crate::token::LinkSecret;

/// How long a stop waits for the messages and requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// How old the scheduler's last pass may be before `/healthz` answers 503: it passes at
/// least every few seconds, and backs off to a minute at most while the store is down.
const STALE_AFTER: Duration = Duration::from_secs(120);

/// Arguments of `ecoute daemon`.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// Folder (or file) of the programs to run
    #[arg(long, default_value = "programs", value_name = "PATH")]
    programs: PathBuf,
    #[command(flatten)]
    dispatch: DispatchArgs,
    /// Run as if it started at this instant (RFC 3339), to rehearse a schedule
    #[arg(long, hide = true, value_name = "TIMESTAMP")]
    at: Option<jiff::Timestamp>,
    /// Clock seconds per real second, to rehearse weeks in a minute (tests)
    #[arg(long, hide = true, default_value_t = 1.0, value_name = "N")]
    clock_rate: f64,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub templates: TemplatesArgs,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub web: WebArgs,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

/// Starts everything and runs until SIGTERM or Ctrl-C; SIGHUP reloads the programs.
pub async fn run(args: &DaemonArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let programs = match load_programs(&args.programs, settings) {
        Ok(programs) => programs,
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(Exit::Problems);
        }
    };
    let mail = MailSettings::parse(&settings.mail)?;
    let secret = LinkSecret::load_or_create(&settings.secret_file)?;
    let store = open_store(settings).await?;
    let _lock = store.sqlite_path().map(daemon::lock_sqlite).transpose()?;
    let listener = listen(settings).await?;
    let address = listener
        .local_addr()
        .context("cannot read the listening address")?;
    let shutdown = shutdown_signal().context("cannot install the SIGINT/SIGTERM handlers")?;
    let mut hangup = hangup_signal().context("cannot install the SIGHUP handler")?;
    args.log.init();
    let clock = match args.at {
        Some(at) => Clock::starting_at(at, args.clock_rate),
        None if args.clock_rate != 1.0 => {
            Clock::starting_at(jiff::Timestamp::now(), args.clock_rate)
        }
        None => Clock::real(),
    };
    let templates = Templates::new(settings.templates.as_deref());
    let programs: Vec<Arc<Program>> = programs.into_iter().map(Arc::new).collect();
    let (programs_tx, programs_rx) = watch::channel(Arc::new(programs.clone()));
    let liveness = Liveness::default();
    let mut options = server_options(settings)?;
    options.clock = clock;
    options.scheduler = Some(probe(liveness.clone(), programs_rx, clock));
    for program in &programs {
        store
            .record_program_version(program.id(), &program.sha256)
            .await?;
    }
    eprintln!(
        "ecoute daemon: listening on http://{address} (public URL {}), programs: {}, database {}, mail {}",
        settings.public_url,
        describe(&programs),
        redact_url(&settings.database_url),
        mail.describe()
    );
    let state = AppState::live(store.clone(), programs_tx.subscribe(), templates, &options);
    let dispatch = args.dispatch.options(clock);
    let daemon = Arc::new(Daemon {
        store: store.clone(),
        owner: dispatch.owner.clone(),
        clock,
        dispatch,
        templates: Arc::new(Templates::new(settings.templates.as_deref())),
        secret,
        public_url: settings.public_url.clone(),
        mail,
        programs: programs_tx,
        wake: Notify::new(),
        liveness,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks = daemon::Tasks::spawn(&daemon, listener, state, &stop_rx);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = hangup.recv() => reload(&daemon, &args.programs, settings).await,
        }
    }
    tracing::info!("stopping: no new claims; letting the messages and requests in flight finish");
    let _ = stop_tx.send(true);
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, tasks.join()).await;
    if finished.is_err() {
        tracing::warn!(
            "stopped after {} s with work still in flight: its claims are taken over when their lease runs out, flagged as possibly sent twice",
            SHUTDOWN_GRACE.as_secs()
        );
    }
    store.close().await;
    eprintln!("ecoute daemon: stopped");
    Ok(Exit::Success)
}

/// Reads the programs again; puts them in force when all are valid and none vanished, else
/// logs why (with `ecoute check`'s diagnostics) and keeps the previous ones.
async fn reload(daemon: &Daemon, path: &PathBuf, settings: &Settings) {
    tracing::info!("SIGHUP: reloading the programs in {}", path.display());
    let fresh = match load_programs(path, settings) {
        Ok(fresh) => fresh,
        Err(error) => {
            tracing::error!("reload refused: {error:#}; the previous programs keep running");
            return;
        }
    };
    match daemon.reload(fresh).await {
        Ok(changes) if changes.is_empty() => tracing::info!("reload: no program changed"),
        Ok(changes) => {
            for change in changes {
                tracing::info!("reloaded {change}; it applies from the next tick");
            }
        }
        Err(error) => {
            tracing::error!("reload refused: {error}; the previous programs keep running")
        }
    }
}

fn describe(programs: &[Arc<Program>]) -> String {
    if programs.is_empty() {
        return "none".to_owned();
    }
    programs
        .iter()
        .map(|p| p.id())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The SIGHUP stream (reload); on other systems a stream that never yields.
#[cfg(unix)]
fn hangup_signal() -> std::io::Result<Hangup> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).map(Hangup)
}

#[cfg(unix)]
struct Hangup(tokio::signal::unix::Signal);

#[cfg(unix)]
impl Hangup {
    async fn recv(&mut self) -> Option<()> {
        self.0.recv().await
    }
}

#[cfg(not(unix))]
fn hangup_signal() -> std::io::Result<Hangup> {
    Ok(Hangup)
}

#[cfg(not(unix))]
struct Hangup;

#[cfg(not(unix))]
impl Hangup {
    async fn recv(&mut self) -> Option<()> {
        std::future::pending().await
    }
}

/// What `/healthz` and `/metrics` read of the scheduler: its last pass (stale after
/// [`STALE_AFTER`]) and each program's next wave on the daemon's clock.
fn probe(
    liveness: Liveness,
    programs: watch::Receiver<daemon::Programs>,
    clock: Clock,
) -> SchedulerProbe {
    SchedulerProbe {
        last_pass: Arc::new(move || liveness.last_pass()),
        next_ticks: Arc::new(move || {
            let now = clock.now();
            programs
                .borrow()
                .iter()
                .filter_map(|p| {
                    let next = crate::schedule::next_wave(p.calendar(), now)?;
                    Some((p.id().to_owned(), next))
                })
                .collect()
        }),
        stale_after: STALE_AFTER,
    }
}
