//! The command line: one subcommand per job, each a thin layer over the library modules.
//!
//! Exit codes are the [`Exit`] enum; global settings are flag groups in [`options`] that
//! each subcommand includes as it needs them.

/// Prints a line on stdout; a closed pipe (`ecoute … | head`) ends the process quietly
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod calendar;
mod calls;
mod cases;
mod check;
mod contacts;
mod count;
mod daemon;
mod db;
mod demo;
mod exit;
mod indicators;
mod init;
mod map;
mod mentions;
mod options;
mod plan;
mod report;
mod responses;
mod schema;
mod send;
mod serve;
mod shared;
mod status;

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

pub use exit::Exit;

use crate::config::{ConfigLayer, Settings};
use options::Overrides;

/// ecoute runs a customer-listening program as code: touchpoints, samples, channels,
/// periods and questions in YAML; validated, dispatched, collected and reported.
#[derive(Debug, Parser)]
#[command(
    name = "ecoute",
    version,
    after_help = "Examples:\n  ecoute init mon-programme\n  ecoute check programs/\n  ecoute schema > program.schema.json"
)]
pub struct Cli {
    /// Configuration file (default: ./ecoute.toml when it exists)
    #[arg(
        long,
        global = true,
        help_heading = options::SETTINGS,
        env = "ECOUTE_CONFIG",
        value_name = "FILE"
    )]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate program files and report every problem with file, line and column
    #[command(
        after_help = "Examples:\n  ecoute check\n  ecoute check programs/fidelite-clients.yaml\n  ecoute check programs/ --format json"
    )]
    Check(check::CheckArgs),
    /// Print the JSON Schema of program files (for editor completion and CI)
    #[command(after_help = "Example:\n  ecoute schema > schema/program.schema.json")]
    Schema,
    /// Scaffold a new listening program: example program, ecoute.toml, templates folder
    #[command(
        after_help = "Example:\n  ecoute init mon-programme && cd mon-programme && ecoute check"
    )]
    Init(init::InitArgs),
    /// See the whole loop in a minute: two months of the French example program, with
    /// simulated answers, in a folder of its own
    #[command(
        after_help = "Examples:\n  ecoute demo\n  ecoute demo --dir /tmp/essai --open\n\nRunning it again empties the folder and starts over; a folder that holds other files is refused."
    )]
    Demo(demo::DemoArgs),
    /// Upcoming waves, reminders and period closes of every program, with planned samples
    #[command(
        after_help = "Examples:\n  ecoute calendar\n  ecoute calendar fidelite-clients --from 2026-12-01 --to 2027-02-28\n  ecoute calendar --format ics > ecoute.ics"
    )]
    Calendar(calendar::CalendarArgs),
    /// Import, list and erase contacts
    #[command(subcommand)]
    Contacts(contacts::ContactsCommand),
    /// Dry-run (or --commit) a period's sample, exclusions, waves and reminders
    #[command(
        after_help = "Examples:\n  ecoute plan fidelite-clients\n  ecoute plan fidelite-clients --period 2026-11 --list --format json\n  ecoute plan programs/fidelite-clients.yaml --commit"
    )]
    Plan(plan::PlanArgs),
    /// Database schema: migrate and status
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Run the web server: survey form, unsubscribe, open links, admin API, /healthz, /metrics
    #[command(
        after_help = "Examples:\n  ecoute serve\n  ecoute serve --listen 0.0.0.0:8080 --public-url https://avis.example.fr\n  ECOUTE_ADMIN_TOKEN=secret ecoute serve --programs programs/"
    )]
    Serve(serve::ServeArgs),
    /// Run everything by itself: waves on their schedule, reminders, triggered surveys,
    /// period closes, and the web server
    #[command(
        after_help = "Examples:\n  ecoute daemon\n  ecoute daemon --programs programs/ --listen 0.0.0.0:8080 --public-url https://avis.example.fr --mail smtp://relay:587\n\nSignals: SIGHUP reloads the programs (refused, with the diagnostics of `ecoute check`, when one is invalid); SIGTERM or Ctrl-C stops after the messages in flight.\nExit codes: 0 stopped cleanly, 1 a program is invalid at start, 2 database, port or configuration problem."
    )]
    Daemon(daemon::DaemonArgs),
    /// Plan the period's waves if needed, then send the invitations and reminders that are due
    #[command(
        after_help = "Examples:\n  ecoute send fidelite-clients\n  ecoute send fidelite-clients --period 2026-11 --max-rate 200 --mail smtp://127.0.0.1:2525\n\nExit codes: 0 done, 2 configuration problem (credentials, sender, outbox folder), 3 mail server unreachable (messages wait as deferred), 130 interrupted (see `ecoute --help`)."
    )]
    Send(send::SendArgs),
    /// The outbox: invitations per state and wave, reminders, possible duplicates, last errors
    #[command(
        after_help = "Examples:\n  ecoute status\n  ecoute status fidelite-clients --format json"
    )]
    Status(status::StatusArgs),
    /// Import and export survey responses (phone, interview, mail) as CSV
    #[command(subcommand)]
    Responses(responses::ResponsesCommand),
    /// Import operational indicators (waiting time, churn, average basket…) as CSV
    #[command(subcommand)]
    Indicators(indicators::IndicatorsCommand),
    /// Import social mentions from the team's listening tool (CSV)
    #[command(subcommand)]
    Mentions(mentions::MentionsCommand),
    /// Follow-up cases opened by alerts: list, show, move to their next status
    #[command(subcommand)]
    Cases(cases::CasesCommand),
    /// Call lists for the phone channels
    #[command(subcommand)]
    Calls(calls::CallsCommand),
    /// KPIs of a period against another, per touchpoint, segment or channel
    #[command(
        after_help = "Examples:\n  ecoute report fidelite-clients --period 2026-11 -o rapport-2026-11.html\n  ecoute report fidelite-clients --period 2026-Q3 --vs year-ago --by segment:region --format md\n  ecoute report fidelite-clients --period 2026-11 --format json > kpis.json"
    )]
    Report(report::ReportArgs),
    /// Draw a program's touchpoint map (no data needed)
    #[command(
        after_help = "Examples:\n  ecoute map fidelite-clients -o cartographie.svg\n  ecoute map fidelite-clients --format mermaid"
    )]
    Map(map::MapArgs),
}

/// Output formats for commands that a script may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// For people.
    #[default]
    Human,
    /// For scripts, CI and editors.
    Json,
}

/// The settings in force: the given groups (flags and `ECOUTE_*` variables) over the
/// configuration file over the defaults.
fn settings(config: Option<&Path>, groups: &[&dyn Overrides]) -> anyhow::Result<Settings> {
    let (path, required) = match config {
        Some(path) => (path.to_path_buf(), true),
        None => (PathBuf::from("ecoute.toml"), false),
    };
    let file = ConfigLayer::read(&path, required)?;
    let mut overrides = ConfigLayer::default();
    for group in groups {
        group.apply(&mut overrides);
    }
    Ok(Settings::resolve(overrides, file))
}

/// Writes one line to stdout for [`say!`].
pub fn write_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    if let Err(err) = written
        && err.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// Runs one command and returns how it ended.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Check(args) => check::run(&args, &settings(config, &[&args.templates])?),
        Command::Schema => schema::run(),
        Command::Init(args) => init::run(&args),
        Command::Demo(args) => runtime()?.block_on(demo::run(&args)),
        Command::Calendar(args) => {
            let settings = settings(config, &[&args.store, &args.templates])?;
            runtime()?.block_on(calendar::run(&args, &settings))
        }
        Command::Contacts(command) => {
            let settings = settings(config, &[command.settings()])?;
            runtime()?.block_on(contacts::run(&command, &settings))
        }
        Command::Plan(args) => {
            let settings = settings(config, &[&args.store, &args.templates])?;
            runtime()?.block_on(plan::run(&args, &settings))
        }
        Command::Db(command) => {
            let settings = settings(config, &[command.store()])?;
            runtime()?.block_on(db::run(&command, &settings))
        }
        Command::Serve(args) => {
            let settings = settings(config, &[&args.store, &args.templates, &args.web])?;
            runtime()?.block_on(serve::run(&args, &settings))
        }
        Command::Daemon(args) => {
            let groups: [&dyn Overrides; 5] = [
                &args.store,
                &args.templates,
                &args.mail,
                &args.web,
                &args.secret,
            ];
            let settings = settings(config, &groups)?;
            runtime()?.block_on(daemon::run(&args, &settings))
        }
        Command::Send(args) => {
            let groups: [&dyn Overrides; 4] =
                [&args.store, &args.templates, &args.mail, &args.links];
            let settings = settings(config, &groups)?;
            runtime()?.block_on(send::run(&args, &settings))
        }
        Command::Status(args) => {
            let settings = settings(config, &[&args.store, &args.templates])?;
            runtime()?.block_on(status::run(&args, &settings))
        }
        Command::Responses(command) => {
            let settings = settings(config, &[command.settings()])?;
            runtime()?.block_on(responses::run(&command, &settings))
        }
        Command::Indicators(command) => {
            let settings = settings(config, &[command.settings()])?;
            runtime()?.block_on(indicators::run(&command, &settings))
        }
        Command::Mentions(command) => {
            let settings = settings(config, &[&command])?;
            runtime()?.block_on(mentions::run(&command, &settings))
        }
        Command::Cases(command) => {
            let settings = settings(config, &[command.store()])?;
            runtime()?.block_on(cases::run(&command, &settings))
        }
        Command::Calls(command) => {
            let settings = settings(config, &[command.settings()])?;
            runtime()?.block_on(calls::run(&command, &settings))
        }
        Command::Report(args) => {
            let settings = settings(config, &[&args.store, &args.templates])?;
            runtime()?.block_on(report::run(&args, &settings))
        }
        Command::Map(args) => map::run(&args, &settings(config, &[&args.templates])?),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
