//! `ecoute indicators import`: operational indicators (waiting time, digital rate, churn,
//! average basket, acquisition cost, requests by reason) from the team's systems as CSV.

use anyhow::Context;
use clap::{Args, Subcommand};
use jiff::Timestamp;
use serde_json::json;

use super::count::count;
use super::options::Overrides;
use super::options::{CsvImportArgs, StoreArgs, TemplatesArgs};
use super::shared::{find_program, open, open_csv};
use super::{Exit, Format};
use crate::config::{ConfigLayer, Settings};
use crate::indicators;

/// `ecoute indicators` subcommands.
#[derive(Debug, Subcommand)]
pub enum IndicatorsCommand {
    /// Import indicator rows (observations or per-period aggregates) of a program
    #[command(
        after_help = "Columns: date (2026-11-04) or period (2026-11), indicator (an id of the \
                      program's `indicators:`), then by kind: mean: value (one observation) or \
                      value, n and optionally sd (an aggregate); ratio: value 0/1 or numerator \
                      and denominator; quotient: numerator and denominator; count: value (the \
                      volume). Optional: touchpoint, segment, breakdown (a count's category), \
                      row_id (makes re-imports harmless).\n\n\
                      Examples:\n  ecoute indicators import --program fidelite-clients programs/indicateurs/2026-10.csv\n  ecoute indicators import --program fidelite-clients attente.csv --strict --format json"
    )]
    Import(ImportArgs),
}

/// Arguments of `ecoute indicators import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    program: String,
    #[command(flatten)]
    csv: CsvImportArgs,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    templates: TemplatesArgs,
}

impl Overrides for ImportArgs {
    fn apply(&self, layer: &mut ConfigLayer) {
        self.store.apply(layer);
        self.templates.apply(layer);
    }
}

impl IndicatorsCommand {
    /// The setting flags of whichever subcommand was given.
    pub fn settings(&self) -> &ImportArgs {
        match self {
            IndicatorsCommand::Import(args) => args,
        }
    }
}

/// Runs an `indicators` subcommand.
pub async fn run(command: &IndicatorsCommand, settings: &Settings) -> anyhow::Result<Exit> {
    match command {
        IndicatorsCommand::Import(args) => import(args, settings).await,
    }
}

async fn import(args: &ImportArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = find_program(&args.program, settings)?;
    let file = args.csv.file.display();
    let (input, delimiter) = open_csv(&args.csv)?;
    let now = Timestamp::now();
    let parsed = indicators::parse(input, delimiter, &program, now)
        .with_context(|| format!("cannot import {file}"))?;
    let rows = (parsed.rows.len() + parsed.errors.len()) as u64;
    let rejected = parsed.errors.len() as u64;
    for error in &parsed.errors {
        eprintln!("{file}: {error}");
    }
    let errors: Vec<_> = parsed
        .errors
        .iter()
        .map(|e| json!({"line": e.line, "message": e.to_string()}))
        .collect();
    if args.csv.strict && rejected > 0 {
        match args.csv.format {
            Format::Json => say!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "file": args.csv.file, "rows": rows, "imported": 0, "already_imported": 0,
                    "rejected": rejected, "strict": true, "errors": errors,
                }))?
            ),
            Format::Human => say!(
                "{} read, {rejected} rejected: nothing imported (--strict)",
                count(rows, "row")
            ),
        }
        return Ok(Exit::Problems);
    }
    let store = open(settings).await?;
    let good: Vec<_> = parsed.rows.into_iter().map(|(_, row)| row).collect();
    let stored = store
        .import_indicators(program.id(), &good, now)
        .await
        .with_context(|| format!("cannot store the rows of {file}: nothing was imported"))?;
    match args.csv.format {
        Format::Json => say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": args.csv.file, "rows": rows, "imported": stored.imported,
                "already_imported": stored.already_imported, "rejected": rejected,
                "strict": args.csv.strict, "errors": errors,
            }))?
        ),
        Format::Human => say!(
            "{} read: {} imported, {} already imported, {rejected} rejected",
            count(rows, "row"),
            count(stored.imported, "row"),
            stored.already_imported
        ),
    }
    Ok(Exit::problems_if(rejected > 0))
}
