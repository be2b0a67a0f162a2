//! What several subcommands need: finding a program, opening the store, writing output.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::count::count;
use super::options::CsvImportArgs;
use crate::config::Settings;
use crate::contacts::parse::{DecodeReader, LEGACY_ENCODING_NOTE, sniff};
use crate::program::{CheckContext, Program, did_you_mean};
use crate::redact::redact_url;
use crate::store::Store;
use crate::templates::Templates;

/// Finds a program by path or by id in `programs/`, and checks it.
pub fn find_program(spec: &str, settings: &Settings) -> anyhow::Result<Program> {
    let context = CheckContext {
        templates: Templates::new(settings.templates.as_deref()),
    };
    let direct = PathBuf::from(spec);
    let path = if direct.is_file() {
        direct
    } else {
        let files = crate::program::discover(&[PathBuf::from("programs")]).unwrap_or_default();
        let names: Vec<(PathBuf, Option<String>, Option<String>)> = files
            .into_iter()
            .map(|file| {
                let stem = file.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
                let id = program_id_of(&file);
                (file, stem, id)
            })
            .collect();
        let found = names
            .iter()
            .find(|(_, stem, id)| stem.as_deref() == Some(spec) || id.as_deref() == Some(spec));
        match found {
            Some((file, _, _)) => file.clone(),
            None => {
                let known = names
                    .iter()
                    .flat_map(|(_, stem, id)| [stem.as_deref(), id.as_deref()])
                    .flatten();
                let hint = did_you_mean(spec, known)
                    .map(|close| format!("did you mean `{close}`? "))
                    .unwrap_or_default();
                anyhow::bail!(
                    "no program `{spec}`: {hint}give a program file path, or an id of a program in programs/"
                );
            }
        }
    };
    crate::program::load(&path, &context).map_err(|problems| {
        for problem in &problems {
            eprintln!("{}\n", problem.render(false));
        }
        anyhow::anyhow!(
            "{} has {}; run `ecoute check {}`",
            path.display(),
            count(problems.len(), "problem"),
            path.display()
        )
    })
}

fn program_id_of(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .skip_while(|line| !line.starts_with("program:"))
        .find_map(|line| {
            line.trim()
                .strip_prefix("id:")
                .map(|id| id.trim().trim_matches('"').to_owned())
        })
}

/// An instant as a CX person reads it: in the program's time zone, with the zone's
/// abbreviation and the weekday (`2026-11-02 10:00 CET (Mon)`).
pub fn local_time(at: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%d %H:%M %Z (%a)")
        .to_string()
}

/// An instant for scripts: RFC 3339 with the offset of the program's time zone
/// (`2026-11-02T10:00:00+01:00`).
pub fn local_rfc3339(at: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> String {
    at.to_zoned(zone.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// How the "next steps" a command prints should call ecoute: `ecoute` when that name on
/// `PATH` is this very program, otherwise this program's full path (after `cargo run`, or a
/// binary copied somewhere), so that every suggested command works as typed.
pub fn ecoute_command() -> String {
    let Ok(this) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "ecoute".to_owned();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path)
            .filter_map(|dir| std::fs::canonicalize(dir.join("ecoute")).ok())
            .any(|found| found == this)
    });
    if on_path {
        "ecoute".to_owned()
    } else {
        this.display().to_string()
    }
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

/// Opens the output now, so an unwritable path fails before any work.
pub fn create_output(path: Option<&Path>) -> anyhow::Result<Option<File>> {
    path.map(|p| {
        File::create(p).with_context(|| {
            format!(
                "cannot write the report to {}: check that the folder exists and is writable",
                p.display()
            )
        })
    })
    .transpose()
}

/// Writes `text` to the file opened by [`create_output`], else to standard output (a closed
/// pipe is not an error).
pub fn write_output(file: Option<File>, path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match file {
        Some(mut f) => f.write_all(text.as_bytes()).with_context(|| {
            format!(
                "cannot write {}",
                path.map(Path::display)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            )
        }),
        None => write_stdout(text.as_bytes()),
    }
}

/// Writes CSV records to a file or standard output.
pub fn write_csv(output: Option<&Path>, records: &[Vec<String>]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(record)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write CSV: {}", e.error()))?;
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
        }
        None => write_stdout(&bytes),
    }
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Opens an import's CSV file: its encoding and delimiter as given or detected (with the
/// note on a legacy encoding), so every import reads files alike.
pub fn open_csv(args: &CsvImportArgs) -> anyhow::Result<(DecodeReader<BufReader<File>>, u8)> {
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut input = BufReader::new(file);
    let forced = args.encoding()?;
    let dialect = sniff(&mut input, forced, args.delimiter()?)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if forced.is_none() && dialect.encoding == encoding_rs::WINDOWS_1252 {
        eprintln!("{} {LEGACY_ENCODING_NOTE}", args.file.display());
    }
    Ok((
        DecodeReader::new(input, dialect.encoding),
        dialect.delimiter,
    ))
}
