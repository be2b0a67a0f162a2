//! `ecoute responses import|export`: the answers of the offline channels (phone, interview,
//! paper) in and out as CSV.

use std::sync::Arc;

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

/// Where a streamed import stands: what the reader found besides good rows, and how many
/// responses were stored or already there.
#[derive(Default)]
struct Imported {
    parsed: Parsed,
    stored: u64,
    duplicates: u64,
}

async fn import(args: &ImportArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let program = Arc::new(find_program(&args.survey.program, settings)?);
    let survey = responses::find_survey(&program, &args.survey.survey)?;
    let imported = if args.csv.strict {
        let (input, delimiter) = open_csv(&args.csv)?;
        let mut parsed = responses::parse(input, delimiter, &program, survey, date_format(args))
            .with_context(|| format!("cannot import {}", args.csv.file.display()))?;
        if !parsed.errors.is_empty() {
            let refused = Imported {
                parsed,
                ..Imported::default()
            };
            return Ok(report(args, &refused, true));
        }
        let store = open(settings).await?;
        let rows = std::mem::take(&mut parsed.rows);
        let bar = indicatif::ProgressBar::hidden();
        let mut imported = Imported {
            parsed,
            ..Imported::default()
        };
        store_batch(args, &program, &store, rows, &mut imported, &bar).await?;
        imported
    } else {
        stream(args, &program, settings).await?
    };
    Ok(report(args, &imported, false))
}

fn date_format(args: &ImportArgs) -> Option<DateFormat> {
    args.date_format.as_deref().map(|f| match f {
        "iso" => DateFormat::Iso,
        _ => DateFormat::DayMonthYear,
    })
}

/// Says what became of every row: each rejected row on stderr with its line, then the
/// totals; `refused`: `--strict` met a bad row and stored nothing.
fn report(args: &ImportArgs, imported: &Imported, refused: bool) -> Exit {
    let Imported {
        parsed,
        stored,
        duplicates,
    } = imported;
    let rejected = parsed.errors.len() as u64;
    let rows = parsed.rows.len() as u64 + stored + duplicates + rejected;
    for error in &parsed.errors {
        eprintln!("{}: {error}", args.csv.file.display());
    }
    match args.csv.format {
        Format::Json => say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": args.csv.file, "rows": rows, "imported": stored,
                "already_imported": duplicates, "rejected": rejected, "blank": parsed.blank, "strict": args.csv.strict,
                "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
            }))
            .unwrap_or_default()
        ),
        Format::Human if refused => say!(
            "{} read, {rejected} rejected: nothing imported (--strict)",
            count(rows, "row")
        ),
        Format::Human => say!(
            "{} read: {} imported, {duplicates} already imported, {rejected} rejected{}",
            count(rows, "row"),
            count(*stored, "response"),
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
    if refused {
        Exit::Problems
    } else {
        Exit::problems_if(rejected > 0)
    }
}

/// Reads the file on a thread of its own and stores its good rows a batch per transaction
/// as they come, so that reading, checking and storing overlap and memory stays flat
/// whatever the file's size; a progress bar follows the bytes read on files of several
/// batches.
async fn stream(
    args: &ImportArgs,
    program: &Arc<crate::program::Program>,
    settings: &Settings,
) -> anyhow::Result<Imported> {
    let (input, delimiter) = open_csv(&args.csv)?;
    let size = std::fs::metadata(&args.csv.file).map_or(0, |m| m.len());
    let bar = progress_bar(
        args.csv.format == Format::Human && size > LARGE_FILE,
        size,
        // No rate or time left: the bar moves a batch at a time, and indicatif's estimate
        // (which starts from zero) never settles within an import of a few seconds.
        "{spinner} importing responses [{bar:40}] {bytes}/{total_bytes} · {msg} stored · {elapsed}",
    );
    bar.set_message(count(0u64, "response"));
    let (batches, mut arriving) = tokio::sync::mpsc::channel::<(Vec<responses::ParsedRow>, u64)>(2);
    let reader = {
        let program = Arc::clone(program);
        let survey_id = args.survey.survey.clone();
        let dates = date_format(args);
        tokio::task::spawn_blocking(move || {
            let survey = responses::find_survey(&program, &survey_id)?;
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            let mut parsed =
                responses::parse_each(input, delimiter, &program, survey, dates, |row, at| {
                    batch.push(row);
                    batch.len() < IMPORT_BATCH
                        || batches
                            .blocking_send((std::mem::take(&mut batch), at))
                            .is_ok()
                })?;
            parsed.rows = batch;
            Ok::<_, responses::ResponsesError>(parsed)
        })
    };
    let mut imported = Imported::default();
    // Opened with the first good rows: a file whose header is wrong touches no database.
    let mut store = None;
    while let Some((rows, at)) = arriving.recv().await {
        let store = opened(&mut store, settings).await?;
        store_batch(args, program, store, rows, &mut imported, &bar).await?;
        bar.set_position(at.min(size));
        bar.set_message(count(imported.stored, "response"));
    }
    let mut parsed = reader
        .await
        .context("the reader of the file stopped")?
        .with_context(|| format!("cannot import {}", args.csv.file.display()))?;
    let rest = std::mem::take(&mut parsed.rows);
    if !rest.is_empty() {
        let store = opened(&mut store, settings).await?;
        store_batch(args, program, store, rest, &mut imported, &bar).await?;
    }
    bar.finish_and_clear();
    imported.parsed = parsed;
    Ok(imported)
}

/// The store, opened on first use.
async fn opened<'s>(
    store: &'s mut Option<crate::store::Store>,
    settings: &Settings,
) -> anyhow::Result<&'s crate::store::Store> {
    if store.is_none() {
        *store = Some(open(settings).await?);
    }
    store.as_ref().context("the store was just opened")
}

/// Files larger than this show a progress bar (a few batches of rows).
const LARGE_FILE: u64 = 4 << 20;

/// Stores `rows` in one transaction (the whole file under `--strict`, so that nothing is
/// stored unless everything is), opening the cases their answers call for.
async fn store_batch(
    args: &ImportArgs,
    program: &crate::program::Program,
    store: &crate::store::Store,
    rows: Vec<responses::ParsedRow>,
    imported: &mut Imported,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let (Some(first), Some(last)) = (rows.first().map(|r| r.line), rows.last().map(|r| r.line))
    else {
        return Ok(());
    };
    let responses: Vec<NewResponse> = rows
        .into_iter()
        .map(|row| {
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
            bar.finish_and_clear();
            format!(
                "cannot store lines {first}-{last} of {} ({} responses stored before \
                 them stay stored{}; run the import again: rows with a response_id are not \
                 stored twice)",
                args.csv.file.display(),
                imported.stored,
                if args.csv.strict {
                    ", none with --strict"
                } else {
                    ""
                },
            )
        })?;
    for id in stored {
        match id {
            Some(_) => imported.stored += 1,
            None => imported.duplicates += 1,
        }
    }
    Ok(())
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
