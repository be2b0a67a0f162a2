//! `ecoute contacts …` and `ecoute db …`: the contact directory and the database.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::{EXIT_PROBLEMS, Format};
use crate::config::Settings;
use crate::contacts::{self, ImportError, ImportOptions};
use crate::store::{Store, redact_url};

/// `ecoute contacts` subcommands.
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Import or update contacts from a CSV file (header with an `email` column)
    #[command(
        after_help = "Examples:\n  ecoute contacts import programs/contacts/clients.csv\n  ecoute contacts import export-excel.csv --encoding windows-1252 --delimiter ';' --strict"
    )]
    Import(ImportArgs),
    /// List the contacts in the store
    #[command(after_help = "Example:\n  ecoute contacts list --limit 20 --format json")]
    List {
        /// How many to show
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// How many to skip
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Output format
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Erase a person everywhere and never contact them again (GDPR erasure)
    #[command(after_help = "Example:\n  ecoute contacts forget camille.martin@example.org")]
    Forget {
        /// The person's email
        email: String,
    },
}

/// Arguments of `ecoute contacts import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file
    file: PathBuf,
    /// Encoding (utf-8, windows-1252, latin1…); detected when absent
    #[arg(long)]
    encoding: Option<String>,
    /// Delimiter (`,`, `;`, `tab`); detected from the header when absent
    #[arg(long)]
    delimiter: Option<String>,
    /// Import nothing when any row is bad
    #[arg(long)]
    strict: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// `ecoute db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (they also run automatically when a command opens the store)
    #[command(
        after_help = "Example:\n  ecoute db migrate --database-url postgres://ecoute@db.internal/ecoute"
    )]
    Migrate,
    /// Show the schema version of the database
    #[command(after_help = "Example:\n  ecoute db status")]
    Status,
    /// Recompute the report rollups from the stored answers (after a restore, or to audit)
    #[command(after_help = "Example:\n  ecoute db rebuild-rollups")]
    RebuildRollups,
}

/// Opens the configured store, with the URL (password hidden) in the error.
pub async fn open(settings: &Settings) -> anyhow::Result<Store> {
    Store::open(&settings.database_url).await.with_context(|| {
        format!(
            "cannot open the database {}",
            redact_url(&settings.database_url)
        )
    })
}

/// Runs a `contacts` subcommand.
pub async fn contacts(command: &ContactsCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    match command {
        ContactsCommand::Import(args) => {
            let options = ImportOptions {
                encoding: args
                    .encoding
                    .as_deref()
                    .map(contacts::parse::encoding_from_label)
                    .transpose()?,
                delimiter: args
                    .delimiter
                    .as_deref()
                    .map(contacts::parse::delimiter_from_arg)
                    .transpose()?,
                strict: args.strict,
                show_progress: args.format == Format::Human,
                ..ImportOptions::default()
            };
            let summary = match contacts::import_file(&store, &args.file, &options).await {
                Ok(summary) => summary,
                Err(ImportError::Strict(summary)) => {
                    for error in &summary.errors {
                        eprintln!("{}: {error}", args.file.display());
                    }
                    say!(
                        "{} rows read, {} rejected: nothing imported (--strict)",
                        summary.rows,
                        summary.rejected
                    );
                    return Ok(ExitCode::from(EXIT_PROBLEMS));
                }
                Err(err) => {
                    return Err(anyhow::Error::new(err)
                        .context(format!("cannot import {}", args.file.display())));
                }
            };
            let bad = summary.rejected > 0;
            match args.format {
                Format::Json => say!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "file": args.file,
                        "encoding": summary.encoding,
                        "delimiter": summary.delimiter.to_string(),
                        "rows": summary.rows,
                        "imported": summary.inserted,
                        "updated": summary.updated,
                        "rejected": summary.rejected,
                        "skipped_erased": summary.skipped_erased,
                        "strict": args.strict,
                        "errors": summary.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
                    }))?
                ),
                Format::Human => {
                    for error in &summary.errors {
                        eprintln!("{}: {error}", args.file.display());
                    }
                    {
                        say!(
                            "{} rows read ({}, delimiter {:?}): {} imported, {} updated, {} rejected{}",
                            summary.rows,
                            summary.encoding,
                            summary.delimiter,
                            summary.inserted,
                            summary.updated,
                            summary.rejected,
                            if summary.skipped_erased > 0 {
                                format!(", {} skipped (erased people)", summary.skipped_erased)
                            } else {
                                String::new()
                            }
                        );
                    }
                }
            }
            Ok(if bad {
                ExitCode::from(EXIT_PROBLEMS)
            } else {
                ExitCode::SUCCESS
            })
        }
        ContactsCommand::List {
            limit,
            offset,
            format,
        } => {
            let contacts = store.list_contacts(*limit, *offset).await?;
            let total = store.count_contacts().await?;
            match format {
                Format::Json => {
                    let rows: Vec<_> = contacts
                        .iter()
                        .map(|c| {
                            json!({"email": c.email, "first_name": c.first_name, "last_name": c.last_name, "locale": c.locale, "attributes": c.attributes})
                        })
                        .collect();
                    say!(
                        "{}",
                        serde_json::to_string_pretty(&json!({"total": total, "contacts": rows}))?
                    );
                }
                Format::Human => {
                    for c in &contacts {
                        say!(
                            "{:<36} {:<24} {:<5} {}",
                            c.email,
                            format!(
                                "{} {}",
                                c.first_name.as_deref().unwrap_or(""),
                                c.last_name.as_deref().unwrap_or("")
                            )
                            .trim(),
                            c.locale.as_deref().unwrap_or("-"),
                            serde_json::Value::Object(c.attributes.clone())
                        );
                    }
                    say!("{} of {total} contacts", contacts.len());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        ContactsCommand::Forget { email } => {
            let report = contacts::forget(&store, email).await?;
            say!(
                "forgot {email}: {} contact, {} invitations, {} responses ({} verbatims) erased; never contacted again",
                report.contacts,
                report.invitations,
                report.responses,
                report.verbatims
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Runs a `db` subcommand.
pub async fn db(command: &DbCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open(settings).await?;
    match command {
        DbCommand::Migrate => {
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
        DbCommand::Status => {
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
        DbCommand::RebuildRollups => {
            let summary = store.rebuild_rollups().await?;
            say!(
                "rollups rebuilt from {} responses: {} counters",
                summary.responses,
                summary.counters
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
