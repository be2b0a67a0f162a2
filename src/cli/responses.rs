//! `ecoute responses import|export` and `ecoute calls export`: the offline channels (phone,
//! interview, paper) in and out as CSV.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use super::plan::find_program;
use super::store_commands::open;
use super::{EXIT_PROBLEMS, Format};
use crate::config::Settings;
use crate::contacts::parse::{DecodeReader, delimiter_from_arg, encoding_from_label, sniff};
use crate::program::model::ChannelType;
use crate::responses::{self, Parsed};

/// `ecoute responses` subcommands.
#[derive(Debug, Subcommand)]
pub enum ResponsesCommand {
    /// Import answers taken by phone, interview or mail (one row per response)
    #[command(
        after_help = "Columns: submitted_at (2026-11-04 or RFC 3339), optional email, channel \
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

/// `ecoute calls` subcommands.
#[derive(Debug, Subcommand)]
pub enum CallsCommand {
    /// Write the call list of a phone channel's wave, ready to be filled in and imported
    #[command(
        after_help = "Example:\n  ecoute calls export --program fidelite-clients --survey centre-contacts --channel relance-telephone --period 2026-11 -o appels.csv"
    )]
    Export(CallsArgs),
}

/// Arguments of `ecoute responses import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    program: String,
    /// Survey id the answers belong to
    #[arg(long)]
    survey: String,
    /// The CSV file
    file: PathBuf,
    /// Encoding (utf-8, windows-1252…); detected when absent
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

/// Arguments of `ecoute responses export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    program: String,
    /// Survey id
    #[arg(long)]
    survey: String,
    /// Output file (default: standard output)
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Arguments of `ecoute calls export`.
#[derive(Debug, Args)]
pub struct CallsArgs {
    /// Program id (in programs/) or program file
    #[arg(long)]
    program: String,
    /// Survey id
    #[arg(long)]
    survey: String,
    /// The phone (or interview, mail) channel of the survey
    #[arg(long)]
    channel: String,
    /// Period of the wave (default: the current one)
    #[arg(long)]
    period: Option<String>,
    /// Wave number within the period
    #[arg(long, default_value_t = 1)]
    wave: u32,
    /// Output file (default: standard output)
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Runs a `responses` subcommand.
pub async fn responses(
    command: &ResponsesCommand,
    settings: &Settings,
) -> anyhow::Result<ExitCode> {
    match command {
        ResponsesCommand::Import(args) => import(args, settings).await,
        ResponsesCommand::Export(args) => export(args, settings).await,
    }
}

fn read(args: &ImportArgs, program: &crate::program::Program) -> anyhow::Result<Parsed> {
    let survey = responses::find_survey(program, &args.survey)?;
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut input = BufReader::new(file);
    let encoding = args
        .encoding
        .as_deref()
        .map(encoding_from_label)
        .transpose()?;
    let delimiter = args
        .delimiter
        .as_deref()
        .map(delimiter_from_arg)
        .transpose()?;
    let dialect = sniff(&mut input, encoding, delimiter)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let parsed = responses::parse(
        DecodeReader::new(input, dialect.encoding),
        dialect.delimiter,
        program,
        survey,
    )
    .with_context(|| format!("cannot import {}", args.file.display()))?;
    Ok(parsed)
}

async fn import(args: &ImportArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let program = find_program(&args.program, settings)?;
    let parsed = read(args, &program)?;
    let rows = (parsed.rows.len() + parsed.errors.len()) as u64;
    let rejected = parsed.errors.len() as u64;
    for error in &parsed.errors {
        eprintln!("{}: {error}", args.file.display());
    }
    if args.strict && rejected > 0 {
        match args.format {
            Format::Json => say!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "file": args.file, "rows": rows, "imported": 0, "already_imported": 0,
                    "rejected": rejected, "strict": true,
                    "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
                }))?
            ),
            Format::Human => {
                say!("{rows} rows read, {rejected} rejected: nothing imported (--strict)")
            }
        }
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }
    let store = open(settings).await?;
    let (mut imported, mut duplicates) = (0u64, 0u64);
    for row in &parsed.rows {
        let stored = store.insert_response(&row.response).await.with_context(|| {
            format!(
                "cannot store line {} of {} ({imported} responses stored before it stay stored; \
                 run the import again: rows with a response_id are not stored twice)",
                row.line,
                args.file.display()
            )
        })?;
        match stored {
            Some(_) => imported += 1,
            None => duplicates += 1,
        }
    }
    match args.format {
        Format::Json => say!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": args.file, "rows": rows, "imported": imported,
                "already_imported": duplicates, "rejected": rejected, "blank": parsed.blank, "strict": args.strict,
                "errors": parsed.errors.iter().map(|e| json!({"line": e.line, "message": e.to_string()})).collect::<Vec<_>>(),
            }))?
        ),
        Format::Human => say!(
            "{rows} rows read: {imported} responses imported, {duplicates} already imported, {rejected} rejected{}",
            if parsed.blank > 0 {
                format!(", {} blank rows skipped (no date, no answer)", parsed.blank)
            } else {
                String::new()
            }
        ),
    }
    Ok(if rejected > 0 {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes CSV records to a file or standard output.
fn write_csv(output: Option<&Path>, records: &[Vec<String>]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(record)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
    match output {
        Some(path) => std::fs::write(path, bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&bytes) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("cannot write to standard output")?,
            }
        }
    }
    Ok(())
}

async fn export(args: &ExportArgs, settings: &Settings) -> anyhow::Result<ExitCode> {
    let program = find_program(&args.program, settings)?;
    let survey = responses::find_survey(&program, &args.survey)?;
    let store = open(settings).await?;
    let stored = store.survey_responses(program.id(), &survey.id).await?;
    let attributes = responses::attribute_names(&stored);
    let mut records = vec![responses::header(survey, &attributes)];
    records.extend(
        stored
            .iter()
            .map(|r| responses::record(survey, &attributes, r)),
    );
    write_csv(args.output.as_deref(), &records)?;
    if let Some(path) = &args.output {
        eprintln!("{} responses written to {}", stored.len(), path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a `calls` subcommand.
pub async fn calls(command: &CallsCommand, settings: &Settings) -> anyhow::Result<ExitCode> {
    let CallsCommand::Export(args) = command;
    let program = find_program(&args.program, settings)?;
    let survey = responses::find_survey(&program, &args.survey)?;
    let channel = program
        .file
        .channels
        .iter()
        .find(|c| *c.id == args.channel)
        .filter(|c| survey.channels.iter().any(|s| **s == *c.id))
        .with_context(|| {
            format!(
                "survey `{}` has no channel `{}`; its channels are: {}",
                survey.id.as_str(),
                args.channel,
                survey
                    .channels
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    if !matches!(
        *channel.kind,
        ChannelType::Phone | ChannelType::Interview | ChannelType::Mail
    ) {
        anyhow::bail!(
            "channel `{}` is not an offline channel (phone, interview or mail): ecoute sends its invitations itself",
            args.channel
        );
    }
    let period = program
        .calendar()
        .resolve_period(args.period.as_deref(), jiff::Timestamp::now())?;
    let store = open(settings).await?;
    let entries = store
        .call_list(
            program.id(),
            &survey.id,
            &args.channel,
            &period.to_string(),
            args.wave,
        )
        .await?;
    if entries.is_empty() {
        anyhow::bail!(
            "no wave {} of `{}` on `{}` in {period}: run `ecoute plan {} --period {period} --commit` first",
            args.wave,
            survey.id.as_str(),
            args.channel,
            program.id()
        );
    }
    let fields: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e.contact_data.as_ref())
        .flat_map(|d| d.keys().cloned())
        .filter(|k| k != "email")
        .collect();
    let mut header: Vec<String> = ["response_id", "submitted_at", "email", "channel"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    header.extend(survey.questions.iter().map(|q| q.id.to_string()));
    header.extend(fields.iter().cloned());
    let mut records = vec![header];
    for e in entries.iter().filter(|e| e.email.is_some()) {
        let mut record = vec![
            format!("call-{}", e.invitation_id),
            String::new(),
            e.email.clone().unwrap_or_default(),
            args.channel.clone(),
        ];
        record.extend(survey.questions.iter().map(|_| String::new()));
        for f in &fields {
            let value = e
                .contact_data
                .as_ref()
                .and_then(|d| d.get(f))
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .unwrap_or_default();
            record.push(value);
        }
        records.push(record);
    }
    write_csv(args.output.as_deref(), &records)?;
    if let Some(path) = &args.output {
        eprintln!(
            "{} people to call written to {}",
            records.len() - 1,
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
