//! `ecoute check`: every problem in every file, at once.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::count::count;
use super::options::TemplatesArgs;
use super::{Exit, Format};
use crate::config::Settings;
use crate::program::fingerprint::{QuestionChange, changes};
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
    /// List the KPI questions whose definition (not comparable) or wording changed since
    /// this git revision of each program file, or since this previous program file
    #[arg(long, value_name = "REV|FILE")]
    against: Option<String>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    against: Option<Vec<Change>>,
}

/// A KPI question changed since `--against`, as JSON lists it.
#[derive(Serialize)]
struct Change {
    program: String,
    survey: String,
    question: String,
    kpi: String,
    /// `not_comparable` (definition) or `wording_changed`.
    change: &'static str,
    what: String,
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
    let against = match &args.against {
        Some(rev) if ok => Some(against(rev, &programs, &context)?),
        _ => None,
    };
    match args.format {
        Format::Json => {
            let report = Report {
                ok,
                files: reports,
                diagnostics,
                against,
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
            if let (Some(rev), Some(changes)) = (&args.against, &against) {
                say!(
                    "against {rev}: {}",
                    count(changes.len(), "KPI question change")
                );
                for c in changes {
                    say!(
                        "  {:<15} {}  {}/{}/{}: {}",
                        c.change,
                        c.kpi,
                        c.program,
                        c.survey,
                        c.question,
                        c.what
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

/// The KPI question changes of every program since `rev`: a previous program file (compared
/// with the checked program of the same id) or a git revision of each program file.
fn against(
    rev: &str,
    programs: &BTreeMap<String, Program>,
    context: &CheckContext,
) -> anyhow::Result<Vec<Change>> {
    let mut out = Vec::new();
    let listed = |id: &str, list: Vec<QuestionChange>| -> Vec<Change> {
        list.into_iter()
            .map(|c| Change {
                program: id.to_owned(),
                survey: c.survey,
                question: c.question,
                kpi: c.kpi.to_string(),
                change: if c.incomparable {
                    "not_comparable"
                } else {
                    "wording_changed"
                },
                what: c.what,
            })
            .collect()
    };
    if Path::new(rev).is_file() {
        let before = previous(Path::new(rev), read(rev)?, rev, context)?;
        let Some(after) = programs.get(before.id()) else {
            anyhow::bail!(
                "--against {rev}: it is program `{}`, which none of the checked files is",
                before.id()
            );
        };
        out.extend(listed(after.id(), changes(&before.file, &after.file)));
        return Ok(out);
    }
    for (id, after) in programs {
        let dir = after.path.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        let name = after
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let verify = git(
            dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        if !verify.status.success() {
            anyhow::bail!(
                "--against {rev}: no such file, and no such git revision in {}; give a commit, \
                 branch or tag (HEAD, main…) or the path of the previous program file",
                dir.display()
            );
        }
        let shown = git(dir, &["show", &format!("{rev}:./{name}")])?;
        if !shown.status.success() {
            anyhow::bail!(
                "--against {rev}: {} is not in revision {rev} ({}); compare with a revision that has it",
                after.path.display(),
                String::from_utf8_lossy(&shown.stderr).trim()
            );
        }
        // Validated where the file lives, so its relative paths (contact files) resolve.
        let before = previous(&after.path, shown.stdout, rev, context)?;
        out.extend(listed(id, changes(&before.file, &after.file)));
    }
    Ok(out)
}

fn read(path: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("--against {path}: cannot read it"))
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .context("--against needs git to read a revision: is git installed?")
}

/// The previous version, which must itself be a valid program.
fn previous(
    path: &Path,
    bytes: Vec<u8>,
    rev: &str,
    context: &CheckContext,
) -> anyhow::Result<Program> {
    crate::program::load_bytes(path, bytes, context).map_err(|problems| {
        let shown: Vec<String> = problems.iter().map(|d| d.render(false)).collect();
        anyhow::anyhow!(
            "--against {rev}: the previous version of {} is not a valid program, so there is \
             nothing to compare with:\n{}",
            path.display(),
            shown.join("\n")
        )
    })
}
