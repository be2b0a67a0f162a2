//! `ecoute check`: every problem in every file, at once.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::count::count;
use super::options::TemplatesArgs;
use super::{Exit, Format};
use crate::config::Settings;
use crate::program::{CheckContext, Diagnostic, Program};
use crate::templates::Templates;

/// Arguments of `ecoute check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Program files or folders (searched for *.yaml and *.yml)
    #[arg(default_value = "programs")]
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    #[command(flatten)]
    pub templates: TemplatesArgs,
}

#[derive(Serialize)]
struct FileReport {
    file: PathBuf,
    program: Option<String>,
    ok: bool,
    problems: usize,
}

#[derive(Serialize)]
struct Report {
    ok: bool,
    files: Vec<FileReport>,
    diagnostics: Vec<Diagnostic>,
}

/// Loads every program under the given paths; exits 1 when any has a problem.
pub fn run(args: &CheckArgs, settings: &Settings) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let files = crate::program::discover(&args.paths).context("cannot list program files")?;
    if files.is_empty() {
        anyhow::bail!(
            "no program file (*.yaml, *.yml) found in {}",
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let context = CheckContext {
        templates: Templates::new(settings.templates.as_deref()),
    };
    let mut reports = Vec::new();
    let mut diagnostics = Vec::new();
    let mut programs: BTreeMap<String, Program> = BTreeMap::new();
    for file in files {
        match crate::program::load(&file, &context) {
            Ok(program) => {
                if let Some(first) = programs.get(program.id()) {
                    let position = program.file.program.id.position();
                    let source = std::fs::read_to_string(&file).unwrap_or_default();
                    diagnostics.push(
                        Diagnostic::at(
                            &file,
                            &source,
                            position,
                            format!("program id `{}` is already used", program.id()),
                        )
                        .with_hint(format!(
                            "{} declares the same id; program ids must be unique",
                            first.path.display()
                        )),
                    );
                    reports.push(FileReport {
                        file,
                        program: Some(program.id().to_owned()),
                        ok: false,
                        problems: 1,
                    });
                } else {
                    reports.push(FileReport {
                        file,
                        program: Some(program.id().to_owned()),
                        ok: true,
                        problems: 0,
                    });
                    programs.insert(program.id().to_owned(), program);
                }
            }
            Err(problems) => {
                reports.push(FileReport {
                    file,
                    program: None,
                    ok: false,
                    problems: problems.len(),
                });
                diagnostics.extend(problems);
            }
        }
    }
    let ok = diagnostics.is_empty();
    match args.format {
        Format::Json => {
            let report = Report {
                ok,
                files: reports,
                diagnostics,
            };
            say!("{}", serde_json::to_string_pretty(&report)?);
        }
        Format::Human => {
            let color = std::io::stderr().is_terminal();
            for diagnostic in &diagnostics {
                eprintln!("{}\n", diagnostic.render(color));
            }
            for report in &reports {
                if report.ok {
                    let summary = report
                        .program
                        .as_ref()
                        .and_then(|id| programs.get(id))
                        .map(summarise)
                        .unwrap_or_default();
                    say!("ok      {}  {summary}", report.file.display());
                    let program = report.program.as_ref().and_then(|id| programs.get(id));
                    for warning in program.map_or_else(Vec::new, |p| {
                        let mut warnings =
                            crate::plan::send_window_warnings(p, jiff::Timestamp::now());
                        warnings.extend(crate::plan::check_warnings(p));
                        warnings
                    }) {
                        eprintln!("warning: {warning}");
                    }
                } else {
                    say!(
                        "FAILED  {}  {}",
                        report.file.display(),
                        count(report.problems, "problem")
                    );
                }
            }
            say!(
                "{} checked, {} ({} ms)",
                count(reports.len(), "file"),
                count(diagnostics.len(), "problem"),
                started.elapsed().as_millis()
            );
        }
    }
    Ok(Exit::problems_if(!ok))
}

fn summarise(program: &Program) -> String {
    let file = &program.file;
    let questions: usize = file.surveys.iter().map(|s| s.questions.len()).sum();
    format!(
        "{}: {}, {}, {}, {}",
        program.id(),
        count(file.touchpoints.len(), "touchpoint"),
        count(file.surveys.len(), "survey"),
        count(questions, "question"),
        count(file.channels.len(), "channel")
    )
}
