//! `ecoute responses import|export`: the answers of the offline channels (phone, interview,
//! paper) in and out as CSV.

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::count::count;
use super::options::{CsvImportArgs, OutputArgs, SurveyArgs};
use super::shared::{find_program, open, open_csv, write_csv};
use super::{Exit, Format};
use crate::config::Settings;
use crate::contacts::progress_bar;
use crate::records::NewResponse;
use crate::responses::{self, DateFormat, Parsed};

/// Rows stored per transaction by `responses import`: large enough that the commit and the
/// rollup upserts are paid once for thousands of rows, small enough that an interrupted
/// import loses at most one batch's work (which a re-import stores).
const IMPORT_BATCH: usize = 5_000;

/// `ecoute responses` subcommands.
#[derive(Debug, Subcommand)]
pub enum ResponsesCommand {
    /// Import answers taken by phone, interview or mail (one row per response)
    #[command(
        after_help = "Columns: submitted_at (2026-11-04 or RFC 3339; 04/11/2026 or 04/11/2026 10:30 \
                      when the program's default locale is French, or with --date-format), optional email, channel \
                      (default import), response_id (makes re-imports harmless), one column \
                      per question id; any other column is a respondent attribute.\n\n\
                      Examples:\n  ecoute responses import --program fidelite-clients --survey centre-contacts appels-novembre.csv\n  ecoute responses import --program fidelite-clients --survey livraison enquete.csv --strict --format json"
    )]
    Import(ImportArgs),
    /// Export the responses of a survey as CSV, in the shape `import` reads
    #[command(
        after_help = "Example:\n  ecoute responses export --program fidelite-clients --survey livraison -o livraison.csv"
    )]
    Export(ExportArgs),
}

/// Arguments of `ecoute responses import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    survey: SurveyArgs,
    #[command(flatten)]
    csv: CsvImportArgs,
    /// Form of `submitted_at`: `iso` (2026-11-04) or `dd/mm/yyyy` (04/11/2026, with an
    /// optional ` hh:mm`); default: ISO, plus dd/mm/yyyy when the program's default locale
    /// is French
    #[arg(long, value_parser = ["iso", "dd/mm/yyyy"])]
    date_format: Option<String>,
    /// Open no case and send no alert for these answers (a backfill of old answers)
    #[arg(long)]
    no_alerts: bool,
}

/// Arguments of `ecoute responses export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    survey: SurveyArgs,
    #[command(flatten)]
    output: OutputArgs,
}

impl ResponsesCommand {
    /// The setting flags of whichever subcommand was given.
    pub fn settings(&self) -> &SurveyArgs {
        match self {
            ResponsesCommand::Import(args) => &args.survey,
            ResponsesCommand::Export(args) => &args.survey,
        }
    }
}

/// Runs a `responses` subcommand.
pub async fn run(command: &ResponsesCommand, settings: &Settings) -> anyhow::Result<Exit> {
    match command {
        ResponsesCommand::Import(args) => import(args, settings).await,
        ResponsesCommand::Export(args) => export(args, settings).await,
    }
}

fn read(args: &ImportArgs, program: &crate::program::Program) -> anyhow::Result<Parsed> {
    let survey = responses::find_survey(program, &args.survey.survey)?;
    let (input, delimiter) = open_csv(&args.csv)?;
    let parsed = responses::parse(
        input,
        delimiter,
        program,
        survey,
        args.date_format.as_deref().map(|f| match f {
            "iso" => DateFormat::Iso,
            _ => DateFormat::DayMonthYear,
        }),
    )
    .with_context(|| format!("cannot import {}", args.csv.file.display()))?;
    Ok(parsed)
}

async fn import(args: &ImportArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = find_program(&args.survey.program, settings)?;
    let mut parsed = read(args, &program)?;
    let rows = (parsed.rows.len() + parsed.errors.len()) as u64;
    let rejected = parsed.errors.len() as u64;
    for error in &parsed.errors {
        eprintln!("{}: {error}", args.csv.file.display());
    }
    if args.csv.strict && rejected > 0 {
        match args.csv.format {
            Format::Json => say!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "file": args.csv.file, "rows": rows, "imported": 0, "already_imported": 0,
                    "rejected": rejected, "strict": true,
                    "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
                }))?
            ),
            Format::Human => {
                say!(
                    "{} read, {rejected} rejected: nothing imported (--strict)",
                    count(rows, "row")
                )
            }
        }
        return Ok(Exit::Problems);
    }
    let store = open(settings).await?;
    let good = std::mem::take(&mut parsed.rows);
    let (imported, duplicates) = store_rows(args, &program, &store, good).await?;
    match args.csv.format {
        Format::Json => say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": args.csv.file, "rows": rows, "imported": imported,
                "already_imported": duplicates, "rejected": rejected, "blank": parsed.blank, "strict": args.csv.strict,
                "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
            }))?
        ),
        Format::Human => say!(
            "{} read: {} imported, {duplicates} already imported, {rejected} rejected{}",
            count(rows, "row"),
            count(imported, "response"),
            if parsed.blank > 0 {
                format!(
                    ", {} skipped (no date, no answer)",
                    count(parsed.blank, "blank row")
                )
            } else {
                String::new()
            }
        ),
    }
    Ok(Exit::problems_if(rejected > 0))
}

/// Stores the good rows a batch per transaction (`--strict`: the whole file in one, so that
/// nothing is stored unless everything is), with a progress bar on files of several batches;
/// returns how many were stored and how many were already there.
async fn store_rows(
    args: &ImportArgs,
    program: &crate::program::Program,
    store: &crate::store::Store,
    rows: Vec<responses::ParsedRow>,
) -> anyhow::Result<(u64, u64)> {
    let batch = if args.csv.strict {
        rows.len().max(1)
    } else {
        IMPORT_BATCH
    };
    let bar = progress_bar(
        args.csv.format == Format::Human && rows.len() > batch,
        rows.len() as u64,
        "{spinner} importing responses [{bar:40}] {pos}/{len} rows ({per_sec}, {eta})",
    );
    let (mut imported, mut duplicates) = (0u64, 0u64);
    let mut rows = rows.into_iter().peekable();
    while let Some(first) = rows.peek().map(|row| row.line) {
        let mut last = first;
        let responses: Vec<NewResponse> = rows
            .by_ref()
            .take(batch)
            .map(|row| {
                last = row.line;
                let mut response = row.response;
                if !args.no_alerts {
                    response.cases = crate::cases::open(program, &response);
                }
                response
            })
            .collect();
        let stored = store
            .insert_responses(&responses, jiff::Timestamp::now())
            .await
            .with_context(|| {
                format!(
                    "cannot store lines {first}-{last} of {} ({imported} responses stored before \
                 them stay stored{}; run the import again: rows with a response_id are not \
                 stored twice)",
                    args.csv.file.display(),
                    if args.csv.strict {
                        ", none with --strict"
                    } else {
                        ""
                    },
                )
            })?;
        for id in stored {
            match id {
                Some(_) => imported += 1,
                None => duplicates += 1,
            }
        }
        bar.inc(responses.len() as u64);
    }
    bar.finish_and_clear();
    Ok((imported, duplicates))
}

async fn export(args: &ExportArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = find_program(&args.survey.program, settings)?;
    let survey = responses::find_survey(&program, &args.survey.survey)?;
    let store = open(settings).await?;
    let stored = store.survey_responses(program.id(), &survey.id).await?;
    let attributes = responses::attribute_names(&stored);
    let mut records = vec![responses::header(survey, &attributes)];
    records.extend(
        stored
            .iter()
            .map(|r| responses::record(survey, &attributes, r)),
    );
    write_csv(args.output.output.as_deref(), &records)?;
    if let Some(path) = &args.output.output {
        eprintln!(
            "{} written to {}",
            count(stored.len(), "response"),
            path.display()
        );
    }
    Ok(Exit::Success)
}
