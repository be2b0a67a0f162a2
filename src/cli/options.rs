//! Flag groups that subcommands include as they need them, so each `--help` lists only the
//! flags its command uses. The setting groups keep the `ECOUTE_*` variable names and the
//! `ecoute.toml` keys of [`crate::config`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use encoding_rs::Encoding;

use super::Format;
use crate::clock::Clock;
use crate::config::ConfigLayer;
use crate::contacts::ImportError;
use crate::contacts::parse::{delimiter_from_arg, encoding_from_label};
use crate::dispatch::engine::DispatchOptions;
use crate::dispatch::policy::RetryPolicy;

/// The `--help` heading of the settings, apart from the command's own options.
pub const SETTINGS: &str = "Settings";

/// A group of settings given as flags or `ECOUTE_*` variables, which win over `ecoute.toml`.
pub trait Overrides {
    /// Writes the settings of this group into the winning layer.
    fn apply(&self, layer: &mut ConfigLayer);
}

/// Where the store lives.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Database URL: sqlite://ecoute.db (default) or postgres://user@host/db
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
}

impl Overrides for StoreArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.database_url = self.database_url.clone();
    }
}

/// Where template overrides live (programs are checked against them).
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    /// Folder of templates that override the embedded ones
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_TEMPLATES", value_name = "DIR")]
    templates: Option<PathBuf>,
}

impl Overrides for TemplatesArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.templates = self.templates.clone();
    }
}

/// Where emails go.
#[derive(Debug, Args)]
pub struct MailArgs {
    /// Mail transport: file://outbox (default) or smtp://host:port
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_MAIL", value_name = "URL")]
    mail: Option<String>,
}

impl Overrides for MailArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.mail = self.mail.clone();
    }
}

/// The base of the links ecoute writes and serves.
#[derive(Debug, Args)]
pub struct PublicUrlArgs {
    /// Public base URL of the web server, used in survey links
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
}

impl Overrides for PublicUrlArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.public_url = self.public_url.clone();
    }
}

/// The secret survey links are derived from.
#[derive(Debug, Args)]
pub struct SecretArgs {
    /// File holding the secret survey links are derived from (default ./ecoute.secret)
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_SECRET_FILE", value_name = "FILE")]
    secret_file: Option<PathBuf>,
}

impl Overrides for SecretArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.secret_file = self.secret_file.clone();
    }
}

/// What survey and unsubscribe links in emails are made of.
#[derive(Debug, Args)]
pub struct LinkArgs {
    #[command(flatten)]
    public_url: PublicUrlArgs,
    #[command(flatten)]
    secret: SecretArgs,
}

impl Overrides for LinkArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        self.public_url.apply(layer);
        self.secret.apply(layer);
    }
}

/// How the web server listens and whom it trusts.
#[derive(Debug, Args)]
pub struct WebArgs {
    /// Address the web server listens on (default 127.0.0.1:8080)
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_LISTEN", value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    public_url: PublicUrlArgs,
    /// Bearer token for the admin API and /metrics (both are off without one)
    #[arg(
        long,
        help_heading = SETTINGS,
        env = "ECOUTE_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// Header a trusted reverse proxy puts the client address in (e.g. X-Forwarded-For)
    #[arg(long, help_heading = SETTINGS, env = "ECOUTE_CLIENT_IP_HEADER", value_name = "HEADER")]
    client_ip_header: Option<String>,
}

impl Overrides for WebArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        layer.listen = self.listen.clone();
        self.public_url.apply(layer);
        layer.admin_token = self.admin_token.clone();
        layer.client_ip_header = self.client_ip_header.clone();
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event (journald and terminals).
    #[default]
    Human,
    /// One JSON object per line, fields as keys (log collectors).
    Json,
}

/// Where and how the long-running commands (`serve`, `daemon`) and `send` log through
/// `tracing`: always on standard error, link tokens and email addresses masked.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log format: human (default) or json, one object per line
    #[arg(
        long,
        value_enum,
        help_heading = SETTINGS,
        env = "ECOUTE_LOG_FORMAT",
        value_name = "FORMAT"
    )]
    log_format: Option<LogFormat>,
}

impl LogArgs {
    /// Whether a format was asked for (flag or `ECOUTE_LOG_FORMAT`): `send` logs only then.
    pub fn requested(&self) -> bool {
        self.log_format.is_some()
    }

    /// Sends `tracing` events at level INFO and above to standard error in the chosen
    /// format. A subscriber set earlier (by an embedding program) keeps its own output.
    pub fn init(&self) {
        let builder = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_target(false);
        let _ = match self.log_format.unwrap_or_default() {
            LogFormat::Human => builder.try_init(),
            LogFormat::Json => builder
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .try_init(),
        };
    }
}

/// The CSV file an import reads and how, for every command that imports one.
#[derive(Debug, Args)]
pub struct CsvImportArgs {
    /// The CSV file
    pub file: PathBuf,
    /// Encoding (utf-8, windows-1252, latin1…); detected when absent
    #[arg(long)]
    encoding: Option<String>,
    /// Delimiter (`,`, `;`, `tab`); detected from the header when absent
    #[arg(long)]
    delimiter: Option<String>,
    /// Import nothing when any row is bad
    #[arg(long)]
    pub strict: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

impl CsvImportArgs {
    /// The encoding asked for, if any.
    pub fn encoding(&self) -> Result<Option<&'static Encoding>, ImportError> {
        self.encoding
            .as_deref()
            .map(encoding_from_label)
            .transpose()
    }

    /// The delimiter asked for, if any.
    pub fn delimiter(&self) -> Result<Option<u8>, ImportError> {
        self.delimiter
            .as_deref()
            .map(delimiter_from_arg)
            .transpose()
    }
}

/// The survey of a program an offline-channel command is about, and where both live.
#[derive(Debug, Args)]
pub struct SurveyArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    pub program: String,
    /// Survey id
    #[arg(long)]
    pub survey: String,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    templates: TemplatesArgs,
}

impl Overrides for SurveyArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        self.store.apply(layer);
        self.templates.apply(layer);
    }
}

/// Where a command writes what it produces.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output file (default: standard output)
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// How a dispatcher claims and sends (`send` and `daemon`).
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// Most messages claimed and not yet recorded at once; after a crash, at most this many
    /// can go out twice (each flagged in `ecoute status`)
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    concurrency: u32,
    /// SMTP connections kept open
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    connections: u32,
    /// Cap on messages per second for this run, over every channel (channels have their own
    /// `rate_per_second` too)
    #[arg(long, value_name = "PER_SECOND", env = "ECOUTE_MAX_RATE")]
    max_rate: Option<f64>,
    /// Seconds a claim stays exclusive; a crashed sender's messages are taken over after it
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    lease: u64,
    /// Delay before the first retry of a temporary failure; it doubles at each attempt
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    retry_base: u64,
    /// Attempts before a temporary failure is given up as failed
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=100))]
    max_attempts: u32,
}

impl DispatchArgs {
    /// The engine's options on `clock`: the lease is real time, so a fast rehearsal clock
    /// counts it in its own faster seconds; the owner is this host and process.
    pub fn options(&self, clock: Clock) -> DispatchOptions {
        DispatchOptions {
            owner: format!(
                "{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into()),
                std::process::id()
            ),
            concurrency: self.concurrency as usize,
            connections: self.connections as usize,
            lease: clock.scaled(Duration::from_secs(self.lease.max(1))),
            retry: RetryPolicy {
                base: Duration::from_secs(self.retry_base),
                max_attempts: self.max_attempts,
                ..RetryPolicy::default()
            },
            max_rate: self.max_rate,
            clock,
            ..DispatchOptions::default()
        }
    }
}
