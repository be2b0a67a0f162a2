//! `ecoute db …`: the database schema and the report rollups.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use super::Exit;
use super::count::count;
use super::options::StoreArgs;
use super::shared::open;
use crate::config::Settings;
use crate::redact::redact_url;

/// `ecoute db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (they also run automatically when a command opens the store)
    #[command(
        after_help = "Example:\n  ecoute db migrate --database-url postgres://ecoute@db.internal/ecoute"
    )]
    Migrate(DbArgs),
    /// Show the schema version of the database
    #[command(after_help = "Example:\n  ecoute db status")]
    Status(DbArgs),
    /// Recompute the report rollups from the stored answers (after a restore, or to audit)
    #[command(after_help = "Example:\n  ecoute db rebuild-rollups")]
    RebuildRollups(DbArgs),
    /// Copy the SQLite database into a new file while `serve` and `send` keep running
    #[command(
        after_help = "Copying ecoute.db by hand while `serve` runs misses the answers still in \
                      ecoute.db-wal; this copy includes them. For PostgreSQL, use pg_dump.\n\n\
                      Example:\n  ecoute db backup sauvegardes/ecoute-2026-11-30.db"
    )]
    Backup(BackupArgs),
}

/// Arguments of `ecoute db backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write (must not exist)
    file: PathBuf,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of every `ecoute db` subcommand.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(flatten)]
    store: StoreArgs,
}

impl DbCommand {
    /// The store flags of whichever subcommand was given.
    pub fn store(&self) -> &StoreArgs {
        match self {
            DbCommand::Migrate(args)
            | DbCommand::Status(args)
            | DbCommand::RebuildRollups(args) => &args.store,
            DbCommand::Backup(args) => &args.store,
        }
    }
}

/// Runs a `db` subcommand.
pub async fn run(command: &DbCommand, settings: &Settings) -> anyhow::Result<Exit> {
    let store = open(settings).await?;
    match command {
        DbCommand::Migrate(_) => {
            let applied = store.migrate().await?;
            if applied.is_empty() {
                say!("{}: up to date", redact_url(&settings.database_url));
            } else {
                say!(
                    "{}: applied migrations {applied:?}",
                    redact_url(&settings.database_url)
                );
            }
        }
        DbCommand::Status(_) => {
            let status = store.status().await?;
            say!(
                "{} ({:?}): schema version {}, latest {}, {} pending",
                redact_url(&settings.database_url),
                status.backend,
                status.current.map_or("none".to_owned(), |v| v.to_string()),
                status.latest,
                status.pending.len()
            );
        }
        DbCommand::Backup(args) => {
            if args.file.exists() {
                bail!(
                    "{} already exists: name a new file (the backup never overwrites one)",
                    args.file.display()
                );
            }
            let target = args
                .file
                .to_str()
                .with_context(|| format!("{} is not a UTF-8 path", args.file.display()))?;
            store
                .backup(target)
                .await
                .with_context(|| format!("cannot write the backup {}", args.file.display()))?;
            say!(
                "{} copied to {}",
                redact_url(&settings.database_url),
                args.file.display()
            );
        }
        DbCommand::RebuildRollups(_) => {
            let summary = store.rebuild_rollups().await?;
            say!(
                "rollups rebuilt from {}: {}",
                count(summary.responses, "response"),
                count(summary.counters, "counter")
            );
        }
    }
    Ok(Exit::Success)
}
