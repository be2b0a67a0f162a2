//! `ecoute mentions import`: social mentions exported by the team's listening tool, stored
//! as the verbatims of channel `social` and counted by theme in reports.

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::count::count;
use super::options::{CsvImportArgs, Overrides, StoreArgs, TemplatesArgs};
use super::shared::{find_program, open, open_csv};
use super::{Exit, Format};
use crate::config::{ConfigLayer, Settings};
use crate::mentions;

/// `ecoute mentions` subcommands.
#[derive(Debug, Subcommand)]
pub enum MentionsCommand {
    /// Import social mentions (one row per mention) from the listening tool's CSV export
    #[command(
        after_help = "Columns: date (2026-11-04 or RFC 3339), source, text, and optional rating \
                      (1 to 5), url, touchpoint (a touchpoint id). A mention already imported \
                      (same date, source, text and url) is not stored twice.\n\n\
                      Examples:\n  ecoute mentions import --program fidelite-clients mentions-novembre.csv\n  ecoute mentions import --program fidelite-clients export.csv --strict --format json"
    )]
    Import(ImportArgs),
}

/// Arguments of `ecoute mentions import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    program: String,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    templates: TemplatesArgs,
    #[command(flatten)]
    csv: CsvImportArgs,
}

impl Overrides for MentionsCommand {
    fn apply(&self, layer: &mut ConfigLayer) {
        let MentionsCommand::Import(args) = self;
        args.store.apply(layer);
        args.templates.apply(layer);
    }
}

/// Runs a `mentions` subcommand.
pub async fn run(command: &MentionsCommand, settings: &Settings) -> anyhow::Result<Exit> {
    let MentionsCommand::Import(args) = command;
    let program = find_program(&args.program, settings)?;
    let (input, delimiter) = open_csv(&args.csv)?;
    let parsed = mentions::parse(input, delimiter, &program)
        .with_context(|| format!("cannot import {}", args.csv.file.display()))?;
    let file = args.csv.file.display();
    for error in &parsed.errors {
        eprintln!("{file}: {error}");
    }
    let rows = (parsed.rows.len() + parsed.errors.len()) as u64;
    let rejected = parsed.errors.len() as u64;
    let refused = args.csv.strict && rejected > 0;
    let imported = if refused {
        0
    } else {
        let store = open(settings).await?;
        store
            .insert_mentions(&parsed.rows)
            .await
            .with_context(|| format!("cannot store the mentions of {file} (none was stored)"))?
    };
    let already = if refused {
        0
    } else {
        parsed.rows.len() as u64 - imported
    };
    match args.csv.format {
        Format::Json => say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": args.csv.file, "rows": rows, "imported": imported,
                "already_imported": already, "rejected": rejected, "strict": args.csv.strict,
                "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
            }))?
        ),
        Format::Human if refused => say!(
            "{} read, {rejected} rejected: nothing imported (--strict)",
            count(rows, "row")
        ),
        Format::Human => say!(
            "{} read: {} imported, {already} already imported, {rejected} rejected",
            count(rows, "row"),
            count(imported, "mention"),
        ),
    }
    Ok(Exit::problems_if(rejected > 0))
}
