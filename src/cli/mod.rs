//! The command line: one subcommand per job, each a thin layer over the library modules.
//!
//! Exit codes: 0 success, 1 the inputs have problems (a program that fails `check`, rows
//! rejected), 2 usage, configuration or I/O errors.

/// Prints a line on stdout; a closed pipe (`ecoute … | head`) ends the process quietly
/// instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))
    };
}

mod check;
mod init;
mod plan;
mod report;
mod responses;
mod send;
mod serve;
mod store_commands;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{ConfigLayer, Settings};

/// Exit code when the inputs have problems.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code for usage, configuration and I/O errors.
pub const EXIT_USAGE: u8 = 2;

/// ecoute runs a customer-listening program as code: touchpoints, samples, channels,
/// periods and questions in YAML; validated, dispatched, collected and reported.
#[derive(Debug, Parser)]
#[command(
    name = "ecoute",
    version,
    after_help = "Examples:\n  ecoute init mon-programme\n  ecoute check programs/\n  ecoute schema > program.schema.json"
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Settings shared by every command.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Configuration file (default: ./ecoute.toml when it exists)
    #[arg(long, global = true, env = "ECOUTE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://ecoute.db (default) or postgres://user@host/db
    #[arg(long, global = true, env = "ECOUTE_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Mail transport: file://outbox (default) or smtp://host:port
    #[arg(long, global = true, env = "ECOUTE_MAIL", value_name = "URL")]
    mail: Option<String>,
    /// Address the web server listens on (default 127.0.0.1:8080)
    #[arg(long, global = true, env = "ECOUTE_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    /// Bearer token for the admin API (the API is off without one)
    #[arg(
        long,
        global = true,
        env = "ECOUTE_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Folder of templates that override the embedded ones
    #[arg(long, global = true, env = "ECOUTE_TEMPLATES", value_name = "DIR")]
    templates: Option<PathBuf>,
    /// Public base URL of the web server, used in survey links
    #[arg(long, global = true, env = "ECOUTE_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// File holding the secret survey links are derived from (default ./ecoute.secret)
    #[arg(long, global = true, env = "ECOUTE_SECRET_FILE", value_name = "FILE")]
    secret_file: Option<PathBuf>,
    /// Header a trusted reverse proxy puts the client address in (e.g. X-Forwarded-For)
    #[arg(
        long,
        global = true,
        env = "ECOUTE_CLIENT_IP_HEADER",
        value_name = "HEADER"
    )]
    client_ip_header: Option<String>,
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
    /// Import, list and erase contacts
    #[command(subcommand)]
    Contacts(store_commands::ContactsCommand),
    /// Dry-run (or --commit) a period's sample, exclusions, waves and reminders
    #[command(
        after_help = "Examples:\n  ecoute plan fidelite-clients\n  ecoute plan fidelite-clients --period 2026-11 --list --format json\n  ecoute plan programs/fidelite-clients.yaml --commit"
    )]
    Plan(plan::PlanArgs),
    /// Database schema: migrate and status
    #[command(subcommand)]
    Db(store_commands::DbCommand),
    /// Run the web server: survey form, unsubscribe, open links, admin API, /healthz
    #[command(
        after_help = "Examples:\n  ecoute serve\n  ecoute serve --listen 0.0.0.0:8080 --public-url https://avis.example.fr\n  ECOUTE_ADMIN_TOKEN=secret ecoute serve --programs programs/"
    )]
    Serve(serve::ServeArgs),
    /// Plan the period's waves if needed, then send the invitations and reminders that are due
    #[command(
        after_help = "Examples:\n  ecoute send fidelite-clients\n  ecoute --mail smtp://127.0.0.1:2525 send fidelite-clients --period 2026-11 --max-rate 200\n\nExit codes: 0 done, 2 configuration problem (credentials, sender, outbox folder), 3 mail server unreachable (messages wait as deferred), 130 interrupted."
    )]
    Send(send::SendArgs),
    /// The outbox: invitations per state and wave, reminders, possible duplicates, last errors
    #[command(
        after_help = "Examples:\n  ecoute status\n  ecoute status fidelite-clients --format json"
    )]
    Status(send::StatusArgs),
    /// Import and export survey responses (phone, interview, mail) as CSV
    #[command(subcommand)]
    Responses(responses::ResponsesCommand),
    /// Call lists for the phone channels
    #[command(subcommand)]
    Calls(responses::CallsCommand),
    /// KPIs of a period against another, per touchpoint, segment or channel
    #[command(
        after_help = "Examples:\n  ecoute report fidelite-clients --period 2026-11 -o rapport-2026-11.html\n  ecoute report fidelite-clients --period 2026-Q3 --vs year-ago --by segment:region --format md\n  ecoute report fidelite-clients --period 2026-11 --format json > kpis.json"
    )]
    Report(report::ReportArgs),
    /// Draw a program's touchpoint map (no data needed)
    #[command(
        after_help = "Examples:\n  ecoute map fidelite-clients -o cartographie.svg\n  ecoute map fidelite-clients --format mermaid"
    )]
    Map(report::MapArgs),
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

impl GlobalArgs {
    fn settings(&self) -> anyhow::Result<Settings> {
        let (path, required) = match &self.config {
            Some(path) => (path.clone(), true),
            None => (PathBuf::from("ecoute.toml"), false),
        };
        let file = ConfigLayer::read(&path, required)?;
        Ok(Settings::resolve(
            ConfigLayer {
                database_url: self.database_url.clone(),
                mail: self.mail.clone(),
                listen: self.listen.clone(),
                admin_token: self.admin_token.clone(),
                templates: self.templates.clone(),
                public_url: self.public_url.clone(),
                secret_file: self.secret_file.clone(),
                client_ip_header: self.client_ip_header.clone(),
            },
            file,
        ))
    }
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

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => {
            let settings = cli.global.settings()?;
            check::run(&args, &settings)
        }
        Command::Schema => {
            let schema = schemars::schema_for!(crate::program::ProgramFile);
            let text = serde_json::to_string_pretty(&schema).context("cannot print the schema")?;
            say!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Init(args) => init::run(&args),
        Command::Contacts(command) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(store_commands::contacts(&command, &settings))
        }
        Command::Plan(args) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(plan::run(&args, &settings))
        }
        Command::Db(command) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(store_commands::db(&command, &settings))
        }
        Command::Serve(args) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(serve::run(&args, &settings))
        }
        Command::Send(args) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(send::send(&args, &settings))
        }
        Command::Status(args) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(send::status(&args, &settings))
        }
        Command::Responses(command) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(responses::responses(&command, &settings))
        }
        Command::Calls(command) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(responses::calls(&command, &settings))
        }
        Command::Report(args) => {
            let settings = cli.global.settings()?;
            runtime()?.block_on(report::run(&args, &settings))
        }
        Command::Map(args) => {
            let settings = cli.global.settings()?;
            report::map(&args, &settings)
        }
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
