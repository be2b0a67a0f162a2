//! `ecoute contacts …`: the contact directory.

use anyhow::Context;
use clap::{Args, Subcommand};
use encoding_rs::WINDOWS_1252;
use serde_json::json;

use super::count::count;
use super::options::{CsvImportArgs, MailArgs, Overrides, StoreArgs};
use super::shared::open;
use super::{Exit, Format};
use crate::config::{ConfigLayer, Settings};
use crate::contacts::parse::LEGACY_ENCODING_NOTE;
use crate::contacts::{self, ImportError, ImportOptions};
use crate::dispatch::transport::{MailSettings, remove_emails_of};
use crate::store::Store;

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
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Erase a person everywhere and never contact them again (GDPR erasure)
    #[command(after_help = "Example:\n  ecoute contacts forget camille.martin@example.org")]
    Forget(ForgetArgs),
}

/// Arguments of `ecoute contacts forget`: the mail setting says where the file outbox keeps
/// the person's emails, which are deleted too.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// The person's email
    email: String,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    mail: MailArgs,
}

impl Overrides for ForgetArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        self.store.apply(layer);
        self.mail.apply(layer);
    }
}

/// Arguments of `ecoute contacts import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    csv: CsvImportArgs,
    #[command(flatten)]
    store: StoreArgs,
}

impl ContactsCommand {
    /// The setting flags of whichever subcommand was given.
    pub fn settings(&self) -> &dyn Overrides {
        match self {
            ContactsCommand::Import(args) => &args.store,
            ContactsCommand::List { store, .. } => store,
            ContactsCommand::Forget(args) => args,
        }
    }
}

/// Runs a `contacts` subcommand.
pub async fn run(command: &ContactsCommand, settings: &Settings) -> anyhow::Result<Exit> {
    let store = open(settings).await?;
    match command {
        ContactsCommand::Import(args) => {
            let options = ImportOptions {
                encoding: args.csv.encoding()?,
                delimiter: args.csv.delimiter()?,
                strict: args.csv.strict,
                show_progress: args.csv.format == Format::Human,
                ..ImportOptions::default()
            };
            let summary = match contacts::import_file(&store, &args.csv.file, &options).await {
                Ok(summary) => summary,
                Err(ImportError::Strict(summary)) => {
                    for error in &summary.errors {
                        eprintln!("{}: {error}", args.csv.file.display());
                    }
                    say!(
                        "{} read, {} rejected: nothing imported (--strict)",
                        count(summary.rows, "row"),
                        summary.rejected
                    );
                    return Ok(Exit::Problems);
                }
                Err(err) => {
                    return Err(anyhow::Error::new(err)
                        .context(format!("cannot import {}", args.csv.file.display())));
                }
            };
            let bad = summary.rejected > 0;
            match args.csv.format {
                Format::Json => say!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "file": args.csv.file,
                        "encoding": summary.encoding,
                        "delimiter": summary.delimiter.to_string(),
                        "rows": summary.rows,
                        "imported": summary.inserted,
                        "updated": summary.updated,
                        "rejected": summary.rejected,
                        "skipped_erased": summary.skipped_erased,
                        "strict": args.csv.strict,
                        "errors": summary.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
                    }))?
                ),
                Format::Human => {
                    if options.encoding.is_none() && summary.encoding == WINDOWS_1252.name() {
                        eprintln!("{} {LEGACY_ENCODING_NOTE}", args.csv.file.display());
                    }
                    for error in &summary.errors {
                        eprintln!("{}: {error}", args.csv.file.display());
                    }
                    {
                        say!(
                            "{} read ({}, delimiter {:?}): {} imported, {} updated, {} rejected{}",
                            count(summary.rows, "row"),
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
            Ok(Exit::problems_if(bad))
        }
        ContactsCommand::List {
            limit,
            offset,
            format,
            ..
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
                    say!("{} of {}", contacts.len(), count(total, "contact"));
                }
            }
            Ok(Exit::Success)
        }
        ContactsCommand::Forget(args) => forget(&store, args, settings).await,
    }
}

/// Erases the person in the store, then their emails in the file outbox.
async fn forget(store: &Store, args: &ForgetArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let email = &args.email;
    let mail = MailSettings::parse(&settings.mail)?;
    let report = contacts::forget(store, email).await?;
    let removed = match &mail {
        MailSettings::Files(dir) => remove_emails_of(dir, &report.invitation_ids)
            .with_context(|| {
                format!(
                    "{email} was erased from the database, but their emails in {} could not all be deleted; delete the files ecoute.<id>.* for invitations {:?} by hand",
                    dir.display(),
                    report.invitation_ids
                )
            })?,
        MailSettings::Smtp(_) => 0,
    };
    say!(
        "forgot {email}: {}, {}, {} ({}), {} erased; never contacted again",
        count(report.contacts, "contact"),
        count(report.invitations, "invitation"),
        count(report.responses, "response"),
        count(report.verbatims, "verbatim"),
        count(removed, "outbox email")
    );
    if report.wal_pending {
        eprintln!(
            "warning: another process is reading the database, so its write-ahead log (-wal file) still holds the erased values until the next checkpoint; run `ecoute contacts forget {email}` again once it has stopped"
        );
    }
    Ok(Exit::Success)
}
